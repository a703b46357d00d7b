package label

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// paintEPL2 is a small EPL2 interpreter for the commands the renderer
// emits (N, q, Q, R, ZT, GW, LO, X, P): it paints the job's image buffer
// as a bitmap, 1 = ink. GW overwrites what is under it, the less forgiving
// reading of the guide, so a job that depends on GW ORing would fail here.
func paintEPL2(t *testing.T, job []byte) *bitmap {
	t.Helper()
	var bm *bitmap
	w, h := 0, 0
	ints := func(s string, n int) []int {
		f := strings.Split(s, ",")
		if len(f) != n {
			t.Fatalf("want %d parameters in %q", n, s)
		}
		out := make([]int, n)
		for i, v := range f {
			x, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("parameter %d of %q: %v", i+1, s, err)
			}
			out[i] = x
		}
		return out
	}
	need := func(cmd string) {
		if bm == nil {
			t.Fatalf("%s before q and Q sized the image buffer", cmd)
		}
	}
	p := job
	printed := false
	for len(p) > 0 {
		if printed {
			t.Fatalf("%q after P", p[:min(len(p), 20)])
		}
		if p[0] == '\n' {
			p = p[1:]
			continue
		}
		if bytes.HasPrefix(p, []byte("GW")) {
			need("GW")
			// GWp1,p2,p3,p4, then p3·p4 bytes of raw data.
			head := p[2:]
			n := 0
			for c := 0; c < 4; n++ {
				if n >= len(head) {
					t.Fatal("GW header runs off the job")
				}
				if head[n] == ',' {
					c++
				}
			}
			a := ints(string(head[:n-1]), 4)
			x, y, wb, rows := a[0], a[1], a[2], a[3]
			data := head[n:]
			if len(data) < wb*rows {
				t.Fatalf("GW%d,%d,%d,%d: %d data bytes, want %d", x, y, wb, rows, len(data), wb*rows)
			}
			if x < 0 || y < 0 || x+wb*8 > bm.stride*8 || y+rows > h {
				t.Fatalf("GW%d,%d,%d,%d is outside the %dx%d label", x, y, wb, rows, w, h)
			}
			for j := 0; j < rows; j++ {
				for i := 0; i < wb*8; i++ {
					ink := data[j*wb+i/8]&(0x80>>(i%8)) == 0 // 0 prints
					if x+i >= w {
						if ink {
							t.Fatalf("GW at %d,%d inks dot %d past the %d-dot label width", x, y, x+i, w)
						}
						continue
					}
					off, bit := (y+j)*bm.stride+(x+i)/8, byte(0x80>>((x+i)%8))
					bm.bits[off] &^= bit
					if ink {
						bm.bits[off] |= bit
					}
				}
			}
			p = data[wb*rows:]
			continue
		}
		end := bytes.IndexByte(p, '\n')
		if end < 0 {
			t.Fatalf("command %q does not end with LF", p[:min(len(p), 20)])
		}
		line := string(p[:end])
		p = p[end+1:]
		switch {
		case line == "N":
			if bm != nil {
				bm = newBitmap(w, h)
			}
		case line == "ZT", line == "R0,0":
		case strings.HasPrefix(line, "q"):
			w = ints(line[1:], 1)[0]
		case strings.HasPrefix(line, "Q"):
			a := ints(line[1:], 2)
			h = a[0]
			if w == 0 {
				t.Fatal("Q before q")
			}
			bm = newBitmap(w, h)
		case strings.HasPrefix(line, "LO"):
			need("LO")
			a := ints(line[2:], 4)
			bm.fill(a[0], a[1], a[2], a[3])
		case strings.HasPrefix(line, "X"):
			need("X")
			a := ints(line[1:], 5)
			x, y, th, x1, y1 := a[0], a[1], a[2], a[3], a[4]
			bm.fill(x, y, x1-x, th)
			bm.fill(x, y1-th, x1-x, th)
			bm.fill(x, y, th, y1-y)
			bm.fill(x1-th, y, th, y1-y)
		case line == "P1":
			need("P1")
			printed = true
		default:
			t.Fatalf("unknown EPL2 command %q", line[:min(len(line), 40)])
		}
	}
	if !printed {
		t.Fatal("job has no P1")
	}
	return bm
}

// sameBits fails unless got and want are the same size and every dot
// matches, naming the first that does not.
func sameBits(t *testing.T, what string, got, want *bitmap) {
	t.Helper()
	if got.w != want.w || got.h != want.h {
		t.Fatalf("%s: %dx%d dots, want %dx%d", what, got.w, got.h, want.w, want.h)
	}
	if bytes.Equal(got.bits, want.bits) {
		return
	}
	n, first := 0, ""
	for y := 0; y < want.h; y++ {
		for x := 0; x < want.w; x++ {
			m := byte(0x80 >> (x % 8))
			g, w := got.bits[y*got.stride+x/8]&m != 0, want.bits[y*want.stride+x/8]&m != 0
			if g != w {
				if n == 0 {
					first = fmt.Sprintf("%d,%d is %v, want %v", x, y, g, w)
				}
				n++
			}
		}
	}
	t.Errorf("%s: %d dots differ, first at %s", what, n, first)
}

// TestEPL2IsTheRaster paints every fixture's EPL2 job and compares it
// with the PNG raster dot for dot, at both resolutions; and a label whose
// bars run off its right edge from a dot that is not on a byte boundary, so
// a GW of whole bytes from there would reach past the image buffer.
func TestEPL2IsTheRaster(t *testing.T) {
	labels := fixtures()
	labels["off the edge"] = Label{Name: "off the edge", WidthMM: 40, HeightMM: 15, Elements: []Element{
		Barcode{X: 2.5, Y: 2, HeightMM: 10, ModuleMM: 0.25, Kind: Code128, Data: "SF1234567890123SF1234567890123"},
	}}
	for _, dpi := range []int{203, 300} {
		o := Options{DPI: dpi, Font: testFont(t)}
		for name, l := range labels {
			t.Run(fmt.Sprintf("%s@%d", name, dpi), func(t *testing.T) {
				job, err := Render(l, EPL2, o)
				if err != nil {
					t.Fatal(err)
				}
				r, _ := newRenderer(l, o)
				want, err := r.raster()
				if err != nil {
					t.Fatal(err)
				}
				sameBits(t, "EPL2 job", paintEPL2(t, job), want)
			})
		}
	}
}
