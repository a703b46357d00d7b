package scan_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

var picker = floorgate.Operator{ID: op, Name: "Li Wei", Badge: "B-0007", Role: floorgate.RolePicker}

// pending is the fixture task waiting in the queue.
func pending(mods ...func(*floorgate.Task)) func() *floorgate.Task {
	return task(append([]func(*floorgate.Task){func(t *floorgate.Task) {
		t.Status, t.Operator, t.Device, t.AssignedAt = floorgate.TaskPending, "", "", time.Time{}
	}}, mods...)...)
}

func TestLogin(t *testing.T) {
	now := t0.Add(time.Minute)
	cases := []struct {
		name     string
		sess     floorgate.Session
		op       floorgate.Operator
		task     func() *floorgate.Task // nil: none
		code     floorgate.Code
		wantSess floorgate.Session
		events   []string
		records  []floorgate.OperatorRecord // the operator events' payloads, in order
		assigned bool                       // the task was newly assigned
		step     string
	}{
		{name: "no task waiting", sess: floorgate.Session{Device: dev}, op: picker,
			code: floorgate.CodeLoggedIn, wantSess: floorgate.Session{Device: dev, Operator: op},
			events:  []string{floorgate.EventOperatorLoggedIn},
			records: []floorgate.OperatorRecord{{Operator: op, Device: dev}}, step: "wait"},
		{name: "a task is handed over", sess: floorgate.Session{Device: dev}, op: picker, task: pending(),
			code: floorgate.CodeLoggedIn, wantSess: sess(0, false, ""),
			events:   []string{floorgate.EventOperatorLoggedIn, floorgate.EventTaskStarted},
			records:  []floorgate.OperatorRecord{{Operator: op, Device: dev}},
			assigned: true, step: "scan_location"},
		{name: "another operator is logged out first", sess: withLast(floorgate.Session{Device: dev, Operator: "op-9", Task: "T9", Line: 3, AtLocation: true, ClosedSKU: "X"}, barRed, t0),
			op: picker, task: pending(),
			code: floorgate.CodeLoggedIn, wantSess: sess(0, false, ""),
			events:   []string{floorgate.EventOperatorLoggedOut, floorgate.EventOperatorLoggedIn, floorgate.EventTaskStarted},
			records:  []floorgate.OperatorRecord{{Operator: "op-9", Device: dev}, {Operator: op, Device: dev}},
			assigned: true, step: "scan_location"},
		{name: "the same operator again resumes their task", sess: withLast(sess(1, true, "RED"), barRed, t0), op: picker,
			task: task(closed(0, floorgate.LineDone)),
			code: floorgate.CodeLoggedIn, wantSess: withLast(sess(1, true, "RED"), barRed, t0),
			events:  []string{floorgate.EventOperatorLoggedIn},
			records: []floorgate.OperatorRecord{{Operator: op, Device: dev}}, step: "scan_item"},
		{name: "an operator without an id is refused", sess: floorgate.Session{Device: dev}, op: floorgate.Operator{},
			task: pending(), code: floorgate.CodeBadLogin, wantSess: floorgate.Session{Device: dev}, step: "login"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in *floorgate.Task
			if c.task != nil {
				in = c.task()
			}
			before := clone(in)

			r := scan.Login(c.sess, c.op, "req-1", now, in)

			if !reflect.DeepEqual(in, before) {
				t.Fatalf("input task mutated")
			}
			if r.Verdict.Code != c.code || r.Verdict.ScanID != "req-1" || r.Verdict.Prompt.Step != c.step {
				t.Fatalf("verdict %s/%s prompt %q, want req-1/%s prompt %q", r.Verdict.ScanID, r.Verdict.Code, r.Verdict.Prompt.Step, c.code, c.step)
			}
			if want := scan.PromptFor(r.Session, r.Task); !reflect.DeepEqual(r.Verdict.Prompt, want) {
				t.Errorf("prompt = %+v, want %+v", r.Verdict.Prompt, want)
			}
			if !reflect.DeepEqual(r.Session, c.wantSess) {
				t.Errorf("session:\n got %+v\nwant %+v", r.Session, c.wantSess)
			}
			checkEvents(t, r.Events, now, c.events...)
			for i, want := range c.records {
				if got := decode[floorgate.OperatorRecord](t, r.Events[i]); got != want {
					t.Errorf("event %d: %+v, want %+v", i, got, want)
				}
			}
			if r.TaskChanged != c.assigned {
				t.Fatalf("TaskChanged = %v, want %v", r.TaskChanged, c.assigned)
			}
			if c.assigned && (r.Task.Status != floorgate.TaskAssigned || r.Task.Operator != op || r.Task.Device != dev || !r.Task.AssignedAt.Equal(now)) {
				t.Errorf("task not assigned to %s on %s at %v: %+v", op, dev, now, r.Task)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	now := t0.Add(time.Hour)
	cases := []struct {
		name     string
		sess     floorgate.Session
		task     func() *floorgate.Task
		events   bool
		released bool
	}{
		{name: "unfinished task goes back to the queue with its progress",
			sess: withLast(sess(1, true, "RED"), barRed, t0), task: task(closed(0, floorgate.LineDone)), events: true, released: true},
		{name: "no task", sess: floorgate.Session{Device: dev, Operator: op}, events: true},
		{name: "a cancelled task stays cancelled", sess: sess(0, true, ""), task: task(status(floorgate.TaskCancelled)), events: true},
		{name: "nobody logged in", sess: floorgate.Session{Device: dev}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := scan.State{Policy: floorgate.DefaultPolicy(), Session: c.sess}
			if c.task != nil {
				st.Task = c.task()
			}
			before := clone(st.Task)

			r := scan.Logout(st, now)

			if !reflect.DeepEqual(st.Task, before) {
				t.Fatalf("input task mutated")
			}
			if want := (floorgate.Session{Device: dev}); r.Session != want {
				t.Errorf("session = %+v, want %+v", r.Session, want)
			}
			if want := (floorgate.Verdict{Prompt: floorgate.Prompt{Step: "login"}}); !reflect.DeepEqual(r.Verdict, want) {
				t.Errorf("verdict = %+v, want %+v", r.Verdict, want)
			}
			if !c.events {
				checkEvents(t, r.Events, now)
			} else {
				checkEvents(t, r.Events, now, floorgate.EventOperatorLoggedOut)
				if got, want := decode[floorgate.OperatorRecord](t, r.Events[0]), (floorgate.OperatorRecord{Operator: op, Device: dev}); got != want {
					t.Errorf("logged out %+v, want %+v", got, want)
				}
			}
			if !c.released {
				if r.Task != st.Task || r.TaskChanged {
					t.Errorf("task changed (changed=%v)", r.TaskChanged)
				}
				return
			}
			want := clone(before)
			want.Status, want.Operator, want.Device, want.AssignedAt = floorgate.TaskPending, "", "", time.Time{}
			if !r.TaskChanged || r.Task == st.Task || !reflect.DeepEqual(r.Task, want) {
				t.Errorf("released task (changed=%v):\n got %+v\nwant %+v", r.TaskChanged, r.Task, want)
			}
		})
	}
}

func TestAssign(t *testing.T) {
	now := t0.Add(2 * time.Minute)
	loggedIn := floorgate.Session{Device: dev, Operator: op}
	cases := []struct {
		name     string
		sess     floorgate.Session
		task     func() *floorgate.Task
		wantSess floorgate.Session
		assigned bool // newly assigned, with pick.task_started
		resumed  bool // the given task comes back unchanged
		step     string
	}{
		{name: "pending task", sess: loggedIn, task: pending(), wantSess: sess(0, false, ""), assigned: true, step: "scan_location"},
		{name: "a task without a status is pending", sess: loggedIn, task: pending(status("")), wantSess: sess(0, false, ""), assigned: true, step: "scan_location"},
		{name: "a returned task starts at its first open line", sess: withLast(floorgate.Session{Device: dev, Operator: op, AtLocation: true, ClosedSKU: "X"}, barRed, t0),
			task: pending(closed(0, floorgate.LineDone), closed(1, floorgate.LineShort)), wantSess: withLast(sess(2, false, ""), barRed, t0),
			assigned: true, step: "scan_location"},
		{name: "own assigned task resumes where the session was", sess: sess(1, true, "RED"), task: task(closed(0, floorgate.LineDone)),
			wantSess: sess(1, true, "RED"), resumed: true, step: "scan_item"},
		{name: "own assigned task on a fresh session starts at its first open line", sess: loggedIn, task: task(closed(0, floorgate.LineDone)),
			wantSess: sess(1, false, ""), resumed: true, step: "scan_location"},
		{name: "own cancelled task shows the intercept", sess: loggedIn, task: task(status(floorgate.TaskCancelled)),
			wantSess: sess(0, false, ""), resumed: true, step: "cancelled"},
		{name: "no task", sess: loggedIn, wantSess: loggedIn, step: "wait"},
		{name: "nobody logged in", sess: floorgate.Session{Device: dev}, task: pending(), wantSess: floorgate.Session{Device: dev}, step: "login"},
		{name: "a done task is not given", sess: loggedIn, task: pending(status(floorgate.TaskDone)), wantSess: loggedIn, step: "wait"},
		{name: "someone else's task is not given", sess: loggedIn, task: task(func(t *floorgate.Task) { t.Operator = "op-9" }),
			wantSess: loggedIn, step: "wait"},
		{name: "a task held on another device is not given", sess: loggedIn, task: task(func(t *floorgate.Task) { t.Device = "pda-2" }),
			wantSess: loggedIn, step: "wait"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in *floorgate.Task
			if c.task != nil {
				in = c.task()
			}
			before := clone(in)

			r := scan.Assign(c.sess, in, now)

			if !reflect.DeepEqual(in, before) {
				t.Fatalf("input task mutated")
			}
			if !reflect.DeepEqual(r.Session, c.wantSess) {
				t.Errorf("session:\n got %+v\nwant %+v", r.Session, c.wantSess)
			}
			if want := (floorgate.Verdict{Prompt: scan.PromptFor(r.Session, r.Task)}); !reflect.DeepEqual(r.Verdict, want) || want.Prompt.Step != c.step {
				t.Errorf("verdict = %+v, want %+v with step %q", r.Verdict, want, c.step)
			}
			switch {
			case c.assigned:
				want := clone(before)
				want.Status, want.Operator, want.Device, want.AssignedAt = floorgate.TaskAssigned, op, dev, now
				if !r.TaskChanged || r.Task == in || !reflect.DeepEqual(r.Task, want) {
					t.Errorf("assigned task (changed=%v):\n got %+v\nwant %+v", r.TaskChanged, r.Task, want)
				}
				checkEvents(t, r.Events, now, floorgate.EventTaskStarted)
				short := 0
				if len(before.Lines) > 1 && before.Lines[1].Status == floorgate.LineShort {
					short = 1
				}
				wantRec := floorgate.TaskRecord{Task: "T1", Order: "SO-1001", Wave: "W7", Operator: op, Device: dev, Lines: 3, Short: short}
				if got := decode[floorgate.TaskRecord](t, r.Events[0]); got != wantRec {
					t.Errorf("task_started %+v, want %+v", got, wantRec)
				}
			case c.resumed:
				if r.TaskChanged || r.Task != in {
					t.Errorf("resumed task changed (changed=%v)", r.TaskChanged)
				}
				checkEvents(t, r.Events, now)
			default:
				if r.TaskChanged || r.Task != nil {
					t.Errorf("task given: %+v (changed=%v)", r.Task, r.TaskChanged)
				}
				checkEvents(t, r.Events, now)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	now := t0.Add(3 * time.Minute)
	cases := []struct {
		name      string
		task      func() *floorgate.Task
		cancelled bool
		exception *floorgate.ExceptionRecord
	}{
		{name: "assigned task: the picker may hold goods", task: task(closed(0, floorgate.LineDone), picked(1, 0), picked(2, 3)),
			cancelled: true,
			exception: &floorgate.ExceptionRecord{Kind: floorgate.ExceptionIntercept, Task: "T1", Order: "SO-1001",
				Expected: 8, Found: 5, Reason: "customer cancelled", Operator: op, Device: dev}},
		{name: "assigned task with nothing picked", task: task(), cancelled: true,
			exception: &floorgate.ExceptionRecord{Kind: floorgate.ExceptionIntercept, Task: "T1", Order: "SO-1001",
				Expected: 8, Found: 0, Reason: "customer cancelled", Operator: op, Device: dev}},
		{name: "pending task", task: pending(), cancelled: true},
		{name: "done task is left alone", task: task(status(floorgate.TaskDone))},
		{name: "cancelled task is left alone", task: task(status(floorgate.TaskCancelled), func(t *floorgate.Task) { t.Cancel = "first" })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.task()
			before := clone(in)

			got, events := scan.Cancel(in, "customer cancelled", now)

			if !reflect.DeepEqual(in, before) {
				t.Fatalf("input task mutated")
			}
			want := *clone(before)
			if c.cancelled {
				want.Status, want.Cancel, want.ClosedAt = floorgate.TaskCancelled, "customer cancelled", now
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("task:\n got %+v\nwant %+v", got, want)
			}
			if c.exception == nil {
				checkEvents(t, events, now)
				return
			}
			checkEvents(t, events, now, floorgate.EventPickException)
			if rec := decode[floorgate.ExceptionRecord](t, events[0]); rec != *c.exception {
				t.Errorf("exception:\n got %+v\nwant %+v", rec, *c.exception)
			}
		})
	}
	t.Run("nil task", func(t *testing.T) {
		got, events := scan.Cancel(nil, "x", now)
		if !reflect.DeepEqual(got, floorgate.Task{}) || events != nil {
			t.Errorf("Cancel(nil) = %+v, %v", got, events)
		}
	})
}

func TestPromptFor(t *testing.T) {
	cases := []struct {
		name string
		sess floorgate.Session
		task func() *floorgate.Task
		want floorgate.Prompt
	}{
		{name: "nobody logged in", sess: floorgate.Session{Device: dev}, task: task(), want: floorgate.Prompt{Step: "login"}},
		{name: "no task", sess: floorgate.Session{Device: dev, Operator: op}, want: floorgate.Prompt{Step: "wait"}},
		{name: "task done", sess: floorgate.Session{Device: dev, Operator: op}, task: task(status(floorgate.TaskDone)), want: floorgate.Prompt{Step: "wait"}},
		{name: "no open line left", sess: sess(2, true, ""),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone), closed(2, floorgate.LineShort)), want: floorgate.Prompt{Step: "wait"}},
		{name: "cancelled", sess: sess(1, true, ""), task: task(status(floorgate.TaskCancelled)),
			want: floorgate.Prompt{Step: "cancelled", Task: "T1", Order: "SO-1001"}},
		{name: "scan the location", sess: sess(0, false, ""), task: task(),
			want: floorgate.Prompt{Step: "scan_location", Task: "T1", Order: "SO-1001", Line: 1, Lines: 3, Location: "A-01-01", SKU: "RED", Qty: 2}},
		{name: "scan the item, some picked", sess: sess(0, true, ""), task: task(picked(0, 1)),
			want: floorgate.Prompt{Step: "scan_item", Task: "T1", Order: "SO-1001", Line: 1, Lines: 3, Location: "A-01-01", SKU: "RED", Qty: 2, Picked: 1}},
		{name: "keyed-quantity line", sess: sess(2, true, ""), task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone), picked(2, 2)),
			want: floorgate.Prompt{Step: "scan_item", Task: "T1", Order: "SO-1001", Line: 3, Lines: 3, Location: "B-02-05", SKU: "GREEN", Qty: 5, Picked: 2, KeyedQty: true}},
		{name: "a stale line index shows the first open line", sess: sess(7, false, ""), task: task(closed(0, floorgate.LineDone)),
			want: floorgate.Prompt{Step: "scan_location", Task: "T1", Order: "SO-1001", Line: 2, Lines: 3, Location: "A-01-01", SKU: "BLUE", Qty: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var in *floorgate.Task
			if c.task != nil {
				in = c.task()
			}
			if got := scan.PromptFor(c.sess, in); !reflect.DeepEqual(got, c.want) {
				t.Errorf("PromptFor:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}
