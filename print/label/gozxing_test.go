// This test decodes rendered labels with gozxing, an independent decoder.
package label

import (
	"fmt"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func TestGozxingParcel(t *testing.T) {
	for _, dpi := range []int{203, 300} {
		t.Run(fmt.Sprint(dpi), func(t *testing.T) {
			img, err := Image(fixtures()["parcel"], Options{DPI: dpi, Font: testFont(t)})
			if err != nil {
				t.Fatal(err)
			}
			bmp, err := gozxing.NewBinaryBitmapFromImage(img)
			if err != nil {
				t.Fatal(err)
			}
			hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
			c, err := oned.NewCode128Reader().Decode(bmp, hints)
			if err != nil {
				t.Fatalf("code 128: %v", err)
			}
			if c.GetText() != fixtureTracking {
				t.Errorf("code 128 reads %q, want %q", c.GetText(), fixtureTracking)
			}
			q, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
			if err != nil {
				t.Fatalf("qr: %v", err)
			}
			if q.GetText() != fixtureTracking {
				t.Errorf("qr reads %q, want %q", q.GetText(), fixtureTracking)
			}
		})
	}
}

func TestGozxingItemGS1(t *testing.T) {
	img, err := Image(fixtures()["item"], Options{DPI: 203, Font: testFont(t)})
	if err != nil {
		t.Fatal(err)
	}
	bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
	// ASSUME_GS1 makes the reader report FNC1 as ]C1 at the start and GS after.
	r, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_ASSUME_GS1: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "]C1" + fixtureGS1Data; r.GetText() != want {
		t.Errorf("GS1-128 reads %q, want %q", r.GetText(), want)
	}
}

func TestGozxingLocation(t *testing.T) {
	for _, x := range []float64{0.125, 0.25, 0.5} {
		img, err := Image(locationLabel(t, "C1204", x), Options{DPI: 203, Font: testFont(t)})
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
