package template

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/print/label"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// printerFormats are checked by digest (testdata/golden/digests.txt): each
// is hundreds of kilobytes of graphic. The PNG of each template and
// language is kept whole, for a person to look at.
var printerFormats = []label.Format{label.ZPL, label.TSPL, label.ESCPOS, label.EPL2}

// filled is every shipped template filled with its sample data in every
// language, keyed "id.lang".
func filled(t testing.TB, set *Set) map[string]label.Label {
	t.Helper()
	out := map[string]label.Label{}
	for _, tp := range set.All() {
		for _, lang := range Languages {
			var l label.Label
			var err error
			switch tp.Kind {
			case KindWaybill, KindPackingList:
				s := sampleShipment()
				if tp.Variant == floorgate.VariantCrossBorder {
					s = sampleCrossBorder()
				}
				l, err = tp.Shipment(s, lang, printedAt)
			case KindLocation:
				l, err = tp.Location(floorgate.Location{Code: "A-01-02-03", Zone: "常温", Barcode: "A010203"}, 0.25, lang)
			case KindItem:
				l, err = tp.Item(floorgate.Item{SKU: "A-1001", Name: "Vacuum flask", NameZH: "保温杯 500ml"}, "(01)04006381333931(10)L42(17)261231", lang)
			}
			if err != nil {
				t.Fatalf("%s %s: %v", tp.ID, lang, err)
			}
			out[tp.ID+"."+lang] = l
		}
	}
	return out
}

// TestGolden renders every shipped template × language × format at 203
// and 300 dpi and compares with testdata/golden; go test -update rewrites
// it. Every label has Chinese text in its zh form.
func TestGolden(t *testing.T) {
	t.Parallel()
	set, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	labels := filled(t, set)
	var names []string
	for n := range labels {
		names = append(names, n)
	}
	slices.Sort(names)
	var digests bytes.Buffer
	for _, n := range names {
		l := labels[n]
		if strings.HasSuffix(n, ".zh") && !hasCJK(l) {
			t.Errorf("%s has no Chinese text", n)
		}
		png, err := label.Render(l, label.PNG, label.Options{DPI: 203})
		if err != nil {
			t.Fatalf("%s png: %v", n, err)
		}
		golden(t, filepath.Join("testdata", "golden", n+".png"), png)
		for _, dpi := range []int{203, 300} {
			for _, f := range printerFormats {
				b, err := label.Render(l, f, label.Options{DPI: dpi})
				if err != nil {
					t.Fatalf("%s %s %d dpi: %v", n, f, dpi, err)
				}
				fmt.Fprintf(&digests, "%s %s %d %x %d\n", n, f, dpi, sha256.Sum256(b), len(b))
			}
		}
	}
	golden(t, filepath.Join("testdata", "golden", "digests.txt"), digests.Bytes())
}

func hasCJK(l label.Label) bool {
	for _, e := range l.Elements {
		if tx, ok := e.(label.Text); ok {
			for _, r := range tx.Text {
				if r >= 0x4e00 && r <= 0x9fff {
					return true
				}
			}
		}
	}
	return false
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./print/template -update)", err)
	}
	if !bytes.Equal(got, want) {
		if strings.HasSuffix(path, ".txt") {
			t.Errorf("%s differs:\n%s", path, lineDiff(string(want), string(got)))
			return
		}
		t.Errorf("%s differs from the golden file; run go test ./print/template -update and review the PNGs", path)
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	return strings.Join(out, "\n")
}
