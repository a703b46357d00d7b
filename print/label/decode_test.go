package label

import (
	"image"
	"strings"
	"sync"
	"testing"
)

// code128Table maps a symbol's six element widths ("212222") to its value.
// It is read back from the encoder's own bars, so the decoder below checks
// what this package draws (widths, placement, quiet zones), not the
// encoder's table; the gozxing test checks that independently.
var code128Table = sync.OnceValue(func() map[string]int {
	widths := func(bits []bool) string {
		var b strings.Builder
		for i := 0; i < len(bits); {
			j := i
			for j < len(bits) && bits[j] == bits[i] {
				j++
			}
			b.WriteByte(byte('0' + j - i))
			i = j
		}
		return b.String()
	}
	row := func(s string) []bool {
		m, err := modules(Barcode{Kind: Code128, Data: s})
		if err != nil {
			panic(err)
		}
		return m[0]
	}
	t := map[string]int{}
	for v := 0; v <= 94; v++ {
		r := row(string(rune(32 + v)))
		t[widths(r[11:22])] = v
	}
	t[widths(row("a")[0:11])] = 104
	t[widths(row("1234")[0:11])] = 105
	// Values 95–102 only appear here as check symbols: (104 + va + 2·vb) mod 103.
	for c := 95; c <= 102; c++ {
		va := (c - 104 - 2*5 + 2*103) % 103
		r := row(string(rune(32+va)) + "%")
		t[widths(r[33:44])] = c
	}
	return t
})

// decodeCode128 finds a Code 128 symbol on a row of img and returns its
// data (FNC1 as GS, a leading FNC1 dropped) and its narrow bar in pixels.
func decodeCode128(t *testing.T, img image.Image) (string, int) {
	t.Helper()
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		var runs []int // widths of alternating ink and paper runs
		var inkAt []int
		prev, n := false, 0
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, _, _ := img.At(x, y).RGBA()
			ink := r < 0x8000
			if x > b.Min.X && ink != prev {
				runs = append(runs, n)
				n = 0
			}
			if ink && (x == b.Min.X || !prev) {
				inkAt = append(inkAt, len(runs))
			}
			n++
			prev = ink
		}
		runs = append(runs, n)
		for _, s := range inkAt {
			if data, unit, ok := decodeRuns(runs[s:]); ok {
				return data, unit
			}
		}
	}
	t.Fatal("no Code 128 found in the image")
	return "", 0
}

func decodeRuns(runs []int) (string, int, bool) {
	if len(runs) < 6 {
		return "", 0, false
	}
	sum := 0
	for _, r := range runs[:6] {
		sum += r
	}
	if sum%11 != 0 {
		return "", 0, false
	}
	unit := sum / 11
	table := code128Table()
	var vals []int
	for i := 0; i+6 <= len(runs); i += 6 {
		var k strings.Builder
		for _, r := range runs[i : i+6] {
			if r%unit != 0 || r/unit > 4 {
				return "", 0, false
			}
			k.WriteByte(byte('0' + r/unit))
		}
		if k.String() == "233111" && i+7 <= len(runs) && runs[i+6] == 2*unit {
			return interpret(vals, unit)
		}
		v, ok := table[k.String()]
		if !ok {
			return "", 0, false
		}
		vals = append(vals, v)
	}
	return "", 0, false
}

func interpret(vals []int, unit int) (string, int, bool) {
	if len(vals) < 2 || vals[0] < 103 {
		return "", 0, false
	}
	check := vals[0]
	for i, v := range vals[1 : len(vals)-1] {
		check += (i + 1) * v
	}
	if check%103 != vals[len(vals)-1] {
		return "", 0, false
	}
	var b strings.Builder
	set := vals[0] - 103 // 0 A, 1 B, 2 C
	for i, v := range vals[1 : len(vals)-1] {
		switch {
		case v == 102:
			if i > 0 {
				b.WriteByte(0x1d)
			}
		case v == 99:
			set = 2
		case v == 100 && set != 1:
			set = 1
		case v == 101 && set != 0:
			set = 0
		case set == 2:
			b.WriteByte(byte('0' + v/10))
			b.WriteByte(byte('0' + v%10))
		case set == 1:
			b.WriteByte(byte(v + 32))
		default:
			if v < 64 {
				b.WriteByte(byte(v + 32))
			} else {
				b.WriteByte(byte(v - 64))
			}
		}
	}
	return b.String(), unit, true
}
