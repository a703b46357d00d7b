package label

import (
	"bytes"
	"fmt"
	"strings"
)

// residentZPLFont is the CJK font ^A@ selects when Options.ResidentCJK is
// set: Zebra's optional Simplified Chinese font on drive E:.
const residentZPLFont = "E:SIMSUN.TTF"

// zpl renders ZPL II (Zebra ZPL II Programming Guide: ^XA, ^PW, ^LL, ^FO,
// ^A, ^FB, ^FH, ^GB, ^GF, ^CI).
func (r *renderer) zpl() ([]byte, error) {
	var b bytes.Buffer
	w, h := r.sizeDots()
	fmt.Fprintf(&b, "^XA\n^PW%d\n^LL%d\n^LH0,0\n", w, h)
	if r.o.ResidentCJK {
		b.WriteString("^CI28\n")
	}
	for i, e := range r.l.Elements {
		switch e := e.(type) {
		case Text:
			if err := r.zplText(&b, e); err != nil {
				return nil, fmt.Errorf("elements[%d]: %w", i, err)
			}
		case Barcode:
			if err := r.zplBarcode(&b, e); err != nil {
				return nil, fmt.Errorf("elements[%d]: %w", i, err)
			}
		case Line:
			x, y, lw, lh := r.lineRect(e)
			fmt.Fprintf(&b, "^FO%d,%d^GB%d,%d,%d^FS\n", x, y, lw, lh, min(lw, lh))
		case Box:
			fmt.Fprintf(&b, "^FO%d,%d^GB%d,%d,%d^FS\n", r.d(e.X), r.d(e.Y), r.d(e.W), r.d(e.H), max(1, r.d(e.ThickMM)))
		case Picture:
			zplGraphic(&b, r.d(e.X), r.d(e.Y), r.pictureBitmap(e))
		}
	}
	b.WriteString("^XZ\n")
	return b.Bytes(), nil
}

func (r *renderer) zplText(b *bytes.Buffer, t Text) error {
	if !isASCII(t.Text) && !r.o.ResidentCJK {
		bm, err := r.textBitmap(t)
		if err != nil || bm.empty() {
			return err
		}
		n := len(bm.bits)
		fmt.Fprintf(b, "^FO%d,%d^GFA,%d,%d,%d,", r.d(t.X), r.d(t.Y), n, n, bm.stride)
		upperHex(b, bm.bits)
		b.WriteString("^FS\n")
		return nil
	}
	lines, err := r.layout(t)
	if err != nil {
		return err
	}
	font := "0"
	if !isASCII(t.Text) {
		font = "@"
	}
	just := [...]string{AlignLeft: "L", AlignCenter: "C", AlignRight: "R"}[t.Align]
	passes := 1
	if t.Bold {
		passes = 2 // the scalable font has no bold: strike twice, a dot apart
	}
	for _, ln := range lines {
		for p := 0; p < passes; p++ {
			fmt.Fprintf(b, "^FO%d,%d^A%sN,%d,%d", r.d(t.X)+p, r.d(t.Y)+ln.y, font, ln.px, ln.px)
			if font == "@" {
				fmt.Fprintf(b, ",%s", residentZPLFont)
			}
			fmt.Fprintf(b, "^FB%d,1,0,%s^FH_^FD%s^FS\n", r.d(t.W), just, zplEscape(ln.s))
		}
	}
	return nil
}

// zplGraphic sends bm at x,y as a ^GFA field: hex, 1 = ink, as the
// bitmap is laid out.
func zplGraphic(b *bytes.Buffer, x, y int, bm *bitmap) {
	if bm.empty() {
		return
	}
	n := len(bm.bits)
	fmt.Fprintf(b, "^FO%d,%d^GFA,%d,%d,%d,", x, y, n, n, bm.stride)
	upperHex(b, bm.bits)
	b.WriteString("^FS\n")
}

// zplEscape hex-escapes the characters ^FH gives meaning to or that would
// end the field.
func zplEscape(s string) string {
	return strings.NewReplacer("_", "_5F", "^", "_5E", "~", "_7E").Replace(s)
}

// zplBarcode sends a barcode as a ^GF graphic of the very dots the raster
// draws (drawBarcode: whole-dot modules), not as ^BC or ^BQ, which ZPL
// interpreters do not read alike (docs/labels.md): in ^BC mode N one drops
// the character after a >6 and keeps >5 runs in code set B; mode A picks
// its own code sets, so the width is the printer's, and spells >8 as text;
// ^BQ lands below its ^FO by the last ^BY height on some, and stops at
// magnification 10. A graphic is the same on every printer and exactly as
// wide as the layout measured (Code128Width), so a location label's
// X-dimension, which the scan engine's distance check relies on, is exact.
// Templates draw the human-readable text themselves.
func (r *renderer) zplBarcode(b *bytes.Buffer, bc Barcode) error {
	md, err := ModuleDots(bc.ModuleMM, r.o.DPI)
	if err != nil {
		return err
	}
	m, err := modules(bc)
	if err != nil {
		return err
	}
	w, h := len(m[0])*md, r.d(bc.HeightMM)
	if bc.Kind == QR {
		h = len(m) * md
	}
	bm := newBitmap(w, max(1, h))
	at := bc
	at.X, at.Y = 0, 0
	if err := r.drawBarcode(bm, at); err != nil {
		return err
	}
	zplGraphic(b, r.d(bc.X), r.d(bc.Y), bm)
	return nil
}

// upperHex writes bits as upper-case hex, as ^GF's ASCII form carries it.
func upperHex(b *bytes.Buffer, bits []byte) {
	const digits = "0123456789ABCDEF"
	b.Grow(2 * len(bits))
	for _, c := range bits {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&0x0f])
	}
}
