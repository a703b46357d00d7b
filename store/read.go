package store

import (
	"encoding/json"
	"fmt"

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
	Depth    int
	FirstSeq uint64
	LastSeq  uint64
}

// acked is the outbox watermark: every event up to it has left.
func acked(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(bucketOutbox).Get(keyAcked); len(v) == 8 {
		return seqOf(v)
	}
	return 0
}

// Outbox reports the outbox's depth and range.
func (db *DB) Outbox() (OutboxStatus, error) {
	var s OutboxStatus
	err := db.bolt.View(func(tx *bolt.Tx) error {
		last := uint64(0)
		if k, _ := tx.Bucket(bucketJournal).Cursor().Last(); k != nil {
			last = seqOf(k)
		}
		if a := acked(tx); last > a {
			s = OutboxStatus{Depth: int(last - a), FirstSeq: a + 1, LastSeq: last}
		}
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("read outbox: %w", err)
	}
	return s, nil
}

// OutboxSeqs lists the sequence numbers waiting in the outbox, in order,
// as the journal holds them.
func (db *DB) OutboxSeqs() ([]uint64, error) {
	var out []uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJournal).Cursor()
		for k, _ := c.Seek(u64(acked(tx) + 1)); k != nil; k, _ = c.Next() {
			out = append(out, seqOf(k))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
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
	Locations, Items, Operators, Devices int
	PendingTasks, OpenTasks, Sessions    int
	LastSeq                              uint64
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
