package label

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
)

// residentZPLFont is the CJK font ^A@ selects when Options.ResidentCJK is
// set: Zebra's optional Simplified Chinese font on drive E:.
const residentZPLFont = "E:SIMSUN.TTF"

// zpl renders ZPL II (Zebra ZPL II Programming Guide: ^XA, ^PW, ^LL, ^FO,
// ^A, ^FB, ^FH, ^GB, ^GF, ^BY, ^BC, ^BQ, ^CI).
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
		fmt.Fprintf(b, "^FO%d,%d^GFA,%d,%d,%d,%s^FS\n", r.d(t.X), r.d(t.Y), n, n, bm.stride, strings.ToUpper(hex.EncodeToString(bm.bits)))
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

// zplEscape hex-escapes the characters ^FH gives meaning to or that would
// end the field.
func zplEscape(s string) string {
	return strings.NewReplacer("_", "_5F", "^", "_5E", "~", "_7E").Replace(s)
}

func (r *renderer) zplBarcode(b *bytes.Buffer, bc Barcode) error {
	md, err := ModuleDots(bc.ModuleMM, r.o.DPI)
	if err != nil {
		return err
	}
	x, y := r.d(bc.X), r.d(bc.Y)
	switch bc.Kind {
	case QR:
		if md > 10 {
			return fmt.Errorf("qr: module %d dots is above ^BQ's magnification 10", md)
		}
		fmt.Fprintf(b, "^FO%d,%d^BQN,2,%d^FH_^FDMA,%s^FS\n", x, y, md, zplEscape(bc.Data))
		return nil
	case Code128, GS1128:
		if err := checkCode128(bc.Data); err != nil {
			return fmt.Errorf("barcode %q: %w", bc.Data, err)
		}
		h := r.d(bc.HeightMM)
		fmt.Fprintf(b, "^FO%d,%d^BY%d,3,%d^BCN,%d,N,N,N,N^FH_^FD%s^FS\n", x, y, md, h, h, zplData(bc.Data, bc.Kind == GS1128))
		return nil
	}
	return fmt.Errorf("unknown symbology %d", bc.Kind)
}

func zplData(data string, gs1 bool) string {
	s, _ := zplCode128(data, gs1)
	return s
}

// zplCode128 spells data for ^BC mode N with explicit invocation codes
// (ZPL guide, ^BC "Code 128 invocation characters"): >: start B, >; start
// C, >5 code C, >6 code B, >8 FNC1. Runs of four or more digits go in code
// set C, two digits per symbol; GS in GS1 data becomes FNC1. It also
// returns the number of symbol characters between the start and the check
// character, for the symbol's width: 11·(k+2)+13 modules.
func zplCode128(data string, gs1 bool) (string, int) {
	var b strings.Builder
	k := 0
	digits := func(i int) int {
		n := 0
		for i+n < len(data) && data[i+n] >= '0' && data[i+n] <= '9' {
			n++
		}
		return n
	}
	setC := digits(0) >= 4 || (digits(0) == len(data) && len(data)%2 == 0) || (gs1 && digits(0) >= 2)
	if setC {
		b.WriteString(">;")
	} else {
		b.WriteString(">:")
	}
	if gs1 {
		b.WriteString(">8")
		k++
	}
	for i := 0; i < len(data); {
		k++
		c := data[i]
		if c == 0x1d {
			b.WriteString(">8")
			i++
			continue
		}
		if n := digits(i); setC && n >= 2 {
			b.WriteString(data[i : i+2])
			i += 2
			continue
		} else if !setC && n >= 4 {
			b.WriteString(">5")
			setC = true
			continue
		}
		if setC {
			b.WriteString(">6")
			setC = false
			k++
		}
		switch c {
		case '>':
			b.WriteString("><")
		case '~':
			b.WriteString(">=")
		case '^':
			b.WriteString("_5E")
		case '_':
			b.WriteString("_5F")
		default:
			b.WriteByte(c)
		}
		i++
	}
	return b.String(), k
}
