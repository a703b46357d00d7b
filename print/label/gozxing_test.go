// This test decodes rendered labels with gozxing, an independent decoder.
package label

import (
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func TestGozxingWaybill(t *testing.T) {
	for _, size := range []string{"100x180", "100x150", "76x130"} {
		t.Run(size, func(t *testing.T) {
			_, img := waybillImage(t, size)
			bmp, err := gozxing.NewBinaryBitmapFromImage(img)
			if err != nil {
				t.Fatal(err)
			}
			hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
			c, err := oned.NewCode128Reader().Decode(bmp, hints)
			if err != nil {
				t.Fatalf("code 128: %v", err)
			}
			if c.GetText() != shipment().Tracking {
				t.Errorf("code 128 reads %q, want %q", c.GetText(), shipment().Tracking)
			}
			q, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
			if err != nil {
				t.Fatalf("qr: %v", err)
			}
			if q.GetText() != shipment().Tracking {
				t.Errorf("qr reads %q, want %q", q.GetText(), shipment().Tracking)
			}
		})
	}
}

func TestGozxingItemGS1(t *testing.T) {
	l, err := ItemLabel(itemFixture(), "(01)04006381333931(10)L42(17)261231")
	if err != nil {
		t.Fatal(err)
	}
	img, err := Image(l, Options{DPI: 203, Font: testFont(t)})
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	// ASSUME_GS1 makes the reader report FNC1 as ]C1 at the start and GS after.
	r, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_ASSUME_GS1: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "]C1" + "0104006381333931" + "10L42\x1d" + "17261231"; r.GetText() != want {
		t.Errorf("GS1-128 reads %q, want %q", r.GetText(), want)
	}
}

func TestGozxingLocation(t *testing.T) {
	for _, x := range []float64{0.125, 0.25, 0.5} {
		l, err := LocationLabel(floorgate.Location{Code: "C-12-04", Barcode: "C1204"}, x)
		if err != nil {
			t.Fatal(err)
		}
		img, err := Image(l, Options{DPI: 203, Font: testFont(t)})
		if err != nil {
			t.Fatal(err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
		r, err := oned.NewCode128Reader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("x %g: %v", x, err)
		}
		if r.GetText() != "C1204" {
			t.Errorf("x %g reads %q", x, r.GetText())
		}
	}
}
