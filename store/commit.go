package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store/failpoint"
	bolt "go.etcd.io/bbolt"
)

// request is one unit of work for the writer. fn runs inside the batch's
// transaction; it may run more than once (after another request in its
// batch failed), so it must only act through the wtx it is given.
type request struct {
	fn   func(w *wtx) error
	done chan error
}

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
	r := &request{fn: fn, done: make(chan error, 1)}
	select {
	case <-db.stop:
		return ErrClosed
	default:
	}
	select {
	case db.reqs <- r:
	case <-db.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, a request is always answered: the writer drains the
	// queue before it stops. The caller waits for the answer even if its
	// context ends, so it never reports failure for a committed change.
	return <-r.done
}

func (db *DB) writer() {
	defer close(db.stopped)
	batch := make([]*request, 0, maxBatch)
	for {
		var first *request
		select {
		case first = <-db.reqs:
		case <-db.stop:
			// Answer whatever is still queued, then stop.
			for {
				select {
				case r := <-db.reqs:
					db.run([]*request{r})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-db.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		db.run(batch)
		if db.stepBytes > db.checkpointAt {
			db.mu.Lock()
			if err := db.checkpoint(); err != nil {
				db.log.Error("checkpoint", "err", err)
			}
			db.mu.Unlock()
		}
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
	w := &wtx{db: db, tx: tx, st: db.st}
	for _, r := range batch {
		if err := r.fn(w); err != nil {
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
	queued  bool // print jobs were queued
	replays []floorgate.Replay
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
	wasPending := old != nil && old.Status == floorgate.TaskPending
	isOpen := t.Status == floorgate.TaskPending || t.Status == floorgate.TaskAssigned
	if isOpen {
		setIn(w, w.st.open, t.ID, t)
	} else {
		deleteIn(w, w.st.open, t.ID)
	}
	if wasPending && (t.Status != floorgate.TaskPending || queuedOf(old) != queuedOf(t)) {
		w.unqueue(queuedOf(old))
	}
	if t.Status == floorgate.TaskPending && (!wasPending || queuedOf(old) != queuedOf(t)) {
		w.enqueue(queuedOf(t))
	}
	// Line progress goes to the step log; the task record is rewritten
	// only when more changed.
	if isOpen {
		w.touchTask(t.ID)
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
	for _, ev := range evs {
		w.st.seq++
		ev.Seq = w.st.seq
		ev.ID, ev.Incarnation = eventID(w.db.inc.ID, ev.Seq), w.db.inc.ID
		ev.Site, ev.Gateway = w.st.site.ID, w.st.site.Gateway
		raw := w.db.envelope(ev)
		key := u64(ev.Seq)
		if err := journal.Put(key, raw); err != nil {
			return fmt.Errorf("journal event %d: %w", ev.Seq, err)
		}
	}
	return nil
}

func (w *wtx) notify(n floorgate.Notice) { w.notices = append(w.notices, n) }
