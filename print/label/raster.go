package label

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"math"
	"strings"
	"sync"
	"unicode"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
)

// bitmap is a 1-bit image, rows packed MSB first, 1 = ink: the layout of
// ZPL ^GF, ESC/POS GS v 0 and (inverted) TSPL BITMAP.
type bitmap struct {
	w, h, stride int
	bits         []byte
}

func newBitmap(w, h int) *bitmap {
	s := (w + 7) / 8
	return &bitmap{w: w, h: h, stride: s, bits: make([]byte, s*h)}
}

func (b *bitmap) set(x, y int) {
	if x >= 0 && y >= 0 && x < b.w && y < b.h {
		b.bits[y*b.stride+x/8] |= 0x80 >> (x % 8)
	}
}

func (b *bitmap) fill(x, y, w, h int) {
	for j := max(y, 0); j < min(y+h, b.h); j++ {
		for i := max(x, 0); i < min(x+w, b.w); i++ {
			b.bits[j*b.stride+i/8] |= 0x80 >> (i % 8)
		}
	}
}

func (b *bitmap) empty() bool {
	for _, v := range b.bits {
		if v != 0 {
			return false
		}
	}
	return true
}

// textLine is one laid-out line: its text and pen start in dots relative to
// the box, baseline included.
type textLine struct {
	s        string
	x, y, px int // x offset for alignment, y top of line, em size
	ascent   int
}

// layout wraps t into lines that fit its box at the renderer's resolution.
// Lines past the box height are dropped, unless t.Fit asks for a smaller
// font instead; text that does not fit even then is an error, so a Fit
// field (an address) is never printed cut short.
func (r *renderer) layout(t Text) ([]textLine, error) {
	px := max(1, r.d(t.SizeMM))
	minPx := max(1, px*6/10)
	for {
		lines, lh, fits := r.wrap(t, px)
		if !fits && t.Fit {
			if px > minPx {
				px--
				continue
			}
			return nil, fmt.Errorf("%w: %q in %gx%g mm at %g mm", ErrTextOverflow, t.Text, t.W, t.H, float64(px)/r.dpmm)
		}
		asc := int(math.Round(r.font.ascent / (r.font.ascent - r.font.descent) * float64(lh)))
		out := make([]textLine, len(lines))
		boxW := float64(r.d(t.W))
		for i, s := range lines {
			x := 0
			if t.Align != AlignLeft {
				free := int(boxW - r.font.Advance(s, float64(px)))
				if t.Align == AlignCenter {
					free /= 2
				}
				x = max(0, free)
			}
			out[i] = textLine{s: s, x: x, y: i * lh, px: px, ascent: asc}
		}
		return out, nil
	}
}

// wrap breaks t.Text into lines at an em size of px dots and reports
// whether they all fit the box height; it returns only the lines that fit.
func (r *renderer) wrap(t Text, px int) (lines []string, lh int, fits bool) {
	boxW, boxH := float64(r.d(t.W)), r.d(t.H)
	lh = int(math.Ceil(float64(px) * 1.2))
	maxLines := max(1, boxH/lh)
	fpx := float64(px)
	for _, para := range strings.Split(t.Text, "\n") {
		rs := []rune(para)
		for len(rs) > 0 {
			w, cut, brk := 0.0, len(rs), -1
			for i, c := range rs {
				if i > 0 && (c == ' ' || isWide(c) || isWide(rs[i-1])) {
					brk = i
				}
				w += r.font.Advance(string(c), fpx)
				if w > boxW && i > 0 {
					cut = i
					if brk > 0 {
						cut = brk
					}
					break
				}
			}
			lines = append(lines, strings.TrimRight(string(rs[:cut]), " "))
			rs = []rune(strings.TrimLeft(string(rs[cut:]), " "))
		}
	}
	if len(lines) > maxLines {
		return lines[:maxLines], lh, false
	}
	return lines, lh, true
}

func isWide(c rune) bool {
	return unicode.Is(unicode.Han, c) || unicode.In(c, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF)
}

// drawText rasterises laid-out lines at ox,oy dots.
func (r *renderer) drawText(b *bitmap, t Text, lines []textLine, ox, oy int) {
	for _, ln := range lines {
		pen := float64(ox + ln.x)
		base := oy + ln.y + ln.ascent
		for _, c := range ln.s {
			g := r.font.glyphIndex(c)
			gi := r.font.glyph(g, ln.px)
			bold := 0
			if t.Bold {
				bold = max(1, ln.px/24)
			}
			x0, y0 := int(math.Round(pen))+gi.left, base-gi.top
			for j := 0; j < gi.h; j++ {
				for i := 0; i < gi.w; i++ {
					if gi.ink[j*gi.w+i] {
						for k := 0; k <= bold; k++ {
							b.set(x0+i+k, y0+j)
						}
					}
				}
			}
			pen += r.font.advance(g) * float64(ln.px) / r.font.unitsPerEm
		}
	}
}

// textBitmap rasterises one text element to a bitmap of its box.
func (r *renderer) textBitmap(t Text) (*bitmap, error) {
	lines, err := r.layout(t)
	if err != nil {
		return nil, err
	}
	b := newBitmap(max(1, r.d(t.W)), max(1, r.d(t.H)))
	r.drawText(b, t, lines, 0, 0)
	return b, nil
}

// symbolCache keeps the last symbols encoded: a template measures a
// barcode when it lays the label out and the renderer draws it moments
// later, and a QR code's encoding is a good part of a waybill's render.
// Entries are never changed after they are stored.
var symbolCache struct {
	sync.Mutex
	m map[symbolKey][][]bool
}

type symbolKey struct {
	kind Symbology
	data string
}

// symbolCacheSize bounds the cache: the symbols of a few labels.
const symbolCacheSize = 32

// modules returns a barcode's module matrix: for a linear symbol one row,
// true = bar. The matrix is shared: callers must not change it.
func modules(bc Barcode) ([][]bool, error) {
	k := symbolKey{bc.Kind, bc.Data}
	symbolCache.Lock()
	m, ok := symbolCache.m[k]
	symbolCache.Unlock()
	if ok {
		return m, nil
	}
	m, err := encodeModules(bc)
	if err != nil {
		return nil, err
	}
	symbolCache.Lock()
	if len(symbolCache.m) >= symbolCacheSize || symbolCache.m == nil {
		symbolCache.m = make(map[symbolKey][][]bool, symbolCacheSize)
	}
	symbolCache.m[k] = m
	symbolCache.Unlock()
	return m, nil
}

// encodeModules encodes a barcode into its module matrix.
func encodeModules(bc Barcode) ([][]bool, error) {
	var (
		code barcode.Barcode
		err  error
	)
	switch bc.Kind {
	case Code128:
		if err = checkCode128(bc.Data); err == nil {
			code, err = code128.Encode(bc.Data)
		}
	case GS1128:
		if err = checkCode128(bc.Data); err == nil {
			code, err = code128.Encode(string(code128.FNC1) + strings.ReplaceAll(bc.Data, "\x1d", string(code128.FNC1)))
		}
	case QR:
		code, err = qr.Encode(bc.Data, qr.M, qr.Auto)
	default:
		err = fmt.Errorf("unknown symbology %d", bc.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("barcode %q: %w", bc.Data, err)
	}
	bd := code.Bounds()
	rows := bd.Dy()
	if bc.Kind != QR {
		rows = 1
	}
	m := make([][]bool, rows)
	for y := range m {
		m[y] = make([]bool, bd.Dx())
		for x := range m[y] {
			c, _, _, _ := code.At(bd.Min.X+x, bd.Min.Y+y).RGBA()
			m[y][x] = c < 0x8000
		}
	}
	return m, nil
}

// checkCode128 refuses data Code 128 cannot carry here: empty, too long,
// or outside printable ASCII (GS is allowed as the FNC1 separator).
func checkCode128(s string) error {
	if s == "" || len(s) > 80 {
		return fmt.Errorf("length %d is not 1–80", len(s))
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < 0x20 && s[i] != 0x1d) || s[i] > 0x7e {
			return fmt.Errorf("byte %#x at %d is not printable ASCII", s[i], i)
		}
	}
	return nil
}

// drawBarcode draws bc's bars or cells at exact whole-dot module widths.
func (r *renderer) drawBarcode(b *bitmap, bc Barcode) error {
	m, err := modules(bc)
	if err != nil {
		return err
	}
	md, err := ModuleDots(bc.ModuleMM, r.o.DPI)
	if err != nil {
		return err
	}
	x0, y0 := r.d(bc.X), r.d(bc.Y)
	h := r.d(bc.HeightMM)
	for y, row := range m {
		for x, on := range row {
			if !on {
				continue
			}
			if bc.Kind == QR {
				b.fill(x0+x*md, y0+y*md, md, md)
			} else {
				b.fill(x0+x*md, y0, md, h)
			}
		}
	}
	return nil
}

func (r *renderer) drawBox(b *bitmap, bx Box) {
	x, y, w, h, t := r.d(bx.X), r.d(bx.Y), r.d(bx.W), r.d(bx.H), max(1, r.d(bx.ThickMM))
	b.fill(x, y, w, t)
	b.fill(x, y+h-t, w, t)
	b.fill(x, y, t, h)
	b.fill(x+w-t, y, t, h)
}

// raster draws the whole label.
func (r *renderer) raster() (*bitmap, error) {
	w, h := r.sizeDots()
	b := newBitmap(w, h)
	for i, e := range r.l.Elements {
		switch e := e.(type) {
		case Text:
			lines, err := r.layout(e)
			if err != nil {
				return nil, fmt.Errorf("elements[%d]: %w", i, err)
			}
			r.drawText(b, e, lines, r.d(e.X), r.d(e.Y))
		case Barcode:
			if err := r.drawBarcode(b, e); err != nil {
				return nil, fmt.Errorf("elements[%d]: %w", i, err)
			}
		case Line:
			b.fill(r.lineRect(e))
		case Box:
			r.drawBox(b, e)
		case Picture:
			b.blit(r.pictureBitmap(e), r.d(e.X), r.d(e.Y))
		}
	}
	return b, nil
}

// Image renders l as a black-and-white image at o.DPI.
func Image(l Label, o Options) (image.Image, error) {
	r, err := newRenderer(l, o)
	if err != nil {
		return nil, err
	}
	b, err := r.raster()
	if err != nil {
		return nil, err
	}
	return b.image(), nil
}

func (b *bitmap) image() *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, b.w, b.h), color.Palette{color.White, color.Black})
	for y := 0; y < b.h; y++ {
		for x := 0; x < b.w; x++ {
			if b.bits[y*b.stride+x/8]&(0x80>>(x%8)) != 0 {
				img.Pix[y*img.Stride+x] = 1
			}
		}
	}
	return img
}

func (r *renderer) png() ([]byte, error) {
	b, err := r.raster()
	if err != nil {
		return nil, err
	}
	return b.png()
}

// png encodes b as a 1-bit greyscale PNG (PNG spec, colour type 0, bit
// depth 1). image/png would go through ColorIndexAt pixel by pixel, which
// costs more than drawing the whole label.
func (b *bitmap) png() ([]byte, error) {
	var raw bytes.Buffer
	z, err := zlib.NewWriterLevel(&raw, zlib.BestSpeed)
	if err != nil {
		return nil, err
	}
	row := make([]byte, 1+b.stride) // filter type 0, then the row with 1 = white
	for y := 0; y < b.h; y++ {
		for i, v := range b.bits[y*b.stride : (y+1)*b.stride] {
			row[1+i] = ^v
		}
		if _, err := z.Write(row); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		out.Write(n[:])
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.BigEndian.PutUint32(n[:], crc.Sum32())
		out.Write(n[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(b.w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(b.h))
	ihdr[8], ihdr[9] = 1, 0 // bit depth 1, greyscale; compression, filter, interlace 0
	chunk("IHDR", ihdr)
	chunk("IDAT", raw.Bytes())
	chunk("IEND", nil)
	return out.Bytes(), nil
}

// escpos sends the label raster as GS v 0 bands of at most escposBand rows
// (Epson ESC/POS "GS v 0: print raster bit image"), then feeds and cuts.
func (r *renderer) escpos() ([]byte, error) {
	b, err := r.raster()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Write([]byte{0x1b, 0x40}) // ESC @: initialise
	for y := 0; y < b.h; y += escposBand {
		rows := min(escposBand, b.h-y)
		out.Write([]byte{0x1d, 0x76, 0x30, 0, byte(b.stride), byte(b.stride >> 8), byte(rows), byte(rows >> 8)})
		out.Write(b.bits[y*b.stride : (y+rows)*b.stride])
	}
	out.Write([]byte{0x1d, 0x56, 0x42, 0x00}) // GS V 66 0: feed to cutter and cut
	return out.Bytes(), nil
}

// escposBand keeps each raster command small enough for printers with a
// modest receive buffer.
const escposBand = 128
