package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store/storetest/testfloor"
	bolt "go.etcd.io/bbolt"
)

// The tests' floor is testfloor's, the one storetest builds: this package's
// tests cannot import storetest, which imports store.
var testSite = testfloor.Site

// pinHash is the hash of the PIN of every operator of the tests, 2468.
var pinHash = testfloor.PINHash()

// fixture is a small floor: 4 locations, 4 items, 3 pickers (storetest's
// Fixture).
func fixture() Master {
	return Master{Locations: testfloor.Locations(), Items: testfloor.Items(), Operators: testfloor.Operators()}
}

// itemBarcode is item Si's EAN-13: 69000000000i and its check digit.
func itemBarcode(i int) string { return testfloor.ItemBarcode(i) }

// openDB opens the database at path with opts for tb and, when tb ends,
// closes it (if the test has not) and checks the file with Verify, as
// `floorgate backup --verify` does: bbolt's consistency check, every
// record, the gateway's own open. A test that leaves a file the gateway
// would refuse fails.
//
// It is storetest.Open for this package's own tests, which cannot import
// storetest (storetest imports store, and these tests are inside store):
// the same check, on a file the test chooses, so that a test can reopen
// it.
func openDB(tb testing.TB, path string, opts Options) *DB {
	tb.Helper()
	db, err := Open(path, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
		if _, err := Verify(path); err != nil {
			tb.Errorf("the store the test leaves: %v", err)
		}
	})
	return db
}

func task(id string, lines ...floorgate.TaskLine) floorgate.Task {
	return floorgate.Task{ID: id, Order: "SO-" + id, Lines: lines}
}

func line(loc, sku string, qty int) floorgate.TaskLine {
	return floorgate.TaskLine{Location: loc, SKU: sku, Qty: qty}
}

type env struct {
	t       *testing.T
	db      *DB
	path    string
	clock   *floorgate.ManualClock
	mu      sync.Mutex
	notices []floorgate.Notice
}

func newEnv(t *testing.T, mods ...func(*Options)) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), FileName), clock: floorgate.NewManualClock(testfloor.Start)}
	e.open(mods...)
	if err := e.db.PutMaster(context.Background(), fixture()); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) open(mods ...func(*Options)) {
	e.t.Helper()
	opts := Options{Site: testSite, Clock: e.clock, AutoEnrol: true, OnNotice: func(n floorgate.Notice) {
		e.mu.Lock()
		e.notices = append(e.notices, n)
		e.mu.Unlock()
	}}
	for _, m := range mods {
		m(&opts)
	}
	e.db = openDB(e.t, e.path, opts)
}

func (e *env) reopen() {
	e.t.Helper()
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

var ctx = context.Background()

// testToken is the device token of dev in tests: at least MinTokenLen
// bytes, whatever dev is.
func testToken(dev string) string {
	return "test-device-token/" + dev + "/0123456789abcdef"
}

// pda connects and logs a picker in on device dev.
func (e *env) pda(dev, badge string) floorgate.Verdict {
	e.t.Helper()
	if _, err := e.db.Hello(ctx, dev, testToken(dev), "test"); err != nil {
		e.t.Fatal(err)
	}
	v, err := e.db.Login(ctx, dev, "login-1", badge, "2468")
	if err != nil {
		e.t.Fatal(err)
	}
	if v.Code != floorgate.CodeLoggedIn {
		e.t.Fatalf("login: %s", v.Code)
	}
	return v
}

func (e *env) scan(dev, id, data string) floorgate.Verdict {
	e.t.Helper()
	e.clock.Add(time.Second)
	v, err := e.db.Scan(ctx, floorgate.Scan{ID: id, Device: dev, Data: data, DistanceMM: 70, At: e.clock.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) journal() []floorgate.Event {
	e.t.Helper()
	evs, err := e.db.Journal(0, 1<<30)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// checkGapFree asserts the journal and outbox hold 1..n with no gap.
func (e *env) checkGapFree() int {
	e.t.Helper()
	evs := e.journal()
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			e.t.Fatalf("journal[%d] has seq %d", i, ev.Seq)
		}
	}
	seqs, err := e.db.OutboxSeqs()
	if err != nil {
		e.t.Fatal(err)
	}
	if len(seqs) != len(evs) {
		e.t.Fatalf("outbox holds %d events, journal %d", len(seqs), len(evs))
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			e.t.Fatalf("outbox[%d] has seq %d", i, s)
		}
	}
	return len(evs)
}

func TestPickFlowThroughTheStore(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 2), line("L2", "S2", 1))}); err != nil {
		t.Fatal(err)
	}
	v := e.pda("pda-1", "BADGE1")
	if v.Prompt.Step != "scan_location" || v.Prompt.Location != "L1" || v.Prompt.ItemName != "Item 1" {
		t.Fatalf("login prompt %+v", v.Prompt)
	}
	steps := []struct {
		data string
		code floorgate.Code
	}{
		{"6900000000014", floorgate.CodeItemBeforeLocation},
		{"LOC-2", floorgate.CodeWrongLocation},
		{"LOC-1", floorgate.CodeLocationOK},
		{"6900000000021", floorgate.CodeWrongItem},
		{"6900000000014", floorgate.CodeItemOK},
		{"6900000000014", floorgate.CodeLineDone},
		{"LOC-2", floorgate.CodeLocationOK},
		{"6900000000021", floorgate.CodeTaskDone},
		{"LOC-3", floorgate.CodeNoTask},
	}
	for i, s := range steps {
		if got := e.scan("pda-1", fmt.Sprint("s", i), s.data); got.Code != s.code {
			t.Fatalf("step %d (%s): got %s, want %s", i, s.data, got.Code, s.code)
		}
	}
	tk, err := e.db.Task("T1")
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != floorgate.TaskDone || tk.Lines[0].Picked != 2 || tk.Lines[1].Picked != 1 {
		t.Fatalf("task after picking: %+v", tk)
	}
	types := map[string]int{}
	for _, ev := range e.journal() {
		types[ev.Type]++
		if ev.Site != "site-1" || ev.Gateway != "gw-1" || ev.Schema != floorgate.EventSchema || ev.ID == "" {
			t.Fatalf("envelope incomplete: %+v", ev)
		}
	}
	want := map[string]int{floorgate.EventTaskReceived: 1, floorgate.EventOperatorLoggedIn: 1, floorgate.EventTaskStarted: 1,
		floorgate.EventScanRejected: 4, floorgate.EventScanAccepted: 5, floorgate.EventLineConfirmed: 2, floorgate.EventTaskCompleted: 1}
	for typ, n := range want {
		if types[typ] != n {
			t.Errorf("%s: %d events, want %d (all: %v)", typ, types[typ], n, types)
		}
	}
	e.checkGapFree()
}

func TestResubmittedScanChangesNothing(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 3))}); err != nil {
		t.Fatal(err)
	}
	e.pda("pda-1", "BADGE1")
	e.scan("pda-1", "a", "LOC-1")
	first := e.scan("pda-1", "b", "6900000000014")
	before := len(e.journal())
	again := e.scan("pda-1", "b", "6900000000014")
	if fmt.Sprint(first) != fmt.Sprint(again) {
		t.Fatalf("resubmission got another verdict:\n%+v\n%+v", first, again)
	}
	if n := len(e.journal()); n != before {
		t.Fatalf("resubmission added %d events", n-before)
	}
	// It survives a restart too.
	e.reopen()
	if _, err := e.db.Hello(ctx, "pda-1", testToken("pda-1"), "test"); err != nil {
		t.Fatal(err)
	}
	again = e.scan("pda-1", "b", "6900000000014")
	if fmt.Sprint(first) != fmt.Sprint(again) {
		t.Fatalf("resubmission after restart got another verdict: %+v", again)
	}
	tk, _ := e.db.Task("T1")
	if tk.Lines[0].Picked != 1 {
		t.Fatalf("picked %d, want 1", tk.Lines[0].Picked)
	}
}

// blockWriter queues a request that holds the writer until release is
// closed, and waits until it runs.
func blockWriter(t *testing.T, db *DB) (release chan struct{}, done chan error) {
	t.Helper()
	release, running, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.write(ctx, func(*wtx) error {
			close(running)
			<-release
			return nil
		})
	}()
	<-running
	return release, done
}

// waitQueued waits until n requests wait for the writer.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for db.queued() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want %d", db.queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGroupCommit(t *testing.T) {
	e := newEnv(t)
	var tasks []floorgate.Task
	const n = 200
	for i := range n {
		tasks = append(tasks, task(fmt.Sprint("T", i), line("L1", "S1", 5)))
	}
	if _, err := e.db.ImportTasks(ctx, tasks); err != nil {
		t.Fatal(err)
	}
	var m Master
	for i := range n {
		m.Operators = append(m.Operators, floorgate.Operator{ID: fmt.Sprint("g", i), Name: "P", Badge: fmt.Sprint("G", i), PINHash: pinHash, Role: floorgate.RolePicker})
	}
	if err := e.db.PutMaster(ctx, m); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dev := fmt.Sprint("pda-", i)
			if _, err := e.db.Hello(ctx, dev, testToken(dev), "t"); err != nil {
				t.Error(err)
			}
			if _, err := e.db.Login(ctx, dev, "l", fmt.Sprint("G", i), "2468"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	// A lone scan costs exactly one commit.
	c0, _ := e.db.Stats()
	if v := e.scan("pda-0", "lone", "LOC-1"); v.Code != floorgate.CodeLocationOK {
		t.Fatalf("lone scan: %s", v.Code)
	}
	if c1, _ := e.db.Stats(); c1-c0 != 1 {
		t.Fatalf("a lone scan took %d commits", c1-c0)
	}

	// 200 scans that arrive while the writer is busy share one commit.
	e.clock.Add(time.Second)
	release, blocked := blockWriter(t, e.db)
	c0, r0 := e.db.Stats()
	verdicts := make([]floorgate.Verdict, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := e.db.Scan(ctx, floorgate.Scan{ID: "g", Device: fmt.Sprint("pda-", i), Data: "LOC-1", DistanceMM: 70, At: e.clock.Now()})
			if err != nil {
				t.Error(err)
			}
			verdicts[i] = v
		}()
	}
	waitQueued(t, e.db, n)
	close(release)
	wg.Wait()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	c1, r1 := e.db.Stats()
	if c1-c0 != 2 || r1-r0 != n+1 {
		t.Fatalf("%d commits for %d requests, want 2 commits (the blocker's and one for all %d scans)", c1-c0, r1-r0, n)
	}
	for i, v := range verdicts {
		if v.ScanID != "g" || !v.OK {
			t.Fatalf("scan %d: %+v", i, v)
		}
	}
	e.checkGapFree()
}

func TestFailingRequestDoesNotSinkItsBatch(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 5))}); err != nil {
		t.Fatal(err)
	}
	e.pda("pda-1", "BADGE1")
	before := e.db.Counts()
	release, blocked := blockWriter(t, e.db)
	var wg sync.WaitGroup
	var scanV floorgate.Verdict
	var scanErr, badErr, goodErr error
	wg.Add(3)
	go func() {
		defer wg.Done()
		scanV, scanErr = e.db.Scan(ctx, floorgate.Scan{ID: "x", Device: "pda-1", Data: "LOC-1", DistanceMM: 70, At: e.clock.Now()})
	}()
	waitQueued(t, e.db, 1)
	go func() {
		defer wg.Done()
		// The second line names an unknown SKU: the whole import is refused.
		_, badErr = e.db.ImportTasks(ctx, []floorgate.Task{task("T2", line("L1", "S1", 1)), task("T3", line("L2", "NOPE", 1))})
	}()
	waitQueued(t, e.db, 2)
	go func() {
		defer wg.Done()
		_, goodErr = e.db.ImportTasks(ctx, []floorgate.Task{task("T4", line("L2", "S2", 1))})
	}()
	waitQueued(t, e.db, 3)
	close(release)
	wg.Wait()
	<-blocked
	if scanErr != nil || scanV.Code != floorgate.CodeLocationOK {
		t.Fatalf("scan in the batch: %v %s", scanErr, scanV.Code)
	}
	if goodErr != nil {
		t.Fatalf("good import in the batch: %v", goodErr)
	}
	if badErr == nil || !strings.Contains(badErr.Error(), `tasks[1] (id "T3"): lines[0].sku: unknown SKU "NOPE"`) {
		t.Fatalf("bad import: %v", badErr)
	}
	if floorgate.ErrorCode(badErr) != floorgate.EINVALID {
		t.Fatalf("bad import code %q", floorgate.ErrorCode(badErr))
	}
	if _, err := e.db.Task("T2"); floorgate.ErrorCode(err) != floorgate.ENOTFOUND {
		t.Fatalf("T2 of the refused import was stored: %v", err)
	}
	if after := e.db.Counts(); after.PendingTasks != before.PendingTasks+1 {
		t.Fatalf("pending %d → %d, want +1", before.PendingTasks, after.PendingTasks)
	}
	e.checkGapFree()
}

func TestFullDiskIsAnErrorNotACrash(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxSize = 1 << 20 })
	big := make([]floorgate.TaskLine, 200)
	for i := range big {
		big[i] = line("L1", "S1", 1)
	}
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		_, err = e.db.ImportTasks(ctx, []floorgate.Task{task(fmt.Sprint("BIG", i), big...)})
	}
	if floorgate.ErrorCode(err) != floorgate.EUNAVAILABLE {
		t.Fatalf("filling the file: %v (code %q)", err, floorgate.ErrorCode(err))
	}
	n := e.checkGapFree()
	// The gateway is still up and answers; after a restart the journal is whole.
	if _, err := e.db.Hello(ctx, "pda-9", testToken("pda-9"), "t"); err != nil && floorgate.ErrorCode(err) != floorgate.EUNAVAILABLE {
		t.Fatalf("hello on a full store: %v", err)
	}
	e.reopen()
	if got := e.checkGapFree(); got != n {
		t.Fatalf("journal has %d events after restart, had %d", got, n)
	}
}

func TestSchemaVersion(t *testing.T) {
	e := newEnv(t)
	e.db.Close()
	// A copy of the file gets the newer schema; the test's own store is
	// left sound, as openDB checks.
	b, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v []byte
	raw.View(func(tx *bolt.Tx) error {
		v = append(v, tx.Bucket(bucketMeta).Get(keySchema)...)
		return nil
	})
	if seqOf(v) != SchemaVersion {
		t.Fatalf("schema %d, want %d", seqOf(v), SchemaVersion)
	}
	raw.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, u64(SchemaVersion+1)) })
	raw.Close()
	_, err = Open(path, Options{Site: testSite})
	if err == nil || !strings.Contains(err.Error(), "newer than this floorgate") {
		t.Fatalf("opening a newer database: %v", err)
	}
}

func TestOtherSiteRefused(t *testing.T) {
	e := newEnv(t)
	e.db.Close()
	other := testSite
	other.Gateway = "gw-2"
	_, err := Open(e.path, Options{Site: other})
	if err == nil || !strings.Contains(err.Error(), `belongs to site "site-1" gateway "gw-1"`) {
		t.Fatalf("opening another site's database: %v", err)
	}
}

func TestSecondProcessGetsLockedError(t *testing.T) {
	e := newEnv(t)
	_, err := Open(e.path, Options{Site: testSite, OpenTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
}

func TestImportIsWholeAndRepeatable(t *testing.T) {
	e := newEnv(t)
	tasks := []floorgate.Task{task("T1", line("L1", "S1", 1)), task("T2", line("L2", "S2", 2))}
	if n, err := e.db.ImportTasks(ctx, tasks); err != nil || n != 2 {
		t.Fatalf("import: %d %v", n, err)
	}
	if n, err := e.db.ImportTasks(ctx, tasks); err != nil || n != 0 {
		t.Fatalf("repeated import: %d %v", n, err)
	}
	changed := []floorgate.Task{task("T1", line("L1", "S1", 9))}
	if _, err := e.db.ImportTasks(ctx, changed); floorgate.ErrorCode(err) != floorgate.ECONFLICT {
		t.Fatalf("changed task with the same id: %v", err)
	}
	cases := []struct {
		name string
		t    floorgate.Task
		want string
	}{
		{"no id", task("", line("L1", "S1", 1)), "id: missing"},
		{"no lines", task("X"), "lines: a task needs at least one line"},
		{"zero qty", task("X", line("L1", "S1", 0)), "lines[0].qty: 0 must be at least 1"},
		{"unknown location", task("X", line("L9", "S1", 1)), `lines[0].location: unknown location "L9"`},
		{"bad variant", floorgate.Task{ID: "X", Order: "O", Variant: "rush", Lines: []floorgate.TaskLine{line("L1", "S1", 1)}}, `variant: "rush"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.journal())
			_, err := e.db.ImportTasks(ctx, []floorgate.Task{task("OK", line("L1", "S1", 1)), c.t})
			if err == nil || !strings.Contains(err.Error(), "tasks[1]") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want tasks[1] … %s", err, c.want)
			}
			if _, err := e.db.Task("OK"); err == nil {
				t.Fatal("the good task of a refused import was stored")
			}
			if len(e.journal()) != before {
				t.Fatal("a refused import produced events")
			}
		})
	}
}

func TestCancelInterceptsThePicker(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 3)), task("T2", line("L2", "S2", 1))}); err != nil {
		t.Fatal(err)
	}
	e.pda("pda-1", "BADGE1")
	e.scan("pda-1", "1", "LOC-1")
	e.scan("pda-1", "2", "6900000000014")
	if err := e.db.CancelTask(ctx, "T1", "customer cancelled"); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	notices := append([]floorgate.Notice(nil), e.notices...)
	e.mu.Unlock()
	if len(notices) != 1 || notices[0].Device != "pda-1" || notices[0].Kind != floorgate.NoticeTaskCancelled || notices[0].Verdict.Code != floorgate.CodeTaskCancelled {
		t.Fatalf("notices: %+v", notices)
	}
	if v := e.scan("pda-1", "3", "6900000000014"); v.Code != floorgate.CodeTaskCancelled {
		t.Fatalf("scan after cancel: %s", v.Code)
	}
	var intercept floorgate.ExceptionRecord
	for _, ev := range e.journal() {
		if ev.Type == floorgate.EventPickException {
			json.Unmarshal(ev.Data, &intercept)
		}
	}
	if intercept.Kind != floorgate.ExceptionIntercept || intercept.Task != "T1" || intercept.Found != 1 {
		t.Fatalf("intercept event: %+v", intercept)
	}
	p, err := e.db.Next(ctx, "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Task != "T2" || p.Step != "scan_location" {
		t.Fatalf("after moving on: %+v", p)
	}
	if err := e.db.CancelTask(ctx, "NOPE", "x"); floorgate.ErrorCode(err) != floorgate.ENOTFOUND {
		t.Fatalf("cancel unknown: %v", err)
	}
}

func TestImportWakesIdlePicker(t *testing.T) {
	e := newEnv(t)
	v := e.pda("pda-1", "BADGE1")
	if v.Prompt.Step != "wait" {
		t.Fatalf("prompt with no tasks: %+v", v.Prompt)
	}
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L3", "S3", 1))}); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.notices) != 1 || e.notices[0].Kind != floorgate.NoticeTaskAssigned || e.notices[0].Verdict.Prompt.Location != "L3" {
		t.Fatalf("notices: %+v", e.notices)
	}
}

func TestLoginLockoutAndDeviceSwitch(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 2), line("L2", "S2", 1))}); err != nil {
		t.Fatal(err)
	}
	e.pda("pda-1", "BADGE1")
	e.scan("pda-1", "1", "LOC-1")
	e.scan("pda-1", "2", "6900000000014")
	// The picker's handheld dies; they log in on another and carry on.
	e.db.Hello(ctx, "pda-2", testToken("pda-2"), "t")
	for i := range maxLoginFailures {
		v, _ := e.db.Login(ctx, "pda-2", "x", "BADGE1", "0000")
		if v.Code != floorgate.CodeBadLogin {
			t.Fatalf("wrong PIN %d: %s", i, v.Code)
		}
	}
	if v, _ := e.db.Login(ctx, "pda-2", "x", "BADGE1", "2468"); v.Code != floorgate.CodeLoginLocked {
		t.Fatalf("right PIN while locked: %s", v.Code)
	}
	e.clock.Add(loginLockout + time.Second)
	v, err := e.db.Login(ctx, "pda-2", "x", "BADGE1", "2468")
	if err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("login after lockout: %v %s", err, v.Code)
	}
	if v.Prompt.Task != "T1" || v.Prompt.Step != "scan_item" || v.Prompt.Picked != 1 {
		t.Fatalf("task did not follow the picker: %+v", v.Prompt)
	}
	if s := e.db.Session("pda-1"); s.Operator != "" || s.Task != "" {
		t.Fatalf("old device still holds the picker: %+v", s)
	}
	if v := e.scan("pda-2", "3", "6900000000014"); v.Code != floorgate.CodeLineDone {
		t.Fatalf("continue on the new device: %s", v.Code)
	}
}

func TestHelloAuth(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AutoEnrol = false })
	if _, err := e.db.Hello(ctx, "pda-x", testToken("pda-x"), "t"); floorgate.ErrorCode(err) != floorgate.EUNAUTHORIZED {
		t.Fatalf("unknown device without auto-enrol: %v", err)
	}
	e2 := newEnv(t)
	if _, err := e2.db.Hello(ctx, "pda-x", testToken("pda-x"), "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := e2.db.Hello(ctx, "pda-x", testToken("pda-x")+"-other", "t"); floorgate.ErrorCode(err) != floorgate.EUNAUTHORIZED {
		t.Fatalf("wrong token: %v", err)
	}
}

func TestEnvelopeMatchesEncodingJSON(t *testing.T) {
	e := newEnv(t)
	for _, ev := range []floorgate.Event{
		floorgate.NewEvent(floorgate.EventScanAccepted, time.Date(2026, 11, 22, 9, 1, 2, 345678900, time.UTC), floorgate.ScanRecord{ScanID: "a\"<b>", Data: "货架"}),
		{Type: floorgate.EventTaskReceived, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CST", 8*3600)), Schema: 1, Data: json.RawMessage(`{"x":1}`)},
	} {
		ev.ID, ev.Seq, ev.Site, ev.Gateway = "abc-7", 7, testSite.ID, testSite.Gateway
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.db.envelope(ev); string(got) != string(want) {
			t.Fatalf("envelope\n got %s\nwant %s", got, want)
		}
	}
}

// crash stops the database the way a killed process does: no checkpoint,
// whatever the step log holds stays there.
func (e *env) crash() {
	e.t.Helper()
	db := e.db
	db.closeMu.Lock()
	db.closed = true
	close(db.stop)
	db.closeMu.Unlock()
	<-db.stopped
	if err := db.bolt.Close(); err != nil {
		e.t.Fatal(err)
	}
}

func stepCount(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketSteps).Stats().KeyN
		return nil
	})
	return n
}

func TestStepLogReplayAndCheckpoint(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 3), line("L2", "S2", 2))}); err != nil {
		t.Fatal(err)
	}
	e.pda("pda-1", "BADGE1")
	e.scan("pda-1", "1", "LOC-1")
	e.scan("pda-1", "2", "6900000000014")
	first := e.scan("pda-1", "3", "6900000000014")
	if stepCount(t, e.db) == 0 {
		t.Fatal("scans left nothing in the step log")
	}
	// Killed: sessions, progress and verdicts live only in the step log.
	e.crash()
	e.open()
	if stepCount(t, e.db) != 0 {
		t.Fatal("open did not checkpoint the replayed log")
	}
	s := e.db.Session("pda-1")
	if s.Operator != "op1" || s.Task != "T1" || !s.AtLocation || s.LastData != "6900000000014" {
		t.Fatalf("session after replay: %+v", s)
	}
	tk, _ := e.db.Task("T1")
	if tk.Lines[0].Picked != 2 || tk.Status != floorgate.TaskAssigned {
		t.Fatalf("task after replay: %+v", tk)
	}
	if again := e.scan("pda-1", "3", "6900000000014"); again.Code != first.Code || !reflect.DeepEqual(again.Prompt, first.Prompt) {
		t.Fatalf("resent scan after replay: %+v, first %+v", again, first)
	}
	// A checkpoint during the run empties the log and keeps everything.
	e.db.Close()
	e.open(func(o *Options) { o.checkpointAt = 1 })
	e.db.Hello(ctx, "pda-1", testToken("pda-1"), "test")
	if v := e.scan("pda-1", "4", "6900000000014"); v.Code != floorgate.CodeLineDone {
		t.Fatalf("third unit: %s", v.Code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for stepCount(t, e.db) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d steps: no checkpoint", stepCount(t, e.db))
		}
		time.Sleep(time.Millisecond)
	}
	e.crash()
	e.open()
	if s := e.db.Session("pda-1"); s.Line != 1 || s.AtLocation {
		t.Fatalf("session after checkpoint and crash: %+v", s)
	}
	if tk, _ := e.db.Task("T1"); tk.Lines[0].Status != floorgate.LineDone || tk.Lines[0].Picked != 3 {
		t.Fatalf("task after checkpoint and crash: %+v", tk.Lines[0])
	}
	if again := e.scan("pda-1", "3", "6900000000014"); again.Code != first.Code {
		t.Fatalf("verdict lost in checkpoint: %s", again.Code)
	}
}

func TestOutboxIsTheJournalAboveTheWatermark(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 1)), task("T2", line("L2", "S2", 1))}); err != nil {
		t.Fatal(err)
	}
	n := e.checkGapFree()
	if s, _ := e.db.Outbox(); s.Depth != n || s.FirstSeq != 1 || s.LastSeq != uint64(n) {
		t.Fatalf("outbox %+v, want all %d events", s, n)
	}
	// Upstream acknowledged the first event: it has left the outbox.
	if err := e.db.Ack(ctx, []uint64{1}); err != nil {
		t.Fatal(err)
	}
	seqs, _ := e.db.OutboxSeqs()
	if s, _ := e.db.Outbox(); s.Depth != n-1 || s.FirstSeq != 2 || len(seqs) != n-1 || seqs[0] != 2 {
		t.Fatalf("after the ack: %+v %v", s, seqs)
	}
}

func TestEnvelopeHeadReadsWhatEnvelopeWrites(t *testing.T) {
	e := newEnv(t)
	for _, ev := range []floorgate.Event{
		floorgate.NewEvent(floorgate.EventScanAccepted, time.Date(2026, 11, 22, 9, 1, 2, 345678900, time.UTC), floorgate.ScanRecord{ScanID: `a"b`, Data: `"type":"x"`}),
		floorgate.NewEvent(floorgate.EventTaskReceived, time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CST", 8*3600)), floorgate.TaskRecord{Task: "T"}),
	} {
		ev.ID, ev.Seq, ev.Site, ev.Gateway = "abc-7", 7, testSite.ID, testSite.Gateway
		id, typ, at, ok := envelopeHead(e.db.envelope(ev))
		if !ok || id != ev.ID || typ != ev.Type || !at.Equal(ev.Time) {
			t.Fatalf("head of %s: %q %q %v %v", ev.Type, id, typ, at, ok)
		}
	}
}

// The journal and the step log only ever append: their pages are filled
// before they split, not left half empty as bbolt's default would.
func TestAppendOnlyLogsFillTheirPages(t *testing.T) {
	e := newEnv(t)
	e.pda("pda-1", "BADGE1")
	for i := range 400 {
		// An unknown code: a verdict in the step log, a rejection in the journal.
		if v := e.scan("pda-1", fmt.Sprintf("s-%d", i), fmt.Sprintf("NOPE-%d", i)); v.OK {
			t.Fatalf("scan %d accepted: %s", i, v.Code)
		}
	}
	e.db.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketJournal, bucketSteps} {
			s := tx.Bucket(name).Stats()
			fill := float64(s.LeafInuse) / float64(s.LeafPageN*e.db.bolt.Info().PageSize)
			// A split leaves the new page at least two keys more than
			// fill alone would (bbolt's minimum keys per page): with
			// ~320-byte events a full page holds 10 of the 12 that fit.
			if s.LeafPageN < 4 || fill < 0.75 {
				t.Errorf("%s: %d keys in %d leaf pages, %.0f%% full; want at least 4 pages, 75%% full", name, s.KeyN, s.LeafPageN, 100*fill)
			}
		}
		return nil
	})
}

// A kept verdict's prompt is stored short when its task line gives the
// rest back, is answered whole to a resubmission after a restart, and a
// record written whole (as before short prompts) still reads.
func TestKeptVerdictsAreShortAndReadBackWhole(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 2), line("L2", "S2", 1))}); err != nil {
		t.Fatal(err)
	}
	e.pda("pda-1", "BADGE1")
	first := e.scan("pda-1", "1", "LOC-1")
	if first.Code != floorgate.CodeLocationOK || first.Prompt.Location != "L1" || first.Prompt.SKU != "S1" || first.Prompt.ItemName == "" {
		t.Fatalf("location scan: %+v", first)
	}
	var raw []byte
	e.db.bolt.View(func(tx *bolt.Tx) error {
		_, v := tx.Bucket(bucketSteps).Cursor().Last()
		raw = slices.Clone(v)
		return nil
	})
	if !strings.Contains(string(raw), `"s":true`) || strings.Contains(string(raw), `"location":"L1"`) {
		t.Errorf("the step keeps the prompt whole: %s", raw)
	}
	e.crash()
	e.open()
	if again := e.scan("pda-1", "1", "LOC-1"); again.Code != first.Code || !reflect.DeepEqual(again.Prompt, first.Prompt) {
		t.Fatalf("resubmitted after a restart:\n%+v\nfirst answer:\n%+v", again, first)
	}

	old := []byte(`{"d":"pda-9","i":"s-9","r":{"c":"location_ok","p":{"step":"scan_item","task":"T9","order":"SO-T9","line":1,"lines":1,"location":"L4","sku":"S4","qty":1}}}`)
	var k keptJSON
	if err := json.Unmarshal(old, &k); err != nil {
		t.Fatal(err)
	}
	r := k.kept().Rec
	want := floorgate.Prompt{Step: "scan_item", Task: "T9", Order: "SO-T9", Line: 1, Lines: 1, Location: "L4", SKU: "S4", Qty: 1}
	if r.full == nil || !reflect.DeepEqual(*r.full, want) || r.Code != floorgate.CodeLocationOK {
		t.Fatalf("record written whole reads as %+v", r)
	}
	again, err := json.Marshal(k.kept().onDisk())
	if err != nil {
		t.Fatal(err)
	}
	var back keptJSON
	if err := json.Unmarshal(again, &back); err != nil || back.kept().Rec.full == nil || !reflect.DeepEqual(*back.kept().Rec.full, want) {
		t.Fatalf("rewritten as %s, read back as %+v (%v)", again, back, err)
	}
}
