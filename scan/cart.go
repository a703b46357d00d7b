package scan

import (
	"cmp"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
)

// Prompt steps on a cart.
const (
	stepScanCart = "scan_cart" // no task, cart orders wait: scan a cart to start one
	stepBindTote = "bind_tote" // scan a tote for the slot shown
	stepScanTote = "scan_tote" // put the unit in the slot shown and scan its tote
)

// CartState is what the cart rules need: the policy, the picker's session,
// the cart's tasks by slot (Tasks[0] is slot 1's) while a cart runs, and,
// for a cart scan with none running, the tasks a cart started now takes
// (Offer, in slot order, chosen by the caller from the queue) with the tote
// each already fills ("" for none).
type CartState struct {
	Policy     floorgate.Policy
	Session    floorgate.Session
	Tasks      []*floorgate.Task
	Offer      []*floorgate.Task
	OfferTotes []string
}

// CartResult is the outcome of one step on a cart.
type CartResult struct {
	Session floorgate.Session
	// Tasks are the cart's tasks after the step, by slot; Changed those
	// of them (or of Offer) the step changed, which must be stored.
	Tasks   []*floorgate.Task
	Changed []*floorgate.Task
	// Bind is the tote the step bound to a slot, when it bound one.
	Bind *floorgate.ToteBinding
	// Spent is the serial number of the unit the step put (with its SKU),
	// when it had one: it may not be picked again at the site.
	Spent   *floorgate.PendingPut
	Verdict floorgate.Verdict
	Events  []floorgate.Event
}

// CartScan judges one scan by a picker on a cart, or a cart's label
// scanned by a picker with no task, which starts the cart: the offered
// orders are theirs, one a slot. Then each slot is bound to a tote (a free
// one, or the one its order already fills), and the orders are picked in
// one walk: at each stop the location, then the item — the engine gives
// the unit to the order that needs it first (by priority, then age, then
// slot) and shows its slot — then that slot's tote, which counts the unit
// for its order (pick.put). When every order is closed the cart is done
// and goes to packing.
//
// Every call emits scan.accepted or scan.rejected first; a rejected scan
// changes nothing.
func CartScan(st CartState, sc floorgate.Scan, m floorgate.Match) CartResult {
	sess := st.Session
	rec := newRecord(sess, sc, m)
	recordDistance(&rec, st.Policy.Distance, sc, m)
	c := cartJudge{st: st, sc: sc, m: m, rec: rec}
	code, warning := gate(st.Policy, sess, sc, m, &c.rec, func() floorgate.Verdict {
		inBand := st
		inBand.Policy.Distance.Mode = floorgate.DistanceOff
		return CartScan(inBand, sc, m).Verdict
	})
	if code != "" {
		return c.reject(code)
	}
	c.warning = warning
	cart := sess.Cart
	switch {
	case cart == nil:
		return c.start()
	case bindSlot(cart, st.Tasks) > 0:
		return c.bind()
	case cart.Put != nil:
		return c.put()
	}
	return c.stop()
}

// cartJudge is one cart step being judged.
type cartJudge struct {
	st      CartState
	sc      floorgate.Scan
	m       floorgate.Match
	rec     floorgate.ScanRecord
	warning floorgate.Code
}

func (c *cartJudge) reject(code floorgate.Code) CartResult {
	c.rec.Code = code
	return CartResult{
		Session: c.st.Session,
		Tasks:   c.st.Tasks,
		Verdict: floorgate.NewVerdict(c.sc.ID, code, CartPrompt(c.st.Session, c.st.Tasks)),
		Events:  []floorgate.Event{floorgate.NewEvent(floorgate.EventScanRejected, c.sc.At, c.rec)},
	}
}

// accept answers an accepted step: ns and tasks are the state after it,
// changed the tasks to store, extra the events after scan.accepted.
func (c *cartJudge) accept(code floorgate.Code, ns floorgate.Session, tasks, changed []*floorgate.Task, extra ...floorgate.Event) CartResult {
	c.rec.Code, c.rec.Warning = code, c.warning
	ns.LastData, ns.LastAt = c.sc.Data, c.sc.At
	v := floorgate.NewVerdict(c.sc.ID, code, CartPrompt(ns, tasks))
	if c.warning != "" {
		v = v.WithWarning(c.warning)
	}
	return CartResult{
		Session: ns,
		Tasks:   tasks,
		Changed: changed,
		Verdict: v,
		Events:  append([]floorgate.Event{floorgate.NewEvent(floorgate.EventScanAccepted, c.sc.At, c.rec)}, extra...),
	}
}

// start takes the cart scanned and the offered orders.
func (c *cartJudge) start() CartResult {
	sess, m := c.st.Session, c.m
	switch {
	case m.Kind != floorgate.MatchCart || m.Cart == nil:
		return c.reject(floorgate.CodeUnknownBarcode)
	case m.CartBusy != "" && m.CartBusy != sess.Device:
		return c.reject(floorgate.CodeCartInUse)
	case sess.Task != "" || sess.Pack != nil:
		// A picker finishes the task in hand before taking a cart.
		return c.reject(floorgate.CodeNoTask)
	}
	n := min(len(c.st.Offer), m.Cart.Slots)
	if n == 0 {
		return c.reject(floorgate.CodeNoTask)
	}
	run := &floorgate.CartRun{Cart: m.Cart.ID, Started: c.sc.At}
	tasks := make([]*floorgate.Task, n)
	rec := floorgate.CartRecord{Cart: m.Cart.ID, Operator: sess.Operator, Device: sess.Device}
	var started []floorgate.Event
	for i, t := range c.st.Offer[:n] {
		nt := *t // the lines are not changed, so they may be shared
		nt.Status = floorgate.TaskAssigned
		nt.Operator, nt.Device, nt.AssignedAt = sess.Operator, sess.Device, c.sc.At
		tasks[i] = &nt
		run.Tasks = append(run.Tasks, nt.ID)
		tote := ""
		if i < len(c.st.OfferTotes) {
			tote = c.st.OfferTotes[i]
		}
		run.Reuse = append(run.Reuse, tote)
		rec.Orders = append(rec.Orders, floorgate.CartSlot{Slot: i + 1, Task: nt.ID, Order: nt.Order, Tote: tote})
		started = append(started, floorgate.NewEvent(floorgate.EventTaskStarted, c.sc.At, taskRecord(&nt)))
	}
	if !slices.ContainsFunc(run.Reuse, func(s string) bool { return s != "" }) {
		run.Reuse = nil
	}
	ns := sess
	ns.Cart, ns.AtLocation, ns.Location, ns.ClosedSKU = run, false, "", ""
	events := append([]floorgate.Event{floorgate.NewEvent(floorgate.EventCartStarted, c.sc.At, rec)}, started...)
	return c.accept(floorgate.CodeCartStarted, ns, tasks, tasks, events...)
}

// bind binds the scanned tote to the next slot.
func (c *cartJudge) bind() CartResult {
	sess, m := c.st.Session, c.m
	cart := sess.Cart
	slot := bindSlot(cart, c.st.Tasks)
	t := c.st.Tasks[slot-1]
	c.rec.Task = t.ID
	switch {
	case m.Kind == floorgate.MatchNone:
		return c.reject(floorgate.CodeUnknownTote)
	case m.Kind != floorgate.MatchTote || m.Tote == nil:
		return c.reject(floorgate.CodeToteExpected)
	case slices.Contains(cart.Totes, m.Tote.ID):
		return c.reject(floorgate.CodeToteAlreadyBound)
	case cart.ReuseFor(slot) != "" && m.Tote.ID != cart.ReuseFor(slot):
		// The order's units are in its tote already: that tote goes here.
		return c.reject(floorgate.CodeWrongTote)
	case m.Bound != nil && m.Bound.Task != t.ID:
		return c.reject(floorgate.CodeToteOtherCart)
	}
	run := *cart
	run.Totes = slices.Clone(cart.Totes)
	for len(run.Totes) < slot-1 {
		run.Totes = append(run.Totes, "") // a cancelled order's slot: no tote
	}
	run.Totes = append(run.Totes, m.Tote.ID)
	ns := sess
	ns.Cart = &run
	bind := &floorgate.ToteBinding{Tote: m.Tote.ID, Cart: cart.Cart, Slot: slot, Task: t.ID, Order: t.Order,
		Operator: sess.Operator, Device: sess.Device, BoundAt: c.sc.At}
	code := floorgate.CodeToteBound
	if bindSlot(&run, c.st.Tasks) == 0 {
		code = floorgate.CodeCartReady
	}
	r := c.accept(code, ns, c.st.Tasks, nil, floorgate.NewEvent(floorgate.EventToteBound, c.sc.At, *bind))
	r.Bind = bind
	return r
}

// stop takes a location or an item scan on the cart's walk.
func (c *cartJudge) stop() CartResult {
	sess, m, tasks := c.st.Session, c.m, c.st.Tasks
	next, ok := nextStop(tasks)
	if !ok {
		return c.reject(floorgate.CodeNoTask)
	}
	switch m.Kind {
	case floorgate.MatchLocation:
		c.rec.Location = m.Location.Code
		if m.Location.Code != next.loc {
			return c.reject(floorgate.CodeWrongLocation)
		}
		ns := sess
		if !ns.AtLocation || ns.Location != next.loc {
			ns.AtLocation, ns.Location, ns.ClosedSKU = true, next.loc, ""
		}
		return c.accept(floorgate.CodeLocationOK, ns, tasks, nil)
	case floorgate.MatchItem:
	case floorgate.MatchTote:
		return c.reject(floorgate.CodeNoUnitForTote)
	default:
		return c.reject(floorgate.CodeUnknownBarcode)
	}
	sku := m.Item.SKU
	c.rec.Location = sess.Location
	slot, line, found := target(tasks, sess.Location, sku)
	switch {
	case !found && sess.ClosedSKU == sku:
		return c.reject(floorgate.CodeOverPick)
	case !sess.AtLocation:
		return c.reject(floorgate.CodeItemBeforeLocation)
	case !found:
		return c.reject(floorgate.CodeWrongItem)
	}
	t := tasks[slot-1]
	l := t.Lines[line]
	c.rec.Task, c.rec.Line = t.ID, line+1
	if code := lineRules(l, m); code != "" {
		// A cart takes no separate serial label: the unit's barcode must
		// carry its serial number.
		return c.reject(code)
	}
	n := 1
	switch {
	case c.sc.Qty < 0:
		return c.reject(floorgate.CodeBadScan)
	case c.sc.Qty > 0 || m.Read.Qty > 0:
		if !l.KeyedQty {
			return c.reject(floorgate.CodeQtyNotAllowed)
		}
		n = max(c.sc.Qty, m.Read.Qty)
	}
	if n > l.Remaining() {
		return c.reject(floorgate.CodeOverPick)
	}
	run := *sess.Cart
	run.Put = &floorgate.PendingPut{Slot: slot, Line: line, SKU: sku, Qty: n, Serial: m.Read.Serial}
	ns := sess
	ns.Cart = &run
	return c.accept(floorgate.CodeItemToTote, ns, tasks, nil)
}

// put takes the tote scan that puts the waiting unit into its order's tote.
func (c *cartJudge) put() CartResult {
	sess, m, tasks := c.st.Session, c.m, c.st.Tasks
	cart := sess.Cart
	p := cart.Put
	t := tasks[p.Slot-1]
	c.rec.Task, c.rec.Line, c.rec.Location = t.ID, p.Line+1, sess.Location
	switch {
	case m.Kind == floorgate.MatchNone:
		return c.reject(floorgate.CodeUnknownTote)
	case m.Kind != floorgate.MatchTote || m.Tote == nil:
		return c.reject(floorgate.CodeToteExpected)
	case m.Tote.ID != cart.Totes[p.Slot-1]:
		if j := slices.Index(cart.Totes, m.Tote.ID); j >= 0 && !needs(tasks[j], sess.Location, p.SKU) {
			return c.reject(floorgate.CodeToteNotNeeded)
		}
		return c.reject(floorgate.CodeWrongTote)
	case t.Status != floorgate.TaskAssigned:
		// Cancelled while the unit waited: it goes back to the bin.
		return c.reject(floorgate.CodeTaskCancelled)
	}
	nt := copyTask(t)
	nl := &nt.Lines[p.Line]
	nl.Picked += p.Qty
	run := *cart
	run.Put = nil
	ns := sess
	ns.Cart = &run
	events := []floorgate.Event{floorgate.NewEvent(floorgate.EventPickPut, c.sc.At, floorgate.PutRecord{
		Cart: cart.Cart, Slot: p.Slot, Tote: m.Tote.ID, Task: nt.ID, Order: nt.Order, Line: p.Line + 1,
		Location: nl.Location, SKU: nl.SKU, Qty: p.Qty, Operator: sess.Operator, Device: sess.Device})}
	if nl.Remaining() == 0 {
		events = closeCartLine(nt, p.Line, c.sc.At, sess, events)
	}
	next := withTask(tasks, p.Slot, nt)
	code := floorgate.CodePutOK
	if _, _, open := target(next, sess.Location, p.SKU); !open {
		ns.ClosedSKU = p.SKU // one more of it here is an over-pick
	}
	ns, events, done := finishCart(ns, next, c.sc.At, events)
	if done {
		code = floorgate.CodeCartDone
	}
	if s, ok := nextStop(next); ok && s.loc != ns.Location {
		ns.AtLocation = false
	}
	r := c.accept(code, ns, next, []*floorgate.Task{nt}, events...)
	if p.Serial != "" {
		r.Spent = p
	}
	return r
}

// CartShort records that the bin of the cart's current stop holds only
// found more units of its item: they go to the orders that need them first
// (by priority, then age, then slot), and every order left without enough
// goes short — its line is marked short by what it misses (pick.exception
// each), and closes once what it gets is put. The verdict lists the orders
// that go short. The picker must be at the stop's location with no unit
// waiting for its tote.
func CartShort(st CartState, scanID string, found int, now time.Time) CartResult {
	sess, tasks := st.Session, st.Tasks
	refuse := func(code floorgate.Code) CartResult {
		return CartResult{Session: sess, Tasks: tasks, Verdict: floorgate.NewVerdict(scanID, code, CartPrompt(sess, tasks))}
	}
	switch {
	case !sess.LoggedIn():
		return refuse(floorgate.CodeNotLoggedIn)
	case sess.Cart == nil || bindSlot(sess.Cart, tasks) > 0:
		return refuse(floorgate.CodeNoTask)
	case sess.Cart.Put != nil:
		return refuse(floorgate.CodeToteExpected)
	}
	s, ok := nextStop(tasks)
	switch {
	case !ok:
		return refuse(floorgate.CodeNoTask)
	case !sess.AtLocation || sess.Location != s.loc:
		return refuse(floorgate.CodeItemBeforeLocation)
	}
	lines := stopLines(tasks, s.loc, s.sku)
	total := 0
	for _, sl := range lines {
		total += tasks[sl.slot-1].Lines[sl.line].Remaining()
	}
	if found < 0 || found >= total {
		return refuse(floorgate.CodeBadScan)
	}
	next := slices.Clone(tasks)
	var changed []*floorgate.Task
	var events []floorgate.Event
	var shorts []floorgate.ShortOrder
	left := found
	for _, sl := range lines {
		nt := copyTask(next[sl.slot-1])
		nl := &nt.Lines[sl.line]
		give := min(nl.Remaining(), left)
		left -= give
		missing := nl.Remaining() - give
		if missing == 0 {
			continue
		}
		nl.Short += missing
		shorts = append(shorts, floorgate.ShortOrder{Slot: sl.slot, Task: nt.ID, Order: nt.Order, Missing: missing})
		events = append(events, floorgate.NewEvent(floorgate.EventPickException, now, floorgate.ExceptionRecord{
			Kind: floorgate.ExceptionShortPick, Task: nt.ID, Order: nt.Order, Line: sl.line + 1,
			Location: nl.Location, SKU: nl.SKU, Expected: nl.Qty, Found: nl.Picked + give,
			Operator: sess.Operator, Device: sess.Device}))
		if nl.Remaining() == 0 {
			events = closeCartLine(nt, sl.line, now, sess, events)
		}
		next[sl.slot-1] = nt
		changed = append(changed, nt)
	}
	ns := sess
	ns, events, _ = finishCart(ns, next, now, events)
	if s, ok := nextStop(next); ok && s.loc != ns.Location {
		ns.AtLocation = false
	}
	v := floorgate.NewVerdict(scanID, floorgate.CodeShortOK, CartPrompt(ns, next))
	v.Shorts = shorts
	return CartResult{Session: ns, Tasks: next, Changed: changed, Verdict: v, Events: events}
}

// LeaveCart ends a cart run without finishing it (its picker signs out):
// its orders still open go back to the queue with their progress, and keep
// their totes, which a later cart binds again.
func LeaveCart(st CartState) CartResult {
	ns := st.Session
	ns.Cart, ns.AtLocation, ns.Location, ns.ClosedSKU = nil, false, "", ""
	var changed []*floorgate.Task
	for _, t := range st.Tasks {
		if t != nil && t.Status == floorgate.TaskAssigned {
			nt := *t
			nt.Status = floorgate.TaskPending
			nt.Operator, nt.Device, nt.AssignedAt = "", "", time.Time{}
			changed = append(changed, &nt)
		}
	}
	return CartResult{Session: ns, Changed: changed, Verdict: floorgate.Verdict{Prompt: floorgate.Prompt{Step: stepLogin}}}
}

// CartPrompt tells the picker on a cart what to do next: bind the next
// slot's tote, put the waiting unit into its slot's tote, or go to the
// walk's next stop and scan its location, then its item. Slots is always
// the number of the cart's orders; at a stop, Qty is the units its orders
// still need together.
func CartPrompt(sess floorgate.Session, tasks []*floorgate.Task) floorgate.Prompt {
	cart := sess.Cart
	if !sess.LoggedIn() {
		return floorgate.Prompt{Step: stepLogin}
	}
	if cart == nil {
		return floorgate.Prompt{Step: stepWait}
	}
	p := floorgate.Prompt{Cart: cart.Cart, Slots: len(cart.Tasks)}
	switch slot := bindSlot(cart, tasks); {
	case slot > 0:
		t := tasks[slot-1]
		p.Step, p.Slot, p.Task, p.Order, p.Tote = stepBindTote, slot, t.ID, t.Order, cart.ReuseFor(slot)
		return p
	case cart.Put != nil:
		t := tasks[cart.Put.Slot-1]
		l := t.Lines[cart.Put.Line]
		p.Step, p.Slot, p.Task, p.Order, p.Tote = stepScanTote, cart.Put.Slot, t.ID, t.Order, cart.Totes[cart.Put.Slot-1]
		p.Line, p.Lines, p.Location, p.SKU, p.Qty, p.KeyedQty = cart.Put.Line+1, len(t.Lines), l.Location, l.SKU, cart.Put.Qty, l.KeyedQty
		return p
	}
	s, ok := nextStop(tasks)
	if !ok {
		return floorgate.Prompt{Step: stepWait}
	}
	p.Step = stepScanLocation
	if sess.AtLocation && sess.Location == s.loc {
		p.Step = stepScanItem
	}
	p.Location, p.SKU = s.loc, s.sku
	keyed := true
	for _, sl := range stopLines(tasks, s.loc, s.sku) {
		l := tasks[sl.slot-1].Lines[sl.line]
		p.Qty += l.Remaining()
		keyed = keyed && l.KeyedQty
	}
	p.KeyedQty = keyed
	return p
}

// IdlePrompt is the prompt of a picker with no task: scan a cart when cart
// orders wait for one, else wait.
func IdlePrompt(cartOrders bool) floorgate.Prompt {
	if cartOrders {
		return floorgate.Prompt{Step: stepScanCart}
	}
	return floorgate.Prompt{Step: stepWait}
}

// bindSlot is the next slot to bind a tote to: the first unbound one whose
// order is still to pick; 0 when none is left.
func bindSlot(cart *floorgate.CartRun, tasks []*floorgate.Task) int {
	for s := len(cart.Totes) + 1; s <= len(cart.Tasks) && s <= len(tasks); s++ {
		if tasks[s-1] != nil && tasks[s-1].Status == floorgate.TaskAssigned {
			return s
		}
	}
	return 0
}

// stopAt is one stop of a cart's walk: an item at a location.
type stopAt struct {
	loc, sku string
	walk     int
}

// nextStop is the first stop on the walk with units still to pick for an
// order of the cart: by the locations' walk sequence, then location, then
// item.
func nextStop(tasks []*floorgate.Task) (stopAt, bool) {
	var best stopAt
	found := false
	for _, t := range tasks {
		if t == nil || t.Status != floorgate.TaskAssigned {
			continue
		}
		for _, l := range t.Lines {
			if !l.Open() || l.Remaining() <= 0 {
				continue
			}
			s := stopAt{l.Location, l.SKU, l.WalkSeq}
			if !found || cmpStop(s, best) < 0 {
				best, found = s, true
			}
		}
	}
	return best, found
}

func cmpStop(a, b stopAt) int {
	if c := cmp.Compare(a.walk, b.walk); c != 0 {
		return c
	}
	if c := cmp.Compare(a.loc, b.loc); c != 0 {
		return c
	}
	return cmp.Compare(a.sku, b.sku)
}

// slotLine is a line of a slot's task.
type slotLine struct{ slot, line int }

// stopLines are the open lines for sku at loc, in the order units are
// given out: the order's priority (highest first), then its age (oldest
// first), then the slot, then the line.
func stopLines(tasks []*floorgate.Task, loc, sku string) []slotLine {
	var out []slotLine
	for i, t := range tasks {
		if t == nil || t.Status != floorgate.TaskAssigned {
			continue
		}
		for j, l := range t.Lines {
			if l.Open() && l.Remaining() > 0 && l.Location == loc && l.SKU == sku {
				out = append(out, slotLine{i + 1, j})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b slotLine) int {
		ta, tb := tasks[a.slot-1], tasks[b.slot-1]
		if c := cmp.Compare(tb.Priority, ta.Priority); c != 0 {
			return c
		}
		return ta.Created.Compare(tb.Created)
	})
	return out
}

// target is the slot and line the next unit of sku at loc goes to.
func target(tasks []*floorgate.Task, loc, sku string) (slot, line int, ok bool) {
	lines := stopLines(tasks, loc, sku)
	if len(lines) == 0 {
		return 0, 0, false
	}
	return lines[0].slot, lines[0].line, true
}

// needs reports whether t still needs sku from loc.
func needs(t *floorgate.Task, loc, sku string) bool {
	_, _, ok := target([]*floorgate.Task{t}, loc, sku)
	return ok
}

// withTask is tasks with slot's task replaced by t.
func withTask(tasks []*floorgate.Task, slot int, t *floorgate.Task) []*floorgate.Task {
	next := slices.Clone(tasks)
	next[slot-1] = t
	return next
}

// closeCartLine closes line i of nt (which the caller owns), done or, when
// units were declared missing, short; appends pick.line_confirmed and, when
// it was the task's last open line, marks the task done and appends
// pick.task_completed.
func closeCartLine(nt *floorgate.Task, i int, now time.Time, sess floorgate.Session, events []floorgate.Event) []floorgate.Event {
	l := &nt.Lines[i]
	l.Status, l.ClosedAt = floorgate.LineDone, now
	if l.Short > 0 {
		l.Status = floorgate.LineShort
	}
	events = append(events, floorgate.NewEvent(floorgate.EventLineConfirmed, now, floorgate.LineRecord{
		Task: nt.ID, Order: nt.Order, Line: i + 1, Location: l.Location, SKU: l.SKU, Qty: l.Qty,
		Picked: l.Picked, Status: l.Status, Operator: sess.Operator, Device: sess.Device}))
	if _, open := nextOpen(nt.Lines, -1); open {
		return events
	}
	nt.Status, nt.ClosedAt = floorgate.TaskDone, now
	rec := taskRecord(nt)
	rec.Operator, rec.Device = sess.Operator, sess.Device
	return append(events, floorgate.NewEvent(floorgate.EventTaskCompleted, now, rec))
}

// finishCart ends the cart when none of its orders is left to pick:
// cart.completed, and the picker is free.
func finishCart(ns floorgate.Session, tasks []*floorgate.Task, now time.Time, events []floorgate.Event) (floorgate.Session, []floorgate.Event, bool) {
	for _, t := range tasks {
		if t != nil && t.Status == floorgate.TaskAssigned {
			return ns, events, false
		}
	}
	cart := ns.Cart
	rec := floorgate.CartRecord{Cart: cart.Cart, Operator: ns.Operator, Device: ns.Device}
	for i, t := range tasks {
		s := floorgate.CartSlot{Slot: i + 1, Task: t.ID, Order: t.Order}
		if i < len(cart.Totes) {
			s.Tote = cart.Totes[i]
		}
		rec.Orders = append(rec.Orders, s)
	}
	ns.Cart, ns.AtLocation, ns.Location, ns.ClosedSKU = nil, false, "", ""
	return ns, append(events, floorgate.NewEvent(floorgate.EventCartCompleted, now, rec)), true
}

// taskRecord is the payload of a task's pick.task_* events.
func taskRecord(t *floorgate.Task) floorgate.TaskRecord {
	short := 0
	for i := range t.Lines {
		if t.Lines[i].Status == floorgate.LineShort {
			short++
		}
	}
	return floorgate.TaskRecord{Task: t.ID, Order: t.Order, Wave: t.Wave, Operator: t.Operator, Device: t.Device,
		Lines: len(t.Lines), Short: short}
}

// CartNext moves a picker on when nothing is left to pick on their cart
// (its last open orders were cancelled under them): the cart is done
// (cart.completed). Otherwise nothing changes. The Verdict is zero apart
// from its Prompt.
func CartNext(st CartState, now time.Time) CartResult {
	ns, events, _ := finishCart(st.Session, st.Tasks, now, nil)
	return CartResult{Session: ns, Tasks: st.Tasks, Events: events,
		Verdict: floorgate.Verdict{Prompt: CartPrompt(ns, st.Tasks)}}
}
