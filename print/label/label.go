package label

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// Label is one label in millimetres: its size and what is drawn on it.
type Label struct {
	Name              string
	WidthMM, HeightMM float64
	Elements          []Element
}

// Element is one thing drawn on a label: Text, Barcode, Line, Box or Picture.
type Element interface{ element() }

// Align is the horizontal alignment of text inside its box.
type Align int

// The alignments.
const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// Text is text laid out inside the box X,Y,W,H (mm, Y down from the top).
// Lines wrap at the box width (between words, or between any two CJK
// characters) and lines that do not fit the box height are dropped.
type Text struct {
	X, Y, W, H float64
	// SizeMM is the font size (em height) in millimetres; Pt converts
	// typographic points.
	SizeMM float64
	Bold   bool
	Align  Align
	// Fit shrinks the font, down to 60% of SizeMM, until the whole text
	// fits the box; Render fails with ErrTextOverflow if it still does not.
	Fit  bool
	Text string
}

// Pt converts a font size in points (1/72 inch) to millimetres.
func Pt(points float64) float64 { return points * 25.4 / 72 }

// Symbology is a barcode type.
type Symbology int

// The symbologies.
const (
	Code128 Symbology = iota
	// GS1128 is Code 128 starting with FNC1. Its Data is the GS1 element
	// string in FNC1 form: AIs and values run together, with GS (0x1D)
	// after a variable-length value that is followed by another AI; each
	// GS is encoded as FNC1 (GS1ElementString builds it).
	GS1128
	QR
)

// Barcode is a barcode whose top-left corner (first bar, no quiet zone) is at
// X,Y mm. ModuleMM is the X-dimension (narrow bar or QR cell width); it must
// be a whole number of printer dots. HeightMM is the bar height of a linear
// symbol and is ignored for QR.
type Barcode struct {
	X, Y     float64
	HeightMM float64
	ModuleMM float64
	Kind     Symbology
	Data     string
}

// Line is a straight horizontal or vertical line from X1,Y1 to X2,Y2, Thick mm wide.
type Line struct {
	X1, Y1, X2, Y2 float64
	ThickMM        float64
}

// Box is a rectangle outline at X,Y of W×H mm with a border Thick mm wide;
// a border of half the smaller side or more fills it.
type Box struct {
	X, Y, W, H float64
	ThickMM    float64
}

// Picture is an image filling the box X,Y,W,H mm. It is scaled to the
// box's size in printer dots by area averaging (each dot takes the mean
// luminance of the image pixels it covers), then thresholded: a dot is
// ink when that luminance is below 50%. Pixels less than 50% opaque count
// as white paper. Every format prints it as a 1-bit graphic, so it looks
// the same on every printer.
type Picture struct {
	X, Y, W, H float64
	Img        image.Image
}

func (Text) element()    {}
func (Barcode) element() {}
func (Line) element()    {}
func (Box) element()     {}
func (Picture) element() {}

// Format is a printer language or image format.
type Format string

// The formats.
const (
	ZPL  Format = "zpl"
	TSPL Format = "tspl"
	// EPL2 is Zebra's EPL2. Lines and boxes go as LO and X; text,
	// barcodes and pictures go as GW graphics of this package's own
	// raster, since the resident fonts are ASCII-only fixed bitmaps and B's
	// Code 128 subsets differ between printers, so a job prints dot for dot
	// as the PNG does.
	EPL2   Format = "epl2"
	ESCPOS Format = "escpos"
	PNG    Format = "png"
)

// Options say how to render for one printer.
type Options struct {
	// DPI is the printer resolution: 203 (8 dots/mm) or 300 (12 dots/mm).
	DPI int
	// ResidentCJK means the printer has a CJK font: ZPL uses ^CI28 with a
	// ^A@ font, TSPL a resident font, instead of sending text as bitmaps.
	// EPL2 ignores it: it always sends text as graphics (see EPL2).
	ResidentCJK bool
	// Font lays out and rasterises text; nil means DefaultFont.
	Font *Font
}

// Errors from Render.
var (
	// ErrDPI is returned for a resolution other than 203 or 300 dpi.
	ErrDPI = errors.New("dpi must be 203 or 300")
	// ErrFormat is returned for an unknown output format.
	ErrFormat = errors.New("unknown format")
	// ErrModule is returned when a barcode's X-dimension is not a whole
	// number of dots at the printer's resolution, so it would print wrong.
	ErrModule = errors.New("x-dimension is not a whole number of dots")
	// ErrTextOverflow is returned when a Fit text does not fit its box.
	ErrTextOverflow = errors.New("text does not fit its box")
)

// DotsPerMM is the resolution of a printer in dots per millimetre. Label
// printers sold as 203 and 300 dpi print 8 and 12 dots/mm exactly, which is
// why ZPL ^BY n at 203 dpi is n × 0.125 mm.
func DotsPerMM(dpi int) (float64, error) {
	switch dpi {
	case 203:
		return 8, nil
	case 300:
		return 12, nil
	}
	return 0, fmt.Errorf("%w: got %d", ErrDPI, dpi)
}

// ModuleDots is the X-dimension mm in dots at dpi, or ErrModule when that
// is not a whole number of dots.
func ModuleDots(mm float64, dpi int) (int, error) {
	dpmm, err := DotsPerMM(dpi)
	if err != nil {
		return 0, err
	}
	d := mm * dpmm
	n := math.Round(d)
	if n < 1 || math.Abs(d-n) > 1e-6 {
		return 0, fmt.Errorf("%w: %g mm is %g dots at %d dpi", ErrModule, mm, d, dpi)
	}
	return int(n), nil
}

// Render draws l in format f (ZPL, TSPL, EPL2, ESCPOS or PNG) for the
// printer described by o.
func Render(l Label, f Format, o Options) ([]byte, error) {
	r, err := newRenderer(l, o)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", f, err)
	}
	var b []byte
	switch f {
	case ZPL:
		b, err = r.zpl()
	case TSPL:
		b, err = r.tspl()
	case EPL2:
		b, err = r.epl2()
	case ESCPOS:
		b, err = r.escpos()
	case PNG:
		b, err = r.png()
	default:
		err = fmt.Errorf("%w %q (want zpl, tspl, epl2, escpos or png)", ErrFormat, f)
	}
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", f, err)
	}
	return b, nil
}

// renderer holds what every output needs: the label, resolution and font.
type renderer struct {
	l    Label
	o    Options
	dpmm float64
	font *Font
}

func newRenderer(l Label, o Options) (*renderer, error) {
	dpmm, err := DotsPerMM(o.DPI)
	if err != nil {
		return nil, err
	}
	if l.WidthMM <= 0 || l.HeightMM <= 0 {
		return nil, fmt.Errorf("label %q: size %gx%g mm", l.Name, l.WidthMM, l.HeightMM)
	}
	f := o.Font
	if f == nil {
		if f, err = DefaultFont(); err != nil {
			return nil, err
		}
	}
	for i, e := range l.Elements {
		switch e := e.(type) {
		case Barcode:
			if _, err := ModuleDots(e.ModuleMM, o.DPI); err != nil {
				return nil, fmt.Errorf("elements[%d]: %w", i, err)
			}
		case Picture:
			if err := checkPicture(e, dpmm); err != nil {
				return nil, fmt.Errorf("elements[%d]: %w", i, err)
			}
		}
	}
	return &renderer{l: l, o: o, dpmm: dpmm, font: f}, nil
}

// d converts millimetres to dots.
func (r *renderer) d(mm float64) int { return int(math.Round(mm * r.dpmm)) }

func (r *renderer) sizeDots() (w, h int) { return r.d(r.l.WidthMM), r.d(r.l.HeightMM) }

// lineDots is a line or box as a filled dot rectangle.
func (r *renderer) lineRect(ln Line) (x, y, w, h int) {
	t := max(1, r.d(ln.ThickMM))
	x1, y1, x2, y2 := r.d(ln.X1), r.d(ln.Y1), r.d(ln.X2), r.d(ln.Y2)
	if x2 < x1 {
		x1, x2 = x2, x1
	}
	if y2 < y1 {
		y1, y2 = y2, y1
	}
	w, h = x2-x1, y2-y1
	if w < t {
		w = t
	}
	if h < t {
		h = t
	}
	return x1, y1, w, h
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
