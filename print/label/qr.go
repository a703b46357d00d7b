package label

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// QRPNG returns text as a QR code (error correction M) in a PNG of about
// px×px pixels with a quiet zone, for a screen to show — the status page's
// pairing code, for one.
func QRPNG(text string, px int) ([]byte, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("qr png: %w", err)
	}
	n := code.Bounds().Dx() + 8 // four modules of quiet zone each side
	scale := max(px/n, 1)
	scaled, err := barcode.Scale(code, (n-8)*scale, (n-8)*scale)
	if err != nil {
		return nil, fmt.Errorf("qr png: %w", err)
	}
	img := quietZone(scaled, 4*scale)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr png: %w", err)
	}
	return buf.Bytes(), nil
}

// quietZone returns img on a white border of margin pixels.
func quietZone(img image.Image, margin int) image.Image {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx()+2*margin, b.Dy()+2*margin))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(margin, margin, margin+b.Dx(), margin+b.Dy()), img, b.Min, draw.Src)
	return out
}
