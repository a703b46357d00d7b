package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/web/webtest"
)

// startPairingMain is startMain for a site that enrols PDAs only by pairing:
// Demo is off (it would let any device enrol itself), and the demo site is
// seeded by hand once the gateway runs.
func startPairingMain(t *testing.T, clock floorgate.Clock) *gateway.Gateway {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.Devices.AutoEnrol = false
	m := gatewaytest.Start(t, &gateway.Gateway{Config: cfg, Clock: clock})
	if _, err := gateway.NewDemo().Seed(context.Background(), m.DB, clock.Now()); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPairPDAInBrowser: the PDA app on a device the gateway does not know
// shows the pairing screen; a wrong code is refused on the page; the code
// an admin shows pairs it, and the picker logs in and gets a task.
func TestPairPDAInBrowser(t *testing.T) {
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m := startPairingMain(t, clock)
	p := &pdaPage{t: t, ctx: browser(t, m, 360, 640), m: m, clock: clock, demo: gateway.NewDemo()}
	webtest.Do(t, p.ctx, "open the PDA app", chromedp.Navigate(gatewaytest.PageURL(m)+"/pda/"))
	p.wait("the pairing screen", `fgState().screen === 'pair' && !fgState().online`)
	dev := p.device()
	if got := p.text("pair-dev"); got != dev {
		t.Fatalf("pairing screen shows device %q, want %q", got, dev)
	}
	if note := p.text("verdict"); !strings.Contains(note, "This device is not enrolled. Ask a supervisor to pair it.") {
		t.Fatalf("pairing screen says %q", note)
	}
	// The app has stopped trying (the gateway said who it is not), so it
	// must not claim to be reconnecting.
	if pdaEval[bool](p, `!document.getElementById('offline').hidden`) {
		t.Fatalf("the pairing screen shows the offline banner: %q", p.text("offline"))
	}
	if _, ok := deviceOf(m, dev); ok {
		t.Fatalf("the unknown device %s enrolled itself", dev)
	}
	shot := webtest.Screenshot(t, p.ctx, "pda-pairing")
	t.Logf("pairing screen: %s", shot)

	admin := signedIn(t, m, gateway.DemoAdminBadge)
	r := admin.change("POST", "/api/v1/devices/enrol", nil)
	var enrol struct{ Code string }
	if r.status != http.StatusOK || json.Unmarshal(r.body, &enrol) != nil || len(enrol.Code) != 6 {
		t.Fatalf("pairing code: %s", r)
	}

	// A mistyped code: the page says so and stays on the pairing screen.
	wrong := []byte(enrol.Code)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	p.typeCode(string(wrong), false)
	p.wait("the wrong code refused", `document.getElementById('verdict').textContent.includes('Pairing code not valid or expired')`)
	if s := pdaEval[string](p, `fgState().screen`); s != "pair" {
		t.Fatalf("after a wrong code the page shows %q", s)
	}

	p.typeCode(enrol.Code, true)
	p.wait("paired and at the login screen", `fgState().online && fgState().screen === 'login'`)
	d, ok := deviceOf(m, dev)
	if !ok || d.Kind != floorgate.DevicePDA || d.Disabled {
		t.Fatalf("%s after pairing: %v %+v", dev, ok, d)
	}
	if tok := pdaEval[string](p, `localStorage.getItem('fg.token')`); len(tok) != 64 {
		t.Fatalf("the page kept token %q, want the 64-hex one the gateway gave", tok)
	}
	log := admin.audit()
	if len(log) == 0 {
		t.Fatal("no audit entry")
	}
	wantAudit(t, log[0], "device.enrol", dev, "paired from 127.0.0.1, model "+d.Model)

	p.login(p.demo.Badges[0])
	p.wait("the pick screen", `fgState().screen === 'pick' && fgState().step === 'scan_location'`)
	s, _ := sessionOf(m, dev)
	if s.Operator != "P001" || s.Task == "" || pdaEval[string](p, `fgState().prompt.task`) != s.Task {
		t.Fatalf("session %+v, page prompt %s", s, pdaEval[string](p, `JSON.stringify(fgState().prompt)`))
	}
	webtest.Screenshot(t, p.ctx, "pda-paired-pick")
}

// typeCode types a pairing code into the field and taps Pair, or, with
// enter, presses Enter on the keyboard instead.
func (p *pdaPage) typeCode(code string, enter bool) {
	p.t.Helper()
	pdaEval[string](p, `document.getElementById('pair-code').value = ''`)
	if enter {
		webtest.Do(p.t, p.ctx, "type the code "+code+" and Enter", chromedp.SendKeys(chromedp.CSS(`#pair-code`), code+"\r"))
		return
	}
	webtest.Do(p.t, p.ctx, "type the code "+code,
		chromedp.SendKeys(chromedp.CSS(`#pair-code`), code),
		chromedp.Click(chromedp.CSS(`#pair-go`)))
}
