package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// Retention.
//
// The journal would grow by every scan forever. Once upstream has
// acknowledged an event (its seq is at or below the outbox watermark) the
// gateway needs it only for an events.replay, so events older than the
// retention period are deleted. bbolt never shrinks its file, but it reuses
// the pages freed, so a gateway under a steady load settles at a steady
// size: about retention × daily volume.
//
// What is kept, and why:
//   - every event above the watermark (not yet upstream), every dead letter
//     (an admin may retry it) and the newest event (the next sequence
//     number is derived from it at open);
//   - a command id is remembered as long as its command.applied or
//     command.rejected answer is in the journal, and forgotten with it: a
//     command redelivered within the retention period after its answer was
//     acknowledged is recognised as a duplicate, one redelivered later is
//     applied again (task.create still skips tasks it holds);
//   - finished print jobs (printed, failed, cancelled) are deleted after the
//     retention period; a reprint of one is then refused as not found;
//   - the audit log is kept for at least auditKeep, whatever the retention;
//   - recent verdicts (verdictsKept per device), sessions and devices are
//     bounded by the number of devices and need no pruning; closed tasks,
//     shipments and spent serial numbers are kept: they guard against
//     importing a task twice and picking a serial number twice.
//
// An events.replay over a pruned range publishes what remains of it
// (JournalRange skips the gap); OldestEvent says where the journal starts.

// pruneBatch bounds the keys one retention transaction examines, so scans
// queued behind it wait only for a short commit.
const pruneBatch = 10_000

// newerRun is how many events in a row newer than the cutoff end a pass:
// the journal is in commit order, so past them every event is newer. An
// event stamped with a device clock far ahead is kept until its own time
// and passed over without ending the pass.
const newerRun = 1_000

// auditKeep is the least time admin actions are kept for.
const auditKeep = 366 * 24 * time.Hour

// PruneStats counts what a retention pass deleted.
type PruneStats struct {
	Events    int `json:"events"`
	Commands  int `json:"commands"`
	PrintJobs int `json:"print_jobs"`
	Audit     int `json:"audit"`
	Waves     int `json:"waves"`
	// Parcels are presale parcels shipped before the cut-off; Timelines
	// the orders shipped or cancelled before it.
	Parcels    int `json:"parcels"`
	Timelines  int `json:"timelines"`
	Exceptions int `json:"exceptions"` // resolved exception cases
	// Batches is the number of write transactions the pass took.
	Batches int `json:"batches"`
}

// Prune deletes the journal events acknowledged upstream (at or below the
// outbox watermark) that are older than before, and the command ids
// answered by them, and returns how many events it deleted. It never
// deletes an event not yet acknowledged, a dead letter or the newest event.
// It works in batches of at most pruneBatch keys, each committed by the
// writer like any other change.
func (db *DB) Prune(ctx context.Context, before time.Time) (int, error) {
	st, err := db.pruneJournal(ctx, before)
	return st.Events, err
}

// PruneAll is a whole retention pass: Prune, then the finished print jobs
// older than before and the audit entries older than before and auditKeep.
func (db *DB) PruneAll(ctx context.Context, before time.Time) (PruneStats, error) {
	st, err := db.pruneJournal(ctx, before)
	if err != nil {
		return st, err
	}
	n, b, err := db.pruneBucket(ctx, bucketPrintJobs, func(_, v []byte) (bool, bool, error) {
		var j floorgate.PrintJob
		if err := json.Unmarshal(v, &j); err != nil {
			return false, false, err
		}
		switch j.Status {
		case floorgate.JobPrinted, floorgate.JobFailed, floorgate.JobCancelled:
			last := j.Updated
			if last.IsZero() {
				last = j.Created
			}
			return last.Before(before), false, nil
		}
		return false, false, nil
	})
	st.PrintJobs, st.Batches = n, st.Batches+b
	if err != nil {
		return st, fmt.Errorf("prune print jobs: %w", err)
	}
	auditBefore := db.clock.Now().Add(-auditKeep)
	if before.Before(auditBefore) {
		auditBefore = before
	}
	n, b, err = db.pruneBucket(ctx, bucketAudit, func(_, v []byte) (bool, bool, error) {
		var e AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return false, false, err
		}
		// Entries are in the order they were made, by the gateway's clock.
		old := e.Time.Before(auditBefore)
		return old, !old, nil
	})
	st.Audit, st.Batches = n, st.Batches+b
	if err != nil {
		return st, fmt.Errorf("prune audit: %w", err)
	}
	st.Waves, err = db.pruneWaves(ctx, before)
	st.Batches++
	if err != nil {
		return st, fmt.Errorf("prune waves: %w", err)
	}
	n, b, err = db.pruneBucket(ctx, bucketParcels, func(_, v []byte) (bool, bool, error) {
		var p floorgate.HeldParcel
		if err := json.Unmarshal(v, &p); err != nil {
			return false, false, err
		}
		return !p.Shipped.IsZero() && p.Shipped.Before(before), false, nil
	})
	st.Parcels, st.Batches = n, st.Batches+b
	if err != nil {
		return st, fmt.Errorf("prune parcels: %w", err)
	}
	n, b, err = db.pruneBucket(ctx, bucketTimelines, func(_, v []byte) (bool, bool, error) {
		var t floorgate.OrderTimeline
		if err := json.Unmarshal(v, &t); err != nil {
			return false, false, err
		}
		end := t.Shipped
		if end.IsZero() {
			end = t.Cancelled
		}
		return !end.IsZero() && end.Before(before), false, nil
	})
	st.Timelines, st.Batches = n, st.Batches+b
	if err != nil {
		return st, fmt.Errorf("prune timelines: %w", err)
	}
	n, b, err = db.pruneBucket(ctx, bucketExceptions, func(_, v []byte) (bool, bool, error) {
		var c caseRecord
		if err := json.Unmarshal(v, &c); err != nil {
			return false, false, err
		}
		// A resolved case whose raise has reached upstream; one still
		// waiting for its PUBACK keeps its record, for the timing.
		return c.Resolution != nil && c.Resolution.ResolvedAt.Before(before) && !c.UpstreamAt.IsZero(), false, nil
	})
	st.Exceptions, st.Batches = n, st.Batches+b
	if err != nil {
		return st, fmt.Errorf("prune exceptions: %w", err)
	}
	return st, nil
}

// pruneWaves forgets the waves completed before before (at most
// pruneBatch a pass): their tasks are closed and their events upstream.
func (db *DB) pruneWaves(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := db.write(ctx, func(w *wtx) error {
		n = 0
		for id, wv := range w.st.waves {
			if n == pruneBatch {
				break
			}
			if wv.Status != floorgate.WaveCompleted || !wv.CompletedAt.Before(before) {
				continue
			}
			deleteIn(w, w.st.waves, id)
			if err := w.tx.Bucket(bucketWaves).Delete([]byte(id)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func (db *DB) pruneJournal(ctx context.Context, before time.Time) (PruneStats, error) {
	var total PruneStats
	from := uint64(0)
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("prune: %w", err)
		}
		var (
			events, commands int
			next             uint64
			end              bool
		)
		err := db.write(ctx, func(w *wtx) error {
			// fn may run again after a failed batch: results are assigned,
			// never added to.
			events, commands, next, end = 0, 0, from, false
			// What is pruned is below the watermark in the file too, so a
			// crash cannot leave the file's watermark under a pruned gap.
			if err := w.writeWatermark(); err != nil {
				return err
			}
			// The newest event stays: the next sequence number follows it.
			limit := min(w.st.acked, w.st.seq-min(w.st.seq, 1))
			journal := w.tx.Bucket(bucketJournal)
			dead := w.tx.Bucket(bucketDeadLetters)
			cmds := w.tx.Bucket(bucketCommands)
			var del [][]byte
			var ids []string
			examined, newer := 0, 0
			c := journal.Cursor()
			k, v := c.Seek(u64(from))
			for ; k != nil && seqOf(k) <= limit && examined < pruneBatch && newer < newerRun; k, v = c.Next() {
				examined++
				next = seqOf(k) + 1
				if dead.Get(k) != nil {
					continue
				}
				typ, at, err := eventHead(seqOf(k), v)
				if err != nil {
					return err
				}
				if !at.Before(before) {
					newer++
					continue
				}
				newer = 0
				del = append(del, slices.Clone(k))
				if typ == floorgate.EventCommandApplied || typ == floorgate.EventCommandRejected {
					var ev struct {
						Data floorgate.CommandRecord `json:"data"`
					}
					if err := json.Unmarshal(v, &ev); err != nil {
						return fmt.Errorf("event %d: %w", seqOf(k), err)
					}
					if ev.Data.CommandID != "" {
						ids = append(ids, ev.Data.CommandID)
					}
				}
			}
			end = k == nil || seqOf(k) > limit || newer >= newerRun
			for _, k := range del {
				if err := journal.Delete(k); err != nil {
					return fmt.Errorf("delete event %d: %w", seqOf(k), err)
				}
			}
			for _, id := range ids {
				if cmds.Get([]byte(id)) == nil {
					continue
				}
				if err := cmds.Delete([]byte(id)); err != nil {
					return fmt.Errorf("delete command %s: %w", id, err)
				}
				commands++
			}
			events = len(del)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("prune: %w", err)
		}
		total.Events += events
		total.Commands += commands
		total.Batches++
		from = next
		if end {
			return total, nil
		}
	}
}

// eventHead reads an event's type and time.
func eventHead(seq uint64, v []byte) (string, time.Time, error) {
	if _, typ, at, ok := envelopeHead(v); ok {
		return typ, at, nil
	}
	p, err := pendingOf(seq, v)
	return p.Type, p.Time, err
}

// pruneBucket deletes the keys of a bucket that old says to, in batches of
// at most pruneBatch keys examined; old may also say to stop there. It
// returns the keys deleted and the transactions taken.
func (db *DB) pruneBucket(ctx context.Context, bucket []byte, old func(k, v []byte) (del, stop bool, err error)) (int, int, error) {
	var from []byte
	total, batches := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return total, batches, err
		}
		var (
			n    int
			next []byte
			end  bool
		)
		err := db.write(ctx, func(w *wtx) error {
			n, next, end = 0, from, false
			b := w.tx.Bucket(bucket)
			var del [][]byte
			examined := 0
			c := b.Cursor()
			k, v := c.First()
			if from != nil {
				k, v = c.Seek(from)
			}
			for ; k != nil && examined < pruneBatch; k, v = c.Next() {
				examined++
				d, stop, err := old(k, v)
				if err != nil {
					return fmt.Errorf("%s %q: %w", bucket, k, err)
				}
				if stop {
					end = true
					break
				}
				if d {
					del = append(del, slices.Clone(k))
				}
			}
			if k == nil {
				end = true
			} else {
				next = slices.Clone(k)
			}
			for _, k := range del {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			n = len(del)
			return nil
		})
		if err != nil {
			return total, batches, err
		}
		total += n
		batches++
		from = next
		if end {
			return total, batches, nil
		}
	}
}

// OldestEvent is the sequence number of the oldest event still in the
// journal (0 when it is empty): a replay from before it publishes only
// what remains.
func (db *DB) OldestEvent() (uint64, error) {
	var seq uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketJournal).Cursor().First(); k != nil {
			seq = seqOf(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("oldest event: %w", err)
	}
	return seq, nil
}

// RunRetention runs PruneAll at once and then every interval, deleting what
// is older than keep, until ctx ends or the database closes. Each pass is
// logged; a failed pass is logged and tried again at the next interval.
func (db *DB) RunRetention(ctx context.Context, every, keep time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		start := time.Now()
		st, err := db.PruneAll(ctx, db.clock.Now().Add(-keep))
		switch {
		case err != nil && (ctx.Err() != nil || db.isClosed()):
			return
		case err != nil:
			db.log.Error("retention", "err", err, "events", st.Events)
		case st.Events+st.Commands+st.PrintJobs+st.Audit+st.Waves > 0:
			db.log.Info("retention", "events", st.Events, "commands", st.Commands, "print_jobs", st.PrintJobs,
				"audit", st.Audit, "waves", st.Waves, "batches", st.Batches, "took", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		case <-db.stop:
			return
		}
	}
}

func (db *DB) isClosed() bool {
	select {
	case <-db.stop:
		return true
	default:
		return false
	}
}
