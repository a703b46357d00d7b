package gs1

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Seed corpora: testdata/fuzz/<FuzzName>/.

var knownRules = map[string]bool{
	RuleForm: true, RuleUnknownAI: true, RuleMissingGS: true, RuleLength: true,
	RuleCharset: true, RuleCheckDigit: true, RuleDate: true, RuleTime: true,
	RuleValue: true, RuleRequires: true, RuleExcludes: true, RuleDuplicate: true,
}

// checkScan is what all three fuzzers assert of one input: Parse and
// Validate do not panic, errors are *Error with a known rule, and a barcode
// that validates reads back to the same elements from its bracketed form
// and from its element string (and from a Digital Link, when it was one).
func checkScan(t *testing.T, raw string) {
	b, err := Parse(raw)
	if b.Raw != raw || b.AIM+b.Data != raw {
		t.Fatalf("Parse(%q): Raw %q AIM %q Data %q", raw, b.Raw, b.AIM, b.Data)
	}
	if err != nil {
		mustBeError(t, raw, err)
		if b.Elements != nil {
			t.Fatalf("Parse(%q) failed but returned elements", raw)
		}
		return
	}
	b.GTIN()
	b.Get("01")
	if err := b.Validate(); err != nil {
		mustBeError(t, raw, err)
		return
	}
	if b.Elements == nil {
		return
	}
	forms := map[string]string{
		"bracketed":      bracketed(b.Elements),
		"element string": "]C1" + elementString(b.Elements),
	}
	if b.DigitalLink {
		forms["Digital Link"] = digitalLink(b.Elements)
	}
	for form, s := range forms {
		b2, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) = %v; it re-encodes %q (%s)", s, err, raw, form)
		}
		if !reflect.DeepEqual(b2.Elements, b.Elements) {
			t.Fatalf("%s %q of %q reads %q, want %q", form, s, raw, b2.Elements, b.Elements)
		}
		if err := b2.Validate(); err != nil {
			t.Fatalf("%s %q of valid %q: %v", form, s, raw, err)
		}
	}
}

func mustBeError(t *testing.T, raw string, err error) {
	var ge *Error
	if !errors.As(err, &ge) || !knownRules[ge.Rule] || ge.Reason == "" {
		t.Fatalf("%q: error %#v is not an *Error with a known rule and a reason", raw, err)
	}
}

// FuzzParse asserts checkScan of any scan: no panic, errors are *Error
// with a known rule, and a valid barcode round-trips through its bracketed
// form and element string.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) { checkScan(t, raw) })
}

// FuzzDigitalLink asserts checkScan of Digital Link URLs, which also
// round-trip through their Digital Link form.
func FuzzDigitalLink(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		if !hasHTTPScheme(s) {
			s = "https://id.example.com/" + s
		}
		checkScan(t, s)
	})
}

// FuzzBracketed asserts checkScan of human-readable bracketed strings.
func FuzzBracketed(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		if !strings.HasPrefix(s, "(") {
			s = "(" + s
		}
		checkScan(t, s)
	})
}

// bracketed writes elements in the human-readable form.
func bracketed(els []Element) string {
	var b strings.Builder
	for _, e := range els {
		b.WriteString("(" + e.AI + ")" + strings.ReplaceAll(e.Value, "(", `\(`))
	}
	return b.String()
}

// elementString writes elements as a scanner sends them, GS after every
// value whose AI has no predefined length, except the last.
func elementString(els []Element) string {
	var b strings.Builder
	for i, e := range els {
		b.WriteString(e.AI + e.Value)
		if en, _ := Lookup(e.AI); !en.Fixed && i < len(els)-1 {
			b.WriteByte(gs)
		}
	}
	return b.String()
}

// digitalLink writes elements as a Digital Link URI: the first is the key,
// the qualifiers that follow it in order go in the path, the rest in the
// query.
func digitalLink(els []Element) string {
	var b strings.Builder
	b.WriteString("https://id.gs1.org")
	key, _ := Lookup(els[0].AI)
	var quals []string
	i := 0
	for ; i < len(els); i++ {
		if i > 0 && !qualifiersInOrder(&key, append(quals, els[i].AI)) {
			break
		}
		if i > 0 {
			quals = append(quals, els[i].AI)
		}
		b.WriteString("/" + els[i].AI + "/" + uriEscape(els[i].Value))
	}
	for j := i; j < len(els); j++ {
		if j == i {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(els[j].AI + "=" + uriEscape(els[j].Value))
	}
	return b.String()
}

func uriEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + string(hex[c>>4]) + string(hex[c&15]))
	}
	return b.String()
}
