package label

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func testFont(t testing.TB) *Font {
	t.Helper()
	f, err := DefaultFont()
	if err != nil {
		t.Fatalf("no CJK font (make test installs fonts-wqy-microhei): %v", err)
	}
	return f
}

// The data the fixtures print.
const (
	fixtureTracking = "SF1234567890123"
	fixtureAddress  = "广东省深圳市南山区科技园南区高新南七道18号深圳湾科技生态园10栋B座1203室"
	fixtureGS1      = "(01)04006381333931(10)L42(17)261231"
	// fixtureGS1Data is fixtureGS1 in FNC1 form: GS after the
	// variable-length (10), which another AI follows.
	fixtureGS1Data = "0104006381333931" + "10L42\x1d" + "17261231"
)

// fixtures are the labels the renderer's tests and golden files draw,
// defined here rather than by a template so that a template change does not
// move them. Between them they use every element: Chinese and Latin text,
// bold, every alignment, Fit text that shrinks; Code 128 with digit runs
// (code set C) at 0.5 and 0.25 mm; GS1-128 with FNC1 at the start and
// inside; QR; lines, boxes and a picture, with text drawn over bars, boxes
// and the picture.
func fixtures() map[string]Label {
	parcel := Label{Name: "parcel", WidthMM: 100, HeightMM: 150, Elements: []Element{
		Box{X: 1, Y: 1, W: 98, H: 148, ThickMM: 0.375},
		Text{X: 3, Y: 3, W: 56.4, H: 7, SizeMM: 6, Bold: true, Fit: true, Text: "SF Express 顺丰速运"},
		Text{X: 59.4, Y: 4.5, W: 37.6, H: 4, SizeMM: 3, Align: AlignRight, Text: "SO20261122-0042"},
		Line{X1: 1, Y1: 11, X2: 99, Y2: 11, ThickMM: 0.25},
		Barcode{X: 11, Y: 13, HeightMM: 15, ModuleMM: 0.5, Kind: Code128, Data: fixtureTracking},
		Text{X: 3, Y: 29, W: 94, H: 5, SizeMM: 4, Bold: true, Align: AlignCenter, Text: fixtureTracking},
		Line{X1: 1, Y1: 35, X2: 99, Y2: 35, ThickMM: 0.25},
		Text{X: 3, Y: 36.5, W: 94, H: 6, SizeMM: 4.5, Bold: true, Fit: true, Text: "收 王小明  138****5678"},
		Text{X: 3, Y: 42.5, W: 94, H: 15, SizeMM: 3.8, Fit: true, Text: fixtureAddress},
		Line{X1: 1, Y1: 58.5, X2: 99, Y2: 58.5, ThickMM: 0.25},
		Text{X: 3, Y: 60, W: 94, H: 4, SizeMM: 3, Fit: true, Text: "寄 杭州仓 floorgate  057****6666"},
		Text{X: 3, Y: 64, W: 94, H: 7.5, SizeMM: 2.8, Fit: true, Text: "浙江省杭州市余杭区仓前街道文一西路1500号3号库"},
		Line{X1: 1, Y1: 72, X2: 99, Y2: 72, ThickMM: 0.25},
		Barcode{X: 76, Y: 73.5, ModuleMM: 1, Kind: QR, Data: fixtureTracking},
	}}
	for i, s := range []string{
		"A-1001 保温杯 500ml ×2", "B-2002 Phone case ×1", "C-3003 数据线 USB-C 1m ×3",
		"D-4004 充电器 20W ×1", "E-5005 贴膜 ×2", "F-6006 耳机 ×1", "G-7007 支架 ×1",
		"H-8008 收纳袋 ×4", "I-9009 清洁布 ×5", "J-1010 说明书 ×1", "K-1111 赠品 ×1", "L-1212 贺卡 ×1",
	} {
		parcel.Elements = append(parcel.Elements, Text{X: 3, Y: 73.5 + float64(i)*3.6, W: 71, H: 3.6, SizeMM: 2.8, Text: s})
	}
	return map[string]Label{
		"parcel": parcel,
		"location": {Name: "location", WidthMM: 60, HeightMM: 35, Elements: []Element{
			Barcode{X: 18.75, Y: 3, HeightMM: 15, ModuleMM: 0.25, Kind: Code128, Data: "A010203"},
			Text{X: 3, Y: 20, W: 54, H: 12, SizeMM: 10, Bold: true, Align: AlignCenter, Text: "A-01-02-03"},
		}},
		"item": {Name: "item", WidthMM: 72, HeightMM: 40, Elements: []Element{
			Text{X: 3, Y: 2, W: 66, H: 5, SizeMM: 4, Bold: true, Text: "A-1001"},
			Text{X: 3, Y: 7, W: 66, H: 5, SizeMM: 3.5, Text: "保温杯 500ml"},
			Barcode{X: 5.5, Y: 13, HeightMM: 18, ModuleMM: 0.25, Kind: GS1128, Data: fixtureGS1Data},
			Text{X: 3, Y: 32, W: 66, H: 5, SizeMM: 3, Align: AlignCenter, Text: fixtureGS1},
		}},
		"overlaps": overlapLabel(),
	}
}

// overlapLabel has text over a box, text over a barcode, a picture under
// a line and text over a picture: the cases where a graphic that overwrote
// would wipe out ink drawn before it.
func overlapLabel() Label {
	img := image.NewGray(image.Rect(0, 0, 80, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 80; x++ {
			if (x/8+y/8)%2 == 0 {
				img.SetGray(x, y, color.Gray{Y: 0})
			} else {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	return Label{Name: "overlaps", WidthMM: 60, HeightMM: 40, Elements: []Element{
		Box{X: 1, Y: 1, W: 58, H: 38, ThickMM: 0.5},
		Text{X: 0.5, Y: 0.5, W: 30, H: 6, SizeMM: 4, Bold: true, Text: "Über 王小明 \"q\" \\"},
		Barcode{X: 5, Y: 8, HeightMM: 8, ModuleMM: 0.25, Kind: Code128, Data: "SF1234567890"},
		Text{X: 6, Y: 12, W: 40, H: 6, SizeMM: 4, Text: "over the bars"},
		Picture{X: 30, Y: 20, W: 20, H: 10, Img: img},
		Line{X1: 28, Y1: 25, X2: 55, Y2: 25, ThickMM: 0.5},
		Text{X: 32, Y: 22, W: 20, H: 6, SizeMM: 3, Text: "深圳"},
		Barcode{X: 5, Y: 20, ModuleMM: 0.25, Kind: QR, Data: "SF1234567890"},
	}}
}

// TestGolden renders every fixture in every format and compares the bytes
// with testdata/; go test ./print/label -update rewrites them.
func TestGolden(t *testing.T) {
	o := Options{DPI: 203, Font: testFont(t)}
	for name, l := range fixtures() {
		for _, f := range []Format{ZPL, TSPL, EPL2, ESCPOS, PNG} {
			t.Run(name+"."+string(f), func(t *testing.T) {
				got, err := Render(l, f, o)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", name+"."+string(f))
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./print/label -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the golden file (%d bytes, want %d); run go test ./print/label -update and review the diff", path, len(got), len(want))
				}
			})
		}
	}
}

func TestGS1ElementString(t *testing.T) {
	got, err := GS1ElementString(fixtureGS1)
	if err != nil || got != fixtureGS1Data {
		t.Fatalf("got %q, %v; want %q", got, err, fixtureGS1Data)
	}
	got, err = GS1ElementString("(01)04006381333931(17)261231(10)L42")
	if want := "0104006381333931" + "17261231" + "10L42"; err != nil || got != want {
		t.Fatalf("got %q, %v; want %q (no GS at the end)", got, err, want)
	}
	for _, bad := range []string{
		"",
		"0104006381333931",       // no brackets
		"(01)04006381333932",     // check digit
		"(01)0400638133393",      // short GTIN
		"(01)04006381333931(10)", // empty value
		"(17)261231(10)L42",      // GS1's own rules: an expiry needs a GTIN with it
	} {
		if got, err := GS1ElementString(bad); err == nil {
			t.Errorf("%q was accepted as %q", bad, got)
		}
	}
}

// locationLabel is a bin label as the location template lays it out: the
// Code 128 of code at exactly xdimMM, centred, and code in large text.
func locationLabel(t *testing.T, code string, xdimMM float64) Label {
	t.Helper()
	n, err := Code128Width(code, false)
	if err != nil {
		t.Fatal(err)
	}
	bw := float64(n) * xdimMM
	w := math.Ceil(max(60, bw+2*QuietModules*xdimMM+6))
	return Label{Name: "location " + code, WidthMM: w, HeightMM: 35, Elements: []Element{
		Barcode{X: (w - bw) / 2, Y: 3, HeightMM: 15, ModuleMM: xdimMM, Kind: Code128, Data: code},
		Text{X: 3, Y: 20, W: w - 6, H: 12, SizeMM: 10, Bold: true, Align: AlignCenter, Text: code},
	}}
}

// TestLocationXDimension checks that a location label's Code 128 is printed
// at exactly the X-dimension asked — the narrowest bar is that many dots,
// and the symbol Code128Width modules of it — in the ZPL job's ^GF graphic
// as in the raster. The scan engine's distance check computes the printed
// width from the X-dimension on record; print/template's
// TestLocationWidthIsTheScanEngines checks the shipped template against it.
func TestLocationXDimension(t *testing.T) {
	f := testFont(t)
	const code = "B0701"
	n, err := Code128Width(code, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		xdim float64
		dpi  int
		dots int
	}{{0.125, 203, 1}, {0.25, 203, 2}, {0.375, 203, 3}, {0.5, 203, 4}, {0.25, 300, 3}, {1.0 / 3, 300, 4}} {
		t.Run(fmt.Sprintf("%g@%d", tt.xdim, tt.dpi), func(t *testing.T) {
			if dpmm, _ := DotsPerMM(tt.dpi); math.Abs(float64(tt.dots)/dpmm-tt.xdim) > 1e-9 {
				t.Fatalf("the case is wrong: %d dots at %d dpi is not %g mm", tt.dots, tt.dpi, tt.xdim)
			}
			l := locationLabel(t, code, tt.xdim)
			o := Options{DPI: tt.dpi, Font: f}
			z, err := Render(l, ZPL, o)
			if err != nil {
				t.Fatal(err)
			}
			if c := bytes.Count(z, []byte("^GF")); c != 1 {
				t.Fatalf("%d ^GF graphics, want 1: the barcode (the code is ASCII text)", c)
			}
			r, _ := newRenderer(l, o)
			bc := l.Elements[0].(Barcode)
			for what, bm := range map[string]*bitmap{"ZPL ^GF graphic": paintZPL(t, z), "raster": mustRaster(t, r)} {
				got, narrow := decodeCode128(t, bm.image())
				if got != code {
					t.Errorf("%s decodes to %q, want %q", what, got, code)
				}
				if narrow != tt.dots {
					t.Errorf("%s: narrowest bar is %d dots, want %d (%g mm)", what, narrow, tt.dots, tt.xdim)
				}
				x0, x1 := inkSpan(bm, r.d(bc.Y+bc.HeightMM/2))
				if x0 != r.d(bc.X) || x1-x0 != n*tt.dots {
					t.Errorf("%s: bars span dots %d–%d, want %d modules of %d dots from %d", what, x0, x1, n, tt.dots, r.d(bc.X))
				}
			}
		})
	}
	l := locationLabel(t, code, 1.0/3)
	if _, err := Render(l, ZPL, Options{DPI: 203, Font: f}); !errors.Is(err, ErrModule) {
		t.Errorf("1/3 mm at 203 dpi: got %v, want ErrModule", err)
	}
}

func mustRaster(t *testing.T, r *renderer) *bitmap {
	t.Helper()
	bm, err := r.raster()
	if err != nil {
		t.Fatal(err)
	}
	return bm
}

// inkSpan is the first inked dot of row y of bm and one past the last.
func inkSpan(bm *bitmap, y int) (x0, x1 int) {
	x0 = -1
	for x := 0; x < bm.w; x++ {
		if bm.bits[y*bm.stride+x/8]&(0x80>>(x%8)) != 0 {
			if x0 < 0 {
				x0 = x
			}
			x1 = x + 1
		}
	}
	return x0, x1
}
