package label

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// parcelImage renders the parcel fixture to PNG bytes and decodes them, so
// the checks below read what a printer or screen would get.
func parcelImage(t *testing.T) (Label, image.Image) {
	t.Helper()
	l := fixtures()["parcel"]
	b, err := Render(l, PNG, Options{DPI: 203, Font: testFont(t)})
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return l, img
}

func TestParcelPNGCode128(t *testing.T) {
	_, img := parcelImage(t)
	if got, _ := decodeCode128(t, img); got != fixtureTracking {
		t.Errorf("Code 128 reads %q, want %q", got, fixtureTracking)
	}
}

// TestParcelPNGQR samples the centre of every QR cell in the PNG and
// compares it with the symbol for the tracking number. (A full decode is in
// gozxing_test.go.)
func TestParcelPNGQR(t *testing.T) {
	l, img := parcelImage(t)
	var qr *Barcode
	for _, e := range l.Elements {
		if b, ok := e.(Barcode); ok && b.Kind == QR {
			qr = &b
		}
	}
	if qr == nil || qr.Data != fixtureTracking {
		t.Fatalf("parcel QR is %+v, want the tracking number", qr)
	}
	m, err := modules(*qr)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := ModuleDots(qr.ModuleMM, 203)
	x0, y0 := int(qr.X*8+0.5), int(qr.Y*8+0.5)
	for y, row := range m {
		for x, want := range row {
			r, _, _, _ := img.At(x0+x*md+md/2, y0+y*md+md/2).RGBA()
			if got := r < 0x8000; got != want {
				t.Fatalf("cell %d,%d is %v, want %v", x, y, got, want)
			}
		}
	}
}
