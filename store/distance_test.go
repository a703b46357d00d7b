package store

import (
	"encoding/json"
	"testing"

	"github.com/floorgate/floorgate"
)

// TestPDAThatCannotMeasure: a PDA whose model's profile says it cannot
// know its distance gets not_measurable on its scans, where a PDA that
// could have measured and sent nothing gets unknown; a distance it sends
// anyway still counts.
func TestPDAThatCannotMeasure(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.CannotMeasure = func(model string) bool { return model == "wedge-1" }
	})
	if err := e.db.PutMaster(ctx, Master{Operators: []floorgate.Operator{
		{ID: "pk1", Name: "Packer", Badge: "PACK1", PINHash: pinHash, Role: floorgate.RolePacker},
		{ID: "pk2", Name: "Packer 2", Badge: "PACK2", PINHash: pinHash, Role: floorgate.RolePacker}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutShipments(ctx, []floorgate.Shipment{{Order: "O1", Carrier: "SF", Tracking: "SF1",
		Recipient: floorgate.Party{Name: "R", Phone: "13800000001", Address: "A"}, Sender: floorgate.Party{Name: "S", Address: "B"},
		Lines: []floorgate.ShipmentLine{{SKU: "S1", Qty: 2}}}}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct{ id, model, badge string }{{"wedge", "wedge-1", "PACK1"}, {"cam", "cam-1", "PACK2"}} {
		if _, err := e.db.Hello(ctx, d.id, testToken(d.id), d.model); err != nil {
			t.Fatal(err)
		}
		if v, err := e.db.Login(ctx, d.id, "l-"+d.id, d.badge, "2468"); err != nil || v.Code != floorgate.CodeLoggedIn {
			t.Fatalf("login on %s: %v %+v", d.id, err, v)
		}
	}
	steps := []struct {
		sc   floorgate.Scan
		dist string
	}{
		{floorgate.Scan{ID: "1", Device: "wedge", Data: "O1"}, "not_measurable"},
		{floorgate.Scan{ID: "2", Device: "wedge", Data: itemBarcode(1), AIM: "]E0", DistanceMM: 70}, "in"},
		{floorgate.Scan{ID: "3", Device: "cam", Data: "NOT-AN-ORDER"}, "unknown"},
	}
	for _, s := range steps {
		s.sc.At = e.clock.Now()
		if _, err := e.db.Scan(ctx, s.sc); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, ev := range e.journal() {
		if ev.Type == floorgate.EventScanAccepted || ev.Type == floorgate.EventScanRejected {
			var r floorgate.ScanRecord
			if err := json.Unmarshal(ev.Data, &r); err != nil {
				t.Fatal(err)
			}
			got = append(got, r.Device+" "+r.Distance)
		}
	}
	want := []string{"wedge not_measurable", "wedge in", "cam unknown"}
	if len(got) != len(want) {
		t.Fatalf("scan events %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("scan %d: %q, want %q", i+1, got[i], want[i])
		}
	}
}
