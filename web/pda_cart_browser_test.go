package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/web/webtest"
)

// cartFloor turns demo gateway m into a floor with cart orders only: the
// demo's discrete orders are cancelled (a picker is given those before
// any cart), cart C1 (label CART-1, three slots) and five totes (TOTE-1 …
// TOTE-5) are added, and three cluster orders on the demo's first two
// locations:
//
//	K1 / OK1: 2 × the second item at the second location
//	K2 / OK2: 1 × the first item at the first location
//	K3 / OK3: 1 × the first item at the first location
//
// The queue gives them to the cart in that order, one a slot. The walk
// goes to the first location first, where the first unit goes to slot 2
// (K2 and K3 need it alike, and K2 is on the lower slot).
func cartFloor(t *testing.T, m *gateway.Gateway, d *gateway.Demo) {
	t.Helper()
	ctx := context.Background()
	for _, tk := range d.Tasks {
		if err := m.DB.CancelTask(ctx, tk.ID, "test: cart orders only"); err != nil {
			t.Fatal(err)
		}
	}
	master := store.Master{Carts: []floorgate.Cart{{ID: "C1", Barcode: "CART-1", Slots: 3}}}
	for i := 1; i <= 5; i++ {
		master.Totes = append(master.Totes, floorgate.Tote{ID: fmt.Sprintf("TO%d", i), Barcode: fmt.Sprintf("TOTE-%d", i)})
	}
	if err := m.DB.PutMaster(ctx, master); err != nil {
		t.Fatal(err)
	}
	loc0, loc1 := d.Master.Locations[0].Code, d.Master.Locations[1].Code
	sku0, sku1 := d.Master.Items[0].SKU, d.Master.Items[1].SKU
	res, err := m.DB.ApplyCommand(ctx, []byte(fmt.Sprintf(`{"id":"c1","type":"task.create","data":{"tasks":[
		{"id":"K1","order":"OK1","mode":"cluster","lines":[{"location":%q,"sku":%q,"qty":2}]},
		{"id":"K2","order":"OK2","mode":"cluster","lines":[{"location":%q,"sku":%q,"qty":1}]},
		{"id":"K3","order":"OK3","mode":"cluster","lines":[{"location":%q,"sku":%q,"qty":1}]}]}}`,
		loc1, sku1, loc0, sku0, loc0, sku0)))
	if err != nil || !res.Applied {
		t.Fatalf("task.create: %+v %v", res, err)
	}
}

// slotView is how the page shows the slot number: its text, its computed
// font size against the body text's and against every other text on
// screen, and where it is.
type slotView struct {
	Text      string  `json:"text"`
	Font      float64 `json:"font"`
	BodyFont  float64 `json:"body_font"`
	OtherFont float64 `json:"other_font"` // the largest other text on screen
	Top       float64 `json:"top"`
	Bottom    float64 `json:"bottom"`
	Left      float64 `json:"left"`
	Right     float64 `json:"right"`
	Width     float64 `json:"width"`  // the viewport's
	Height    float64 `json:"height"` // the viewport's
	Clipped   bool    `json:"clipped"`
	OnTop     bool    `json:"on_top"` // nothing covers its middle
	Scrolled  bool    `json:"scrolled"`
}

const slotViewJS = `(() => {
  const el = document.getElementById('slot-num');
  const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
  const shown = e => { const s = getComputedStyle(e); const b = e.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && b.width > 0 && b.height > 0 &&
      b.bottom > 0 && b.top < innerHeight; };
  let other = 0;
  for (const e of document.body.querySelectorAll('*')) {
    if (e === el || el.contains(e) || !shown(e)) continue;
    if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    other = Math.max(other, parseFloat(getComputedStyle(e).fontSize));
  }
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  // Clipped: wider than its box, or cut by an ancestor that hides overflow.
  // The number must also stay inside its own box, and the slot's order
  // and tote under it on screen.
  const inside = (b, o) => b.top >= o.top && b.bottom <= o.bottom && b.left >= o.left && b.right <= o.right;
  const scr = el.closest('.screen').getBoundingClientRect();
  let clipped = el.scrollWidth > el.clientWidth || !inside(r, document.getElementById('slot-box').getBoundingClientRect()) ||
    !inside(document.querySelector('#s-slot .facts').getBoundingClientRect(), scr);
  for (let a = el.parentElement; a; a = a.parentElement) {
    const s = getComputedStyle(a), b = a.getBoundingClientRect();
    if (s.overflow !== 'visible' && (r.top < b.top || r.bottom > b.bottom || r.left < b.left || r.right > b.right)) clipped = true;
  }
  return { text: el.textContent.trim(), font: parseFloat(cs.fontSize),
    body_font: parseFloat(getComputedStyle(document.body).fontSize), other_font: other,
    top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: innerWidth, height: innerHeight,
    clipped: clipped,
    on_top: !!hit && (hit === el || el.contains(hit)),
    scrolled: scrollY !== 0 || document.querySelector('main').scrollTop !== 0 || el.closest('.screen').scrollTop !== 0 };
})()`

// wantSlot fails the test unless the page shows slot huge: the number on
// the slot screen, its font at least 3× the body text (and larger than any
// other text on screen), wholly inside the 360×640 viewport, not clipped
// and not covered, with nothing scrolled.
func (p *pdaPage) wantSlot(what string, slot int) {
	p.t.Helper()
	if pr := p.prompt(); pr.Slot != slot {
		p.t.Fatalf("%s: the gateway's prompt has slot %d, want %d (prompt %+v)", what, pr.Slot, slot, pr)
	}
	if got := pdaEval[string](p, `fgState().screen`); got != "slot" {
		p.t.Fatalf("%s: screen %q, want the slot screen; page state %s", what, got, p.state())
	}
	v := pdaEval[slotView](p, slotViewJS)
	switch {
	case v.Text != fmt.Sprint(slot):
		p.t.Fatalf("%s: slot shown %q, want %d", what, v.Text, slot)
	case v.Font < 3*v.BodyFont:
		p.t.Fatalf("%s: slot number at %.0f px, body text %.0f px: want at least 3×", what, v.Font, v.BodyFont)
	case v.Font <= v.OtherFont:
		p.t.Fatalf("%s: slot number at %.0f px is not the largest text on screen (%.0f px)", what, v.Font, v.OtherFont)
	case v.Top < 0 || v.Left < 0 || v.Bottom > v.Height || v.Right > v.Width || v.Width != 360 || v.Height != 640:
		p.t.Fatalf("%s: slot number at %+v, not inside the 360×640 viewport", what, v)
	case v.Clipped || !v.OnTop || v.Scrolled:
		p.t.Fatalf("%s: slot number clipped, covered or scrolled: %+v", what, v)
	}
}

// wantVerdictShown checks the verdict bar shows code's message in both
// languages.
func (p *pdaPage) wantVerdictShown(code floorgate.Code) {
	p.t.Helper()
	want := floorgate.NewVerdict("", code, floorgate.Prompt{})
	if got := pdaEval[string](p, `document.getElementById('verdict').dataset.code`); got != string(code) {
		p.t.Fatalf("verdict bar shows %q, want %s", got, code)
	}
	if zh, en := p.text("v-zh"), p.text("v-en"); zh != want.Message.ZH || en != want.Message.EN {
		p.t.Fatalf("verdict bar says %q / %q, want %q / %q", zh, en, want.Message.ZH, want.Message.EN)
	}
}

func (p *pdaPage) scanWant(data string, code floorgate.Code) {
	p.t.Helper()
	if fb := p.scan(data); fb.Code != string(code) {
		p.t.Fatalf("scan %s: %s, want %s; page state %s", data, fb.Code, code, p.state())
	}
}

// TestPDACartPick walks one cart of three orders in the PDA app at
// 360×640: the scan-a-cart screen, the cart's totes bound slot by slot,
// the walk's stops, each unit's slot shown huge until its tote is scanned
// (a wrong tote leaves it there, in red), a short that names the order it
// leaves short, and the cart sent to packing.
func TestPDACartPick(t *testing.T) {
	m, clock := demoGateway(t)
	d := gateway.NewDemo()
	cartFloor(t, m, d)
	p := openPDA(t, m, clock, m.Addr())
	p.login(d.Badges[0])
	dev := p.device()

	p.wait("the scan-a-cart screen", `fgState().screen === 'cart' && fgState().step === 'scan_cart'`)
	if got := p.text("s-cart"); !strings.Contains(got, "Scan a cart to start") || !strings.Contains(got, "扫描拣货车开始") {
		t.Fatalf("scan-a-cart screen says %q", got)
	}
	if pdaEval[bool](p, `document.body.classList.contains('on-cart')`) {
		t.Fatal("the cart bar shows before any cart is taken")
	}
	webtest.Screenshot(t, p.ctx, "pda-cart-scan-cart")

	// The cart: its three orders are the picker's; slot 1 waits for a tote.
	p.scanWant("CART-1", floorgate.CodeCartStarted)
	if !pdaEval[bool](p, `getComputedStyle(document.getElementById('cart-bar')).display !== 'none'`) {
		t.Fatal("no cart bar on the cart")
	}
	if id, slots := p.text("cart-id"), p.text("cart-slots"); id != "C1" || !strings.Contains(slots, "3 slots") {
		t.Fatalf("cart bar shows %q / %q, want C1 and 3 slots", id, slots)
	}
	for i, o := range []string{"OK1", "OK2", "OK3"} {
		slot := i + 1
		what := fmt.Sprintf("binding slot %d", slot)
		if pr := p.prompt(); pr.Step != "bind_tote" || pr.Order != o || pr.Slots != 3 {
			t.Fatalf("%s: prompt %+v, want bind_tote for %s of 3 slots", what, pr, o)
		}
		p.wantSlot(what, slot)
		if got := p.text("slot-of"); !strings.Contains(got, fmt.Sprintf("slot %d of 3", slot)) {
			t.Fatalf("%s: %q, want slot %d of 3", what, got, slot)
		}
		if got := p.text("slot-order"); got != o {
			t.Fatalf("%s: order shown %q, want %s", what, got, o)
		}
		if !pdaEval[bool](p, `!document.getElementById('slot-anytote').hidden && document.getElementById('slot-tote').hidden`) {
			t.Fatalf("%s: want any empty tote asked for, no tote named", what)
		}
		if slot == 1 {
			webtest.Screenshot(t, p.ctx, "pda-cart-bind")
		}
		if slot == 2 {
			// A tote already on the cart: refused, slot 2 still shown.
			p.scanWant("TOTE-1", floorgate.CodeToteAlreadyBound)
			p.wantVerdictShown(floorgate.CodeToteAlreadyBound)
			p.wantSlot(what+" after tote_already_bound", 2)
		}
		want := floorgate.CodeToteBound
		if slot == 3 {
			want = floorgate.CodeCartReady
		}
		p.scanWant(fmt.Sprintf("TOTE-%d", slot), want)
	}

	// The first stop: both OK2 and OK3 need one of the first item.
	loc0, loc1 := d.Master.Locations[0].Code, d.Master.Locations[1].Code
	sku0, sku1 := d.Master.Items[0].SKU, d.Master.Items[1].SKU
	p.wait("the first stop", `fgState().screen === 'pick' && fgState().step === 'scan_location'`)
	if got := p.text("pick-location"); got != loc0 {
		t.Fatalf("stop shown %q, want %s", got, loc0)
	}
	if got := p.text("pick-qty"); !strings.HasPrefix(got, "2") || !strings.Contains(got, "to pick") {
		t.Fatalf("quantity shown %q, want the stop's 2 to pick", got)
	}
	if id := p.text("cart-id"); id != "C1" {
		t.Fatalf("cart bar on the walk shows %q", id)
	}
	p.scanWant(d.LocationBarcode[loc0], floorgate.CodeLocationOK)
	p.scanWant(d.ItemBarcode[sku0], floorgate.CodeItemToTote)

	// The unit goes to slot 2: shown huge with its quantity, order and tote.
	pr := p.prompt()
	if pr.Step != "scan_tote" || pr.Order != "OK2" || pr.Tote != "TO2" || pr.Qty != 1 {
		t.Fatalf("after the item: %+v, want scan_tote for OK2 into TO2", pr)
	}
	p.wantSlot("the put", 2)
	if q, o, tt := p.text("slot-qty"), p.text("slot-order"), p.text("slot-tote"); q != "×1" || o != "OK2" || tt != "TO2" {
		t.Fatalf("put shows qty %q order %q tote %q, want ×1 OK2 TO2", q, o, tt)
	}
	if zh, en := pdaEval[string](p, `document.querySelector('#slot-instr .zh').textContent`), pdaEval[string](p, `document.querySelector('#slot-instr .en').textContent`); !strings.Contains(zh, "第 2 格") || !strings.Contains(en, "slot 2") {
		t.Fatalf("put instruction %q / %q, want slot 2 in both languages", zh, en)
	}
	webtest.Screenshot(t, p.ctx, "pda-cart-put")
	// English first: the same screen, English on top, the slot as large.
	webtest.Do(t, p.ctx, "English first", chromedp.Click(chromedp.ID("lang")))
	p.wait("English first", `document.body.classList.contains('en-first')`)
	p.wantSlot("the put, English first", 2)
	if pdaEval[float64](p, `parseFloat(getComputedStyle(document.querySelector('#slot-instr .en')).fontSize)`) <=
		pdaEval[float64](p, `parseFloat(getComputedStyle(document.querySelector('#slot-instr .zh')).fontSize)`) {
		t.Fatal("English first, the English instruction is not the larger")
	}
	webtest.Screenshot(t, p.ctx, "pda-cart-put-en")
	webtest.Do(t, p.ctx, "Chinese first", chromedp.Click(chromedp.ID("lang")))
	p.wait("focus kept on the capture field", `!document.body.classList.contains('en-first') && document.activeElement.id === 'capture'`)

	// Slot 3's tote, whose order needs the item too: wrong_tote, and slot
	// 2 stays on screen, in red.
	p.scanWant("TOTE-3", floorgate.CodeWrongTote)
	p.wantVerdictShown(floorgate.CodeWrongTote)
	p.wantSlot("after wrong_tote", 2)
	if !pdaEval[bool](p, `document.getElementById('slot-box').classList.contains('wrong')`) {
		t.Fatal("the slot is not marked red after wrong_tote")
	}
	webtest.Screenshot(t, p.ctx, "pda-cart-wrong-tote")
	p.scanWant("TOTE-2", floorgate.CodePutOK)
	if pdaEval[bool](p, `document.getElementById('slot-box').classList.contains('wrong')`) {
		t.Fatal("the slot stayed red after put_ok")
	}

	// The second unit goes to slot 3.
	p.wait("scan the next unit", `fgState().screen === 'pick' && fgState().step === 'scan_item'`)
	p.scanWant(d.ItemBarcode[sku0], floorgate.CodeItemToTote)
	p.wantSlot("the second put", 3)
	p.scanWant("TOTE-3", floorgate.CodePutOK)

	// The second stop: its bin holds one of the two OK1 needs.
	p.wait("the second stop", `fgState().screen === 'pick' && fgState().step === 'scan_location'`)
	if got := p.text("pick-location"); got != loc1 {
		t.Fatalf("second stop shown %q, want %s", got, loc1)
	}
	p.scanWant(d.LocationBarcode[loc1], floorgate.CodeLocationOK)
	n := pdaEval[int](p, `fgFeedbackLog.length`)
	webtest.Do(t, p.ctx, "short pick", chromedp.Click(chromedp.ID("short-btn")), chromedp.WaitVisible(chromedp.ID("reasons")),
		chromedp.Click(chromedp.CSS(`#reason-list button[data-reason="damaged"]`)), chromedp.WaitVisible(chromedp.ID("modal")),
		chromedp.Click(chromedp.CSS(`#num-pad button[data-k="1"]`)), chromedp.Click(chromedp.CSS(`#num-pad button[data-k="ok"]`)))
	p.wait("the short's verdict", fmt.Sprintf(`fgFeedbackLog.length > %d && fgState().queue.length === 0`, n))
	if fb := pdaEval[feedbackEntry](p, `fgFeedbackLog[fgFeedbackLog.length-1]`); fb.Code != string(floorgate.CodeShortOK) {
		t.Fatalf("short: %s", fb.Code)
	}
	shorts := pdaEval[[]string](p, `[...document.querySelectorAll('#pick-shorts .short-row')].map(r => r.dataset.slot + '|' + r.textContent)`)
	if len(shorts) != 1 || !strings.HasPrefix(shorts[0], "1|1") || !strings.Contains(shorts[0], "OK1") || !strings.Contains(shorts[0], "1 short") {
		t.Fatalf("shorts shown %q, want slot 1, OK1, 1 short", shorts)
	}
	// On screen in full: inside the list's box and the viewport, not covered.
	if !pdaEval[bool](p, `fgState().screen === 'pick' && (() => {
	  const box = document.getElementById('pick-shorts').getBoundingClientRect();
	  return [...document.querySelectorAll('#pick-shorts .short-row')].every(r => {
	    const b = r.getBoundingClientRect(), hit = document.elementFromPoint(b.left + 20, b.top + b.height / 2);
	    return b.height > 20 && b.top >= box.top && b.bottom <= box.bottom && b.bottom <= innerHeight && !!hit && r.contains(hit);
	  });
	})()`) {
		t.Fatalf("the shorts are not wholly on screen: %s", p.state())
	}
	webtest.Screenshot(t, p.ctx, "pda-cart-short")

	// The unit there is: slot 1, and the cart is done.
	p.scanWant(d.ItemBarcode[sku1], floorgate.CodeItemToTote)
	if !pdaEval[bool](p, `document.getElementById('pick-shorts').hidden`) {
		t.Fatal("the shorts stayed after the next scan")
	}
	p.wantSlot("the last put", 1)
	p.scanWant("TOTE-1", floorgate.CodeCartDone)
	p.wait("the cart-done screen", `fgState().screen === 'cartdone'`)
	p.wantVerdictShown(floorgate.CodeCartDone)
	if got := p.text("done-cart"); got != "C1" {
		t.Fatalf("cart done shows %q, want C1", got)
	}
	if pdaEval[bool](p, `document.body.classList.contains('on-cart')`) {
		t.Fatal("the cart bar stayed after the cart was done")
	}
	webtest.Screenshot(t, p.ctx, "pda-cart-done")
	webtest.Do(t, p.ctx, "continue", chromedp.Click(chromedp.ID("done-next")))
	p.wait("no work left", `fgState().screen === 'wait'`)

	// The gateway agrees: every order closed, OK1 one short.
	for id, want := range map[string][2]int{"K1": {1, 1}, "K2": {1, 0}, "K3": {1, 0}} {
		tk, err := m.DB.Task(id)
		if err != nil || tk.Status != floorgate.TaskDone || tk.Lines[0].Picked != want[0] || tk.Lines[0].Short != want[1] {
			t.Fatalf("task %s: %v %+v; want done, %d picked, %d short", id, err, tk, want[0], want[1])
		}
	}
	if s := m.DB.Session(dev); s.Cart != nil {
		t.Fatalf("the session still has a cart: %+v", s.Cart)
	}
}

// TestPDACartRequiredTote: an order that already fills a tote (its picker
// signed out with the cart half bound) must get that tote back when a cart
// takes it again. The slot screen names the tote; another tote is refused
// (wrong_tote) with the slot still shown.
func TestPDACartRequiredTote(t *testing.T) {
	m, clock := demoGateway(t)
	d := gateway.NewDemo()
	cartFloor(t, m, d)
	p := openPDA(t, m, clock, m.Addr())
	p.login(d.Badges[0])
	p.wait("the scan-a-cart screen", `fgState().screen === 'cart'`)
	p.scanWant("CART-1", floorgate.CodeCartStarted)
	p.scanWant("TOTE-4", floorgate.CodeToteBound) // slot 1, OK1's tote from now on

	webtest.Do(t, p.ctx, "log out", chromedp.Click(chromedp.ID("logout")))
	p.wait("logged out", `fgState().screen === 'login'`)
	if pdaEval[bool](p, `document.body.classList.contains('on-cart')`) {
		t.Fatal("the cart bar stayed after logging out")
	}
	p.login(d.Badges[0])
	p.wait("the scan-a-cart screen again", `fgState().screen === 'cart'`)
	p.scanWant("CART-1", floorgate.CodeCartStarted)
	if pr := p.prompt(); pr.Step != "bind_tote" || pr.Order != "OK1" || pr.Tote != "TO4" {
		t.Fatalf("prompt %+v, want bind_tote for OK1 asking for TO4", pr)
	}
	p.wantSlot("binding OK1's tote", 1)
	if got := p.text("slot-tote"); got != "TO4" {
		t.Fatalf("tote shown %q, want TO4", got)
	}
	if !pdaEval[bool](p, `document.getElementById('slot-anytote').hidden`) {
		t.Fatal("any empty tote offered where the order's own tote is required")
	}
	if en := pdaEval[string](p, `document.querySelector('#slot-instr .en').textContent`); !strings.Contains(en, "Scan tote TO4") {
		t.Fatalf("instruction %q, want it to name TO4", en)
	}
	webtest.Screenshot(t, p.ctx, "pda-cart-bind-required")
	p.scanWant("TOTE-5", floorgate.CodeWrongTote)
	p.wantVerdictShown(floorgate.CodeWrongTote)
	p.wantSlot("after another tote", 1)
	p.scanWant("TOTE-4", floorgate.CodeToteBound)
	p.wantSlot("the next slot", 2)
}
