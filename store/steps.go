package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// The step log.
//
// A scan changes a device's session, its task's line progress and the
// verdict kept for resubmissions. Writing each to its own record would
// dirty a page per device in every commit. Instead each commit appends one
// record to the step log holding all of them for the whole batch, and a
// checkpoint now and then writes the changed sessions, tasks and verdicts
// to their buckets and empties the log. On open, the buckets are loaded
// and the log replayed on top.

// verdictsKept is how many recent verdicts a device can resend a scan for.
// A device resends only the scans that were unanswered when its connection
// dropped; protocol v1 sends one at a time.
const verdictsKept = 32

// checkpointBytes is how much the step log may hold before a checkpoint.
const checkpointBytes = 8 << 20

// stepRecord is one commit's worth of session, progress and verdicts.
type stepRecord struct {
	Sessions []floorgate.Session `json:"s,omitempty"`
	Progress []taskProgress      `json:"p,omitempty"`
	Verdicts []deviceVerdict     `json:"v,omitempty"`
}

// taskProgress is every line's progress of one open task: picked, status,
// closed at (Unix ms, 0 while open).
type taskProgress struct {
	Task  string     `json:"t"`
	Lines [][3]int64 `json:"l"`
}

// deviceVerdict is a verdict kept for resubmissions of the same scan id.
type deviceVerdict struct {
	Device string        `json:"d"`
	ScanID string        `json:"i"`
	Rec    verdictRecord `json:"r"`
}

// verdictRecord is what is kept of a verdict: the message and tone follow
// from the code, the item name from master data.
type verdictRecord struct {
	Code    floorgate.Code   `json:"c"`
	Warning floorgate.Code   `json:"w,omitempty"`
	Prompt  floorgate.Prompt `json:"p"`
}

var lineStatuses = []floorgate.LineStatus{floorgate.LineOpen, floorgate.LineDone, floorgate.LineShort}

func progressOf(t *floorgate.Task) taskProgress {
	p := taskProgress{Task: t.ID, Lines: make([][3]int64, len(t.Lines))}
	for i, l := range t.Lines {
		var closed int64
		if !l.ClosedAt.IsZero() {
			closed = l.ClosedAt.UnixMilli()
		}
		p.Lines[i] = [3]int64{int64(l.Picked), int64(max(slices.Index(lineStatuses, l.Status), 0)), closed}
	}
	return p
}

// applyTo overlays the progress on a copy of t.
func (p taskProgress) applyTo(t *floorgate.Task) (*floorgate.Task, error) {
	if len(p.Lines) != len(t.Lines) {
		return nil, fmt.Errorf("progress of task %q has %d lines, the task %d", t.ID, len(p.Lines), len(t.Lines))
	}
	c := *t
	c.Lines = slices.Clone(t.Lines)
	for i, l := range p.Lines {
		if l[1] < 0 || int(l[1]) >= len(lineStatuses) {
			return nil, fmt.Errorf("progress of task %q line %d: status %d", t.ID, i, l[1])
		}
		c.Lines[i].Picked, c.Lines[i].Status, c.Lines[i].ClosedAt = int(l[0]), lineStatuses[l[1]], time.Time{}
		if l[2] != 0 {
			c.Lines[i].ClosedAt = time.UnixMilli(l[2]).UTC()
		}
	}
	return &c, nil
}

// batch is what the current batch changed, to be written as its step.
type batch struct {
	sessions []string // devices, in order of first change
	tasks    []string // open tasks whose lines may have changed
	verdicts []deviceVerdict
}

func (b *batch) empty() bool {
	return len(b.sessions) == 0 && len(b.tasks) == 0 && len(b.verdicts) == 0
}

// putSession changes a device's session; the batch's step records it.
func (w *wtx) putSession(s floorgate.Session) error {
	setIn(w, w.st.sessions, s.Device, s)
	if !slices.Contains(w.batch.sessions, s.Device) {
		w.batch.sessions = append(w.batch.sessions, s.Device)
	}
	setIn(w, w.st.dirtySessions, s.Device, true)
	return nil
}

// touchTask notes that an open task's lines may have changed in this batch.
func (w *wtx) touchTask(id string) {
	if !slices.Contains(w.batch.tasks, id) {
		w.batch.tasks = append(w.batch.tasks, id)
	}
	setIn(w, w.st.dirtyTasks, id, true)
}

// recordVerdict keeps a verdict for resubmissions of the same scan id.
func (w *wtx) recordVerdict(device string, v floorgate.Verdict) error {
	dv := deviceVerdict{Device: device, ScanID: v.ScanID, Rec: verdictRecord{Code: v.Code, Warning: v.Warning, Prompt: v.Prompt}}
	dv.Rec.Prompt.ItemName = ""
	setIn(w, w.st.verdicts, device, keepVerdict(w.st.verdicts[device], dv))
	setIn(w, w.st.dirtyVerdicts, device, true)
	w.batch.verdicts = append(w.batch.verdicts, dv)
	return nil
}

// keepVerdict returns a new list: the old one with v added, at most
// verdictsKept long.
func keepVerdict(old []deviceVerdict, v deviceVerdict) []deviceVerdict {
	start := max(len(old)+1-verdictsKept, 0)
	out := make([]deviceVerdict, 0, len(old)-start+1)
	return append(append(out, old[start:]...), v)
}

// seen loads the verdict already given to this scan id, if any.
func (w *wtx) seen(device, scanID string, v *floorgate.Verdict) (bool, error) {
	for _, dv := range w.st.verdicts[device] {
		if dv.ScanID == scanID {
			*v = floorgate.NewVerdict(scanID, dv.Rec.Code, dv.Rec.Prompt)
			if dv.Rec.Warning != "" {
				*v = v.WithWarning(dv.Rec.Warning)
			}
			w.db.fillPrompt(&v.Prompt)
			return true, nil
		}
	}
	return false, nil
}

// writeStep appends the batch's step to the log.
func (w *wtx) writeStep() error {
	if w.batch.empty() {
		return nil
	}
	var rec stepRecord
	for _, d := range w.batch.sessions {
		rec.Sessions = append(rec.Sessions, w.st.sessions[d])
	}
	for _, id := range w.batch.tasks {
		if t := w.st.open[id]; t != nil {
			rec.Progress = append(rec.Progress, progressOf(t))
		}
	}
	rec.Verdicts = w.batch.verdicts
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode step: %w", err)
	}
	b := appendOnly(w.tx, bucketSteps)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("step: %w", err)
	}
	if err := b.Put(u64(seq), raw); err != nil {
		return fmt.Errorf("put step: %w", err)
	}
	w.db.stepBytes += len(raw)
	return nil
}

// replaySteps applies the step log to the state loaded from the buckets.
func replaySteps(tx *bolt.Tx, st *state) (int, error) {
	n := 0
	err := tx.Bucket(bucketSteps).ForEach(func(k, v []byte) error {
		n += len(v)
		var rec stepRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("replay step %d: %w", seqOf(k), err)
		}
		for _, s := range rec.Sessions {
			st.sessions[s.Device] = s
			st.dirtySessions[s.Device] = true
		}
		for _, p := range rec.Progress {
			t := st.open[p.Task]
			if t == nil {
				continue // closed since: its record holds its final progress
			}
			nt, err := p.applyTo(t)
			if err != nil {
				return fmt.Errorf("replay step %d: %w", seqOf(k), err)
			}
			st.open[p.Task] = nt
			st.dirtyTasks[p.Task] = true
		}
		for _, dv := range rec.Verdicts {
			st.verdicts[dv.Device] = keepVerdict(st.verdicts[dv.Device], dv)
			st.dirtyVerdicts[dv.Device] = true
		}
		return nil
	})
	return n, err
}

// checkpoint writes the sessions, open tasks and verdict lists changed
// since the last checkpoint to their buckets and empties the step log, in
// one transaction. The caller holds mu.
func (db *DB) checkpoint() error {
	st := db.st
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		put := func(bucket []byte, key string, v any) error {
			raw, err := json.Marshal(v)
			if err != nil {
				return err
			}
			return tx.Bucket(bucket).Put([]byte(key), raw)
		}
		for d := range st.dirtySessions {
			if err := put(bucketSessions, d, st.sessions[d]); err != nil {
				return err
			}
		}
		for id := range st.dirtyTasks {
			if t := st.open[id]; t != nil {
				if err := put(bucketTasks, id, t); err != nil {
					return err
				}
			}
		}
		for d := range st.dirtyVerdicts {
			if err := put(bucketVerdicts, d, st.verdicts[d]); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bucketSteps); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketSteps)
		return err
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	clear(st.dirtySessions)
	clear(st.dirtyTasks)
	clear(st.dirtyVerdicts)
	db.stepBytes = 0
	return nil
}
