package scan_test

import (
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// TestPackSingle: in the single-item lane an item scanned with no parcel
// open packs the order the caller found for it — its one line picked, the
// order closed, its parcel opened and verified at once — or is refused
// when no order waits for it, when the order has no shipment, when it was
// cancelled, and outside the distance band.
func TestPackSingle(t *testing.T) {
	order := &floorgate.Task{ID: "S1", Order: "SO-9", Mode: floorgate.ModeSingle, Status: floorgate.TaskPending, Created: t0.Add(-time.Hour),
		Lines: []floorgate.TaskLine{{Location: "A-01-01", SKU: "RED", Qty: 1, Status: floorgate.LineOpen}}}
	one := *shipment
	one.Lines = []floorgate.ShipmentLine{{SKU: "RED", Qty: 1}}
	sc := floorgate.Scan{ID: "p1", Device: "pack-1", Data: barRed, At: t0, DistanceMM: 70}
	st := scan.PackState{Policy: floorgate.DefaultPolicy(), Session: packer(), Shipment: &one}

	r := scan.PackSingle(st, sc, itemRed, order)
	checkEvents(t, r.Events, t0, "scan.accepted", "pick.line_confirmed", "pick.task_completed", "pack.started", "pack.completed")
	if r.Verdict.Code != floorgate.CodePackDone || r.Verdict.Prompt.Step != "scan_waybill" || r.Verdict.Prompt.Order != "SO-9" {
		t.Fatalf("packed: %s %+v; want pack_done asking for SO-9's waybill", r.Verdict.Code, r.Verdict.Prompt)
	}
	if !r.TaskChanged || r.Task.Status != floorgate.TaskDone || r.Task.Lines[0].Picked != 1 || r.Task.Operator != "packer-1" {
		t.Fatalf("the order after packing: %+v", r.Task)
	}
	if order.Status != floorgate.TaskPending {
		t.Fatal("PackSingle changed the order it was given")
	}
	far := sc
	far.DistanceMM = 300
	cancelled := st
	cancelled.Cancelled = true
	noShip := st
	noShip.Shipment = nil
	for _, c := range []struct {
		name  string
		st    scan.PackState
		sc    floorgate.Scan
		m     floorgate.Match
		order *floorgate.Task
		code  floorgate.Code
	}{
		{"no order waits for it", st, sc, itemRed, nil, floorgate.CodeNoSingleOrder},
		{"not an item", st, sc, locA, order, floorgate.CodeNoSingleOrder},
		{"no shipment", noShip, sc, itemRed, order, floorgate.CodeUnknownOrder},
		{"cancelled", cancelled, sc, itemRed, order, floorgate.CodeOrderIntercepted},
		{"out of the band", st, far, itemRed, order, floorgate.CodeDistance},
	} {
		r := scan.PackSingle(c.st, c.sc, c.m, c.order)
		if r.Verdict.Code != c.code || r.TaskChanged || r.Session.Pack != nil {
			t.Errorf("%s: %s, task changed %v, parcel %+v; want %s and nothing changed", c.name, r.Verdict.Code, r.TaskChanged, r.Session.Pack, c.code)
		}
		checkEvents(t, r.Events, t0, "scan.rejected")
	}
}
