package store

import (
	"fmt"
	"testing"

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
	if err := e.db.PutShipments(ctx, []floorgate.Shipment{{Order: "O2", Carrier: "SF", Tracking: "SF2",
		Recipient: floorgate.Party{Name: "Li", Phone: "13800000000", Address: "Shenzhen"},
		Sender:    floorgate.Party{Name: "SZ-01", Address: "Shenzhen"},
		Lines:     []floorgate.ShipmentLine{{SKU: "S1", Qty: 1}, {SKU: "S2", Qty: 1}}}}); err != nil {
		t.Fatal(err)
	}
	packer := floorgate.Operator{ID: "pk", Name: "Packer", Badge: "PK", PINHash: pinHash, Role: floorgate.RolePacker}
	if err := e.db.PutMaster(ctx, Master{Operators: []floorgate.Operator{packer}}); err != nil {
		t.Fatal(err)
	}
	e.pda("pack-1", "PK")
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

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
