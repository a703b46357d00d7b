package label

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
)

// TestQRPNGReadsBack decodes the PNG with an independent decoder.
func TestQRPNGReadsBack(t *testing.T) {
	const text = "http://192.168.1.20:8080/pda/?pair=493817"
	b, err := QRPNG(text, 240)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w < 200 || w > 260 {
		t.Errorf("width %d px, want about 240", w)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetText() != text {
		t.Fatalf("read %q, want %q", res.GetText(), text)
	}
}
