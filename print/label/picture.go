package label

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// checkPicture refuses a Picture that cannot be drawn: no image, an empty
// image, or a box that is not at least one dot each way.
func checkPicture(p Picture, dpmm float64) error {
	if p.Img == nil {
		return errors.New("picture: no image")
	}
	if b := p.Img.Bounds(); b.Empty() {
		return fmt.Errorf("picture: image is empty (%dx%d pixels)", b.Dx(), b.Dy())
	}
	if math.Round(p.W*dpmm) < 1 || math.Round(p.H*dpmm) < 1 {
		return fmt.Errorf("picture: box %gx%g mm is under one dot", p.W, p.H)
	}
	return nil
}

// pictureBitmap scales p.Img to its box in dots by area averaging and
// thresholds it at 50% luminance. When the image already has one pixel per
// dot, each dot is exactly its pixel, so a page made for the printer's
// resolution prints unchanged.
func (r *renderer) pictureBitmap(p Picture) *bitmap {
	w, h := max(1, r.d(p.W)), max(1, r.d(p.H))
	lum := luminance(p.Img)
	sb := p.Img.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	bm := newBitmap(w, h)
	// For each dot, the source span it covers is [i·sw/w, (i+1)·sw/w); the
	// spans' edges are kept as fractions n/w to stay exact.
	type span struct {
		i0, i1 int     // source pixels touched, i1 exclusive
		f0, f1 float64 // coverage of the first and last pixel
	}
	spans := func(dst, src int) []span {
		out := make([]span, dst)
		for i := range out {
			a, b := i*src, (i+1)*src // in units of 1/dst source pixels
			s := span{i0: a / dst, i1: (b + dst - 1) / dst}
			s.f0 = float64(min(b, (s.i0+1)*dst)-a) / float64(dst)
			s.f1 = float64(b-(s.i1-1)*dst) / float64(dst)
			out[i] = s
		}
		return out
	}
	xs, ys := spans(w, sw), spans(h, sh)
	weight := func(s span, k int) float64 {
		switch {
		case s.i1-s.i0 == 1:
			return s.f0
		case k == s.i0:
			return s.f0
		case k == s.i1-1:
			return s.f1
		}
		return 1
	}
	for y, sy := range ys {
		for x, sx := range xs {
			var sum, area float64
			for j := sy.i0; j < sy.i1; j++ {
				wy := weight(sy, j)
				row := lum[j*sw:]
				for i := sx.i0; i < sx.i1; i++ {
					a := wy * weight(sx, i)
					sum += a * float64(row[i])
					area += a
				}
			}
			if sum < area*0.5 {
				bm.set(x, y)
			}
		}
	}
	return bm
}

// luminance returns img's pixels as luminance 0 (black) to 1 (white), row
// by row; a pixel less than half opaque is white paper.
func luminance(img image.Image) []float32 {
	b := img.Bounds()
	out := make([]float32, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			if a < 0x8000 {
				out = append(out, 1)
				continue
			}
			// The colour is premultiplied: divide by alpha for the
			// colour itself (ITU-R BT.601 weights, as color.GrayModel).
			l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / float64(a)
			out = append(out, float32(l))
		}
	}
	return out
}

// blit ORs src into b with its top-left corner at x,y.
func (b *bitmap) blit(src *bitmap, x, y int) {
	for j := 0; j < src.h; j++ {
		for i := 0; i < src.w; i++ {
			if src.bits[j*src.stride+i/8]&(0x80>>(i%8)) != 0 {
				b.set(x+i, y+j)
			}
		}
	}
}
