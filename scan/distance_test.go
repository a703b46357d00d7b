package scan_test

import (
	"math"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

const ean13 = "4006381333931"

// TestDistance checks the pinhole model against PRODUCT.md's example: a
// 1920 px camera with a 65° field of view has f ≈ 1507 px, and an EAN-13 at
// X = 0.33 mm (31.35 mm) is ≈ 945 px wide at 50 mm and ≈ 472 px at 100 mm.
func TestDistance(t *testing.T) {
	if math.Abs(focal-1507) > 1 {
		t.Fatalf("example focal length %.1f px, want ≈ 1507", focal)
	}
	ean := floorgate.Match{Kind: floorgate.MatchItem, Item: &floorgate.Item{SKU: "RED"}}
	eanScan := func(g *floorgate.Geometry) floorgate.Scan {
		return floorgate.Scan{Data: ean13, AIM: "]E0", Geometry: g}
	}
	rotated := func(lpx, deg float64) *floorgate.Geometry {
		a := deg * math.Pi / 180
		dx, dy := lpx*math.Cos(a), lpx*math.Sin(a)
		hx, hy := -40*math.Sin(a), 40*math.Cos(a) // the bars' height, at right angles
		tl := floorgate.Point{X: 500, Y: 300}
		return &floorgate.Geometry{ImageWidth: 1920, FocalPx: focal, Corners: [4]floorgate.Point{
			tl, {X: tl.X + dx, Y: tl.Y + dy}, {X: tl.X + dx + hx, Y: tl.Y + dy + hy}, {X: tl.X + hx, Y: tl.Y + hy}}}
	}
	keystone := geom(945)
	keystone.Corners[1].X -= 10 // top edge 935 px
	keystone.Corners[2].X += 10 // bottom edge 955 px: the mean is 945

	cases := []struct {
		name  string
		sc    floorgate.Scan
		m     floorgate.Match
		mm    float64
		known bool
	}{
		{name: "EAN-13 945 px wide is 5 cm away", sc: eanScan(geom(945)), m: ean, mm: 50, known: true},
		{name: "EAN-13 472 px wide is 10 cm away", sc: eanScan(geom(472)), m: ean, mm: 100, known: true},
		{name: "EAN-13 by its digits, no AIM", sc: floorgate.Scan{Data: ean13, Geometry: geom(945)}, m: ean, mm: 50, known: true},
		{name: "the mean of top and bottom edges", sc: eanScan(keystone), m: ean, mm: 50, known: true},
		{name: "a tilted symbol is measured along its edges", sc: eanScan(rotated(472, 30)), m: ean, mm: 100, known: true},
		{name: "the item's own printed width", sc: floorgate.Scan{Data: "X1", Geometry: geom(800)},
			m: floorgate.Match{Kind: floorgate.MatchItem, Item: &floorgate.Item{SKU: "X", SymbolWidthMM: 40}}, mm: focal * 40 / 800, known: true},
		{name: "a location label of known X-dimension", sc: floorgate.Scan{Data: barA, Geometry: geom(focal * locAWidth / 80)}, m: locA, mm: 80, known: true},
		{name: "a measured distance wins over geometry", sc: floorgate.Scan{Data: ean13, DistanceMM: 72, Geometry: geom(945)}, m: ean, mm: 72, known: true},
		{name: "a measured distance needs no match", sc: floorgate.Scan{Data: "??", DistanceMM: 64}, m: floorgate.Match{}, mm: 64, known: true},

		{name: "nothing to go by", sc: floorgate.Scan{Data: ean13}, m: ean},
		{name: "an infinite measurement", sc: floorgate.Scan{Data: ean13, DistanceMM: math.Inf(1)}, m: ean},
		{name: "a NaN measurement and no geometry", sc: floorgate.Scan{Data: ean13, DistanceMM: math.NaN()}, m: ean},
		{name: "no focal length", sc: eanScan(&floorgate.Geometry{Corners: geom(945).Corners, ImageWidth: 1920}), m: ean},
		{name: "no image width", sc: eanScan(&floorgate.Geometry{Corners: geom(945).Corners, FocalPx: focal}), m: ean},
		{name: "a NaN focal length", sc: eanScan(&floorgate.Geometry{Corners: geom(945).Corners, ImageWidth: 1920, FocalPx: math.NaN()}), m: ean},
		{name: "corners all in one point", sc: eanScan(&floorgate.Geometry{ImageWidth: 1920, FocalPx: focal}), m: ean},
		{name: "NaN corners", sc: eanScan(geom(math.NaN())), m: ean},
		{name: "infinite corners", sc: eanScan(geom(math.Inf(1))), m: ean},
		{name: "a symbol of unknown width", sc: floorgate.Scan{Data: "ABC-123", AIM: "]C0", Geometry: geom(500)},
			m: floorgate.Match{Kind: floorgate.MatchItem, Item: &floorgate.Item{SKU: "X"}}},
		{name: "a location label of unknown X-dimension", sc: floorgate.Scan{Data: barB, Geometry: geom(500)},
			m: floorgate.Match{Kind: floorgate.MatchLocation, Location: &floorgate.Location{Code: "B-02-05", Barcode: barB}}},
		{name: "an unknown barcode", sc: floorgate.Scan{Data: ean13, Geometry: geom(945)}, m: floorgate.Match{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mm, known := scan.Distance(c.sc, c.m)
			if known != c.known || (known && math.Abs(mm-c.mm) > c.mm*0.01) || (!known && mm != 0) {
				t.Errorf("Distance = %v, %v; want %v, %v (within 1%%)", mm, known, c.mm, c.known)
			}
		})
	}
}

func TestSymbolWidthMM(t *testing.T) {
	item := func(width float64) floorgate.Match {
		return floorgate.Match{Kind: floorgate.MatchItem, Item: &floorgate.Item{SKU: "X", SymbolWidthMM: width}}
	}
	loc := func(barcode string, x float64) floorgate.Match {
		return floorgate.Match{Kind: floorgate.MatchLocation, Location: &floorgate.Location{Code: "L", Barcode: barcode, LabelXMM: x}}
	}
	cases := []struct {
		name  string
		data  string
		aim   string
		m     floorgate.Match
		mm    float64
		known bool
	}{
		{name: "EAN-13 by AIM", data: ean13, aim: "]E0", m: item(0), mm: 31.35, known: true},
		{name: "EAN-13 by its 13 digits", data: ean13, m: item(0), mm: 31.35, known: true},
		{name: "UPC-A by its 12 digits", data: "036000291452", m: item(0), mm: 31.35, known: true},
		{name: "EAN-8 by AIM", data: "96385074", aim: "]E4", m: item(0), mm: 67 * 0.33, known: true},
		{name: "EAN-8 by its 8 digits", data: "96385074", m: item(0), mm: 22.11, known: true},
		{name: "the item's own width wins", data: ean13, aim: "]E0", m: item(37.29), mm: 37.29, known: true},
		{name: "13 digits in another symbology", data: ean13, aim: "]C0", m: item(0)},
		{name: "GS1-128", data: "0104006381333931", aim: "]C1", m: item(0)},
		{name: "10 digits, no AIM", data: "0123456789", m: item(0)},
		{name: "letters, no AIM", data: "ABCDEFGHIJKLM", m: item(0)},
		{name: "an item match without an item", data: ean13, aim: "]E0", m: floorgate.Match{Kind: floorgate.MatchItem}, mm: 31.35, known: true},
		{name: "location label at ^BY2 (0.25 mm)", data: "A-01-02-03", m: loc("A-01-02-03", 0.25), mm: 145 * 0.25, known: true},
		{name: "location uses its own barcode over the data", data: "whatever", m: loc("A-01-02-03", 1), mm: 145, known: true},
		{name: "location without a barcode uses the data", data: "A-01-02-03", m: loc("", 1), mm: 145, known: true},
		{name: "location label of unknown X-dimension", data: "A-01-02-03", m: loc("A-01-02-03", 0)},
		{name: "location barcode Code 128 cannot carry", data: "库位-01", m: loc("库位-01", 0.25)},
		{name: "a location match without a location", data: "A-01", m: floorgate.Match{Kind: floorgate.MatchLocation}},
		{name: "no match", data: ean13, aim: "]E0", m: floorgate.Match{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mm, known := scan.SymbolWidthMM(c.data, c.aim, c.m)
			if known != c.known || math.Abs(mm-c.mm) > 1e-9 {
				t.Errorf("SymbolWidthMM = %v, %v; want %v, %v", mm, known, c.mm, c.known)
			}
		})
	}
}

// TestCode128Modules checks symbol widths worked out by hand: k symbol
// characters make 11·(k+2)+13 modules (start, data, check, 13-module stop).
func TestCode128Modules(t *testing.T) {
	cases := []struct {
		data    string
		k       int // symbol characters, as counted by hand
		modules int
	}{
		{"A-01-02-03", 10, 145},   // code B throughout: digit pairs are too short for C
		{"A", 1, 46},              // one B character
		{"12", 1, 46},             // start C, "12"
		{"123", 3, 68},            // three B characters (C would take as many)
		{"1234", 2, 57},           // start C, "12" "34"
		{"12345678", 4, 79},       // start C, four pairs
		{"12345", 4, 79},          // start C, "12" "34", CODE B, "5"
		{"1234A", 4, 79},          // start C, "12" "34", CODE B, "A"
		{"LOC12345678", 8, 123},   // "L" "O" "C", CODE C, four pairs
		{"A12345", 5, 90},         // "A" "1", CODE C, "23" "45"
		{"A1234B", 6, 101},        // "A", CODE C, "12" "34", CODE B, "B"
		{"A123456B", 7, 112},      // "A", CODE C, three pairs, CODE B, "B"
		{"A-01-01", 7, 112},       // B throughout
		{"AB-0001234-C", 11, 156}, // "A" "B" "-" "0", CODE C, "00" "12" "34", CODE B, "-" "C"
		{"A\tB", 4, 79},           // the tab needs a SHIFT to code set A
	}
	for _, c := range cases {
		t.Run(c.data, func(t *testing.T) {
			if want := 11*(c.k+2) + 13; want != c.modules {
				t.Fatalf("bad case: k=%d makes %d modules, not %d", c.k, want, c.modules)
			}
			m := floorgate.Match{Kind: floorgate.MatchLocation, Location: &floorgate.Location{Code: "L", Barcode: c.data, LabelXMM: 1}}
			mm, known := scan.SymbolWidthMM(c.data, "", m)
			if !known || mm != float64(c.modules) {
				t.Errorf("%q: %v modules (known %v), want %d", c.data, mm, known, c.modules)
			}
		})
	}
}
