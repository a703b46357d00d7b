package kpi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// journal builds events with consecutive sequence numbers.
type journal struct{ evs []floorgate.Event }

func (j *journal) add(typ string, t time.Time, data any) {
	ev := floorgate.NewEvent(typ, t, data)
	ev.Seq = uint64(len(j.evs) + 1)
	j.evs = append(j.evs, ev)
}

func (j *journal) scan(t time.Time, ok bool, op, task string, line int, kind floorgate.MatchKind, code floorgate.Code, dist string) {
	j.scanAt("", t, ok, op, task, line, kind, code, dist)
}

// scanAt is a scan with the picker at location where.
func (j *journal) scanAt(where string, t time.Time, ok bool, op, task string, line int, kind floorgate.MatchKind, code floorgate.Code, dist string) {
	typ := floorgate.EventScanRejected
	if ok {
		typ = floorgate.EventScanAccepted
	}
	j.add(typ, t, floorgate.ScanRecord{ScanID: fmt.Sprint("s", len(j.evs)), Device: "d-" + op, Operator: op,
		Task: task, Line: line, Location: where, Kind: kind, Code: code, Distance: dist})
}

func (j *journal) login(t time.Time, op, dev string) {
	j.add(floorgate.EventOperatorLoggedIn, t, floorgate.OperatorRecord{Operator: op, Device: dev})
}

func (j *journal) logout(t time.Time, op, dev string) {
	j.add(floorgate.EventOperatorLoggedOut, t, floorgate.OperatorRecord{Operator: op, Device: dev})
}

var day = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// at is h:m on the test day.
func at(h, m int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

const (
	loc  = floorgate.MatchLocation
	item = floorgate.MatchItem
)

// shift is three hours (08:00–11:00) of two pickers, p1 and p2, and a
// packer, k1. The numbers in comments are referred to by the expectations.
func shift() []floorgate.Event {
	var j journal
	// Before the window: p1 logs in on pda1 and starts T1; a scan before
	// the window does not count.
	j.login(at(7, 30), "p1", "pda1")
	j.add(floorgate.EventTaskStarted, at(7, 40), floorgate.TaskRecord{Task: "T1", Order: "O1", Operator: "p1", Lines: 2})
	j.scanAt("L1", at(7, 45), true, "p1", "T1", 1, loc, floorgate.CodeLocationOK, "in")

	// Hour 08.
	j.scanAt("L1", at(8, 0), true, "p1", "T1", 1, loc, floorgate.CodeLocationOK, "in")  // #1 (at from: counts)
	j.scanAt("L1", at(8, 5), false, "p1", "T1", 1, item, floorgate.CodeWrongItem, "in") // #2 wrong at L1
	j.scanAt("L1", at(8, 6), true, "p1", "T1", 1, item, floorgate.CodeLineDone, "in")   // #3
	j.add(floorgate.EventLineConfirmed, at(8, 6), floorgate.LineRecord{Task: "T1", Line: 1, Location: "L1",
		SKU: "S1", Qty: 1, Picked: 1, Status: floorgate.LineDone, Operator: "p1"})
	// #5: line 2 is at L2, but the picker is still at L1.
	j.scanAt("L1", at(8, 10), false, "p1", "T1", 2, item, floorgate.CodeItemBeforeLocation, "out") // #5 wrong at L1
	j.scanAt("L2", at(8, 11), true, "p1", "T1", 2, loc, floorgate.CodeLocationOK, "unknown")       // #6
	j.add(floorgate.EventPickException, at(8, 20), floorgate.ExceptionRecord{Kind: floorgate.ExceptionShortPick,
		Task: "T1", Line: 2, Location: "L2", SKU: "S2", Expected: 2, Found: 0, Operator: "p1"})
	j.add(floorgate.EventLineConfirmed, at(8, 20), floorgate.LineRecord{Task: "T1", Line: 2, Location: "L2",
		SKU: "S2", Qty: 2, Status: floorgate.LineShort, Operator: "p1"})
	// T1 took 07:40 → 08:20 = 2400 s.
	j.add(floorgate.EventTaskCompleted, at(8, 20), floorgate.TaskRecord{Task: "T1", Operator: "p1", Lines: 2, Short: 1})
	j.login(at(8, 30), "p2", "pda2")
	j.add(floorgate.EventTaskStarted, at(8, 31), floorgate.TaskRecord{Task: "T2", Operator: "p2", Lines: 2})
	// T2's line 1 is at L3; p2 scans L9's label, then an unknown code with
	// no location confirmed yet.
	j.scanAt("L9", at(8, 32), false, "p2", "T2", 1, loc, floorgate.CodeWrongLocation, "in") // #12 wrong at L9
	j.scanAt("L9", at(8, 33), false, "p2", "T2", 1, loc, floorgate.CodeDuplicateScan, "in") // #13 neutral
	j.scan(at(8, 35), false, "p2", "T2", 1, "", floorgate.CodeUnknownBarcode, "in")         // #12b wrong at ""
	j.scan(at(8, 34), false, "", "", 0, "", floorgate.CodeNotLoggedIn, "unknown")           // #14 nobody's
	j.logout(at(9, 0), "p1", "pda1")                                                        // p1: 08:00–09:00 in the window

	// Hour 09.
	j.scanAt("L3", at(9, 5), true, "p2", "T2", 1, loc, floorgate.CodeLocationOK, "in") // #16
	j.scanAt("L3", at(9, 6), true, "p2", "T2", 1, item, floorgate.CodeItemOK, "in")    // #17
	j.scanAt("L3", at(9, 7), true, "p2", "T2", 1, item, floorgate.CodeItemOK, "in")    // #18
	j.scanAt("L3", at(9, 8), true, "p2", "T2", 1, item, floorgate.CodeLineDone, "in")  // #18b
	j.add(floorgate.EventLineConfirmed, at(9, 8), floorgate.LineRecord{Task: "T2", Line: 1, Location: "L3",
		SKU: "S3", Qty: 3, Picked: 3, Status: floorgate.LineDone, Operator: "p2"})
	j.login(at(9, 10), "k1", "pack1")
	j.scan(at(9, 15), true, "k1", "", 0, floorgate.MatchOrder, floorgate.CodeOrderOK, "unknown") // #21
	j.add(floorgate.EventPackStarted, at(9, 15), floorgate.PackRecord{Order: "O1", Packer: "k1", Started: at(9, 15)})
	j.scan(at(9, 18), false, "k1", "", 0, item, floorgate.CodeWrongItem, "unknown") // #23 a pack rejection
	j.scan(at(9, 20), true, "k1", "", 0, item, floorgate.CodePackDone, "unknown")   // #24
	j.add(floorgate.EventPackCompleted, at(9, 20), floorgate.PackRecord{Order: "O1", Packer: "k1",
		Started: at(9, 15), Packed: at(9, 20)}) // pack 300 s
	j.scan(at(9, 25), true, "k1", "", 0, "", floorgate.CodeShipped, "unknown") // #26
	yes, no := true, false
	j.add(floorgate.EventShipConfirmed, at(9, 25), floorgate.PackRecord{Order: "O1", Packer: "k1",
		Started: at(9, 15), Packed: at(9, 20), Shipped: at(9, 25), PackToShipS: 300, WithinStandard: &yes})
	j.add(floorgate.EventLabelFailed, at(9, 30), floorgate.PrintJob{ID: "waybill:O2", Kind: "waybill", Order: "O2",
		Station: "pack1", Packer: "k1", Status: floorgate.JobFailed, Reason: "paper out"})
	j.add(floorgate.EventPickException, at(9, 40), floorgate.ExceptionRecord{Kind: floorgate.ExceptionIntercept,
		Task: "T2", Expected: 5, Found: 3, Operator: "p2"})
	j.scanAt("L4", at(9, 41), false, "p2", "T2", 2, loc, floorgate.CodeTaskCancelled, "in") // #30 neutral

	// Hour 10.
	j.scan(at(10, 0), true, "k1", "", 0, floorgate.MatchOrder, floorgate.CodeOrderOK, "unknown") // #31
	j.add(floorgate.EventPackStarted, at(10, 0), floorgate.PackRecord{Order: "O2", Packer: "k1", Started: at(10, 0)})
	j.add(floorgate.EventPackCompleted, at(10, 5), floorgate.PackRecord{Order: "O2", Packer: "k1",
		Started: at(10, 0), Packed: at(10, 5)}) // pack 300 s
	// p1 logs in on pda4 and then on pda1 with no logout from pda4 in
	// between: the second login ends the first session (10:30–10:40,
	// 10:40–11:00: 30 minutes, not 50).
	j.login(at(10, 30), "p1", "pda4")
	j.login(at(10, 40), "p1", "pda1")
	// O2 ships 40 minutes after it was packed: over the standard.
	j.add(floorgate.EventShipConfirmed, at(10, 45), floorgate.PackRecord{Order: "O2", Packer: "k1",
		Started: at(10, 0), Packed: at(10, 5), Shipped: at(10, 45), PackToShipS: 2400, WithinStandard: &no})
	j.logout(at(10, 50), "k1", "pack1") // k1: 09:10–10:50, 100 minutes

	// At the window's end: not counted; p2 stays logged in until then
	// (08:30–11:00, 150 minutes).
	j.scanAt("L4", at(11, 0), true, "p2", "T2", 2, loc, floorgate.CodeLocationOK, "in")
	j.add(floorgate.EventLineConfirmed, at(11, 0), floorgate.LineRecord{Task: "T2", Line: 2, Location: "L4",
		Status: floorgate.LineDone, Operator: "p2"})
	return j.evs
}

func f64(v float64) *float64 { return &v }
func boolp(v bool) *bool     { return &v }

type codes = map[floorgate.Code]int

func TestShift(t *testing.T) {
	names := map[string]string{"p1": "Ann", "p2": "Bo", "k1": "Kim"}
	r, err := Compute(shift(), at(8, 0), at(11, 0), names)
	if err != nil {
		t.Fatal(err)
	}
	noWrong := []LocationErrors{}
	// Site: 19 scans (p1 5, p2 8, k1 5, nobody 1); 11 accepted, 8 rejected.
	// Lines 3 (1 short). Logged in p1 1.5 h + p2 2.5 h + k1 5/3 h = 17/3 h.
	// Pick scans counted: p1 5 (2 wrong) + p2 6 (2 wrong; duplicate and
	// cancelled are neutral) = 11, 7 right. Item stage: 4 accepted item
	// Item scans judged at a line: p1 wrong_item, line_done,
	// item_before_location; p2 three accepted → (6 − 1)/6. Every line
	// confirmed had a wrong scan against it: line accuracy 0/3. Distance:
	// in 11, out 1, unknown 7. Parcels: 300 s and 2400 s.
	site := Figures{
		Scans: 19, Accepted: 11, Rejected: 8,
		RejectedByCode: codes{"wrong_item": 2, "item_before_location": 1, "wrong_location": 1,
			"duplicate_scan": 1, "unknown_barcode": 1, "not_logged_in": 1, "task_cancelled": 1},
		Lines: 3, ShortLines: 1,
		HoursLoggedIn: 17.0 / 3, LinesPerHour: 3 / (17.0 / 3),
		// Units: p1's line_done, p2's item_ok, item_ok, line_done.
		Modes:     discreteOnly(4, 3, 17.0/3),
		PickScans: 11, WrongPickScans: 4, PickAccuracy: f64(7.0 / 11), AccuracyOK: boolp(false),
		LineAccuracy: f64(0), LineAccuracyOK: boolp(false),
		SequenceCompliance: f64(5.0 / 6),
		Distance: Distance{In: 11, Out: 1, Unknown: 7, Total: 19, InShare: 11.0 / 19, OutShare: 1.0 / 19,
			UnknownShare: 7.0 / 19, InBandShare: f64(11.0 / 12)},
		// Nearest rank of [300 2400]: p50 rank 1, p90 rank 2.
		PackToOutbound: Outbound{Count: 2, MeanS: 1350, P50S: 300, P90S: 2400, MaxS: 2400,
			WithinStandard: 1, WithinStandardShare: f64(0.5)},
		Stages: Stages{Pick: Stage{1, 2400, 2400, 2400}, Pack: Stage{2, 300, 300, 300}, Outbound: Stage{2, 1350, 300, 2400}},
		Exceptions: Exceptions{ShortPicks: 1, Intercepts: 1, LabelFailures: 1, WrongScansByLocation: []LocationErrors{
			{"L1", 2, codes{"wrong_item": 1, "item_before_location": 1}},
			{"", 1, codes{"unknown_barcode": 1}},
			{"L9", 1, codes{"wrong_location": 1}},
		}},
	}
	// p1: 5 scans, 3 accepted; 2 lines in 1.5 h, neither right first
	// time; accuracy 3/5; item scans 3, 1 before location; T1's pick time
	// and the short pick.
	p1 := Figures{
		Scans: 5, Accepted: 3, Rejected: 2, RejectedByCode: codes{"wrong_item": 1, "item_before_location": 1},
		Lines: 2, ShortLines: 1, HoursLoggedIn: 1.5, LinesPerHour: 2 / 1.5, Modes: discreteOnly(1, 2, 1.5),
		PickScans: 5, WrongPickScans: 2, PickAccuracy: f64(0.6), AccuracyOK: boolp(false),
		LineAccuracy: f64(0), LineAccuracyOK: boolp(false),
		SequenceCompliance: f64(2.0 / 3),
		Distance:           Distance{In: 3, Out: 1, Unknown: 1, Total: 5, InShare: 0.6, OutShare: 0.2, UnknownShare: 0.2, InBandShare: f64(0.75)},
		Stages:             Stages{Pick: Stage{1, 2400, 2400, 2400}},
		Exceptions: Exceptions{ShortPicks: 1, WrongScansByLocation: []LocationErrors{
			{"L1", 2, codes{"wrong_item": 1, "item_before_location": 1}}}},
	}
	// p2: 8 scans, 4 accepted; 1 line in 2.5 h; accuracy 4/6; all in band.
	p2 := Figures{
		Scans: 8, Accepted: 4, Rejected: 4,
		RejectedByCode: codes{"wrong_location": 1, "duplicate_scan": 1, "unknown_barcode": 1, "task_cancelled": 1},
		Lines:          1, HoursLoggedIn: 2.5, LinesPerHour: 0.4, Modes: discreteOnly(3, 1, 2.5),
		PickScans: 6, WrongPickScans: 2, PickAccuracy: f64(4.0 / 6), AccuracyOK: boolp(false),
		LineAccuracy: f64(0), LineAccuracyOK: boolp(false),
		SequenceCompliance: f64(1),
		Distance:           Distance{In: 8, Total: 8, InShare: 1, InBandShare: f64(1)},
		Exceptions: Exceptions{Intercepts: 1, WrongScansByLocation: []LocationErrors{
			{"", 1, codes{"unknown_barcode": 1}}, {"L9", 1, codes{"wrong_location": 1}}}},
	}
	// k1: 5 pack scans (none counts for picking), 100 minutes, both
	// parcels, O2's waybill not printed.
	k1 := Figures{
		Scans: 5, Accepted: 4, Rejected: 1, RejectedByCode: codes{"wrong_item": 1},
		HoursLoggedIn: 100.0 / 60, Modes: discreteOnly(0, 0, 100.0/60),
		Distance: Distance{Unknown: 5, Total: 5, UnknownShare: 1},
		PackToOutbound: Outbound{Count: 2, MeanS: 1350, P50S: 300, P90S: 2400, MaxS: 2400,
			WithinStandard: 1, WithinStandardShare: f64(0.5)},
		Stages:     Stages{Pack: Stage{2, 300, 300, 300}, Outbound: Stage{2, 1350, 300, 2400}},
		Exceptions: Exceptions{LabelFailures: 1, WrongScansByLocation: noWrong},
	}
	// Site hours. 08: 9 scans (3 accepted), 2 lines, p1 60 + p2 30 min,
	// pick 7 counted (4 wrong), item stage 1 + 1, distance 6/1/2.
	h08 := Figures{
		Scans: 9, Accepted: 3, Rejected: 6,
		RejectedByCode: codes{"wrong_item": 1, "item_before_location": 1, "wrong_location": 1,
			"duplicate_scan": 1, "unknown_barcode": 1, "not_logged_in": 1},
		Lines: 2, ShortLines: 1, HoursLoggedIn: 1.5, LinesPerHour: 2 / 1.5, Modes: discreteOnly(1, 2, 1.5),
		PickScans: 7, WrongPickScans: 4, PickAccuracy: f64(3.0 / 7), AccuracyOK: boolp(false),
		LineAccuracy: f64(0), LineAccuracyOK: boolp(false),
		SequenceCompliance: f64(2.0 / 3),
		Distance: Distance{In: 6, Out: 1, Unknown: 2, Total: 9, InShare: 6.0 / 9, OutShare: 1.0 / 9,
			UnknownShare: 2.0 / 9, InBandShare: f64(6.0 / 7)},
		Stages:     Stages{Pick: Stage{1, 2400, 2400, 2400}},
		Exceptions: Exceptions{ShortPicks: 1, WrongScansByLocation: site.Exceptions.WrongScansByLocation},
	}
	// 09: 9 scans (7 accepted), 1 line, p2 60 + k1 50 min, 4 right pick
	// scans, O1 packed and shipped, the label failure and the intercept.
	h09 := Figures{
		Scans: 9, Accepted: 7, Rejected: 2, RejectedByCode: codes{"wrong_item": 1, "task_cancelled": 1},
		Lines: 1, HoursLoggedIn: 110.0 / 60, LinesPerHour: 1 / (110.0 / 60), Modes: discreteOnly(3, 1, 110.0/60),
		PickScans: 4, PickAccuracy: f64(1), AccuracyOK: boolp(true), SequenceCompliance: f64(1),
		LineAccuracy: f64(0), LineAccuracyOK: boolp(false), // T2 line 1 had two wrong scans at 08:3x
		Distance: Distance{In: 5, Unknown: 4, Total: 9, InShare: 5.0 / 9, UnknownShare: 4.0 / 9, InBandShare: f64(1)},
		PackToOutbound: Outbound{Count: 1, MeanS: 300, P50S: 300, P90S: 300, MaxS: 300,
			WithinStandard: 1, WithinStandardShare: f64(1)},
		Stages:     Stages{Pack: Stage{1, 300, 300, 300}, Outbound: Stage{1, 300, 300, 300}},
		Exceptions: Exceptions{Intercepts: 1, LabelFailures: 1, WrongScansByLocation: noWrong},
	}
	// 10: one scan, p1 30 + p2 60 + k1 50 min, O2.
	h10 := Figures{
		Scans: 1, Accepted: 1, RejectedByCode: codes{}, HoursLoggedIn: 140.0 / 60,
		Distance: Distance{Unknown: 1, Total: 1, UnknownShare: 1},
		PackToOutbound: Outbound{Count: 1, MeanS: 2400, P50S: 2400, P90S: 2400, MaxS: 2400,
			WithinStandardShare: f64(0)},
		Stages:     Stages{Pack: Stage{1, 300, 300, 300}, Outbound: Stage{1, 2400, 2400, 2400}},
		Exceptions: Exceptions{WrongScansByLocation: noWrong},
	}

	// Parcels: O1 packed 09:20, shipped in 300 s; O2 packed 10:05, shipped
	// in 2400 s: both normal, both Kim's.
	site.Variants = normalOnly(VariantFigures{Packed: 2, Shipped: 2, WithinStandard: 1})
	// Orders: O1 (T1's: a short pick, wrong scans, a read out of the band)
	// ships at 09:25, O2 (no task names it) at 10:45 over the standard:
	// two orders, one with an exception, neither compliant. Both Kim's.
	orders := func(f *Figures, n, exc int) {
		f.Orders, f.OrdersWithException = n, exc
		f.ExceptionRate, f.ExceptionRateOK = f64(float64(exc)/float64(n)), boolp(100*exc <= n)
		f.Compliance, f.ComplianceOK = f64(0), boolp(false)
	}
	orders(&site, 2, 1)
	orders(&k1, 2, 1)
	orders(&h09, 1, 1)
	orders(&h10, 1, 0)
	k1.Variants = site.Variants
	h09.Variants = normalOnly(VariantFigures{Packed: 1, Shipped: 1, WithinStandard: 1})
	h10.Variants = normalOnly(VariantFigures{Packed: 1, Shipped: 1})
	same(t, "site", r.Site, site)
	if len(r.Hours) != 3 {
		t.Fatalf("hours: %d, want 3", len(r.Hours))
	}
	for i, want := range []Figures{h08, h09, h10} {
		if !r.Hours[i].Start.Equal(at(8+i, 0)) {
			t.Errorf("hours[%d].start = %v", i, r.Hours[i].Start)
		}
		same(t, fmt.Sprintf("hours[%d]", i), r.Hours[i].Figures, want)
	}
	wantPeople := []struct {
		op, name, role string
		f              Figures
		loggedMin      [3]float64
	}{
		{"k1", "Kim", "packer", k1, [3]float64{0, 50, 50}},
		{"p1", "Ann", "picker", p1, [3]float64{60, 0, 30}},
		{"p2", "Bo", "picker", p2, [3]float64{30, 60, 60}},
	}
	if len(r.People) != len(wantPeople) {
		t.Fatalf("people: %d, want %d", len(r.People), len(wantPeople))
	}
	for i, w := range wantPeople {
		p := r.People[i]
		if p.Operator != w.op || p.Name != w.name || p.Role != w.role {
			t.Errorf("people[%d] = %s %q %q, want %s %q %q", i, p.Operator, p.Name, p.Role, w.op, w.name, w.role)
		}
		same(t, w.op, p.Figures, w.f)
		for h, m := range w.loggedMin {
			if got := p.Hours[h].HoursLoggedIn; math.Abs(got-m/60) > 1e-9 {
				t.Errorf("%s hours[%d].hours_logged_in = %v, want %v", w.op, h, got, m/60)
			}
		}
	}
	// Per person per hour: p1's hour 08 has both of p1's wrong scans.
	if got := r.People[1].Hours[0].WrongPickScans; got != 2 {
		t.Errorf("p1 hour 08 wrong_pick_scans = %d, want 2", got)
	}
	if r.Standards != (Standards{AccuracyMin: 0.998, OutboundMaxS: 1800, ExceptionRateMax: 0.01, ComplianceMin: 0.98}) {
		t.Errorf("standards = %+v", r.Standards)
	}
}

// same compares two Figures through their JSON form, floats to 1e-9, so
// every field — and its JSON name and null-ness — is checked.
func same(t *testing.T, what string, got, want Figures) {
	t.Helper()
	if want.RejectedByCode == nil {
		want.RejectedByCode = codes{}
	}
	if want.Exceptions.WrongScansByLocation == nil {
		want.Exceptions.WrongScansByLocation = []LocationErrors{}
	}
	if want.Exceptions.ByReason == nil {
		want.Exceptions.ByReason = map[floorgate.ExceptionReason]int{}
	}
	if want.Modes == nil {
		want.Modes = byMode(ModeFigures{}, ModeFigures{})
	}
	if want.Variants == nil {
		want.Variants = normalOnly(VariantFigures{})
	}
	g, w := asJSON(t, got), asJSON(t, want)
	for _, d := range diff("", g, w) {
		t.Errorf("%s: %s", what, d)
	}
}

// normalOnly is the variants' figures of a span with only normal parcels.
func normalOnly(normal VariantFigures) map[floorgate.OrderVariant]VariantFigures {
	return map[floorgate.OrderVariant]VariantFigures{floorgate.VariantNormal: normal, floorgate.VariantPreSale: {},
		floorgate.VariantCrossBorder: {}, floorgate.VariantPeak: {}}
}

// byMode is the modes' figures, discrete's and cluster's, and batch's
// when given (zero otherwise).
func byMode(discrete, cluster ModeFigures, batch ...ModeFigures) map[floorgate.TaskMode]ModeFigures {
	b := ModeFigures{}
	if len(batch) > 0 {
		b = batch[0]
	}
	return map[floorgate.TaskMode]ModeFigures{floorgate.ModeDiscrete: discrete, floorgate.ModeCluster: cluster,
		floorgate.ModeBatch: b}
}

// discreteOnly is the modes' figures of a span with only discrete picking:
// units and lines in hours logged in.
func discreteOnly(units, lines int, hours float64) map[floorgate.TaskMode]ModeFigures {
	d := ModeFigures{Units: units, Lines: lines}
	if hours > 0 {
		d.UnitsPerHour = float64(units) / hours
	}
	return byMode(d, ModeFigures{})
}

func asJSON(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func diff(path string, got, want any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		var out []string
		for k := range w {
			if _, ok := g[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s missing", path, k))
			}
		}
		for k := range g {
			out = append(out, diff(path+"."+k, g[k], w[k])...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), g[i], w[i])...)
		}
		return out
	case float64:
		if g, ok := got.(float64); !ok || math.Abs(g-w) > 1e-9 {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		return nil
	default:
		if got != want {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
		}
		return nil
	}
}

func TestSessionsClippedToWindow(t *testing.T) {
	from, to := at(9, 0), at(10, 0)
	tests := []struct {
		name  string
		build func(j *journal)
		want  float64 // hours_logged_in of p1
	}{
		{"started before from", func(j *journal) {
			j.login(at(8, 30), "p1", "d1")
			j.logout(at(9, 15), "p1", "d1")
		}, 0.25},
		{"ended before from", func(j *journal) {
			j.login(at(8, 0), "p1", "d1")
			j.logout(at(8, 59), "p1", "d1")
		}, 0},
		{"open at the end runs to to", func(j *journal) { j.login(at(9, 45), "p1", "d1") }, 0.25},
		{"logout at to is ignored", func(j *journal) {
			j.login(at(9, 30), "p1", "d1")
			j.logout(at(10, 0), "p1", "d1")
		}, 0.5},
		{"login at to is ignored", func(j *journal) { j.login(at(10, 0), "p1", "d1") }, 0},
		{"login again on the same device keeps the session", func(j *journal) {
			j.login(at(9, 0), "p1", "d1")
			j.login(at(9, 30), "p1", "d1")
			j.logout(at(9, 45), "p1", "d1")
		}, 0.75},
		{"login elsewhere ends the session", func(j *journal) {
			j.login(at(9, 0), "p1", "d1")
			j.login(at(9, 20), "p1", "d2")
			j.logout(at(9, 40), "p1", "d1") // already ended: changes nothing
			j.logout(at(9, 50), "p1", "d2")
		}, 50.0 / 60},
		{"another operator on the device ends it", func(j *journal) {
			j.login(at(9, 0), "p1", "d1")
			j.login(at(9, 6), "p2", "d1")
		}, 0.1},
		{"someone else's logout does not end it", func(j *journal) {
			j.login(at(9, 0), "p1", "d1")
			j.logout(at(9, 6), "p2", "d1")
		}, 1},
		{"a login naming nobody is ignored", func(j *journal) {
			j.login(at(9, 0), "p1", "d1")
			j.login(at(9, 30), "", "d2")
			j.login(at(9, 45), "", "d1")
			j.logout(at(9, 50), "", "d1")
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var j journal
			tt.build(&j)
			r, err := Compute(j.evs, from, to, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := 0.0
			for _, p := range r.People {
				if p.Operator == "p1" {
					got = p.HoursLoggedIn
				}
			}
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("hours_logged_in = %v, want %v", got, tt.want)
			}
			if p1 := findPerson(r, "p1"); p1 != nil && math.Abs(p1.Hours[0].HoursLoggedIn-tt.want) > 1e-9 {
				t.Errorf("hour 09: %v, want %v", p1.Hours[0].HoursLoggedIn, tt.want)
			}
		})
	}
}

func findPerson(r Report, op string) *Person {
	for i := range r.People {
		if r.People[i].Operator == op {
			return &r.People[i]
		}
	}
	return nil
}

func TestWindowEdges(t *testing.T) {
	var j journal
	j.scan(at(8, 59), true, "p1", "T1", 1, loc, floorgate.CodeLocationOK, "in")
	j.scan(at(9, 0), true, "p1", "T1", 1, loc, floorgate.CodeLocationOK, "in")
	j.scan(at(9, 59), false, "p1", "T1", 1, item, floorgate.CodeWrongItem, "in")
	j.scan(at(10, 0), false, "p1", "T1", 1, item, floorgate.CodeWrongItem, "in")
	r, err := Compute(j.evs, at(9, 0), at(10, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Site.Scans != 2 || r.Site.Accepted != 1 || r.Site.Rejected != 1 {
		t.Errorf("scans %d accepted %d rejected %d, want 2 1 1 (the one at from in, the one at to out)",
			r.Site.Scans, r.Site.Accepted, r.Site.Rejected)
	}

	// An hour that only partly overlaps the window is still an hour.
	r, err = Compute(j.evs, at(8, 30), at(10, 15), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Hours) != 3 || !r.Hours[0].Start.Equal(at(8, 0)) || !r.Hours[2].Start.Equal(at(10, 0)) {
		t.Fatalf("hours = %+v, want 08, 09, 10", r.Hours)
	}
	if got := []int{r.Hours[0].Scans, r.Hours[1].Scans, r.Hours[2].Scans}; got[0] != 1 || got[1] != 2 || got[2] != 1 {
		t.Errorf("scans per hour = %v, want [1 2 1]", got)
	}

	for _, w := range [][2]time.Time{{at(10, 0), at(9, 0)}, {at(0, 0), at(0, 0).Add(MaxWindow + time.Hour)}} {
		if _, err := Compute(nil, w[0], w[1], nil); !errors.Is(err, ErrWindow) {
			t.Errorf("window %v–%v: err = %v, want ErrWindow", w[0], w[1], err)
		}
	}
}

func TestEmptyJournal(t *testing.T) {
	for _, w := range [][2]time.Time{{at(9, 0), at(12, 0)}, {at(9, 0), at(9, 0)}} {
		r, err := Compute(nil, w[0], w[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		want := int(w[1].Sub(w[0]) / time.Hour)
		if len(r.Hours) != want || len(r.People) != 0 {
			t.Fatalf("hours %d people %d, want %d 0", len(r.Hours), len(r.People), want)
		}
		// json.Marshal refuses NaN and ±Inf, so this also proves there are none.
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "site", r.Site, Figures{})
		for i, h := range r.Hours {
			same(t, fmt.Sprintf("hours[%d]", i), h.Figures, Figures{})
		}
		for _, s := range []string{`"pick_accuracy":null`, `"accuracy_ok":null`, `"sequence_compliance":null`,
			`"in_band_share":null`, `"within_standard_share":null`, `"people":[]`, `"lines_per_hour":0`} {
			if !strings.Contains(string(raw), s) {
				t.Errorf("report has no %s: %s", s, raw)
			}
		}
	}
}

func TestBadPayload(t *testing.T) {
	var j journal
	j.login(at(9, 0), "p1", "d1")
	j.add("something.new", at(9, 1), "not decoded: a type Compute does not read")
	j.evs[1].Data = json.RawMessage(`{{{`)
	if _, err := Compute(j.evs, at(9, 0), at(10, 0), nil); err != nil {
		t.Fatalf("unknown type with junk: %v", err)
	}
	tests := []struct {
		name, typ string
		data      string
		at        time.Time
	}{
		{"wrong field type", floorgate.EventScanAccepted, `{"code": 5}`, at(9, 2)},
		{"truncated", floorgate.EventLineConfirmed, `{"task":"T1"`, at(9, 2)},
		{"empty", floorgate.EventShipConfirmed, ``, at(9, 2)},
		{"a put's qty", floorgate.EventPickPut, `{"qty": "3"}`, at(9, 2)},
		{"a cart before the window", floorgate.EventCartStarted, `{"orders": {}}`, at(7, 0)},
		{"before the window", floorgate.EventOperatorLoggedIn, `[1]`, at(7, 0)},
		{"after the window", floorgate.EventLabelFailed, `"x"`, at(11, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := append([]floorgate.Event{}, j.evs...)
			evs = append(evs, floorgate.Event{Seq: 42, Type: tt.typ, Time: tt.at, Data: json.RawMessage(tt.data)})
			_, err := Compute(evs, at(9, 0), at(10, 0), nil)
			if err == nil || !strings.Contains(err.Error(), "seq 42") || !strings.Contains(err.Error(), tt.typ) {
				t.Errorf("err = %v, want one naming seq 42 and %s", err, tt.typ)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		xs   []float64
		p    int
		want float64
	}{
		{nil, 50, 0},
		{[]float64{7}, 50, 7},
		{[]float64{7}, 90, 7},
		{[]float64{1, 2}, 50, 1}, // rank ⌈1⌉ = 1
		{[]float64{1, 2}, 90, 2}, // rank ⌈1.8⌉ = 2
		{[]float64{1, 2, 3, 4}, 50, 2},
		{[]float64{1, 2, 3, 4, 5}, 50, 3},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},      // rank 9 exactly
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 90, 10}, // rank ⌈9.9⌉ = 10
		{[]float64{1, 2, 3}, 100, 3},
		{[]float64{1, 2, 3}, 1, 1},
	}
	for _, tt := range tests {
		if got := Percentile(tt.xs, tt.p); got != tt.want {
			t.Errorf("Percentile(%v, %d) = %v, want %v", tt.xs, tt.p, got, tt.want)
		}
	}
}

func TestAccuracyStandard(t *testing.T) {
	tests := []struct {
		right, wrong int
		ok           bool
	}{
		{998, 2, true},  // exactly 99.8%
		{997, 3, false}, // 99.7%
		{499, 1, true},  // 99.8%
		{498, 2, false}, // 99.6%
		{1, 0, true},
		{0, 1, false},
	}
	for _, tt := range tests {
		a := acc{pickOK: tt.right, pickWrong: tt.wrong}
		f := a.figures()
		if f.AccuracyOK == nil || *f.AccuracyOK != tt.ok {
			t.Errorf("%d right %d wrong: accuracy_ok = %v, want %v", tt.right, tt.wrong, f.AccuracyOK, tt.ok)
		}
		if want := float64(tt.right) / float64(tt.right+tt.wrong); *f.PickAccuracy != want {
			t.Errorf("%d right %d wrong: accuracy = %v, want %v", tt.right, tt.wrong, *f.PickAccuracy, want)
		}
	}
}

func TestPickerErrors(t *testing.T) {
	wrong := []floorgate.Code{"wrong_location", "item_before_location", "wrong_item", "over_pick", "unknown_barcode",
		"wrong_batch", "batch_missing", "expiry_too_soon", "expiry_missing", "serial_missing", "duplicate_serial",
		"invalid_barcode"}
	for _, c := range wrong {
		if !PickerError(c) {
			t.Errorf("%s is a picker's error", c)
		}
	}
	// Every other code there is counts neither way.
	n := 0
	for _, c := range floorgate.Codes() {
		if PickerError(c) {
			n++
		}
	}
	if n != len(wrong) {
		t.Errorf("%d codes count as picker errors, want %d", n, len(wrong))
	}
}

// An event made in this process is counted from the value it was encoded
// from (Event.Value) instead of decoding its data again: what that yields
// is what decoding the journal's copy yields, field for field.
func TestDecodedValueIsTheJournalsPayload(t *testing.T) {
	at := time.Date(2026, 11, 22, 6, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	evs := []floorgate.Event{
		floorgate.NewEvent(floorgate.EventScanAccepted, at, floorgate.ScanRecord{ScanID: "s1", Device: "d1", Operator: "p1", Task: "T1", Line: 3,
			Location: "A-01", Data: "0109501101530003", Kind: floorgate.MatchItem, Code: floorgate.CodeItemOK, Warning: floorgate.CodeDistance,
			Qty: 2, DistanceMM: 73.19999999999999, Distance: "out", DeviceTime: at.Add(-time.Second), Batch: "B1", Expiry: "261231"}),
		floorgate.NewEvent(floorgate.EventLineConfirmed, at, floorgate.LineRecord{Task: "T1", Order: "O1", Location: "A-01", SKU: "S", Qty: 2, Picked: 2, Status: floorgate.LineDone, Operator: "p1", Device: "d1"}),
		floorgate.NewEvent(floorgate.EventTaskCompleted, at, floorgate.TaskRecord{Task: "T1", Order: "O1", Operator: "p1", Lines: 20, Short: 1}),
		floorgate.NewEvent(floorgate.EventPickException, at, floorgate.ExceptionRecord{Kind: floorgate.ExceptionShortPick, Task: "T1", Expected: 2, Found: 1}),
		floorgate.NewEvent(floorgate.EventOperatorLoggedOut, at, floorgate.OperatorRecord{Operator: "p1", Device: "d1", Reason: floorgate.ReasonDeviceAbsent}),
		floorgate.NewEvent(floorgate.EventPickPut, at, floorgate.PutRecord{Cart: "C1", Slot: 2, Tote: "TT2", Task: "K1", Order: "O1", Line: 1,
			Location: "A-01", SKU: "S", Qty: 3, Operator: "p1", Device: "d1"}),
		floorgate.NewEvent(floorgate.EventCartStarted, at, floorgate.CartRecord{Cart: "C1", Operator: "p1", Device: "d1",
			Orders: []floorgate.CartSlot{{Slot: 1, Task: "K1", Order: "O1", Tote: "TT1"}}}),
	}
	var read []floorgate.Event
	for _, ev := range evs {
		raw, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var back floorgate.Event
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if back.Value() != nil {
			t.Fatal("an event read back carries a value")
		}
		read = append(read, back)
	}
	got, err := decodeAll(evs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := decodeAll(read)
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		g, _ := json.Marshal(got[i])
		w, _ := json.Marshal(want[i])
		if string(g) != string(w) || reflect.TypeOf(got[i]) != reflect.TypeOf(want[i]) {
			t.Errorf("%s: from the value %T %s, from the journal %T %s", evs[i].Type, got[i], g, want[i], w)
		}
	}
}
