package scan_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// t0 is the fixed time the tests run at; the engine never reads the clock.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	dev = "pda-1"
	op  = "op-7"

	barA     = "LOC-A-01-01"
	barB     = "LOC-B-02-05"
	barRed   = "6901234567892"
	barBlue  = "6901234567885"
	barGreen = "6901234567878"
	barPink  = "6901234567861"
)

// task is the fixture task: two lines at bin A-01-01, then a keyed-quantity
// line at B-02-05. mods adjust it.
func task(mods ...func(*floorgate.Task)) func() *floorgate.Task {
	return func() *floorgate.Task {
		t := &floorgate.Task{
			ID: "T1", Order: "SO-1001", Wave: "W7",
			Status: floorgate.TaskAssigned, Operator: op, Device: dev,
			Created: t0.Add(-time.Hour), AssignedAt: t0.Add(-10 * time.Minute),
			Lines: []floorgate.TaskLine{
				{Location: "A-01-01", SKU: "RED", Qty: 2, Status: floorgate.LineOpen},
				{Location: "A-01-01", SKU: "BLUE", Qty: 1, Status: floorgate.LineOpen},
				{Location: "B-02-05", SKU: "GREEN", Qty: 5, KeyedQty: true, Status: floorgate.LineOpen},
			},
		}
		for _, m := range mods {
			m(t)
		}
		return t
	}
}

func picked(i, n int) func(*floorgate.Task) {
	return func(t *floorgate.Task) { t.Lines[i].Picked = n }
}

// closed closes line i as done (fully picked) or short (picked as set).
func closed(i int, s floorgate.LineStatus) func(*floorgate.Task) {
	return func(t *floorgate.Task) {
		l := &t.Lines[i]
		l.Status, l.ClosedAt = s, t0.Add(-time.Minute)
		if s == floorgate.LineDone {
			l.Picked = l.Qty
		}
	}
}

func status(s floorgate.TaskStatus) func(*floorgate.Task) {
	return func(t *floorgate.Task) { t.Status = s }
}

// clone is a deep copy, to prove the engine left its input alone.
func clone(t *floorgate.Task) *floorgate.Task {
	if t == nil {
		return nil
	}
	c := *t
	c.Lines = append([]floorgate.TaskLine(nil), t.Lines...)
	return &c
}

var (
	locA = floorgate.Match{Kind: floorgate.MatchLocation,
		Location: &floorgate.Location{Code: "A-01-01", Zone: "Z1", Barcode: barA, LabelXMM: 0.25}}
	locB = floorgate.Match{Kind: floorgate.MatchLocation,
		Location: &floorgate.Location{Code: "B-02-05", Zone: "Z1", Barcode: barB, LabelXMM: 0.25}}
	itemRed   = item("RED", barRed)
	itemBlue  = item("BLUE", barBlue)
	itemGreen = item("GREEN", barGreen)
	itemPink  = item("PINK", barPink)
	unknown   = floorgate.Match{}
)

func item(sku, bar string) floorgate.Match {
	return floorgate.Match{Kind: floorgate.MatchItem, Item: &floorgate.Item{SKU: sku, Name: sku, Barcodes: []string{bar}}}
}

// fixtureLoc is where each of the fixture task's items is.
var fixtureLoc = map[string]string{"RED": "A-01-01", "BLUE": "A-01-01", "GREEN": "B-02-05"}

// sess is a logged-in session on the fixture task, at line i. Its Location
// is where the picker is: at line i's bin when atLocation, else at the bin
// of the line just closed, if any.
func sess(i int, atLocation bool, closedSKU string) floorgate.Session {
	s := floorgate.Session{Device: dev, Operator: op, Task: "T1", Line: i, AtLocation: atLocation, ClosedSKU: closedSKU}
	switch {
	case atLocation:
		s.Location = []string{"A-01-01", "A-01-01", "B-02-05"}[i]
	case closedSKU != "":
		s.Location = fixtureLoc[closedSKU]
	}
	return s
}

// read is a scan of data received at t0+at.
func read(data string, at time.Duration) floorgate.Scan {
	return floorgate.Scan{ID: "s-" + data, Device: dev, Data: data, At: t0.Add(at), DeviceTime: t0.Add(at - 40*time.Millisecond)}
}

func withQty(sc floorgate.Scan, n int) floorgate.Scan { sc.Qty = n; return sc }

func withMM(sc floorgate.Scan, mm float64) floorgate.Scan { sc.DistanceMM = mm; return sc }

func withAIM(sc floorgate.Scan, aim string) floorgate.Scan { sc.AIM = aim; return sc }

// unmeasurable is sc from a device that can never know its distance (a
// wired scanner).
func unmeasurable(sc floorgate.Scan) floorgate.Scan { sc.Unmeasurable = true; return sc }

func policy(mode floorgate.DistanceMode) *floorgate.Policy {
	p := floorgate.DefaultPolicy()
	p.Distance.Mode = mode
	return &p
}

func decode[T any](t *testing.T, e floorgate.Event) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		t.Fatalf("decode %s: %v", e.Type, err)
	}
	return v
}

func types(evs []floorgate.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// checkEvents asserts the event types in order, and that each is built for
// the store to complete: the step's time, the schema, no id or sequence.
func checkEvents(t *testing.T, evs []floorgate.Event, at time.Time, want ...string) {
	t.Helper()
	if got := types(evs); !reflect.DeepEqual(got, want) && (len(got) != 0 || len(want) != 0) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for _, e := range evs {
		if !e.Time.Equal(at) || e.Schema != floorgate.EventSchema || e.ID != "" || e.Seq != 0 || e.Site != "" {
			t.Errorf("event %s: time %v schema %d id %q seq %d site %q; want time %v, schema %d, rest empty",
				e.Type, e.Time, e.Schema, e.ID, e.Seq, e.Site, at, floorgate.EventSchema)
		}
	}
}

// checkUnchanged asserts a refused step left the state as it was.
func checkUnchanged(t *testing.T, st scan.State, r scan.Result) {
	t.Helper()
	if !reflect.DeepEqual(r.Session, st.Session) {
		t.Errorf("session changed by a refused step:\n got %+v\nwant %+v", r.Session, st.Session)
	}
	if r.Task != st.Task || r.TaskChanged {
		t.Errorf("task changed by a refused step: TaskChanged=%v, same pointer=%v", r.TaskChanged, r.Task == st.Task)
	}
}
