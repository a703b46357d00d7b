package template

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/scan"
)

// TestLocationWidthIsTheScanEngines fills the shipped location template,
// renders its ZPL and measures the barcode's ^GF graphic, bar by bar: every
// bar and space is a whole number of modules of exactly the X-dimension
// asked, and the symbol is as wide as the scan engine computes from the
// location's barcode and LabelXMM (scan.SymbolWidthMM), which the scan
// distance check divides by. A barcode too wide for the label at the
// X-dimension asked is refused, never printed narrower.
func TestLocationWidthIsTheScanEngines(t *testing.T) {
	set, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	tp, ok := set.Get("location")
	if !ok {
		t.Fatal("no shipped location template")
	}
	boxW := 0.0 // the barcode's box, quiet zones included
	for _, e := range tp.Elements {
		if e.Type == "code128" {
			boxW = e.W
		}
	}
	for _, code := range []string{"A010203", "B-07-01", "A-01-02-03", "LOC-0042", "12345678", "C1204"} {
		for _, tt := range []struct {
			xdim float64
			dpi  int
			dots int
		}{{0.125, 203, 1}, {0.25, 203, 2}, {0.375, 203, 3}, {0.5, 203, 4}, {0.25, 300, 3}, {1.0 / 3, 300, 4}, {0.5, 300, 6}} {
			t.Run(fmt.Sprintf("%s/%.3g@%d", code, tt.xdim, tt.dpi), func(t *testing.T) {
				loc := floorgate.Location{Code: "L-" + code, Zone: "常温", Barcode: code, LabelXMM: tt.xdim}
				l, err := tp.Location(loc, tt.xdim, "zh")
				if n, _ := label.Code128Width(code, false); float64(n+2*label.QuietModules)*tt.xdim > boxW {
					// Too wide for the label at this X-dimension: refused, never shrunk.
					var fe *floorgate.FieldError
					if !errors.As(err, &fe) || fe.Field != "barcode" {
						t.Fatalf("%d modules of %g mm do not fit %g mm, yet Location says %v", n, tt.xdim, boxW, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				bc := onlyBarcode(t, l)
				if bc.ModuleMM != tt.xdim {
					t.Fatalf("the label's barcode is at %g mm, asked %g", bc.ModuleMM, tt.xdim)
				}
				z, err := label.Render(l, label.ZPL, label.Options{DPI: tt.dpi})
				if err != nil {
					t.Fatal(err)
				}
				dpmm, _ := label.DotsPerMM(tt.dpi)
				runs := zplGraphicRuns(t, z, round(bc.X*dpmm), round(bc.Y*dpmm), round(bc.HeightMM*dpmm)/2)
				span, narrowest := 0, math.MaxInt
				for i, r := range runs {
					if r%tt.dots != 0 || r/tt.dots < 1 || r/tt.dots > 4 {
						t.Fatalf("bar or space %d is %d dots, not 1–4 modules of %d dots", i, r, tt.dots)
					}
					span += r
					narrowest = min(narrowest, r)
				}
				if narrowest != tt.dots {
					t.Errorf("narrowest bar or space is %d dots, want %d (%g mm at %d dpi)", narrowest, tt.dots, tt.xdim, tt.dpi)
				}
				want, known := scan.SymbolWidthMM(code, "", floorgate.Match{Kind: floorgate.MatchLocation, Location: &loc})
				if !known {
					t.Fatal("the scan engine does not know the symbol's width")
				}
				if got := float64(span) / dpmm; math.Abs(got-want) > 1e-9 {
					t.Errorf("printed symbol is %d dots = %g mm wide, the scan engine computes %g mm", span, got, want)
				}
			})
		}
	}
}

func onlyBarcode(t *testing.T, l label.Label) label.Barcode {
	t.Helper()
	var out []label.Barcode
	for _, e := range l.Elements {
		if bc, ok := e.(label.Barcode); ok {
			out = append(out, bc)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d barcodes on the label, want 1", len(out))
	}
	return out[0]
}

func round(f float64) int { return int(math.Round(f)) }

var zplGF = regexp.MustCompile(`\^FO(\d+),(\d+)\^GFA,(\d+),(\d+),(\d+),([0-9A-F]*)\^FS`)

// zplGraphicRuns finds the ^GFA graphic placed at x,y in a ZPL job and
// returns the widths in dots of the alternating bar and space runs on its
// row, first bar to last.
func zplGraphicRuns(t *testing.T, job []byte, x, y, row int) []int {
	t.Helper()
	for _, m := range zplGF.FindAllSubmatch(job, -1) {
		var v [5]int
		for i := range v {
			v[i], _ = strconv.Atoi(string(m[1+i]))
		}
		if v[0] != x || v[1] != y {
			continue
		}
		data, err := hex.DecodeString(string(m[6]))
		if err != nil || len(data) != v[2] || v[2] != v[3] || v[2]%v[4] != 0 {
			t.Fatalf("^GFA,%d,%d,%d with %d data bytes (%v)", v[2], v[3], v[4], len(data), err)
		}
		stride := v[4]
		if row >= v[2]/stride {
			t.Fatalf("row %d of a %d-row graphic", row, v[2]/stride)
		}
		bits := data[row*stride : (row+1)*stride]
		ink := func(i int) bool { return bits[i/8]&(0x80>>(i%8)) != 0 }
		if !ink(0) {
			t.Fatal("the graphic does not start with a bar at its ^FO")
		}
		var runs []int
		for i := 0; i < stride*8; {
			j := i
			for j < stride*8 && ink(j) == ink(i) {
				j++
			}
			if j == stride*8 && !ink(i) {
				break // padding after the last bar
			}
			runs = append(runs, j-i)
			i = j
		}
		return runs
	}
	t.Fatalf("no ^GFA graphic at %d,%d in the job", x, y)
	return nil
}
