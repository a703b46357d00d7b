package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
)

// autoEnrol lets a PDA in on its first hello, as a picker's PDA is here.
func autoEnrol(o *store.Options) { o.AutoEnrol = true }

// cartFloor puts testFloor's locations and items, the cart C1 (label
// CART-1, three slots) and the totes T1 to T4 (TOTE-1 to TOTE-4) in the
// test floor's master data.
func cartFloor(t *testing.T, ts *testServer) {
	t.Helper()
	testFloor(t, ts)
	m := store.Master{Carts: []floorgate.Cart{{ID: "C1", Barcode: "CART-1", Slots: 3}}}
	for i := 1; i <= 4; i++ {
		m.Totes = append(m.Totes, floorgate.Tote{ID: fmt.Sprintf("T%d", i), Barcode: fmt.Sprintf("TOTE-%d", i)})
	}
	if err := ts.db.PutMaster(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

// cartOrders sends the cart (cluster) orders PREFIX-K1 (one SKU-1 at A-01)
// and PREFIX-K2 (one SKU-2 at A-02) through the ERP's task.create, in the
// wave given as its JSON ("" for none).
func cartOrders(t *testing.T, ts *testServer, prefix, wave string) {
	t.Helper()
	if wave != "" {
		wave = `"wave":` + wave + `,`
	}
	res, err := ts.db.ApplyCommand(context.Background(), []byte(`{"id":"c-`+prefix+`","type":"task.create","data":{`+wave+`
		"tasks":[{"id":"`+prefix+`-K1","order":"`+prefix+`-O1","mode":"cluster","lines":[{"location":"A-01","sku":"SKU-1","qty":1}]},
		         {"id":"`+prefix+`-K2","order":"`+prefix+`-O2","mode":"cluster","lines":[{"location":"A-02","sku":"SKU-2","qty":1}]}]}}`))
	if err != nil || !res.Applied {
		t.Fatalf("cart orders %s: %+v %v", prefix, res, err)
	}
}

// picker is PICK1 on a PDA, scanning through the store as the PDA
// endpoint does; each scan comes a second after the last.
type picker struct {
	t   *testing.T
	ts  *testServer
	dev string
	n   int
}

// pickerOn connects PDA dev and logs PICK1 in on it.
func pickerOn(t *testing.T, ts *testServer, dev string) *picker {
	t.Helper()
	ctx := context.Background()
	if _, err := ts.db.Hello(ctx, dev, "test-device-token/"+dev+"/0123456789abcdef", "test"); err != nil {
		t.Fatalf("hello %s: %v", dev, err)
	}
	v, err := ts.db.Login(ctx, dev, "login-1", "PICK1", testPIN)
	if err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("login on %s: %s %v", dev, v.Code, err)
	}
	return &picker{t: t, ts: ts, dev: dev}
}

// scan scans data and wants the verdict's code.
func (p *picker) scan(data string, want floorgate.Code) floorgate.Verdict {
	p.t.Helper()
	p.n++
	p.ts.clock.Add(time.Second)
	v, err := p.ts.db.Scan(context.Background(), floorgate.Scan{ID: fmt.Sprint("s", p.n), Device: p.dev, Data: data,
		DistanceMM: 70, At: p.ts.clock.Now()})
	if err != nil || v.Code != want {
		p.t.Fatalf("scan %s on %s: %s %v; want %s", data, p.dev, v.Code, err, want)
	}
	return v
}

// toteOf is the label of the tote bound to slot: slot n is bound to
// TOTE-n by walkCart.
func toteOf(slot int) string { return fmt.Sprintf("TOTE-%d", slot) }

// bindTotes binds TOTE-1 and TOTE-2 to the two slots of the picker's
// cart.
func (p *picker) bindTotes() {
	p.t.Helper()
	p.scan("TOTE-1", floorgate.CodeToteBound)
	p.scan("TOTE-2", floorgate.CodeCartReady)
}

// pickStop confirms loc and puts the unit of item into the tote of the
// slot it is for; last: it is the cart's last unit.
func (p *picker) pickStop(loc, item string, last bool) {
	p.t.Helper()
	p.scan("LOC-"+loc, floorgate.CodeLocationOK)
	v := p.scan(item, floorgate.CodeItemToTote)
	want := floorgate.CodePutOK
	if last {
		want = floorgate.CodeCartDone
	}
	p.scan(toteOf(v.Prompt.Slot), want)
}

// cartsOf decodes GET /api/v1/carts.
func cartsOf(t *testing.T, sv *served, header map[string]string) (store.CartsView, string) {
	t.Helper()
	status, body := do(t, sv.tcp, "GET", "/api/v1/carts", "", header)
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/carts: %d %s", status, body)
	}
	var v store.CartsView
	decode(t, body, &v)
	return v, body
}

// TestCartsRoute: GET /api/v1/carts, read by a signed-in supervisor over
// the real handler table, follows a picker's cart from the store: no cart
// (an empty list, not null); the cart taken with its two orders and no
// tote yet, started when the cart was scanned; one tote bound; both
// bound and the picker at the first stop; the first order picked; then the
// cart done — no cart runs, and its two totes hold their orders at
// packing. Nobody signed in gets 401.
func TestCartsRoute(t *testing.T) {
	sv := serve(t, autoEnrol)
	cartFloor(t, sv.testServer)
	cartOrders(t, sv.testServer, "SO", "")
	cookie, _ := sessionOf(t, sv, "SUP1")
	read := map[string]string{"Cookie": cookie}

	if status, body := do(t, sv.tcp, "GET", "/api/v1/carts", "", nil); status != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d %s", status, body)
	}
	if _, body := cartsOf(t, sv, read); strings.TrimSpace(body) != `{"running":[],"totes_held":0,"at_packing":0}` {
		t.Fatalf("no cart yet: %s", body)
	}

	p := pickerOn(t, sv.testServer, "pda-1")
	p.scan("CART-1", floorgate.CodeCartStarted)
	started := sv.clock.Now()
	want := store.CartStatus{Cart: "C1", Operator: "pick1", Device: "pda-1", Slots: 3, Bound: 0, Orders: 2, Done: 0, Started: started}
	check := func(step string, want store.CartStatus, held, atPacking int) {
		t.Helper()
		v, body := cartsOf(t, sv, read)
		if len(v.Running) != 1 || v.Running[0] != want || v.TotesHeld != held || v.AtPacking != atPacking {
			t.Fatalf("%s: %s\nwant running [%+v], %d totes held, %d at packing", step, body, want, held, atPacking)
		}
	}
	check("the cart taken", want, 0, 0)
	_, body := cartsOf(t, sv, read)
	for _, field := range []string{`"cart":"C1"`, `"operator":"pick1"`, `"device":"pda-1"`, `"slots":3`, `"bound":0`, `"orders":2`, `"done":0`,
		`"started":"` + started.Format(time.RFC3339) + `"`} {
		if !strings.Contains(body, field) {
			t.Errorf("the carts' JSON lacks %s: %s", field, body)
		}
	}
	if strings.Contains(body, `"location"`) {
		t.Errorf("a location while binding: %s", body)
	}

	p.scan("TOTE-1", floorgate.CodeToteBound)
	want.Bound = 1
	check("a tote bound", want, 1, 0)
	p.scan("TOTE-2", floorgate.CodeCartReady)
	p.scan("LOC-A-01", floorgate.CodeLocationOK)
	want.Bound, want.Location = 2, "A-01"
	check("at the first stop", want, 2, 0)
	v := p.scan("6901234567892", floorgate.CodeItemToTote)
	p.scan(toteOf(v.Prompt.Slot), floorgate.CodePutOK)
	want.Done, want.Location = 1, ""
	check("the first order picked", want, 2, 0)
	p.pickStop("A-02", "ITEM-2", true)
	if v, body := cartsOf(t, sv, read); len(v.Running) != 0 || v.TotesHeld != 2 || v.AtPacking != 2 {
		t.Fatalf("the cart done: %s; want no cart running and both totes at packing", body)
	}
}
