package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// Journal returns up to limit events with sequence numbers from from on,
// in order.
func (db *DB) Journal(from uint64, limit int) ([]floorgate.Event, error) {
	var out []floorgate.Event
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJournal).Cursor()
		for k, v := c.Seek(u64(from)); k != nil && len(out) < limit; k, v = c.Next() {
			var ev floorgate.Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("event %d: %w", seqOf(k), err)
			}
			out = append(out, ev)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	return out, nil
}

// OutboxStatus is the state of the outbox: how many events wait to go
// upstream and the range of their sequence numbers.
type OutboxStatus struct {
	Depth       int       `json:"depth"`
	FirstSeq    uint64    `json:"first_seq"`
	LastSeq     uint64    `json:"last_seq"`
	Oldest      time.Time `json:"oldest,omitzero"`
	DeadLetters int       `json:"dead_letters"`
}

// acked is the outbox watermark: every event up to it has left.
func acked(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(bucketOutbox).Get(keyAcked); len(v) == 8 {
		return seqOf(v)
	}
	return 0
}

// Outbox reports the outbox's depth and range, the age of its oldest
// event and the number of dead letters.
func (db *DB) Outbox() (OutboxStatus, error) {
	db.mu.RLock()
	a, above := db.st.acked, len(db.st.ackedAbove)
	db.mu.RUnlock()
	var s OutboxStatus
	err := db.bolt.View(func(tx *bolt.Tx) error {
		s.DeadLetters = tx.Bucket(bucketDeadLetters).Stats().KeyN
		if k, _ := tx.Bucket(bucketJournal).Cursor().Last(); k != nil && seqOf(k) > a {
			s.Depth, s.FirstSeq, s.LastSeq = int(seqOf(k)-a)-above, a+1, seqOf(k)
		}
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("read outbox: %w", err)
	}
	if s.Depth > 0 {
		if p, err := db.PendingEvents(0, 1); err == nil && len(p) == 1 {
			s.FirstSeq, s.Oldest = p[0].Seq, p[0].Time
		}
	}
	return s, nil
}

// OutboxSeqs lists the sequence numbers waiting in the outbox, in order.
func (db *DB) OutboxSeqs() ([]uint64, error) {
	p, err := db.PendingEvents(0, 1<<31)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(p))
	for i, e := range p {
		out[i] = e.Seq
	}
	return out, nil
}

// Session returns a device's session.
func (db *DB) Session(device string) floorgate.Session {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.session(device)
}

// Task returns a task by id, open or closed.
func (db *DB) Task(id string) (*floorgate.Task, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	var t *floorgate.Task
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		t, err = db.st.task(tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read task: %w", err)
	}
	if t == nil {
		return nil, floorgate.Errorf(floorgate.ENOTFOUND, "task %q does not exist", id)
	}
	c := *t
	return &c, nil
}

// Counts is a summary of what the store holds, for status and logs.
type Counts struct {
	Locations    int    `json:"locations"`
	Items        int    `json:"items"`
	Operators    int    `json:"operators"`
	Devices      int    `json:"devices"`
	PendingTasks int    `json:"pending_tasks"` // waiting for a picker
	OpenTasks    int    `json:"open_tasks"`    // waiting or being picked
	Sessions     int    `json:"sessions"`      // devices with someone logged in
	LastSeq      uint64 `json:"last_seq"`      // the newest event's sequence number
}

// Counts summarises the store.
func (db *DB) Counts() Counts {
	db.mu.RLock()
	defer db.mu.RUnlock()
	st := db.st
	return Counts{Locations: len(st.locations), Items: len(st.items), Operators: len(st.operators),
		Devices: len(st.devices), PendingTasks: len(st.pending), OpenTasks: len(st.open),
		Sessions: len(st.sessions), LastSeq: st.seq}
}

// LastSeq is the sequence number of the newest event.
func (db *DB) LastSeq() uint64 {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.st.seq
}

// Lookup resolves scanned data against master data, as a scan would be,
// without recording anything.
func (db *DB) Lookup(aim, data string) floorgate.Match {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.st.matchCart(db.st.match(aim, data))
}

// Ping waits for the store's writer to run an empty request: it fails when
// the writer is wedged or the store is closed. The systemd watchdog uses it.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write(ctx, func(*wtx) error { return nil }); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}
