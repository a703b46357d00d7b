package gs1

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"testing"

	"github.com/floorgate/floorgate/scan/gs1/internal/syntaxdict"
)

// dictionaryPath is gen.go's go:generate input, relative to this directory.
const dictionaryPath = "../../../shared/data/gs1-syntax-dictionary.txt"

// TestGeneratedTableIsFresh regenerates the table from the dictionary and
// compares it with the committed ai_table.go. Where the dictionary is not
// there (a checkout without the shared data), freshness cannot be checked:
// the test says so and checks the committed table's invariants, which it
// also checks when the dictionary is there.
func TestGeneratedTableIsFresh(t *testing.T) {
	checkTableInvariants(t)

	f, err := os.Open(dictionaryPath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Logf("%s is absent: freshness NOT checked, only the committed table's invariants", dictionaryPath)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := syntaxdict.Parse(f)
	if err != nil {
		t.Fatalf("parse %s: %v", dictionaryPath, err)
	}
	want, err := syntaxdict.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	// Render into a temporary file, as go generate would write it.
	tmp := t.TempDir() + "/ai_table.go"
	if err := os.WriteFile(tmp, want, 0o644); err != nil {
		t.Fatal(err)
	}
	regenerated, err := os.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("ai_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, regenerated) {
		t.Fatalf("ai_table.go is stale against %s (release %s): run go generate ./scan/gs1", dictionaryPath, d.Release)
	}
	if d.Release != DictionaryRelease || len(d.Entries) != entryCount {
		t.Fatalf("release %s with %d AIs, table has %s with %d", d.Release, len(d.Entries), DictionaryRelease, entryCount)
	}
}

func checkTableInvariants(t *testing.T) {
	t.Helper()
	if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(DictionaryRelease) {
		t.Errorf("DictionaryRelease %q is not a date", DictionaryRelease)
	}
	if entryCount < 500 {
		t.Errorf("only %d AIs in the table", entryCount)
	}
	for i := range entries {
		e := &entries[i]
		if i > 0 && entries[i-1].AI >= e.AI {
			t.Fatalf("entries not sorted and unique at %s", e.AI)
		}
		if j := lookupIndex(e.AI); j != i {
			t.Fatalf("lookupIndex(%s) = %d, want %d", e.AI, j, i)
		}
		if e.Fixed && e.MinLength != e.MaxLength {
			t.Errorf("(%s) has a predefined length but varies", e.AI)
		}
		min, max := 0, 0
		for _, c := range e.Components {
			if !c.Optional {
				min += c.Min
			}
			max += c.Max
		}
		if min != e.MinLength || max != e.MaxLength {
			t.Errorf("(%s) lengths %d..%d, components say %d..%d", e.AI, e.MinLength, e.MaxLength, min, max)
		}
		for _, r := range e.Requires {
			for _, g := range r {
				for _, p := range g {
					mustMatch(t, e.AI, p)
				}
			}
		}
		for _, p := range e.Excludes {
			mustMatch(t, e.AI, p)
		}
		for _, alt := range e.DLQualifiers {
			for _, q := range alt {
				if lookupIndex(q) < 0 {
					t.Errorf("(%s) Digital Link qualifier %s is not in the table", e.AI, q)
				}
			}
		}
	}

	// AIs every warehouse meets, as the GS1 General Specifications give
	// them.
	known := []struct {
		ai       string
		title    string
		fixed    bool
		min, max int
		cs       Charset
	}{
		{"00", "SSCC", true, 18, 18, Numeric},
		{"01", "GTIN", true, 14, 14, Numeric},
		{"02", "CONTENT", true, 14, 14, Numeric},
		{"10", "BATCH/LOT", false, 1, 20, CSet82},
		{"11", "PROD DATE", true, 6, 6, Numeric},
		{"15", "BEST BEFORE or BEST BY", true, 6, 6, Numeric},
		{"17", "USE BY or EXPIRY", true, 6, 6, Numeric},
		{"21", "SERIAL", false, 1, 20, CSet82},
		{"30", "VAR. COUNT", false, 1, 8, Numeric},
		{"37", "COUNT", false, 1, 8, Numeric},
		{"254", "GLN EXTENSION COMPONENT", false, 1, 20, CSet82},
		{"3103", "NET WEIGHT (kg)", true, 6, 6, Numeric},
		{"400", "ORDER NUMBER", false, 1, 30, CSet82},
		{"414", "LOC No.", true, 13, 13, Numeric},
		{"8200", "PRODUCT URL", false, 1, 70, CSet82},
		{"99", "INTERNAL", false, 1, 90, CSet82},
	}
	for _, k := range known {
		e, ok := Lookup(k.ai)
		if !ok {
			t.Errorf("(%s) missing from the table", k.ai)
			continue
		}
		if e.Title != k.title || e.Fixed != k.fixed || e.MinLength != k.min || e.MaxLength != k.max || e.Components[0].Charset != k.cs {
			t.Errorf("(%s) = %q fixed %v %d..%d %c; want %q %v %d..%d %c", k.ai, e.Title, e.Fixed, e.MinLength, e.MaxLength, e.Components[0].Charset, k.title, k.fixed, k.min, k.max, k.cs)
		}
	}
	if e, _ := Lookup("01"); !hasLinter(e, "csum") || !e.DLPrimaryKey || len(e.DLQualifiers) != 2 {
		t.Errorf("(01) entry lost its check digit or Digital Link key: %+v", e)
	}
	if e, _ := Lookup("17"); !hasLinter(e, "yymmd0") {
		t.Errorf("(17) is not yymmd0: %+v", e)
	}
	if e, _ := Lookup("254"); len(e.Requires) != 1 || e.Requires[0][0][0] != "414" {
		t.Errorf("(254) does not require (414): %+v", e)
	}
	for _, ai := range []string{"3106", "3", "0", "001", "23", "9999", "01a", ""} {
		if _, ok := Lookup(ai); ok {
			t.Errorf("Lookup(%q) found an AI GS1 does not define", ai)
		}
	}
}

func mustMatch(t *testing.T, ai, pattern string) {
	t.Helper()
	for i := range entries {
		if matchPattern(pattern, entries[i].AI) {
			return
		}
	}
	t.Errorf("(%s) names %s, which matches no AI", ai, pattern)
}

func hasLinter(e Entry, name string) bool {
	for _, c := range e.Components {
		for _, l := range c.Linters {
			if l == name {
				return true
			}
		}
	}
	return false
}
