package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/jsonlex"
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
	Lines    []lineStep          `json:"d,omitempty"`
	Verdicts []keptJSON          `json:"v,omitempty"`
}

// lineStep is one changed line's progress: a scan changes one line of its
// task, so a step records that line alone, not all of them. On disk it is
// an array: [task, line (0-based), picked, status, closed at (Unix ms, 0
// while open)].
type lineStep struct {
	Task                  string
	Line                  int
	Picked, Status, Close int64
}

func (l lineStep) MarshalJSON() ([]byte, error) {
	b := jsonlex.AppendString(append(make([]byte, 0, 48), '['), l.Task)
	for _, n := range [4]int64{int64(l.Line), l.Picked, l.Status, l.Close} {
		b = append(b, ',')
		b = strconv.AppendInt(b, n, 10)
	}
	return append(b, ']'), nil
}

func (l *lineStep) UnmarshalJSON(raw []byte) error {
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return err
	}
	if len(a) != 5 {
		return fmt.Errorf("line progress has %d fields, want 5", len(a))
	}
	if err := json.Unmarshal(a[0], &l.Task); err != nil {
		return fmt.Errorf("line progress task: %w", err)
	}
	var line int64
	for i, p := range []*int64{&line, &l.Picked, &l.Status, &l.Close} {
		if err := json.Unmarshal(a[i+1], p); err != nil {
			return fmt.Errorf("line progress field %d: %w", i+2, err)
		}
	}
	l.Line = int(line)
	return nil
}

// lineStepOf is line i of t's progress.
func lineStepOf(t *floorgate.Task, i int) lineStep {
	l := t.Lines[i]
	var closed int64
	if !l.ClosedAt.IsZero() {
		closed = l.ClosedAt.UnixMilli()
	}
	return lineStep{Task: t.ID, Line: i, Picked: int64(l.Picked), Status: int64(max(slices.Index(lineStatuses, l.Status), 0)), Close: closed}
}

// applyTo sets the line's progress on a copy of t.
func (l lineStep) applyTo(t *floorgate.Task) (*floorgate.Task, error) {
	if l.Line < 0 || l.Line >= len(t.Lines) {
		return nil, fmt.Errorf("progress of task %q line %d: the task has %d lines", t.ID, l.Line+1, len(t.Lines))
	}
	if l.Status < 0 || int(l.Status) >= len(lineStatuses) {
		return nil, fmt.Errorf("progress of task %q line %d: status %d", t.ID, l.Line+1, l.Status)
	}
	c := *t
	c.Lines = slices.Clone(t.Lines)
	nl := &c.Lines[l.Line]
	nl.Picked, nl.Status, nl.ClosedAt = int(l.Picked), lineStatuses[l.Status], time.Time{}
	if l.Close != 0 {
		nl.ClosedAt = time.UnixMilli(l.Close).UTC()
	}
	return &c, nil
}

// taskProgress is every line's progress of one open task: picked, status,
// closed at (Unix ms, 0 while open).
type taskProgress struct {
	Task  string     `json:"t"`
	Lines [][3]int64 `json:"l"`
}

// deviceVerdict is a verdict kept for resubmissions of the same scan id.
type deviceVerdict struct {
	Device string
	ScanID string
	Rec    verdictRecord
}

// verdictRecord is what is kept of a verdict: the message and tone follow
// from the code, the item name from master data. A device keeps
// verdictsKept of them, and almost every one's prompt names a line of a
// task the store holds, which gives back the order, the number of lines,
// the location, the SKU, the quantity and whether it is keyed: such a
// prompt is kept short (step, task, line, picked) and read back whole from
// the task. Any other is kept whole in full.
type verdictRecord struct {
	Code    floorgate.Code
	Warning floorgate.Code
	Step    string
	Task    string
	Line    int
	Picked  int
	full    *floorgate.Prompt
}

// keptJSON is a deviceVerdict on disk, in the step log and the verdicts
// bucket.
type keptJSON struct {
	Device string      `json:"d"`
	ScanID string      `json:"i"`
	Rec    verdictJSON `json:"r"`
}

// verdictJSON is a verdictRecord on disk. Records written before prompts
// were kept short have no "s" and a whole prompt.
type verdictJSON struct {
	Code    floorgate.Code   `json:"c"`
	Warning floorgate.Code   `json:"w,omitempty"`
	Prompt  floorgate.Prompt `json:"p"`
	Short   bool             `json:"s,omitempty"`
}

func (dv deviceVerdict) onDisk() keptJSON {
	r := dv.Rec
	j := verdictJSON{Code: r.Code, Warning: r.Warning}
	if r.full != nil {
		j.Prompt = *r.full
	} else {
		j.Prompt = floorgate.Prompt{Step: r.Step, Task: r.Task, Line: r.Line, Picked: r.Picked}
		j.Short = true
	}
	return keptJSON{Device: dv.Device, ScanID: dv.ScanID, Rec: j}
}

func (k keptJSON) kept() deviceVerdict {
	j := k.Rec
	r := verdictRecord{Code: j.Code, Warning: j.Warning}
	if j.Short {
		r.Step, r.Task, r.Line, r.Picked = j.Prompt.Step, j.Prompt.Task, j.Prompt.Line, j.Prompt.Picked
	} else {
		r.full = &j.Prompt
	}
	return deviceVerdict{Device: k.Device, ScanID: k.ScanID, Rec: r}
}

// verdictsOnDisk and verdictsFromDisk convert a list of kept verdicts.
func verdictsOnDisk(list []deviceVerdict) []keptJSON {
	out := make([]keptJSON, len(list))
	for i, dv := range list {
		out[i] = dv.onDisk()
	}
	return out
}

func verdictsFromDisk(list []keptJSON) []deviceVerdict {
	out := make([]deviceVerdict, len(list))
	for i, k := range list {
		out[i] = k.kept()
	}
	return out
}

// withLine fills in the fields of p that the task line p names gives back.
func withLine(t *floorgate.Task, p floorgate.Prompt) floorgate.Prompt {
	l := &t.Lines[p.Line-1]
	p.Order, p.Lines, p.Location, p.SKU, p.Qty, p.KeyedQty = t.Order, len(t.Lines), l.Location, l.SKU, l.Qty, l.KeyedQty
	return p
}

// keptVerdict is what is kept of v, its prompt short when its task line
// gives the rest back exactly.
func (w *wtx) keptVerdict(v floorgate.Verdict) (verdictRecord, error) {
	r := verdictRecord{Code: v.Code, Warning: v.Warning}
	p := v.Prompt
	p.ItemName = ""
	if p.Task != "" && p.Line >= 1 {
		t, err := w.st.task(w.tx, p.Task)
		if err != nil {
			return r, err
		}
		short := floorgate.Prompt{Step: p.Step, Task: p.Task, Line: p.Line, Picked: p.Picked}
		if t != nil && p.Line <= len(t.Lines) && reflect.DeepEqual(withLine(t, short), p) {
			r.Step, r.Task, r.Line, r.Picked = p.Step, p.Task, p.Line, p.Picked
			return r, nil
		}
	}
	r.full = &p
	return r, nil
}

// keptPrompt is the kept verdict's prompt, whole again (without the item
// name). Should the task be gone, the short prompt is all there is.
func (w *wtx) keptPrompt(r verdictRecord) (floorgate.Prompt, error) {
	if r.full != nil {
		return *r.full, nil
	}
	p := floorgate.Prompt{Step: r.Step, Task: r.Task, Line: r.Line, Picked: r.Picked}
	t, err := w.st.task(w.tx, r.Task)
	if err != nil {
		return p, err
	}
	if t != nil && r.Line >= 1 && r.Line <= len(t.Lines) {
		p = withLine(t, p)
	}
	return p, nil
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
	sessions []string  // devices, in order of first change
	tasks    []string  // open tasks whose lines may all have changed
	lines    []lineRef // lines of open tasks that changed
	verdicts []deviceVerdict
}

// lineRef is line i of an open task.
type lineRef struct {
	task string
	i    int
}

func (b *batch) empty() bool {
	return len(b.sessions) == 0 && len(b.tasks) == 0 && len(b.lines) == 0 && len(b.verdicts) == 0
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

// touchTask notes the lines of an open task that changed in this batch
// (from old, nil when it was not open): the step records those lines, or
// all of them when the task is new to the open set or its lines were
// replaced.
func (w *wtx) touchTask(old, t *floorgate.Task) {
	if old == nil || len(old.Lines) != len(t.Lines) {
		if !slices.Contains(w.batch.tasks, t.ID) {
			w.batch.tasks = append(w.batch.tasks, t.ID)
		}
	} else {
		for i := range t.Lines {
			a, b := &old.Lines[i], &t.Lines[i]
			if a.Picked == b.Picked && a.Status == b.Status && a.ClosedAt.Equal(b.ClosedAt) {
				continue
			}
			if r := (lineRef{t.ID, i}); !slices.Contains(w.batch.lines, r) {
				w.batch.lines = append(w.batch.lines, r)
			}
		}
	}
	if !w.st.dirtyTasks[t.ID] {
		setIn(w, w.st.dirtyTasks, t.ID, true)
	}
}

// recordVerdict keeps a verdict for resubmissions of the same scan id.
func (w *wtx) recordVerdict(device string, v floorgate.Verdict) error {
	rec, err := w.keptVerdict(v)
	if err != nil {
		return fmt.Errorf("keep verdict: %w", err)
	}
	dv := deviceVerdict{Device: device, ScanID: v.ScanID, Rec: rec}
	setIn(w, w.st.verdicts, device, keepVerdict(w.st.verdicts[device], dv))
	setIn(w, w.st.dirtyVerdicts, device, true)
	w.batch.verdicts = append(w.batch.verdicts, dv)
	return nil
}

// keepVerdict returns the list with v added, at most verdictsKept long.
// It never writes within old's length, so old is still the list it was
// (an undone commit puts it back): v goes into spare room after it, or
// into a new array. A full list slides along an array twice its length,
// so it is copied once every verdictsKept verdicts, not on each one.
func keepVerdict(old []deviceVerdict, v deviceVerdict) []deviceVerdict {
	keep := old[max(len(old)+1-verdictsKept, 0):]
	if len(keep) < cap(keep) {
		return append(keep, v)
	}
	out := make([]deviceVerdict, len(keep), min(max(2*len(keep), 4), 2*verdictsKept))
	copy(out, keep)
	return append(out, v)
}

// seen loads the verdict already given to this scan id, if any.
func (w *wtx) seen(device, scanID string, v *floorgate.Verdict) (bool, error) {
	for _, dv := range w.st.verdicts[device] {
		if dv.ScanID == scanID {
			p, err := w.keptPrompt(dv.Rec)
			if err != nil {
				return false, fmt.Errorf("resent verdict: %w", err)
			}
			*v = floorgate.NewVerdict(scanID, dv.Rec.Code, p)
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
	// Every commit passes here: it carries the lazy outbox watermark now
	// and then (outbox.go).
	if err := w.piggyBackWatermark(); err != nil {
		return err
	}
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
	for _, r := range w.batch.lines {
		// A task closed since has its final progress in its record.
		if t := w.st.open[r.task]; t != nil {
			rec.Lines = append(rec.Lines, lineStepOf(t, r.i))
		}
	}
	rec.Verdicts = verdictsOnDisk(w.batch.verdicts)
	start := len(w.arena)
	if err := json.NewEncoder((*arenaWriter)(w)).Encode(rec); err != nil {
		return fmt.Errorf("encode step: %w", err)
	}
	raw := w.arena[start:len(w.arena):len(w.arena)]
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

// arenaWriter appends to the batch's arena (wtx.arena).
type arenaWriter wtx

func (a *arenaWriter) Write(p []byte) (int, error) {
	a.arena = append(a.arena, p...)
	return len(p), nil
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
		for _, l := range rec.Lines {
			t := st.open[l.Task]
			if t == nil {
				continue
			}
			nt, err := l.applyTo(t)
			if err != nil {
				return fmt.Errorf("replay step %d: %w", seqOf(k), err)
			}
			st.open[l.Task] = nt
			st.dirtyTasks[l.Task] = true
		}
		for _, dv := range verdictsFromDisk(rec.Verdicts) {
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
	acked := st.acked
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		// The lazy outbox watermark goes with it (outbox.go).
		if acked > st.ackedOnDisk {
			if err := tx.Bucket(bucketOutbox).Put(keyAcked, u64(acked)); err != nil {
				return err
			}
		}
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
			if err := put(bucketVerdicts, d, verdictsOnDisk(st.verdicts[d])); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bucketSteps); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketSteps)
		return err
	})
	// It always rewrites the step log's bucket: a success found room.
	db.noteCommit(err, true)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	clear(st.dirtySessions)
	clear(st.dirtyTasks)
	clear(st.dirtyVerdicts)
	st.ackedOnDisk = max(st.ackedOnDisk, acked)
	db.stepBytes = 0
	return nil
}
