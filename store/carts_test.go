package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// cartFloor adds a cart of three slots and five totes to the fixture.
func cartFloor(t *testing.T, e *env) {
	t.Helper()
	m := Master{Carts: []floorgate.Cart{{ID: "C1", Barcode: "CART-1", Slots: 3}}}
	for i := 1; i <= 5; i++ {
		m.Totes = append(m.Totes, floorgate.Tote{ID: fmt.Sprintf("T%d", i), Barcode: fmt.Sprintf("TOTE-%d", i)})
	}
	if err := e.db.PutMaster(ctx, m); err != nil {
		t.Fatal(err)
	}
}

// TestCartThroughTheStore: cart orders are never given out one by one; an
// idle picker is asked to scan a cart; the cart takes the orders in queue
// order, its totes are bound, and every put, its session and the totes'
// bindings survive a crash; each tote then opens its order at the pack
// station, and is free again once the order is packed.
func TestCartThroughTheStore(t *testing.T) {
	e := newEnv(t)
	cartFloor(t, e)
	r := e.command(`{"id":"c1","type":"task.create","data":{"tasks":[
		{"id":"K1","order":"O1","mode":"cluster","lines":[{"location":"L1","sku":"S1","qty":1}]},
		{"id":"K2","order":"O2","mode":"cluster","priority":3,"lines":[{"location":"L1","sku":"S1","qty":1},{"location":"L2","sku":"S2","qty":1}]}]}}`)
	if !r.Applied {
		t.Fatalf("%+v", r)
	}
	if v := e.pda("pda-1", "BADGE1"); v.Prompt.Step != "scan_cart" || v.Prompt.Task != "" {
		t.Fatalf("login with only cart orders waiting: %+v; want scan_cart and no task", v.Prompt)
	}
	v := e.scan("pda-1", "cart", "CART-1")
	if v.Code != floorgate.CodeCartStarted || v.Prompt.Slots != 2 || v.Prompt.Task != "K2" {
		t.Fatalf("cart: %s %+v; want cart_started, 2 slots, slot 1 K2 (priority 3)", v.Code, v.Prompt)
	}
	e.pda("pda-2", "BADGE2")
	if v := e.scan("pda-2", "cart", "CART-1"); v.Code != floorgate.CodeCartInUse {
		t.Fatalf("a second picker takes the same cart: %s", v.Code)
	}
	steps := []struct {
		data string
		code floorgate.Code
	}{
		{"TOTE-1", floorgate.CodeToteBound},
		{"TOTE-2", floorgate.CodeCartReady},
		{"LOC-1", floorgate.CodeLocationOK},
		{itemBarcode(1), floorgate.CodeItemToTote}, // K2 first: priority 3
		{"TOTE-2", floorgate.CodeWrongTote},
		{"TOTE-1", floorgate.CodePutOK},
	}
	for i, s := range steps {
		if v := e.scan("pda-1", fmt.Sprint("s", i), s.data); v.Code != s.code {
			t.Fatalf("step %d %s: %s; want %s", i, s.data, v.Code, s.code)
		}
	}
	e.crash()
	e.open()
	if v, err := e.db.Hello(ctx, "pda-1", testToken("pda-1"), "test"); err != nil || v.Prompt.Step != "scan_item" || v.Prompt.Cart != "C1" {
		t.Fatalf("after a crash: %+v %v; want the cart at bin L1", v.Prompt, err)
	}
	for i, s := range []struct {
		data string
		code floorgate.Code
	}{
		{itemBarcode(1), floorgate.CodeItemToTote},
		{"TOTE-2", floorgate.CodePutOK},
		{"LOC-2", floorgate.CodeLocationOK},
		{itemBarcode(2), floorgate.CodeItemToTote},
		{"TOTE-1", floorgate.CodeCartDone},
	} {
		if v := e.scan("pda-1", fmt.Sprint("t", i), s.data); v.Code != s.code {
			t.Fatalf("after the crash, step %d %s: %s; want %s", i, s.data, v.Code, s.code)
		}
	}
	var types []string
	for _, ev := range e.journal() {
		types = append(types, ev.Type)
	}
	for typ, want := range map[string]int{"cart.started": 1, "tote.bound": 2, "pick.put": 3, "pick.task_completed": 2, "cart.completed": 1} {
		if n := count(types, typ); n != want {
			t.Errorf("%d %s events; want %d (a put lost or counted twice?)", n, typ, want)
		}
	}
	// At the pack station, tote 1 opens K2's order.
	e.ship(parcel("O2", "S1", "S2"))
	e.packer("pack-1")
	if v := e.scan("pack-1", "p1", "TOTE-1"); v.Code != floorgate.CodeOrderOK || v.Prompt.Order != "O2" {
		t.Fatalf("tote 1 at packing: %s %+v; want order_ok for O2", v.Code, v.Prompt)
	}
	e.scan("pack-1", "p2", itemBarcode(1))
	if v := e.scan("pack-1", "p3", itemBarcode(2)); v.Code != floorgate.CodePackDone && v.Code != floorgate.CodeNoPrinter {
		t.Fatalf("packing O2: %s", v.Code)
	}
	if _, held := e.db.st.bindings["T1"]; held {
		t.Fatal("tote 1 is still bound after its order was packed")
	}
	if _, held := e.db.st.bindings["T2"]; !held {
		t.Fatal("tote 2 lost its order before packing")
	}
	e.verify()
}

// parcel is order's shipment, one unit of each SKU, tracking "SF"+order.
func parcel(order string, skus ...string) floorgate.Shipment {
	s := floorgate.Shipment{Order: order, Carrier: "SF", Tracking: "SF" + order,
		Recipient: floorgate.Party{Name: "Li", Phone: "13800000000", Address: "Shenzhen"},
		Sender:    floorgate.Party{Name: "SZ-01", Address: "Shenzhen"}}
	for _, sku := range skus {
		s.Lines = append(s.Lines, floorgate.ShipmentLine{SKU: sku, Qty: 1})
	}
	return s
}

// ship stores the shipments.
func (e *env) ship(ships ...floorgate.Shipment) {
	e.t.Helper()
	if err := e.db.PutShipments(ctx, ships); err != nil {
		e.t.Fatal(err)
	}
}

// packer logs a packer (badge PK) in on device dev, adding them first.
func (e *env) packer(dev string) {
	e.t.Helper()
	if _, ok := e.db.BadgeOperator("PK"); !ok {
		op := floorgate.Operator{ID: "pk", Name: "Packer", Badge: "PK", PINHash: pinHash, Role: floorgate.RolePacker}
		if err := e.db.PutMaster(ctx, Master{Operators: []floorgate.Operator{op}}); err != nil {
			e.t.Fatal(err)
		}
	}
	e.pda(dev, "PK")
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestCartOrderCancelled: an order cancelled on a cart before its tote is
// bound is skipped when binding; one cancelled while its unit waits for
// the tote sends the unit back and the walk goes on; the cart ends with
// its last open order; a serial number put on a cart is spent.
func TestCartOrderCancelled(t *testing.T) {
	e := newEnv(t)
	cartFloor(t, e)
	e.command(`{"id":"c1","type":"task.create","data":{"tasks":[
		{"id":"K1","order":"O1","mode":"cluster","priority":3,"lines":[{"location":"L1","sku":"S1","qty":2}]},
		{"id":"K2","order":"O2","mode":"cluster","priority":2,"lines":[{"location":"L2","sku":"S2","qty":1}]},
		{"id":"K3","order":"O3","mode":"cluster","priority":1,"lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`)
	e.pda("pda-1", "BADGE1")
	if v := e.scan("pda-1", "cart", "CART-1"); v.Code != floorgate.CodeCartStarted || v.Prompt.Slots != 3 {
		t.Fatalf("cart: %s %+v", v.Code, v.Prompt)
	}
	if v := e.scan("pda-1", "b1", "TOTE-1"); v.Code != floorgate.CodeToteBound || v.Prompt.Slot != 2 {
		t.Fatalf("slot 1: %s %+v", v.Code, v.Prompt)
	}
	e.command(`{"id":"c2","type":"task.cancel","data":{"task":"K2","reason":"refund"}}`)
	if v := e.scan("pda-1", "b2", "TOTE-2"); v.Code != floorgate.CodeCartReady {
		t.Fatalf("binding after slot 2's order was cancelled: %s %+v; want cart_ready with TOTE-2 in slot 3", v.Code, v.Prompt)
	}
	e.scan("pda-1", "l1", "LOC-1")
	// A serial number on the unit: GS1 (01) GTIN of S1 (21) serial.
	gs1 := "01" + "0" + itemBarcode(1) + "21" + "SN-77"
	scanGS1 := func(id string) floorgate.Verdict {
		e.clock.Add(time.Second)
		v, err := e.db.Scan(ctx, floorgate.Scan{ID: id, Device: "pda-1", AIM: "]C1", Data: gs1, DistanceMM: 70, At: e.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := scanGS1("i1"); v.Code != floorgate.CodeItemToTote || v.Prompt.Slot != 1 {
		t.Fatalf("first unit: %s %+v", v.Code, v.Prompt)
	}
	if v := e.scan("pda-1", "t1", "TOTE-1"); v.Code != floorgate.CodePutOK {
		t.Fatalf("put: %s", v.Code)
	}
	if v := scanGS1("i2"); v.Code != floorgate.CodeDuplicateSerial {
		t.Fatalf("the same serial again: %s; want duplicate_serial", v.Code)
	}
	if v := e.scan("pda-1", "i3", itemBarcode(1)); v.Code != floorgate.CodeItemToTote || v.Prompt.Slot != 1 {
		t.Fatalf("second unit: %s %+v; want K1's slot 1", v.Code, v.Prompt)
	}
	// K1 is cancelled while its unit waits for the tote: the unit goes
	// back, and the next unit goes to K3.
	e.command(`{"id":"c3","type":"task.cancel","data":{"task":"K1","reason":"refund"}}`)
	if v := e.scan("pda-1", "i4", itemBarcode(1)); v.Code != floorgate.CodeItemToTote || v.Prompt.Slot != 3 {
		t.Fatalf("after K1's cancel: %s %+v; want the unit for K3 in slot 3", v.Code, v.Prompt)
	}
	e.command(`{"id":"c4","type":"task.cancel","data":{"task":"K3","reason":"refund"}}`)
	p, err := e.db.Next(ctx, "pda-1")
	if err != nil || p.Step != "wait" || p.Cart != "" {
		t.Fatalf("after the last open order was cancelled, next: %+v %v; want the cart done", p, err)
	}
	if s := e.db.session("pda-1"); s.Cart != nil {
		t.Fatalf("the cart runs on: %+v", s.Cart)
	}
	if n := count(e.eventsAfter(0), "cart.completed"); n != 1 {
		t.Fatalf("%d cart.completed", n)
	}
	e.verify()
}

// TestRefusedCartStillAsksForACart: a picker refused a cart (another
// picker has it) is still asked to scan a cart, not told to wait.
func TestRefusedCartStillAsksForACart(t *testing.T) {
	e := newEnv(t)
	cartFloor(t, e)
	e.command(`{"id":"c1","type":"task.create","data":{"tasks":[
		{"id":"K1","order":"O1","mode":"cluster","lines":[{"location":"L1","sku":"S1","qty":1}]},
		{"id":"K2","order":"O2","mode":"cluster","lines":[{"location":"L2","sku":"S2","qty":1}]},
		{"id":"K3","order":"O3","mode":"cluster","lines":[{"location":"L2","sku":"S2","qty":1}]},
		{"id":"K4","order":"O4","mode":"cluster","lines":[{"location":"L3","sku":"S3","qty":1}]}]}}`)
	e.pda("pda-1", "BADGE1")
	e.pda("pda-2", "BADGE2")
	e.scan("pda-1", "cart", "CART-1")
	if v := e.scan("pda-2", "cart", "CART-1"); v.Code != floorgate.CodeCartInUse || v.Prompt.Step != "scan_cart" {
		t.Fatalf("a cart in use: %s, prompt %+v; want cart_in_use asking for another cart", v.Code, v.Prompt)
	}
}
