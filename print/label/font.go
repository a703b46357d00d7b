package label

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"os"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Font is a TrueType or OpenType face that lays out and rasterises label
// text. It keeps every glyph it has rasterised, per pixel size, so rendering
// the same waybill again costs no outline work. A Font is safe for
// concurrent use.
//
// Parsing and rasterising are done by golang.org/x/image/font/opentype, so
// both TrueType (glyf) and CFF outlines (NotoSansCJK) are supported; for a
// collection (.ttc/.otc) the first face is used.
type Font struct {
	f               *opentype.Font
	unitsPerEm      float64
	ascent, descent float64 // in font units, descent negative

	mu     sync.Mutex
	buf    sfnt.Buffer // guarded by mu
	runes  map[rune]uint16
	adv    map[uint16]float64 // advance widths in font units
	runeOf map[uint16]rune    // a rune that maps to each glyph seen
	faces  map[int]font.Face  // per pixel size; guarded by faceMu
	cache  map[glyphKey]*glyphImage
	faceMu sync.Mutex // serialises rasterising: a font.Face is not concurrency-safe
}

// DefaultFontPaths are where DefaultFont looks for a CJK-capable font, in order.
var DefaultFontPaths = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
}

var (
	defaultOnce sync.Once
	defaultFont *Font
	defaultErr  error
)

// DefaultFont loads the first usable font in DefaultFontPaths, once.
func DefaultFont() (*Font, error) {
	defaultOnce.Do(func() {
		var errs []error
		for _, p := range DefaultFontPaths {
			f, err := LoadFont(p)
			if err == nil {
				defaultFont = f
				return
			}
			errs = append(errs, err)
		}
		defaultErr = fmt.Errorf("no label font found (install one: apt-get install fonts-wqy-microhei): %w", errors.Join(errs...))
	})
	return defaultFont, defaultErr
}

// LoadFont reads a TrueType/OpenType font or the first face of a collection.
func LoadFont(path string) (*Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load font: %w", err)
	}
	f, err := parseFont(b)
	if err != nil {
		return nil, fmt.Errorf("load font %s: %w", path, err)
	}
	return f, nil
}

var errFont = errors.New("malformed or unsupported font")

func parseFont(b []byte) (*Font, error) {
	var (
		sf  *opentype.Font
		err error
	)
	if len(b) >= 4 && string(b[:4]) == "ttcf" {
		var c *opentype.Collection
		if c, err = opentype.ParseCollection(b); err == nil {
			sf, err = c.Font(0)
		}
	} else {
		sf, err = opentype.Parse(b)
	}
	if err != nil {
		// sfnt insists that tables start on 4-byte boundaries, which some
		// fonts (wqy-microhei.ttc) do not honour: copy the first face into
		// a standalone font with aligned tables and parse that instead.
		if a, ok := alignTables(b); ok {
			if sf2, err2 := opentype.Parse(a); err2 == nil {
				sf, err = sf2, nil
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errFont, err)
	}
	f := &Font{
		f:          sf,
		unitsPerEm: float64(sf.UnitsPerEm()),
		runes:      map[rune]uint16{},
		adv:        map[uint16]float64{},
		runeOf:     map[uint16]rune{},
		faces:      map[int]font.Face{},
		cache:      map[glyphKey]*glyphImage{},
	}
	if f.unitsPerEm == 0 {
		return nil, errFont
	}
	// At a ppem of unitsPerEm, 26.6 metrics are font units × 64.
	m, err := sf.Metrics(&f.buf, f.ppemUnits(), font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errFont, err)
	}
	f.ascent, f.descent = float64(m.Ascent)/64, -float64(m.Descent)/64
	if _, err := sf.GlyphIndex(&f.buf, 'A'); err != nil {
		return nil, fmt.Errorf("%w: %w", errFont, err)
	}
	return f, nil
}

func (f *Font) ppemUnits() fixed.Int26_6 { return fixed.Int26_6(f.unitsPerEm * 64) }

// glyphIndexLocked maps a rune to a glyph, falling back to the .notdef
// glyph 0. f.mu must be held.
func (f *Font) glyphIndexLocked(r rune) uint16 {
	if g, ok := f.runes[r]; ok {
		return g
	}
	x, err := f.f.GlyphIndex(&f.buf, r)
	g := uint16(x)
	if err != nil {
		g = 0
	}
	f.runes[r] = g
	if _, ok := f.runeOf[g]; !ok {
		f.runeOf[g] = r
	}
	return g
}

// advanceLocked is a glyph's advance width in font units. f.mu must be held.
func (f *Font) advanceLocked(g uint16) float64 {
	if a, ok := f.adv[g]; ok {
		return a
	}
	x, err := f.f.GlyphAdvance(&f.buf, sfnt.GlyphIndex(g), f.ppemUnits(), font.HintingNone)
	a := float64(x) / 64
	if err != nil {
		a = 0
	}
	f.adv[g] = a
	return a
}

// glyphIndex maps a rune to a glyph, falling back to the .notdef glyph 0.
func (f *Font) glyphIndex(r rune) uint16 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.glyphIndexLocked(r)
}

// advance is a glyph's advance width in font units.
func (f *Font) advance(g uint16) float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.advanceLocked(g)
}

// Advance is the width of s in pixels at an em size of px pixels.
func (f *Font) Advance(s string, px float64) float64 {
	w := 0.0
	f.mu.Lock()
	for _, r := range s {
		w += f.advanceLocked(f.glyphIndexLocked(r))
	}
	f.mu.Unlock()
	return w * px / f.unitsPerEm
}

type glyphKey struct {
	g  uint16
	px int
}

// glyphImage is a rasterised glyph: coverage over 127 means ink. Left, Top
// are the offsets from the pen position on the baseline.
type glyphImage struct {
	left, top, w, h int
	ink             []bool
}

// glyph returns the cached raster of g at an em size of px pixels. g must
// have come from glyphIndex.
func (f *Font) glyph(g uint16, px int) *glyphImage {
	k := glyphKey{g, px}
	f.mu.Lock()
	gi, ok := f.cache[k]
	r, known := f.runeOf[g]
	f.mu.Unlock()
	if ok {
		return gi
	}
	if !known {
		gi = &glyphImage{}
	} else {
		gi = f.rasterise(r, px)
	}
	f.mu.Lock()
	f.cache[k] = gi
	f.mu.Unlock()
	return gi
}

// rasterise draws rune r with its pen at the origin, at an em size of px
// pixels (DPI 72, so the face's point size is the pixel size).
func (f *Font) rasterise(r rune, px int) *glyphImage {
	f.faceMu.Lock()
	defer f.faceMu.Unlock()
	face, ok := f.faces[px]
	if !ok {
		var err error
		face, err = opentype.NewFace(f.f, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return &glyphImage{}
		}
		f.faces[px] = face
	}
	dr, mask, mp, _, ok := face.Glyph(fixed.Point26_6{}, r)
	if !ok || dr.Empty() || mask == nil {
		return &glyphImage{}
	}
	w, h := dr.Dx(), dr.Dy()
	gi := &glyphImage{left: dr.Min.X, top: -dr.Min.Y, w: w, h: h, ink: make([]bool, w*h)}
	if a, isAlpha := mask.(*image.Alpha); isAlpha {
		for j := 0; j < h; j++ {
			row := a.Pix[a.PixOffset(mp.X, mp.Y+j):]
			for i := 0; i < w; i++ {
				gi.ink[j*w+i] = row[i] > 127
			}
		}
		return gi
	}
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			_, _, _, al := mask.At(mp.X+i, mp.Y+j).RGBA()
			gi.ink[j*w+i] = al > 0x7fff
		}
	}
	return gi
}

// alignTables copies the first face of a font or collection into a new
// standalone font whose tables each start on a 4-byte boundary. It reports
// false if b's table directory is truncated or out of range.
func alignTables(b []byte) ([]byte, bool) {
	be := binary.BigEndian
	if len(b) < 12 {
		return nil, false
	}
	base := 0
	if string(b[:4]) == "ttcf" {
		if len(b) < 16 {
			return nil, false
		}
		base = int(be.Uint32(b[12:]))
	}
	if base < 0 || base+12 > len(b) {
		return nil, false
	}
	n := int(be.Uint16(b[base+4:]))
	dir := base + 12
	if dir+16*n > len(b) {
		return nil, false
	}
	size := 12 + 16*n
	for i := 0; i < n; i++ {
		r := dir + 16*i
		off, ln := int(be.Uint32(b[r+8:])), int(be.Uint32(b[r+12:]))
		if off < 0 || ln < 0 || off+ln > len(b) {
			return nil, false
		}
		size += (ln + 3) &^ 3
	}
	out := make([]byte, size)
	copy(out, b[base:base+12])
	pos := 12 + 16*n
	for i := 0; i < n; i++ {
		r, w := dir+16*i, 12+16*i
		off, ln := int(be.Uint32(b[r+8:])), int(be.Uint32(b[r+12:]))
		copy(out[w:w+8], b[r:r+8]) // tag, checksum
		be.PutUint32(out[w+8:], uint32(pos))
		be.PutUint32(out[w+12:], uint32(ln))
		copy(out[pos:], b[off:off+ln])
		pos += (ln + 3) &^ 3
	}
	return out, true
}
