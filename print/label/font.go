package label

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"os"
	"sync"
	"unicode"

	"golang.org/x/image/vector"
)

// Font is a TrueType face that lays out and rasterises label text. It keeps
// every glyph it has rasterised, per pixel size, so rendering the same
// waybill again costs no outline work. A Font is safe for concurrent use.
//
// Why not golang.org/x/image/font/opentype: its sfnt package imports
// golang.org/x/text, which this module's go.mod does not list, so it does
// not build here. This reader handles what label fonts need — TrueType
// (glyf) outlines, cmap formats 4 and 12, TTC collections (first face) —
// and rasterises with golang.org/x/image/vector. CFF-outline fonts
// (NotoSansCJK) are refused with an error.
type Font struct {
	data                 []byte
	unitsPerEm           float64
	ascent, descent      float64 // in font units, descent negative
	locaLong             bool
	numGlyphs, numHMetrx int
	glyf, loca, hmtx     []byte
	cmap                 map[rune]uint16

	mu    sync.Mutex
	cache map[glyphKey]*glyphImage
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

// LoadFont reads a TrueType font or the first face of a TrueType collection.
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

func parseFont(b []byte) (f *Font, err error) {
	defer func() {
		// Bounds are checked as tables are sliced; a truncated file that
		// slips through panics on a slice index and is reported as malformed.
		if recover() != nil {
			f, err = nil, errFont
		}
	}()
	u16 := func(o int) int { return int(binary.BigEndian.Uint16(b[o:])) }
	u32 := func(o int) int { return int(binary.BigEndian.Uint32(b[o:])) }
	base := 0
	if len(b) < 12 {
		return nil, errFont
	}
	if string(b[:4]) == "ttcf" {
		base = u32(12)
	}
	switch string(b[base : base+4]) {
	case "\x00\x01\x00\x00", "true":
	case "OTTO":
		return nil, fmt.Errorf("%w: CFF outlines are not supported, use a TrueType font", errFont)
	default:
		return nil, errFont
	}
	tables := map[string][]byte{}
	n := u16(base + 4)
	for i := 0; i < n; i++ {
		r := base + 12 + 16*i
		off, ln := u32(r+8), u32(r+12)
		if off+ln > len(b) {
			return nil, errFont
		}
		tables[string(b[r:r+4])] = b[off : off+ln]
	}
	for _, t := range []string{"head", "hhea", "hmtx", "maxp", "cmap", "loca", "glyf"} {
		if tables[t] == nil {
			return nil, fmt.Errorf("%w: no %s table", errFont, t)
		}
	}
	be := binary.BigEndian
	head, hhea := tables["head"], tables["hhea"]
	f = &Font{
		data:       b,
		unitsPerEm: float64(be.Uint16(head[18:])),
		locaLong:   int16(be.Uint16(head[50:])) != 0,
		ascent:     float64(int16(be.Uint16(hhea[4:]))),
		descent:    float64(int16(be.Uint16(hhea[6:]))),
		numHMetrx:  int(be.Uint16(hhea[34:])),
		numGlyphs:  int(be.Uint16(tables["maxp"][4:])),
		glyf:       tables["glyf"],
		loca:       tables["loca"],
		hmtx:       tables["hmtx"],
		cache:      map[glyphKey]*glyphImage{},
	}
	if f.unitsPerEm == 0 {
		return nil, errFont
	}
	if f.cmap, err = parseCmap(tables["cmap"]); err != nil {
		return nil, err
	}
	return f, nil
}

func parseCmap(c []byte) (map[rune]uint16, error) {
	be := binary.BigEndian
	best, bestRank := -1, 0
	for i := 0; i < int(be.Uint16(c[2:])); i++ {
		r := 4 + 8*i
		pid, eid, off := be.Uint16(c[r:]), be.Uint16(c[r+2:]), int(be.Uint32(c[r+4:]))
		format := be.Uint16(c[off:])
		rank := 0
		switch {
		case format == 12 && (pid == 3 && eid == 10 || pid == 0):
			rank = 3
		case format == 4 && (pid == 3 && eid == 1 || pid == 0):
			rank = 2
		}
		if rank > bestRank {
			best, bestRank = off, rank
		}
	}
	if best < 0 {
		return nil, fmt.Errorf("%w: no unicode cmap", errFont)
	}
	m := map[rune]uint16{}
	t := c[best:]
	if be.Uint16(t) == 12 {
		for g := 0; g < int(be.Uint32(t[12:])); g++ {
			o := 16 + 12*g
			start, end, gid := be.Uint32(t[o:]), be.Uint32(t[o+4:]), be.Uint32(t[o+8:])
			for r := start; r <= end && r <= unicode.MaxRune; r++ {
				m[rune(r)] = uint16(gid + r - start)
			}
		}
		return m, nil
	}
	segs := int(be.Uint16(t[6:])) / 2
	ends, starts, deltas, ranges := 14, 16+2*segs, 16+4*segs, 16+6*segs
	for s := 0; s < segs; s++ {
		end, start := int(be.Uint16(t[ends+2*s:])), int(be.Uint16(t[starts+2*s:]))
		delta, ro := int(be.Uint16(t[deltas+2*s:])), int(be.Uint16(t[ranges+2*s:]))
		for r := start; r <= end && r != 0xFFFF; r++ {
			var g int
			if ro == 0 {
				g = (r + delta) & 0xFFFF
			} else {
				o := ranges + 2*s + ro + 2*(r-start)
				if g = int(be.Uint16(t[o:])); g != 0 {
					g = (g + delta) & 0xFFFF
				}
			}
			if g != 0 {
				m[rune(r)] = uint16(g)
			}
		}
	}
	return m, nil
}

// glyphIndex maps a rune to a glyph, falling back to the .notdef glyph 0.
func (f *Font) glyphIndex(r rune) uint16 { return f.cmap[r] }

// advance is a glyph's advance width in font units.
func (f *Font) advance(g uint16) float64 {
	i := int(g)
	if i >= f.numHMetrx {
		i = f.numHMetrx - 1
	}
	return float64(binary.BigEndian.Uint16(f.hmtx[4*i:]))
}

// Advance is the width of s in pixels at an em size of px pixels.
func (f *Font) Advance(s string, px float64) float64 {
	w := 0.0
	for _, r := range s {
		w += f.advance(f.glyphIndex(r))
	}
	return w * px / f.unitsPerEm
}

type point struct {
	x, y float64
	on   bool
}

// outline returns the contours of glyph g in font units (y up).
func (f *Font) outline(g uint16, depth int) [][]point {
	be := binary.BigEndian
	if int(g) >= f.numGlyphs || depth > 8 {
		return nil
	}
	var start, end int
	if f.locaLong {
		start, end = int(be.Uint32(f.loca[4*int(g):])), int(be.Uint32(f.loca[4*int(g)+4:]))
	} else {
		start, end = 2*int(be.Uint16(f.loca[2*int(g):])), 2*int(be.Uint16(f.loca[2*int(g)+2:]))
	}
	if end <= start || end > len(f.glyf) {
		return nil
	}
	d := f.glyf[start:end]
	nc := int(int16(be.Uint16(d)))
	if nc < 0 {
		return f.composite(d[10:], depth)
	}
	endPts := make([]int, nc)
	for i := range endPts {
		endPts[i] = int(be.Uint16(d[10+2*i:]))
	}
	if nc == 0 {
		return nil
	}
	np := endPts[nc-1] + 1
	p := 10 + 2*nc
	p += 2 + int(be.Uint16(d[p:]))
	flags := make([]byte, np)
	for i := 0; i < np; {
		fl := d[p]
		p++
		flags[i] = fl
		i++
		if fl&8 != 0 {
			rep := int(d[p])
			p++
			for ; rep > 0 && i < np; rep-- {
				flags[i] = fl
				i++
			}
		}
	}
	pts := make([]point, np)
	v := 0
	for i, fl := range flags {
		switch {
		case fl&2 != 0:
			if fl&16 != 0 {
				v += int(d[p])
			} else {
				v -= int(d[p])
			}
			p++
		case fl&16 == 0:
			v += int(int16(be.Uint16(d[p:])))
			p += 2
		}
		pts[i].x, pts[i].on = float64(v), fl&1 != 0
	}
	v = 0
	for i, fl := range flags {
		switch {
		case fl&4 != 0:
			if fl&32 != 0 {
				v += int(d[p])
			} else {
				v -= int(d[p])
			}
			p++
		case fl&32 == 0:
			v += int(int16(be.Uint16(d[p:])))
			p += 2
		}
		pts[i].y = float64(v)
	}
	var cs [][]point
	s := 0
	for _, e := range endPts {
		if e+1 > np || e+1 <= s {
			break
		}
		cs = append(cs, pts[s:e+1])
		s = e + 1
	}
	return cs
}

func (f *Font) composite(d []byte, depth int) [][]point {
	be := binary.BigEndian
	var out [][]point
	for {
		fl := be.Uint16(d)
		g := be.Uint16(d[2:])
		p := 4
		var dx, dy float64
		if fl&1 != 0 {
			dx, dy = float64(int16(be.Uint16(d[p:]))), float64(int16(be.Uint16(d[p+2:])))
			p += 4
		} else {
			dx, dy = float64(int8(d[p])), float64(int8(d[p+1]))
			p += 2
		}
		if fl&2 == 0 { // point matching is not used by label fonts
			dx, dy = 0, 0
		}
		a, b, c, e := 1.0, 0.0, 0.0, 1.0
		f2 := func(o int) float64 { return float64(int16(be.Uint16(d[o:]))) / 16384 }
		switch {
		case fl&8 != 0:
			a, e = f2(p), f2(p)
			p += 2
		case fl&0x40 != 0:
			a, e = f2(p), f2(p+2)
			p += 4
		case fl&0x80 != 0:
			a, b, c, e = f2(p), f2(p+2), f2(p+4), f2(p+6)
			p += 8
		}
		for _, ct := range f.outline(g, depth+1) {
			n := make([]point, len(ct))
			for i, q := range ct {
				n[i] = point{a*q.x + c*q.y + dx, b*q.x + e*q.y + dy, q.on}
			}
			out = append(out, n)
		}
		if fl&0x20 == 0 {
			return out
		}
		d = d[p:]
	}
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

// glyph returns the cached raster of g at an em size of px pixels.
func (f *Font) glyph(g uint16, px int) *glyphImage {
	k := glyphKey{g, px}
	f.mu.Lock()
	gi, ok := f.cache[k]
	f.mu.Unlock()
	if ok {
		return gi
	}
	gi = f.rasterise(g, px)
	f.mu.Lock()
	f.cache[k] = gi
	f.mu.Unlock()
	return gi
}

func (f *Font) rasterise(g uint16, px int) *glyphImage {
	cs := f.outline(g, 0)
	if len(cs) == 0 {
		return &glyphImage{}
	}
	s := float64(px) / f.unitsPerEm
	minX, minY, maxX, maxY := 1e9, 1e9, -1e9, -1e9
	for _, c := range cs {
		for _, p := range c {
			minX, maxX = min(minX, p.x), max(maxX, p.x)
			minY, maxY = min(minY, p.y), max(maxY, p.y)
		}
	}
	left, top := int(minX*s)-1, int(maxY*s)+1
	w, h := int(maxX*s)-left+2, top-int(minY*s)+2
	z := vector.NewRasterizer(w, h)
	tr := func(p point) (float32, float32) {
		return float32(p.x*s - float64(left)), float32(float64(top) - p.y*s)
	}
	mid := func(a, b point) point { return point{(a.x + b.x) / 2, (a.y + b.y) / 2, true} }
	for _, c := range cs {
		n := len(c)
		// Start on an on-curve point, or the midpoint of two off-curve ones.
		st := -1
		for i, p := range c {
			if p.on {
				st = i
				break
			}
		}
		var first point
		if st < 0 {
			first, st = mid(c[n-1], c[0]), 0
		} else {
			first = c[st]
			st++
		}
		z.MoveTo(tr(first))
		var ctrl *point
		for i := 0; i < n; i++ {
			p := c[(st+i)%n]
			if i == n-1 && p == first {
				break
			}
			if p.on {
				if ctrl != nil {
					cx, cy := tr(*ctrl)
					x, y := tr(p)
					z.QuadTo(cx, cy, x, y)
					ctrl = nil
				} else {
					z.LineTo(tr(p))
				}
				continue
			}
			if ctrl != nil {
				m := mid(*ctrl, p)
				cx, cy := tr(*ctrl)
				x, y := tr(m)
				z.QuadTo(cx, cy, x, y)
			}
			q := p
			ctrl = &q
		}
		if ctrl != nil {
			cx, cy := tr(*ctrl)
			x, y := tr(first)
			z.QuadTo(cx, cy, x, y)
		}
		z.ClosePath()
	}
	a := image.NewAlpha(image.Rect(0, 0, w, h))
	z.Draw(a, a.Bounds(), image.Opaque, image.Point{})
	gi := &glyphImage{left: left, top: top, w: w, h: h, ink: make([]bool, w*h)}
	for i, v := range a.Pix {
		gi.ink[i] = v > 127
	}
	return gi
}
