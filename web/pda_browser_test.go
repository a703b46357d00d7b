package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/web/webtest"
)

// These tests drive the PDA web app (web/static/pda) in a real headless
// Chromium at a PDA's 360×640, against a real demo gateway. Scans are typed
// into the page the way a keyboard-wedge scanner types them: keystrokes and
// an Enter.

// pdaPage is one PDA browser tab on a gateway.
type pdaPage struct {
	t     *testing.T
	ctx   context.Context
	m     *gateway.Gateway
	clock *floorgate.ManualClock
	demo  *gateway.Demo
}

// openPDA opens the PDA app of m, reached at addr (m's or a proxy's).
func openPDA(t *testing.T, m *gateway.Gateway, clock *floorgate.ManualClock, addr string) *pdaPage {
	t.Helper()
	p := &pdaPage{t: t, ctx: browser(t, m, 360, 640), m: m, clock: clock, demo: gateway.NewDemo()}
	webtest.Do(t, p.ctx, "open the PDA app", chromedp.Navigate(gatewaytest.PageURLAt(m, addr)+"/pda/"))
	p.wait("connected, login screen", `fgState().online && fgState().screen === 'login'`)
	return p
}

// browser is a headless Chromium tab of width×height for m's pages. A
// browser cannot pin a fingerprint; this one goes on past the warning a
// self-signed certificate raises, as a person does once on each device.
func browser(t *testing.T, m *gateway.Gateway, width, height int) context.Context {
	t.Helper()
	ctx := webtest.Browser(t, width, height)
	if m.Fingerprint != "" {
		webtest.Do(t, ctx, "accept the gateway's self-signed certificate", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true})
			return chromedp.Void{}, err
		})
	}
	return ctx
}

// wait polls a JavaScript condition in the page until it holds.
func (p *pdaPage) wait(what, cond string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		p.t.Fatalf("waiting for %s (%s): %v; page state %s", what, cond, err, p.state())
	}
}

func (p *pdaPage) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(fgState())`))
	if err != nil {
		return err.Error()
	}
	return s
}

func pdaEval[T any](p *pdaPage, expr string) T {
	p.t.Helper()
	return webtest.Get(p.t, p.ctx, expr, chromedp.Evaluate[T](expr))
}

func (p *pdaPage) text(id string) string {
	p.t.Helper()
	return pdaEval[string](p, `document.getElementById(`+jsString(id)+`).textContent.trim()`)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// jsStrings is keys, n times over, as a JavaScript array.
func jsStrings(keys []string, n int) string {
	var all []string
	for range n {
		all = append(all, keys...)
	}
	b, _ := json.Marshal(all)
	return string(b)
}

// login scans the badge and taps the PIN on the page's keypad.
func (p *pdaPage) login(badge string) {
	p.t.Helper()
	webtest.Do(p.t, p.ctx, "scan the badge", chromedp.KeyEvent(badge+"\r"))
	p.wait("PIN pad", `!document.getElementById('login-pin-step').hidden`)
	if got := p.text("badge-shown"); got != badge {
		p.t.Fatalf("badge shown %q, want %q", got, badge)
	}
	var taps []chromedp.Action[chromedp.Void]
	for _, d := range gateway.DemoPIN {
		taps = append(taps, chromedp.Click(chromedp.CSS(`#pin-pad button[data-k="`+string(d)+`"]`)))
	}
	webtest.Do(p.t, p.ctx, "type the PIN", taps...)
	webtest.Screenshot(p.t, p.ctx, "pda-pin")
	if n := pdaEval[int](p, `document.querySelectorAll('#pin-dots i.on').length`); n != len(gateway.DemoPIN) {
		p.t.Fatalf("%d PIN dots filled, want %d", n, len(gateway.DemoPIN))
	}
	webtest.Do(p.t, p.ctx, "tap OK", chromedp.Click(chromedp.CSS(`#pin-pad button[data-k="ok"]`)))
	p.wait("logged in", `fgFeedbackLog.some(f => f.code === 'logged_in') && fgState().step !== 'login'`)
	// The taps on the keypad must not have taken the focus from the
	// scanner's field.
	p.wait("focus back on the capture field", `document.activeElement && document.activeElement.id === 'capture'`)
}

type feedbackEntry struct {
	Code    string           `json:"code"`
	Kind    string           `json:"kind"`
	Tone    []floorgate.Tone `json:"tone"`
	Vibrate []int            `json:"vibrate"`
	LED     string           `json:"led"`
}

// scan types data like a scanner and waits for the gateway's verdict to be
// played. The gateway's clock moves on a second first (a picker takes a
// moment per scan), and the page's own double-read guard is given its 300 ms
// when the same barcode is read again.
func (p *pdaPage) scan(data string) feedbackEntry {
	p.t.Helper()
	n := pdaEval[int](p, `fgFeedbackLog.length`)
	p.clock.Add(time.Second)
	p.wait("the reader to take a new read", `fgReader.wouldAccept(`+jsString(data)+`, performance.now())`)
	webtest.Do(p.t, p.ctx, "scan "+data, chromedp.KeyEvent(data+"\r"))
	p.wait("the verdict for "+data, fmt.Sprintf(`fgFeedbackLog.length > %d && fgState().queue.length === 0`, n))
	return pdaEval[feedbackEntry](p, `fgFeedbackLog[fgFeedbackLog.length-1]`)
}

func (p *pdaPage) prompt() floorgate.Prompt {
	p.t.Helper()
	return pdaEval[floorgate.Prompt](p, `fgState().prompt`)
}

func (p *pdaPage) device() string {
	p.t.Helper()
	return pdaEval[string](p, `fgState().device`)
}

// scanRecords returns the journal's scan events of a device, by type.
func scanRecords(t *testing.T, m *gateway.Gateway, device string) map[string][]floorgate.ScanRecord {
	t.Helper()
	evs, err := m.DB.Journal(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]floorgate.ScanRecord{}
	for _, ev := range evs {
		if ev.Type != floorgate.EventScanAccepted && ev.Type != floorgate.EventScanRejected {
			continue
		}
		var r floorgate.ScanRecord
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			t.Fatal(err)
		}
		if r.Device == device {
			out[ev.Type] = append(out[ev.Type], r)
		}
	}
	return out
}

func pickedOnLine(t *testing.T, m *gateway.Gateway, device string) (task string, line, picked int) {
	t.Helper()
	s := m.DB.Session(device)
	tk, err := m.DB.Task(s.Task)
	if err != nil {
		t.Fatal(err)
	}
	return s.Task, s.Line, tk.Lines[s.Line].Picked
}

// TestPDALoginAndPick: badge and PIN on the keypad, the first task's
// location on screen, a wrong location that turns the screen red and plays
// its own tone, then the line picked to the end.
func TestPDALoginAndPick(t *testing.T) {
	m, clock := demoGateway(t)
	p := openPDA(t, m, clock, m.Addr())
	webtest.Screenshot(t, p.ctx, "pda-login")
	p.login(p.demo.Badges[0])
	dev := p.device()

	first := p.demo.Tasks[0]
	p.wait("pick screen", `fgState().screen === 'pick'`)
	pr := p.prompt()
	if s := m.DB.Session(dev); pr.Step != "scan_location" || pr.Task != first.ID || s.Task != first.ID || s.Operator == "" {
		t.Fatalf("prompt %+v, session %+v; want the first demo task %s", pr, s, first.ID)
	}
	if got := p.text("pick-location"); got != first.Lines[0].Location {
		t.Fatalf("location on screen %q, want %q", got, first.Lines[0].Location)
	}
	if got := p.text("pick-sku"); got != first.Lines[0].SKU {
		t.Fatalf("SKU on screen %q, want %q", got, first.Lines[0].SKU)
	}
	if got, want := p.text("pick-qty"), fmt.Sprintf("0 / %d", first.Lines[0].Qty); got != want {
		t.Fatalf("quantity on screen %q, want %q", got, want)
	}
	webtest.Screenshot(t, p.ctx, "pda-pick")

	// A wrong location: the gateway's message in both languages, the whole
	// screen red, and the wrong-location tone.
	wrong := p.demo.Master.Locations[0].Barcode
	if wrong == p.demo.LocationBarcode[pr.Location] {
		wrong = p.demo.Master.Locations[1].Barcode
	}
	fb := p.scan(wrong)
	want := floorgate.NewVerdict("", floorgate.CodeWrongLocation, floorgate.Prompt{})
	if fb.Code != string(floorgate.CodeWrongLocation) || fb.Kind != "bad" || fb.LED != "red" ||
		fmt.Sprint(fb.Tone) != fmt.Sprint(want.Feedback.Tone) || fmt.Sprint(fb.Vibrate) != fmt.Sprint(want.Feedback.Vibrate) {
		t.Fatalf("feedback played %+v, want the wrong-location feedback %+v", fb, want.Feedback)
	}
	if !pdaEval[bool](p, `!document.getElementById('alarm').hidden`) {
		t.Fatal("the wrong location did not turn the screen red")
	}
	if zh, en := p.text("alarm-zh"), p.text("alarm-en"); zh != want.Message.ZH || en != want.Message.EN {
		t.Fatalf("alarm says %q / %q, want %q / %q", zh, en, want.Message.ZH, want.Message.EN)
	}
	if got := p.text("alarm-loc"); got != pr.Location {
		t.Fatalf("alarm points to %q, want %q", got, pr.Location)
	}
	webtest.Screenshot(t, p.ctx, "pda-wrong-location")

	// The right location, then every unit of the line.
	line := first.Lines[0]
	if fb := p.scan(p.demo.LocationBarcode[line.Location]); fb.Code != string(floorgate.CodeLocationOK) {
		t.Fatalf("right location: %s", fb.Code)
	}
	if !pdaEval[bool](p, `document.getElementById('alarm').hidden`) {
		t.Fatal("the red screen stayed after the right location")
	}
	if got := p.prompt(); got.Step != "scan_item" {
		t.Fatalf("after the location: %+v", got)
	}
	webtest.Screenshot(t, p.ctx, "pda-scan-item")
	for i := 1; i <= line.Qty; i++ {
		fb := p.scan(p.demo.ItemBarcode[line.SKU])
		if i < line.Qty {
			if got, want := p.text("pick-qty"), fmt.Sprintf("%d / %d", i, line.Qty); fb.Code != string(floorgate.CodeItemOK) || got != want {
				t.Fatalf("unit %d: %s, screen %q, want item_ok and %q", i, fb.Code, got, want)
			}
		} else if fb.Code != string(floorgate.CodeLineDone) && fb.Code != string(floorgate.CodeTaskDone) {
			t.Fatalf("last unit: %s", fb.Code)
		}
	}
	// The line is done: the next line (or the next task) is on screen.
	next := p.prompt()
	if len(first.Lines) > 1 {
		if next.Task != first.ID || next.Line != 2 || p.text("pick-location") != first.Lines[1].Location {
			t.Fatalf("after the line: %+v, screen %q", next, p.text("pick-location"))
		}
		if got, want := p.text("pick-line"), fmt.Sprintf("line 2/%d", len(first.Lines)); !strings.Contains(got, want) {
			t.Fatalf("line shown %q, want %q", got, want)
		}
	} else if next.Task == first.ID {
		t.Fatalf("after the only line: %+v", next)
	}
	tk, err := m.DB.Task(first.ID)
	if err != nil || tk.Lines[0].Picked != line.Qty {
		t.Fatalf("task after the line: %v %+v", err, tk)
	}
	recs := scanRecords(t, m, dev)
	acc := recs[floorgate.EventScanAccepted]
	if len(acc) != 1+line.Qty || len(recs[floorgate.EventScanRejected]) != 1 {
		t.Fatalf("journal: %d accepted (want %d), %d rejected (want 1)", len(acc), 1+line.Qty, len(recs[floorgate.EventScanRejected]))
	}
	ids := map[string]bool{}
	for i, r := range acc {
		wantData := p.demo.ItemBarcode[line.SKU]
		if i == 0 {
			wantData = p.demo.LocationBarcode[line.Location]
		}
		if r.Data != wantData || !strings.HasPrefix(r.ScanID, dev+"-") || ids[r.ScanID] {
			t.Fatalf("accepted scan %d: %+v", i, r)
		}
		ids[r.ScanID] = true
	}

	// The next line's bin is empty: a short pick from the screen.
	if len(first.Lines) < 2 {
		return
	}
	if fb := p.scan(p.demo.LocationBarcode[first.Lines[1].Location]); fb.Code != string(floorgate.CodeLocationOK) {
		t.Fatalf("second location: %s", fb.Code)
	}
	n := pdaEval[int](p, `fgFeedbackLog.length`)
	clock.Add(time.Second)
	webtest.Do(t, p.ctx, "short pick", chromedp.Click(chromedp.ID("short-btn")), chromedp.WaitVisible(chromedp.ID("reasons")))
	webtest.Screenshot(t, p.ctx, "pda-short-reasons")
	if n := pdaEval[int](p, `document.querySelectorAll('#reason-list button[data-reason]').length`); n != 5 {
		t.Fatalf("a pick line offers %d reasons, want 5", n)
	}
	webtest.Do(t, p.ctx, "the count is wrong", chromedp.Click(chromedp.CSS(`#reason-list button[data-reason="short_count_wrong"]`)), chromedp.WaitVisible(chromedp.ID("modal")))
	webtest.Screenshot(t, p.ctx, "pda-short")
	webtest.Do(t, p.ctx, "found none", chromedp.Click(chromedp.CSS(`#num-pad button[data-k="ok"]`)))
	p.wait("the short's verdict", fmt.Sprintf(`fgFeedbackLog.length > %d && fgState().queue.length === 0`, n))
	if fb := pdaEval[feedbackEntry](p, `fgFeedbackLog[fgFeedbackLog.length-1]`); fb.Code != string(floorgate.CodeShortOK) {
		t.Fatalf("short: %s", fb.Code)
	}
	tk, err = m.DB.Task(first.ID)
	if err != nil || tk.Lines[1].Open() || tk.Lines[1].Picked != 0 {
		t.Fatalf("line 2 after the short: %v %+v", err, tk.Lines[1])
	}
	// The reason chosen on the PDA is the case's.
	cases, err := m.DB.Exceptions(store.ExceptionFilter{Open: true})
	if err != nil || len(cases) != 1 || cases[0].Reason != floorgate.ReasonShortCountWrong || cases[0].Task != first.ID || cases[0].Line != 2 {
		t.Fatalf("the short's case: %+v %v", cases, err)
	}
}

// dropProxy is a TCP proxy between the browser and the gateway that can
// swallow everything the gateway sends, cut every connection and refuse new
// ones: a PDA walking out of Wi-Fi coverage at the worst moment.
type dropProxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	blackhole bool
	refuse    bool
	conns     []net.Conn
}

func startDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	return p
}

func (p *dropProxy) Addr() string { return p.ln.Addr().String() }

func (p *dropProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() { io.Copy(s, c); s.Close() }()
		go p.down(c, s)
	}
}

// down copies the gateway's bytes to the browser unless blackholed.
func (p *dropProxy) down(c, s net.Conn) {
	defer c.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			p.mu.Lock()
			drop := p.blackhole
			p.mu.Unlock()
			if !drop {
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *dropProxy) setBlackhole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackhole = on
}

// cut closes every connection and refuses new ones until restore.
func (p *dropProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *dropProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse, p.blackhole = false, false
}

// TestPDAResendAfterDrop: the gateway records an item scan but its verdict
// never reaches the page, and the connection dies. The page says it is
// offline with one scan waiting, reconnects by itself, resends the scan with
// the same scan_id, and the unit is counted exactly once.
func TestPDAResendAfterDrop(t *testing.T) {
	m, clock := demoGateway(t)
	proxy := startDropProxy(t, m.Addr())
	p := openPDA(t, m, clock, proxy.Addr())
	p.login(p.demo.Badges[0])
	dev := p.device()
	pr := p.prompt()
	if fb := p.scan(p.demo.LocationBarcode[pr.Location]); fb.Code != string(floorgate.CodeLocationOK) {
		t.Fatalf("location: %s", fb.Code)
	}
	task, line, before := pickedOnLine(t, m, dev)
	item := p.demo.ItemBarcode[pr.SKU]
	played := pdaEval[int](p, `fgFeedbackLog.length`)

	// The scan leaves the browser; the gateway's answer goes nowhere.
	proxy.setBlackhole(true)
	clock.Add(time.Second)
	webtest.Do(t, p.ctx, "scan the item", chromedp.KeyEvent(item+"\r"))
	var sent floorgate.ScanRecord
	poll.Eventually(t, 10*time.Second, func() bool {
		acc := scanRecords(t, m, dev)[floorgate.EventScanAccepted]
		if len(acc) == 2 {
			sent = acc[1]
		}
		return len(acc) == 2
	}, func() string { return "the gateway did not record the item scan" })
	if sent.Data != item {
		t.Fatalf("recorded %+v, want the item %s", sent, item)
	}
	if q := pdaEval[[]string](p, `fgState().queue`); len(q) != 1 || q[0] != sent.ScanID {
		t.Fatalf("page queue %v, want the unanswered %s", q, sent.ScanID)
	}
	proxy.cut()
	p.wait("offline banner", `!fgState().online && !document.getElementById('offline').hidden`)
	if got := p.text("offline-en"); !strings.Contains(got, "1 scan waiting") {
		t.Fatalf("offline banner says %q", got)
	}
	if got := p.text("offline-zh"); !strings.Contains(got, "1 条扫描待发送") {
		t.Fatalf("offline banner (zh) says %q", got)
	}
	if n := pdaEval[int](p, `fgFeedbackLog.length`); n != played {
		t.Fatalf("the page played %d verdicts while the gateway's answers were swallowed", n-played)
	}
	webtest.Screenshot(t, p.ctx, "pda-offline")

	proxy.restore()
	p.wait("reconnected and the scan answered", `fgState().online && fgState().queue.length === 0 && fgFeedbackLog.length > `+fmt.Sprint(played))
	fb := pdaEval[feedbackEntry](p, `fgFeedbackLog[fgFeedbackLog.length-1]`)
	if fb.Code != string(sent.Code) {
		t.Fatalf("the page played %s after the resend, the gateway had judged %s", fb.Code, sent.Code)
	}
	if got := pdaEval[string](p, `document.getElementById('verdict').dataset.code`); got != string(sent.Code) {
		t.Fatalf("verdict shown %q, want %s", got, sent.Code)
	}
	if !pdaEval[bool](p, `document.getElementById('offline').hidden`) {
		t.Fatal("the offline banner stayed after reconnecting")
	}
	n := 0
	for _, r := range scanRecords(t, m, dev)[floorgate.EventScanAccepted] {
		if r.ScanID == sent.ScanID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d scan.accepted events for %s, want exactly 1", n, sent.ScanID)
	}
	tk, err := m.DB.Task(task)
	if err != nil || tk.Lines[line].Picked != before+1 {
		t.Fatalf("line %d picked %d → %+v (%v), want exactly one more", line, before, tk.Lines[line], err)
	}
}

// TestPDAReaderGuards checks the page's reader against a made-up clock: a
// barcode delivered in two bursts is one scan, one trigger delivered twice
// is one scan, nothing is sent on a pause, a stale fragment is dropped, GS
// is kept, Tab ends a read. Then, in the live page, a doubled read reaches
// the gateway once.
func TestPDAReaderGuards(t *testing.T) {
	m, clock := demoGateway(t)
	p := openPDA(t, m, clock, m.Addr())

	type step struct {
		keys string
		at   float64 // ms of the first key; keys come 5 ms apart
	}
	cases := []struct {
		name    string
		steps   []step
		want    []string
		pending string
	}{
		{"split in two bursts", []step{{"A-0", 0}, {"1-01-1\r", 200}}, []string{"A-01-01-1"}, ""},
		{"one trigger twice", []step{{"6901234510001\r", 0}, {"6901234510001\r", 150}}, []string{"6901234510001"}, ""},
		{"two units of one item", []step{{"6901234510001\r", 0}, {"6901234510001\r", 700}}, []string{"6901234510001", "6901234510001"}, ""},
		{"no send on a pause", []step{{"PQR", 0}}, nil, "PQR"},
		{"stale fragment dropped", []step{{"XY", 0}, {"B-02-01-1\r", 2500}}, []string{"B-02-01-1"}, ""},
		{"CR LF is one terminator", []step{{"Z1\r\n", 0}}, []string{"Z1"}, ""},
		{"Tab ends a read", []step{{"T9\t", 0}}, []string{"T9"}, ""},
		{"GS kept", []step{{"0109501101530003\x1d10AB\r", 0}}, []string{"0109501101530003\x1d10AB"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var js strings.Builder
			js.WriteString(`(() => { const out = []; const r = fgNewReader(d => out.push(d));`)
			for _, s := range c.steps {
				for i, k := range s.keys {
					key := string(k)
					switch k {
					case '\r', '\n':
						key = "Enter"
					case '\t':
						key = "Tab"
					}
					fmt.Fprintf(&js, `r.key(%s, %v);`, jsString(key), s.at+float64(5*i))
				}
			}
			js.WriteString(`return {out, pending: r.pending()}; })()`)
			got := webtest.Get(t, p.ctx, c.name, chromedp.Evaluate[struct {
				Out     []string `json:"out"`
				Pending string   `json:"pending"`
			}](js.String()))
			if fmt.Sprintf("%q", got.Out) != fmt.Sprintf("%q", c.want) || got.Pending != c.pending {
				t.Fatalf("reads %q pending %q, want %q pending %q", got.Out, got.Pending, c.want, c.pending)
			}
		})
	}

	// Live: one trigger delivered twice in one burst of keys reaches the
	// gateway once. A later, different scan is the marker: the gateway
	// answers in order, so a second copy would have been judged before it.
	// The burst is dispatched inside the page, through the same keydown and
	// keypress listeners a wedge scanner's keys reach: typed one at a time
	// over the DevTools protocol, the copies' keys come as far apart as the
	// machine is busy, not as a scanner sends them.
	p.login(p.demo.Badges[0])
	dev := p.device()
	pr := p.prompt()
	wrong := p.demo.Master.Locations[0].Barcode
	if wrong == pr.Location {
		wrong = p.demo.Master.Locations[1].Barcode
	}
	n := pdaEval[int](p, `fgFeedbackLog.length`)
	clock.Add(time.Second)
	burst := fmt.Sprintf(`(() => {
		const fire = (type, key) => document.activeElement.dispatchEvent(new KeyboardEvent(type, {key, bubbles: true, cancelable: true}));
		for (const k of %s) {
			if (k === 'Enter') fire('keydown', k);
			fire('keypress', k);
		}
		return true;
	})()`, jsStrings(append(strings.Split(wrong, ""), "Enter"), 2))
	webtest.Get(t, p.ctx, "a doubled read", chromedp.Evaluate[bool](burst))
	p.wait("its verdict", fmt.Sprintf(`fgFeedbackLog.length > %d && fgState().queue.length === 0`, n))
	if fb := p.scan(p.demo.LocationBarcode[pr.Location]); fb.Code != string(floorgate.CodeLocationOK) {
		t.Fatalf("marker scan: %s", fb.Code)
	}
	recs := scanRecords(t, m, dev)
	if r := recs[floorgate.EventScanRejected]; len(r) != 1 || r[0].Data != wrong || r[0].Code != floorgate.CodeWrongLocation {
		t.Fatalf("rejected scans %+v, want one wrong location", r)
	}
	if d := pdaEval[int](p, `fgReader.log.filter(e => e.doubled).length`); d != 1 {
		t.Fatalf("the reader logged %d doubled reads, want 1", d)
	}
	if got := pdaEval[int](p, `fgFeedbackLog.length`) - n; got != 2 {
		t.Fatalf("%d verdicts played, want 2", got)
	}
}

// TestPDAPackScreen: a packer opens an order's parcel and verifies an item;
// the pack screen follows.
func TestPDAPackScreen(t *testing.T) {
	m, clock := demoGateway(t)
	p := openPDA(t, m, clock, m.Addr())
	p.login(p.demo.PackerBadges[0])
	p.wait("pack screen", `fgState().screen === 'pack' && fgState().step === 'scan_order'`)
	if got := p.text("pack-instr"); !strings.Contains(got, "Scan the order") {
		t.Fatalf("instruction %q", got)
	}
	ship := p.demo.Shipments()[3]
	if fb := p.scan(ship.Order); fb.Code != string(floorgate.CodeOrderOK) {
		t.Fatalf("open order: %s", fb.Code)
	}
	if got := p.text("pack-order"); got != ship.Order {
		t.Fatalf("order on screen %q, want %s", got, ship.Order)
	}
	if fb := p.scan(p.demo.ItemBarcode[ship.Lines[0].SKU]); fb.Code != string(floorgate.CodePackItemOK) && fb.Code != string(floorgate.CodePackDone) {
		t.Fatalf("pack item: %s", fb.Code)
	}
	if got := p.text("pack-count"); !strings.Contains(got, "verified 1") {
		t.Fatalf("count on screen %q, want verified 1", got)
	}
	webtest.Screenshot(t, p.ctx, "pda-pack")
}

// TestPDAPackException: at the pack station a packer presses Exception,
// chooses a reason (the pack reasons only) and scans the damaged unit: the
// case names the unit's SKU, the parcel is set aside, and its order is
// refused until a supervisor resolves the case. Item missing needs no scan.
func TestPDAPackException(t *testing.T) {
	m, clock := demoGateway(t)
	p := openPDA(t, m, clock, m.Addr())
	var ship floorgate.Shipment
	for _, s := range p.demo.Shipments() {
		if s.Customs == nil && len(s.Lines) >= 2 {
			ship = s
			break
		}
	}
	if ship.Order == "" {
		t.Fatal("the demo has no parcel of two lines")
	}
	p.login(p.demo.PackerBadges[0])
	p.wait("pack screen", `fgState().screen === 'pack' && fgState().step === 'scan_order'`)
	if !pdaEval[bool](p, `document.getElementById('pack-exc-btn').hidden`) {
		t.Fatal("Exception offered with no parcel open")
	}
	if fb := p.scan(ship.Order); fb.Code != string(floorgate.CodeOrderOK) {
		t.Fatalf("open order: %s", fb.Code)
	}
	p.wait("Exception offered", `!document.getElementById('pack-exc-btn').hidden`)
	webtest.Do(t, p.ctx, "raise an exception", chromedp.Click(chromedp.ID("pack-exc-btn")), chromedp.WaitVisible(chromedp.ID("reasons")))
	if got := pdaEval[[]string](p, `[...document.querySelectorAll('#reason-list button')].map(b => b.dataset.reason)`); strings.Join(got, ",") != "missing_at_pack,damaged,label_unreadable" {
		t.Fatalf("pack reasons offered: %v", got)
	}
	webtest.Do(t, p.ctx, "damaged", chromedp.Click(chromedp.CSS(`#reason-list button[data-reason="damaged"]`)))
	p.wait("asks for the item", `document.getElementById('reasons-title').textContent.includes('Scan the item concerned') && !document.getElementById('reason-skip').hidden`)
	webtest.Screenshot(t, p.ctx, "pda-pack-exception")
	sku := ship.Lines[1].SKU
	if fb := p.scan(p.demo.ItemBarcode[sku]); fb.Code != string(floorgate.CodeExceptionRaised) {
		t.Fatalf("the damaged unit: %s", fb.Code)
	}
	p.wait("the parcel set aside", `fgState().step === 'scan_order' && document.getElementById('reasons').hidden`)
	cases, err := m.DB.Exceptions(store.ExceptionFilter{Open: true})
	if err != nil || len(cases) != 1 || cases[0].Reason != floorgate.ReasonDamaged || cases[0].SKU != sku || cases[0].Order != ship.Order || cases[0].Stage != floorgate.StagePack {
		t.Fatalf("the case: %+v %v", cases, err)
	}
	if fb := p.scan(ship.Order); fb.Code != string(floorgate.CodeExceptionOpen) {
		t.Fatalf("the order again: %s", fb.Code)
	}
}

// TestPDAPackScreenShowsWhatTheParcelNeeds: a parcel with a gift, a
// fragile line and instructions shows them on the pack screen; each list
// empties as the packer scans what it names, and the waybill waits for
// them (gift_missing, material_needed).
func TestPDAPackScreenShowsWhatTheParcelNeeds(t *testing.T) {
	m, clock := demoGateway(t)
	p := openPDA(t, m, clock, m.Addr())
	var ship floorgate.Shipment
	for _, s := range p.demo.Shipments() {
		if s.Customs == nil {
			ship = s // an order at home
			break
		}
	}
	ship.Lines = ship.Lines[:1]
	ship.Lines[0].Qty, ship.Lines[0].Fragile = 1, true
	ship.FragileMaterial = "PM-BUBBLE-01"
	ship.Extras = []floorgate.PackExtra{{Kind: floorgate.ExtraGift, Barcode: "GIFT-CARD-01", Name: "新年贺卡", Qty: 1}}
	ship.Instructions = []floorgate.PackInstruction{{Text: "易碎品单独气泡袋包装"}}
	if err := m.DB.PutShipments(context.Background(), []floorgate.Shipment{ship}); err != nil {
		t.Fatal(err)
	}
	p.login(p.demo.PackerBadges[0])
	p.wait("pack screen", `fgState().screen === 'pack' && fgState().step === 'scan_order'`)
	if !pdaEval[bool](p, `document.getElementById('pack-todo').hidden`) {
		t.Fatal("the parcel's needs show before a parcel is open")
	}
	if fb := p.scan(ship.Order); fb.Code != string(floorgate.CodeOrderOK) {
		t.Fatalf("open order: %s", fb.Code)
	}
	p.wait("the parcel's needs", `!document.getElementById('pack-todo').hidden && !document.getElementById('pack-extras').hidden`)
	for id, want := range map[string]string{"pack-extras-list": "新年贺卡", "pack-fragile-list": ship.Lines[0].SKU, "pack-notes-list": "易碎品单独气泡袋包装"} {
		if got := p.text(id); !strings.Contains(got, want) {
			t.Errorf("%s shows %q, want %q", id, got, want)
		}
	}
	if fb := p.scan(p.demo.ItemBarcode[ship.Lines[0].SKU]); fb.Code != string(floorgate.CodeGiftMissing) {
		t.Fatalf("the last item with the gift missing: %s", fb.Code)
	}
	if got := p.text("pack-instr"); !strings.Contains(got, "Items done") {
		t.Errorf("with only the gift and the wrap left, the instruction is %q", got)
	}
	webtest.Screenshot(t, p.ctx, "pda-pack-needs")
	if fb := p.scan("GIFT-CARD-01"); fb.Code != string(floorgate.CodeMaterialNeeded) {
		t.Fatalf("the gift with the wrap not confirmed: %s", fb.Code)
	}
	p.wait("the gift gone from the list", `document.getElementById('pack-extras').hidden`)
	// This demo gateway has no printer: packed, its waybill is held.
	if fb := p.scan("PM-BUBBLE-01"); fb.Code != string(floorgate.CodePackDone) && fb.Code != string(floorgate.CodeNoPrinter) {
		t.Fatalf("the wrap: %s", fb.Code)
	}
	p.wait("the waybill step", `fgState().step === 'scan_waybill' && document.getElementById('pack-todo').hidden`)
}
