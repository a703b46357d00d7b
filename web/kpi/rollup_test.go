package kpi

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// randomJournal is n events of a floor with six pickers and two packers
// on five devices over about three days, of every type Compute reads, in
// a random order that a real floor could produce and some it could not
// (logouts of whoever is not logged in, completions of tasks never
// started). Times mostly go forward, by seconds to hours; now and then
// one steps back a little, as a scan stamped at its receive time does
// when a later one commits first.
func randomJournal(rng *rand.Rand, n int, start time.Time) []floorgate.Event {
	var j journal
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	ops := []string{"p1", "p2", "p3", "p4", "p5", "p6", "k1", "k2"}
	devs := []string{"d1", "d2", "d3", "d4", "d5"}
	tasks := []string{"T1", "T2", "T3", "T4", "T5", "T6", "T7"}
	locs := []string{"", "L1", "L2", "L3", "L4", "L5"}
	codes := []floorgate.Code{floorgate.CodeWrongLocation, floorgate.CodeItemBeforeLocation, floorgate.CodeWrongItem,
		floorgate.CodeOverPick, floorgate.CodeUnknownBarcode, floorgate.CodeDuplicateScan, floorgate.CodeDistance,
		floorgate.CodeTaskCancelled, floorgate.CodeNotLoggedIn, floorgate.CodeInvalidBarcode, floorgate.CodeWrongBatch,
		floorgate.CodeWrongTote, floorgate.CodeToteNotNeeded, floorgate.CodeToteExpected, floorgate.CodeUnknownTote}
	okCodes := []floorgate.Code{floorgate.CodeLocationOK, floorgate.CodeItemOK, floorgate.CodeLineDone,
		floorgate.CodeTaskDone, floorgate.CodeSerialNext, floorgate.CodePackItemOK,
		floorgate.CodeItemToTote, floorgate.CodePutOK, floorgate.CodeCartDone, floorgate.CodeToteBound}
	t := start
	for len(j.evs) < n {
		switch x := rng.Float64(); {
		case x < 0.02:
			t = t.Add(time.Duration(rng.Int64N(int64(5 * time.Hour))))
		default:
			t = t.Add(time.Duration(rng.Int64N(int64(3 * time.Minute))))
		}
		at := t
		if rng.IntN(20) == 0 {
			at = t.Add(-time.Duration(rng.Int64N(int64(2 * time.Second))))
		}
		op := pick(ops...)
		if rng.IntN(15) == 0 {
			op = ""
		}
		task := pick(tasks...)
		line := 1 + rng.IntN(3)
		switch rng.IntN(16) {
		case 0:
			j.login(at, cmp.Or(op, "p1"), pick(devs...)) // a login always names someone
		case 1:
			j.logout(at, cmp.Or(op, "p1"), pick(devs...))
		case 2:
			j.add(floorgate.EventTaskStarted, at, floorgate.TaskRecord{Task: task, Order: "O" + task, Operator: op})
		case 3, 4, 5, 6:
			rec := floorgate.ScanRecord{ScanID: fmt.Sprint("s", len(j.evs)), Device: pick(devs...), Operator: op,
				Location: pick(locs...), Kind: floorgate.MatchKind(pick(string(loc), string(item))),
				Distance: pick("in", "out", "unknown", "not_measurable", ""), Data: "x"}
			if rng.IntN(4) > 0 {
				rec.Task, rec.Line = task, line
				if rng.IntN(5) == 0 {
					rec.Line = 0 // a tote bound to a slot
				}
			}
			if rng.IntN(4) == 0 {
				rec.Qty = 1 + rng.IntN(12)
			}
			typ := floorgate.EventScanAccepted
			if rng.IntN(2) == 0 {
				typ = floorgate.EventScanRejected
				rec.Code = codes[rng.IntN(len(codes))]
				if rec.Code == floorgate.CodeDistance && rng.IntN(2) == 0 {
					// A pick mistake or a put mistake.
					inBand := append(codes[:3:3], codes[len(codes)-4:]...)
					rec.InBandCode = inBand[rng.IntN(len(inBand))]
				}
			} else {
				rec.Code = okCodes[rng.IntN(len(okCodes))]
			}
			j.add(typ, at, rec)
		case 7:
			j.add(floorgate.EventLineConfirmed, at, floorgate.LineRecord{Task: task, Line: line, Location: pick(locs...),
				Status: floorgate.LineStatus(pick(string(floorgate.LineDone), string(floorgate.LineShort))), Operator: op})
		case 8:
			j.add(floorgate.EventTaskCompleted, at, floorgate.TaskRecord{Task: task, Operator: op})
		case 9:
			if rng.IntN(3) == 0 {
				// A reason-coded exception on the task's order, raised
				// or resolved.
				c := floorgate.ExceptionCase{ID: fmt.Sprint("X", len(j.evs)), Reason: floorgate.Reasons()[rng.IntN(6)],
					Stage: floorgate.StagePick, Order: "O" + task, Task: task, Operator: op}
				typ := floorgate.EventExceptionRaised
				if rng.IntN(2) == 0 {
					typ = floorgate.EventExceptionResolved
					c.Resolution = &floorgate.Resolution{Action: floorgate.ResolveSendToERP, ResolveS: float64(rng.IntN(7200))}
				}
				j.add(typ, at, c)
				break
			}
			j.add(floorgate.EventPickException, at, floorgate.ExceptionRecord{
				Kind: pick(floorgate.ExceptionShortPick, floorgate.ExceptionIntercept, "other"), Task: task, Operator: op})
		case 10:
			started := at.Add(-time.Duration(rng.Int64N(int64(20 * time.Minute))))
			rec := floorgate.PackRecord{Order: "O" + task, Packer: op, Started: started, Device: pick(devs...),
				Variant: floorgate.OrderVariant(pick("", "presale", "crossborder", "peak")), Held: rng.IntN(8) == 0}
			typ := pick(floorgate.EventPackStarted, floorgate.EventPackCompleted, floorgate.EventShipConfirmed)
			switch {
			case typ == floorgate.EventPackCompleted && rng.IntN(2) == 0:
				rec.Packed = at
			case typ == floorgate.EventPackCompleted && rng.IntN(5) == 0:
				rec.Started = time.Time{}
			case typ == floorgate.EventShipConfirmed:
				rec.PackToShipS = float64(rng.IntN(3600)) + rng.Float64()
			}
			j.add(typ, at, rec)
		case 11:
			j.add(floorgate.EventLabelFailed, at, floorgate.PrintJob{ID: "waybill:" + task, Kind: "waybill", Packer: op})
		case 12:
			j.add(floorgate.EventTaskReceived, at, floorgate.TaskRecord{Task: task, Order: "O" + task, Wave: pick("", "W1", "W2")})
		case 13:
			// A cart takes one or two orders: from then on they are
			// cluster's (T1 and T2 never are).
			rec := floorgate.CartRecord{Cart: "C1", Operator: op, Device: pick(devs...)}
			for i := range 1 + rng.IntN(2) {
				rec.Orders = append(rec.Orders, floorgate.CartSlot{Slot: i + 1, Task: pick(tasks[2:]...)})
			}
			j.add(pick(floorgate.EventCartStarted, floorgate.EventCartCompleted), at, rec)
		case 14:
			j.add(floorgate.EventPickPut, at, floorgate.PutRecord{Cart: "C1", Slot: 1, Task: task, Line: line,
				Qty: 1 + rng.IntN(6), Operator: op})
		default:
			// Whole seconds and hours happen: a window edge exactly on an
			// event.
			j.scan(at.Truncate(time.Second), true, op, task, line, loc, floorgate.CodeLocationOK, "in")
		}
	}
	return j.evs
}

// randomWindow is a window around [first, last]: each end on the hour, on
// a second or anywhere, and now and then exactly on an event.
func randomWindow(rng *rand.Rand, evs []floorgate.Event, first, last time.Time) (from, to time.Time) {
	span := last.Sub(first) + 4*time.Hour
	edge := func() time.Time {
		if rng.IntN(5) == 0 {
			return evs[rng.IntN(len(evs))].Time
		}
		t := first.Add(-2*time.Hour + time.Duration(rng.Int64N(int64(span))))
		switch rng.IntN(3) {
		case 0:
			return t.Truncate(time.Hour)
		case 1:
			return t.Truncate(time.Second)
		}
		return t
	}
	from, to = edge(), edge()
	if to.Before(from) {
		from, to = to, from
	}
	if rng.IntN(6) == 0 {
		to = from.Add(time.Duration(rng.Int64N(int64(90 * time.Minute)))) // within an hour or two
	}
	if to.Sub(from) > MaxWindow {
		to = from.Add(MaxWindow)
	}
	return from, to
}

var names = map[string]string{"p1": "Ann", "k1": "Kim"}

// TestRollupIsCompute is the rollup's guard: for random journals and
// random windows — ends on and off the hour, on events, inside one hour,
// past the last event — the report the rollup serves is exactly
// Compute's over the same events, while the journal grows; and the
// summary is that report without each person's hours.
func TestRollupIsCompute(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 15))
			start := time.Date(2026, 11, 20, 6, 17, 0, 0, time.UTC)
			evs := randomJournal(rng, 1500, start)
			r := NewRollup()
			checked, refused := 0, 0
			for i, ev := range evs {
				if err := r.Add(ev); err != nil {
					t.Fatal(err)
				}
				if i%150 != 149 && i != len(evs)-1 {
					continue
				}
				sofar := evs[:i+1]
				for range 25 {
					from, to := randomWindow(rng, sofar, start, ev.Time)
					got, err := r.Report(from, to, names)
					if errors.Is(err, ErrNeedJournal) {
						refused++
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					want, err := Compute(sofar, from, to, names)
					if err != nil {
						t.Fatal(err)
					}
					checked++
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("after %d events, [%s, %s): the rollup's report differs from Compute's:\n%s",
							i+1, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), reportDiff(t, got, want))
					}
					// The summary is the same without each person's hours.
					sum, err := r.Summary(from, to, names)
					if err != nil {
						t.Fatal(err)
					}
					for i := range want.People {
						want.People[i].Hours = []Hour{}
					}
					if !reflect.DeepEqual(sum, want) {
						t.Fatalf("[%s, %s): the summary differs from Compute's report without people's hours:\n%s",
							from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano), reportDiff(t, sum, want))
					}
				}
			}
			if refused > checked/20 {
				t.Errorf("%d windows refused, %d checked: the rollup should answer nearly every window", refused, checked)
			}
		})
	}
}

func reportDiff(t *testing.T, got, want Report) string {
	out := ""
	for _, d := range diff("", asJSON(t, got), asJSON(t, want)) {
		out += d + "\n"
	}
	if out == "" {
		out = "(same JSON: a float differs in its last bits, or nil against empty)"
	}
	return out
}

// TestRollupTimesGoingBackwards: where an event's time is before one added
// ahead of it, Compute over a window ending between the two ignores the
// later-added one's running state; the rollup cannot, and says so.
func TestRollupTimesGoingBackwards(t *testing.T) {
	var j journal
	j.add(floorgate.EventTaskStarted, at(9, 0), floorgate.TaskRecord{Task: "T1", Operator: "p1"})
	// Started again at 10:05, committed before a completion stamped 10:00.
	j.add(floorgate.EventTaskStarted, at(10, 5), floorgate.TaskRecord{Task: "T1", Operator: "p1"})
	j.add(floorgate.EventTaskCompleted, at(10, 0), floorgate.TaskRecord{Task: "T1", Operator: "p1"})
	r := NewRollup()
	for _, ev := range j.evs {
		if err := r.Add(ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		to   time.Time
		want error
	}{
		{at(10, 0), nil},            // the completion is out: nothing differs
		{at(10, 1), ErrNeedJournal}, // Compute times it from 09:00
		{at(10, 5), ErrNeedJournal}, // still without the 10:05 start
		{at(10, 5).Add(1), nil},     // both starts in: timed from 10:05, both ways
		{at(12, 0), nil},
	} {
		got, err := r.Report(at(9, 0), tt.to, nil)
		if !errors.Is(err, tt.want) {
			t.Errorf("to %s: err = %v, want %v", tt.to.Format("15:04:05.999999999"), err, tt.want)
			continue
		}
		if err != nil {
			continue
		}
		want, _ := Compute(j.evs, at(9, 0), tt.to, nil)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("to %s: the rollup's report differs from Compute's:\n%s", tt.to.Format("15:04:05.999999999"), reportDiff(t, got, want))
		}
	}
}

// TestRollupBrokenEvent: a payload that does not decode fails every report
// after it, as it fails Compute over any window.
func TestRollupBrokenEvent(t *testing.T) {
	var j journal
	j.scan(at(9, 0), true, "p1", "T1", 1, loc, floorgate.CodeLocationOK, "in")
	j.add(floorgate.EventLineConfirmed, at(9, 1), "not a line")
	r := NewRollup()
	if err := r.Add(j.evs[0]); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(j.evs[1]); err == nil {
		t.Fatal("a broken line record was added without an error")
	}
	_, err := r.Report(at(8, 0), at(8, 30), nil)
	_, want := Compute(j.evs, at(8, 0), at(8, 30), nil)
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("report: %v, want Compute's %v", err, want)
	}
}

// TestAccMerge: merge adds every field of acc, and shares nothing with
// what it adds; a field added to acc but not to accInts, accSamples or
// merge fails here.
func TestAccMerge(t *testing.T) {
	var a acc
	for i, f := range accInts {
		*f(&a) = i + 1
	}
	for i, f := range accSamples {
		*f(&a) = []float64{float64(i) + 0.5}
	}
	a.loggedIn = time.Minute
	a.byCode = map[floorgate.Code]int{"x": 2}
	a.wrongAt = map[string]map[floorgate.Code]int{"L1": {"x": 3}}
	a.byReason = map[floorgate.ExceptionReason]int{floorgate.ReasonDamaged: 5}
	g := a.group(groupKey{waveGroup, "W1"})
	for i, f := range groupInts {
		*f(g) = i + 1
	}
	for i, f := range groupSamples {
		*f(g) = []float64{float64(i) + 0.25}
	}
	a.distByDev = map[string]distCounts{"scanner-1": {0, 0, 1, 4}}
	v := reflect.ValueOf(a)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("acc.%s is not in accInts or accSamples, so merge and the marks lose it", v.Type().Field(i).Name)
		}
	}
	var b acc
	b.merge(&a)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("zero + a = %+v, want %+v", b, a)
	}
	b.merge(&a)
	a.byCode["x"], a.wrongAt["L1"]["x"], a.outbound[0] = 100, 100, 100
	if b.byCode["x"] != 4 || b.wrongAt["L1"]["x"] != 6 || b.outbound[0] != 0.5 || b.scans != 2 {
		t.Errorf("a + a = %+v: shares with a, or does not add", b)
	}
	g.pick[0], g.orders = 100, 100
	if bg := b.groups[groupKey{waveGroup, "W1"}]; bg.pick[0] != 0.25 || bg.orders != 2 || b.byReason[floorgate.ReasonDamaged] != 10 {
		t.Errorf("a + a's groups = %+v, by reason %v: share with a, or do not add", bg, b.byReason)
	}
}

// TestSortSeconds: the radix sort orders like slices.Sort — negatives,
// zeros, ties, fractions and whole numbers, short lists and long.
func TestSortSeconds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 255, 256, 1000, 50_000} {
		xs := make([]float64, n)
		for i := range xs {
			switch rng.IntN(5) {
			case 0:
				xs[i] = float64(rng.IntN(100)) // ties
			case 1:
				xs[i] = -rng.Float64() * 1e3
			case 2:
				xs[i] = rng.ExpFloat64() * 1e-6
			default:
				xs[i] = rng.Float64() * 7200
			}
		}
		want := slices.Clone(xs)
		slices.Sort(want)
		sortSeconds(xs)
		if !slices.Equal(xs, want) {
			t.Errorf("%d values: not sorted as slices.Sort sorts them", n)
		}
	}
}
