package kpi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan/gs1"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/store/storetest"
	"github.com/floorgate/floorgate/web/kpi"
)

// TestRealShift plays a shift through the real store and scan engine and
// checks the figures against what was done.
func TestRealShift(t *testing.T) {
	fl := newShiftFloor(t, 2, 3)
	ctx, start, clk, db, login, scan := fl.ctx, fl.start, fl.clk, fl.db, fl.login, fl.scan

	// 09:00:00 op1 logs in and gets T1 (pick.task_started).
	login("pda1", "B1")
	scan("pda1", "LOC-2", 70, floorgate.CodeWrongLocation)              // line 1 is at L1
	scan("pda1", "6900000000014", 70, floorgate.CodeItemBeforeLocation) // item first
	scan("pda1", "LOC-1", 70, floorgate.CodeLocationOK)
	scan("pda1", "6900000000014", 200, floorgate.CodeDistance) // 20 cm: out of band, not a picker's error
	scan("pda1", "6900000000014", 70, floorgate.CodeItemOK)
	scan("pda1", "6900000000014", 70, floorgate.CodeLineDone)
	scan("pda1", "LOC-2", 70, floorgate.CodeLocationOK)
	scan("pda1", "6900000000021", 70, floorgate.CodeItemOK)
	// 09:00:08 + 10 min: the bin holds one more of S2's three: short.
	clk.Add(10 * time.Minute)
	shortAt := clk.Now()
	if v, err := db.Short(ctx, "pda1", "short-1", 1); err != nil || v.Code != floorgate.CodeShortOK {
		t.Fatalf("short: %v %v", v.Code, err)
	}
	// The short is an exception case on SO-T1: its parcel cannot be
	// packed until a supervisor settles it; five minutes later it is sent
	// to the ERP.
	clk.Add(5 * time.Minute)
	cases, err := db.Exceptions(store.ExceptionFilter{Open: true})
	if err != nil || len(cases) != 1 {
		t.Fatalf("open exceptions after the short: %v %v", cases, err)
	}
	if _, err := db.Resolve(ctx, cases[0].ID, floorgate.Resolution{Action: floorgate.ResolveSendToERP, By: "sup"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Minute)
	if _, err := db.Logout(ctx, "pda1"); err != nil {
		t.Fatal(err)
	}
	op1Out := clk.Now()

	// The packer packs SO-T1 in 2 minutes and ships it 35 minutes later.
	clk.Add(5 * time.Minute)
	login("pack1", "BK")
	k1In := clk.Now()
	scan("pack1", "SO-T1", 0, floorgate.CodeOrderOK)
	clk.Add(2*time.Minute - time.Second)
	scan("pack1", "6900000000014", 0, floorgate.CodePackDone)
	clk.Add(35*time.Minute - time.Second)
	scan("pack1", "TRK1", 0, floorgate.CodeShipped)

	events, err := db.Journal(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	from, to := start, start.Add(2*time.Hour)
	r, err := kpi.Compute(events, from, to, map[string]string{"op1": "Ann", "k1": "Kim"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.People) != 2 || r.People[0].Operator != "k1" || r.People[1].Operator != "op1" {
		t.Fatalf("people = %+v", r.People)
	}
	k1, op1 := r.People[0], r.People[1]
	if k1.Role != "packer" || op1.Role != "picker" || op1.Name != "Ann" {
		t.Errorf("roles %q %q, name %q", k1.Role, op1.Role, op1.Name)
	}

	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	nearp := func(what string, got *float64, want float64) {
		t.Helper()
		if got == nil {
			t.Errorf("%s = null, want %v", what, want)
			return
		}
		near(what, *got, want)
	}

	// op1: 8 scans, 5 accepted; rejected wrong_location, item_before_location,
	// distance_out_of_band. Pick scans counted 5 right + 2 wrong (the distance
	// rejection is neutral). Item stage: 3 accepted item scans + 1 item
	// first. Distance: 7 in, 1 out.
	f := op1.Figures
	if f.Scans != 8 || f.Accepted != 5 || f.Rejected != 3 {
		t.Errorf("op1 scans %d/%d/%d, want 8/5/3", f.Scans, f.Accepted, f.Rejected)
	}
	for c, want := range map[floorgate.Code]int{"wrong_location": 1, "item_before_location": 1, "distance_out_of_band": 1} {
		if f.RejectedByCode[c] != want {
			t.Errorf("op1 rejected %s = %d, want %d", c, f.RejectedByCode[c], want)
		}
	}
	if len(f.RejectedByCode) != 3 {
		t.Errorf("op1 rejected_by_code = %v", f.RejectedByCode)
	}
	if f.Lines != 2 || f.ShortLines != 1 || f.PickScans != 7 || f.WrongPickScans != 2 {
		t.Errorf("op1 lines %d short %d pick %d wrong %d, want 2 1 7 2", f.Lines, f.ShortLines, f.PickScans, f.WrongPickScans)
	}
	nearp("op1 pick_accuracy", f.PickAccuracy, 5.0/7)
	if f.AccuracyOK == nil || *f.AccuracyOK {
		t.Errorf("op1 accuracy_ok = %v, want false", f.AccuracyOK)
	}
	nearp("op1 sequence_compliance", f.SequenceCompliance, 0.75)
	if d := f.Distance; d.In != 7 || d.Out != 1 || d.Unknown != 0 {
		t.Errorf("op1 distance = %+v", d)
	}
	nearp("op1 in_band_share", f.Distance.InBandShare, 7.0/8)
	near("op1 hours_logged_in", f.HoursLoggedIn, op1Out.Sub(start).Hours())
	near("op1 lines_per_hour", f.LinesPerHour, 2/op1Out.Sub(start).Hours())
	if s := f.Stages.Pick; s.Count != 1 {
		t.Errorf("op1 pick stage = %+v", s)
	}
	near("op1 pick stage", f.Stages.Pick.MeanS, shortAt.Sub(start).Seconds())
	// Where op1 was: at L2's label for the wrong location, nowhere yet for
	// the item before any location was confirmed.
	if e := f.Exceptions; e.ShortPicks != 1 || len(e.WrongScansByLocation) != 2 ||
		e.WrongScansByLocation[0].Location != "" || e.WrongScansByLocation[0].ByCode["item_before_location"] != 1 ||
		e.WrongScansByLocation[1].Location != "L2" || e.WrongScansByLocation[1].ByCode["wrong_location"] != 1 {
		t.Errorf("op1 exceptions = %+v", e)
	}
	// Line 1 had both wrong scans against it; line 2 (short) none.
	if f.LinesRightFirstTime != 1 {
		t.Errorf("op1 lines_right_first_time = %d, want 1", f.LinesRightFirstTime)
	}
	nearp("op1 line_accuracy", f.LineAccuracy, 0.5)

	// k1: 3 pack scans, no pick scans; packed in 120 s, shipped 2100 s later.
	g := k1.Figures
	if g.Scans != 3 || g.Accepted != 3 || g.PickScans != 0 || g.PickAccuracy != nil || g.SequenceCompliance != nil {
		t.Errorf("k1 = %+v", g)
	}
	if d := g.Distance; d.Unknown != 3 || d.Total != 3 || d.InBandShare != nil {
		t.Errorf("k1 distance = %+v", d)
	}
	near("k1 hours_logged_in", g.HoursLoggedIn, to.Sub(k1In).Hours())
	if s := g.Stages.Pack; s.Count != 1 || s.MeanS != 120 {
		t.Errorf("k1 pack stage = %+v", s)
	}
	if o := g.PackToOutbound; o.Count != 1 || o.MaxS != 2100 || o.WithinStandard != 0 || o.WithinStandardShare == nil || *o.WithinStandardShare != 0 {
		t.Errorf("k1 pack_to_outbound = %+v", o)
	}
	if s := g.Stages.Outbound; s.Count != 1 || s.MeanS != 2100 {
		t.Errorf("k1 outbound stage = %+v", s)
	}

	// The site is the two of them; nothing else happened.
	s := r.Site
	if s.Scans != 11 || s.Accepted != 8 || s.Rejected != 3 || s.Lines != 2 {
		t.Errorf("site scans %d/%d/%d lines %d, want 11/8/3 2", s.Scans, s.Accepted, s.Rejected, s.Lines)
	}
	nearp("site pick_accuracy", s.PickAccuracy, 5.0/7)
	nearp("site in_band_share", s.Distance.InBandShare, 7.0/8)
	near("site unknown_share", s.Distance.UnknownShare, 3.0/11)
	near("site hours_logged_in", s.HoursLoggedIn, op1Out.Sub(start).Hours()+to.Sub(k1In).Hours())

	// One order ended, Kim's: it had an exception (the short, raised by
	// op1 and resolved in 5 minutes), wrong scans and a read out of the
	// band, and shipped over the standard: not compliant.
	for who, f := range map[string]kpi.Figures{"site": s, "k1": g} {
		if f.Orders != 1 || f.OrdersWithException != 1 || f.CompliantOrders != 0 || f.ComplianceOK == nil || *f.ComplianceOK {
			t.Errorf("%s orders %d with exception %d compliant %d", who, f.Orders, f.OrdersWithException, f.CompliantOrders)
		}
	}
	if f.Orders != 0 || len(f.Exceptions.ByReason) != 1 {
		t.Errorf("op1 orders %d, by reason %v: want none shipped, the short raised", f.Orders, f.Exceptions.ByReason)
	}
	if rs := s.Exceptions.Resolution; rs.Count != 1 || rs.MeanS != 300 {
		t.Errorf("site resolution = %+v, want one of 300 s", rs)
	}
	if len(r.Waves) != 1 || r.Waves[0].Orders != 1 || r.Waves[0].PickScans != 7 || r.Waves[0].WrongPickScans != 2 {
		t.Errorf("waves = %+v, want SO-T1's row with op1's 7 pick scans, 2 wrong", r.Waves)
	}

	// Both hours are listed: op1's 8 scans and the packing (09:25, 09:27)
	// fall in the first, the waybill scan (10:02) in the second.
	if len(r.Hours) != 2 || r.Hours[0].Scans != 10 || r.Hours[1].Scans != 1 {
		t.Errorf("hours: %d, scans %d %d", len(r.Hours), r.Hours[0].Scans, r.Hours[1].Scans)
	}
}

// TestPlayedShiftKeepsEveryFact plays, through the real store and scan
// engine, the reads once miscounted, and checks the events carry
// what the figures need and the figures follow docs/web-api.md: where the
// picker was (an over-pick read while the next line waits for its
// location is at the closed line's bin), a wrong read out of the band
// (refused for distance, its mistake kept as in_band_code), a pack-station
// read with a distance (measured and checked), and a label not printed
// (counted for the packer whose parcel it was). Figures are read by their
// JSON names.
func TestPlayedShiftKeepsEveryFact(t *testing.T) {
	fl := newShiftFloor(t, 1, 1)
	ctx, start, db, ean, login, scan := fl.ctx, fl.start, fl.db, fl.ean, fl.login, fl.scan

	login("pda1", "B1")
	scan("pda1", "LOC-1", 70, floorgate.CodeLocationOK)
	scan("pda1", ean["S1"], 70, floorgate.CodeLineDone)   // line 1 done; line 2 is at L2
	scan("pda1", ean["S1"], 70, floorgate.CodeOverPick)   // one too many, still at L1
	scan("pda1", ean["S3"], 200, floorgate.CodeDistance)  // too far, and before L2 was scanned
	scan("pda1", "LOC-2", 70, floorgate.CodeLocationOK)   //
	scan("pda1", ean["S3"], 70, floorgate.CodeWrongItem)  // at L2
	scan("pda1", ean["S3"], 200, floorgate.CodeDistance)  // the same wrong item, too far
	scan("pda1", ean["S2"], 200, floorgate.CodeDistance)  // the right item, too far: nobody's mistake
	scan("pda1", ean["S2"], 70, floorgate.CodeTaskDone)   //
	login("pack1", "BK")                                  //
	scan("pack1", "SO-T1", 0, floorgate.CodeOrderOK)      //
	scan("pack1", ean["S1"], 180, floorgate.CodeDistance) // a pack read too far away
	scan("pack1", ean["S1"], 80, floorgate.CodePackDone)  //
	if _, err := db.UpdatePrintJob(ctx, "waybill:SO-T1", func(j *floorgate.PrintJob) error {
		j.Status, j.Reason = floorgate.JobFailed, "paper out"
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	events, err := db.Journal(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	// The events: where op1 was, both facts of a wrong read out of the
	// band, the pack read's distance, the label's packer.
	var recs []map[string]any
	var failed map[string]any
	for _, ev := range events {
		var p map[string]any
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case floorgate.EventScanAccepted, floorgate.EventScanRejected:
			recs = append(recs, p)
		case floorgate.EventLabelFailed:
			failed = p
		}
	}
	if len(recs) != 12 {
		t.Fatalf("%d scan events, want 12", len(recs))
	}
	wantRec := []struct {
		location, inBand any
		distanceMM       any
	}{
		{"L1", nil, 70.0}, {"L1", nil, 70.0}, {"L1", nil, 70.0}, {"L1", "item_before_location", 200.0},
		{"L2", nil, 70.0}, {"L2", nil, 70.0}, {"L2", "wrong_item", 200.0}, {"L2", nil, 200.0}, {"L2", nil, 70.0},
		// The pack read too far away was the right item: no in_band_code.
		{nil, nil, nil}, {nil, nil, 180.0}, {nil, nil, 80.0},
	}
	for i, w := range wantRec {
		r := recs[i]
		if r["location"] != w.location || r["in_band_code"] != w.inBand || r["distance_mm"] != w.distanceMM {
			t.Errorf("scan %d (%s): location %v in_band_code %v distance_mm %v; want %v %v %v",
				i+1, r["code"], r["location"], r["in_band_code"], r["distance_mm"], w.location, w.inBand, w.distanceMM)
		}
	}
	if failed == nil || failed["packer"] != "k1" {
		t.Errorf("label.failed = %v, want packer k1", failed)
	}

	r, err := kpi.Compute(events, start, start.Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := asMap(t, r)
	get := func(path ...any) any {
		t.Helper()
		var cur any = rep
		for _, k := range path {
			switch k := k.(type) {
			case string:
				m, _ := cur.(map[string]any)
				cur = m[k]
			case int:
				if a, _ := cur.([]any); k < len(a) {
					cur = a[k]
				} else {
					cur = nil
				}
			}
		}
		return cur
	}
	people := get("people").([]any)
	if len(people) != 2 || get("people", 0, "operator") != "k1" || get("people", 1, "operator") != "op1" {
		t.Fatalf("people = %v", people)
	}
	for _, c := range []struct {
		path []any
		want any
	}{
		// op1: right 4 (two locations, line_done, task_done); wrong 4
		// (over_pick, item_before_location out of band, wrong_item twice);
		// the right item too far away counts neither way.
		{[]any{"people", 1, "pick_scans"}, 8.0},
		{[]any{"people", 1, "wrong_pick_scans"}, 4.0},
		{[]any{"people", 1, "pick_accuracy"}, 0.5},
		// Item scans judged at a line: line_done, over_pick, the item before
		// L2, wrong_item twice, task_done = 6; 1 before its location.
		{[]any{"people", 1, "sequence_compliance"}, 5.0 / 6},
		// Line 1 had nothing against it (the over-pick was judged against
		// line 2); line 2 had four.
		{[]any{"people", 1, "lines_right_first_time"}, 1.0},
		{[]any{"people", 1, "line_accuracy"}, 0.5},
		{[]any{"people", 1, "exceptions", "wrong_scans_by_location", 0, "location"}, "L1"},
		{[]any{"people", 1, "exceptions", "wrong_scans_by_location", 0, "by_code", "over_pick"}, 1.0},
		{[]any{"people", 1, "exceptions", "wrong_scans_by_location", 0, "by_code", "item_before_location"}, 1.0},
		{[]any{"people", 1, "exceptions", "wrong_scans_by_location", 1, "location"}, "L2"},
		{[]any{"people", 1, "exceptions", "wrong_scans_by_location", 1, "by_code", "wrong_item"}, 2.0},
		{[]any{"people", 1, "distance", "out"}, 3.0},
		// k1: the order read has no distance; 180 mm out, 80 mm in; the
		// label not printed is theirs.
		{[]any{"people", 0, "distance", "in"}, 1.0},
		{[]any{"people", 0, "distance", "out"}, 1.0},
		{[]any{"people", 0, "distance", "unknown"}, 1.0},
		{[]any{"people", 0, "rejected_by_code", "distance_out_of_band"}, 1.0},
		{[]any{"people", 0, "exceptions", "label_failures"}, 1.0},
		{[]any{"site", "exceptions", "label_failures"}, 1.0},
	} {
		got := get(c.path...)
		if g, ok := got.(float64); ok {
			if w, ok := c.want.(float64); ok && math.Abs(g-w) < 1e-9 {
				continue
			}
		}
		if got != c.want {
			t.Errorf("%v = %v, want %v", c.path, got, c.want)
		}
	}
}

func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// shiftFloor is a real store for a played shift: three locations and
// items, a picker (badge B1) and a packer (BK) with PIN 2468, task T1 of
// two lines at L1 and L2 and its shipment, on a manual clock from 09:00.
type shiftFloor struct {
	t     *testing.T
	ctx   context.Context
	start time.Time
	clk   *floorgate.ManualClock
	db    *store.DB
	ean   map[string]string // each item's barcode by SKU
	n     int               // scans so far
}

// newShiftFloor opens the store; T1's lines ask for qty1 and qty2 units.
func newShiftFloor(t *testing.T, qty1, qty2 int) *shiftFloor {
	t.Helper()
	f := &shiftFloor{t: t, ctx: context.Background(), start: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), ean: map[string]string{}}
	f.clk = floorgate.NewManualClock(f.start)
	f.db = storetest.Open(t, storetest.WithOptions(func(o *store.Options) {
		*o = store.Options{Site: floorgate.Site{ID: "site-1", Name: "Test", Gateway: "gw-1", Policy: floorgate.DefaultPolicy()},
			Clock: f.clk, AutoEnrol: true}
	}))
	db := f.db
	pin, err := floorgate.HashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	var m store.Master
	for _, i := range []string{"1", "2", "3"} {
		m.Locations = append(m.Locations, floorgate.Location{Code: "L" + i, Barcode: "LOC-" + i, LabelXMM: 0.375})
		f.ean["S"+i] = "69000000000" + i + string(gs1.CheckDigit("69000000000"+i))
		m.Items = append(m.Items, floorgate.Item{SKU: "S" + i, Name: "Item " + i, Barcodes: []string{f.ean["S"+i]}})
	}
	m.Operators = []floorgate.Operator{
		{ID: "op1", Name: "Ann", Badge: "B1", PINHash: pin, Role: floorgate.RolePicker},
		{ID: "k1", Name: "Kim", Badge: "BK", PINHash: pin, Role: floorgate.RolePacker},
	}
	if err := db.PutMaster(f.ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportTasks(f.ctx, []floorgate.Task{{ID: "T1", Order: "SO-T1", Lines: []floorgate.TaskLine{
		{Location: "L1", SKU: "S1", Qty: qty1}, {Location: "L2", SKU: "S2", Qty: qty2}}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutShipments(f.ctx, []floorgate.Shipment{{Order: "SO-T1", Carrier: "SF", Tracking: "TRK1",
		Recipient: floorgate.Party{Name: "R", Phone: "13800000001", Address: "A"}, Sender: floorgate.Party{Name: "S", Address: "B"},
		Lines: []floorgate.ShipmentLine{{SKU: "S1", Qty: 1}}}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// login enrols device dev and logs badge in on it.
func (f *shiftFloor) login(dev, badge string) {
	f.t.Helper()
	if _, err := f.db.Hello(f.ctx, dev, "test-device-token/"+dev+"/0123456789abcdef", "test"); err != nil {
		f.t.Fatal(err)
	}
	if v, err := f.db.Login(f.ctx, dev, "login", badge, "2468"); err != nil || v.Code != floorgate.CodeLoggedIn {
		f.t.Fatalf("login %s: %v %v", badge, v.Code, err)
	}
}

// scan reads data on dev a second after the last scan, mm away, and wants
// the verdict want.
func (f *shiftFloor) scan(dev, data string, mm float64, want floorgate.Code) {
	f.t.Helper()
	f.clk.Add(time.Second)
	f.n++
	v, err := f.db.Scan(f.ctx, floorgate.Scan{ID: fmt.Sprint("s", f.n), Device: dev, Data: data, DistanceMM: mm, At: f.clk.Now()})
	if err != nil {
		f.t.Fatal(err)
	}
	if v.Code != want {
		f.t.Fatalf("scan %d %s: %s, want %s", f.n, data, v.Code, want)
	}
}

// addCart adds cart C1 (CART-1, three slots) and totes TOTE-1..3, and
// cluster orders K1 (two of S1 at L1) and K2 (one of S1 at L1, then three
// of S3 at L3, keyed).
func (f *shiftFloor) addCart() {
	f.t.Helper()
	m := store.Master{Carts: []floorgate.Cart{{ID: "C1", Barcode: "CART-1", Slots: 3}}}
	for i := 1; i <= 3; i++ {
		m.Totes = append(m.Totes, floorgate.Tote{ID: fmt.Sprint("TT", i), Barcode: fmt.Sprint("TOTE-", i)})
	}
	if err := f.db.PutMaster(f.ctx, m); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.db.ImportTasks(f.ctx, []floorgate.Task{
		{ID: "K1", Order: "SO-K1", Mode: floorgate.ModeCluster, Lines: []floorgate.TaskLine{
			{Location: "L1", SKU: "S1", Qty: 2}}},
		{ID: "K2", Order: "SO-K2", Mode: floorgate.ModeCluster, Lines: []floorgate.TaskLine{
			{Location: "L1", SKU: "S1", Qty: 1}, {Location: "L3", SKU: "S3", Qty: 3, KeyedQty: true}}},
	}); err != nil {
		f.t.Fatal(err)
	}
}

// scanQty is scan with a keyed quantity.
func (f *shiftFloor) scanQty(dev, data string, qty int, want floorgate.Code) {
	f.t.Helper()
	f.clk.Add(time.Second)
	f.n++
	v, err := f.db.Scan(f.ctx, floorgate.Scan{ID: fmt.Sprint("s", f.n), Device: dev, Data: data, DistanceMM: 70, Qty: qty, At: f.clk.Now()})
	if err != nil {
		f.t.Fatal(err)
	}
	if v.Code != want {
		f.t.Fatalf("scan %d %s ×%d: %s, want %s", f.n, data, qty, v.Code, want)
	}
}

// cartShift plays op1's shift on a real store from 09:00: T1 alone (two
// of S1, one of S2) with two mistakes on its first line, then, when cart
// is set, K1 and K2 on cart C1 with three put mistakes; op1 logs out at
// 09:30. It returns the journal.
func cartShift(t *testing.T, cart bool) (*shiftFloor, []floorgate.Event) {
	fl := newShiftFloor(t, 2, 1)
	ean, scan := fl.ean, fl.scan
	fl.login("pda1", "B1") // T1
	fl.addCart()           // queued while op1 picks T1
	scan("pda1", "LOC-2", 70, floorgate.CodeWrongLocation)
	scan("pda1", ean["S1"], 70, floorgate.CodeItemBeforeLocation)
	scan("pda1", "LOC-1", 70, floorgate.CodeLocationOK)
	scan("pda1", ean["S1"], 70, floorgate.CodeItemOK)
	scan("pda1", ean["S1"], 70, floorgate.CodeLineDone)
	scan("pda1", "LOC-2", 70, floorgate.CodeLocationOK)
	scan("pda1", ean["S2"], 70, floorgate.CodeTaskDone)
	if cart {
		for _, s := range []struct {
			data string
			qty  int
			code floorgate.Code
		}{
			{"CART-1", 0, floorgate.CodeCartStarted}, // K1 slot 1, K2 slot 2
			{"TOTE-1", 0, floorgate.CodeToteBound},
			{"TOTE-9", 0, floorgate.CodeUnknownTote}, // binding: no unit waits, not a put
			{"TOTE-2", 0, floorgate.CodeCartReady},
			{"LOC-1", 0, floorgate.CodeLocationOK},
			{ean["S1"], 0, floorgate.CodeItemToTote},   // for K1 (slot 1): not counted yet
			{"LOC-1", 0, floorgate.CodeToteExpected},   // put mistake 1: the tote comes first
			{"TOTE-2", 0, floorgate.CodeWrongTote},     // put mistake 2: K2 needs S1 too
			{"TOTE-1", 0, floorgate.CodePutOK},         // put 1: one unit
			{ean["S1"], 0, floorgate.CodeItemToTote},   // K1's second
			{"TOTE-1", 0, floorgate.CodePutOK},         // put 2; K1 done
			{ean["S1"], 0, floorgate.CodeItemToTote},   // for K2 (slot 2)
			{"TOTE-1", 0, floorgate.CodeToteNotNeeded}, // put mistake 3: K1 needs no more
			{"TOTE-2", 0, floorgate.CodePutOK},         // put 3
			{ean["S3"], 0, floorgate.CodeItemBeforeLocation},
			{"LOC-3", 0, floorgate.CodeLocationOK},
			{ean["S3"], 3, floorgate.CodeItemToTote},
			{"TOTE-2", 0, floorgate.CodeCartDone}, // put 4: three units; the cart is done
		} {
			fl.scanQty("pda1", s.data, s.qty, s.code)
		}
	}
	fl.clk.Add(fl.start.Add(30 * time.Minute).Sub(fl.clk.Now()))
	if _, err := fl.db.Logout(fl.ctx, "pda1"); err != nil {
		t.Fatal(err)
	}
	events, err := fl.db.Journal(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return fl, events
}

// TestCartShiftUnitsAndPuts plays a shift with discrete and cart picking
// through the real store and scan engine and checks each mode's units per
// hour and the put accuracy against what was done, read by their JSON
// names, for the person, the site and the hour.
func TestCartShiftUnitsAndPuts(t *testing.T) {
	fl, events := cartShift(t, true)
	puts := 0
	for _, ev := range events {
		if ev.Type == floorgate.EventPickPut {
			puts++
		}
	}
	if puts != 4 {
		t.Fatalf("%d pick.put events, want 4", puts)
	}
	r, err := kpi.Compute(events, fl.start, fl.start.Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := asMap(t, r)
	// Logged in 09:00–09:30: half an hour. Discrete: item_ok, line_done,
	// task_done = 3 units, 2 lines. Cluster: puts of 1, 1, 1 and 3 = 6
	// units, 3 lines; 4 accepted puts and 3 wrong ones (tote_expected,
	// wrong_tote, tote_not_needed); the unknown tote while binding is no
	// put.
	want := map[string]any{
		"discrete": map[string]any{"units": 3.0, "units_per_hour": 6.0, "lines": 2.0,
			"puts": 0.0, "wrong_puts": 0.0, "put_accuracy": nil},
		"cluster": map[string]any{"units": 6.0, "units_per_hour": 12.0, "lines": 3.0,
			"puts": 7.0, "wrong_puts": 3.0, "put_accuracy": 4.0 / 7},
		"batch": map[string]any{"units": 0.0, "units_per_hour": 0.0, "lines": 0.0,
			"puts": 0.0, "wrong_puts": 0.0, "put_accuracy": nil},
	}
	for _, who := range []string{"site", "people[0]", "hours[0]"} {
		var f map[string]any
		switch who {
		case "site":
			f = rep["site"].(map[string]any)
		case "people[0]":
			f = rep["people"].([]any)[0].(map[string]any)
			if f["operator"] != "op1" || f["role"] != "picker" {
				t.Fatalf("people[0] = %v %v, want op1 picker", f["operator"], f["role"])
			}
		default:
			f = rep["hours"].([]any)[0].(map[string]any)
		}
		for _, d := range diffJSON(who+".modes", f["modes"], want) {
			t.Error(d)
		}
		// Every line counts in lines; only T1's two can be right the first
		// time, and line 2 was (both mistakes were against line 1).
		for k, w := range map[string]any{"lines": 5.0, "lines_right_first_time": 1.0, "line_accuracy": 0.5,
			"hours_logged_in": 0.5, "lines_per_hour": 10.0} {
			if g := f[k]; !sameJSON(g, w) {
				t.Errorf("%s.%s = %v, want %v", who, k, g, w)
			}
		}
	}
}

// TestCartScansLeaveDiscreteFiguresAlone: the same discrete task with the
// same mistakes, picked alone and then followed by a cart with its own
// mistakes, gives the same discrete figures: no scan on a cart is a pick
// scan, no cart order's line can be right the first time, and no cart
// order is timed as a pick stage.
func TestCartScansLeaveDiscreteFiguresAlone(t *testing.T) {
	_, alone := cartShift(t, false)
	fl, both := cartShift(t, true)
	from, to := fl.start, fl.start.Add(time.Hour)
	a, err := kpi.Compute(alone, from, to, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := kpi.Compute(both, from, to, nil)
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := asMap(t, a), asMap(t, b)
	discrete := []string{"pick_scans", "wrong_pick_scans", "pick_accuracy", "accuracy_ok", "sequence_compliance",
		"lines_right_first_time", "line_accuracy", "line_accuracy_ok", "stages"}
	for _, who := range []string{"site", "people", "hours"} {
		fa, fb := figuresOf(ra, who), figuresOf(rb, who)
		for _, k := range discrete {
			for _, d := range diffJSON(who+"."+k, fb[k], fa[k]) {
				t.Error(d)
			}
		}
		for _, d := range diffJSON(who+".exceptions.wrong_scans_by_location",
			fb["exceptions"].(map[string]any)["wrong_scans_by_location"], fa["exceptions"].(map[string]any)["wrong_scans_by_location"]) {
			t.Error(d)
		}
		for _, d := range diffJSON(who+".modes.discrete", fb["modes"].(map[string]any)["discrete"], fa["modes"].(map[string]any)["discrete"]) {
			t.Error(d)
		}
	}
	// And what they are: 5 right and 2 wrong pick scans, the item scans
	// judged at a line 1 of 3 before its location, line 2 right.
	f := figuresOf(ra, "site")
	for k, w := range map[string]any{"pick_scans": 7.0, "wrong_pick_scans": 2.0, "pick_accuracy": 5.0 / 7,
		"sequence_compliance": 0.75, "lines_right_first_time": 1.0, "line_accuracy": 0.5} {
		if g := f[k]; !sameJSON(g, w) {
			t.Errorf("discrete alone: site.%s = %v, want %v", k, g, w)
		}
	}
	// Scans count every scan, on a cart too.
	if fb, fa := figuresOf(rb, "site"), f; fb["scans"].(float64) != fa["scans"].(float64)+18 {
		t.Errorf("scans with the cart %v, alone %v: want 18 more", fb["scans"], fa["scans"])
	}
}

// figuresOf is the figures of who in a report read as JSON: the site, the
// one person, or the first hour.
func figuresOf(rep map[string]any, who string) map[string]any {
	switch who {
	case "site":
		return rep["site"].(map[string]any)
	case "people":
		return rep["people"].([]any)[0].(map[string]any)
	}
	return rep["hours"].([]any)[0].(map[string]any)
}

// sameJSON compares two JSON values, numbers to 1e-9.
func sameJSON(got, want any) bool { return len(diffJSON("", got, want)) == 0 }

// diffJSON lists where two JSON values differ, numbers to 1e-9.
func diffJSON(path string, got, want any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		var out []string
		for k := range w {
			out = append(out, diffJSON(path+"."+k, g[k], w[k])...)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s = %v, want none", path, k, g[k]))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, diffJSON(fmt.Sprint(path, "[", i, "]"), g[i], w[i])...)
		}
		return out
	case float64:
		if g, ok := got.(float64); ok && math.Abs(g-w) < 1e-9 {
			return nil
		}
	default:
		if got == want {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
}

// wallShift plays a put wall on a real store from 09:00: op1 picks T1 (one
// of S1, one of S2) and batch B1's pick task (its orders O1: two of S1;
// O2: one of S1, one of S3; O3: one of S2) like any task, as given; sorter s1
// logs in on pda2 at 09:10 and sorts B1 at wall W1 with three mistakes
// (a wrong slot, an item while a unit waits, a slot with no unit), four
// units into their slots and a surplus S1, then ends the batch with O3
// still unsorted (closed short). Both log out at 09:30. It returns the
// journal and how many scans op1 made (every one accepted).
func wallShift(t *testing.T) (*shiftFloor, []floorgate.Event, int) {
	fl := newShiftFloor(t, 1, 1)
	ean := fl.ean
	pin, err := floorgate.HashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	if err := fl.db.PutMaster(fl.ctx, store.Master{
		Walls:     []floorgate.Wall{{ID: "W1", Station: "pack1", Slots: []string{"SLOT-1", "SLOT-2", "SLOT-3", "SLOT-4"}}},
		Operators: []floorgate.Operator{{ID: "s1", Name: "Sam", Badge: "BS", PINHash: pin, Role: floorgate.RolePicker}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := fl.db.ImportBatch(fl.ctx, floorgate.BatchDefinition{ID: "B1", Wall: "W1"}, []floorgate.Task{
		{ID: "O1", Order: "SO-O1", Lines: []floorgate.TaskLine{{Location: "L1", SKU: "S1", Qty: 2}}},
		{ID: "O2", Order: "SO-O2", Lines: []floorgate.TaskLine{{Location: "L1", SKU: "S1", Qty: 1}, {Location: "L3", SKU: "S3", Qty: 1}}},
		{ID: "O3", Order: "SO-O3", Lines: []floorgate.TaskLine{{Location: "L2", SKU: "S2", Qty: 1}}},
	}); err != nil {
		t.Fatal(err)
	}
	// op1 follows the prompts through T1 and then B1's pick task.
	picks := fl.pickAll("pda1", "B1")
	fl.clk.Add(fl.start.Add(10 * time.Minute).Sub(fl.clk.Now()))
	fl.login("pda2", "BS")
	for _, s := range []struct {
		data string
		code floorgate.Code
	}{
		{"B1", floorgate.CodeBatchOpen},
		{ean["S1"], floorgate.CodeSortToSlot},   // O1, slot 1
		{"SLOT-2", floorgate.CodeWrongSlot},     // wrong sort 1
		{ean["S1"], floorgate.CodeSlotExpected}, // wrong sort 2
		{"SLOT-1", floorgate.CodeSortOK},        // sort 1
		{"SLOT-1", floorgate.CodeNoUnitForTote}, // wrong sort 3: no unit waits
		{ean["S1"], floorgate.CodeSortToSlot},   // O1's second
		{"SLOT-1", floorgate.CodeSlotReady},     // sort 2: O1 complete
		{ean["S1"], floorgate.CodeSortToSlot},   // O2, slot 2
		{"SLOT-2", floorgate.CodeSortOK},        // sort 3
		{ean["S1"], floorgate.CodeSortSurplus},  // nobody needs it: no sort
		{ean["S3"], floorgate.CodeSortToSlot},   // O2's S3
		{"SLOT-2", floorgate.CodeSlotReady},     // sort 4: O2 complete
		{"LOC-1", floorgate.CodeUnknownBarcode}, // not a unit: nobody's sort mistake
	} {
		fl.scan("pda2", s.data, 70, s.code)
	}
	// The container is empty: O3 closes short, the batch is sorted.
	if v, err := fl.db.Short(fl.ctx, "pda2", "end", 0); err != nil || v.Code != floorgate.CodeShortOK {
		t.Fatalf("end of the batch: %v %v", v.Code, err)
	}
	fl.clk.Add(fl.start.Add(30 * time.Minute).Sub(fl.clk.Now()))
	for _, dev := range []string{"pda1", "pda2"} {
		if _, err := fl.db.Logout(fl.ctx, dev); err != nil {
			t.Fatal(err)
		}
	}
	events, err := fl.db.Journal(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return fl, events, picks
}

// TestWallShiftSortAccuracy plays a put wall through the real store and
// scan engine and checks the batch mode's figures against what was done:
// the sorter's units (sort.put), lines (closed at the wall, the short one
// too) and sort accuracy; no wall scan is a pick scan, no order line is
// right the first time, and the batch's pick task is the picker's
// discrete work. A rollup of the journal says the same.
func TestWallShiftSortAccuracy(t *testing.T) {
	fl, events, picks := wallShift(t)
	from, to := fl.start, fl.start.Add(time.Hour)
	r, err := kpi.Compute(events, from, to, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := asMap(t, r)
	zero := map[string]any{"units": 0.0, "units_per_hour": 0.0, "lines": 0.0, "puts": 0.0, "wrong_puts": 0.0, "put_accuracy": nil}
	// s1, 09:10–09:30: a third of an hour. Four units sorted, four lines
	// (O1's, O2's two, O3's short); sorts: 4 right, 3 wrong.
	batch := map[string]any{"units": 4.0, "units_per_hour": 12.0, "lines": 4.0, "puts": 7.0, "wrong_puts": 3.0,
		"put_accuracy": 4.0 / 7}
	// op1, 09:00–09:30: T1's two units and lines, B1's five units and
	// three lines.
	discrete := map[string]any{"units": 7.0, "units_per_hour": 14.0, "lines": 5.0, "puts": 0.0, "wrong_puts": 0.0, "put_accuracy": nil}
	people := rep["people"].([]any)
	op1, s1 := people[0].(map[string]any), people[1].(map[string]any)
	if op1["operator"] != "op1" || s1["operator"] != "s1" || s1["role"] != "picker" {
		t.Fatalf("people %v %v (%v), want op1 and s1 (picker)", op1["operator"], s1["operator"], s1["role"])
	}
	for who, w := range map[string]struct {
		f     map[string]any
		modes map[string]any
		pick  float64
		lines float64
		right float64
		short float64
	}{
		"op1":  {op1, map[string]any{"discrete": discrete, "cluster": zero, "batch": zero}, float64(picks), 5, 5, 0},
		"s1":   {s1, map[string]any{"discrete": zero, "cluster": zero, "batch": batch}, 0, 4, 0, 1},
		"site": {rep["site"].(map[string]any), nil, float64(picks), 9, 5, 1},
	} {
		if w.modes != nil {
			for _, d := range diffJSON(who+".modes", w.f["modes"], w.modes) {
				t.Error(d)
			}
		}
		for k, v := range map[string]any{"pick_scans": w.pick, "wrong_pick_scans": 0.0, "lines": w.lines,
			"lines_right_first_time": w.right, "short_lines": w.short} {
			if g := w.f[k]; !sameJSON(g, v) {
				t.Errorf("%s.%s = %v, want %v", who, k, g, v)
			}
		}
	}
	site := rep["site"].(map[string]any)["modes"].(map[string]any)
	for _, d := range diffJSON("site.modes.batch", site["batch"], map[string]any{"units": 4.0,
		"units_per_hour": 4 / (50.0 / 60), "lines": 4.0, "puts": 7.0, "wrong_puts": 3.0, "put_accuracy": 4.0 / 7}) {
		t.Error(d)
	}
	// Only T1 is timed as a pick stage: B1's orders are started at the
	// wall, by sorting.
	if g := s1["stages"].(map[string]any)["pick"].(map[string]any)["count"]; g != 0.0 {
		t.Errorf("s1 stages.pick.count = %v, want 0", g)
	}
	rl := kpi.NewRollup()
	for _, ev := range events {
		if err := rl.Add(ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range [][2]time.Time{{from, to}, {from.Add(10*time.Minute + 5*time.Second), from.Add(15 * time.Minute)}} {
		want, err := kpi.Compute(events, w[0], w[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rl.Report(w[0], w[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffJSON(fmt.Sprint(w), asMap(t, got), asMap(t, want)); len(d) > 0 {
			t.Errorf("rollup: %v", d)
		}
	}
}

// pickAll logs badge in on dev and follows the prompts through every task
// given, scanning each location and unit right; it returns how many scans
// that took (every one accepted).
func (f *shiftFloor) pickAll(dev, badge string) int {
	t, ean, fl := f.t, f.ean, f
	t.Helper()
	if _, err := fl.db.Hello(fl.ctx, dev, "test-device-token/"+dev+"/0123456789abcdef", "test"); err != nil {
		t.Fatal(err)
	}
	v, err := fl.db.Login(fl.ctx, dev, "login", badge, "2468")
	if err != nil || v.Prompt.Task == "" {
		t.Fatalf("login %s: %v %+v", badge, err, v.Prompt)
	}
	picks := 0
	for p := v.Prompt; p.Task != ""; p = v.Prompt {
		if picks > 40 {
			t.Fatalf("no end to the picking: %+v", p)
		}
		data := ean[p.SKU]
		if p.Step == "scan_location" {
			data = "LOC-" + p.Location[1:]
		}
		fl.clk.Add(time.Second)
		picks++
		v, err = fl.db.Scan(fl.ctx, floorgate.Scan{ID: fmt.Sprint("p", picks), Device: dev, Data: data, DistanceMM: 70, At: fl.clk.Now()})
		if err != nil || !v.OK {
			t.Fatalf("pick %s at %+v: %v %v", data, p, v.Code, err)
		}
	}
	return picks
}

// TestSingleLanePackIsNoPick: in the single-item lane the packer's scan of
// the item packs a one-unit order and names its task; it is a pack scan,
// no pick scan, and the order's line counts nowhere — the unit was picked,
// and its line counted, in the lane's pick task, which is discrete
// picking like any task.
func TestSingleLanePackIsNoPick(t *testing.T) {
	fl := newShiftFloor(t, 1, 1)
	if _, err := fl.db.ImportBatch(fl.ctx, floorgate.BatchDefinition{ID: "SL1"}, []floorgate.Task{
		{ID: "X1", Order: "SO-X1", Lines: []floorgate.TaskLine{{Location: "L3", SKU: "S3", Qty: 1}}},
		{ID: "X2", Order: "SO-X2", Lines: []floorgate.TaskLine{{Location: "L3", SKU: "S3", Qty: 1}}},
	}); err != nil {
		t.Fatal(err)
	}
	var ships []floorgate.Shipment
	for _, o := range []string{"SO-X1", "SO-X2"} {
		ships = append(ships, floorgate.Shipment{Order: o, Carrier: "SF", Tracking: "TRK-" + o,
			Recipient: floorgate.Party{Name: "R", Phone: "13800000001", Address: "A"}, Sender: floorgate.Party{Name: "S", Address: "B"},
			Lines: []floorgate.ShipmentLine{{SKU: "S3", Qty: 1}}})
	}
	if err := fl.db.PutShipments(fl.ctx, ships); err != nil {
		t.Fatal(err)
	}
	picks := fl.pickAll("pda1", "B1") // T1 and SL1: S1, S2 and two of S3
	fl.login("pack1", "BK")
	fl.scan("pack1", fl.ean["S3"], 70, floorgate.CodePackDone) // packs SO-X1
	fl.clk.Add(fl.start.Add(30 * time.Minute).Sub(fl.clk.Now()))
	for _, dev := range []string{"pda1", "pack1"} {
		if _, err := fl.db.Logout(fl.ctx, dev); err != nil {
			t.Fatal(err)
		}
	}
	events, err := fl.db.Journal(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	r, err := kpi.Compute(events, fl.start, fl.start.Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := asMap(t, r)
	people := rep["people"].([]any)
	k1, op1 := people[0].(map[string]any), people[1].(map[string]any)
	if k1["operator"] != "k1" || k1["role"] != "packer" || op1["operator"] != "op1" || op1["role"] != "picker" {
		t.Fatalf("people %v (%v), %v (%v): want k1 packer, op1 picker", k1["operator"], k1["role"], op1["operator"], op1["role"])
	}
	zero := map[string]any{"units": 0.0, "units_per_hour": 0.0, "lines": 0.0, "puts": 0.0, "wrong_puts": 0.0, "put_accuracy": nil}
	for who, w := range map[string]struct {
		f                  map[string]any
		pick, lines, units float64
	}{
		"k1":   {k1, 0, 0, 0},
		"op1":  {op1, float64(picks), 3, 4}, // T1's two lines, SL1's one (two of S3)
		"site": {rep["site"].(map[string]any), float64(picks), 3, 4},
	} {
		for k, v := range map[string]any{"pick_scans": w.pick, "lines": w.lines, "lines_right_first_time": w.lines} {
			if g := w.f[k]; !sameJSON(g, v) {
				t.Errorf("%s.%s = %v, want %v", who, k, g, v)
			}
		}
		modes := w.f["modes"].(map[string]any)
		for _, d := range diffJSON(who+".modes.cluster", modes["cluster"], zero) {
			t.Error(d)
		}
		for _, d := range diffJSON(who+".modes.batch", modes["batch"], zero) {
			t.Error(d)
		}
		if g := modes["discrete"].(map[string]any)["units"]; !sameJSON(g, w.units) {
			t.Errorf("%s.modes.discrete.units = %v, want %v", who, g, w.units)
		}
	}
	if g := k1["stages"].(map[string]any)["pack"].(map[string]any)["count"]; g != 1.0 {
		t.Errorf("k1 stages.pack.count = %v, want 1", g)
	}
	if g := rep["site"].(map[string]any)["stages"].(map[string]any)["pick"].(map[string]any)["count"]; g != 2.0 {
		t.Errorf("site stages.pick.count = %v, want 2 (T1, SL1)", g)
	}
}
