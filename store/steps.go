package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// verdictRetention is how long a verdict is kept for a device that resends
// a scan. A device resends only what was unanswered when its connection
// dropped, so days are plenty.
const verdictRetention = 72 * time.Hour

// step is one record of the step log: a verdict given to a device's scan,
// or line progress of an open task (or both).
type step struct {
	Device  string         `json:"d,omitempty"`
	ScanID  string         `json:"s,omitempty"`
	At      time.Time      `json:"t"`
	Verdict *verdictRecord `json:"v,omitempty"`
	Task    string         `json:"k,omitempty"`
	Lines   []lineProgress `json:"l,omitempty"`
}

// verdictRecord is what is kept of a verdict for resubmissions: the rest
// (message, tone) follows from the code.
type verdictRecord struct {
	Code    floorgate.Code   `json:"c"`
	Warning floorgate.Code   `json:"w,omitempty"`
	Prompt  floorgate.Prompt `json:"p"`
}

type lineProgress struct {
	Line     int                  `json:"i"`
	Picked   int                  `json:"n"`
	Status   floorgate.LineStatus `json:"st"`
	ClosedAt time.Time            `json:"at,omitzero"`
}

func scanIndexKey(device, scanID string) string { return device + "\x00" + scanID }

// appendStep writes a record at the end of the step log.
func (w *wtx) appendStep(s step) (uint64, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return 0, fmt.Errorf("encode step: %w", err)
	}
	prev := w.st.stepSeq
	w.undo = append(w.undo, func() { w.st.stepSeq = prev })
	w.st.stepSeq++
	if err := w.tx.Bucket(bucketSteps).Put(u64(w.st.stepSeq), raw); err != nil {
		return 0, fmt.Errorf("put step: %w", err)
	}
	return w.st.stepSeq, nil
}

// recordVerdict keeps a verdict for resubmissions of the same scan id.
func (w *wtx) recordVerdict(device string, v floorgate.Verdict, at time.Time) error {
	key, err := w.appendStep(step{Device: device, ScanID: v.ScanID, At: at,
		Verdict: &verdictRecord{Code: v.Code, Warning: v.Warning, Prompt: v.Prompt}})
	if err != nil {
		return err
	}
	setIn(w, w.st.scanIndex, scanIndexKey(device, v.ScanID), key)
	return nil
}

// seen loads the verdict already given to this scan id, if any.
func (w *wtx) seen(device, scanID string, v *floorgate.Verdict) (bool, error) {
	key, ok := w.st.scanIndex[scanIndexKey(device, scanID)]
	if !ok {
		return false, nil
	}
	var s step
	raw := w.tx.Bucket(bucketSteps).Get(u64(key))
	if raw == nil {
		return false, fmt.Errorf("stored verdict %s/%s: step %d missing", device, scanID, key)
	}
	if err := json.Unmarshal(raw, &s); err != nil || s.Verdict == nil {
		return true, fmt.Errorf("stored verdict %s/%s: %v", device, scanID, err)
	}
	*v = floorgate.NewVerdict(scanID, s.Verdict.Code, s.Verdict.Prompt)
	if s.Verdict.Warning != "" {
		*v = v.WithWarning(s.Verdict.Warning)
	}
	return true, nil
}

// recordProgress logs the lines of t that differ from old.
func (w *wtx) recordProgress(old, t *floorgate.Task) error {
	var lines []lineProgress
	for i, l := range t.Lines {
		if i < len(old.Lines) && old.Lines[i] == l {
			continue
		}
		lines = append(lines, lineProgress{Line: i, Picked: l.Picked, Status: l.Status, ClosedAt: l.ClosedAt})
	}
	if len(lines) == 0 {
		return nil
	}
	key, err := w.appendStep(step{Task: t.ID, Lines: lines, At: w.db.clock.Now()})
	if err != nil {
		return err
	}
	setIn(w, w.st.taskSteps, t.ID, append(w.st.taskSteps[t.ID][:len(w.st.taskSteps[t.ID]):len(w.st.taskSteps[t.ID])], key))
	return nil
}

// forgetProgress drops the progress records of a task whose whole record
// was just written: it holds the same progress.
func (w *wtx) forgetProgress(task string) error {
	keys := w.st.taskSteps[task]
	if len(keys) == 0 {
		return nil
	}
	b := w.tx.Bucket(bucketSteps)
	for _, k := range keys {
		if err := b.Delete(u64(k)); err != nil {
			return fmt.Errorf("delete step %d: %w", k, err)
		}
	}
	deleteIn(w, w.st.taskSteps, task)
	return nil
}

// loadSteps replays the step log onto the open tasks and rebuilds the index
// of recent verdicts; verdicts past their retention are deleted.
func loadSteps(tx *bolt.Tx, st *state, now time.Time) error {
	b := tx.Bucket(bucketSteps)
	var expired [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		key := seqOf(k)
		st.stepSeq = key
		var s step
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("load step %d: %w", key, err)
		}
		if s.Verdict != nil {
			if now.Sub(s.At) > verdictRetention && s.Task == "" {
				expired = append(expired, append([]byte(nil), k...))
				continue
			}
			st.scanIndex[scanIndexKey(s.Device, s.ScanID)] = key
		}
		if s.Task == "" {
			continue
		}
		t := st.open[s.Task]
		if t == nil {
			// A closed task's record holds its final progress; a progress
			// record left behind for it says nothing new.
			continue
		}
		for _, l := range s.Lines {
			if l.Line < 0 || l.Line >= len(t.Lines) {
				return fmt.Errorf("load step %d: task %q has no line %d", key, s.Task, l.Line)
			}
			tl := &t.Lines[l.Line]
			tl.Picked, tl.Status, tl.ClosedAt = l.Picked, l.Status, l.ClosedAt
		}
		st.taskSteps[s.Task] = append(st.taskSteps[s.Task], key)
	}
	for _, k := range expired {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("expire step %d: %w", seqOf(k), err)
		}
	}
	return nil
}
