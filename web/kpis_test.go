package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/web/kpi"
)

// countingJournal counts the events the KPIs read from the store.
type countingJournal struct {
	kpiJournal
	mu   sync.Mutex
	read int
}

func (c *countingJournal) Journal(from uint64, limit int) ([]floorgate.Event, error) {
	evs, err := c.kpiJournal.Journal(from, limit)
	c.mu.Lock()
	c.read += len(evs)
	c.mu.Unlock()
	return evs, err
}

func (c *countingJournal) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.read
	c.read = 0
	return n
}

// TestKPIsFromTheRollup: /api/v1/kpi and /api/v1/exceptions answer from
// the rollup: the first request reads the journal once, each later one
// reads only what was journalled since (nothing, a few events), and never
// the whole journal again; what they answer is Compute's over the whole
// journal, for whole hours and for ends off the hour (with
// people_hours=false, without each person's hours), and the exceptions
// list is the window's.
func TestKPIsFromTheRollup(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	var evs []floorgate.Event
	for i := range 3000 {
		at := start.Add(time.Duration(i) * 7 * time.Second) // about six hours
		op := fmt.Sprintf("p%d", i%4)
		switch i % 50 {
		case 0:
			evs = append(evs, floorgate.NewEvent(floorgate.EventOperatorLoggedIn, at, floorgate.OperatorRecord{Operator: op, Device: "d-" + op}))
		case 1:
			if cart := i / 50 % 3; cart == 0 {
				// Every third task is a cart's order: its scans are puts.
				evs = append(evs, floorgate.NewEvent(floorgate.EventCartStarted, at, floorgate.CartRecord{Cart: "C1", Operator: op,
					Orders: []floorgate.CartSlot{{Slot: 1, Task: fmt.Sprint("T", i/50)}}}))
			}
			evs = append(evs, floorgate.NewEvent(floorgate.EventTaskStarted, at, floorgate.TaskRecord{Task: fmt.Sprint("T", i/50), Operator: op}))
		case 48:
			evs = append(evs, floorgate.NewEvent(floorgate.EventTaskCompleted, at, floorgate.TaskRecord{Task: fmt.Sprint("T", i/50), Operator: op}))
		case 49:
			evs = append(evs, floorgate.NewEvent(floorgate.EventPickException, at, floorgate.ExceptionRecord{Kind: floorgate.ExceptionShortPick,
				Task: fmt.Sprint("T", i/50), Operator: op}))
		default:
			code, wrong := floorgate.CodeItemOK, floorgate.CodeWrongItem
			if i/50%3 == 0 {
				code, wrong = floorgate.CodePutOK, floorgate.CodeWrongTote
			}
			typ := floorgate.EventScanAccepted
			if i%17 == 0 {
				code, typ = wrong, floorgate.EventScanRejected
			}
			evs = append(evs, floorgate.NewEvent(typ, at, floorgate.ScanRecord{ScanID: fmt.Sprint("s", i), Device: "d-" + op,
				Operator: op, Task: fmt.Sprint("T", i/50), Line: 1, Location: "L1", Kind: floorgate.MatchItem, Code: code, Distance: "in"}))
			if code == floorgate.CodePutOK {
				evs = append(evs, floorgate.NewEvent(floorgate.EventPickPut, at, floorgate.PutRecord{Cart: "C1", Slot: 1,
					Task: fmt.Sprint("T", i/50), Line: 1, Qty: 2, Operator: op}))
			}
		}
	}
	if err := ts.db.EmitEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	journal := &countingJournal{kpiJournal: ts.db}
	ts.s.kpis.src = journal

	getQuery := func(h http.HandlerFunc, from, to time.Time, query string, v any) {
		t.Helper()
		r := httptest.NewRequest("GET", "/?from="+from.Format(time.RFC3339)+"&to="+to.Format(time.RFC3339)+query, nil)
		w := httptest.NewRecorder()
		h(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", r.URL, w.Code, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
			t.Fatal(err)
		}
	}
	get := func(h http.HandlerFunc, from, to time.Time, v any) {
		t.Helper()
		getQuery(h, from, to, "&people_hours=true", v)
	}
	check := func(from, to time.Time) {
		t.Helper()
		var got, summary kpi.Report
		get(ts.s.handleKPI, from, to, &got)
		getQuery(ts.s.handleKPI, from, to, "", &summary)
		all, err := ts.db.Journal(1, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		want, err := kpi.Compute(all, from, to, ts.s.names())
		if err != nil {
			t.Fatal(err)
		}
		// Through JSON, as the client sees both.
		var w kpi.Report
		raw, _ := json.Marshal(want)
		json.Unmarshal(raw, &w)
		if !reflect.DeepEqual(got, w) {
			t.Errorf("[%s, %s): the served report is not Compute's over the journal", from, to)
		}
		for i := range w.People {
			w.People[i].Hours = []kpi.Hour{}
		}
		if !reflect.DeepEqual(summary, w) {
			t.Errorf("[%s, %s): the default report is not Compute's without people's hours", from, to)
		}
	}

	check(start, start.Add(24*time.Hour))
	if n := journal.take(); n != len(evs) {
		t.Errorf("the first request read %d events, want the journal's %d once", n, len(evs))
	}
	// Both modes are served: units an hour, and the carts' puts.
	var rep kpi.Report
	get(ts.s.handleKPI, start, start.Add(24*time.Hour), &rep)
	if d, c := rep.Site.Modes[floorgate.ModeDiscrete], rep.Site.Modes[floorgate.ModeCluster]; d.Units == 0 || d.UnitsPerHour == 0 ||
		c.Units == 0 || c.UnitsPerHour == 0 || c.Puts == 0 || c.WrongPuts == 0 || c.PutAccuracy == nil || d.Puts != 0 {
		t.Errorf("site modes = %+v", rep.Site.Modes)
	}
	for _, w := range [][2]time.Time{
		{start.Add(2 * time.Hour), start.Add(3 * time.Hour)},
		{start.Add(90*time.Minute + 13*time.Second), start.Add(4*time.Hour + 59*time.Minute)},
		{start.Add(-time.Hour), start.Add(31*24*time.Hour - time.Hour)},
	} {
		check(w[0], w[1])
		if n := journal.take(); n != 0 {
			t.Errorf("[%s, %s) read %d events with nothing new journalled, want 0", w[0], w[1], n)
		}
	}

	later := start.Add(6 * time.Hour)
	if err := ts.db.EmitEvents(ctx, []floorgate.Event{floorgate.NewEvent(floorgate.EventPickException, later,
		floorgate.ExceptionRecord{Kind: floorgate.ExceptionIntercept, Task: "T9", Operator: "p1"})}); err != nil {
		t.Fatal(err)
	}
	check(start, later.Add(time.Second))
	if n := journal.take(); n != 1 {
		t.Errorf("after one new event the request read %d events, want 1", n)
	}

	w := httptest.NewRecorder()
	ts.s.handleKPI(w, httptest.NewRequest("GET", "/?people_hours=some", nil))
	if w.Code != http.StatusBadRequest {
		t.Errorf("people_hours=some: %d %s, want 400", w.Code, w.Body)
	}
	journal.take()

	// The exceptions of 08:00–09:00 only: read from those hours' stretch
	// of the journal, not all of it.
	var exc struct {
		Items []exceptionItem `json:"items"`
	}
	from, to := start.Add(2*time.Hour), start.Add(3*time.Hour)
	get(ts.s.handleExceptions, from, to, &exc)
	want := 0
	for _, ev := range evs {
		if ev.Type == floorgate.EventPickException && !ev.Time.Before(from) && ev.Time.Before(to) {
			want++
		}
	}
	if len(exc.Items) != want || want == 0 {
		t.Errorf("%d exceptions, want %d", len(exc.Items), want)
	}
	for _, it := range exc.Items {
		if it.Time.Before(from) || !it.Time.Before(to) {
			t.Errorf("exception at %s is outside the window", it.Time)
		}
	}
	if n := journal.take(); n > len(evs)/5 {
		t.Errorf("the exceptions of one hour read %d events of %d", n, len(evs))
	}

	// Retention deletes the first three hours once upstream has them:
	// the rollup starts again from what is left, as Compute over the
	// journal does (the sessions and task starts they held are gone).
	seqs, err := ts.db.OutboxSeqs()
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.db.Ack(ctx, seqs); err != nil {
		t.Fatal(err)
	}
	if n, err := ts.db.Prune(ctx, start.Add(3*time.Hour)); err != nil || n == 0 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	check(start, later.Add(time.Second))
	left := 1 // the intercept at 12:00
	for _, ev := range evs {
		if !ev.Time.Before(start.Add(3 * time.Hour)) {
			left++
		}
	}
	if n := journal.take(); n != left {
		t.Errorf("after retention the request read %d events, want the %d left once", n, left)
	}
}

// TestKPIsToldOfCommits: once the rollup is built it is told of every
// commit by the store, so a request after new scans reads nothing from the
// journal and still answers Compute's over all of it; when more was
// committed between two catch-ups than it holds, it reads exactly what it
// let go.
func TestKPIsToldOfCommits(t *testing.T) {
	ts := newTestServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	scans := func(from, n int) []floorgate.Event {
		var evs []floorgate.Event
		for i := from; i < from+n; i++ {
			at := start.Add(time.Duration(i) * 5 * time.Second)
			evs = append(evs, floorgate.NewEvent(floorgate.EventScanAccepted, at, floorgate.ScanRecord{ScanID: fmt.Sprint("s", i),
				Device: "d1", Operator: "p1", Task: "T1", Line: 1, Location: "L1", Kind: floorgate.MatchItem, Code: floorgate.CodeItemOK, Distance: "in"}))
		}
		return evs
	}
	if err := ts.db.EmitEvents(ctx, scans(0, 500)); err != nil {
		t.Fatal(err)
	}
	journal := &countingJournal{kpiJournal: ts.db}
	k := ts.s.kpis
	k.src = journal
	k.maxHeld = 100
	done := make(chan struct{})
	go func() { defer close(done); k.run(ctx) }()
	defer func() { cancel(); <-done }()
	<-k.built
	if n := journal.take(); n != 500 {
		t.Fatalf("the build read %d events, want 500", n)
	}
	check := func(what string, wantRead int) {
		t.Helper()
		from, to := start, start.Add(24*time.Hour)
		got, err := k.report(ctx, from, to, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if n := journal.take(); n != wantRead {
			t.Errorf("%s: the request read %d events from the journal, want %d", what, n, wantRead)
		}
		all, err := ts.db.Journal(1, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		want, err := kpi.Compute(all, from, to, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.People {
			want.People[i].Hours = []kpi.Hour{}
		}
		if got.Site.Scans != want.Site.Scans || got.Site.Scans != len(all) {
			t.Errorf("%s: %d scans, Compute says %d of %d events", what, got.Site.Scans, want.Site.Scans, len(all))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the report is not Compute's over the journal", what)
		}
	}
	for i := range 5 {
		if err := ts.db.EmitEvents(ctx, scans(500+i*10, 10)); err != nil {
			t.Fatal(err)
		}
	}
	check("after 50 new events, told", 0)
	if err := ts.db.EmitEvents(ctx, scans(550, 150)); err != nil {
		t.Fatal(err)
	}
	check("after 150 new events, more than it holds", 150)
}
