package label

import (
	"bytes"
	"fmt"
	"math"
	"strings"
)

// residentTSPLFont is the Simplified Chinese bitmap font (24×24 dots) that
// TSC, Gprinter and Xprinter models carry; TEXT scales it by whole
// multiples.
const residentTSPLFont = "TSS24.BF2"

// tspl renders TSPL/TSPL2 (TSC TSPL/TSPL2 Programming Manual: SIZE, GAP,
// CLS, TEXT, BARCODE, QRCODE, BAR, BOX, BITMAP, PRINT). A Picture goes as
// a BITMAP.
func (r *renderer) tspl() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "SIZE %s mm,%s mm\r\nGAP 2 mm,0 mm\r\nDIRECTION 1\r\n", num(r.l.WidthMM), num(r.l.HeightMM))
	if r.o.ResidentCJK {
		b.WriteString("CODEPAGE UTF-8\r\n")
	}
	b.WriteString("CLS\r\n")
	for i, e := range r.l.Elements {
		switch e := e.(type) {
		case Text:
			if err := r.tsplText(&b, e); err != nil {
				return nil, fmt.Errorf("elements[%d]: %w", i, err)
			}
		case Barcode:
			if err := r.tsplBarcode(&b, e); err != nil {
				return nil, fmt.Errorf("elements[%d]: %w", i, err)
			}
		case Line:
			x, y, w, h := r.lineRect(e)
			fmt.Fprintf(&b, "BAR %d,%d,%d,%d\r\n", x, y, w, h)
		case Box:
			x, y := r.d(e.X), r.d(e.Y)
			fmt.Fprintf(&b, "BOX %d,%d,%d,%d,%d\r\n", x, y, x+r.d(e.W), y+r.d(e.H), max(1, r.d(e.ThickMM)))
		case Picture:
			r.tsplBitmap(&b, r.d(e.X), r.d(e.Y), r.pictureBitmap(e))
		}
	}
	b.WriteString("PRINT 1\r\n")
	return b.Bytes(), nil
}

func num(f float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0") }

// tsplQuote quotes s as a TSPL string: a double quote is \["], and a
// control character becomes a space, since CR or LF would end the command
// early and ESC starts the printer's immediate commands (<ESC>!R resets
// it): data must never be able to send a command. GS stays, as the FNC1
// separator of GS1 data.
func tsplQuote(s string) string {
	s = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != 0x1d) || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return `"` + strings.ReplaceAll(s, `"`, `\["]`) + `"`
}

func (r *renderer) tsplText(b *bytes.Buffer, t Text) error {
	if !isASCII(t.Text) && !r.o.ResidentCJK {
		bm, err := r.textBitmap(t)
		if err != nil {
			return err
		}
		r.tsplBitmap(b, r.d(t.X), r.d(t.Y), bm)
		return nil
	}
	lines, err := r.layout(t)
	if err != nil {
		return err
	}
	for _, ln := range lines {
		x, y := r.d(t.X)+ln.x, r.d(t.Y)+ln.y
		if isASCII(ln.s) {
			// Font "0" is the scalable font; its multipliers are points.
			pt := int(math.Round(float64(ln.px) / r.dpmm * 72 / 25.4))
			fmt.Fprintf(b, "TEXT %d,%d,\"0\",0,%d,%d,%s\r\n", x, y, pt, pt, tsplQuote(ln.s))
			continue
		}
		m := max(1, int(math.Round(float64(ln.px)/24)))
		fmt.Fprintf(b, "TEXT %d,%d,%q,0,%d,%d,%s\r\n", x, y, residentTSPLFont, m, m, tsplQuote(ln.s))
	}
	return nil
}

// tsplBitmap sends bm with BITMAP mode 0; TSPL prints 0 bits, so it is inverted.
func (r *renderer) tsplBitmap(b *bytes.Buffer, x, y int, bm *bitmap) {
	if bm.empty() {
		return
	}
	fmt.Fprintf(b, "BITMAP %d,%d,%d,%d,0,", x, y, bm.stride, bm.h)
	for _, v := range bm.bits {
		b.WriteByte(^v)
	}
	b.WriteString("\r\n")
}

func (r *renderer) tsplBarcode(b *bytes.Buffer, bc Barcode) error {
	md, err := ModuleDots(bc.ModuleMM, r.o.DPI)
	if err != nil {
		return err
	}
	x, y := r.d(bc.X), r.d(bc.Y)
	switch bc.Kind {
	case QR:
		fmt.Fprintf(b, "QRCODE %d,%d,M,%d,A,0,%s\r\n", x, y, md, tsplQuote(bc.Data))
		return nil
	case Code128, GS1128:
		// TSPL's BARCODE "128" lets the printer choose the code sets, so
		// the symbol's width differs from the layout's between firmwares
		// (as ZPL's ^BC does between interpreters), and EAN128's FNC1
		// handling differs too; bars drawn from our own encoding are the
		// same on all of them, exactly as wide as the layout measured.
		m, err := modules(bc)
		if err != nil {
			return err
		}
		row, h := m[0], r.d(bc.HeightMM)
		for i := 0; i < len(row); {
			if !row[i] {
				i++
				continue
			}
			j := i
			for j < len(row) && row[j] {
				j++
			}
			fmt.Fprintf(b, "BAR %d,%d,%d,%d\r\n", x+i*md, y, (j-i)*md, h)
			i = j
		}
		return nil
	}
	return fmt.Errorf("unknown symbology %d", bc.Kind)
}
