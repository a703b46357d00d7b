package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/failpoint"
	bolt "go.etcd.io/bbolt"
)

// request is one unit of work for the writer. fn runs inside the batch's
// transaction; it may run more than once (after another request in its
// batch failed), so it must only act through the wtx it is given.
type request struct {
	fn   func(w *wtx) error
	done chan error
}

// maxArena is the most a commit's arena (wtx.arena) keeps between commits.
const maxArena = 1 << 20

// maxBatch bounds one transaction so one commit cannot grow without limit
// under a flood of requests.
const maxBatch = 1024

// commitStats counts commits and the requests they carried.
type commitStats struct {
	commits  atomic.Uint64
	requests atomic.Uint64
}

// Stats reports how many commits the writer made and how many requests
// they carried; requests/commits is the mean group size.
func (db *DB) Stats() (commits, requests uint64) {
	return db.stats.commits.Load(), db.stats.requests.Load()
}

// The queue and who commits it. A commit is made by whoever finds no
// commit running: a lone request commits in its caller's goroutine, with
// no hand-off to the writer and back (the latency a single PDA sees is
// one commit). Requests that arrive while a commit runs wait in the
// queue; when that commit ends, the writer goroutine is woken and commits
// them in batches until the queue is empty. So at most one goroutine
// commits at a time (the one that set busy), and a busy floor is
// group-committed by the writer exactly as before.
type committer struct {
	mu      sync.Mutex
	busy    bool       // a commit runs or is due: its goroutine owns the queue
	closing bool       // the writer is stopping: nothing more is queued
	queue   []*request // waiting for the next commit, oldest first
	// wake hands the queue to the writer; only the goroutine that set
	// busy sends on it, so at most one wake is ever pending.
	wake chan struct{}
}

// write runs fn in the next group commit and returns once it is committed
// (nil) or failed (its error; nothing of it was applied).
func (db *DB) write(ctx context.Context, fn func(w *wtx) error) error {
	if a, ok := ctx.Value(auditKey{}).(AuditEntry); ok {
		// An audited action and its audit record commit together.
		change := fn
		fn = func(w *wtx) error {
			if err := change(w); err != nil {
				return err
			}
			return w.audit(a)
		}
	}
	if db.isClosed() {
		return ErrClosed
	}
	r := &request{fn: fn, done: make(chan error, 1)}
	q := &db.commits
	q.mu.Lock()
	if q.closing {
		q.mu.Unlock()
		return ErrClosed
	}
	if q.busy {
		q.queue = append(q.queue, r)
		q.mu.Unlock()
		// Once queued, a request is always answered: the writer drains
		// the queue before it stops. The caller waits for the answer
		// even if its context ends, so it never reports failure for a
		// committed change.
		return <-r.done
	}
	q.busy = true
	q.mu.Unlock()
	db.commitInline(r)
	return <-r.done
}

// commitInline commits r alone in the caller's goroutine, then hands
// whatever queued meanwhile to the writer.
func (db *DB) commitInline(r *request) {
	defer func() {
		if p := recover(); p != nil {
			// A panic mid-commit leaves the store locked. On the writer
			// goroutine it ended the process; on a caller's goroutine a
			// recover further up (net/http's) would let the process go on
			// with every write stuck, so it still ends the process.
			fmt.Fprintf(os.Stderr, "panic while committing: %v\n%s", p, debug.Stack())
			os.Exit(2)
		}
	}()
	db.run([]*request{r})
	db.afterBatch()
	q := &db.commits
	q.mu.Lock()
	if len(q.queue) == 0 {
		q.busy = false
		closing := q.closing
		q.mu.Unlock()
		if closing {
			// The stopping writer waits to hear that no commit runs.
			db.wakeWriter()
		}
		return
	}
	q.mu.Unlock()
	db.wakeWriter() // busy passes to the writer
}

func (db *DB) wakeWriter() {
	select {
	case db.commits.wake <- struct{}{}:
	default:
	}
}

// queued is how many requests wait for a commit.
func (db *DB) queued() int {
	db.commits.mu.Lock()
	defer db.commits.mu.Unlock()
	return len(db.commits.queue)
}

// writer commits what queued while another commit ran, when woken, and at
// stop waits for the commit running to end and answers what is left.
func (db *DB) writer() {
	defer close(db.stopped)
	for {
		select {
		case <-db.commits.wake:
			db.drain()
			continue
		case <-db.stop:
		}
		q := &db.commits
		q.mu.Lock()
		q.closing = true
		for q.busy {
			// A commit runs in a caller's goroutine: it ends by handing
			// the queue over or by saying it is done, both by a wake.
			q.mu.Unlock()
			<-q.wake
			db.drain()
			q.mu.Lock()
		}
		q.mu.Unlock()
		return
	}
}

// drain commits the queue in batches until it is empty, then gives up
// busy. The caller has been handed busy (or nothing is queued).
func (db *DB) drain() {
	q := &db.commits
	batch := make([]*request, 0, 16)
	for {
		q.mu.Lock()
		n := min(len(q.queue), maxBatch)
		if n == 0 {
			q.busy = false
			q.queue = nil
			q.mu.Unlock()
			return
		}
		batch = append(batch[:0], q.queue[:n]...)
		clear(q.queue[:n])
		q.queue = q.queue[n:]
		q.mu.Unlock()
		db.run(batch)
		db.afterBatch()
	}
}

// afterBatch checkpoints the step log when it has grown past its bound.
// Only the goroutine that holds busy calls it.
func (db *DB) afterBatch() {
	if db.stepBytes > db.checkpointAt {
		db.mu.Lock()
		if err := db.checkpoint(); err != nil {
			db.log.Error("checkpoint", "err", err)
		}
		db.mu.Unlock()
	}
}

// run commits a batch. If any request fails, or the commit does, the batch
// is rolled back and every request runs again on its own, so each gets its
// own outcome and a failing one cannot take the others with it.
func (db *DB) run(batch []*request) {
	errs, err := db.commit(batch)
	if err == nil {
		for i, r := range batch {
			r.done <- errs[i]
		}
		return
	}
	if len(batch) == 1 {
		batch[0].done <- err
		return
	}
	for _, r := range batch {
		_, err := db.commit([]*request{r})
		r.done <- err
	}
}

// commit runs the batch in one transaction. It returns per-request errors
// only when the batch committed (all nil then); otherwise the first error.
func (db *DB) commit(batch []*request) ([]error, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	w := &wtx{db: db, tx: tx, st: db.st, arena: db.arena[:0], events: db.events[:0]}
	defer func() {
		// bbolt holds what was Put until the transaction ends, no longer:
		// the next commit may write over it. Followers keep events, not
		// the slice that held them.
		if cap(w.arena) <= maxArena {
			db.arena = w.arena[:0]
		}
		if cap(w.events) <= maxBatch*4 {
			clear(w.events)
			db.events = w.events[:0]
		}
	}()
	for _, r := range batch {
		err := r.fn(w)
		if err == nil {
			err = w.completeWaves()
		}
		if err != nil {
			w.rollback()
			return nil, err
		}
	}
	if err := w.writeStep(); err != nil {
		w.rollback()
		return nil, err
	}
	err = tx.Commit()
	// Every commit's outcome says whether the file has room (health.go).
	stats := tx.Stats()
	db.noteCommit(err, stats.GetPageCount() > 0)
	if err != nil {
		w.undoAll()
		return nil, fmt.Errorf("commit: %w", floorgate.Errorf(floorgate.EUNAVAILABLE, "could not save: %v", err))
	}
	// Chaos boundary: durable, but no caller has heard of it (no verdict sent).
	failpoint.Inject("store/after-commit")
	if w.emitted {
		db.tellFollowers(w.events)
		db.signalEvents()
	}
	if w.queued {
		select {
		case db.printWake <- struct{}{}:
		default:
		}
	}
	for _, r := range w.replays {
		select {
		case db.replays <- r:
		default:
			db.log.Warn("replay request dropped: too many waiting", "from", r.From, "to", r.To)
		}
	}
	db.stats.commits.Add(1)
	db.stats.requests.Add(uint64(len(batch)))
	if db.opts.OnNotice != nil {
		for _, n := range w.notices {
			db.opts.OnNotice(n)
		}
	}
	return make([]error, len(batch)), nil
}

// wtx is a batch's view for writing: the bbolt transaction plus the
// in-memory state, changed together. Every change to memory is recorded so
// a rollback restores it exactly.
type wtx struct {
	db      *DB
	tx      *bolt.Tx
	st      *state
	undo    []func()
	notices []floorgate.Notice
	batch   batch
	emitted bool
	// arena holds the batch's journal keys and envelopes, so they are not
	// each allocated: it is the store's, reused commit after commit.
	arena []byte
	// events are the batch's journalled events, kept only while someone
	// follows the journal (follow.go).
	events  []floorgate.Event
	queued  bool // print jobs were queued
	replays []floorgate.Replay
	// wavesDone are waves whose last open task closed in the request
	// running: wave.completed follows the request's own events.
	wavesDone []string
}

func (w *wtx) rollback() {
	_ = w.tx.Rollback()
	w.undoAll()
}

func (w *wtx) undoAll() {
	for i := len(w.undo) - 1; i >= 0; i-- {
		w.undo[i]()
	}
	w.undo = nil
	w.notices = nil
	w.replays = nil
	w.wavesDone = nil
	w.events = w.events[:0]
	w.emitted = false
	w.queued = false
}

// setIn sets m[k] = v in memory, remembering how to undo it.
func setIn[K comparable, V any](w *wtx, m map[K]V, k K, v V) {
	old, had := m[k]
	w.undo = append(w.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
	m[k] = v
}

// deleteIn deletes m[k] in memory, remembering how to undo it.
func deleteIn[K comparable, V any](w *wtx, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	w.undo = append(w.undo, func() { m[k] = old })
	delete(m, k)
}

func (w *wtx) put(bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", bucket, key, err)
	}
	if err := w.tx.Bucket(bucket).Put([]byte(key), raw); err != nil {
		return fmt.Errorf("put %s %q: %w", bucket, key, err)
	}
	return nil
}

// putTask stores a task and keeps the open set and the pending queue in
// step with its status.
func (w *wtx) putTask(t *floorgate.Task) error {
	old := w.st.open[t.ID]
	wasPending := old != nil && queueable(old)
	isOpen := t.Open()
	if isOpen {
		setIn(w, w.st.open, t.ID, t)
	} else {
		deleteIn(w, w.st.open, t.ID)
		if old != nil {
			if err := w.closeInWave(t); err != nil {
				return err
			}
		}
	}
	if wasPending && (!queueable(t) || w.st.queuedOf(old) != w.st.queuedOf(t)) {
		w.unqueue(w.st.queuedOf(old))
	}
	if queueable(t) && (!wasPending || w.st.queuedOf(old) != w.st.queuedOf(t)) {
		w.enqueue(w.st.queuedOf(t))
	}
	// Line progress goes to the step log; the task record is rewritten
	// only when more changed.
	if isOpen {
		w.touchTask(old, t)
	}
	if old != nil && sameHeader(old, t) {
		return nil
	}
	return w.put(bucketTasks, t.ID, t)
}

// sameHeader reports whether two versions of a task differ at most in
// their lines' progress.
func sameHeader(a, b *floorgate.Task) bool {
	if a.Status != b.Status || a.Operator != b.Operator || a.Device != b.Device || a.Cancel != b.Cancel ||
		a.Priority != b.Priority || !a.AssignedAt.Equal(b.AssignedAt) || !a.ClosedAt.Equal(b.ClosedAt) ||
		len(a.Lines) != len(b.Lines) {
		return false
	}
	for i, l := range a.Lines {
		m := b.Lines[i]
		if l.Location != m.Location || l.SKU != m.SKU || l.Qty != m.Qty || l.KeyedQty != m.KeyedQty {
			return false
		}
	}
	return true
}

func (w *wtx) enqueue(q queued) {
	i, _ := slices.BinarySearchFunc(w.st.pending, q, cmpQueued)
	w.st.pending = slices.Insert(w.st.pending, i, q)
	w.undo = append(w.undo, func() { w.unqueueNoUndo(q) })
}

func (w *wtx) unqueue(q queued) {
	if w.unqueueNoUndo(q) {
		w.undo = append(w.undo, func() {
			i, _ := slices.BinarySearchFunc(w.st.pending, q, cmpQueued)
			w.st.pending = slices.Insert(w.st.pending, i, q)
		})
	}
}

func (w *wtx) unqueueNoUndo(q queued) bool {
	i, found := slices.BinarySearchFunc(w.st.pending, q, cmpQueued)
	if found {
		w.st.pending = slices.Delete(w.st.pending, i, i+1)
	}
	return found
}

// emit stamps events with their identity and sequence numbers and appends
// them to the journal, which puts them in the outbox.
func (w *wtx) emit(evs ...floorgate.Event) error {
	if len(evs) == 0 {
		return nil
	}
	start := w.st.seq
	w.undo = append(w.undo, func() { w.st.seq = start })
	w.emitted = true
	journal := appendOnly(w.tx, bucketJournal)
	follow := w.db.following()
	for _, ev := range evs {
		w.st.seq++
		ev.Seq = w.st.seq
		ev.ID, ev.Incarnation = eventID(w.db.inc.ID, ev.Seq), w.db.inc.ID
		ev.Site, ev.Gateway = w.st.site.ID, w.st.site.Gateway
		start := len(w.arena)
		w.arena = binary.BigEndian.AppendUint64(w.arena, ev.Seq)
		w.arena = w.db.appendEnvelope(w.arena, ev)
		// Full slice expressions: appending to the arena never writes
		// into what was already Put, even when it grows in place.
		key, raw := w.arena[start:start+8:start+8], w.arena[start+8:len(w.arena):len(w.arena)]
		if err := journal.Put(key, raw); err != nil {
			return fmt.Errorf("journal event %d: %w", ev.Seq, err)
		}
		if follow {
			w.events = append(w.events, ev)
		}
		if err := w.track(ev); err != nil {
			return err
		}
	}
	return nil
}

func (w *wtx) notify(n floorgate.Notice) { w.notices = append(w.notices, n) }
