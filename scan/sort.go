package scan

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
)

// Prompt steps at a put wall.
const (
	stepSortItem = "sort_item" // scan the next unit from the batch's container
	stepScanSlot = "scan_slot" // put the unit into the slot shown and scan the slot
)

// SortState is what the put wall rules need: the policy, the sorter's
// session, the batch being sorted (or, for a batch label scanned with none
// being sorted, the batch it names, in the Match), its wall and its orders
// in the order they arrived.
type SortState struct {
	Policy  floorgate.Policy
	Session floorgate.Session
	Batch   *floorgate.Batch
	Wall    *floorgate.Wall
	Orders  []*floorgate.Task
	// Held are the wall's slots that other batches' orders still hold
	// (sorted, not yet packed).
	Held map[int]bool
}

// SortResult is the outcome of one step at a put wall.
type SortResult struct {
	Session floorgate.Session
	// Batch is the batch after the step; BatchChanged says it must be
	// stored (an order was given a slot, or the batch was sorted).
	Batch        *floorgate.Batch
	BatchChanged bool
	Orders       []*floorgate.Task
	Changed      []*floorgate.Task
	Verdict      floorgate.Verdict
	Events       []floorgate.Event
}

// SortScan judges one scan at a put wall. A batch's container label opens
// the batch at its wall; then each unit scanned goes to the oldest order of
// the batch that still needs it, whose slot is shown (an order is given the
// lowest free slot at its first unit); the slot's scan counts the unit
// (sort.put). When an order is complete its slot is ready to pack; when
// every order is, the batch is sorted. A unit no order needs is a surplus,
// reported (pick.exception, kind sort_surplus).
//
// Every call emits scan.accepted or scan.rejected first; a rejected scan
// changes nothing.
func SortScan(st SortState, sc floorgate.Scan, m floorgate.Match) SortResult {
	sess := st.Session
	rec := newRecord(sess, sc, m)
	recordDistance(&rec, st.Policy.Distance, sc, m)
	j := sortJudge{st: st, sc: sc, m: m, rec: rec}
	code, warning := gate(st.Policy, sess, sc, m, &j.rec, func() floorgate.Verdict {
		inBand := st
		inBand.Policy.Distance.Mode = floorgate.DistanceOff
		return SortScan(inBand, sc, m).Verdict
	})
	if code != "" {
		return j.reject(code)
	}
	j.warning = warning
	switch run := sess.Sort; {
	case run == nil:
		return j.open()
	case run.Put != nil:
		return j.slot()
	}
	return j.item()
}

type sortJudge struct {
	st      SortState
	sc      floorgate.Scan
	m       floorgate.Match
	rec     floorgate.ScanRecord
	warning floorgate.Code
}

func (j *sortJudge) reject(code floorgate.Code) SortResult {
	j.rec.Code = code
	return SortResult{
		Session: j.st.Session, Batch: j.st.Batch, Orders: j.st.Orders,
		Verdict: floorgate.NewVerdict(j.sc.ID, code, SortPrompt(j.st.Session, j.st.Batch, j.st.Orders)),
		Events:  []floorgate.Event{floorgate.NewEvent(floorgate.EventScanRejected, j.sc.At, j.rec)},
	}
}

func (j *sortJudge) accept(code floorgate.Code, r SortResult, extra ...floorgate.Event) SortResult {
	j.rec.Code, j.rec.Warning = code, j.warning
	r.Session.LastData, r.Session.LastAt = j.sc.Data, j.sc.At
	r.Verdict = floorgate.NewVerdict(j.sc.ID, code, SortPrompt(r.Session, r.Batch, r.Orders))
	if j.warning != "" && r.Verdict.OK && code != floorgate.CodeSortSurplus {
		r.Verdict = r.Verdict.WithWarning(j.warning)
	}
	r.Events = append([]floorgate.Event{floorgate.NewEvent(floorgate.EventScanAccepted, j.sc.At, j.rec)}, extra...)
	return r
}

// open starts sorting the batch whose container label was scanned.
func (j *sortJudge) open() SortResult {
	sess, m := j.st.Session, j.m
	switch {
	case m.Kind != floorgate.MatchBatch || m.Batch == nil:
		return j.reject(floorgate.CodeUnknownBarcode)
	case m.WallBusy != "" && m.WallBusy != sess.Device:
		return j.reject(floorgate.CodeWallInUse)
	case sess.Task != "" || sess.Cart != nil || sess.Pack != nil:
		return j.reject(floorgate.CodeNoTask)
	case !m.Batch.Sorted.IsZero():
		return j.reject(floorgate.CodeNoTask)
	}
	ns := sess
	ns.Sort = &floorgate.SortRun{Batch: m.Batch.ID, Wall: m.Batch.Wall}
	ns.AtLocation, ns.Location, ns.ClosedSKU = false, "", ""
	r := SortResult{Session: ns, Batch: j.st.Batch, Orders: j.st.Orders}
	return j.accept(floorgate.CodeBatchOpen, r, floorgate.NewEvent(floorgate.EventSortStarted, j.sc.At, floorgate.BatchRecord{
		Batch: m.Batch.ID, Wall: m.Batch.Wall, Orders: len(m.Batch.Orders), Operator: sess.Operator, Device: sess.Device}))
}

// item gives the scanned unit to the oldest order that needs it.
func (j *sortJudge) item() SortResult {
	sess, m, b := j.st.Session, j.m, j.st.Batch
	switch m.Kind {
	case floorgate.MatchItem:
	case floorgate.MatchSlot:
		return j.reject(floorgate.CodeNoUnitForTote)
	default:
		return j.reject(floorgate.CodeUnknownBarcode)
	}
	if j.sc.Qty != 0 || m.Read.Qty > 0 {
		return j.reject(floorgate.CodeQtyNotAllowed) // a wall counts units one by one
	}
	sku := m.Item.SKU
	for _, t := range j.st.Orders {
		if t.Status != floorgate.TaskAssigned && t.Status != floorgate.TaskPending {
			continue
		}
		for li, l := range t.Lines {
			if l.SKU != sku || !l.Open() || l.Remaining() <= 0 {
				continue
			}
			j.rec.Task, j.rec.Line = t.ID, li+1
			if code := lineRules(l, m); code != "" && code != floorgate.CodeSerialMissing {
				return j.reject(code)
			}
			nb := b
			slot, given := b.SlotOf[t.ID]
			if !given {
				if slot = freeSlot(b, j.st.Wall, j.st.Held); slot == 0 {
					return j.reject(floorgate.CodeWallFull)
				}
				c := *b
				c.SlotOf = maps.Clone(b.SlotOf)
				if c.SlotOf == nil {
					c.SlotOf = map[string]int{}
				}
				c.SlotOf[t.ID] = slot
				nb = &c
			}
			run := *sess.Sort
			run.Put = &floorgate.PendingSort{Task: t.ID, Line: li, Slot: slot, SKU: sku}
			ns := sess
			ns.Sort = &run
			return j.accept(floorgate.CodeSortToSlot, SortResult{Session: ns, Batch: nb, BatchChanged: !given, Orders: j.st.Orders})
		}
	}
	// No order of the batch needs it: a surplus, reported upstream.
	ns := sess
	return j.accept(floorgate.CodeSortSurplus, SortResult{Session: ns, Batch: b, Orders: j.st.Orders},
		floorgate.NewEvent(floorgate.EventPickException, j.sc.At, floorgate.ExceptionRecord{
			Kind: floorgate.ExceptionSortSurplus, Task: b.ID, Order: b.ID, SKU: sku, Found: 1,
			Operator: sess.Operator, Device: sess.Device}))
}

// slot takes the slot scan that puts the waiting unit.
func (j *sortJudge) slot() SortResult {
	sess, m, b := j.st.Session, j.m, j.st.Batch
	p := sess.Sort.Put
	i := slices.IndexFunc(j.st.Orders, func(t *floorgate.Task) bool { return t.ID == p.Task })
	j.rec.Task, j.rec.Line = p.Task, p.Line+1
	switch {
	case m.Kind != floorgate.MatchSlot || m.Wall == nil:
		return j.reject(floorgate.CodeSlotExpected)
	case m.Wall.ID != sess.Sort.Wall || m.Slot != p.Slot:
		return j.reject(floorgate.CodeWrongSlot)
	case i < 0 || (j.st.Orders[i].Status != floorgate.TaskAssigned && j.st.Orders[i].Status != floorgate.TaskPending):
		return j.reject(floorgate.CodeTaskCancelled)
	}
	nt := copyTask(j.st.Orders[i])
	events := []floorgate.Event{}
	if nt.Status == floorgate.TaskPending {
		// The order's first unit: it is being sorted by this device now.
		nt.Status, nt.Operator, nt.Device, nt.AssignedAt = floorgate.TaskAssigned, sess.Operator, sess.Device, j.sc.At
		events = append(events, floorgate.NewEvent(floorgate.EventTaskStarted, j.sc.At, taskRecord(nt)))
	}
	nl := &nt.Lines[p.Line]
	nl.Picked++
	rec := floorgate.SortRecord{Batch: b.ID, Wall: b.Wall, Slot: p.Slot, Task: nt.ID, Order: nt.Order, Line: p.Line + 1,
		SKU: p.SKU, Qty: 1, Operator: sess.Operator, Device: sess.Device}
	var closing []floorgate.Event
	if nl.Remaining() == 0 {
		closing = closeCartLine(nt, p.Line, j.sc.At, sess, nil)
	}
	rec.Ready = nt.Status == floorgate.TaskDone
	events = append(events, floorgate.NewEvent(floorgate.EventSortPut, j.sc.At, rec))
	events = append(events, closing...)
	orders := slices.Clone(j.st.Orders)
	orders[i] = nt
	run := *sess.Sort
	run.Put = nil
	ns := sess
	ns.Sort = &run
	code := floorgate.CodeSortOK
	if rec.Ready {
		code = floorgate.CodeSlotReady
	}
	r := SortResult{Session: ns, Batch: b, Orders: orders, Changed: []*floorgate.Task{nt}}
	if done, nr := sortedBatch(r, j.sc.At, &events); done {
		r, code = nr, floorgate.CodeBatchSorted
	}
	return j.accept(code, r, events...)
}

// SortEnd ends sorting a batch when its container is empty: every order
// still short of units closes short (pick.exception each, then its line
// and task events), and the batch is sorted. The Verdict is short_ok with
// the orders that went short, or batch_sorted when none did.
func SortEnd(st SortState, scanID string, now time.Time) SortResult {
	sess := st.Session
	if sess.Sort == nil || st.Batch == nil {
		return SortResult{Session: sess, Verdict: floorgate.NewVerdict(scanID, floorgate.CodeNoTask, SortPrompt(sess, st.Batch, st.Orders))}
	}
	if sess.Sort.Put != nil {
		return SortResult{Session: sess, Batch: st.Batch, Orders: st.Orders,
			Verdict: floorgate.NewVerdict(scanID, floorgate.CodeSlotExpected, SortPrompt(sess, st.Batch, st.Orders))}
	}
	orders := slices.Clone(st.Orders)
	var changed []*floorgate.Task
	var events []floorgate.Event
	var shorts []floorgate.ShortOrder
	for i, t := range orders {
		if t.Status != floorgate.TaskAssigned && t.Status != floorgate.TaskPending {
			continue
		}
		nt := copyTask(t)
		if nt.Status == floorgate.TaskPending {
			nt.Status, nt.Operator, nt.Device, nt.AssignedAt = floorgate.TaskAssigned, sess.Operator, sess.Device, now
		}
		missing := 0
		for li := range nt.Lines {
			l := &nt.Lines[li]
			if !l.Open() || l.Remaining() <= 0 {
				continue
			}
			missing += l.Remaining()
			events = append(events, floorgate.NewEvent(floorgate.EventPickException, now, floorgate.ExceptionRecord{
				Kind: floorgate.ExceptionShortPick, Task: nt.ID, Order: nt.Order, Line: li + 1, SKU: l.SKU,
				Expected: l.Qty, Found: l.Picked, Operator: sess.Operator, Device: sess.Device}))
			l.Short += l.Remaining()
			events = closeCartLine(nt, li, now, sess, events)
		}
		shorts = append(shorts, floorgate.ShortOrder{Slot: st.Batch.SlotOf[nt.ID], Task: nt.ID, Order: nt.Order, Missing: missing})
		orders[i] = nt
		changed = append(changed, nt)
	}
	r := SortResult{Session: sess, Batch: st.Batch, Orders: orders, Changed: changed}
	_, r = sortedBatch(r, now, &events)
	code := floorgate.CodeBatchSorted
	if len(shorts) > 0 {
		code = floorgate.CodeShortOK
	}
	r.Events = events
	r.Verdict = floorgate.NewVerdict(scanID, code, SortPrompt(r.Session, r.Batch, r.Orders))
	r.Verdict.Shorts = shorts
	return r
}

// sortedBatch marks the batch sorted, and ends the sorter's run, when no
// order of r is open; it appends batch.sorted to events.
func sortedBatch(r SortResult, now time.Time, events *[]floorgate.Event) (bool, SortResult) {
	short := 0
	for _, t := range r.Orders {
		if t.Status == floorgate.TaskAssigned || t.Status == floorgate.TaskPending {
			return false, r
		}
		for _, l := range t.Lines {
			if l.Status == floorgate.LineShort {
				short++
				break
			}
		}
	}
	b := *r.Batch
	b.Sorted = now
	r.Batch, r.BatchChanged = &b, true
	r.Session.Sort = nil
	*events = append(*events, floorgate.NewEvent(floorgate.EventBatchSorted, now, floorgate.BatchRecord{
		Batch: b.ID, Wall: b.Wall, Orders: len(b.Orders), Operator: r.Session.Operator, Device: r.Session.Device, Short: short}))
	return true, r
}

// freeSlot is the lowest slot of the wall no order holds — of this batch,
// or of another (others) — 0 when none is.
func freeSlot(b *floorgate.Batch, w *floorgate.Wall, others map[int]bool) int {
	if w == nil {
		return 0
	}
	held := make(map[int]bool, len(b.SlotOf))
	for _, s := range b.SlotOf {
		held[s] = true
	}
	for s := 1; s <= len(w.Slots); s++ {
		if !held[s] && !others[s] {
			return s
		}
	}
	return 0
}

// SortPrompt tells the sorter what to do next: scan the next unit from the
// batch's container, or put the waiting one into the slot shown and scan
// the slot.
func SortPrompt(sess floorgate.Session, b *floorgate.Batch, orders []*floorgate.Task) floorgate.Prompt {
	switch {
	case !sess.LoggedIn():
		return floorgate.Prompt{Step: stepLogin}
	case sess.Sort == nil:
		return floorgate.Prompt{Step: stepWait}
	}
	p := floorgate.Prompt{Wall: sess.Sort.Wall, Batch: sess.Sort.Batch, Step: stepSortItem}
	for _, t := range orders {
		if t.Status == floorgate.TaskAssigned || t.Status == floorgate.TaskPending {
			for _, l := range t.Lines {
				if l.Open() {
					p.Qty += l.Remaining()
				}
			}
		}
	}
	if put := sess.Sort.Put; put != nil {
		p.Step, p.Slot, p.SKU, p.Qty = stepScanSlot, put.Slot, put.SKU, 1
		if i := slices.IndexFunc(orders, func(t *floorgate.Task) bool { return t.ID == put.Task }); i >= 0 {
			p.Task, p.Order = orders[i].ID, orders[i].Order
		}
	}
	return p
}

// SortOrders puts a batch's orders in the order units go to them: oldest
// first, then by id.
func SortOrders(orders []*floorgate.Task) {
	slices.SortStableFunc(orders, func(a, b *floorgate.Task) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
