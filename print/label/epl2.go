package label

import (
	"bytes"
	"fmt"
)

// epl2 renders EPL2 (Zebra EPL Programming Guide: N, q, Q, R, ZT, GW, LO,
// X, P).
//
// Text, barcodes and pictures are all sent as GW graphics drawn by this
// package's own raster, so the label prints exactly as its PNG:
//   - the resident fonts are fixed bitmap fonts with whole-number
//     multipliers and no CJK, so neither our line wrapping, Fit, alignment
//     nor the Chinese text could be reproduced with A;
//   - B's Code 128 subset switching (and its UCC/EAN-128 FNC1 handling)
//     differs between EPL2 printers and emulations, while bars drawn from
//     modules() at whole-dot widths are the same everywhere;
//   - b (QR) exists only on some models.
//
// Whether GW ORs into the image buffer or overwrites it is not said by the
// guide, so graphics that overlap are merged into one GW and no two GW
// rectangles overlap; lines and boxes (LO, X) come after them and only add
// black. Either way the printed dots are those of the raster.
func (r *renderer) epl2() ([]byte, error) {
	w, h := r.sizeDots()
	g := newBitmap(w, h)
	var rects []rect
	for i, e := range r.l.Elements {
		var (
			bm     *bitmap
			x0, y0 int
		)
		switch e := e.(type) {
		case Text:
			lines, err := r.layout(e)
			if err != nil {
				return nil, fmt.Errorf("elements[%d]: %w", i, err)
			}
			// Drawn label-sized, as raster() draws it: a glyph may reach
			// past its box (a bold stroke), and it must not be cut there.
			bm = g.layer(func(b *bitmap) { r.drawText(b, e, lines, r.d(e.X), r.d(e.Y)) })
		case Barcode:
			var err error
			bm = g.layer(func(b *bitmap) { err = r.drawBarcode(b, e) })
			if err != nil {
				return nil, fmt.Errorf("elements[%d]: %w", i, err)
			}
		case Picture:
			bm, x0, y0 = r.pictureBitmap(e), r.d(e.X), r.d(e.Y)
		default:
			continue
		}
		if rc, ok := bm.inkRect(); ok {
			g.blit(bm, x0, y0)
			rects = append(rects, rc.add(x0, y0).clip(w, h))
		}
	}
	var b bytes.Buffer
	// The leading LF ends anything a previous, broken job left half sent.
	fmt.Fprintf(&b, "\nN\nq%d\nQ%d,%d\nR0,0\nZT\n", w, h, r.d(2))
	for _, rc := range mergeRects(rects) {
		epl2Graphic(&b, g, rc)
	}
	for _, e := range r.l.Elements {
		switch e := e.(type) {
		case Line:
			x, y, lw, lh := r.lineRect(e)
			fmt.Fprintf(&b, "LO%d,%d,%d,%d\n", x, y, lw, lh)
		case Box:
			x, y := r.d(e.X), r.d(e.Y)
			fmt.Fprintf(&b, "X%d,%d,%d,%d,%d\n", x, y, max(1, r.d(e.ThickMM)), x+r.d(e.W), y+r.d(e.H))
		}
	}
	b.WriteString("P1\n")
	return b.Bytes(), nil
}

// epl2Graphic sends the part rc of g as GW. In GW data a 0 bit prints and
// a 1 bit is paper (the guide's own example draws a box outline with
// 0x0000 rows and 0x7FFE sides), the reverse of the bitmap, so it is
// inverted; the pad bits past rc's right edge stay 1, paper.
//
// A GW row is whole bytes. When the pad bits would reach past the image
// buffer (q, rounded up to a byte) — ink up to the label's right edge that
// starts off a byte boundary — the graphic starts up to 7 dots further
// left instead, as wide in bytes: those dots are g's own, so whatever GW
// already drew there is drawn again the same.
func epl2Graphic(b *bytes.Buffer, g *bitmap, rc rect) {
	stride := (rc.w + 7) / 8
	if over := rc.x + stride*8 - g.stride*8; over > 0 {
		rc.x, rc.w = rc.x-over, rc.w+over
	}
	fmt.Fprintf(b, "GW%d,%d,%d,%d,", rc.x, rc.y, stride, rc.h)
	row := make([]byte, stride)
	for y := rc.y; y < rc.y+rc.h; y++ {
		for i := range row {
			row[i] = 0xff
		}
		for i := 0; i < rc.w; i++ {
			x := rc.x + i
			if g.bits[y*g.stride+x/8]&(0x80>>(x%8)) != 0 {
				row[i/8] &^= 0x80 >> (i % 8)
			}
		}
		b.Write(row)
	}
	b.WriteByte('\n')
}

// rect is a rectangle in dots.
type rect struct{ x, y, w, h int }

func (a rect) add(dx, dy int) rect { return rect{a.x + dx, a.y + dy, a.w, a.h} }

func (a rect) clip(w, h int) rect {
	x0, y0 := max(a.x, 0), max(a.y, 0)
	x1, y1 := min(a.x+a.w, w), min(a.y+a.h, h)
	return rect{x0, y0, max(0, x1-x0), max(0, y1-y0)}
}

func (a rect) overlaps(b rect) bool {
	return a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h
}

func (a rect) union(b rect) rect {
	x0, y0 := min(a.x, b.x), min(a.y, b.y)
	x1, y1 := max(a.x+a.w, b.x+b.w), max(a.y+a.h, b.y+b.h)
	return rect{x0, y0, x1 - x0, y1 - y0}
}

// mergeRects joins overlapping rectangles until none overlap, keeping the
// order of the first of each group; empty ones are dropped.
func mergeRects(rs []rect) []rect {
	var out []rect
	for _, r := range rs {
		if r.w > 0 && r.h > 0 {
			out = append(out, r)
		}
	}
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(out) && !merged; i++ {
			for j := i + 1; j < len(out); j++ {
				if out[i].overlaps(out[j]) {
					out[i] = out[i].union(out[j])
					out = append(out[:j], out[j+1:]...)
					merged = true
					break
				}
			}
		}
	}
	return out
}

// layer draws with draw on a fresh bitmap of b's size and returns it.
func (b *bitmap) layer(draw func(*bitmap)) *bitmap {
	l := newBitmap(b.w, b.h)
	draw(l)
	return l
}

// inkRect is the smallest rectangle holding all of b's ink.
func (b *bitmap) inkRect() (rect, bool) {
	x0, y0, x1, y1 := b.w, b.h, -1, -1
	for y := 0; y < b.h; y++ {
		for i, v := range b.bits[y*b.stride : (y+1)*b.stride] {
			if v == 0 {
				continue
			}
			for k := 0; k < 8; k++ {
				if v&(0x80>>k) != 0 {
					x := i*8 + k
					x0, x1 = min(x0, x), max(x1, x)
				}
			}
			y0, y1 = min(y0, y), max(y1, y)
		}
	}
	if x1 < 0 {
		return rect{}, false
	}
	return rect{x0, y0, x1 - x0 + 1, y1 - y0 + 1}, true
}
