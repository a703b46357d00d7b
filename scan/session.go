package scan

import (
	"time"

	"github.com/floorgate/floorgate"
)

// The prompt steps.
const (
	stepLogin        = "login"
	stepWait         = "wait"
	stepCancelled    = "cancelled"
	stepScanLocation = "scan_location"
	stepScanItem     = "scan_item"
	stepScanSerial   = "scan_serial"
)

// Login logs op in on the session's device; the badge and PIN were checked
// by the caller. An operator already logged in there is logged out first
// (operator.logged_out before operator.logged_in); Login does not release
// their task, so a caller replacing one operator with another calls Logout
// first to send it back to the queue. The same operator logging in again
// keeps the session's task and place.
//
// When task is not nil it is handed over as by Assign in the same result
// (its pick.task_started follows operator.logged_in); pass the session's own
// task to resume it, so the prompt names its current line. The verdict is
// logged_in with the next prompt. An operator with no ID is refused with
// bad_login and nothing changes.
func Login(sess floorgate.Session, op floorgate.Operator, requestID string, now time.Time, task *floorgate.Task) Result {
	if op.ID == "" {
		return Result{Session: sess, Verdict: floorgate.NewVerdict(requestID, floorgate.CodeBadLogin, PromptFor(sess, nil))}
	}
	events := make([]floorgate.Event, 0, 3)
	ns := sess
	if sess.Operator != "" && sess.Operator != op.ID {
		events = append(events, floorgate.NewEvent(floorgate.EventOperatorLoggedOut, now,
			floorgate.OperatorRecord{Operator: sess.Operator, Device: sess.Device}))
		ns = floorgate.Session{Device: sess.Device}
	}
	ns.Operator = op.ID
	events = append(events, floorgate.NewEvent(floorgate.EventOperatorLoggedIn, now,
		floorgate.OperatorRecord{Operator: op.ID, Device: sess.Device}))
	r := Result{Session: ns}
	if task != nil {
		r = Assign(ns, task, now)
	}
	r.Events = append(events, r.Events...)
	r.Verdict = floorgate.NewVerdict(requestID, floorgate.CodeLoggedIn, PromptFor(r.Session, r.Task))
	return r
}

// Logout ends the operator's session: the session keeps only its device.
// A task that was assigned and not finished goes back to the queue — the
// result's Task is pending with no operator or device (its lines keep their
// progress) and TaskChanged is set; a done or cancelled task is left as it
// is. operator.logged_out is emitted when someone was logged in.
//
// There is no verdict code for a logout: the Verdict is zero apart from its
// Prompt, which asks for a login.
func Logout(st State, now time.Time) Result {
	r := Result{
		Session: floorgate.Session{Device: st.Session.Device},
		Task:    st.Task,
		Verdict: floorgate.Verdict{Prompt: floorgate.Prompt{Step: stepLogin}},
	}
	if st.Session.LoggedIn() {
		r.Events = []floorgate.Event{floorgate.NewEvent(floorgate.EventOperatorLoggedOut, now,
			floorgate.OperatorRecord{Operator: st.Session.Operator, Device: st.Session.Device})}
	}
	if t := st.Task; t != nil && t.Status == floorgate.TaskAssigned {
		nt := *t // the lines are not changed, so they may be shared
		nt.Status = floorgate.TaskPending
		nt.Operator, nt.Device, nt.AssignedAt = "", "", time.Time{}
		r.Task, r.TaskChanged = &nt, true
	}
	return r
}

// Assign gives the pending task t to the session's operator on its device:
// the task becomes assigned to them at now, the session moves to its first
// open line, not yet at its location, and pick.task_started is emitted.
//
// A task already assigned (or cancelled) while held by this operator on this
// device is resumed instead: nothing is emitted, and the session keeps its
// place when it was already on the task. Nothing changes when t is nil, the
// session has nobody logged in, or t is done or held by someone else; the
// result's Task is then nil.
//
// The Verdict is zero apart from its Prompt: an assignment answers no scan.
func Assign(sess floorgate.Session, t *floorgate.Task, now time.Time) Result {
	unchanged := Result{Session: sess, Verdict: floorgate.Verdict{Prompt: PromptFor(sess, nil)}}
	if t == nil || !sess.LoggedIn() {
		return unchanged
	}
	ns := sess
	switch t.Status {
	case floorgate.TaskPending, "":
		nt := *t // the lines are not changed, so they may be shared
		nt.Status = floorgate.TaskAssigned
		nt.Operator, nt.Device, nt.AssignedAt = sess.Operator, sess.Device, now
		moveTo(&ns, &nt)
		short := 0
		for i := range nt.Lines {
			if nt.Lines[i].Status == floorgate.LineShort {
				short++
			}
		}
		return Result{
			Session:     ns,
			Task:        &nt,
			TaskChanged: true,
			Verdict:     floorgate.Verdict{Prompt: PromptFor(ns, &nt)},
			Events: []floorgate.Event{floorgate.NewEvent(floorgate.EventTaskStarted, now, floorgate.TaskRecord{
				Task:     nt.ID,
				Order:    nt.Order,
				Wave:     nt.Wave,
				Operator: nt.Operator,
				Device:   nt.Device,
				Lines:    len(nt.Lines),
				Short:    short,
			})},
		}
	case floorgate.TaskAssigned, floorgate.TaskCancelled:
		if t.Operator != sess.Operator || t.Device != sess.Device {
			return unchanged
		}
		if ns.Task != t.ID {
			moveTo(&ns, t)
		}
		return Result{Session: ns, Task: t, Verdict: floorgate.Verdict{Prompt: PromptFor(ns, t)}}
	}
	return unchanged
}

// moveTo puts the session at the start of task t.
func moveTo(ns *floorgate.Session, t *floorgate.Task) {
	first, _ := nextOpen(t.Lines, -1)
	ns.Task, ns.Line, ns.AtLocation, ns.ClosedSKU, ns.Location = t.ID, first, false, "", ""
}

// Cancel intercepts t: it returns the task cancelled at now for reason. When
// the task was assigned a picker may be holding its goods, so pick.exception
// (kind intercept) reports who and how many units were picked; a pending
// task emits nothing (the caller reports the cancellation itself). A task
// already done or cancelled, or a nil one, is returned as it is with no
// events: whether that is an error is the caller's to decide.
func Cancel(t *floorgate.Task, reason string, now time.Time) (floorgate.Task, []floorgate.Event) {
	if t == nil {
		return floorgate.Task{}, nil
	}
	if t.Status == floorgate.TaskDone || t.Status == floorgate.TaskCancelled {
		return *t, nil
	}
	nt := *t // the lines are not changed, so they may be shared
	nt.Status, nt.Cancel, nt.ClosedAt = floorgate.TaskCancelled, reason, now
	if t.Status != floorgate.TaskAssigned {
		return nt, nil
	}
	qty, picked := 0, 0
	for _, l := range t.Lines {
		qty += l.Qty
		picked += l.Picked
	}
	return nt, []floorgate.Event{floorgate.NewEvent(floorgate.EventPickException, now, floorgate.ExceptionRecord{
		Kind:     floorgate.ExceptionIntercept,
		Task:     t.ID,
		Order:    t.Order,
		Expected: qty,
		Found:    picked,
		Reason:   reason,
		Operator: t.Operator,
		Device:   t.Device,
	})}
}

// PromptFor tells the picker on sess what to do next with task t (the
// session's current task, or nil): log in, wait for a task (none, or the
// last one is done), stop picking (cancelled), or scan the current line's
// location or item. ItemName is left for the caller, which knows the names.
func PromptFor(sess floorgate.Session, t *floorgate.Task) floorgate.Prompt {
	switch {
	case !sess.LoggedIn():
		return floorgate.Prompt{Step: stepLogin}
	case t == nil || t.Status == floorgate.TaskDone:
		return floorgate.Prompt{Step: stepWait}
	case t.Status == floorgate.TaskCancelled:
		return floorgate.Prompt{Step: stepCancelled, Task: t.ID, Order: t.Order}
	}
	i, ok := current(sess, t)
	if !ok {
		return floorgate.Prompt{Step: stepWait}
	}
	l := &t.Lines[i]
	step := stepScanLocation
	switch {
	case sess.SerialFor != "":
		step = stepScanSerial
	case sess.AtLocation:
		step = stepScanItem
	}
	return floorgate.Prompt{
		Step:     step,
		Task:     t.ID,
		Order:    t.Order,
		Line:     i + 1,
		Lines:    len(t.Lines),
		Location: l.Location,
		SKU:      l.SKU,
		Qty:      l.Qty,
		Picked:   l.Picked,
		KeyedQty: l.KeyedQty,
	}
}
