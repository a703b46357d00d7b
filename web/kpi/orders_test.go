package kpi

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// orderShift is twelve orders, O01 to O12, one an hour from 08:00, each
// picked by p1 (device d-p1) as one discrete task of one line and packed
// by k1 (device d-k1). Order i (hour h = 7+i) goes:
//
//	h:00      task.received (its wave), pick.task_started
//	h:00:10…  its pick scans (below), in the band unless said
//	h:i       pick.line_confirmed, pick.task_completed: pick i·60 s
//	h:15      order_ok scan (just before pack.started: the order's), pack.started
//	h:17      pack_done scan, pack.completed: pack 120 s
//	h:22      waybill scan, ship.confirmed, pack_to_ship_s 300
//
// and what sets it apart:
//
//	O01 W1  clean                                 scans 5 (2 pick, 3 pack)
//	O02 W1  clean                                 scans 5
//	O03 W1  exception.raised short_bin_empty and
//	        pick.exception short_pick: one order   scans 4 (1 pick: closed short)
//	O04 W1  a wrong_location first                scans 6, 1 wrong (pick 3, 1 wrong)
//	O05 W1  its location read out of the band     scans 5, out 1
//	O06 W2  ships 2400 s after packing            scans 5, outbound over 30 min
//	O07 W2  damaged raised at pack by k1,
//	        resolved 600 s later (after it ships)  scans 5
//	O08 W2  a wrong item scanned at pack          scans 6, 1 wrong (pick 2, 0 wrong)
//	O09 W2  wrong item, then intercepted: never ships
//	O10 W2  presale, clean                        scans 5
//	O11 --  only pick.exception short_pick (a
//	        journal before exception.raised)       scans 4 (1 pick)
//	O12 --  peak; a duplicate_scan (neutral)       scans 6 (pick 2), compliant
//
// By hand: orders ended = 11 (O09 never ships). With an exception: O03,
// O07, O11 = 3 → exception_rate 3/11, not ≤ 1%. Compliant: O01, O02, O10,
// O12 = 4 (O03 O07 O11 exception, O04 O08 wrong scan, O05 out of the band,
// O06 outbound) → compliance 4/11, not ≥ 98%.
func orderShift() []floorgate.Event {
	var j journal
	j.login(at(7, 55), "p1", "d-p1")
	j.login(at(7, 55), "k1", "d-k1")
	type spec struct {
		wave    string
		variant floorgate.OrderVariant
		pick    func(h int, task string) // the pick scans and exceptions
		pack    func(h int, ord string)  // what happens between pack.started and pack_done
		out     float64
		cancel  bool
	}
	loc1 := func(dist string) func(int, string) {
		return func(h int, task string) {
			j.scanAt("L1", at(h, 0).Add(10*time.Second), true, "p1", task, 1, loc, floorgate.CodeLocationOK, dist)
		}
	}
	line := func(h int, task string) {
		j.scanAt("L1", at(h, 0).Add(20*time.Second), true, "p1", task, 1, floorgate.MatchItem, floorgate.CodeLineDone, "in")
	}
	clean := func(h int, task string) { loc1("in")(h, task); line(h, task) }
	raise := func(t time.Time, c floorgate.ExceptionCase) {
		c.RaisedAt, c.Status = t, floorgate.ExceptionOpen
		j.add(floorgate.EventExceptionRaised, t, c)
	}
	specs := []spec{
		{wave: "W1", pick: clean},
		{wave: "W1", pick: clean},
		{wave: "W1", pick: func(h int, task string) {
			loc1("in")(h, task)
			ord := "O03"
			raise(at(h, 1), floorgate.ExceptionCase{ID: "X1", Reason: floorgate.ReasonShortBinEmpty, Stage: floorgate.StagePick,
				Order: ord, Task: task, Line: 1, Qty: 1, Operator: "p1"})
			j.add(floorgate.EventPickException, at(h, 1), floorgate.ExceptionRecord{Kind: floorgate.ExceptionShortPick,
				Task: task, Order: ord, Line: 1, Expected: 1, Reason: string(floorgate.ReasonShortBinEmpty), Operator: "p1"})
		}},
		{wave: "W1", pick: func(h int, task string) {
			j.scanAt("L9", at(h, 0).Add(5*time.Second), false, "p1", task, 1, loc, floorgate.CodeWrongLocation, "in")
			clean(h, task)
		}},
		{wave: "W1", pick: func(h int, task string) { loc1("out")(h, task); line(h, task) }},
		{wave: "W2", pick: clean, out: 2400},
		{wave: "W2", pick: clean, pack: func(h int, ord string) {
			raise(at(h, 16), floorgate.ExceptionCase{ID: "X2", Reason: floorgate.ReasonDamaged, Stage: floorgate.StagePack,
				Order: ord, Qty: 1, Operator: "k1"})
		}},
		{wave: "W2", pick: clean, pack: func(h int, ord string) {
			j.scan(at(h, 16), false, "k1", "", 0, floorgate.MatchItem, floorgate.CodeWrongItem, "unknown")
		}},
		{wave: "W2", cancel: true, pick: func(h int, task string) {
			loc1("in")(h, task)
			j.scanAt("L1", at(h, 0).Add(20*time.Second), false, "p1", task, 1, floorgate.MatchItem, floorgate.CodeWrongItem, "in")
			j.add(floorgate.EventPickException, at(h, 1), floorgate.ExceptionRecord{Kind: floorgate.ExceptionIntercept,
				Task: task, Order: "O09", Expected: 1, Operator: "p1"})
		}},
		{wave: "W2", variant: floorgate.VariantPreSale, pick: clean},
		{variant: floorgate.VariantCrossBorder, pick: func(h int, task string) {
			loc1("in")(h, task)
			j.add(floorgate.EventPickException, at(h, 1), floorgate.ExceptionRecord{Kind: floorgate.ExceptionShortPick,
				Task: task, Order: "O11", Line: 1, Expected: 1, Reason: string(floorgate.ReasonShortCountWrong), Operator: "p1"})
		}},
		{variant: floorgate.VariantPeak, pick: func(h int, task string) {
			loc1("in")(h, task)
			j.scanAt("L1", at(h, 0).Add(11*time.Second), false, "p1", task, 1, loc, floorgate.CodeDuplicateScan, "in")
			line(h, task)
		}},
	}
	for n, s := range specs {
		i, h := n+1, 7+n+1
		task, ord := fmt.Sprintf("T%02d", i), fmt.Sprintf("O%02d", i)
		j.add(floorgate.EventTaskReceived, at(h, 0), floorgate.TaskRecord{Task: task, Order: ord, Wave: s.wave, Lines: 1})
		j.add(floorgate.EventTaskStarted, at(h, 0), floorgate.TaskRecord{Task: task, Order: ord, Wave: s.wave, Operator: "p1", Device: "d-p1", Lines: 1})
		s.pick(h, task)
		if s.cancel {
			continue
		}
		j.add(floorgate.EventLineConfirmed, at(h, i), floorgate.LineRecord{Task: task, Order: ord, Line: 1, Location: "L1",
			Qty: 1, Picked: 1, Status: floorgate.LineDone, Operator: "p1", Device: "d-p1"})
		j.add(floorgate.EventTaskCompleted, at(h, i), floorgate.TaskRecord{Task: task, Order: ord, Wave: s.wave, Operator: "p1", Device: "d-p1", Lines: 1})
		j.scan(at(h, 15), true, "k1", "", 0, floorgate.MatchOrder, floorgate.CodeOrderOK, "unknown")
		rec := floorgate.PackRecord{Order: ord, Packer: "k1", Device: "d-k1", Started: at(h, 15), Variant: s.variant}
		j.add(floorgate.EventPackStarted, at(h, 15), rec)
		if s.pack != nil {
			s.pack(h, ord)
		}
		j.scan(at(h, 17), true, "k1", "", 0, floorgate.MatchItem, floorgate.CodePackDone, "unknown")
		rec.Packed = at(h, 17)
		j.add(floorgate.EventPackCompleted, at(h, 17), rec)
		if s.out == 0 {
			s.out = 300
		}
		ship := rec.Packed.Add(time.Duration(s.out) * time.Second)
		j.scan(ship, true, "k1", "", 0, "", floorgate.CodeShipped, "unknown")
		rec.Shipped, rec.PackToShipS = ship, s.out
		j.add(floorgate.EventShipConfirmed, ship, rec)
		if i == 7 {
			c := floorgate.ExceptionCase{ID: "X2", Reason: floorgate.ReasonDamaged, Stage: floorgate.StagePack, Order: ord,
				Qty: 1, Operator: "k1", RaisedAt: at(h, 16), Status: floorgate.ExceptionResolved,
				Resolution: &floorgate.Resolution{Action: floorgate.ResolveSendToERP, By: "sup", ResolvedAt: at(h, 26), ResolveS: 600}}
			j.add(floorgate.EventExceptionResolved, at(h, 26), c)
		}
	}
	return j.evs
}

// TestOrderFiguresByHand checks the per-order figures of orderShift
// against the numbers worked out by hand in its comment, for the site, the
// packer (who shipped every order), the picker (none), the hours, the
// waves and the variants; and the rollup answers the same.
func TestOrderFiguresByHand(t *testing.T) {
	evs := orderShift()
	r, err := Compute(evs, at(8, 0), at(20, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	type orderFigs struct {
		orders, exc, compliant int
	}
	check := func(what string, f Figures, w orderFigs) {
		t.Helper()
		if f.Orders != w.orders || f.OrdersWithException != w.exc || f.CompliantOrders != w.compliant {
			t.Errorf("%s: orders %d with exception %d compliant %d, want %d %d %d", what, f.Orders, f.OrdersWithException,
				f.CompliantOrders, w.orders, w.exc, w.compliant)
		}
		if w.orders == 0 {
			if f.ExceptionRate != nil || f.ExceptionRateOK != nil || f.Compliance != nil || f.ComplianceOK != nil {
				t.Errorf("%s: no orders, but rates %v %v %v %v", what, f.ExceptionRate, f.ExceptionRateOK, f.Compliance, f.ComplianceOK)
			}
			return
		}
		wantRate, wantComp := float64(w.exc)/float64(w.orders), float64(w.compliant)/float64(w.orders)
		if f.ExceptionRate == nil || *f.ExceptionRate != wantRate || f.Compliance == nil || *f.Compliance != wantComp {
			t.Errorf("%s: exception_rate %v compliance %v, want %v %v", what, f.ExceptionRate, f.Compliance, wantRate, wantComp)
		}
		if f.ExceptionRateOK == nil || *f.ExceptionRateOK != (100*w.exc <= w.orders) ||
			f.ComplianceOK == nil || *f.ComplianceOK != (100*w.compliant >= 98*w.orders) {
			t.Errorf("%s: exception_rate_ok %v compliance_ok %v", what, f.ExceptionRateOK, f.ComplianceOK)
		}
	}
	// 11 orders ended, 3 with an exception (3/11 ≈ 27%: not ≤ 1%), 4
	// compliant (4/11 ≈ 36%: not ≥ 98%).
	check("site", r.Site, orderFigs{11, 3, 4})
	if *r.Site.ExceptionRateOK || *r.Site.ComplianceOK {
		t.Errorf("site: 3/11 and 4/11 meet no standard")
	}
	if p := findPerson(r, "k1"); p == nil {
		t.Fatal("k1 missing")
	} else {
		check("k1", p.Figures, orderFigs{11, 3, 4})
	}
	check("p1", findPerson(r, "p1").Figures, orderFigs{})
	// Hour by hour, order i ships in hour 7+i: O03 (10:22) with an
	// exception, O09 (16:00) nothing, O12 (19:22) compliant.
	check("10:00", r.Hours[2].Figures, orderFigs{1, 1, 0})
	check("16:00", r.Hours[8].Figures, orderFigs{})
	check("19:00", r.Hours[11].Figures, orderFigs{1, 0, 1})
	// By reason: exception.raised only (O11's short_pick has none); one
	// resolution of 600 s.
	if got, want := r.Site.Exceptions.ByReason, map[floorgate.ExceptionReason]int{
		floorgate.ReasonShortBinEmpty: 1, floorgate.ReasonDamaged: 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("by_reason = %v, want %v", got, want)
	}
	if got := findPerson(r, "k1").Exceptions.ByReason; !reflect.DeepEqual(got, map[floorgate.ExceptionReason]int{floorgate.ReasonDamaged: 1}) {
		t.Errorf("k1 by_reason = %v, want damaged 1", got)
	}
	if got := r.Site.Exceptions.Resolution; got != (Resolution{Count: 1, MeanS: 600, P90S: 600}) {
		t.Errorf("resolution = %+v, want 1 of 600 s", got)
	}
	// Short picks: O03's and O11's pick.exception; an intercept: O09.
	if e := r.Site.Exceptions; e.ShortPicks != 2 || e.Intercepts != 1 {
		t.Errorf("short_picks %d intercepts %d, want 2 1", e.ShortPicks, e.Intercepts)
	}

	// The waves, by hand:
	// W1 O01–O05: scans 5+5+4+6+5 = 25, wrong 1 (O04); pick scans
	// 2+2+1+3+2 = 10, wrong 1; in 2+2+1+3+1 = 9, out 1; pick 60…300 s:
	// mean 180, p50 rank 3 = 180, p90 rank 5 = 300.
	// W2 O06 O07 O08 O10 (O09 cancelled): scans 5+5+6+5 = 21, wrong 1
	// (O08's at pack); pick scans 8, none wrong; in 8; pick 360 420 480
	// 600: mean 465, p50 420, p90 600; outbound 2400 300 300 300: mean 825.
	// "" O11 O12: scans 4+6 = 10; pick scans 1+2 = 3; in 1+3 = 4; pick 660
	// 720.
	pack := Stage{Count: 1, MeanS: 120, P50S: 120, P90S: 120}
	stage := func(n int, mean, p50, p90 float64) Stage { return Stage{Count: n, MeanS: mean, P50S: p50, P90S: p90} }
	scale := func(s Stage, n int) Stage { s.Count = n; return s }
	wantWaves := []OrderGroup{
		{Group: "", Orders: 2, OrdersWithException: 1, ExceptionRate: f64(0.5), CompliantOrders: 1, Compliance: f64(0.5),
			Scans: 10, ErrorRate: f64(0), PickScans: 3, PickAccuracy: f64(1), DistanceIn: 4, InBandShare: f64(1),
			Stages: Stages{Pick: stage(2, 690, 660, 720), Pack: scale(pack, 2), Outbound: stage(2, 300, 300, 300)}},
		{Group: "W1", Orders: 5, OrdersWithException: 1, ExceptionRate: f64(0.2), CompliantOrders: 2, Compliance: f64(0.4),
			Scans: 25, WrongScans: 1, ErrorRate: f64(1.0 / 25), PickScans: 10, WrongPickScans: 1, PickAccuracy: f64(0.9),
			DistanceIn: 9, DistanceOut: 1, InBandShare: f64(0.9),
			Stages: Stages{Pick: stage(5, 180, 180, 300), Pack: scale(pack, 5), Outbound: stage(5, 300, 300, 300)}},
		{Group: "W2", Orders: 4, OrdersWithException: 1, ExceptionRate: f64(0.25), CompliantOrders: 1, Compliance: f64(0.25),
			Scans: 21, WrongScans: 1, ErrorRate: f64(1.0 / 21), PickScans: 8, PickAccuracy: f64(1), DistanceIn: 8, InBandShare: f64(1),
			Stages: Stages{Pick: stage(4, 465, 420, 600), Pack: scale(pack, 4), Outbound: stage(4, 825, 300, 2400)}},
	}
	if !reflect.DeepEqual(asJSON(t, r.Waves), asJSON(t, wantWaves)) {
		for _, d := range diff("waves", asJSON(t, r.Waves), asJSON(t, wantWaves)) {
			t.Error(d)
		}
	}
	// The variants: normal O01–O08 (with an exception O03 and O07;
	// compliant O01 and O02), presale O10, crossborder O11, peak O12.
	for _, w := range []struct {
		variant                string
		orders, exc, compliant int
	}{{"normal", 8, 2, 2}, {"presale", 1, 0, 1}, {"crossborder", 1, 1, 0}, {"peak", 1, 0, 1}} {
		var g *OrderGroup
		for i := range r.VariantGroups {
			if r.VariantGroups[i].Group == w.variant {
				g = &r.VariantGroups[i]
			}
		}
		if g == nil || g.Orders != w.orders || g.OrdersWithException != w.exc || g.CompliantOrders != w.compliant {
			t.Errorf("variant %s: %+v, want orders %d with exception %d compliant %d", w.variant, g, w.orders, w.exc, w.compliant)
		}
	}
	if len(r.VariantGroups) != 4 {
		t.Errorf("variant_groups: %d rows, want every variant's 4", len(r.VariantGroups))
	}

	// The rollup, fed the same events, answers the same, and for windows
	// that cut the orders' life: from 10:30 O03 still counts its 10:01
	// exception, as Compute does from the events before the window.
	roll := NewRollup()
	for _, ev := range evs {
		if err := roll.Add(ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range [][2]time.Time{{at(8, 0), at(20, 0)}, {at(10, 20), at(13, 17)}, {at(10, 21).Add(30 * time.Second), at(10, 23)}} {
		got, err := roll.Report(w[0], w[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Compute(evs, w[0], w[1], nil)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("[%s, %s): the rollup differs from Compute:\n%s", w[0].Format("15:04:05"), w[1].Format("15:04:05"), reportDiff(t, got, want))
		}
	}
	if r, _ := Compute(evs, at(10, 21).Add(30*time.Second), at(10, 23), nil); r.Site.Orders != 1 || r.Site.OrdersWithException != 1 {
		t.Errorf("O03 shipped in the window after its exception before it: orders %d with exception %d, want 1 1",
			r.Site.Orders, r.Site.OrdersWithException)
	}
}

// TestOrderStandardsInIntegers: 1 order in 100 with an exception meets the
// ≤ 1% standard, 2 do not; 98 compliant in 100 meet ≥ 98%, 97 do not —
// compared exactly, not in floating point.
func TestOrderStandardsInIntegers(t *testing.T) {
	for _, tt := range []struct {
		exc, bad     int // of 100 orders: with an exception (not compliant), and compliant-breaking others
		rateOK, comp bool
	}{
		{0, 0, true, true},
		{1, 0, true, true},
		{1, 1, true, true},
		{2, 0, false, true},
		{1, 2, true, false},
		{0, 3, true, false},
	} {
		t.Run(fmt.Sprintf("%d exceptions %d late", tt.exc, tt.bad), func(t *testing.T) {
			var j journal
			for i := range 100 {
				ord, tm := fmt.Sprintf("O%d", i), at(8, 0).Add(time.Duration(i)*time.Minute)
				j.add(floorgate.EventTaskReceived, tm, floorgate.TaskRecord{Task: "T" + ord, Order: ord})
				if i < tt.exc {
					j.add(floorgate.EventExceptionRaised, tm, floorgate.ExceptionCase{ID: ord, Reason: floorgate.ReasonDamaged,
						Stage: floorgate.StagePack, Order: ord})
				}
				out := 60.0
				if i >= tt.exc && i < tt.exc+tt.bad {
					out = 1801 // over the outbound standard
				}
				j.add(floorgate.EventShipConfirmed, tm.Add(time.Second), floorgate.PackRecord{Order: ord, Packer: "k1", PackToShipS: out})
			}
			r, err := Compute(j.evs, at(8, 0), at(10, 0), nil)
			if err != nil {
				t.Fatal(err)
			}
			f := r.Site
			if f.Orders != 100 || f.OrdersWithException != tt.exc || f.CompliantOrders != 100-tt.exc-tt.bad {
				t.Fatalf("orders %d with exception %d compliant %d", f.Orders, f.OrdersWithException, f.CompliantOrders)
			}
			if *f.ExceptionRateOK != tt.rateOK || *f.ComplianceOK != tt.comp {
				t.Errorf("exception_rate %v ok %v, compliance %v ok %v; want ok %v %v", *f.ExceptionRate, *f.ExceptionRateOK,
					*f.Compliance, *f.ComplianceOK, tt.rateOK, tt.comp)
			}
		})
	}
}

// TestOrderStateIsDropped: the rollup keeps an order's past only while it
// is open: once every order of a shift has shipped or been cancelled,
// nothing of them is left (memory stays bounded by the open orders).
func TestOrderStateIsDropped(t *testing.T) {
	r := NewRollup()
	for i, ev := range orderShift() {
		if err := r.Add(ev); err != nil {
			t.Fatal(err)
		}
		if i == 5 && len(r.c.orders) != 1 {
			t.Errorf("after O01's start: %d open orders, want 1", len(r.c.orders))
		}
	}
	if n := len(r.c.orders) + len(r.c.taskOrder) + len(r.c.packing) + len(r.c.opening); n != 0 {
		t.Errorf("every order ended, but %d orders, %d tasks, %d packing, %d opening are kept",
			len(r.c.orders), len(r.c.taskOrder), len(r.c.packing), len(r.c.opening))
	}
}
