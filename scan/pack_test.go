package scan_test

import (
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

var shipment = &floorgate.Shipment{Order: "SO-9", Carrier: "SF", Tracking: "SF1234567890",
	Recipient: floorgate.Party{Name: "李雷", Phone: "13800138000", Address: "深圳市南山区"},
	Lines:     []floorgate.ShipmentLine{{SKU: "RED", Qty: 2}, {SKU: "BLUE", Qty: 1}}}

var orderMatch = floorgate.Match{Kind: floorgate.MatchOrder, Shipment: shipment}

func packer() floorgate.Session { return floorgate.Session{Device: "pack-1", Operator: "packer-1"} }

// TestPackAndShip walks a parcel through the pack station, with every
// refusal on the way.
func TestPackAndShip(t *testing.T) {
	at := func(s time.Duration) time.Duration { return s }
	st := scan.PackState{Session: packer()}
	steps := []struct {
		name  string
		data  string
		m     floorgate.Match
		code  floorgate.Code
		step  string
		after time.Duration
	}{
		{"an item before an order", barRed, itemRed, floorgate.CodeUnknownOrder, "scan_order", at(time.Second)},
		{"open the order", "SO-9", orderMatch, floorgate.CodeOrderOK, "scan_pack_item", at(2 * time.Second)},
		{"an item not in the order", barGreen, itemGreen, floorgate.CodeWrongItem, "scan_pack_item", at(3 * time.Second)},
		{"an unknown code", "???", unknown, floorgate.CodeUnknownBarcode, "scan_pack_item", at(4 * time.Second)},
		{"first red", barRed, itemRed, floorgate.CodePackItemOK, "scan_pack_item", at(5 * time.Second)},
		{"second red", barRed, itemRed, floorgate.CodePackItemOK, "scan_pack_item", at(6 * time.Second)},
		{"a third red", barRed, itemRed, floorgate.CodeExtraItem, "scan_pack_item", at(7 * time.Second)},
		{"the scan of a waybill too early", "SF1234567890", unknown, floorgate.CodeUnknownBarcode, "scan_pack_item", at(8 * time.Second)},
		{"blue: all verified", barBlue, itemBlue, floorgate.CodePackDone, "scan_waybill", at(9 * time.Second)},
		{"another parcel's waybill", "SF0000000000", unknown, floorgate.CodeWrongWaybill, "scan_waybill", at(10 * time.Second)},
		{"this parcel's waybill", "SF1234567890", unknown, floorgate.CodeShipped, "scan_order", at(20 * time.Minute)},
	}
	var events []string
	for _, s := range steps {
		r := scan.Pack(st, floorgate.Scan{ID: s.name, Device: "pack-1", Data: s.data, At: t0.Add(s.after)}, s.m)
		if r.Verdict.Code != s.code || r.Verdict.Prompt.Step != s.step {
			t.Fatalf("%s: %s / %s, want %s / %s", s.name, r.Verdict.Code, r.Verdict.Prompt.Step, s.code, s.step)
		}
		if !r.Verdict.OK && r.Session.Pack != st.Session.Pack {
			t.Fatalf("%s: a refusal changed the parcel", s.name)
		}
		for _, e := range r.Events[1:] {
			events = append(events, e.Type)
		}
		if r.Verdict.Code == floorgate.CodeShipped {
			rec := decode[floorgate.PackRecord](t, r.Events[1])
			if rec.Tracking != "SF1234567890" || rec.Packer != "packer-1" || rec.PackToShipS != (20*time.Minute-9*time.Second).Seconds() ||
				rec.WithinStandard == nil || !*rec.WithinStandard || rec.Units != 3 || !rec.Started.Equal(t0.Add(2*time.Second)) {
				t.Fatalf("ship.confirmed %+v", rec)
			}
		}
		st.Session = r.Session
		st.Shipment = shipment
		if st.Session.Pack == nil {
			st.Shipment = nil
		}
	}
	want := []string{floorgate.EventPackStarted, floorgate.EventPackCompleted, floorgate.EventShipConfirmed}
	if len(events) != len(want) || events[0] != want[0] || events[1] != want[1] || events[2] != want[2] {
		t.Fatalf("events %v, want %v", events, want)
	}
}

func TestPackInterceptsCancelledOrders(t *testing.T) {
	// At opening.
	r := scan.Pack(scan.PackState{Session: packer(), Cancelled: true}, floorgate.Scan{ID: "1", Data: "SO-9", At: t0}, orderMatch)
	if r.Verdict.Code != floorgate.CodeOrderIntercepted || r.Session.Pack != nil {
		t.Fatalf("open a cancelled order: %s", r.Verdict.Code)
	}
	// Mid-pack and at the waybill.
	open := packer()
	open.Pack = &floorgate.PackProgress{Order: "SO-9", Counts: map[string]int{"RED": 1}, Started: t0}
	for _, waybill := range []bool{false, true} {
		open.Pack.Waybill = waybill
		r := scan.Pack(scan.PackState{Session: open, Shipment: shipment, Cancelled: true}, floorgate.Scan{ID: "2", Data: "SF1234567890", At: t0}, itemRed)
		if r.Verdict.Code != floorgate.CodeOrderIntercepted || r.Session.Pack != open.Pack {
			t.Fatalf("cancelled while packing (waybill %v): %s", waybill, r.Verdict.Code)
		}
	}
	// Late outbound is recorded as outside the standard.
	open.Pack = &floorgate.PackProgress{Order: "SO-9", Counts: map[string]int{"RED": 2, "BLUE": 1}, Waybill: true, Started: t0, Packed: t0}
	r = scan.Pack(scan.PackState{Session: open, Shipment: shipment}, floorgate.Scan{ID: "3", Data: "SF1234567890", At: t0.Add(31 * time.Minute)}, unknown)
	if rec := decode[floorgate.PackRecord](t, r.Events[1]); r.Verdict.Code != floorgate.CodeShipped || *rec.WithinStandard {
		t.Fatalf("late outbound: %s %+v", r.Verdict.Code, rec)
	}
}
