package bench

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/web"
	"github.com/floorgate/floorgate/web/kpi"
)

// kpiBound is the bound on a 31-day KPI report at a million events.
const kpiBound = 50 * time.Millisecond

// benchKPICommand journals a floor's month in a real store, starts the
// status page's server on it (which builds the KPI rollup from the
// journal, as at gateway start), and times 31-day /api/v1/kpi requests
// through its handler, against Compute over the whole journal (what every
// request did before the rollup).
func benchKPICommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kpi", "", "Time 31-day KPI reports from the hourly rollup over a month's journal.", stdout, stderr)
	events := fs.Int("events", 1_000_000, "events in the journal")
	days := fs.Int("days", 31, "days the journal spans")
	pickers := fs.Int("pickers", 40, "pickers, half on each of two shifts")
	packers := fs.Int("packers", 8, "packers, half on each shift")
	requests := fs.Int("requests", 200, "31-day requests to time")
	dir := fs.String("dir", "", "directory for the database (default: a temporary one, removed after)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the rollup's build and the requests to this file")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	if *events < 1000 || *days < 1 || *days > 31 || *pickers < 2 || *packers < 2 || *requests < 1 {
		return errors.New("bench kpi: --events must be at least 1000, --days 1 to 31, --pickers and --packers at least 2")
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "floorgate-bench-kpi-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	site, _ := gateway.DefaultConfig().SiteInfo()
	db, err := store.Open(store.PathIn(*dir), store.Options{Site: site})
	if err != nil {
		return err
	}
	defer db.Close()

	fmt.Fprintf(stderr, "bench kpi: journalling %d events over %d days (%d pickers, %d packers)\n", *events, *days, *pickers, *packers)
	t0 := time.Now()
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	fl := newKPIFloor(*pickers, *packers)
	var last time.Time
	err = fl.journal(start, *days, *events, func(evs []floorgate.Event) error {
		last = evs[len(evs)-1].Time
		return db.EmitEvents(ctx, evs)
	})
	if err != nil {
		return fmt.Errorf("bench kpi: %w", err)
	}
	fmt.Fprintf(stderr, "bench kpi: journalled in %v\n", time.Since(t0).Round(time.Millisecond))

	// A month back from just after the last event, never on the hour.
	rng := rand.New(rand.NewPCG(15, 31))
	window := func() (from, to time.Time) {
		to = last.Add(time.Duration(1+rng.IntN(3599)) * time.Second)
		return to.Add(-kpi.MaxWindow), to
	}

	fmt.Fprintf(stderr, "bench kpi: baseline: reading the whole journal and computing one 31-day report\n")
	t0 = time.Now()
	all, err := db.Journal(1, *events+1)
	if err != nil {
		return err
	}
	from, to := window()
	if _, err := kpi.Compute(all, from, to, nil); err != nil {
		return fmt.Errorf("bench kpi: %w", err)
	}
	compute := time.Since(t0)
	all = nil

	secret, _, err := db.CreateToken(ctx, "bench-kpi", store.ScopeRead)
	if err != nil {
		return err
	}
	srv := web.New(web.Options{DB: db, Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	// The real handler table on a loopback listener, read as a client
	// reads it.
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	get := func(query string) (int, error) {
		from, to := window()
		r, err := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/v1/kpi?from="+from.Format(time.RFC3339)+"&to="+to.Format(time.RFC3339)+query, nil)
		if err != nil {
			return 0, err
		}
		r.Header.Set("Authorization", "Bearer "+secret)
		resp, err := hs.Client().Do(r)
		if err != nil {
			return 0, fmt.Errorf("bench kpi: %w", err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("bench kpi: GET %s: %s", r.URL, resp.Status)
		}
		return int(n), err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	fmt.Fprintf(stderr, "bench kpi: starting the status page's server: the rollup is built from the journal\n")
	t0, cpu0 := time.Now(), cpuTime()
	go func() { defer close(done); srv.Run(runCtx) }()
	defer func() { stop(); <-done }()
	if _, err := get(summaryQuery); err != nil { // waits for the build
		return err
	}
	rebuild, rebuildCPU := time.Since(t0), cpuTime()-cpu0
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)

	// The dashboard's month: the site's hours and everyone's totals.
	cpu0 = cpuTime()
	summary, summaryKB, err := timeKPI(*requests, func() (int, error) { return get(summaryQuery) })
	if err != nil {
		return err
	}
	summaryCPU := (cpuTime() - cpu0) / time.Duration(*requests)
	fmt.Fprintf(stderr, "bench kpi: %d requests as the dashboard asks (%d KiB each): p50 %.1f ms, p99 %.1f ms\n",
		*requests, summaryKB, summary(50), summary(99))
	// Every person's every hour besides: tens of megabytes of JSON.
	full, fullKB, err := timeKPI(max(*requests/10, 5), func() (int, error) { return get(fullQuery) })
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bench kpi: %d requests with every person's hours (%d KiB each): p50 %.1f ms, p99 %.1f ms\n",
		max(*requests/10, 5), fullKB, full(50), full(99))
	csvMS, csvRows, sumsEqual, err := timeCSV(ctx, hs, secret, window)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "bench kpi: CSV of every table over 31 days: slowest %d ms, %d rows, sums equal to the API's: %v\n", csvMS, csvRows, sumsEqual)
	fmt.Fprintf(stdout, "BENCH kpi events=%d days=%d people=%d p50_ms=%.1f p99_ms=%.1f target_ms=%d cpu_ms=%.1f full_p50_ms=%.1f full_p99_ms=%.1f "+
		"rebuild_ms=%d rebuild_cpu_ms=%d heap_mb=%d compute_ms=%d response_kb=%d full_response_kb=%d csv_ms=%d csv_target_ms=%d csv_rows=%d csv_sums_equal=%d\n",
		*events, *days, *pickers+*packers, summary(50), summary(99), kpiBound.Milliseconds(), float64(summaryCPU)/float64(time.Millisecond),
		full(50), full(99), rebuild.Milliseconds(), rebuildCPU.Milliseconds(), ms.HeapAlloc>>20, compute.Milliseconds(), summaryKB, fullKB,
		csvMS, csvBound.Milliseconds(), csvRows, map[bool]int{false: 0, true: 1}[sumsEqual])
	return nil
}

// csvBound is the most a 31-day CSV table may take, first byte to last.
const csvBound = 5 * time.Second

// timeCSV exports every KPI table over one 31-day window as a client
// does, and returns the slowest table's time, the rows of all, and
// whether each table's scans add up to the API's for the same window.
func timeCSV(ctx context.Context, hs *httptest.Server, secret string, window func() (time.Time, time.Time)) (int64, int, bool, error) {
	from, to := window()
	q := "from=" + from.Format(time.RFC3339) + "&to=" + to.Format(time.RFC3339)
	get := func(path string) (*http.Response, error) {
		r, err := http.NewRequestWithContext(ctx, "GET", hs.URL+path+q, nil)
		if err != nil {
			return nil, err
		}
		r.Header.Set("Authorization", "Bearer "+secret)
		resp, err := hs.Client().Do(r)
		if err == nil && resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			err = fmt.Errorf("bench kpi: GET %s: %s", r.URL, resp.Status)
		}
		return resp, err
	}
	resp, err := get("/api/v1/kpi?")
	if err != nil {
		return 0, 0, false, err
	}
	var rep kpi.Report
	err = json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if err != nil {
		return 0, 0, false, fmt.Errorf("bench kpi: %w", err)
	}
	var slowest time.Duration
	rows, equal := 0, true
	for _, table := range []string{"site", "hours", "days", "people", "people_days", "waves", "variants"} {
		t0 := time.Now()
		resp, err := get("/api/v1/kpi.csv?table=" + table + "&")
		if err != nil {
			return 0, 0, false, err
		}
		recs, err := csv.NewReader(resp.Body).ReadAll()
		resp.Body.Close()
		if err != nil {
			return 0, 0, false, fmt.Errorf("bench kpi: %s.csv: %w", table, err)
		}
		slowest = max(slowest, time.Since(t0))
		rows += len(recs) - 1
		// Each table's scans add up to the site's, and its orders too:
		// the waves' and variants' scans are only those against the
		// orders that ended.
		sum := func(name string) int {
			col, n := slices.Index(recs[0], name), 0
			for _, r := range recs[1:] {
				v, _ := strconv.Atoi(r[col])
				n += v
			}
			return n
		}
		if groups, ok := map[string][]kpi.OrderGroup{"waves": rep.Waves, "variants": rep.VariantGroups}[table]; ok {
			var want kpi.OrderGroup
			for _, g := range groups {
				want.Scans += g.Scans
				want.WrongScans += g.WrongScans
				want.CompliantOrders += g.CompliantOrders
			}
			equal = equal && len(recs)-1 == len(groups) && sum("scans") == want.Scans &&
				sum("wrong_scans") == want.WrongScans && sum("compliant_orders") == want.CompliantOrders
		} else {
			equal = equal && sum("scans") == rep.Site.Scans
		}
		equal = equal && sum("orders") == rep.Site.Orders
	}
	return slowest.Milliseconds(), rows, equal, nil
}

// The default report has no person's hours; fullQuery asks for them.
const (
	summaryQuery = ""
	fullQuery    = "&people_hours=true"
)

// timeKPI runs get n times and returns the nearest-rank percentiles of its
// latency in milliseconds and the size of its answer in KiB.
func timeKPI(n int, get func() (int, error)) (func(int) float64, int, error) {
	lats := make([]time.Duration, 0, n)
	size := 0
	for range n {
		t := time.Now()
		var err error
		if size, err = get(); err != nil {
			return nil, 0, err
		}
		lats = append(lats, time.Since(t))
	}
	slices.Sort(lats)
	return func(p int) float64 {
		return float64(lats[max(0, (p*n+99)/100-1)]) / float64(time.Millisecond)
	}, size >> 10, nil
}

// cpuTime is the CPU time the process has used, user and system: what a
// phase cost, whatever else the machine was doing.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// kpiFloor is a floor's month as the journal tells it: two shifts a day
// (06:00–14:00, 14:00–22:00), each with half the pickers and half the
// packers logging in at its start and out at its end; pickers work tasks
// of one to five lines — location scan, one to three item scans, the line
// confirmed — with the usual slips (wrong location, item before location,
// wrong item, reads out of the band, a short pick now and then, raised as
// an exception); tasks arrive in waves of 200; packers pack the orders
// picked, oldest first — open a parcel, verify its items, complete it and
// confirm it outbound some minutes later, opening the next meanwhile —, so
// nearly every order ends and the open orders stay few; a label fails now
// and then.
type kpiFloor struct {
	rng     *rand.Rand
	pickers []*kpiPicker
	packers []*kpiPacker
	tasks   int
	picked  []string // orders picked and waiting for a packer, oldest first
	out     []floorgate.Event
}

type kpiPicker struct {
	id, dev    string
	task       string
	lines      int // lines left, this one included
	line, left int // the line and its units left; left 0: its location next
}

type kpiPacker struct {
	id, dev string
	order   string // the parcel open on the station; "" for none
	items   int
	started time.Time
	// waiting are the packed parcels waiting for the carrier, by the
	// time each ships: the packer opens the next meanwhile.
	waiting []kpiParcel
}

type kpiParcel struct {
	order                   string
	started, packed, shipAt time.Time
}

func newKPIFloor(pickers, packers int) *kpiFloor {
	f := &kpiFloor{rng: rand.New(rand.NewPCG(15, 1))}
	for i := range pickers {
		f.pickers = append(f.pickers, &kpiPicker{id: fmt.Sprintf("P%03d", i+1), dev: fmt.Sprintf("pda-%03d", i+1)})
	}
	for i := range packers {
		f.packers = append(f.packers, &kpiPacker{id: fmt.Sprintf("K%02d", i+1), dev: fmt.Sprintf("pack-%02d", i+1)})
	}
	return f
}

// journal generates n events over days from start and hands them to emit
// in batches of 10,000.
func (f *kpiFloor) journal(start time.Time, days, n int, emit func([]floorgate.Event) error) error {
	done := 0
	flush := func(force bool) error {
		for len(f.out) >= 10_000 || (force && len(f.out) > 0) {
			k := min(len(f.out), 10_000)
			if err := emit(f.out[:k]); err != nil {
				return err
			}
			done += k
			f.out = f.out[k:]
		}
		f.out = slices.Clip(f.out)
		return nil
	}
	shifts := 2 * days
	for s := range shifts {
		begin := start.Add(time.Duration(s/2)*24*time.Hour + 6*time.Hour + time.Duration(s%2)*8*time.Hour)
		end := begin.Add(8 * time.Hour)
		var pk []*kpiPicker
		var kk []*kpiPacker
		for i, p := range f.pickers {
			if i%2 == s%2 {
				pk = append(pk, p)
			}
		}
		for i, k := range f.packers {
			if i%2 == s%2 {
				kk = append(kk, k)
			}
		}
		for i, p := range pk {
			f.emit(floorgate.EventOperatorLoggedIn, begin.Add(time.Duration(i)*time.Second), floorgate.OperatorRecord{Operator: p.id, Device: p.dev})
		}
		for i, k := range kk {
			f.emit(floorgate.EventOperatorLoggedIn, begin.Add(time.Duration(i)*time.Second), floorgate.OperatorRecord{Operator: k.id, Device: k.dev})
		}
		// This shift's share of the events, less the logouts to come.
		want := (s+1)*n/shifts - done - len(f.out) - len(pk) - len(kk)
		step := (end.Sub(begin) - time.Minute) / time.Duration(max(want, 1))
		t := begin.Add(time.Minute)
		for target := len(f.out) + want; len(f.out) < target; {
			t = t.Add(step)
			// A packer's step a third of the time: about as many
			// parcels are packed as orders are picked.
			if f.rng.IntN(3) == 0 {
				f.packer(kk[f.rng.IntN(len(kk))], t)
			} else {
				f.picker(pk[f.rng.IntN(len(pk))], t)
			}
		}
		for i, p := range pk {
			f.emit(floorgate.EventOperatorLoggedOut, end.Add(time.Duration(i)*time.Second), floorgate.OperatorRecord{Operator: p.id, Device: p.dev})
		}
		for i, k := range kk {
			f.emit(floorgate.EventOperatorLoggedOut, end.Add(time.Duration(i)*time.Second), floorgate.OperatorRecord{Operator: k.id, Device: k.dev})
		}
		if err := flush(false); err != nil {
			return err
		}
	}
	if extra := len(f.out) + done - n; extra > 0 {
		f.out = f.out[:len(f.out)-extra]
	}
	return flush(true)
}

func (f *kpiFloor) emit(typ string, t time.Time, data any) {
	f.out = append(f.out, floorgate.NewEvent(typ, t, data))
}

func (f *kpiFloor) scan(p *kpiPicker, t time.Time, kind floorgate.MatchKind, code floorgate.Code) {
	rec := floorgate.ScanRecord{ScanID: fmt.Sprintf("%s-%d", p.dev, len(f.out)), Device: p.dev, Operator: p.id,
		Task: p.task, Line: p.line, Location: fmt.Sprintf("A-%02d-%02d", p.line*7%40, len(p.task)%9), Data: "6901234567892",
		AIM: "]E0", Kind: kind, Code: code, DistanceMM: 60 + float64(f.rng.IntN(30)), Distance: "in"}
	typ := floorgate.EventScanAccepted
	switch code {
	case floorgate.CodeLocationOK, floorgate.CodeItemOK, floorgate.CodeLineDone, floorgate.CodeTaskDone:
	default:
		typ = floorgate.EventScanRejected
	}
	if code == floorgate.CodeDistance {
		rec.DistanceMM, rec.Distance = 140, "out"
	}
	f.emit(typ, t, rec)
}

// picker has p do the next step of its task, or start one.
func (f *kpiFloor) picker(p *kpiPicker, t time.Time) {
	if p.task == "" {
		f.tasks++
		p.task, p.lines, p.line, p.left = fmt.Sprintf("T%07d", f.tasks), 1+f.rng.IntN(5), 1, 0
		// Tasks arrive in waves of 200.
		wave := fmt.Sprintf("W%05d", f.tasks/200)
		f.emit(floorgate.EventTaskReceived, t, floorgate.TaskRecord{Task: p.task, Order: "SO-" + p.task, Wave: wave, Lines: p.lines})
		f.emit(floorgate.EventTaskStarted, t, floorgate.TaskRecord{Task: p.task, Order: "SO-" + p.task, Wave: wave, Operator: p.id, Device: p.dev, Lines: p.lines})
		return
	}
	x := f.rng.IntN(1000)
	if p.left == 0 { // at the line's location
		switch {
		case x < 3:
			f.scan(p, t, floorgate.MatchLocation, floorgate.CodeWrongLocation)
		case x < 5:
			f.scan(p, t, floorgate.MatchItem, floorgate.CodeItemBeforeLocation)
		default:
			f.scan(p, t, floorgate.MatchLocation, floorgate.CodeLocationOK)
			p.left = 1 + f.rng.IntN(3)
		}
		return
	}
	switch {
	case x < 2:
		f.scan(p, t, floorgate.MatchItem, floorgate.CodeWrongItem)
		return
	case x < 12:
		f.scan(p, t, floorgate.MatchItem, floorgate.CodeDistance)
		return
	case x < 15:
		f.emit(floorgate.EventExceptionRaised, t, floorgate.ExceptionCase{ID: fmt.Sprintf("X%d", len(f.out)),
			Reason: floorgate.ReasonShortBinEmpty, Stage: floorgate.StagePick, Order: "SO-" + p.task, Task: p.task, Line: p.line,
			Qty: p.left, Operator: p.id, Device: p.dev, RaisedAt: t, Status: floorgate.ExceptionOpen})
		f.emit(floorgate.EventPickException, t, floorgate.ExceptionRecord{Kind: floorgate.ExceptionShortPick, Task: p.task,
			Order: "SO-" + p.task, Line: p.line, Expected: p.left, Operator: p.id, Device: p.dev})
		f.line(p, t, floorgate.LineShort)
		return
	}
	p.left--
	if p.left > 0 {
		f.scan(p, t, floorgate.MatchItem, floorgate.CodeItemOK)
		return
	}
	f.scan(p, t, floorgate.MatchItem, floorgate.CodeLineDone)
	f.line(p, t, floorgate.LineDone)
}

func (f *kpiFloor) line(p *kpiPicker, t time.Time, status floorgate.LineStatus) {
	f.emit(floorgate.EventLineConfirmed, t, floorgate.LineRecord{Task: p.task, Order: "SO-" + p.task, Line: p.line,
		Status: status, Operator: p.id, Device: p.dev})
	p.lines--
	p.line++
	p.left = 0
	if p.lines == 0 {
		f.emit(floorgate.EventTaskCompleted, t, floorgate.TaskRecord{Task: p.task, Order: "SO-" + p.task, Operator: p.id, Device: p.dev})
		f.picked = append(f.picked, "SO-"+p.task)
		p.task = ""
	}
}

// packer has k do its next step: ship what waits, open a parcel, verify
// an item, or complete the parcel.
func (f *kpiFloor) packer(k *kpiPacker, t time.Time) {
	rec := func(order string, started time.Time) floorgate.PackRecord {
		return floorgate.PackRecord{Order: order, Carrier: "SF", Tracking: "SF" + order, Packer: k.id, Device: k.dev, Started: started}
	}
	switch {
	case len(k.waiting) > 0 && !t.Before(k.waiting[0].shipAt):
		p := k.waiting[0]
		k.waiting = k.waiting[1:]
		r := rec(p.order, p.started)
		r.Packed, r.Shipped = p.packed, t
		r.PackToShipS = t.Sub(p.packed).Seconds()
		ok := r.PackToShipS <= floorgate.OutboundStandard.Seconds()
		r.WithinStandard = &ok
		f.emit(floorgate.EventShipConfirmed, t, r)
	case k.order == "":
		if len(f.picked) == 0 {
			return // nothing picked to pack yet
		}
		k.order, k.items, k.started = f.picked[0], 1+f.rng.IntN(3), t
		f.picked = f.picked[1:]
		f.emit(floorgate.EventPackStarted, t, rec(k.order, t))
	case k.items > 0:
		k.items--
		f.emit(floorgate.EventScanAccepted, t, floorgate.ScanRecord{ScanID: fmt.Sprintf("%s-%d", k.dev, len(f.out)), Device: k.dev,
			Operator: k.id, Data: "6901234567892", AIM: "]E0", Kind: floorgate.MatchItem, Code: floorgate.CodePackItemOK, Distance: "unknown"})
	default:
		r := rec(k.order, k.started)
		r.Packed = t
		f.emit(floorgate.EventPackCompleted, t, r)
		if f.rng.IntN(500) == 0 {
			f.emit(floorgate.EventLabelFailed, t, floorgate.PrintJob{ID: "waybill:" + k.order, Kind: "waybill", Order: k.order,
				Station: k.dev, Status: floorgate.JobFailed, Reason: "paper out", Packer: k.id})
		}
		// Parcels go out in the order they were packed, 2 to 41 minutes
		// later (never before one packed earlier).
		at := t.Add(time.Duration(2+f.rng.IntN(40)) * time.Minute)
		if n := len(k.waiting); n > 0 && at.Before(k.waiting[n-1].shipAt) {
			at = k.waiting[n-1].shipAt
		}
		k.waiting = append(k.waiting, kpiParcel{order: k.order, started: k.started, packed: t, shipAt: at})
		k.order = ""
	}
}
