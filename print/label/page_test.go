package label

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

const pageQRText = "SF1234567890123"

// carrierPage is a 60×40 mm page at 8 dots/mm as a carrier would send it:
// bars of several widths, a QR code, and a half-transparent smear that must
// print as paper. Every feature sits on a 2-pixel grid, so at 12 dots/mm
// (×1.5) each pixel pair becomes three whole dots.
func carrierPage(t *testing.T) (*image.NRGBA, []byte) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 480, 320))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	black := image.NewUniform(color.Black)
	x := 20
	for i, w := range []int{2, 4, 2, 6, 2, 2, 8, 4, 2, 6} {
		if i%2 == 0 {
			draw.Draw(img, image.Rect(x, 20, x+w, 120), black, image.Point{}, draw.Src)
		}
		x += w
	}
	code, err := qr.Encode(pageQRText, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Bounds().Dx() * 4
	scaled, err := barcode.Scale(code, n, n)
	if err != nil {
		t.Fatal(err)
	}
	draw.Draw(img, image.Rect(200, 20, 200+n, 20+n), scaled, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(20, 200, 180, 260), image.NewUniform(color.NRGBA{A: 0x60}), image.Point{}, draw.Over)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return img, buf.Bytes()
}

// inkOf thresholds img one pixel per dot, scaled by num/den: dot x,y is the
// pixel x·den/num, y·den/num.
func inkOf(img image.Image, w, h, num, den int) *bitmap {
	bm := newBitmap(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			_, _, _, a := img.At(x*den/num, y*den/num).RGBA()
			r, _, _, _ := img.At(x*den/num, y*den/num).RGBA()
			if a >= 0x8000 && r < 0x8000 {
				bm.set(x, y)
			}
		}
	}
	return bm
}

// paintZPL paints the ^GFA graphics of a ZPL job on a ^PW×^LL bitmap.
func paintZPL(t *testing.T, job []byte) *bitmap {
	t.Helper()
	size := regexp.MustCompile(`\^PW(\d+)\s*\^LL(\d+)`).FindSubmatch(job)
	if size == nil {
		t.Fatalf("no ^PW and ^LL in\n%.200s", job)
	}
	w, _ := strconv.Atoi(string(size[1]))
	h, _ := strconv.Atoi(string(size[2]))
	bm := newBitmap(w, h)
	gfs := regexp.MustCompile(`\^FO(\d+),(\d+)\^GFA,(\d+),(\d+),(\d+),([0-9A-F]*)\^FS`).FindAllSubmatch(job, -1)
	if len(gfs) == 0 {
		t.Fatal("no ^GFA graphic in the ZPL job")
	}
	for _, m := range gfs {
		var v [5]int
		for i := range v {
			v[i], _ = strconv.Atoi(string(m[1+i]))
		}
		data, err := hex.DecodeString(string(m[6]))
		if err != nil || len(data) != v[2] || v[2] != v[3] || v[2]%v[4] != 0 {
			t.Fatalf("^GFA,%d,%d,%d with %d data bytes (%v)", v[2], v[3], v[4], len(data), err)
		}
		g := &bitmap{w: v[4] * 8, h: v[2] / v[4], stride: v[4], bits: data}
		bm.blit(g, v[0], v[1])
	}
	return bm
}

// paintTSPL paints the BITMAP commands of a TSPL job (mode 0: 0 bits print).
func paintTSPL(t *testing.T, job []byte, dpmm float64) *bitmap {
	t.Helper()
	size := regexp.MustCompile(`SIZE ([\d.]+) mm,([\d.]+) mm`).FindSubmatch(job)
	if size == nil {
		t.Fatal("no SIZE in the TSPL job")
	}
	wmm, _ := strconv.ParseFloat(string(size[1]), 64)
	hmm, _ := strconv.ParseFloat(string(size[2]), 64)
	bm := newBitmap(int(wmm*dpmm+0.5), int(hmm*dpmm+0.5))
	head := regexp.MustCompile(`BITMAP (\d+),(\d+),(\d+),(\d+),0,`)
	found := false
	for p := job; ; {
		loc := head.FindSubmatchIndex(p)
		if loc == nil {
			break
		}
		found = true
		var v [4]int
		for i := range v {
			v[i], _ = strconv.Atoi(string(p[loc[2+2*i]:loc[3+2*i]]))
		}
		data := p[loc[1]:]
		if len(data) < v[2]*v[3] {
			t.Fatalf("BITMAP with %d of %d data bytes", len(data), v[2]*v[3])
		}
		g := &bitmap{w: v[2] * 8, h: v[3], stride: v[2], bits: make([]byte, v[2]*v[3])}
		for i := range g.bits {
			g.bits[i] = ^data[i]
		}
		bm.blit(g, v[0], v[1])
		p = data[v[2]*v[3]:]
	}
	if !found {
		t.Fatal("no BITMAP in the TSPL job")
	}
	return bm
}

// paintFormat renders l in f and paints the job back.
func paintFormat(t *testing.T, l Label, f Format, dpi int) *bitmap {
	t.Helper()
	job, err := Render(l, f, Options{DPI: dpi, Font: testFont(t)})
	if err != nil {
		t.Fatal(err)
	}
	dpmm, _ := DotsPerMM(dpi)
	switch f {
	case ZPL:
		return paintZPL(t, job)
	case TSPL:
		return paintTSPL(t, job, dpmm)
	case EPL2:
		return paintEPL2(t, job)
	}
	img, err := png.Decode(bytes.NewReader(job))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	return inkOf(img, b.Dx(), b.Dy(), 1, 1)
}

// TestPagePNGPrintsAsSent checks that a page made at 8 dots/mm reaches a
// 203 dpi printer dot for dot in every language, and a 300 dpi printer
// scaled by 1.5 with its QR still readable.
func TestPagePNGPrintsAsSent(t *testing.T) {
	img, raw := carrierPage(t)
	l, err := PagePNG(raw, 60, 40)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{ZPL, TSPL, EPL2, PNG} {
		t.Run(string(f)+"@203", func(t *testing.T) {
			sameBits(t, string(f), paintFormat(t, l, f, 203), inkOf(img, 480, 320, 1, 1))
		})
		t.Run(string(f)+"@300", func(t *testing.T) {
			got := paintFormat(t, l, f, 300)
			sameBits(t, string(f), got, inkOf(img, 720, 480, 3, 2))
			bmp, err := gozxing.NewBinaryBitmapFromImage(got.image())
			if err != nil {
				t.Fatal(err)
			}
			q, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
			if err != nil || q.GetText() != pageQRText {
				t.Errorf("qr at 300 dpi reads %v, %v; want %q", q, err, pageQRText)
			}
		})
	}
}

// hugePNGHeader is a PNG whose header claims 24000×16000 pixels: it must
// be refused from the header, before anything is allocated for it.
func hugePNGHeader(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// IHDR: length at 8, type at 12, width at 16, height at 20, CRC at 29.
	binary.BigEndian.PutUint32(b[16:], 24000)
	binary.BigEndian.PutUint32(b[20:], 16000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestPagePNGRefuses(t *testing.T) {
	_, good := carrierPage(t)
	for _, tt := range []struct {
		name     string
		data     []byte
		w, h     float64
		mentions string
	}{
		{"empty", nil, 60, 40, "no data"},
		{"not a png", []byte("%PDF-1.4\n"), 60, 40, "not a PNG"},
		{"broken png", good[:100], 60, 40, "broken PNG"},
		{"wrong aspect ratio", good, 100, 150, "aspect ratio"},
		{"too many pixels", hugePNGHeader(t), 60, 40, "megapixels"},
		{"no media", good, 0, 40, "media"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := PagePNG(tt.data, tt.w, tt.h)
			if !errors.Is(err, ErrPage) || !bytes.Contains([]byte(err.Error()), []byte(tt.mentions)) {
				t.Fatalf("got %v, want ErrPage mentioning %q", err, tt.mentions)
			}
			if len(l.Elements) != 0 {
				t.Errorf("refused but returned %d elements", len(l.Elements))
			}
		})
	}
	// Within 5% is the carrier's margin, not a different shape.
	if _, err := PagePNG(good, 60, 41.5); err != nil {
		t.Errorf("60x41.5 mm media for a 60x40 mm page: %v", err)
	}
}

// TestPagePDF rasterises testdata/rect.pdf, a hand-written 50×30 mm page
// with one filled rectangle from 10,10 to 30,20 mm (from the top left),
// and finds ink there and nowhere else.
func TestPagePDF(t *testing.T) {
	pdf, err := os.ReadFile("testdata/rect.pdf")
	if err != nil {
		t.Fatal(err)
	}
	for _, dpi := range []int{203, 300} {
		l, err := PagePDF(pdf, 50, 30, dpi)
		if err != nil {
			t.Fatal(err)
		}
		img, err := Image(l, Options{DPI: dpi, Font: testFont(t)})
		if err != nil {
			t.Fatal(err)
		}
		dpmm, _ := DotsPerMM(dpi)
		if b := img.Bounds(); b.Dx() != int(50*dpmm) || b.Dy() != int(30*dpmm) {
			t.Fatalf("%d dpi: image %v, want %gx%g dots", dpi, b, 50*dpmm, 30*dpmm)
		}
		in := func(v, lo, hi float64) bool { return v > lo && v < hi }
		bad := 0
		for y := 0; y < img.Bounds().Dy(); y++ {
			for x := 0; x < img.Bounds().Dx(); x++ {
				xm, ym := (float64(x)+0.5)/dpmm, (float64(y)+0.5)/dpmm
				edge := 1 / dpmm // the rectangle's edges may fall either way
				inside := in(xm, 10+edge, 30-edge) && in(ym, 10+edge, 20-edge)
				outside := !in(xm, 10-edge, 30+edge) || !in(ym, 10-edge, 20+edge)
				r, _, _, _ := img.At(x, y).RGBA()
				ink := r < 0x8000
				if (inside && !ink) || (outside && ink) {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%d dpi: %d dots are not as the rectangle says", dpi, bad)
		}
	}
	for _, tt := range []struct {
		name     string
		data     []byte
		w, h     float64
		mentions string
	}{
		{"png bytes", []byte("\x89PNG\r\n\x1a\n"), 50, 30, "not a PDF"},
		{"empty", nil, 50, 30, "no data"},
		{"wrong aspect ratio", pdf, 100, 150, "aspect ratio"},
		{"truncated", pdf[:60], 50, 30, "open PDF"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PagePDF(tt.data, tt.w, tt.h, 203)
			if !errors.Is(err, ErrPage) || !strings.Contains(err.Error(), tt.mentions) {
				t.Errorf("got %v, want ErrPage mentioning %q", err, tt.mentions)
			}
		})
	}
}
