package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/store"
)

// TestCartOverWebSocket drives a cart of eight totes through the PDA
// protocol against the gateway as it ships (TLS on, the demo's carts and
// totes): eight cart orders go ahead of the demo's single orders by
// priority; the picker takes a cart, binds eight totes, walks the combined
// list (a tote of no order on the cart is refused as the wrong tote), and a
// bin short of units serves the higher-priority order first, the other
// going short; every tote then opens and packs its order at the pack
// station, and is free again.
func TestCartOverWebSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m, lbl := startWithLabelPrinter(t, clock)
	demo := gateway.NewDemo()

	// K1 (priority 20) wants one of item 0, K2 (priority 10) two, both
	// from item 0's bin; K3..K8 (priority 15) one of items 1..6 each.
	type line struct {
		Location string `json:"location"`
		SKU      string `json:"sku"`
		Qty      int    `json:"qty"`
	}
	type task struct {
		ID       string `json:"id"`
		Order    string `json:"order"`
		Mode     string `json:"mode"`
		Priority int    `json:"priority"`
		Lines    []line `json:"lines"`
	}
	item := func(i int) line {
		it := demo.Master.Items[i]
		return line{Location: demo.HomeLocation(it.SKU), SKU: it.SKU, Qty: 1}
	}
	tasks := []task{{ID: "K1", Order: "SO-K1", Mode: "cluster", Priority: 20, Lines: []line{item(0)}}}
	k2 := item(0)
	k2.Qty = 2
	tasks = append(tasks, task{ID: "K2", Order: "SO-K2", Mode: "cluster", Priority: 10, Lines: []line{k2}})
	for i := 1; i <= 6; i++ {
		tasks = append(tasks, task{ID: fmt.Sprint("K", i+2), Order: fmt.Sprint("SO-K", i+2), Mode: "cluster", Priority: 15, Lines: []line{item(i)}})
	}
	var added map[string]int
	if err := gatewaytest.Local(m).Post(ctx, "/api/v1/tasks", map[string]any{"tasks": tasks}, &added); err != nil {
		t.Fatal(err)
	}

	c, _, err := dialWS(ctx, t, m, "pda-cart", daemontest.DeviceToken("pda-cart"), "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Login(ctx, "l", demo.Badges[0], gateway.DemoPIN)
	if err != nil || v.Prompt.Step != "scan_cart" {
		t.Fatalf("login with cart orders first in the queue: %v %+v; want scan_cart", err, v.Prompt)
	}
	n := 0
	scan := func(data string) floorgate.Verdict {
		t.Helper()
		n++
		clock.Add(time.Second)
		v, err := c.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("c", n), Data: data, DistanceMM: 70})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v = scan("CART-01")
	if v.Code != floorgate.CodeCartStarted || v.Prompt.Slots != 8 {
		t.Fatalf("cart: %s %+v", v.Code, v.Prompt)
	}
	slotOf := map[string]int{} // order → slot
	for v.Prompt.Step == "bind_tote" {
		slotOf[v.Prompt.Order] = v.Prompt.Slot
		v = scan(fmt.Sprintf("TOTE-%03d", v.Prompt.Slot))
		if !v.OK {
			t.Fatalf("binding: %s", v.Code)
		}
	}
	if v.Code != floorgate.CodeCartReady || slotOf["SO-K1"] != 1 || slotOf["SO-K2"] != 8 {
		t.Fatalf("after binding: %s, slots %v; want cart_ready, K1 (priority 20) in slot 1, K2 (10) in slot 8", v.Code, slotOf)
	}
	wrongTried, shorted := false, false
	var shorts []floorgate.ShortOrder
	for steps := 0; v.Code != floorgate.CodeCartDone; steps++ {
		if steps > 100 {
			t.Fatalf("the walk does not end: %+v", v.Prompt)
		}
		p := v.Prompt
		switch p.Step {
		case "scan_location":
			v = scan(demo.LocationBarcode[p.Location])
		case "scan_item":
			if p.SKU == k2.SKU && !shorted {
				// The bin holds two of the three units K1 and K2 need.
				shorted = true
				n++
				v, err = c.Short(ctx, fmt.Sprint("c", n), 2)
				if err != nil || v.Code != floorgate.CodeShortOK {
					t.Fatalf("short: %v %+v", err, v)
				}
				shorts = v.Shorts
				continue
			}
			v = scan(demo.ItemBarcode[p.SKU])
		case "scan_tote":
			if !wrongTried {
				wrongTried = true
				if w := scan("TOTE-050"); w.Code != floorgate.CodeWrongTote || w.Prompt.Slot != p.Slot || w.OK {
					t.Fatalf("a tote not on the cart: %s, slot %d; want wrong_tote, slot %d still shown", w.Code, w.Prompt.Slot, p.Slot)
				}
			}
			v = scan(fmt.Sprintf("TOTE-%03d", p.Slot))
		default:
			t.Fatalf("unexpected step %+v", p)
		}
		if !v.OK {
			t.Fatalf("a right scan at %s refused: %s", p.Step, v.Code)
		}
	}
	if want := []floorgate.ShortOrder{{Slot: 8, Task: "K2", Order: "SO-K2", Missing: 1}}; fmt.Sprint(shorts) != fmt.Sprint(want) {
		t.Fatalf("shorts %+v; want K2 (the lower priority) one short: %+v", shorts, want)
	}
	for _, id := range []string{"K1", "K2", "K8"} {
		if tk, _ := m.DB.Task(id); tk.Status != floorgate.TaskDone {
			t.Fatalf("task %s is %s after the cart", id, tk.Status)
		}
	}
	evs, _ := m.DB.Journal(0, 1<<20)
	puts := map[string]int{}
	for _, ev := range evs {
		if ev.Type == floorgate.EventPickPut {
			var r floorgate.PutRecord
			json.Unmarshal(ev.Data, &r)
			puts[r.Order] += r.Qty
		}
	}
	if puts["SO-K1"] != 1 || puts["SO-K2"] != 1 || len(puts) != 8 {
		t.Fatalf("units put per order %v; want one each, K2 one of its two", puts)
	}

	// K2's short opened an exception case, which holds it at packing until
	// a supervisor resolves it: here by sending it to the ERP.
	cases, err := m.DB.Exceptions(store.ExceptionFilter{Open: true})
	if err != nil || len(cases) != 1 || cases[0].Order != "SO-K2" || cases[0].Qty != 1 || cases[0].Reason != floorgate.ReasonShortBinEmpty {
		t.Fatalf("the short's case: %+v %v", cases, err)
	}
	if _, err := m.DB.Resolve(ctx, cases[0].ID, floorgate.Resolution{Action: floorgate.ResolveSendToERP, By: "S001"}); err != nil {
		t.Fatal(err)
	}

	// At the pack station each tote opens its own order. K2's shipment is
	// the one unit it got (the ERP re-sent it after the short).
	var ships []floorgate.Shipment
	for _, tk := range tasks {
		s := floorgate.Shipment{Order: tk.Order, Carrier: "SF", Tracking: "SF" + tk.ID,
			Service: "顺丰标快", SortCode: "755W-NS01",
			Recipient: floorgate.Party{Name: "Li", Phone: "13800000000", Address: "Shenzhen"},
			Sender:    floorgate.Party{Name: "Demo", Phone: "0755-86000000", Address: "Shenzhen"}}
		s.Lines = []floorgate.ShipmentLine{{SKU: tk.Lines[0].SKU, Qty: 1}}
		ships = append(ships, s)
	}
	if err := m.DB.PutShipments(ctx, ships); err != nil {
		t.Fatal(err)
	}
	pk, _, err := dialWS(ctx, t, m, "pack-1", daemontest.DeviceToken("pack-1"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer pk.Close()
	if v, err := pk.Login(ctx, "l", demo.PackerBadges[0], gateway.DemoPIN); err != nil || v.Prompt.Step != "scan_order" {
		t.Fatalf("packer: %v %+v", err, v)
	}
	pack := func(data string) floorgate.Verdict {
		t.Helper()
		n++
		clock.Add(time.Second)
		v, err := pk.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("p", n), Data: data, DistanceMM: 70})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, s := range ships {
		tote := fmt.Sprintf("TOTE-%03d", slotOf[s.Order])
		if v := pack(tote); v.Code != floorgate.CodeOrderOK || v.Prompt.Order != s.Order {
			t.Fatalf("tote %s at packing: %s %+v; want order_ok for %s", tote, v.Code, v.Prompt, s.Order)
		}
		if v := pack(demo.ItemBarcode[s.Lines[0].SKU]); v.Code != floorgate.CodePackDone {
			t.Fatalf("packing %s: %s", s.Order, v.Code)
		}
		if v := pack(s.Tracking); v.Code != floorgate.CodeShipped {
			t.Fatalf("shipping %s: %s", s.Order, v.Code)
		}
		if v := pack(tote); v.Code != floorgate.CodeUnknownOrder {
			t.Fatalf("tote %s after its order shipped: %s; want unknown_order (the tote is free)", tote, v.Code)
		}
	}
	if err := lbl.WaitLabels(len(ships), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	var printed strings.Builder
	for _, j := range lbl.Jobs() {
		printed.Write(j)
	}
	for _, s := range ships {
		if !strings.Contains(printed.String(), s.Tracking) {
			t.Errorf("no waybill printed with %s's tracking number %s", s.Order, s.Tracking)
		}
	}
}
