package shiftgen

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestGenerateIsDeterministicAndComplete: a seed gives the same shift
// every time, in strictly increasing time, with every incident in it.
func TestGenerateIsDeterministicAndComplete(t *testing.T) {
	warn := Default(TruthSeeds[0])
	warn.DistanceMode = "warn"
	configs := []Config{warn}
	for _, seed := range TruthSeeds {
		configs = append(configs, Default(seed))
	}
	for _, cfg := range configs {
		seed := cfg.Seed
		a, b := Generate(cfg), Generate(cfg)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: two shifts differ", seed)
		}
		for i := 1; i < len(a.Script); i++ {
			if !a.Script[i].At.After(a.Script[i-1].At) {
				t.Fatalf("seed %d: action %d at %v is not after %v", seed, i, a.Script[i].At, a.Script[i-1].At)
			}
		}
		for _, k := range AllIncidents {
			if a.Incidents[k] == 0 {
				t.Errorf("seed %d: no %s in the shift", seed, k)
			}
		}
		scans := 0
		for _, act := range a.Script {
			if act.Truth.ScanEvent {
				scans++
			}
		}
		first, last := a.Script[0].At, a.Script[len(a.Script)-1].At
		t.Logf("seed %d: %d actions, %d scans, %d tasks, %v → %v, incidents %v", seed, len(a.Script), scans, len(a.Tasks), first, last, a.Incidents)
		rep := a.Expected(first, last.Add(1))
		if testing.Verbose() {
			b, _ := json.MarshalIndent(rep.Site, "", " ")
			t.Logf("site: %s", b)
		}
	}
}

// TestPercentileIsNearestRank: the definition's examples.
func TestPercentileIsNearestRank(t *testing.T) {
	xs := []float64{15, 20, 35, 40, 50}
	for _, c := range []struct {
		p    int
		want float64
	}{{50, 35}, {90, 50}, {100, 50}, {1, 15}, {40, 20}} {
		if got := percentile(xs, c.p); got != c.want {
			t.Errorf("p%d = %v, want %v", c.p, got, c.want)
		}
	}
}

// TestCompareNamesEveryDifference: a figure changed, one missing, one
// extra, a person missing — each is one line naming it.
func TestCompareNamesEveryDifference(t *testing.T) {
	sh := Generate(Default(TruthSeeds[0]))
	want := sh.Expected(sh.Config.Start, sh.Script[len(sh.Script)-1].At)
	got, _ := json.Marshal(want)
	if d := Compare(want, got); len(d) != 0 {
		t.Fatalf("a report differs from itself: %v", d)
	}
	var m map[string]any
	json.Unmarshal(got, &m)
	site := m["site"].(map[string]any)
	site["scans"] = site["scans"].(float64) + 1
	delete(site, "line_accuracy")
	site["new_figure"] = 1.0
	people := m["people"].([]any)
	m["people"] = people[1:]
	got, _ = json.Marshal(m)
	d := Compare(want, got)
	if len(d) != 4 {
		t.Errorf("%d differences, want 4: %v", len(d), d)
	}
	for _, w := range []string{fmt.Sprintf("site.scans: want %d, got %d", want.Site.Scans, want.Site.Scans+1), "site.line_accuracy: want ", "site.new_figure: want absent, got 1",
		"people[K01]: want present, got absent"} {
		if !slices.ContainsFunc(d, func(s string) bool { return strings.HasPrefix(s, w) }) {
			t.Errorf("no difference %q in %v", w, d[:min(len(d), 10)])
		}
	}
}

// TestModes: the default shifts pick on carts too, and the modes' figures
// add up as the definitions say; a shift without cart pickers has none.
func TestModes(t *testing.T) {
	for _, seed := range TruthSeeds {
		sh := Generate(Default(seed))
		r := sh.Expected(sh.Config.Start, sh.Script[len(sh.Script)-1].At.Add(1))
		d, c, b := r.Site.Modes[modeDiscrete], r.Site.Modes[modeCluster], r.Site.Modes[modeBatch]
		if d.Lines+c.Lines+b.Lines != r.Site.Lines {
			t.Errorf("seed %d: discrete %d + cluster %d + batch %d lines, want %d", seed, d.Lines, c.Lines, b.Lines, r.Site.Lines)
		}
		// One batch of four orders (five lines, six units) sorted at the
		// wall, with at least one of each sort mistake.
		if b.Units != 6 || b.Lines != 5 || b.Puts != 6+b.WrongPuts || b.WrongPuts < 3 || b.PutAccuracy == nil {
			t.Errorf("seed %d: batch %+v: want 6 units, 5 lines, 6 right sorts and at least 3 wrong", seed, b)
		}
		if d.Puts != 0 || d.PutAccuracy != nil {
			t.Errorf("seed %d: discrete puts %d, put accuracy %v: want 0, null", seed, d.Puts, d.PutAccuracy)
		}
		if c.Units == 0 || c.Lines == 0 || c.WrongPuts == 0 || c.PutAccuracy == nil {
			t.Errorf("seed %d: cluster %+v: want units, lines and wrong puts", seed, c)
		}
		if r.Site.LineAccuracy == nil || *r.Site.LineAccuracy != float64(r.Site.LinesRightFirstTime)/float64(d.Lines) {
			t.Errorf("seed %d: line accuracy %v is not of the discrete lines", seed, r.Site.LineAccuracy)
		}
	}
	cfg := Default(TruthSeeds[0])
	cfg.CartPickers = -1
	sh := Generate(cfg)
	for _, a := range sh.Script {
		if len(a.Truth.CartTasks) > 0 || a.Truth.Put > 0 {
			t.Fatalf("a shift without cart pickers plays a cart: %+v", a)
		}
	}
	r := sh.Expected(sh.Config.Start, sh.Script[len(sh.Script)-1].At.Add(1))
	if c := r.Site.Modes[modeCluster]; c != (Mode{}) {
		t.Errorf("no carts, but cluster figures %+v", c)
	}
}
