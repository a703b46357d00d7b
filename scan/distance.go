package scan

import (
	"math"

	"github.com/floorgate/floorgate"
)

// Nominal EAN/UPC symbols (100% magnification), as printed on retail goods.
const (
	eanXMM       = 0.33
	ean13Modules = 95 // EAN-13 and UPC-A
	ean8Modules  = 67
)

// Code 128 geometry.
const (
	code128Char   = 11 // modules per symbol character
	code128Stop   = 13 // modules of the stop pattern
	code128Digits = 4  // a digit run this long goes to code set C
)

// Distance is how far from the symbol the scan was read, in millimetres.
// A distance the device measured itself wins. Otherwise it follows from the
// decoder's image by the pinhole model, Z = f·W/L: f the focal length in
// pixels, W the symbol's printed width (SymbolWidthMM) and L its width in
// the image, the mean length of its top (TL–TR) and bottom (BL–BR) edges.
// known is false when neither is available or the numbers make no sense.
func Distance(sc floorgate.Scan, m floorgate.Match) (mm float64, known bool) {
	if sc.DistanceMM > 0 && !math.IsInf(sc.DistanceMM, 0) {
		return sc.DistanceMM, true
	}
	g := sc.Geometry
	if g == nil || !(g.FocalPx > 0) || g.ImageWidth <= 0 {
		return 0, false
	}
	w, ok := SymbolWidthMM(sc.Data, sc.AIM, m)
	if !ok {
		return 0, false
	}
	c := g.Corners // top-left, top-right, bottom-right, bottom-left
	l := (math.Hypot(c[1].X-c[0].X, c[1].Y-c[0].Y) + math.Hypot(c[2].X-c[3].X, c[2].Y-c[3].Y)) / 2
	if !(l > 0) {
		return 0, false
	}
	z := g.FocalPx * w / l
	// A NaN or infinite distance would also make the event unencodable.
	if !(z > 0) || math.IsInf(z, 0) {
		return 0, false
	}
	return z, true
}

// SymbolWidthMM is the printed width of the symbol a scan read, quiet zones
// excluded. A location's label is the Code 128 symbol floorgate printed,
// 11·(k+2)+13 modules of its X-dimension for k symbol characters. An item's
// width is the one on record, else the nominal width of its symbology:
// EAN-13/UPC-A 95 modules, EAN-8 67, at 0.33 mm. The symbology comes from the
// AIM identifier when there is one, else from the length of an all-digit
// code. known is false for anything else.
func SymbolWidthMM(data, aim string, m floorgate.Match) (mm float64, known bool) {
	switch m.Kind {
	case floorgate.MatchLocation:
		loc := m.Location
		if loc == nil || !(loc.LabelXMM > 0) {
			return 0, false
		}
		code := loc.Barcode
		if code == "" {
			code = data
		}
		k, ok := code128Chars(code)
		if !ok {
			return 0, false
		}
		return float64(code128Modules(k)) * loc.LabelXMM, true
	case floorgate.MatchItem:
		if m.Item != nil && m.Item.SymbolWidthMM > 0 && !math.IsInf(m.Item.SymbolWidthMM, 0) {
			return m.Item.SymbolWidthMM, true
		}
		switch aim {
		case "]E0":
			return ean13Modules * eanXMM, true
		case "]E4":
			return ean8Modules * eanXMM, true
		case "":
			if !allDigits(data) {
				return 0, false
			}
			switch len(data) {
			case 12, 13:
				return ean13Modules * eanXMM, true
			case 8:
				return ean8Modules * eanXMM, true
			}
		}
	}
	return 0, false
}

// code128Modules is the width in modules of a Code 128 symbol of k symbol
// characters: start, data, check digit and the 13-module stop.
func code128Modules(k int) int { return code128Char*(k+2) + code128Stop }

// code128Chars counts the symbol characters (data and code switches, not
// start, check or stop) of s in a near-optimal encoding: code set B one
// character each, runs of four or more digits in code set C two digits a
// character, an all-digit string of even length entirely in C. A run of odd
// length leaves one digit in B, on the side that needs no extra switch.
// Control characters take a shift to code set A. ok is false for an empty
// string or one with bytes Code 128 cannot carry.
func code128Chars(s string) (k int, ok bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] > 0x7f {
			return 0, false
		}
	}
	if len(s)%2 == 0 && allDigits(s) {
		return len(s) / 2, true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if !isDigit(c) {
			k++
			if c < 0x20 {
				k++ // SHIFT to code set A for one character
			}
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		run := j - i
		if run < code128Digits {
			k += run
			i = j
			continue
		}
		k += run/2 + run%2
		switches := 0
		if i > 0 {
			switches++ // CODE C after the code B before it
		}
		if j < len(s) {
			switches++ // CODE B after it
		}
		if switches == 0 {
			switches = 1 // an odd all-digit string: C for the pairs, B for the last digit
		}
		k += switches
		i = j
	}
	return k, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
