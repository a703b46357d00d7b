package scan

import (
	"time"

	"github.com/floorgate/floorgate"
)

// State is everything the engine needs to judge one step on one device.
type State struct {
	Policy  floorgate.Policy
	Session floorgate.Session
	Task    *floorgate.Task // the session's current task; nil when none
}

// Result is the outcome of one step.
type Result struct {
	Session floorgate.Session
	// Task is the task after the step: a new value when the step changed
	// it, otherwise the pointer the step was given; nil if none.
	Task *floorgate.Task
	// TaskChanged says Task differs from the one given and must be stored.
	TaskChanged bool
	Verdict     floorgate.Verdict
	// Events are built with floorgate.NewEvent; the store fills in their
	// id, sequence number, site and gateway when it commits them.
	Events []floorgate.Event
}

// The values of ScanRecord.Distance.
const (
	distIn      = "in"
	distOut     = "out"
	distUnknown = "unknown"
	// distNotMeasurable: the device can never know its distance
	// (Scan.Unmeasurable) and none came with the scan.
	distNotMeasurable = "not_measurable"
)

// Scan judges one barcode read. sc.At, the gateway's receive time, is the
// time of the events and of the double-read guard; m is sc.Data resolved
// against master data.
//
// Every call returns one verdict and emits exactly one scan.accepted or
// scan.rejected event first, followed by pick.line_confirmed and
// pick.task_completed when the scan closed a line or the task. A rejected
// scan changes neither the session nor the task.
func Scan(st State, sc floorgate.Scan, m floorgate.Match) Result {
	sess, t := st.Session, st.Task
	rec := newRecord(sess, sc, m)
	recordDistance(&rec, st.Policy.Distance, sc, m)

	if !sess.LoggedIn() {
		return rejectScan(st, sc, rec, floorgate.CodeNotLoggedIn)
	}
	if t == nil || t.Status == floorgate.TaskDone {
		return rejectScan(st, sc, rec, floorgate.CodeNoTask)
	}
	rec.Task = t.ID
	rec.Location = where(sess, t, m)
	i, open := current(sess, t)
	if open {
		rec.Line = i + 1
	}
	if t.Status == floorgate.TaskCancelled {
		return rejectScan(st, sc, rec, floorgate.CodeTaskCancelled)
	}
	if !open {
		return rejectScan(st, sc, rec, floorgate.CodeNoTask)
	}
	if m.Read.Problem != "" {
		return rejectScan(st, sc, rec, floorgate.CodeInvalidBarcode)
	}
	if sess.SerialFor == "" {
		if !resolved(m) {
			return rejectScan(st, sc, rec, floorgate.CodeUnknownBarcode)
		}
		if doubleRead(st.Policy, sess, sc) {
			return rejectScan(st, sc, rec, floorgate.CodeDuplicateScan)
		}
	}
	refuse, warning := outOfBand(st.Policy.Distance.Mode, &rec, func() Result {
		inBand := st
		inBand.Policy.Distance.Mode = floorgate.DistanceOff
		return Scan(inBand, sc, m)
	})
	if refuse {
		return rejectScan(st, sc, rec, floorgate.CodeDistance)
	}
	if sess.SerialFor != "" {
		return serialScan(st, sc, rec, m, i, warning)
	}

	line := t.Lines[i]
	ns := sess
	ns.Line = i
	ns.LastData, ns.LastAt = sc.Data, sc.At

	if m.Kind == floorgate.MatchLocation {
		if m.Location.Code != line.Location {
			return rejectScan(st, sc, rec, floorgate.CodeWrongLocation)
		}
		// Arriving at the line's location means the picker has left the
		// one where the last line closed; re-scanning it changes nothing.
		if !ns.AtLocation {
			ns.AtLocation, ns.ClosedSKU, ns.Location = true, "", line.Location
		}
		return acceptScan(st, sc, rec, ns, t, floorgate.CodeLocationOK, warning, nil)
	}

	sku := m.Item.SKU
	// One more unit of the line that just closed here is an over-pick, even
	// when the next line is elsewhere and its location is not yet scanned.
	if sess.ClosedSKU != "" && sku == sess.ClosedSKU && sku != line.SKU {
		return rejectScan(st, sc, rec, floorgate.CodeOverPick)
	}
	if !sess.AtLocation {
		return rejectScan(st, sc, rec, floorgate.CodeItemBeforeLocation)
	}
	if sku != line.SKU {
		return rejectScan(st, sc, rec, floorgate.CodeWrongItem)
	}
	if code := lineRules(line, m); code != "" {
		if code != floorgate.CodeSerialMissing || sc.Qty > 0 || m.Read.Qty > 0 {
			return rejectScan(st, sc, rec, code)
		}
		// The item is right but its barcode has no serial number: the
		// serial label is scanned next, and only then is the unit counted.
		ns.SerialFor = sku
		return acceptScan(st, sc, rec, ns, t, floorgate.CodeSerialNext, warning, nil)
	}
	n := 1
	switch {
	case sc.Qty < 0:
		return rejectScan(st, sc, rec, floorgate.CodeBadScan)
	case sc.Qty > 0 || m.Read.Qty > 0:
		// A keyed quantity, or a case's count from AI 30/37.
		if !line.KeyedQty {
			return rejectScan(st, sc, rec, floorgate.CodeQtyNotAllowed)
		}
		n = max(sc.Qty, m.Read.Qty)
	}
	if n > line.Remaining() {
		return rejectScan(st, sc, rec, floorgate.CodeOverPick)
	}

	return countUnits(st, sc, rec, ns, i, n, warning)
}

// doubleRead reports whether sc repeats the session's last accepted read
// within the policy's double-read window.
func doubleRead(p floorgate.Policy, sess floorgate.Session, sc floorgate.Scan) bool {
	w := p.DuplicateWindow
	return w > 0 && sess.LastData != "" && sc.Data == sess.LastData && sc.At.Sub(sess.LastAt) < w
}

// gate is what every step on a cart or at a put wall checks first, in
// order: someone is logged in, the barcode's GS1 data is valid, the read is
// no double read, and it is in the distance band (inBand judges the same
// step with the check off, for the record of a read refused for its
// distance). It returns the refusal, or "" and the warning an accepted
// step carries.
func gate(p floorgate.Policy, sess floorgate.Session, sc floorgate.Scan, m floorgate.Match, rec *floorgate.ScanRecord, inBand func() floorgate.Verdict) (refusal, warning floorgate.Code) {
	switch {
	case !sess.LoggedIn():
		return floorgate.CodeNotLoggedIn, ""
	case m.Read.Problem != "":
		return floorgate.CodeInvalidBarcode, ""
	case doubleRead(p, sess, sc):
		return floorgate.CodeDuplicateScan, ""
	}
	refuse, warning := outOfBand(p.Distance.Mode, rec, func() Result { return Result{Verdict: inBand()} })
	if refuse {
		return floorgate.CodeDistance, ""
	}
	return "", warning
}

// newRecord is the scan event's record of sc, read as m by sess's device.
func newRecord(sess floorgate.Session, sc floorgate.Scan, m floorgate.Match) floorgate.ScanRecord {
	rec := floorgate.ScanRecord{
		ScanID:     sc.ID,
		Device:     sc.Device,
		Operator:   sess.Operator,
		Data:       sc.Data,
		AIM:        sc.AIM,
		Kind:       m.Kind,
		Qty:        sc.Qty,
		DeviceTime: sc.DeviceTime,
		Batch:      m.Read.Batch,
		Serial:     m.Read.Serial,
		Problem:    m.Read.Problem,
	}
	if !m.Read.Expiry.IsZero() {
		rec.Expiry = m.Read.Expiry.Format(time.DateOnly)
	}
	return rec
}

// countUnits counts n units on line i and closes the line (and the task)
// when it is complete.
func countUnits(st State, sc floorgate.Scan, rec floorgate.ScanRecord, ns floorgate.Session, i, n int, warning floorgate.Code) Result {
	nt := copyTask(st.Task)
	nl := &nt.Lines[i]
	nl.Picked += n
	if nl.Picked < nl.Qty {
		return acceptScan(st, sc, rec, ns, nt, floorgate.CodeItemOK, warning, nil)
	}
	// Slot 0 is kept for the scan event, which comes first.
	events := closeLine(&ns, nt, i, floorgate.LineDone, sc.At, sc.Device, make([]floorgate.Event, 1, 3))
	code := floorgate.CodeLineDone
	if nt.Status == floorgate.TaskDone {
		code = floorgate.CodeTaskDone
	}
	return acceptScan(st, sc, rec, ns, nt, code, warning, events)
}

// serialScan takes the scan that must be the serial label of the unit just
// scanned: a barcode carrying a serial number (AI 21) and no other item. It
// counts the unit; anything else is refused and the unit still waits.
func serialScan(st State, sc floorgate.Scan, rec floorgate.ScanRecord, m floorgate.Match, i int, warning floorgate.Code) Result {
	sess := st.Session
	switch {
	case m.Read.Serial == "" || m.Kind == floorgate.MatchLocation ||
		(m.Kind == floorgate.MatchItem && m.Item.SKU != sess.SerialFor):
		return rejectScan(st, sc, rec, floorgate.CodeSerialMissing)
	case m.SerialTaken:
		return rejectScan(st, sc, rec, floorgate.CodeDuplicateSerial)
	case st.Task.Lines[i].Remaining() < 1:
		return rejectScan(st, sc, rec, floorgate.CodeOverPick)
	}
	ns := sess
	ns.SerialFor = ""
	ns.LastData, ns.LastAt = sc.Data, sc.At
	return countUnits(st, sc, rec, ns, i, 1, warning)
}

// outOfBand applies the distance standard in mode to a read rec says was
// out of the band: refuse in reject mode, a warning in warn mode. A refused
// read keeps on rec what it was judged in the band too (inBand: the same
// step with the check off), so a wrong read is not hidden by its distance;
// the verdict says distance (read again from 5–10 cm).
func outOfBand(mode floorgate.DistanceMode, rec *floorgate.ScanRecord, inBand func() Result) (refuse bool, warning floorgate.Code) {
	if rec.Distance != distOut {
		return false, ""
	}
	switch mode {
	case floorgate.DistanceReject:
		rec.InBandCode = rejection(inBand())
		return true, ""
	case floorgate.DistanceWarn:
		return false, floorgate.CodeDistance
	}
	return false, ""
}

// rejection is r's verdict code when r refused the step, else "".
func rejection(r Result) floorgate.Code {
	if r.Verdict.OK {
		return ""
	}
	return r.Verdict.Code
}

// lineRules checks a unit of the line's item against what the line asks of
// its GS1 data: the allocated batch, the earliest expiry (FEFO), a serial
// number that was not picked before. It returns the rejection, or "".
func lineRules(line floorgate.TaskLine, m floorgate.Match) floorgate.Code {
	r := m.Read
	if r.Serial != "" && m.SerialTaken {
		return floorgate.CodeDuplicateSerial
	}
	if line.Batch != "" {
		switch {
		case r.Batch == "":
			return floorgate.CodeBatchMissing
		case r.Batch != line.Batch:
			return floorgate.CodeWrongBatch
		}
	}
	if from, ok := line.ExpiryFromDate(); ok {
		switch {
		case r.Expiry.IsZero():
			return floorgate.CodeExpiryMissing
		case r.Expiry.Before(from):
			return floorgate.CodeExpiryTooSoon
		}
	}
	if line.Serial && r.Serial == "" {
		return floorgate.CodeSerialMissing
	}
	return ""
}

// Short closes the current line below its quantity: the bin holds only
// found more units (beyond those already picked). The picker must be at the
// line's location, and the line must end short: found may not reach the
// remaining quantity (that is a normal pick). Short emits pick.exception,
// then pick.line_confirmed, then pick.task_completed if it was the last open
// line; it emits no scan event. A refused short changes nothing and emits
// nothing.
func Short(st State, scanID string, found int, now time.Time) Result {
	sess, t := st.Session, st.Task
	refuse := func(code floorgate.Code) Result {
		return Result{Session: sess, Task: t, Verdict: floorgate.NewVerdict(scanID, code, PromptFor(sess, t))}
	}
	if !sess.LoggedIn() {
		return refuse(floorgate.CodeNotLoggedIn)
	}
	if t == nil || t.Status == floorgate.TaskDone {
		return refuse(floorgate.CodeNoTask)
	}
	if t.Status == floorgate.TaskCancelled {
		return refuse(floorgate.CodeTaskCancelled)
	}
	i, open := current(sess, t)
	if !open {
		return refuse(floorgate.CodeNoTask)
	}
	if !sess.AtLocation {
		return refuse(floorgate.CodeItemBeforeLocation)
	}
	// Written against Remaining so a huge found cannot overflow.
	if found < 0 || found >= t.Lines[i].Remaining() {
		return refuse(floorgate.CodeBadScan)
	}

	nt := copyTask(t)
	nl := &nt.Lines[i]
	nl.Picked += found
	ns := sess
	ns.Line = i
	events := make([]floorgate.Event, 1, 3)
	events[0] = floorgate.NewEvent(floorgate.EventPickException, now, floorgate.ExceptionRecord{
		Kind:     floorgate.ExceptionShortPick,
		Task:     nt.ID,
		Order:    nt.Order,
		Line:     i + 1,
		Location: nl.Location,
		SKU:      nl.SKU,
		Expected: nl.Qty,
		Found:    nl.Picked,
		Operator: sess.Operator,
		Device:   sess.Device,
	})
	events = closeLine(&ns, nt, i, floorgate.LineShort, now, sess.Device, events)
	return Result{
		Session:     ns,
		Task:        nt,
		TaskChanged: true,
		Verdict:     floorgate.NewVerdict(scanID, floorgate.CodeShortOK, PromptFor(ns, nt)),
		Events:      events,
	}
}

// rejectScan answers a refused scan: the state is returned as given.
func rejectScan(st State, sc floorgate.Scan, rec floorgate.ScanRecord, code floorgate.Code) Result {
	rec.Code = code
	return Result{
		Session: st.Session,
		Task:    st.Task,
		Verdict: floorgate.NewVerdict(sc.ID, code, PromptFor(st.Session, st.Task)),
		Events:  []floorgate.Event{floorgate.NewEvent(floorgate.EventScanRejected, sc.At, rec)},
	}
}

// acceptScan answers an accepted scan. events is nil, or holds the line and
// task events after an empty slot 0 for the scan event, which comes first.
func acceptScan(st State, sc floorgate.Scan, rec floorgate.ScanRecord, ns floorgate.Session,
	nt *floorgate.Task, code, warning floorgate.Code, events []floorgate.Event) Result {
	rec.Code, rec.Warning = code, warning
	v := floorgate.NewVerdict(sc.ID, code, PromptFor(ns, nt))
	if warning != "" {
		v = v.WithWarning(warning)
	}
	if events == nil {
		events = make([]floorgate.Event, 1)
	}
	events[0] = floorgate.NewEvent(floorgate.EventScanAccepted, sc.At, rec)
	return Result{
		Session:     ns,
		Task:        nt,
		TaskChanged: nt != st.Task,
		Verdict:     v,
		Events:      events,
	}
}

// closeLine closes line i of nt (a task the caller owns) with status at
// now, appends pick.line_confirmed to events, and moves the session on: to
// the next open line, or, when none is left, off the completed task, which
// it marks done (and appends pick.task_completed).
func closeLine(ns *floorgate.Session, nt *floorgate.Task, i int, status floorgate.LineStatus,
	now time.Time, device string, events []floorgate.Event) []floorgate.Event {
	l := &nt.Lines[i]
	l.Status, l.ClosedAt = status, now
	// A line closes only with the picker at its location, and they are
	// still there until another location is accepted.
	ns.Location = l.Location
	events = append(events, floorgate.NewEvent(floorgate.EventLineConfirmed, now, floorgate.LineRecord{
		Task:     nt.ID,
		Order:    nt.Order,
		Line:     i + 1,
		Location: l.Location,
		SKU:      l.SKU,
		Qty:      l.Qty,
		Picked:   l.Picked,
		Status:   status,
		Operator: ns.Operator,
		Device:   device,
	}))
	if next, ok := nextOpen(nt.Lines, i); ok {
		// The picker stays at the bin when the next line is in it; the
		// closed line's item is remembered until a new location is scanned,
		// so one unit too many is reported as an over-pick.
		ns.Line = next
		ns.AtLocation = nt.Lines[next].Location == l.Location
		ns.ClosedSKU = l.SKU
		return events
	}
	nt.Status, nt.ClosedAt = floorgate.TaskDone, now
	short := 0
	for j := range nt.Lines {
		if nt.Lines[j].Status == floorgate.LineShort {
			short++
		}
	}
	events = append(events, floorgate.NewEvent(floorgate.EventTaskCompleted, now, floorgate.TaskRecord{
		Task:     nt.ID,
		Order:    nt.Order,
		Wave:     nt.Wave,
		Operator: ns.Operator,
		Device:   device,
		Lines:    len(nt.Lines),
		Short:    short,
	}))
	ns.Task, ns.Line, ns.AtLocation, ns.ClosedSKU, ns.Location = "", 0, false, "", ""
	return events
}

// where is the location the picker is at when m is scanned: the one a
// location barcode names, right or wrong (they stand at the label), else
// the one last confirmed on the task; "" when none was yet.
func where(sess floorgate.Session, t *floorgate.Task, m floorgate.Match) string {
	if m.Kind == floorgate.MatchLocation && m.Location != nil {
		return m.Location.Code
	}
	if sess.Location == "" && sess.AtLocation {
		// A session kept before Location was: at the current line's.
		if i, ok := current(sess, t); ok {
			return t.Lines[i].Location
		}
	}
	return sess.Location
}

// current is the index of the line the session is on: Session.Line when it
// names an open line, else the first open line, so a stale index can never
// pick into a closed line. ok is false when no line is open.
func current(sess floorgate.Session, t *floorgate.Task) (int, bool) {
	if i := sess.Line; i >= 0 && i < len(t.Lines) && t.Lines[i].Open() {
		return i, true
	}
	return nextOpen(t.Lines, -1)
}

// nextOpen is the open line that follows line after on the walk, else the
// first open one before it on the walk (a line skipped out of order); with
// after -1, the first open line of the walk. The walk is ascending WalkSeq
// (the locations' walk sequence), lines of one WalkSeq in their given
// order. ok is false when no line but perhaps the one at after is open.
func nextOpen(lines []floorgate.TaskLine, after int) (int, bool) {
	next, first := -1, -1
	for i := range lines {
		if i == after || !lines[i].Open() {
			continue
		}
		if first < 0 || walksBefore(lines, i, first) {
			first = i
		}
		if after >= 0 && after < len(lines) && walksBefore(lines, after, i) && (next < 0 || walksBefore(lines, i, next)) {
			next = i
		}
	}
	switch {
	case next >= 0:
		return next, true
	case first >= 0:
		return first, true
	}
	return 0, false
}

// walksBefore reports whether line i comes before line j on the walk.
func walksBefore(lines []floorgate.TaskLine, i, j int) bool {
	if a, b := lines[i].WalkSeq, lines[j].WalkSeq; a != b {
		return a < b
	}
	return i < j
}

// copyTask is a copy of t that shares nothing with it that a step changes:
// a Task copy shares its Lines, so they are copied too.
func copyTask(t *floorgate.Task) *floorgate.Task {
	nt := *t
	nt.Lines = make([]floorgate.TaskLine, len(t.Lines))
	copy(nt.Lines, t.Lines)
	return &nt
}

// resolved reports whether m names a location or an item it carries.
func resolved(m floorgate.Match) bool {
	switch m.Kind {
	case floorgate.MatchLocation:
		return m.Location != nil
	case floorgate.MatchItem:
		return m.Item != nil
	}
	return false
}

// recordDistance puts on rec the distance sc was read from, when it can be
// known, and whether that is in p's band. It is recorded whatever the
// policy's mode, so compliance can be measured where the check is off. A
// scan from a device that can never know its distance is not_measurable,
// not unknown: the KPIs tell a scanner that cannot measure from a device
// that could have and did not. A distance that came anyway still counts.
func recordDistance(rec *floorgate.ScanRecord, p floorgate.DistancePolicy, sc floorgate.Scan, m floorgate.Match) {
	mm, known := Distance(sc, m)
	if known {
		rec.DistanceMM = mm
	}
	if !known && sc.Unmeasurable {
		rec.Distance = distNotMeasurable
		return
	}
	rec.Distance = classify(p, mm, known)
}

// classify places a distance in the policy's band. A band that is not set
// (possible when the check is off) cannot classify a distance.
func classify(p floorgate.DistancePolicy, mm float64, known bool) string {
	switch {
	case !known || p.MaxMM <= 0 || p.MaxMM < p.MinMM:
		return distUnknown
	case mm < p.MinMM || mm > p.MaxMM:
		return distOut
	}
	return distIn
}
