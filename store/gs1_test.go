package store

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

const gs = "\x1d"

// TestGS1Scans: items registered by EAN-13 are found from GS1-128 scans,
// GLN location labels are found, and the line's batch, expiry and serial
// rules apply to what the barcode carries.
func TestGS1Scans(t *testing.T) {
	e := newEnv(t)
	if err := e.db.PutMaster(ctx, Master{
		Locations: []floorgate.Location{{Code: "GLN-A12", Barcode: "(414)5412345000013(254)A12"}},
		Items:     []floorgate.Item{{SKU: "TEA", Name: "Tea", Barcodes: []string{"4006381333931"}}},
	}); err != nil {
		t.Fatal(err)
	}
	// The same GTIN in another form is the same barcode.
	err := e.db.PutMaster(ctx, Master{Items: []floorgate.Item{{SKU: "OTHER", Name: "Other", Barcodes: []string{"04006381333931"}}}})
	if err == nil {
		t.Fatal("a second item with the same GTIN (as GTIN-14) was accepted")
	}
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{{ID: "T1", Order: "O1", Lines: []floorgate.TaskLine{
		{Location: "GLN-A12", SKU: "TEA", Qty: 3, Batch: "L42", ExpiryFrom: "2026-12-01", Serial: true}}}}); err != nil {
		t.Fatal(err)
	}
	e.pda("pda-1", "BADGE1")
	scan := func(id, aim, data string) floorgate.Verdict {
		t.Helper()
		e.clock.Add(1e9)
		v, err := e.db.Scan(ctx, floorgate.Scan{ID: id, Device: "pda-1", AIM: aim, Data: data, DistanceMM: 70, At: e.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	unit := func(batch, expiry, serial string) string {
		return "0104006381333931" + "17" + expiry + "10" + batch + gs + "21" + serial
	}
	steps := []struct {
		name, aim, data string
		code            floorgate.Code
	}{
		{"GLN location label", "]C1", "4145412345000013254A12", floorgate.CodeLocationOK},
		{"wrong check digit", "]C1", "0104006381333932", floorgate.CodeInvalidBarcode},
		{"wrong batch", "]C1", unit("L41", "261231", "SN1"), floorgate.CodeWrongBatch},
		{"expires too soon", "]C1", unit("L42", "261130", "SN1"), floorgate.CodeExpiryTooSoon},
		{"no serial on the item label", "]C1", "0104006381333931" + "17261231" + "10L42", floorgate.CodeSerialNext},
		{"a location instead of the serial", "]C1", "4145412345000013254A12", floorgate.CodeSerialMissing},
		{"the unit's own serial label", "]C0", "SN1", floorgate.CodeItemOK},
		{"the same unit again", "]d2", unit("L42", "261231", "SN1"), floorgate.CodeDuplicateSerial},
		{"bracketed form, next unit", "", "(01)04006381333931(17)261231(10)L42(21)SN2", floorgate.CodeItemOK},
		{"digital link, last unit", "", "https://id.example.com/01/04006381333931/10/L42/21/SN3?17=261231", floorgate.CodeTaskDone},
	}
	for i, s := range steps {
		if v := scan(string(rune('a'+i)), s.aim, s.data); v.Code != s.code {
			t.Fatalf("%s: %s, want %s", s.name, v.Code, s.code)
		}
	}
	// The reason for an invalid barcode goes upstream with the rejection.
	var rec floorgate.ScanRecord
	for _, ev := range e.journal() {
		if ev.Type == floorgate.EventScanRejected {
			json.Unmarshal(ev.Data, &rec)
			if rec.Code == floorgate.CodeInvalidBarcode {
				break
			}
		}
	}
	if rec.Code != floorgate.CodeInvalidBarcode || rec.Problem == "" {
		t.Fatalf("invalid barcode record: %+v", rec)
	}
	// Spent serial numbers survive a restart.
	e.reopen()
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{{ID: "T2", Order: "O2", Lines: []floorgate.TaskLine{
		{Location: "GLN-A12", SKU: "TEA", Qty: 1}}}}); err != nil {
		t.Fatal(err)
	}
	e.db.Hello(ctx, "pda-1", testToken("pda-1"), "test")
	if v := scan("r1", "]C1", "4145412345000013254A12"); v.Code != floorgate.CodeLocationOK {
		t.Fatalf("location after restart: %s", v.Code)
	}
	if v := scan("r2", "]C1", unit("L42", "261231", "SN2")); v.Code != floorgate.CodeDuplicateSerial {
		t.Fatalf("a spent serial after restart: %s", v.Code)
	}
	if m := e.db.Lookup("]E0", "4006381333931"); m.Kind != floorgate.MatchItem || m.Item.SKU != "TEA" {
		t.Fatalf("lookup: %+v", m)
	}
}

func TestLocationBarcodesFollowTheSitePattern(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Site.Policy.LocationPattern = `^LOC-[0-9]+$` })
	err := e.db.PutMaster(ctx, Master{Locations: []floorgate.Location{
		{Code: "L8", Barcode: "LOC-8"},
		{Code: "G1", Barcode: "(414)5412345000013(254)B1"},
		{Code: "X1", Barcode: "SHELF X1"},
	}})
	if err == nil || floorgate.ErrorCode(err) != floorgate.EINVALID ||
		!strings.Contains(err.Error(), `locations[2] (id "X1"): barcode: "SHELF X1" is neither a GS1 GLN label`) {
		t.Fatalf("a location outside the pattern: %v", err)
	}
	if err := e.db.PutMaster(ctx, Master{Locations: []floorgate.Location{{Code: "L8", Barcode: "LOC-8"}, {Code: "G1", Barcode: "(414)5412345000013(254)B1"}}}); err != nil {
		t.Fatalf("pattern and GLN labels refused: %v", err)
	}
}

func TestPrintJobsAreAuditedAndIdempotent(t *testing.T) {
	e := newEnv(t)
	if err := e.db.write(ctx, func(w *wtx) error {
		for range 2 { // asked twice, queued once
			if err := w.queueJob(floorgate.PrintJob{ID: "waybill:SO-1", Kind: "waybill", Order: "SO-1", Template: "100x180", Status: floorgate.JobQueued}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := e.db.PrintJobs(); len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	if _, err := e.db.UpdatePrintJob(ctx, "waybill:SO-1", func(j *floorgate.PrintJob) error { j.Status, j.Reason = floorgate.JobFailed, "paper out"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Reprint(ctx, "waybill:SO-1", "", ""); floorgate.ErrorCode(err) != floorgate.EINVALID {
		t.Fatalf("reprint without a reason: %v", err)
	}
	r, err := e.db.Reprint(ctx, "waybill:SO-1", "sup-1", "label torn")
	if err != nil || r.ID != "waybill:SO-1#2" || r.ReprintOf != "waybill:SO-1" || r.Status != floorgate.JobQueued {
		t.Fatalf("reprint: %v %+v", err, r)
	}
	types := map[string]bool{}
	for _, ev := range e.journal() {
		types[ev.Type] = true
	}
	if !types[floorgate.EventLabelFailed] || !types[floorgate.EventLabelReprinted] {
		t.Fatalf("events: %v", types)
	}
}

func TestInterceptCancelsTheWaybill(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 1))}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.QueuePrintJob(ctx, floorgate.PrintJob{ID: "waybill:SO-T1", Kind: "waybill", Order: "SO-T1", Status: floorgate.JobHeld}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CancelTask(ctx, "T1", "customer cancelled"); err != nil {
		t.Fatal(err)
	}
	jobs, _ := e.db.PrintJobs()
	if len(jobs) != 1 || jobs[0].Status != floorgate.JobCancelled || jobs[0].Reason != "order cancelled: customer cancelled" {
		t.Fatalf("waybill after the intercept: %+v", jobs)
	}
}
