package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
)

// slaBoard is GET /api/v1/sla as a client reads it.
type slaBoard struct {
	Now    time.Time             `json:"now"`
	Orders []floorgate.SLAStatus `json:"orders"`
}

// TestSLABoardWithTheERPDown drives an order across the floor on the
// injected clock with the ERP's broker unreachable: packed over a real
// WebSocket, it is at risk on /api/v1/sla 20 minutes after packing and
// breached at 30, named with its rule, due time and node; the sla.*
// events wait in the outbox for the ERP; shipping it clears the board.
func TestSLABoardWithTheERPDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, clock, ship, scan := packOneOrderERPDown(ctx, t)
	packed := clock.Now()
	mine := func(at time.Duration) map[floorgate.SLARule]floorgate.SLAStatus {
		t.Helper()
		clock.Set(packed.Add(at))
		var b slaBoard
		if err := local(m).Get(ctx, "/api/v1/sla", &b); err != nil {
			t.Fatal(err)
		}
		if !b.Now.Equal(clock.Now()) {
			t.Fatalf("the board's now %v, the clock's %v", b.Now, clock.Now())
		}
		out := map[floorgate.SLARule]floorgate.SLAStatus{}
		for _, o := range b.Orders {
			if o.Order == ship.Order {
				out[o.Rule] = o
			}
		}
		return out
	}
	if b := mine(19*time.Minute + 59*time.Second); len(b) != 0 {
		t.Fatalf("19:59 after packing: %+v", b)
	}
	b := mine(20 * time.Minute)
	if s := b[floorgate.SLAOutbound]; s.State != floorgate.SLAAtRisk || !s.Due.Equal(packed.Add(30*time.Minute)) || s.Node != "packed" && s.Node != "label_printed" {
		t.Fatalf("20 min after packing: %+v", b)
	}
	if sent, err := m.DB.CheckSLA(ctx, clock.Now()); err != nil || sent == 0 {
		t.Fatalf("CheckSLA: %d %v", sent, err)
	}
	if s := mine(30 * time.Minute)[floorgate.SLAOutbound]; s.State != floorgate.SLABreached {
		t.Fatalf("30 min after packing: %+v", s)
	}
	if _, err := m.DB.CheckSLA(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	// The ERP is unreachable: the events wait in the outbox.
	var states []string
	evs, err := m.DB.Journal(1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type == floorgate.EventSLAAtRisk || ev.Type == floorgate.EventSLABreached {
			states = append(states, ev.Type)
		}
	}
	if ob, err := m.DB.Outbox(); err != nil || ob.Depth == 0 || fmt.Sprint(states) != "[sla.at_risk sla.breached]" {
		t.Fatalf("outbox %+v %v; sla events %v", ob, err, states)
	}
	if v := scan(ship.Tracking); v.Code != floorgate.CodeShipped {
		t.Fatalf("waybill: %s", v.Code)
	}
	if b := mine(31 * time.Minute); len(b) != 0 {
		t.Fatalf("shipped, still on the board: %+v", b)
	}
}

// packOneOrderERPDown starts a demo gateway on an injected clock with the
// ERP's broker unreachable, and packs one of its one-line orders over a
// real WebSocket at pack-1: it returns the gateway, the clock, the order's
// shipment, and the packer's scan, to send its waybill with later.
func packOneOrderERPDown(ctx context.Context, t *testing.T) (*gateway.Gateway, *floorgate.ManualClock, floorgate.Shipment, func(string) floorgate.Verdict) {
	t.Helper()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m := startMain(t, clock, func(c *gateway.Config) { c.MQTT.Brokers = []string{"tcp://127.0.0.1:1"} })
	demo := gateway.NewDemo()
	var ship floorgate.Shipment
	for _, s := range demo.Shipments() {
		if s.Customs == nil && len(s.Lines) == 1 {
			ship = s
			break
		}
	}
	c, _, err := dialWS(ctx, t, m, "pack-1", testToken("pack-1"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if v, err := c.Login(ctx, "l", demo.PackerBadges[0], gateway.DemoPIN); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	n := 0
	scan := func(data string) floorgate.Verdict {
		t.Helper()
		n++
		v, err := c.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("p", n), Data: data})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	scan(ship.Order)
	for range ship.Lines[0].Qty {
		scan(demo.ItemBarcode[ship.Lines[0].SKU])
	}
	return m, clock, ship, scan
}
