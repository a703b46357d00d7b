// This test prints every shipped template's ZPL with an independent ZPL
// interpreter — zpl-renderer-js, the Zebrash renderer compiled to
// WebAssembly, run with Node (testdata/zplinterp) — and checks that each
// barcode on its picture reads, with gozxing, exactly as on floorgate's own
// PNG of the same label, at the same place and width.
package template

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/floorgate/floorgate/print/label"
)

// zplInterpDir holds the interpreter's npm package (pinned by
// package-lock.json) and render.js, which drives it.
const zplInterpDir = "testdata/zplinterp"

// zplInterpJob is one label for render.js.
type zplInterpJob struct {
	ZPL      string  `json:"zpl"`
	PNG      string  `json:"png"`
	WidthMM  float64 `json:"widthMM"`
	HeightMM float64 `json:"heightMM"`
	DPMM     float64 `json:"dpmm"`
}

// TestZPLInterpreterReadsBarcodesAlike renders every shipped template in
// every language (filled) as ZPL at 203 and 300 dpi, has the interpreter
// print each job — one Node process for them all — and checks every
// barcode: it must decode on the interpreter's picture to exactly what it
// decodes to on floorgate's own PNG of the label (and that to its data),
// found at the same place.
func TestZPLInterpreterReadsBarcodesAlike(t *testing.T) {
	t.Parallel() // Node renders while TestGolden draws
	node := zplInterpreter(t)
	set, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	type sample struct {
		name string
		dpi  int
		l    label.Label
		own  image.Image
		png  string
	}
	var (
		samples []sample
		jobs    []zplInterpJob
	)
	all := filled(t, set)
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		l := all[name]
		for _, dpi := range []int{203, 300} {
			o := label.Options{DPI: dpi}
			p, err := label.Render(l, label.PNG, o)
			if err != nil {
				t.Fatalf("%s at %d dpi: %v", name, dpi, err)
			}
			own, err := png.Decode(bytes.NewReader(p))
			if err != nil {
				t.Fatal(err)
			}
			z, err := label.Render(l, label.ZPL, o)
			if err != nil {
				t.Fatalf("%s at %d dpi: render ZPL: %v", name, dpi, err)
			}
			base := filepath.Join(tmp, fmt.Sprintf("%s@%d", name, dpi))
			if err := os.WriteFile(base+".zpl", z, 0o644); err != nil {
				t.Fatal(err)
			}
			dpmm, _ := label.DotsPerMM(dpi)
			jobs = append(jobs, zplInterpJob{ZPL: base + ".zpl", PNG: base + ".png", WidthMM: l.WidthMM, HeightMM: l.HeightMM, DPMM: dpmm})
			samples = append(samples, sample{name: name, dpi: dpi, l: l, own: own, png: base + ".png"})
		}
	}
	in, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "render.js")
	cmd.Dir = zplInterpDir
	cmd.Stdin = bytes.NewReader(in)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zpl-renderer-js (node %s/render.js): %v\n%s", zplInterpDir, err, out)
	}

	var barcodes, alike atomic.Int64
	t.Run("labels", func(t *testing.T) {
		for _, s := range samples {
			t.Run(fmt.Sprintf("%s@%d", s.name, s.dpi), func(t *testing.T) {
				t.Parallel()
				b, err := os.ReadFile(s.png)
				if err != nil {
					t.Fatal(err)
				}
				theirs, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("the interpreter's PNG: %v", err)
				}
				n := 0
				for i, e := range s.l.Elements {
					bc, ok := e.(label.Barcode)
					if !ok {
						continue
					}
					n++
					barcodes.Add(1)
					what := fmt.Sprintf("elements[%d] %s %q", i, kindName(bc.Kind), bc.Data)
					want, err := decodeBarcodeAt(s.own, bc, s.dpi)
					if err != nil {
						t.Errorf("%s: floorgate's own PNG does not decode: %v", what, err)
						continue
					}
					if w := wantDecoded(bc); want.text != w {
						t.Errorf("%s: floorgate's own PNG reads %q, want %q", what, want.text, w)
					}
					got, err := decodeBarcodeAt(theirs, bc, s.dpi)
					if err != nil {
						t.Errorf("%s: does not decode on the interpreter's picture (floorgate's own reads %q): %v", what, want.text, err)
						continue
					}
					if got.text != want.text {
						t.Errorf("%s: the interpreter's picture reads %q, floorgate's own %q", what, got.text, want.text)
						continue
					}
					md, _ := label.ModuleDots(bc.ModuleMM, s.dpi)
					if !samePlace(got, want, bc.Kind != label.QR, md) {
						t.Errorf("%s: reads alike but lies elsewhere on the interpreter's picture: found at %v, floorgate's own at %v (dots)", what, got.at, want.at)
						continue
					}
					alike.Add(1)
				}
				if n == 0 {
					t.Logf("%s has no barcode", s.name)
				}
			})
		}
	})
	t.Logf("%d labels (%d templates × languages at 203 and 300 dpi), %d of %d barcodes read alike", len(samples), len(names), alike.Load(), barcodes.Load())
}

// zplInterpreter returns the path of node once zpl-renderer-js is installed
// in zplInterpDir, running npm ci when node_modules is missing or older than
// package-lock.json. Missing Node or npm fails the test: it must not pass
// quietly on a machine that cannot run it.
func zplInterpreter(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("the ZPL interpreter test needs Node.js 18 or later and npm (make test-deps installs nodejs and npm): %v", err)
	}
	lock, err := os.Stat(filepath.Join(zplInterpDir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(zplInterpDir, "node_modules", ".package-lock.json")); err == nil && st.ModTime().After(lock.ModTime()) {
		return node
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("the ZPL interpreter test needs npm to install zpl-renderer-js into %s (make test-deps installs nodejs and npm): %v", zplInterpDir, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = zplInterpDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s (installs zpl-renderer-js from the npm registry): %v\n%s", zplInterpDir, err, out)
	}
	return node
}

// decoded is what gozxing read from one barcode and where, in label dots:
// for a linear symbol the left and right ends of the row it read, for QR
// the centres of the finder patterns.
type decoded struct {
	text string
	at   [][2]float64
}

// decodeBarcodeAt decodes the barcode bc of a label picture at dpi. It cuts
// out the symbol's own area with 1 mm to spare (at most its quiet zone) and
// puts it on white paper with a full quiet zone, so each barcode of a label
// is decoded alone; a symbol drawn much wider or elsewhere than bc says is
// cut and does not decode. FNC1 reads as "]C1" first and GS after.
func decodeBarcodeAt(img image.Image, bc label.Barcode, dpi int) (decoded, error) {
	md, err := label.ModuleDots(bc.ModuleMM, dpi)
	if err != nil {
		return decoded{}, err
	}
	var modules int
	if bc.Kind == label.QR {
		modules, err = label.QRWidth(bc.Data)
	} else {
		modules, err = label.Code128Width(bc.Data, bc.Kind == label.GS1128)
	}
	if err != nil {
		return decoded{}, err
	}
	dpmm, _ := label.DotsPerMM(dpi)
	d := func(mm float64) int { return int(math.Round(mm * dpmm)) }
	x0, y0 := d(bc.X), d(bc.Y)
	w, h, quiet := modules*md, d(bc.HeightMM), label.QuietModules*md
	if bc.Kind == label.QR {
		h, quiet = modules*md, 4*md
	}
	spare := min(quiet, int(dpmm))
	area := image.Rect(x0-spare, y0-spare, x0+w+spare, y0+h+spare).Intersect(img.Bounds())
	origin := image.Pt(x0-quiet, y0-quiet)
	paper := image.NewGray(image.Rect(0, 0, w+2*quiet, h+2*quiet))
	draw.Draw(paper, paper.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(paper, area.Sub(origin), img, area.Min, draw.Src)
	bmp, err := gozxing.NewBinaryBitmapFromImage(paper)
	if err != nil {
		return decoded{}, err
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	var r *gozxing.Result
	if bc.Kind == label.QR {
		r, err = qrcode.NewQRCodeReader().Decode(bmp, hints)
	} else {
		hints[gozxing.DecodeHintType_ASSUME_GS1] = true
		r, err = oned.NewCode128Reader().Decode(bmp, hints)
	}
	if err != nil {
		return decoded{}, err
	}
	out := decoded{text: r.GetText()}
	for _, p := range r.GetResultPoints() {
		out.at = append(out.at, [2]float64{p.GetX() + float64(origin.X), p.GetY() + float64(origin.Y)})
	}
	return out, nil
}

// samePlace reports whether two reads of a symbol found it at the same
// place within one module: for a linear symbol its two ends (not the row),
// for QR its finder patterns.
func samePlace(a, b decoded, linear bool, md int) bool {
	if len(a.at) != len(b.at) {
		return false
	}
	for i := range a.at {
		if math.Abs(a.at[i][0]-b.at[i][0]) > float64(md) || (!linear && math.Abs(a.at[i][1]-b.at[i][1]) > float64(md)) {
			return false
		}
	}
	return true
}

// wantDecoded is what gozxing reads from a correct symbol of bc.
func wantDecoded(bc label.Barcode) string {
	if bc.Kind == label.GS1128 {
		return "]C1" + bc.Data
	}
	return bc.Data
}

func kindName(k label.Symbology) string {
	switch k {
	case label.Code128:
		return "Code 128"
	case label.GS1128:
		return "GS1-128"
	case label.QR:
		return "QR"
	}
	return fmt.Sprintf("symbology %d", k)
}
