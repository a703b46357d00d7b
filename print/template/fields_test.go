package template

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/print/label"
)

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678":       "138****5678",
		"+86 138 1234 5678": "138****5678",
		"0571-88886666":     "057****6666",
		"12345":             "*2345",
		"":                  "",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRowsKeepTheLastForMore: a shipment with more lines than a waybill's
// item rows hold shows what fits and, on the last row, how many more there
// are, in the label's language.
func TestRowsKeepTheLastForMore(t *testing.T) {
	set, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := set.Get("waybill-100x150")
	s := sampleShipment()
	for i := range 40 {
		s.Lines = append(s.Lines, floorgate.ShipmentLine{SKU: fmt.Sprintf("Z-%02d", i), Name: "补货", Qty: 1})
	}
	skus := map[string]bool{}
	for _, ln := range s.Lines {
		skus[ln.SKU] = true
	}
	for lang, pat := range map[string]string{"zh": `^另 (\d+) 项$`, "en": `^\+(\d+) more$`} {
		l, err := tp.Shipment(s, lang, printedAt)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(pat)
		more, shown := 0, 0
		for _, e := range l.Elements {
			tx, ok := e.(label.Text)
			if !ok {
				continue
			}
			if m := re.FindStringSubmatch(tx.Text); m != nil {
				more, _ = strconv.Atoi(m[1])
			}
			if f := strings.Fields(tx.Text); len(f) > 0 && skus[f[0]] {
				shown++
			}
		}
		if more == 0 || shown+more != len(s.Lines) {
			t.Errorf("%s: %d lines shown and %d more, of %d", lang, shown, more, len(s.Lines))
		}
	}
}
