package label

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// waybillImage renders the Chinese waybill to PNG bytes and decodes them,
// so the checks below read what a printer or screen would get.
func waybillImage(t *testing.T, size string) (Label, image.Image) {
	t.Helper()
	l, err := Waybill(shipment(), size)
	if err != nil {
		t.Fatal(err)
	}
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

func TestWaybillPNGCode128(t *testing.T) {
	for _, size := range []string{"100x180", "100x150", "76x130"} {
		t.Run(size, func(t *testing.T) {
			_, img := waybillImage(t, size)
			if got, _ := decodeCode128(t, img); got != shipment().Tracking {
				t.Errorf("Code 128 reads %q, want %q", got, shipment().Tracking)
			}
		})
	}
}

// TestWaybillPNGQR samples the centre of every QR cell in the PNG and
// compares it with the symbol for the tracking number. (A full decode is in
// gozxing_test.go, which needs golang.org/x/text in go.mod.)
func TestWaybillPNGQR(t *testing.T) {
	l, img := waybillImage(t, "100x150")
	var qr *Barcode
	for _, e := range l.Elements {
		if b, ok := e.(Barcode); ok && b.Kind == QR {
			qr = &b
		}
	}
	if qr == nil || qr.Data != shipment().Tracking {
		t.Fatalf("waybill QR is %+v, want the tracking number", qr)
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
