package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// The outbox is the journal above a watermark (see schema.go). Upstream
// acknowledges events in any order; acks above the watermark are held in
// memory and the watermark moves as soon as they are contiguous.
//
// A PUBACK costs no commit: the watermark moves in memory at once, and
// reaches the file lazily — with a commit made anyway for something else
// (at most every ackPiggyBackEvery, so that not every scan rewrites it; a
// dead letter, a prune, a checkpoint and Close always write it),
// ackWriteAfter after it first ran ahead of the file, or at once when it
// is ackWriteEvents ahead. After a crash, what the file lacks is forgotten
// and those events go again: a duplicate, never a loss, and at most about
// a second's or 2×ackWriteEvents' worth (docs/mqtt-contract.md §9).

const (
	// ackWriteAfter bounds how long the watermark may run ahead of the file.
	ackWriteAfter = time.Second
	// ackWriteEvents bounds how far: Ack writes it before it returns once
	// the file is this many events behind.
	ackWriteEvents = 4096
	// ackPiggyBackEvery is how often a commit made anyway carries it.
	ackPiggyBackEvery = 100 * time.Millisecond
)

// lazyWatermark schedules the watermark's writes; db.mu guards it.
type lazyWatermark struct {
	after     time.Duration
	scheduled bool      // a write is due after `after`
	carried   time.Time // when a commit made anyway last carried it
}

// DeadLetter is an event that could not be sent, kept for an admin.
type DeadLetter struct {
	Seq    uint64    `json:"seq"`
	ID     string    `json:"id"`
	Type   string    `json:"type"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	// Retry is set when an admin asked for it to be sent again.
	Retry bool `json:"retry,omitempty"`
}

// NewEvents is signalled after every commit that added events.
func (db *DB) NewEvents() <-chan struct{} { return db.newEvents }

func (db *DB) signalEvents() {
	select {
	case db.newEvents <- struct{}{}:
	default:
	}
}

// PendingEvents returns up to limit events with sequence numbers above
// after that are still in the outbox, in order.
func (db *DB) PendingEvents(after uint64, limit int) ([]floorgate.Outgoing, error) {
	db.mu.RLock()
	from := max(after, db.st.acked) + 1
	ackedAbove := db.st.ackedAbove
	var skip []uint64
	for s := range ackedAbove {
		if s >= from {
			skip = append(skip, s)
		}
	}
	db.mu.RUnlock()
	slices.Sort(skip)
	var out []floorgate.Outgoing
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJournal).Cursor()
		for k, v := c.Seek(u64(from)); k != nil && len(out) < limit; k, v = c.Next() {
			seq := seqOf(k)
			if _, found := slices.BinarySearch(skip, seq); found {
				continue
			}
			p, err := pendingOf(seq, v)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending events: %w", err)
	}
	return out, nil
}

func pendingOf(seq uint64, v []byte) (floorgate.Outgoing, error) {
	id, typ, at, ok := envelopeHead(v)
	if !ok {
		var head struct {
			ID   string    `json:"id"`
			Type string    `json:"type"`
			Time time.Time `json:"time"`
		}
		if err := json.Unmarshal(v, &head); err != nil {
			return floorgate.Outgoing{}, fmt.Errorf("event %d: %w", seq, err)
		}
		id, typ, at = head.ID, head.Type, head.Time
	}
	return floorgate.Outgoing{Seq: seq, ID: id, Type: typ, Time: at, Payload: slices.Clone(v)}, nil
}

// envelopeHead reads id, type and time from an envelope as envelope()
// writes it, without decoding the rest: the drain reads every event.
// Those keys come before "data", and a quote inside a JSON string is always
// escaped, so the first match of each key is the envelope's own.
func envelopeHead(v []byte) (id, typ string, at time.Time, ok bool) {
	field := func(key string) (string, bool) {
		i := bytes.Index(v, []byte(key))
		if i < 0 {
			return "", false
		}
		rest := v[i+len(key):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
			return "", false
		}
		return string(rest[:j]), true
	}
	id, ok1 := field(`{"id":"`)
	typ, ok2 := field(`,"type":"`)
	ts, ok3 := field(`,"time":"`)
	if !ok1 || !ok2 || !ok3 {
		return "", "", time.Time{}, false
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	return id, typ, at, err == nil
}

// JournalRange returns the journal's events from..to (inclusive) as they
// are published, for a replay.
func (db *DB) JournalRange(from, to uint64, limit int) ([]floorgate.Outgoing, error) {
	var out []floorgate.Outgoing
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJournal).Cursor()
		for k, v := c.Seek(u64(from)); k != nil && seqOf(k) <= to && len(out) < limit; k, v = c.Next() {
			p, err := pendingOf(seqOf(k), v)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal range: %w", err)
	}
	return out, nil
}

// Ack takes events out of the outbox: upstream has them. It moves the
// watermark in memory and commits nothing, unless the file's watermark is
// ackWriteEvents behind or an admin's retried dead letter got through (its
// listing is removed); otherwise the watermark is written lazily.
func (db *DB) Ack(ctx context.Context, seqs []uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	var retried []uint64
	var cases []string
	db.mu.Lock()
	st := db.st
	for _, s := range seqs {
		if id, ok := st.upstream[s]; ok {
			// An exception.raised reached upstream: its case is timed.
			cases = append(cases, id)
			delete(st.upstream, s)
		}
		if s > st.acked {
			st.ackedAbove[s] = true
		} else {
			retried = append(retried, s)
		}
	}
	for st.ackedAbove[st.acked+1] {
		st.acked++
		delete(st.ackedAbove, st.acked)
	}
	behind := st.acked - st.ackedOnDisk
	schedule := behind > 0 && behind < ackWriteEvents && len(retried) == 0 && !db.ackWrite.scheduled
	if schedule {
		db.ackWrite.scheduled = true
	}
	db.mu.Unlock()
	if schedule {
		time.AfterFunc(db.ackWrite.after, db.writeAcked)
	}
	if len(cases) > 0 {
		db.caseAcked(cases)
	}
	if len(retried) > 0 {
		err := db.write(ctx, func(w *wtx) error {
			for _, s := range retried {
				if err := w.settleRetry(s); err != nil {
					return err
				}
			}
			return w.writeWatermark()
		})
		if err != nil {
			return fmt.Errorf("ack: %w", err)
		}
		return nil
	}
	if behind >= ackWriteEvents {
		if err := db.write(ctx, (*wtx).writeWatermark); err != nil {
			// The events have left all the same; a crash before the next
			// write sends them again.
			db.log.Warn("outbox watermark not written", "err", err)
		}
	}
	return nil
}

// writeAcked writes the watermark if the file is behind: the lazy write.
func (db *DB) writeAcked() {
	db.mu.Lock()
	db.ackWrite.scheduled = false
	behind := db.st.acked > db.st.ackedOnDisk
	db.mu.Unlock()
	if !behind {
		return
	}
	if err := db.write(context.Background(), (*wtx).writeWatermark); err != nil && !errors.Is(err, ErrClosed) {
		// The next Ack schedules another try.
		db.log.Warn("outbox watermark not written", "err", err)
	}
}

// settleRetry removes a dead letter an admin retried once it got through.
func (w *wtx) settleRetry(seq uint64) error {
	b := w.tx.Bucket(bucketDeadLetters)
	if b.Get(u64(seq)) == nil {
		return nil
	}
	if err := b.Delete(u64(seq)); err != nil {
		return fmt.Errorf("settle dead letter %d: %w", seq, err)
	}
	return nil
}

// advanceWatermark moves the watermark over every contiguous ack and
// writes it.
func (w *wtx) advanceWatermark() error {
	start := w.st.acked
	next := start
	for w.st.ackedAbove[next+1] {
		next++
		deleteIn(w, w.st.ackedAbove, next)
	}
	if next != start {
		w.undo = append(w.undo, func() { w.st.acked = start })
		w.st.acked = next
	}
	return w.writeWatermark()
}

// piggyBackWatermark writes the watermark with a commit made for something
// else, at most every ackPiggyBackEvery: under load the file keeps up with
// memory at no commit of its own.
func (w *wtx) piggyBackWatermark() error {
	if w.st.acked <= w.st.ackedOnDisk {
		return nil
	}
	now := w.db.clock.Now()
	if now.Sub(w.db.ackWrite.carried) < ackPiggyBackEvery {
		return nil
	}
	w.db.ackWrite.carried = now
	return w.writeWatermark()
}

// writeWatermark writes the watermark in memory to the file if the file's
// is behind it.
func (w *wtx) writeWatermark() error {
	onDisk := w.st.ackedOnDisk
	if w.st.acked <= onDisk {
		return nil
	}
	if err := w.tx.Bucket(bucketOutbox).Put(keyAcked, u64(w.st.acked)); err != nil {
		return fmt.Errorf("outbox watermark: %w", err)
	}
	w.undo = append(w.undo, func() { w.st.ackedOnDisk = onDisk })
	w.st.ackedOnDisk = w.st.acked
	return nil
}

// DeadLetter moves an event that cannot be sent out of the outbox into the
// dead-letter list, with the reason. Nothing is dropped: it stays in the
// journal, is counted and listed, and an admin can retry it.
func (db *DB) DeadLetter(ctx context.Context, p floorgate.Outgoing, reason string) error {
	err := db.write(ctx, func(w *wtx) error {
		raw, err := json.Marshal(DeadLetter{Seq: p.Seq, ID: p.ID, Type: p.Type, Reason: reason, At: db.clock.Now()})
		if err != nil {
			return err
		}
		if err := w.tx.Bucket(bucketDeadLetters).Put(u64(p.Seq), raw); err != nil {
			return fmt.Errorf("dead letter %d: %w", p.Seq, err)
		}
		if p.Seq > w.st.acked {
			setIn(w, w.st.ackedAbove, p.Seq, true)
		}
		return w.advanceWatermark()
	})
	if err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	db.log.Error("event dead-lettered", "seq", p.Seq, "id", p.ID, "type", p.Type, "reason", reason)
	return nil
}

// DeadLetters lists the events that could not be sent.
func (db *DB) DeadLetters() ([]DeadLetter, error) {
	var out []DeadLetter
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDeadLetters).ForEach(func(_, v []byte) error {
			var d DeadLetter
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	return out, nil
}

// RetryDeadLetter asks for a dead letter to be sent again; it stays listed
// until upstream acknowledges it.
func (db *DB) RetryDeadLetter(ctx context.Context, seq uint64) error {
	err := db.write(ctx, func(w *wtx) error {
		b := w.tx.Bucket(bucketDeadLetters)
		raw := b.Get(u64(seq))
		if raw == nil {
			return floorgate.Errorf(floorgate.ENOTFOUND, "no dead letter with seq %d", seq)
		}
		var d DeadLetter
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		d.Retry = true
		raw, _ = json.Marshal(d)
		return b.Put(u64(seq), raw)
	})
	if err != nil {
		return fmt.Errorf("retry dead letter: %w", err)
	}
	db.signalEvents()
	return nil
}

// RetryPending returns the dead letters an admin asked to send again, as
// events to publish.
func (db *DB) RetryPending() ([]floorgate.Outgoing, error) {
	var out []floorgate.Outgoing
	err := db.bolt.View(func(tx *bolt.Tx) error {
		journal := tx.Bucket(bucketJournal)
		return tx.Bucket(bucketDeadLetters).ForEach(func(k, v []byte) error {
			var d DeadLetter
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			if !d.Retry {
				return nil
			}
			p, err := pendingOf(d.Seq, journal.Get(k))
			if err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("retry pending: %w", err)
	}
	return out, nil
}

// EmitEvents journals events produced outside the pick flow (a bulk load,
// a benchmark's backlog) in one transaction, putting them in the outbox.
func (db *DB) EmitEvents(ctx context.Context, evs []floorgate.Event) error {
	if err := db.write(ctx, func(w *wtx) error { return w.emit(evs...) }); err != nil {
		return fmt.Errorf("emit events: %w", err)
	}
	return nil
}
