package label

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
)

// ErrPage is returned for a carrier's page that cannot be printed as it is:
// not a PNG (or PDF), empty, or of another shape than the media.
var ErrPage = errors.New("page cannot be printed on this media")

// pageAspectTolerance is how far a page's aspect ratio may differ from the
// media's before it is refused rather than stretched: 5% is a few
// millimetres of a 100×150 mm label, within a carrier's own margins, while
// a 100×150 mm page on 100×180 mm media would print its barcodes visibly
// squashed.
const pageAspectTolerance = 0.05

// maxPagePixels bounds a page image: 64 megapixels is a 100×150 mm label
// at over 1200 dpi.
const maxPagePixels = 64 << 20

// PagePNG makes a Label of widthMM×heightMM media holding the PNG image
// png, scaled to fill it at the printer's resolution when rendered (see
// Picture). Carriers' e-waybill services return labels this way. It
// refuses, wrapping ErrPage, bytes that are not a PNG, an empty image, and
// an image whose aspect ratio differs from the media's by more than 5%.
func PagePNG(png []byte, widthMM, heightMM float64) (Label, error) {
	img, err := decodePagePNG(png)
	if err == nil {
		err = checkPage(img.Bounds().Dx(), img.Bounds().Dy(), widthMM, heightMM)
	}
	if err != nil {
		return Label{}, fmt.Errorf("page png: %w", err)
	}
	return pageLabel("page", img, widthMM, heightMM), nil
}

func decodePagePNG(b []byte) (image.Image, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: no data (0 bytes)", ErrPage)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		return nil, fmt.Errorf("%w: not a PNG (starts %q)", ErrPage, b[:min(len(b), 8)])
	}
	// A carrier's page is a few megapixels; the header is read first so
	// a hostile one cannot make us allocate gigabytes.
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: broken PNG: %v", ErrPage, err)
	}
	if cfg.Width*cfg.Height > maxPagePixels {
		return nil, fmt.Errorf("%w: image %dx%d pixels is over %d megapixels", ErrPage, cfg.Width, cfg.Height, maxPagePixels>>20)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: broken PNG: %v", ErrPage, err)
	}
	return img, nil
}

// checkPage refuses an image of w×h pixels that is empty or not of the
// media's shape.
func checkPage(w, h int, widthMM, heightMM float64) error {
	if !(widthMM > 0 && heightMM > 0) {
		return fmt.Errorf("%w: media %gx%g mm", ErrPage, widthMM, heightMM)
	}
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: image is empty (%dx%d pixels)", ErrPage, w, h)
	}
	return checkAspect(fmt.Sprintf("image %dx%d pixels", w, h), float64(w), float64(h), widthMM, heightMM)
}

// checkAspect refuses a page (what, w×h in any unit) whose aspect ratio
// differs from the media's by more than pageAspectTolerance.
func checkAspect(what string, w, h, widthMM, heightMM float64) error {
	if !(w > 0 && h > 0) {
		return fmt.Errorf("%w: %s is empty", ErrPage, what)
	}
	page, media := w/h, widthMM/heightMM
	if d := page/media - 1; math.Abs(d) > pageAspectTolerance {
		return fmt.Errorf("%w: %s has aspect ratio %.3f, media %gx%g mm has %.3f (%+.0f%%, more than 5%%)",
			ErrPage, what, page, widthMM, heightMM, media, d*100)
	}
	return nil
}

func pageLabel(name string, img image.Image, widthMM, heightMM float64) Label {
	return Label{Name: name, WidthMM: widthMM, HeightMM: heightMM, Elements: []Element{
		Picture{X: 0, Y: 0, W: widthMM, H: heightMM, Img: img},
	}}
}
