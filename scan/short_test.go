package scan_test

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

func TestShort(t *testing.T) {
	now := t0.Add(90 * time.Second)
	cases := []struct {
		name  string
		sess  floorgate.Session
		task  func() *floorgate.Task
		found int

		code      floorgate.Code
		wantSess  *floorgate.Session // for accepted shorts
		exception floorgate.ExceptionRecord
		line      floorgate.LineRecord
		done      *floorgate.TaskRecord
	}{
		{name: "not logged in", sess: floorgate.Session{Device: dev}, task: nil, code: floorgate.CodeNotLoggedIn},
		{name: "no task", sess: floorgate.Session{Device: dev, Operator: op}, code: floorgate.CodeNoTask},
		{name: "task done", sess: sess(0, true, ""),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone), closed(2, floorgate.LineDone), status(floorgate.TaskDone)),
			code: floorgate.CodeNoTask},
		{name: "task cancelled", sess: sess(0, true, ""), task: task(status(floorgate.TaskCancelled)), code: floorgate.CodeTaskCancelled},
		{name: "not at the bin", sess: sess(0, false, ""), task: task(), code: floorgate.CodeItemBeforeLocation},
		{name: "negative found", sess: sess(0, true, ""), task: task(), found: -1, code: floorgate.CodeBadScan},
		{name: "found everything is no short", sess: sess(0, true, ""), task: task(), found: 2, code: floorgate.CodeBadScan},
		{name: "found what remains after a pick is no short", sess: sess(0, true, ""), task: task(picked(0, 1)), found: 1, code: floorgate.CodeBadScan},
		{name: "found more than asked", sess: sess(0, true, ""), task: task(), found: 3, code: floorgate.CodeBadScan},
		{name: "found so large it would overflow", sess: sess(0, true, ""), task: task(picked(0, 1)), found: math.MaxInt, code: floorgate.CodeBadScan},

		{name: "empty bin, next line in the same bin", sess: sess(0, true, ""), task: task(picked(0, 1)), found: 0,
			code:     floorgate.CodeShortOK,
			wantSess: ptr(sess(1, true, "RED")),
			exception: floorgate.ExceptionRecord{Kind: floorgate.ExceptionShortPick, Task: "T1", Order: "SO-1001", Line: 1,
				Location: "A-01-01", SKU: "RED", Expected: 2, Found: 1, Operator: op, Device: dev},
			line: floorgate.LineRecord{Task: "T1", Order: "SO-1001", Line: 1, Location: "A-01-01", SKU: "RED",
				Qty: 2, Picked: 1, Status: floorgate.LineShort, Operator: op, Device: dev}},
		{name: "empty bin, next line elsewhere", sess: sess(1, true, "RED"), task: task(closed(0, floorgate.LineDone)), found: 0,
			code:     floorgate.CodeShortOK,
			wantSess: ptr(sess(2, false, "BLUE")),
			exception: floorgate.ExceptionRecord{Kind: floorgate.ExceptionShortPick, Task: "T1", Order: "SO-1001", Line: 2,
				Location: "A-01-01", SKU: "BLUE", Expected: 1, Found: 0, Operator: op, Device: dev},
			line: floorgate.LineRecord{Task: "T1", Order: "SO-1001", Line: 2, Location: "A-01-01", SKU: "BLUE",
				Qty: 1, Picked: 0, Status: floorgate.LineShort, Operator: op, Device: dev}},
		{name: "short on the last line completes the task", sess: sess(2, true, ""),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone), picked(2, 1)), found: 2,
			code:     floorgate.CodeShortOK,
			wantSess: &floorgate.Session{Device: dev, Operator: op},
			exception: floorgate.ExceptionRecord{Kind: floorgate.ExceptionShortPick, Task: "T1", Order: "SO-1001", Line: 3,
				Location: "B-02-05", SKU: "GREEN", Expected: 5, Found: 3, Operator: op, Device: dev},
			line: floorgate.LineRecord{Task: "T1", Order: "SO-1001", Line: 3, Location: "B-02-05", SKU: "GREEN",
				Qty: 5, Picked: 3, Status: floorgate.LineShort, Operator: op, Device: dev},
			done: &floorgate.TaskRecord{Task: "T1", Order: "SO-1001", Wave: "W7", Operator: op, Device: dev, Lines: 3, Short: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := scan.State{Policy: floorgate.DefaultPolicy(), Session: c.sess}
			if c.task != nil {
				st.Task = c.task()
			}
			before := clone(st.Task)

			r := scan.Short(st, "short-1", c.found, now)

			if !reflect.DeepEqual(st.Task, before) {
				t.Fatalf("input task mutated")
			}
			v := r.Verdict
			if v.Code != c.code || v.ScanID != "short-1" {
				t.Fatalf("verdict = %s/%s, want short-1/%s", v.ScanID, v.Code, c.code)
			}
			if want := scan.PromptFor(r.Session, r.Task); !reflect.DeepEqual(v.Prompt, want) {
				t.Errorf("prompt = %+v, want %+v", v.Prompt, want)
			}
			if c.wantSess == nil {
				if v.OK {
					t.Errorf("refused short is OK")
				}
				checkUnchanged(t, st, r)
				checkEvents(t, r.Events, now)
				return
			}
			if !v.OK || v.Feedback.Kind != floorgate.Warn {
				t.Errorf("short_ok: OK=%v feedback %q, want OK with a warn tone", v.OK, v.Feedback.Kind)
			}
			if !reflect.DeepEqual(r.Session, *c.wantSess) {
				t.Errorf("session:\n got %+v\nwant %+v", r.Session, *c.wantSess)
			}
			want := []string{floorgate.EventPickException, floorgate.EventLineConfirmed}
			if c.done != nil {
				want = append(want, floorgate.EventTaskCompleted)
			}
			checkEvents(t, r.Events, now, want...)
			if got := decode[floorgate.ExceptionRecord](t, r.Events[0]); got != c.exception {
				t.Errorf("exception:\n got %+v\nwant %+v", got, c.exception)
			}
			if got := decode[floorgate.LineRecord](t, r.Events[1]); got != c.line {
				t.Errorf("line record:\n got %+v\nwant %+v", got, c.line)
			}
			if c.done != nil {
				if got := decode[floorgate.TaskRecord](t, r.Events[2]); got != *c.done {
					t.Errorf("task record:\n got %+v\nwant %+v", got, *c.done)
				}
			}

			if !r.TaskChanged || r.Task == st.Task {
				t.Fatalf("changed task not returned as a new value")
			}
			wantTask := clone(before)
			l := &wantTask.Lines[c.line.Line-1]
			l.Picked, l.Status, l.ClosedAt = c.line.Picked, floorgate.LineShort, now
			if c.done != nil {
				wantTask.Status, wantTask.ClosedAt = floorgate.TaskDone, now
			}
			if !reflect.DeepEqual(r.Task, wantTask) {
				t.Errorf("task after:\n got %+v\nwant %+v", r.Task, wantTask)
			}
		})
	}
}
