package kpi

import (
	"fmt"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// The tests here check the figures against their definitions in
// docs/web-api.md (the KPIs equal to the truth). Payloads are given
// as JSON fields, as they stand in the journal, and figures are read by
// their JSON names: the definitions are of the API, not of Go fields.

// rec is a scan record as journalled: its JSON fields.
type rec map[string]any

// pickRec is a pick scan record of p1 on task T1, line n, at location
// where ("" for none).
func pickRec(n int, where string, kind floorgate.MatchKind, code floorgate.Code) rec {
	r := rec{"scan_id": fmt.Sprint("s", n, where, code), "device": "pda1", "operator": "p1", "task": "T1",
		"line": n, "data": "x", "code": code, "distance": "in"}
	if kind != "" {
		r["kind"] = kind
	}
	if where != "" {
		r["location"] = where
	}
	return r
}

func (r rec) with(k string, v any) rec { r[k] = v; return r }

// addScan journals r as scan.accepted or scan.rejected by its code.
func (j *journal) addScan(t time.Time, r rec) {
	typ := floorgate.EventScanRejected
	if floorgate.NewVerdict("", r["code"].(floorgate.Code), floorgate.Prompt{}).OK {
		typ = floorgate.EventScanAccepted
	}
	j.add(typ, t, r)
}

// field is the value at path in v's JSON form; nil when absent.
func field(t *testing.T, v any, path ...string) any {
	t.Helper()
	cur := asJSON(t, v)
	for _, k := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func wantField(t *testing.T, v any, want any, path ...string) {
	t.Helper()
	got := field(t, v, path...)
	if d := diff(fmt.Sprint(path), got, asJSON(t, want)); len(d) > 0 {
		t.Errorf("%v", d)
	}
}

// TestSequenceComplianceJudgesEveryItemScan: the share of item scans judged
// at a line — right or wrong — that came after their location, not only
// the accepted ones and those refused item_before_location.
func TestSequenceComplianceJudgesEveryItemScan(t *testing.T) {
	var j journal
	j.addScan(at(8, 0), pickRec(1, "", item, floorgate.CodeItemBeforeLocation))
	j.addScan(at(8, 1), pickRec(1, "L1", loc, floorgate.CodeLocationOK)) // a location: not an item scan
	j.addScan(at(8, 2), pickRec(1, "L1", item, floorgate.CodeWrongItem))
	j.addScan(at(8, 3), pickRec(1, "L1", item, floorgate.CodeExpiryTooSoon))
	j.addScan(at(8, 4), pickRec(1, "L1", item, floorgate.CodeDuplicateScan)) // nobody's mistake: not judged
	j.addScan(at(8, 5), pickRec(1, "L1", "", floorgate.CodeUnknownBarcode))  // not an item
	j.addScan(at(8, 6), pickRec(1, "L1", item, floorgate.CodeLineDone))
	r, err := Compute(j.evs, at(8, 0), at(9, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	// N = item_before_location, wrong_item, expiry_too_soon, line_done = 4;
	// B = 1.
	wantField(t, r, 0.75, "site", "sequence_compliance")
	wantField(t, r, 0.75, "hours", "0", "sequence_compliance")
}

// TestWrongScansAreWhereThePickerWas: a wrong scan counts at the location
// its record names — where the picker was — not at the location of the
// line it was judged against: one unit too many of a line just closed,
// read while the next line (elsewhere) waits for its location, is at the
// closed line's bin.
func TestWrongScansAreWhereThePickerWas(t *testing.T) {
	var j journal
	j.addScan(at(8, 0), pickRec(1, "L1", loc, floorgate.CodeLocationOK))
	j.addScan(at(8, 1), pickRec(1, "L1", item, floorgate.CodeLineDone))
	j.add(floorgate.EventLineConfirmed, at(8, 1), floorgate.LineRecord{Task: "T1", Line: 1, Location: "L1",
		SKU: "S1", Qty: 1, Picked: 1, Status: floorgate.LineDone, Operator: "p1"})
	j.addScan(at(8, 2), pickRec(2, "L1", item, floorgate.CodeOverPick)) // line 2 is at L2
	j.addScan(at(8, 3), pickRec(2, "L9", loc, floorgate.CodeWrongLocation))
	j.addScan(at(8, 4), pickRec(2, "L2", loc, floorgate.CodeLocationOK))
	j.addScan(at(8, 5), pickRec(2, "L2", item, floorgate.CodeLineDone))
	j.add(floorgate.EventLineConfirmed, at(8, 5), floorgate.LineRecord{Task: "T1", Line: 2, Location: "L2",
		SKU: "S2", Qty: 1, Picked: 1, Status: floorgate.LineDone, Operator: "p1"})
	r, err := Compute(j.evs, at(8, 0), at(9, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []LocationErrors{
		{"L1", 1, codes{"over_pick": 1}},
		{"L9", 1, codes{"wrong_location": 1}},
	}
	wantField(t, r, want, "site", "exceptions", "wrong_scans_by_location")
	wantField(t, r, want, "people", "0", "exceptions", "wrong_scans_by_location")
}

// TestLabelFailureCountsForItsPacker: label.failed counts for the packer
// whose parcel the label is for, as well as for the site.
func TestLabelFailureCountsForItsPacker(t *testing.T) {
	var j journal
	j.add(floorgate.EventLabelFailed, at(8, 30), map[string]any{"id": "waybill:O1", "kind": "waybill",
		"order": "O1", "station": "pack-1", "packer": "k1", "template": "100x180", "status": "failed",
		"created": at(8, 0), "reason": "paper out"})
	j.add(floorgate.EventLabelFailed, at(8, 40), map[string]any{"id": "waybill:O2", "kind": "waybill",
		"order": "O2", "template": "100x180", "status": "failed", "created": at(8, 0)})
	r, err := Compute(j.evs, at(8, 0), at(9, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantField(t, r, 2, "site", "exceptions", "label_failures")
	if p := findPerson(r, "k1"); p == nil {
		t.Fatalf("k1 is not among the people: %+v", r.People)
	}
	wantField(t, r, "k1", "people", "0", "operator")
	wantField(t, r, "packer", "people", "0", "role")
	wantField(t, r, 1, "people", "0", "exceptions", "label_failures")
}

// TestWrongReadOutOfBandIsStillAMistake: a read refused for its distance
// whose in_band_code is a picker's mistake counts as a wrong pick scan, by
// its mistake, at its location, and in sequence compliance; a read refused
// for its distance alone counts neither way.
func TestWrongReadOutOfBandIsStillAMistake(t *testing.T) {
	var j journal
	j.addScan(at(8, 0), pickRec(1, "", item, floorgate.CodeDistance).with("in_band_code", floorgate.CodeItemBeforeLocation).with("distance", "out"))
	j.addScan(at(8, 1), pickRec(1, "L1", loc, floorgate.CodeLocationOK))
	j.addScan(at(8, 2), pickRec(1, "L1", item, floorgate.CodeDistance).with("in_band_code", floorgate.CodeWrongItem).with("distance", "out"))
	j.addScan(at(8, 3), pickRec(1, "L1", item, floorgate.CodeDistance).with("distance", "out")) // right item, too far
	j.addScan(at(8, 4), pickRec(1, "L1", item, floorgate.CodeLineDone))
	r, err := Compute(j.evs, at(8, 0), at(9, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantField(t, r, 4, "site", "pick_scans")
	wantField(t, r, 2, "site", "wrong_pick_scans")
	wantField(t, r, 0.5, "site", "pick_accuracy")
	wantField(t, r, codes{"distance_out_of_band": 3}, "site", "rejected_by_code")
	wantField(t, r, 2.0/3, "site", "sequence_compliance")
	wantField(t, r, []LocationErrors{
		{"", 1, codes{"item_before_location": 1}},
		{"L1", 1, codes{"wrong_item": 1}},
	}, "site", "exceptions", "wrong_scans_by_location")
}

// TestLineAccuracy: lines confirmed with no wrong pick scan against them
// (the task and line a scan record names), over lines confirmed; a wrong
// scan before the window still counts against a line confirmed in it, and
// the line counts in the span of its confirmation.
func TestLineAccuracy(t *testing.T) {
	var j journal
	confirm := func(tm time.Time, task string, line int) {
		j.add(floorgate.EventLineConfirmed, tm, floorgate.LineRecord{Task: task, Line: line, Location: "L",
			SKU: "S", Qty: 1, Picked: 1, Status: floorgate.LineDone, Operator: "p1"})
	}
	// T1 line 1: a wrong item at 07:50, before the window; confirmed 08:10.
	j.addScan(at(7, 50), pickRec(1, "L1", item, floorgate.CodeWrongItem))
	confirm(at(8, 10), "T1", 1)
	// T1 line 2: right first time, confirmed 08:20.
	j.addScan(at(8, 15), pickRec(2, "L2", loc, floorgate.CodeLocationOK))
	confirm(at(8, 20), "T1", 2)
	// T1 line 3: a duplicate read (nobody's mistake) and a read too far
	// away: still right first time. Confirmed 09:05.
	j.addScan(at(8, 50), pickRec(3, "L3", item, floorgate.CodeDuplicateScan))
	j.addScan(at(8, 51), pickRec(3, "L3", item, floorgate.CodeDistance).with("distance", "out"))
	confirm(at(9, 5), "T1", 3)
	// T1 line 4: a wrong read out of the band: not right first time.
	j.addScan(at(9, 10), pickRec(4, "L3", item, floorgate.CodeDistance).with("in_band_code", floorgate.CodeOverPick).with("distance", "out"))
	confirm(at(9, 20), "T1", 4)
	r, err := Compute(j.evs, at(8, 0), at(10, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantField(t, r, 4, "site", "lines")
	wantField(t, r, 2, "site", "lines_right_first_time")
	wantField(t, r, 0.5, "site", "line_accuracy")
	wantField(t, r, false, "site", "line_accuracy_ok")
	wantField(t, r, 1, "hours", "0", "lines_right_first_time")
	wantField(t, r, 0.5, "hours", "0", "line_accuracy")
	wantField(t, r, 1, "hours", "1", "lines_right_first_time")
	wantField(t, r, 0.5, "people", "0", "line_accuracy")
	// The per-scan accuracy: 1 right (the location), 1 wrong (the over-pick)
	// in the window; the wrong item at 07:50 is outside it.
	wantField(t, r, 0.5, "site", "pick_accuracy")
}

// TestLineAccuracyStandard: line_accuracy_ok is line_accuracy ≥ 99.8%,
// exactly, in integers.
func TestLineAccuracyStandard(t *testing.T) {
	tests := []struct {
		lines, right int
		ok           bool
	}{
		{1000, 998, true},
		{1000, 997, false},
		{500, 499, true},
		{500, 498, false},
		{1, 1, true},
		{1, 0, false},
	}
	for _, tt := range tests {
		f := (&acc{lines: tt.lines, modeLines: [nModes]int{discrete: tt.lines}, linesRight: tt.right}).figures()
		if f.LineAccuracyOK == nil || *f.LineAccuracyOK != tt.ok {
			t.Errorf("%d of %d right: line_accuracy_ok = %v, want %v", tt.right, tt.lines, f.LineAccuracyOK, tt.ok)
		}
	}
	if f := (&acc{}).figures(); f.LineAccuracy != nil || f.LineAccuracyOK != nil {
		t.Errorf("no lines: line_accuracy %v ok %v, want null", f.LineAccuracy, f.LineAccuracyOK)
	}
}

// cartRec is a scan record of p1 on cart order K1 (line n; 0 for none).
func cartRec(n int, kind floorgate.MatchKind, code floorgate.Code) rec {
	r := pickRec(n, "L1", kind, code)
	r["task"] = "K1"
	if n == 0 {
		delete(r, "line")
		delete(r, "location")
	}
	return r
}

// TestModes: a task is cluster once a cart.started lists it (before the
// window too); units are discrete counting scans' qty (1 when none) and
// pick.put's qty, each over the hours logged in; put scans are accepted
// puts and refusals while a unit waits (the record names its line) with a
// put error, or refused for distance with one as in_band_code; a cart's
// scans are no pick scans and its lines are not among line_accuracy's.
func TestModes(t *testing.T) {
	var j journal
	j.login(at(7, 0), "p1", "pda1")
	j.add(floorgate.EventCartStarted, at(7, 30), map[string]any{"cart": "C1", "operator": "p1", "device": "pda1",
		"orders": []any{map[string]any{"slot": 1, "task": "K1", "order": "OK1"}}})
	// Before the window: nothing counts.
	j.add(floorgate.EventPickPut, at(7, 59), map[string]any{"cart": "C1", "slot": 1, "tote": "TT1", "task": "K1",
		"order": "OK1", "line": 1, "location": "L1", "sku": "S1", "qty": 5, "operator": "p1", "device": "pda1"})
	// Binding: no unit waits (no line): neither a put nor a pick scan.
	j.addScan(at(8, 0), cartRec(0, floorgate.MatchTote, floorgate.CodeToteBound))
	j.addScan(at(8, 1), cartRec(0, floorgate.MatchTote, floorgate.CodeWrongTote))
	j.addScan(at(8, 2), cartRec(0, "", floorgate.CodeToteExpected))
	// The walk: the item (no unit yet, no pick scan), then its tote.
	j.addScan(at(8, 3), cartRec(1, item, floorgate.CodeItemToTote))
	j.addScan(at(8, 4), cartRec(1, item, floorgate.CodeWrongBatch)) // a cart's item mistake: no pick scan
	j.addScan(at(8, 5), cartRec(1, item, floorgate.CodeToteExpected))
	j.addScan(at(8, 6), cartRec(1, floorgate.MatchTote, floorgate.CodeWrongTote))
	j.addScan(at(8, 7), cartRec(1, floorgate.MatchTote, floorgate.CodeToteNotNeeded))
	j.addScan(at(8, 8), cartRec(1, "", floorgate.CodeUnknownTote))
	j.addScan(at(8, 9), cartRec(1, floorgate.MatchTote, floorgate.CodeDistance).with("in_band_code", floorgate.CodeWrongTote).with("distance", "out"))
	j.addScan(at(8, 10), cartRec(1, floorgate.MatchTote, floorgate.CodeDistance).with("distance", "out")) // right tote, too far
	j.addScan(at(8, 11), cartRec(1, floorgate.MatchTote, floorgate.CodeTaskCancelled))                    // nobody's mistake
	j.addScan(at(8, 12), cartRec(1, floorgate.MatchTote, floorgate.CodePutOK))
	j.add(floorgate.EventPickPut, at(8, 12), map[string]any{"cart": "C1", "slot": 1, "tote": "TT1", "task": "K1",
		"order": "OK1", "line": 1, "location": "L1", "sku": "S1", "qty": 2, "operator": "p1", "device": "pda1"})
	j.add(floorgate.EventLineConfirmed, at(8, 12), floorgate.LineRecord{Task: "K1", Line: 1, Location: "L1",
		SKU: "S1", Qty: 7, Picked: 7, Status: floorgate.LineDone, Operator: "p1"})
	j.add(floorgate.EventTaskCompleted, at(8, 12), floorgate.TaskRecord{Task: "K1", Operator: "p1"})
	j.addScan(at(8, 13), cartRec(2, floorgate.MatchTote, floorgate.CodeCartDone))
	j.add(floorgate.EventPickPut, at(8, 13), map[string]any{"cart": "C1", "slot": 1, "tote": "TT1", "task": "K1",
		"order": "OK1", "line": 2, "location": "L1", "sku": "S2", "qty": 1, "operator": "p1", "device": "pda1"})
	// Discrete T1: keyed 4, then one; a location and serial_next count
	// no unit; a rejected scan none.
	j.add(floorgate.EventTaskStarted, at(8, 20), floorgate.TaskRecord{Task: "T1", Operator: "p1"})
	j.addScan(at(8, 21), pickRec(1, "L1", loc, floorgate.CodeLocationOK))
	j.addScan(at(8, 22), pickRec(1, "L1", item, floorgate.CodeItemOK).with("qty", 4))
	j.addScan(at(8, 23), pickRec(1, "L1", item, floorgate.CodeSerialNext))
	j.addScan(at(8, 24), pickRec(1, "L1", "", floorgate.CodeLineDone))
	j.addScan(at(8, 25), pickRec(2, "L1", item, floorgate.CodeOverPick).with("qty", 9))
	j.add(floorgate.EventLineConfirmed, at(8, 26), floorgate.LineRecord{Task: "T1", Line: 1, Location: "L1",
		SKU: "S1", Qty: 5, Picked: 5, Status: floorgate.LineDone, Operator: "p1"})
	j.add(floorgate.EventTaskCompleted, at(8, 30), floorgate.TaskRecord{Task: "T1", Operator: "p1"})
	j.logout(at(8, 30), "p1", "pda1")
	r, err := Compute(j.evs, at(8, 0), at(9, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Logged in 08:00–08:30 in the window. Puts: accepted 2 (put_ok,
	// cart_done); wrong 5 (tote_expected, wrong_tote, tote_not_needed,
	// unknown_tote, the wrong tote too far).
	want := map[floorgate.TaskMode]ModeFigures{
		floorgate.ModeDiscrete: {Units: 5, UnitsPerHour: 10, Lines: 1},
		floorgate.ModeCluster:  {Units: 3, UnitsPerHour: 6, Lines: 1, Puts: 7, WrongPuts: 5, PutAccuracy: f64(2.0 / 7)},
		floorgate.ModeBatch:    {},
	}
	for _, who := range [][]string{{"site"}, {"people", "0"}, {"hours", "0"}} {
		wantField(t, r, want, append(who, "modes")...)
		// Pick scans: T1's four right (location, item_ok, serial_next,
		// line_done) and the over-pick.
		wantField(t, r, 5, append(who, "pick_scans")...)
		wantField(t, r, 1, append(who, "wrong_pick_scans")...)
		wantField(t, r, 2, append(who, "lines")...)
		// Of the lines, only T1's is among line accuracy's (the over-pick
		// was against line 2): without the rule K1's would be right too.
		wantField(t, r, 1, append(who, "lines_right_first_time")...)
		wantField(t, r, 1, append(who, "line_accuracy")...)
		wantField(t, r, 1, append(who, "stages", "pick", "count")...)
		wantField(t, r, 600, append(who, "stages", "pick", "mean_s")...)
	}
	wantField(t, r, "picker", "people", "0", "role")
	// Nobody logged in: the units, at 0 an hour.
	var none []floorgate.Event
	for _, ev := range j.evs {
		if ev.Type != floorgate.EventOperatorLoggedIn && ev.Type != floorgate.EventOperatorLoggedOut {
			none = append(none, ev)
		}
	}
	r, err = Compute(none, at(8, 0), at(9, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	want[floorgate.ModeDiscrete] = ModeFigures{Units: 5, Lines: 1}
	want[floorgate.ModeCluster] = ModeFigures{Units: 3, Lines: 1, Puts: 7, WrongPuts: 5, PutAccuracy: f64(2.0 / 7)}
	wantField(t, r, want, "site", "modes")
}

// wallRec is a scan record of p2 sorting at a put wall on pda2: of order
// task (line 1) when task is given, of none otherwise (a slot scanned with
// no unit waiting, a surplus, the batch label, a read too far).
func wallRec(task string, kind floorgate.MatchKind, code floorgate.Code) rec {
	r := rec{"scan_id": fmt.Sprint("w", task, code), "device": "pda2", "operator": "p2", "data": "x",
		"code": code, "distance": "in"}
	if task != "" {
		r["task"], r["line"] = task, 1
	}
	if kind != "" {
		r["kind"] = kind
	}
	return r
}

// TestWallSorting: at a put wall a batch's orders are mode batch (known
// from sort.started, sort.put and the wall's verdicts, before any sort.put
// names an order); their units are sort.put's qty; sorts are counted as
// puts are (right: sort_ok, slot_ready, batch_sorted; wrong: wrong_slot,
// slot_expected, tote_without_item, and one of them as a read's in-band
// code); no wall scan is a pick scan; the run ends with batch.sorted. The
// single-item lane's pack scan is a pack scan: its line counts nowhere.
func TestWallSorting(t *testing.T) {
	var j journal
	j.login(at(7, 50), "p2", "pda2")
	j.addScan(at(8, 0), wallRec("", floorgate.MatchBatch, floorgate.CodeBatchOpen))
	j.add(floorgate.EventSortStarted, at(8, 0), floorgate.BatchRecord{Batch: "B1", Wall: "W1", Orders: 2,
		Operator: "p2", Device: "pda2"})
	j.addScan(at(8, 1), wallRec("O1", item, floorgate.CodeSortToSlot))
	j.addScan(at(8, 2), wallRec("O1", floorgate.MatchSlot, floorgate.CodeWrongSlot))
	j.addScan(at(8, 3), wallRec("O1", item, floorgate.CodeSlotExpected))
	j.addScan(at(8, 4), wallRec("", floorgate.MatchSlot, floorgate.CodeDistance).with("in_band_code", floorgate.CodeWrongSlot).with("distance", "out"))
	j.addScan(at(8, 5), wallRec("", floorgate.MatchSlot, floorgate.CodeDistance).with("distance", "out")) // right slot, too far
	j.add(floorgate.EventTaskStarted, at(8, 6), floorgate.TaskRecord{Task: "O1", Operator: "p2", Device: "pda2"})
	j.addScan(at(8, 6), wallRec("O1", floorgate.MatchSlot, floorgate.CodeSortOK))
	j.add(floorgate.EventSortPut, at(8, 6), floorgate.SortRecord{Batch: "B1", Wall: "W1", Slot: 1, Task: "O1", Line: 1,
		Qty: 1, Operator: "p2", Device: "pda2"})
	j.addScan(at(8, 7), wallRec("", floorgate.MatchSlot, floorgate.CodeNoUnitForTote))
	j.addScan(at(8, 8), wallRec("", item, floorgate.CodeSortSurplus)) // the batch pick's surplus: no sort
	j.add(floorgate.EventPickException, at(8, 8), floorgate.ExceptionRecord{Kind: floorgate.ExceptionSortSurplus,
		Task: "B1", Order: "B1", SKU: "S9", Found: 1, Operator: "p2", Device: "pda2"})
	j.addScan(at(8, 9), wallRec("O2", item, floorgate.CodeWrongBatch)) // a unit's lot at a wall: no pick scan, no sort
	j.addScan(at(8, 10), wallRec("O2", item, floorgate.CodeSortToSlot))
	j.add(floorgate.EventTaskStarted, at(8, 11), floorgate.TaskRecord{Task: "O2", Operator: "p2", Device: "pda2"})
	j.addScan(at(8, 11), wallRec("O2", floorgate.MatchSlot, floorgate.CodeSlotReady))
	j.add(floorgate.EventSortPut, at(8, 11), floorgate.SortRecord{Batch: "B1", Wall: "W1", Slot: 2, Task: "O2", Line: 1,
		Qty: 1, Operator: "p2", Device: "pda2", Ready: true})
	j.add(floorgate.EventLineConfirmed, at(8, 11), floorgate.LineRecord{Task: "O2", Line: 1, Qty: 1, Picked: 1,
		Status: floorgate.LineDone, Operator: "p2", Device: "pda2"})
	j.add(floorgate.EventTaskCompleted, at(8, 11), floorgate.TaskRecord{Task: "O2", Operator: "p2", Device: "pda2"})
	j.addScan(at(8, 12), wallRec("O1", item, floorgate.CodeSortToSlot))
	j.addScan(at(8, 13), wallRec("O1", floorgate.MatchSlot, floorgate.CodeBatchSorted))
	j.add(floorgate.EventSortPut, at(8, 13), floorgate.SortRecord{Batch: "B1", Wall: "W1", Slot: 1, Task: "O1", Line: 1,
		Qty: 1, Operator: "p2", Device: "pda2", Ready: true})
	j.add(floorgate.EventLineConfirmed, at(8, 13), floorgate.LineRecord{Task: "O1", Line: 1, Qty: 2, Picked: 2,
		Status: floorgate.LineDone, Operator: "p2", Device: "pda2"})
	j.add(floorgate.EventTaskCompleted, at(8, 13), floorgate.TaskRecord{Task: "O1", Operator: "p2", Device: "pda2"})
	j.add(floorgate.EventBatchSorted, at(8, 13), floorgate.BatchRecord{Batch: "B1", Wall: "W1", Orders: 2,
		Operator: "p2", Device: "pda2"})
	// The run is over: the same device picks a discrete task.
	j.addScan(at(8, 20), wallRec("T9", item, floorgate.CodeItemOK))
	j.addScan(at(8, 21), wallRec("", floorgate.MatchSlot, floorgate.CodeNoUnitForTote)) // not at a wall
	j.logout(at(8, 30), "p2", "pda2")
	// The single-item lane: k1 packs one-unit order S1 by its item.
	j.addScan(at(8, 40), rec{"scan_id": "k", "device": "pack1", "operator": "k1", "task": "S1", "line": 1,
		"data": "x", "kind": item, "code": floorgate.CodePackDone, "distance": "in"})
	j.add(floorgate.EventLineConfirmed, at(8, 40), floorgate.LineRecord{Task: "S1", Line: 1, Qty: 1, Picked: 1,
		Status: floorgate.LineDone, Operator: "k1", Device: "pack1"})
	j.add(floorgate.EventTaskCompleted, at(8, 40), floorgate.TaskRecord{Task: "S1", Operator: "k1", Device: "pack1"})
	j.add(floorgate.EventPackStarted, at(8, 40), floorgate.PackRecord{Order: "S1", Packer: "k1", Device: "pack1", Started: at(8, 40)})
	j.add(floorgate.EventPackCompleted, at(8, 40), floorgate.PackRecord{Order: "S1", Packer: "k1", Device: "pack1",
		Started: at(8, 40), Packed: at(8, 40), Units: 1})
	r, err := Compute(j.evs, at(8, 0), at(9, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	// p2 logged in 08:00–08:30. Sorts: right 3, wrong 4 (wrong_slot,
	// slot_expected, the wrong slot too far, tote_without_item).
	p2 := map[floorgate.TaskMode]ModeFigures{
		floorgate.ModeDiscrete: {Units: 1, UnitsPerHour: 2},
		floorgate.ModeCluster:  {},
		floorgate.ModeBatch:    {Units: 3, UnitsPerHour: 6, Lines: 2, Puts: 7, WrongPuts: 4, PutAccuracy: f64(3.0 / 7)},
	}
	wantField(t, r, "k1", "people", "0", "operator")
	wantField(t, r, "p2", "people", "1", "operator")
	wantField(t, r, p2, "people", "1", "modes")
	for _, who := range [][]string{{"site"}, {"people", "1"}} {
		wantField(t, r, 1, append(who, "pick_scans")...) // T9's item_ok alone
		wantField(t, r, 0, append(who, "wrong_pick_scans")...)
		wantField(t, r, 2, append(who, "lines")...) // S1's is no pick line
		wantField(t, r, 0, append(who, "lines_right_first_time")...)
		wantField(t, r, nil, append(who, "line_accuracy")...)
		wantField(t, r, 0, append(who, "stages", "pick", "count")...) // sorting is not picking
		wantField(t, r, []any{}, append(who, "exceptions", "wrong_scans_by_location")...)
	}
	wantField(t, r, p2, "site", "modes")
	wantField(t, r, "picker", "people", "1", "role")
	// k1 packed: no pick scan, no line, no mode's figure.
	wantField(t, r, "packer", "people", "0", "role")
	wantField(t, r, 0, "people", "0", "pick_scans")
	wantField(t, r, 0, "people", "0", "lines")
	wantField(t, r, 1, "people", "0", "stages", "pack", "count")
	wantField(t, r, map[floorgate.TaskMode]ModeFigures{floorgate.ModeDiscrete: {}, floorgate.ModeCluster: {},
		floorgate.ModeBatch: {}}, "people", "0", "modes")

	// Every wall event before the window: the run's state alone carries
	// over, and its orders' lines in the window are still the batch's.
	rl := NewRollup()
	for _, ev := range j.evs {
		if err := rl.Add(ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range [][2]time.Time{{at(8, 0), at(9, 0)}, {at(8, 5), at(8, 12)}, {at(8, 11), at(8, 45)}} {
		want, err := Compute(j.evs, w[0], w[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rl.Report(w[0], w[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(fmt.Sprint(w), asJSON(t, got), asJSON(t, want)); len(d) > 0 {
			t.Errorf("rollup %v", d)
		}
	}
	r, err = Compute(j.evs, at(8, 12), at(9, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantField(t, r, ModeFigures{Units: 1, UnitsPerHour: 1 / (18 * time.Minute).Hours(), Lines: 1, Puts: 1,
		PutAccuracy: f64(1)}, "site", "modes", "batch")
	wantField(t, r, 1, "site", "pick_scans")
}
