package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/floorgate/floorgate"
)

// simPDA picks by its prompts on the test floor (fixture): a location's
// barcode is LOC-n for Ln, an item's itemBarcode(n) for Sn.
type simPDA struct {
	dev    string
	prompt floorgate.Prompt
	n      int
	at     time.Time
}

var errIdle = errors.New("no task")

// step scans what the prompt asks for. Each device has its own scan clock,
// two seconds a scan, so the double-read guard sees a person's pace.
func (p *simPDA) step(db *DB) (floorgate.Verdict, error) {
	var data string
	switch p.prompt.Step {
	case "scan_location":
		data = "LOC-" + strings.TrimPrefix(p.prompt.Location, "L")
	case "scan_item":
		n, _ := strconv.Atoi(strings.TrimPrefix(p.prompt.SKU, "S"))
		data = itemBarcode(n)
	default:
		return floorgate.Verdict{}, errIdle
	}
	p.n++
	p.at = p.at.Add(2 * time.Second)
	v, err := db.Scan(ctx, floorgate.Scan{ID: fmt.Sprintf("%s-%d", p.dev, p.n), Device: p.dev, Data: data, DistanceMM: 70, At: p.at})
	if err != nil {
		return v, err
	}
	if !v.OK {
		return v, fmt.Errorf("%s scan %d (%s): %s", p.dev, p.n, data, v.Code)
	}
	if v.Prompt.Step != "" {
		p.prompt = v.Prompt
	}
	return v, nil
}

// pickAll has every device pick until no task is left, concurrently, and
// returns the scans answered.
func pickAll(t *testing.T, db *DB, pdas []*simPDA, start time.Time) int {
	t.Helper()
	var wg sync.WaitGroup
	counts := make([]int, len(pdas))
	errs := make([]error, len(pdas))
	for i, p := range pdas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.at = start
			pr, err := db.Next(ctx, p.dev)
			if err != nil {
				errs[i] = err
				return
			}
			p.prompt = pr
			for {
				if _, err := p.step(db); err != nil {
					if !errors.Is(err, errIdle) {
						errs[i] = err
					}
					return
				}
				counts[i]++
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// dayTasks are n tasks of four lines of two units.
func dayTasks(day, n int) []floorgate.Task {
	out := make([]floorgate.Task, n)
	for i := range out {
		out[i] = task(fmt.Sprintf("D%02d-%05d", day, i), line("L1", "S1", 2), line("L2", "S2", 2), line("L3", "S3", 2), line("L4", "S4", 2))
	}
	return out
}

// ackAll acknowledges every event in the outbox, as the sync gateway does
// on PUBACKs.
func ackAll(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	for {
		p, err := db.PendingEvents(0, 4096)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			return n
		}
		seqs := make([]uint64, len(p))
		for i, e := range p {
			seqs[i] = e.Seq
		}
		if err := db.Ack(ctx, seqs); err != nil {
			t.Fatal(err)
		}
		n += len(p)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// dayAt is 06:00 on day d of the simulated month.
func dayAt(d int) time.Time { return time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC).AddDate(0, 0, d-1) }

// TestRetentionKeepsFileFlat drives a month of picking through the store,
// acknowledges every event as upstream would, and prunes daily keeping 7
// days. Once retention has started deleting (day 8) the file, but for the
// pages of the closed tasks it keeps for good (they guard against a task
// imported twice), must stay within 1.25× of its size then; the same month
// without pruning must grow past 2.5× (the journal alone would be about
// 30/8 of it).
func TestRetentionKeepsFileFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("a month of scans")
	}
	const (
		days        = 30
		tasksPerDay = 450 // × 12 scans (5,400 a day), ~19 events a task
		keep        = 7 * 24 * time.Hour
	)
	// run returns the file's size at the end of each day, and that of
	// the tasks' pages.
	run := func(t *testing.T, prune bool) (sizes, tasks []int64) {
		e := newEnv(t)
		// Commits need not reach the disk in this test; the file's layout
		// is the same.
		e.db.bolt.NoSync = true
		// bbolt grows the file in 16 MiB steps; 1 MiB steps let the test
		// see what the data needs.
		e.db.bolt.AllocSize = 1 << 20
		var pdas []*simPDA
		for i := range 3 {
			dev := fmt.Sprintf("pda-%d", i+1)
			e.pda(dev, fmt.Sprintf("BADGE%d", i+1))
			pdas = append(pdas, &simPDA{dev: dev})
		}
		sizes, tasks = make([]int64, days+1), make([]int64, days+1)
		var scans, events, pruned int
		var pruneTook time.Duration
		for d := 1; d <= days; d++ {
			e.clock.Set(dayAt(d))
			if _, err := e.db.ImportTasks(ctx, dayTasks(d, tasksPerDay)); err != nil {
				t.Fatal(err)
			}
			scans += pickAll(t, e.db, pdas, dayAt(d))
			events += ackAll(t, e.db)
			e.clock.Add(14 * time.Hour)
			if prune {
				start := time.Now()
				st, err := e.db.PruneAll(ctx, e.clock.Now().Add(-keep))
				if err != nil {
					t.Fatal(err)
				}
				pruneTook += time.Since(start)
				pruned += st.Events
			}
			sizes[d] = fileSize(t, e.path)
			e.db.bolt.View(func(tx *bolt.Tx) error {
				st := tx.Bucket(bucketTasks).Stats()
				tasks[d] = int64((st.BranchPageN + st.BranchOverflowN + st.LeafPageN + st.LeafOverflowN) * tx.DB().Info().PageSize)
				return nil
			})
		}
		t.Logf("prune=%v: %d scans, %d events, %d pruned (%v pruning in all)", prune, scans, events, pruned, pruneTook.Round(time.Millisecond))
		var b strings.Builder
		for d := 1; d <= days; d++ {
			fmt.Fprintf(&b, " d%d=%.1f", d, float64(sizes[d])/(1<<20))
		}
		t.Logf("prune=%v: file size by day (MiB):%s", prune, b.String())
		if scans < days*tasksPerDay*12 {
			t.Fatalf("only %d scans", scans)
		}
		return sizes, tasks
	}
	// The two months run side by side; the comparison runs once both
	// are done.
	var pruned, prunedTasks, control []int64
	t.Run("pruned", func(t *testing.T) {
		t.Parallel()
		pruned, prunedTasks = run(t, true)
	})
	t.Run("control", func(t *testing.T) {
		t.Parallel()
		control, _ = run(t, false)
	})
	t.Cleanup(func() {
		if pruned == nil || control == nil {
			return
		}
		day8, day30 := pruned[8], pruned[30]
		t.Logf("pruned: day 8 %d, day 30 %d (×%.2f); unpruned day 30 %d (×%.2f)",
			day8, day30, float64(day30)/float64(day8), control[30], float64(control[30])/float64(day8))
		rest8, rest30 := day8-prunedTasks[8], day30-prunedTasks[30]
		t.Logf("pruned, but for the tasks' pages: day 8 %d, day 30 %d (×%.2f)", rest8, rest30, float64(rest30)/float64(rest8))
		if float64(rest30) > 1.25*float64(rest8) {
			t.Errorf("with retention the file but for the tasks grew from %d at day 8 to %d at day 30", rest8, rest30)
		}
		if float64(control[30]) < 2.5*float64(day8) {
			t.Errorf("without retention the file reached only %d by day 30 (day 8 with retention: %d): the load does not show growth", control[30], day8)
		}
	})
}

// emitAt journals n events of type typ stamped at.
func emitAt(t *testing.T, db *DB, typ string, at time.Time, n int) {
	t.Helper()
	evs := make([]floorgate.Event, n)
	for i := range evs {
		evs[i] = floorgate.NewEvent(typ, at, floorgate.ScanRecord{ScanID: fmt.Sprint("s", i)})
	}
	if err := db.EmitEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
}

func seqsOf(t *testing.T, db *DB) []uint64 {
	t.Helper()
	p, err := db.JournalRange(0, 1<<62, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint64, len(p))
	for i, e := range p {
		out[i] = e.Seq
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// TestPruneKeepsWhatIsNeeded: only acknowledged events older than the
// cutoff go; what is above the watermark, dead letters and the newest
// event stay, and sequence numbers go on after a reopen.
func TestPruneKeepsWhatIsNeeded(t *testing.T) {
	e := newEnv(t)
	old := e.clock.Now().Add(-40 * 24 * time.Hour)
	emitAt(t, e.db, floorgate.EventScanAccepted, old, 20) // 1..20
	first := e.db.LastSeq() - 19
	if first != 1 {
		t.Fatalf("fixture emitted events: first seq %d", first)
	}
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 5) // 21..25, recent
	emitAt(t, e.db, floorgate.EventScanAccepted, old, 5)           // 26..30, old but not acknowledged
	// Upstream has 1..12 and, out of order, 14..22; 13 is a dead letter.
	if err := e.db.Ack(ctx, append(span(1, 12), span(14, 22)...)); err != nil {
		t.Fatal(err)
	}
	p, err := e.db.JournalRange(13, 13, 1)
	if err != nil || len(p) != 1 {
		t.Fatal(p, err)
	}
	if err := e.db.DeadLetter(ctx, p[0], "too large"); err != nil {
		t.Fatal(err)
	}
	cut := e.clock.Now().Add(-7 * 24 * time.Hour)
	n, err := e.db.Prune(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	// Pruned: 1..12 and 14..20 (old and below the watermark of 22).
	want := append([]uint64{13}, span(21, 30)...)
	if got := seqsOf(t, e.db); !slices.Equal(got, want) || n != 19 {
		t.Fatalf("after prune: %d pruned, journal %v, want %v", n, got, want)
	}
	if dl, _ := e.db.DeadLetters(); len(dl) != 1 || dl[0].Seq != 13 {
		t.Fatalf("dead letters %v", dl)
	}
	if got, _ := e.db.OutboxSeqs(); !slices.Equal(got, span(23, 30)) {
		t.Fatalf("outbox %v", got)
	}
	// A second pass finds nothing more.
	if n, err := e.db.Prune(ctx, cut); n != 0 || err != nil {
		t.Fatalf("second prune: %d %v", n, err)
	}

	// Everything acknowledged and old: all but the newest go, and the next
	// event after a reopen follows it.
	e.clock.Add(60 * 24 * time.Hour)
	ackAll(t, e.db)
	if _, err := e.db.Prune(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got := seqsOf(t, e.db); !slices.Equal(got, []uint64{13, 30}) {
		t.Fatalf("after pruning everything: journal %v, want the dead letter and the newest", got)
	}
	e.reopen()
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 1)
	if s := e.db.LastSeq(); s != 31 {
		t.Fatalf("after reopen the next event has seq %d, want 31", s)
	}
	if got, _ := e.db.OutboxSeqs(); !slices.Equal(got, []uint64{31}) {
		t.Fatalf("outbox after reopen %v", got)
	}
}

// TestPruneCommandsAndReplay: a command id is forgotten with its answer
// event, and an events.replay over a pruned range is applied and replays
// what remains.
func TestPruneCommandsAndReplay(t *testing.T) {
	e := newEnv(t)
	create := `{"id":"c1","type":"task.create","data":{"tasks":[{"id":"T1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":2}]}]}}`
	if res := e.command(create); !res.Applied {
		t.Fatalf("c1: %+v", res)
	}
	if res := e.command(`{"id":"c2","type":"task.explode","data":{}}`); res.Applied {
		t.Fatalf("c2: %+v", res)
	}
	ackAll(t, e.db)
	// Within the retention period a redelivered command is a duplicate.
	e.clock.Add(3 * 24 * time.Hour)
	if _, err := e.db.Prune(ctx, e.clock.Now().Add(-7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if res := e.command(create); !res.Duplicate {
		t.Fatalf("c1 within retention: %+v", res)
	}
	e.clock.Add(30 * 24 * time.Hour)
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 3) // recent, newest
	ackAll(t, e.db)
	st, err := e.db.PruneAll(ctx, e.clock.Now().Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st.Commands != 2 {
		t.Fatalf("pruned %+v, want both command ids", st)
	}
	// After it: applied again; task.create still skips the task it holds.
	res := e.command(create)
	if res.Duplicate || !res.Applied {
		t.Fatalf("c1 after retention: %+v", res)
	}
	if _, rec := e.lastAnswer(); rec.Summary["tasks_added"] != 0 {
		t.Fatalf("c1 after retention added tasks again: %+v", rec)
	}

	oldest, err := e.db.OldestEvent()
	if err != nil {
		t.Fatal(err)
	}
	res = e.command(fmt.Sprintf(`{"id":"r1","type":"events.replay","data":{"from_seq":1,"to_seq":%d}}`, oldest-1))
	if !res.Applied {
		t.Fatalf("replay of a pruned range: %+v", res)
	}
	select {
	case rp := <-e.db.Replays():
		p, err := e.db.JournalRange(rp.From, rp.To, 1000)
		if err != nil || len(p) != 0 {
			t.Fatalf("journal range over the pruned %v: %d events, %v", rp, len(p), err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no replay delivered")
	}
	res = e.command(`{"id":"r2","type":"events.replay","data":{"from_seq":1}}`)
	if !res.Applied {
		t.Fatalf("replay across the pruned start: %+v", res)
	}
	rp := <-e.db.Replays()
	p, err := e.db.JournalRange(rp.From, rp.To, 1000)
	if err != nil || len(p) == 0 || p[0].Seq != oldest {
		t.Fatalf("replay across the pruned start: %v, %v", p, err)
	}
}

// TestPrunePrintJobsAndAudit: finished jobs older than the cutoff go, open
// ones stay; the audit log is kept for a year whatever the cutoff.
func TestPrunePrintJobsAndAudit(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	jobs := []floorgate.PrintJob{
		{ID: "old-printed", Status: floorgate.JobPrinted, Created: now.Add(-40 * 24 * time.Hour), Updated: now.Add(-40 * 24 * time.Hour)},
		{ID: "old-cancelled", Status: floorgate.JobCancelled, Created: now.Add(-40 * 24 * time.Hour)},
		{ID: "old-held", Status: floorgate.JobHeld, Created: now.Add(-40 * 24 * time.Hour)},
		{ID: "new-printed", Status: floorgate.JobPrinted, Created: now, Updated: now},
	}
	for _, j := range jobs {
		if err := e.db.QueuePrintJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	audit := func(target string) {
		ac := Audited(context.Background(), AuditEntry{Actor: "op1", Action: "device.enrol", Target: target})
		if err := e.db.EnrolDevice(ac, target, "m", testToken(target)); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(-400 * 24 * time.Hour)
	audit("pda-ancient")
	e.clock.Add(400 * 24 * time.Hour)
	audit("pda-recent")
	st, err := e.db.PruneAll(ctx, now.Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	all, _ := e.db.PrintJobs()
	for _, j := range all {
		left = append(left, j.ID)
	}
	slices.Sort(left)
	if !slices.Equal(left, []string{"new-printed", "old-held"}) || st.PrintJobs != 2 {
		t.Fatalf("print jobs left %v (%+v)", left, st)
	}
	log, _ := e.db.AuditLog(10)
	if len(log) != 1 || log[0].Target != "pda-recent" || st.Audit != 1 {
		t.Fatalf("audit left %+v (%+v)", log, st)
	}
}

// TestRunRetentionStopsWithTheDatabase: the loop prunes at once and ends
// when the database closes.
func TestRunRetentionStopsWithTheDatabase(t *testing.T) {
	e := newEnv(t)
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now().Add(-30*24*time.Hour), 10)
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 1)
	ackAll(t, e.db)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.db.RunRetention(context.Background(), time.Hour, 7*24*time.Hour)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(seqsOf(t, e.db)) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("retention did not prune: %v", seqsOf(t, e.db))
		}
		runtime.Gosched()
	}
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("RunRetention did not return after Close")
	}
}
