package store

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/floorgate/floorgate"
)

// TestPackStationReadsAreMeasured: a packer's read carries its distance —
// measured by the device, or from the image with the focal length enrolled
// from the device's model — and is checked against the band (reject mode:
// refused), like a picker's (docs/pda-protocol.md §10).
func TestPackStationReadsAreMeasured(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.FocalPx = func(model string) float64 {
			if model == "cam-1507" {
				return 1507
			}
			return 0
		}
	})
	if err := e.db.PutMaster(ctx, Master{Operators: []floorgate.Operator{
		{ID: "pk1", Name: "Packer", Badge: "PACK1", PINHash: pinHash, Role: floorgate.RolePacker}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutShipments(ctx, []floorgate.Shipment{{Order: "O1", Carrier: "SF", Tracking: "SF1",
		Recipient: floorgate.Party{Name: "R", Phone: "13800000001", Address: "A"}, Sender: floorgate.Party{Name: "S", Address: "B"},
		Lines: []floorgate.ShipmentLine{{SKU: "S1", Qty: 2}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Hello(ctx, "pack-1", testToken("pack-1"), "cam-1507"); err != nil {
		t.Fatal(err)
	}
	if v, err := e.db.Login(ctx, "pack-1", "l", "PACK1", "2468"); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	// An EAN-13 (31.35 mm) 472 px wide in a 1920 px image at f = 1507 px:
	// about 100 mm; 300 px: about 157 mm.
	geom := func(px float64) *floorgate.Geometry {
		return &floorgate.Geometry{ImageWidth: 1920, Corners: [4]floorgate.Point{{X: 0, Y: 0}, {X: px, Y: 0}, {X: px, Y: 50}, {X: 0, Y: 50}}}
	}
	steps := []struct {
		sc     floorgate.Scan
		code   floorgate.Code
		dist   string
		wantMM float64 // 0: none
	}{
		{floorgate.Scan{ID: "1", Data: "O1", DistanceMM: 70}, floorgate.CodeOrderOK, "in", 70},
		{floorgate.Scan{ID: "2", Data: itemBarcode(1), AIM: "]E0", DistanceMM: 250}, floorgate.CodeDistance, "out", 250},
		{floorgate.Scan{ID: "3", Data: itemBarcode(1), AIM: "]E0", Geometry: geom(300)}, floorgate.CodeDistance, "out", 1507 * 31.35 / 300},
		{floorgate.Scan{ID: "4", Data: itemBarcode(1), AIM: "]E0", Geometry: geom(640)}, floorgate.CodePackItemOK, "in", 1507 * 31.35 / 640},
		{floorgate.Scan{ID: "5", Data: itemBarcode(1)}, floorgate.CodePackDone, "unknown", 0},
	}
	for _, s := range steps {
		s.sc.Device, s.sc.At = "pack-1", e.clock.Now()
		v, err := e.db.Scan(ctx, s.sc)
		if err != nil {
			t.Fatal(err)
		}
		if v.Code != s.code {
			t.Fatalf("scan %s: %s, want %s", s.sc.ID, v.Code, s.code)
		}
	}
	var recs []map[string]any
	for _, ev := range e.journal() {
		if ev.Type == floorgate.EventScanAccepted || ev.Type == floorgate.EventScanRejected {
			var m map[string]any
			if err := json.Unmarshal(ev.Data, &m); err != nil {
				t.Fatal(err)
			}
			recs = append(recs, m)
		}
	}
	if len(recs) != len(steps) {
		t.Fatalf("%d scan events, want %d", len(recs), len(steps))
	}
	for i, s := range steps {
		mm, _ := recs[i]["distance_mm"].(float64)
		if recs[i]["distance"] != s.dist || math.Abs(mm-s.wantMM) > 0.01 {
			t.Errorf("scan %s: distance %v, distance_mm %v; want %s, %v", s.sc.ID, recs[i]["distance"], recs[i]["distance_mm"], s.dist, s.wantMM)
		}
	}
}

// TestWaybillJobsNameTheirPacker: the waybill job of a parcel names its
// packer, and a reprint keeps it, so a label not printed counts for the
// packer whose parcel it was.
func TestWaybillJobsNameTheirPacker(t *testing.T) {
	e := staffEnv(t)
	if err := e.db.PutShipments(ctx, []floorgate.Shipment{{Order: "O1", Carrier: "SF", Tracking: "SF1",
		Recipient: floorgate.Party{Name: "R", Phone: "13800000001", Address: "A"}, Sender: floorgate.Party{Name: "S", Address: "B"},
		Lines: []floorgate.ShipmentLine{{SKU: "S1", Qty: 1}}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutMaster(ctx, fixture()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Hello(ctx, "pack-1", testToken("pack-1"), "test"); err != nil {
		t.Fatal(err)
	}
	if v, err := e.db.Login(ctx, "pack-1", "l", "PACK1", "2468"); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	for _, data := range []string{"O1", itemBarcode(1)} {
		if v := e.scan("pack-1", data, data); !v.OK {
			t.Fatalf("scan %s: %s", data, v.Code)
		}
	}
	again, err := e.db.Reprint(ctx, "waybill:O1", "sup1", "smudged")
	if err != nil {
		t.Fatal(err)
	}
	failed, err := e.db.UpdatePrintJob(ctx, again.ID, func(j *floorgate.PrintJob) error {
		j.Status = floorgate.JobFailed
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := e.db.PrintJobs()
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Packer != "pk1" {
			t.Errorf("job %s: packer %q, want pk1", j.ID, j.Packer)
		}
	}
	if len(jobs) != 2 || failed.Packer != "pk1" {
		t.Errorf("%d jobs, failed reprint's packer %q; want 2, pk1", len(jobs), failed.Packer)
	}
}
