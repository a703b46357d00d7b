package shiftgen

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Compare compares a report as the gateway served it (JSON) with the
// expected one (a Report, or any part of one), figure by figure, and
// returns one line per difference:
// who (site, a person, an hour), the figure's path, want and got. A figure
// the gateway serves that the truth does not compute is a difference too
// (want "absent"): every figure must be checked.
func Compare(want any, got []byte) []string {
	wb, err := json.Marshal(want)
	if err != nil {
		return []string{"marshal the expected report: " + err.Error()}
	}
	var w, g any
	if err := json.Unmarshal(wb, &w); err != nil {
		return []string{"unmarshal the expected report: " + err.Error()}
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return []string{"the gateway's report is not JSON: " + err.Error()}
	}
	wf, gf := map[string]any{}, map[string]any{}
	flatten("", w, wf)
	flatten("", g, gf)
	var keys []string
	for k := range wf {
		keys = append(keys, k)
	}
	for k := range gf {
		if _, ok := wf[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareKeys)
	var out []string
	gone := map[string]bool{}
	for _, k := range keys {
		wv, wok := wf[k]
		gv, gok := gf[k]
		// A person or an hour on one side only is one difference.
		if e := entryOnlyIn(k, map[bool]map[string]any{true: gf, false: wf}[wok]); e != "" {
			if !gone[e] {
				gone[e] = true
				out = append(out, fmt.Sprintf("%s: want %s, got %s", e, present(wok), present(gok)))
			}
			continue
		}
		if same(wv, gv) || (!gok && hasChildren(gf, k)) || (!wok && hasChildren(wf, k)) {
			continue // an empty map or list on one side: its entries differ by name
		}
		out = append(out, fmt.Sprintf("%s: want %s, got %s", k, show(wv, wok), show(gv, gok)))
	}
	return out
}

// compareKeys sorts site figures first, then people, then hours.
func compareKeys(a, b string) int {
	rank := func(k string) int {
		switch {
		case strings.HasPrefix(k, "site."):
			return 0
		case strings.HasPrefix(k, "people["):
			return 1
		case strings.HasPrefix(k, "hours["):
			return 2
		}
		return -1
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

// flatten turns a JSON value into path → leaf. Lists of objects are keyed
// by what names their entries (operator, hour start, location), so an
// entry missing on one side shows as its figures, not a shift of all.
func flatten(path string, v any, out map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			flatten(p, e, out)
		}
		if len(x) == 0 {
			out[path] = "{}"
		}
	case []any:
		for i, e := range x {
			key := fmt.Sprint(i)
			if m, ok := e.(map[string]any); ok {
				for _, name := range []string{"operator", "start", "location"} {
					if s, ok := m[name].(string); ok {
						key = s
						if name == "location" && s == "" {
							key = `""`
						}
						break
					}
				}
			}
			flatten(fmt.Sprintf("%s[%s]", path, key), e, out)
		}
		if len(x) == 0 {
			out[path] = "[]"
		}
	default:
		out[path] = v
	}
}

// same compares two leaves: numbers to within a part in 10^9 (the
// gateway's float arithmetic may round in another order), anything else
// exactly; an absent string is the empty string.
func same(a, b any) bool {
	if a == nil && b == "" || a == "" && b == nil {
		return true
	}
	fa, aok := a.(float64)
	fb, bok := b.(float64)
	if aok && bok {
		return math.Abs(fa-fb) <= 1e-9*math.Max(1, math.Max(math.Abs(fa), math.Abs(fb)))
	}
	return a == b
}

func show(v any, present bool) string {
	if !present {
		return "absent"
	}
	if v == nil {
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// hasChildren reports whether flat holds leaves under key.
func hasChildren(flat map[string]any, key string) bool {
	for k := range flat {
		if strings.HasPrefix(k, key+".") || strings.HasPrefix(k, key+"[") {
			return true
		}
	}
	return false
}

// entryOnlyIn returns the list entry (path up to its "]") that key is in and
// other has none of, or "".
func entryOnlyIn(key string, other map[string]any) string {
	for i := 0; i < len(key); i++ {
		if key[i] != ']' {
			continue
		}
		if !hasChildren(other, key[:i+1]) && !hasKey(other, key[:i+1]) {
			return key[:i+1]
		}
	}
	return ""
}

func hasKey(flat map[string]any, key string) bool {
	_, ok := flat[key]
	return ok
}

func present(ok bool) string {
	if ok {
		return "present"
	}
	return "absent"
}
