package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/web/kpi"
)

// TestKPICSV: every table of /api/v1/kpi.csv adds up to /api/v1/kpi over
// the same window: the days to the site, each person's days to the
// person, the hours to the site's hours; a window over three days has a
// row per day; an unknown table is refused naming it.
func TestKPICSV(t *testing.T) {
	ts := newTestServer(t)
	start := time.Date(2026, 11, 20, 20, 0, 0, 0, time.Local)
	var evs []floorgate.Event
	for i := range 1500 {
		at := start.Add(time.Duration(i) * 2 * time.Minute) // about two days
		op := fmt.Sprintf("p%d", i%3)
		typ, code := floorgate.EventScanAccepted, floorgate.CodeItemOK
		if i%11 == 0 {
			typ, code = floorgate.EventScanRejected, floorgate.CodeWrongItem
		}
		if i%25 == 0 {
			evs = append(evs, floorgate.NewEvent(floorgate.EventOperatorLoggedIn, at, floorgate.OperatorRecord{Operator: op, Device: "d-" + op}))
		}
		evs = append(evs, floorgate.NewEvent(typ, at, floorgate.ScanRecord{ScanID: fmt.Sprint("s", i), Device: "d-" + op,
			Operator: op, Task: fmt.Sprint("T", i/10), Line: 1, Location: "L1", Kind: floorgate.MatchItem, Code: code, Distance: "in"}))
	}
	if err := ts.db.EmitEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	from, to := start.Add(-time.Hour), start.Add(51*time.Hour)
	q := "from=" + from.Format(time.RFC3339) + "&to=" + to.Format(time.RFC3339)
	table := func(name string) (map[string]int, [][]string) {
		t.Helper()
		w := httptest.NewRecorder()
		ts.s.handleKPICSV(w, httptest.NewRequest("GET", "/api/v1/kpi.csv?table="+name+"&"+q, nil))
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
		rows, err := csv.NewReader(w.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, c := range rows[0] {
			col[c] = i
		}
		return col, rows[1:]
	}
	var rep kpi.Report
	w := httptest.NewRecorder()
	ts.s.handleKPI(w, httptest.NewRequest("GET", "/api/v1/kpi?"+q, nil))
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	sum := func(col map[string]int, rows [][]string, name string, keep func([]string) bool) int {
		n := 0
		for _, r := range rows {
			if keep == nil || keep(r) {
				v, err := strconv.Atoi(r[col[name]])
				if err != nil {
					t.Fatalf("%s %q: %v", name, r[col[name]], err)
				}
				n += v
			}
		}
		return n
	}
	col, days := table("days")
	if len(days) != 3 {
		t.Fatalf("%d day rows over a window across three days", len(days))
	}
	for _, f := range []string{"scans", "rejected", "wrong_pick_scans", "distance_in", "distance_not_measurable", "orders"} {
		if got, want := sum(col, days, f, nil), figure(t, rep.Site, f); got != want {
			t.Errorf("days' %s add up to %d, the site's is %d", f, got, want)
		}
	}
	col, site := table("site")
	if len(site) != 1 || sum(col, site, "scans", nil) != rep.Site.Scans {
		t.Errorf("site row %v, want scans %d", site, rep.Site.Scans)
	}
	col, hours := table("hours")
	if len(hours) != len(rep.Hours) || sum(col, hours, "scans", nil) != rep.Site.Scans {
		t.Errorf("%d hour rows (API %d), scans %d (site %d)", len(hours), len(rep.Hours), sum(col, hours, "scans", nil), rep.Site.Scans)
	}
	pcol, people := table("people")
	dcol, pdays := table("people_days")
	if len(people) != len(rep.People) {
		t.Fatalf("%d people rows, the API has %d", len(people), len(rep.People))
	}
	for _, p := range rep.People {
		op := func(r []string) bool { return r[pcol["operator"]] == p.Operator }
		if got := sum(pcol, people, "scans", op); got != p.Scans {
			t.Errorf("%s: people row scans %d, API %d", p.Operator, got, p.Scans)
		}
		if got := sum(dcol, pdays, "scans", func(r []string) bool { return r[dcol["operator"]] == p.Operator }); got != p.Scans {
			t.Errorf("%s: days add up to %d scans, API %d", p.Operator, got, p.Scans)
		}
	}
	w = httptest.NewRecorder()
	ts.s.handleKPICSV(w, httptest.NewRequest("GET", "/api/v1/kpi.csv?table=wave&"+q, nil))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `table: \"wave\" is not one of`) {
		t.Fatalf("unknown table: %d %s", w.Code, w.Body)
	}
}

// figure is one integer figure of f by its CSV column's name.
func figure(t *testing.T, f kpi.Figures, name string) int {
	for _, c := range figureColumns {
		if c.name == name {
			v, err := strconv.Atoi(c.val(&f))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no column %s", name)
	return 0
}

// TestTimelinesCSV: every order released in the window is one row, in
// order-id order across the store's read batches, with its node times and
// stage durations; orders released outside the window are not.
func TestTimelinesCSV(t *testing.T) {
	ts := newTestServer(t)
	start := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	var evs []floorgate.Event
	for i := range 2500 {
		at := start.Add(time.Duration(i) * time.Minute)
		order := fmt.Sprintf("O%05d", i)
		evs = append(evs, floorgate.NewEvent(floorgate.EventTaskReceived, at, floorgate.TaskRecord{Task: "T" + order, Order: order, Lines: 1}))
		if i%2 == 0 {
			evs = append(evs, floorgate.NewEvent(floorgate.EventPackStarted, at.Add(10*time.Second), floorgate.PackRecord{Order: order, Packer: "k1", Started: at.Add(10 * time.Second)}),
				floorgate.NewEvent(floorgate.EventPackCompleted, at.Add(70*time.Second), floorgate.PackRecord{Order: order, Packer: "k1", Packed: at.Add(70 * time.Second)}),
				floorgate.NewEvent(floorgate.EventShipConfirmed, at.Add(130*time.Second), floorgate.PackRecord{Order: order, Packer: "k1"}))
		}
	}
	if err := ts.db.EmitEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	// 2,200 orders released in the window: more than one read batch.
	from, to := start.Add(100*time.Minute), start.Add(2300*time.Minute)
	w := httptest.NewRecorder()
	ts.s.handleTimelinesCSV(w, httptest.NewRequest("GET", "/api/v1/timelines.csv?from="+from.Format(time.RFC3339)+"&to="+to.Format(time.RFC3339), nil))
	rows, err := csv.NewReader(w.Body).ReadAll()
	if err != nil || w.Code != http.StatusOK {
		t.Fatalf("%d %v", w.Code, err)
	}
	if len(rows) != 2201 || strings.Join(rows[0], ",") != strings.Join(timelineColumns, ",") {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	for i, r := range rows[1:] {
		want := fmt.Sprintf("O%05d", 100+i)
		if r[col["order"]] != want {
			t.Fatalf("row %d is %s, want %s", i, r[col["order"]], want)
		}
		shipped := (100+i)%2 == 0
		if shipped != (r[col["shipped"]] != "") || shipped && (r[col["pack_s"]] != "60" || r[col["outbound_s"]] != "60" || r[col["release_to_ship_s"]] != "130") {
			t.Fatalf("row %v", r)
		}
	}
}

// TestKPICSVOrderTables: the waves and variants tables have a row per
// Report.Waves and Report.VariantGroups entry, with the same figures, and
// their orders add up to the site's.
func TestKPICSVOrderTables(t *testing.T) {
	ts := newTestServer(t)
	start := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	var evs []floorgate.Event
	variants := []floorgate.OrderVariant{"", floorgate.VariantPreSale, floorgate.VariantPeak}
	for i := range 60 {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		task, order := fmt.Sprintf("T%03d", i), fmt.Sprintf("O%03d", i)
		wave := fmt.Sprintf("W%d", i%4)
		evs = append(evs, floorgate.NewEvent(floorgate.EventTaskReceived, at, floorgate.TaskRecord{Task: task, Order: order, Wave: wave, Lines: 1}),
			floorgate.NewEvent(floorgate.EventTaskStarted, at, floorgate.TaskRecord{Task: task, Order: order, Wave: wave, Operator: "p1", Lines: 1}))
		code, typ := floorgate.CodeLineDone, floorgate.EventScanAccepted
		if i%7 == 0 {
			code, typ = floorgate.CodeWrongItem, floorgate.EventScanRejected
		}
		evs = append(evs, floorgate.NewEvent(typ, at.Add(time.Second), floorgate.ScanRecord{ScanID: "s" + order, Device: "d1",
			Operator: "p1", Task: task, Line: 1, Kind: floorgate.MatchItem, Code: code, Distance: "in"}),
			floorgate.NewEvent(floorgate.EventTaskCompleted, at.Add(time.Minute), floorgate.TaskRecord{Task: task, Order: order, Operator: "p1"}),
			floorgate.NewEvent(floorgate.EventShipConfirmed, at.Add(3*time.Minute), floorgate.PackRecord{Order: order, Packer: "k1",
				PackToShipS: float64(60 * (i % 40)), Variant: variants[i%3]}))
	}
	if err := ts.db.EmitEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	q := "from=" + start.Format(time.RFC3339) + "&to=" + start.Add(6*time.Hour).Format(time.RFC3339)
	var rep kpi.Report
	w := httptest.NewRecorder()
	ts.s.handleKPI(w, httptest.NewRequest("GET", "/api/v1/kpi?"+q, nil))
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Site.Orders != 60 || len(rep.Waves) != 4 || len(rep.VariantGroups) != 4 {
		t.Fatalf("API: %d orders, %d waves, %d variants; want 60 4 4", rep.Site.Orders, len(rep.Waves), len(rep.VariantGroups))
	}
	for table, want := range map[string][]kpi.OrderGroup{"waves": rep.Waves, "variants": rep.VariantGroups} {
		w := httptest.NewRecorder()
		ts.s.handleKPICSV(w, httptest.NewRequest("GET", "/api/v1/kpi.csv?table="+table+"&"+q, nil))
		rows, err := csv.NewReader(w.Body).ReadAll()
		if err != nil || w.Code != http.StatusOK {
			t.Fatalf("%s: %d %v", table, w.Code, err)
		}
		if len(rows) != len(want)+1 {
			t.Fatalf("%s: %d rows, the API has %d", table, len(rows)-1, len(want))
		}
		key := strings.TrimSuffix(table, "s")
		if rows[0][2] != key {
			t.Errorf("%s: third column %q, want %q", table, rows[0][2], key)
		}
		orders := 0
		for i, r := range rows[1:] {
			g := &want[i]
			if r[2] != g.Group {
				t.Errorf("%s row %d is %q, the API's %q", table, i, r[2], g.Group)
			}
			for j, c := range groupColumns {
				if got := r[3+j]; got != c.val(g) {
					t.Errorf("%s %s %s = %s, the API's %s", table, g.Group, c.name, got, c.val(g))
				}
			}
			n, _ := strconv.Atoi(r[3])
			orders += n
		}
		if orders != rep.Site.Orders {
			t.Errorf("%s: orders add up to %d, the site's %d", table, orders, rep.Site.Orders)
		}
	}
}
