package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/boombuler/barcode/code128"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/scan"
	"github.com/floorgate/floorgate/web/webtest"
)

// The camera the tests give Chromium: a 1280×720 frame and a focal length of
// 1000 px (a horizontal field of view of about 65°, a phone's main camera).
const (
	camW, camH = 1280, 720
	camFocalPx = 1000.0
)

// TestPDACameraMeasuresDistance: the PDA app's camera scan mode, in
// Chromium with a fake camera whose picture is a demo location label. The
// app is calibrated against the label at 10 cm, then reads it at 150, 50
// and 75 mm; each read sends the symbol's geometry, and the gateway records
// the distance it computes within 5% of the truth, refusing 150 mm in the
// default reject mode. Headless Chromium on Linux has no BarcodeDetector, so
// this runs the ZXing WebAssembly decoder that `make deps` installs.
func TestPDACameraMeasuresDistance(t *testing.T) {
	if _, err := os.Stat("static/pda/decoder/zxing_reader.wasm"); err != nil {
		t.Fatal("the PDA camera decoder is not installed: run `make deps` (it runs npm ci in web/decoder)")
	}
	m, clock := demoGateway(t)
	demo := gateway.NewDemo()
	loc := demo.Tasks[0].Lines[0].Location
	code := demo.LocationBarcode[loc]
	wmm, ok := scan.SymbolWidthMM(code, "", floorgate.Match{Kind: floorgate.MatchLocation,
		Location: &floorgate.Location{Code: loc, Barcode: code, LabelXMM: gateway.DemoLabelX}})
	if !ok {
		t.Fatalf("no symbol width for %s", code)
	}

	video := filepath.Join(t.TempDir(), "camera.y4m")
	writeLabelVideo(t, video, code, gateway.DemoLabelX, 100)
	ctx := webtest.Browser(t, 360, 640, webtest.FakeCamera(video)...)
	webtest.Do(t, ctx, "accept the gateway's self-signed certificate", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true})
		return chromedp.Void{}, err
	})
	p := &pdaPage{t: t, ctx: ctx, m: m, clock: clock, demo: demo}
	webtest.Do(t, ctx, "open the PDA app", chromedp.Navigate(gatewaytest.PageURLAt(m, m.Addr())+"/pda/"))
	p.wait("connected, login screen", `fgState().online && fgState().screen === 'login'`)

	// Calibration, on the login screen: the label held at 10 cm.
	webtest.Do(t, ctx, "calibrate", chromedp.Click(chromedp.CSS(`#cam-cal-open`)))
	p.wait("calibrated", `fgCamera.state().calibration !== null`)
	cal := pdaEval[struct {
		FocalPx    float64 `json:"focal_px"`
		ImageWidth int     `json:"image_width"`
	}](p, `fgCamera.state().calibration`)
	t.Logf("calibrated: focal_px %.1f at %d px wide (truth %.0f), decoder %s", cal.FocalPx, cal.ImageWidth, camFocalPx,
		pdaEval[string](p, `fgCamera.state().engine`))
	if cal.ImageWidth != camW || math.Abs(cal.FocalPx-camFocalPx)/camFocalPx > 0.03 {
		t.Fatalf("calibration %+v, want focal_px %.0f ±3%% at %d px", cal, camFocalPx, camW)
	}
	webtest.Screenshot(t, ctx, "pda-camera-calibrated")
	webtest.Do(t, ctx, "camera off", chromedp.Click(chromedp.CSS(`#cam-off`)))
	p.wait("camera off", `fgCamera.state().mode === 'off' && !fgCamera.state().reading`)
	if sent := pdaEval[int](p, `fgCamera.reads.length`); sent != 0 {
		t.Fatalf("calibration sent %d reads as scans", sent)
	}

	p.login(demo.Badges[0])
	p.wait("pick screen", `fgState().screen === 'pick' && fgState().step === 'scan_location'`)
	dev := p.device()

	// 50 mm is the band's edge: a read there may fall either side, so only
	// its distance is checked.
	const either = 0
	for _, c := range []struct {
		mm      float64
		accept  int // 1 accepted, -1 rejected, either
		rejCode floorgate.Code
	}{
		{150, -1, floorgate.CodeDistance},
		{50, either, ""},
		{75, 1, ""},
	} {
		writeLabelVideo(t, video, code, gateway.DemoLabelX, c.mm)
		clock.Add(time.Minute) // a new read, not a duplicate
		n := pdaEval[int](p, `fgFeedbackLog.length`)
		before := len(allScans(t, m, dev))
		webtest.Do(t, ctx, "camera on", chromedp.Click(chromedp.CSS(`#cam-btn`)))
		p.wait(fmt.Sprintf("the verdict for the label at %.0f mm", c.mm), fmt.Sprintf(`fgFeedbackLog.length > %d && fgState().queue.length === 0`, n))
		if c.mm == 150 {
			webtest.Screenshot(t, ctx, "pda-camera-150mm")
		}
		webtest.Do(t, ctx, "camera off", chromedp.Click(chromedp.CSS(`#cam-off`)))
		p.wait("camera off", `fgCamera.state().mode === 'off' && !fgCamera.state().reading`)
		fb := pdaEval[feedbackEntry](p, `fgFeedbackLog[fgFeedbackLog.length-1]`)
		recs := allScans(t, m, dev)
		if len(recs) != before+1 {
			t.Fatalf("at %.0f mm: %d scan events, want %d", c.mm, len(recs), before+1)
		}
		r := recs[len(recs)-1]
		wantPx := camFocalPx * wmm / c.mm
		t.Logf("label at %3.0f mm (%.0f px wide): gateway measured %.1f mm (%+.1f%%), %s %s", c.mm, wantPx,
			r.rec.DistanceMM, 100*(r.rec.DistanceMM-c.mm)/c.mm, r.typ, fb.Code)
		if math.Abs(r.rec.DistanceMM-c.mm)/c.mm > 0.05 {
			t.Errorf("at %.0f mm the gateway recorded %.1f mm: more than 5%% off", c.mm, r.rec.DistanceMM)
		}
		accepted := r.typ == floorgate.EventScanAccepted
		if c.accept == 1 && !accepted || c.accept == -1 && (accepted || fb.Code != string(c.rejCode)) {
			t.Errorf("at %.0f mm: %s, verdict %s; want %s", c.mm, r.typ, fb.Code, map[int]string{1: "accepted", -1: "rejected " + string(c.rejCode)}[c.accept])
		}
	}
	if got := pdaEval[int](p, `fgCamera.reads.length`); got != 3 {
		t.Errorf("the camera sent %d reads, want 3 (one a camera start)", got)
	}
}

// TestPDACameraWithoutDecoder: a gateway built without the decoder (go
// build with no `make deps`; here its files are blocked) keeps the scanner
// and answers the camera button with what is missing.
func TestPDACameraWithoutDecoder(t *testing.T) {
	m, clock := demoGateway(t)
	video := filepath.Join(t.TempDir(), "camera.y4m")
	writeLabelVideo(t, video, "A-01-01-1", gateway.DemoLabelX, 75)
	ctx := webtest.Browser(t, 360, 640, webtest.FakeCamera(video)...)
	webtest.Do(t, ctx, "accept the certificate and block the decoder", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true}); err != nil {
			return chromedp.Void{}, err
		}
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, tg, network.SetBlockedURLs, network.SetBlockedURLsParams{
			URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/pda/decoder/*", Block: true}}})
		return chromedp.Void{}, err
	})
	p := &pdaPage{t: t, ctx: ctx, m: m, clock: clock, demo: gateway.NewDemo()}
	webtest.Do(t, ctx, "open the PDA app", chromedp.Navigate(gatewaytest.PageURLAt(m, m.Addr())+"/pda/"))
	p.wait("connected, login screen", `fgState().online && fgState().screen === 'login'`)
	webtest.Do(t, ctx, "camera on", chromedp.Click(chromedp.CSS(`#cam-btn`)))
	p.wait("the camera says the decoder is missing", `document.querySelector('#cam-status .en').textContent.includes('no camera decoder')`)
	webtest.Screenshot(t, ctx, "pda-camera-no-decoder")
	if st := pdaEval[bool](p, `fgCamera.state().reading`); st {
		t.Fatal("the camera runs with no decoder")
	}
	webtest.Do(t, ctx, "camera off", chromedp.Click(chromedp.CSS(`#cam-off`)))
	p.login(p.demo.Badges[0]) // the scanner still works
}

type scanEvent struct {
	typ string
	rec floorgate.ScanRecord
}

// allScans is scanRecords in journal order.
func allScans(t *testing.T, m *gateway.Gateway, device string) []scanEvent {
	t.Helper()
	evs, err := m.DB.Journal(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var out []scanEvent
	for _, ev := range evs {
		if ev.Type != floorgate.EventScanAccepted && ev.Type != floorgate.EventScanRejected {
			continue
		}
		var r floorgate.ScanRecord
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			t.Fatal(err)
		}
		if r.Device == device {
			out = append(out, scanEvent{ev.Type, r})
		}
	}
	return out
}

// writeLabelVideo writes the fake camera's picture: a Y4M video (one 4:2:0
// frame, which Chromium loops) of a printed location label, its Code 128
// symbol of X-dimension xmm seen square-on from zmm by the test camera:
// paper, quiet zones and bars at camFocalPx/zmm pixels a millimetre, each
// pixel the average of what falls into it, as a camera's does, on a grey
// background. The file is replaced whole, for the next camera start.
func writeLabelVideo(t *testing.T, path, data string, xmm, zmm float64) {
	t.Helper()
	bc, err := code128.Encode(data)
	if err != nil {
		t.Fatal(err)
	}
	modules := bc.Bounds().Dx()
	dark := make([]bool, modules)
	for i := range dark {
		r, _, _, _ := bc.At(bc.Bounds().Min.X+i, bc.Bounds().Min.Y).RGBA()
		dark[i] = r < 0x8000
	}
	if k := (modules - 13) / 11; 11*k+13 != modules || float64(modules)*xmm < 1 {
		t.Fatalf("code 128 of %q: %d modules", data, modules)
	}
	pxmm := camFocalPx / zmm
	ppm := pxmm * xmm // pixels a module
	symW := float64(modules) * ppm
	x0 := (camW - symW) / 2
	barH := 15 * pxmm
	y0 := (camH - barH) / 2
	quiet := 10 * ppm
	paper := struct{ x0, x1, y0, y1 float64 }{x0 - quiet, x0 + symW + quiet, y0 - 4*pxmm, y0 + barH + 8*pxmm}
	const white, black, grey = 232, 24, 96

	// coverage[x] is how much of pixel column x the bars cover.
	coverage := make([]float64, camW)
	for x := range coverage {
		a, b := (float64(x)-x0)/ppm, (float64(x)+1-x0)/ppm
		for i := int(math.Floor(a)); float64(i) < b; i++ {
			if i < 0 || i >= modules || !dark[i] {
				continue
			}
			lo, hi := math.Max(a, float64(i)), math.Min(b, float64(i+1))
			if hi > lo {
				coverage[x] += (hi - lo) / (b - a)
			}
		}
	}
	frame := make([]byte, camW*camH*3/2)
	for y := range camH {
		fy := float64(y) + 0.5
		for x := range camW {
			fx := float64(x) + 0.5
			v := float64(grey) + 20*float64(y)/camH
			if fx >= paper.x0 && fx < paper.x1 && fy >= paper.y0 && fy < paper.y1 {
				v = white
				if fy >= y0 && fy < y0+barH {
					v = white - coverage[x]*(white-black)
				}
			}
			frame[y*camW+x] = uint8(math.Round(v))
		}
	}
	for i := camW * camH; i < len(frame); i++ {
		frame[i] = 128 // no colour
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", camW, camH)
	for range 2 {
		f.WriteString("FRAME\n")
		f.Write(frame)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
