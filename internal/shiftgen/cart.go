package shiftgen

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Cluster picking (docs/pda-protocol.md §12): a picker takes a cart and the
// cart orders waiting, binds a tote to each slot, and walks the orders'
// stops together; every unit is scanned, then put into its order's tote by
// the tote's scan.

// The cart's verdicts and steps (§4, §12).
const (
	codeCartStarted   = "cart_started"
	codeToteBound     = "tote_bound"
	codeCartReady     = "cart_ready"
	codeItemToTote    = "item_to_tote"
	codePutOK         = "put_ok"
	codeCartDone      = "cart_done"
	codeWrongTote     = "wrong_tote"
	codeToteNotNeeded = "tote_not_needed"
	codeToteExpected  = "tote_expected"

	stepScanCart = "scan_cart"
	stepBindTote = "bind_tote"
	stepScanTote = "scan_tote"
)

// ModeCluster is a Task's Mode when it is picked on a cart.
const ModeCluster = "cluster"

// Cart is a picking cart of the site's master data.
type Cart struct {
	ID, Barcode string
	Slots       int
}

// Tote is a tote of the site's master data.
type Tote struct {
	ID, Barcode string
}

// The site's carts and totes: carts of four slots, and more totes than
// the shift binds, each used once (a tote stays bound to its order until
// the order is packed). The last tote is never bound: it is the stray a
// picker scans by mistake.
const (
	cartSlots = 4
	nCarts    = 2
	nTotes    = 120
)

func addCarts(s *Site) {
	for i := range nCarts {
		id := fmt.Sprintf("CART-%02d", i+1)
		s.Carts = append(s.Carts, Cart{ID: id, Barcode: id, Slots: cartSlots})
	}
	for i := range nTotes {
		id := fmt.Sprintf("TOTE-%04d", i+1)
		s.Totes = append(s.Totes, Tote{ID: id, Barcode: id})
	}
}

// cartOrder is one slot of a cart as the engine keeps it.
type cartOrder struct {
	task   Task
	tote   string
	left   []int  // units still to put, by line
	short  []bool // lines a short stop left short
	closed []bool
}

func (o *cartOrder) done() bool { return !slices.Contains(o.closed, false) }

// cartRun is the cart being walked: its orders by slot and the location
// the picker confirmed ("" once they walk on).
type cartRun struct {
	orders []*cartOrder
	at     string
}

// stop is one stop of the walk: an item at a location.
type stop struct{ loc, sku string }

// next is the first stop with units still to put, by location then item
// (the site's locations have no walk sequence).
func (c *cartRun) next() (stop, bool) {
	var best stop
	found := false
	for _, o := range c.orders {
		for i, l := range o.task.Lines {
			if o.closed[i] || o.left[i] <= 0 {
				continue
			}
			s := stop{l.Location, l.SKU}
			if !found || cmp.Or(cmp.Compare(s.loc, best.loc), cmp.Compare(s.sku, best.sku)) < 0 {
				best, found = s, true
			}
		}
	}
	return best, found
}

// slotLine is a line of a slot's order.
type slotLine struct{ slot, line int }

// lines are the open lines of the stop in the order units are given out:
// every order has the same priority and they were created in slot order,
// so slot order.
func (c *cartRun) lines(s stop) []slotLine {
	var out []slotLine
	for i, o := range c.orders {
		for j, l := range o.task.Lines {
			if !o.closed[j] && o.left[j] > 0 && l.Location == s.loc && l.SKU == s.sku {
				out = append(out, slotLine{i, j})
			}
		}
	}
	return out
}

func (c *cartRun) units(s stop) int {
	n := 0
	for _, sl := range c.lines(s) {
		n += c.orders[sl.slot].left[sl.line]
	}
	return n
}

// needs reports whether slot's order still needs the stop's item.
func (c *cartRun) needs(slot int, s stop) bool {
	return slices.ContainsFunc(c.lines(s), func(sl slotLine) bool { return sl.slot == slot })
}

// closeLine closes a slot's line: done, or short when a short stop left
// it short; it reports the status and whether the order is now done.
func (c *cartRun) closeLine(sl slotLine) (status string, taskDone bool) {
	o := c.orders[sl.slot]
	o.closed[sl.line] = true
	status = "done"
	if o.short[sl.line] {
		status = "short"
	}
	return status, o.done()
}

func (c *cartRun) done() bool {
	return !slices.ContainsFunc(c.orders, func(o *cartOrder) bool { return !o.done() })
}

// prompt is the step after a change: the walk's next stop, its item when
// the picker is at its location, or nothing left (the cart is done).
func (c *cartRun) prompt() string {
	s, ok := c.next()
	switch {
	case !ok:
		return stepWait
	case c.at == s.loc:
		return stepScanItem
	}
	return stepScanLocation
}

// cartIncident reports whether incident k can only happen on a cart.
func cartIncident(k string) bool {
	switch k {
	case "cart", "cart_wrong_location", "cart_short", "wrong_tote", "tote_not_needed", "tote_expected",
		"wrong_tote_out_of_band", "tote_out_of_band":
		return true
	}
	return false
}

// cartDice makes rng draw from crng until the function it returns is
// called.
func (s *sim) cartDice() (restore func()) {
	saved := s.rng
	s.rng = s.crng
	return func() { s.rng = saved }
}

// cartNext decides whether w, at the end of a task, takes a cart next:
// always the first time, then now and then, while totes are left.
func (s *sim) cartNext(w *worker) bool {
	if !w.carts || s.totesUsed+cartSlots >= len(s.sh.Site.Totes)-1 {
		return false
	}
	return s.due["cart"] || s.crng.Float64() < 0.3
}

// takeCart has the ERP send two to four cart orders just before w's last
// scan (whose prompt is then scan_cart), and plans the cart. The orders'
// items come from a few bins, so stops shared by several orders are
// common.
func (s *sim) takeCart(w *worker, st *step) []step {
	s.place("cart")
	n := 2 + s.rng.IntN(cartSlots-1)
	pool := s.rng.Perm(len(s.sh.Site.Items))[:5]
	var tasks []Task
	for range n {
		t := s.newTask()
		m := min(len(t.Lines), 3)
		for i, k := range s.rng.Perm(len(pool))[:m] {
			it := s.sh.Site.Items[pool[k]]
			t.Lines[i] = Line{Location: it.Home, SKU: it.SKU, Qty: t.Lines[i].Qty}
		}
		t.Lines = t.Lines[:m]
		slices.SortFunc(t.Lines, func(a, b Line) int { return cmp.Compare(a.Location, b.Location) })
		t.Mode = ModeCluster
		s.sh.Tasks[len(s.sh.Tasks)-1] = t
		tasks = append(tasks, t)
	}
	created := make([]Action, n)
	for i, t := range tasks {
		created[i] = Action{Kind: CreateTask, Task: t.ID}
	}
	st.prepend(created...)
	last := &st.actions[len(st.actions)-1]
	last.Want.Step, last.Want.Task, last.Want.Line, last.Want.Picked = stepScanCart, "", 0, 0
	// The cart is scanned in the same step: while the picker is idle
	// with cart orders waiting, another picker finishing a task would be
	// asked to take them (the queue keeps its order across modes), and
	// an idle one pushed cart_work.
	steps := s.planCart(w, tasks)
	st.then(steps[0].actions[0], steps[0].delay)
	return steps[1:]
}

// prepend puts actions before the step's, a millisecond apart, the step's
// own moving on by as much.
func (st *step) prepend(as ...Action) {
	offsets := make([]time.Duration, 0, len(as)+len(st.actions))
	for i := range as {
		offsets = append(offsets, time.Duration(i)*time.Millisecond)
	}
	shift := time.Duration(len(as)) * time.Millisecond
	for i := range st.actions {
		var o time.Duration
		if i < len(st.offsets) {
			o = st.offsets[i]
		}
		offsets = append(offsets, o+shift)
	}
	st.actions = append(as, st.actions...)
	st.offsets = offsets
}

// planCart plans picking tasks on a cart: take a cart, bind a fresh tote
// to each slot, walk the stops, with the mistakes the dice place.
func (s *sim) planCart(w *worker, tasks []Task) []step {
	c := &cartRun{}
	for _, t := range tasks {
		o := &cartOrder{task: t, short: make([]bool, len(t.Lines)), closed: make([]bool, len(t.Lines))}
		for _, l := range t.Lines {
			o.left = append(o.left, l.Qty)
		}
		c.orders = append(c.orders, o)
	}
	var steps []step
	sec := func(lo, hi int) time.Duration {
		return s.dur(time.Duration(lo)*time.Second, time.Duration(hi)*time.Second)
	}
	quick := func() time.Duration { return sec(2, 6) }
	// read is a scan on the cart: what it reads, its verdict, and its
	// truth's task and line (the record names them only where §12's
	// engine knows them: a tote's slot, an item given to an order, a tote
	// scanned for a waiting unit).
	read := func(delay time.Duration, data, aim, dist, code, step string, ok bool, task string, line int) *Action {
		a := s.scanAction(w, data, aim, dist, false)
		a.Want = Want{Code: code, Step: step}
		a.Truth = Fact{ScanEvent: true, Accepted: ok, Code: code, Pick: task != "", Task: task, Line: line,
			Distance: s.classOf(a)}
		steps = append(steps, one(delay, a))
		return &steps[len(steps)-1].actions[0]
	}

	// The cart, then a tote for each slot.
	cart := s.sh.Site.Carts[s.rng.IntN(len(s.sh.Site.Carts))]
	started := read(sec(15, 45), cart.Barcode, "]C0", s.distClass(false), codeCartStarted, stepBindTote, true, "", 0)
	for _, t := range tasks {
		started.Truth.CartTasks = append(started.Truth.CartTasks, t.ID)
	}
	for i, o := range c.orders {
		s.totesUsed++
		o.tote = s.sh.Site.Totes[s.totesUsed-1].Barcode
		s.toteOf[o.task.ID] = o.tote
		code, next := codeToteBound, stepBindTote
		if i == len(c.orders)-1 {
			code, next = codeCartReady, stepScanLocation
		}
		read(sec(4, 12), o.tote, "]C0", s.distClass(false), code, next, true, o.task.ID, 0)
	}
	stray := s.sh.Site.Totes[len(s.sh.Site.Totes)-1].Barcode

	for {
		at, ok := c.next()
		if !ok {
			break
		}
		walk := sec(90, 240)
		if c.at != at.loc {
			if s.incident("cart_wrong_location", 0.04) {
				other := at.loc
				for other == at.loc {
					other = s.sh.Site.Items[s.rng.IntN(len(s.sh.Site.Items))].Home
				}
				read(walk, other, "]C0", s.distClass(false), codeWrongLocation, stepScanLocation, false, "", 0)
				walk = quick()
			}
			read(walk, at.loc, "]C0", s.distClass(false), codeLocationOK, stepScanItem, true, "", 0)
			c.at = at.loc
			walk = quick()
		}
		if total := c.units(at); total >= 2 && s.incident("cart_short", 0.08) {
			// The bin holds one unit fewer than the stop needs: the last
			// order in line goes short by one (§12, A short stop).
			sls := c.lines(at)
			sl := sls[len(sls)-1]
			o := c.orders[sl.slot]
			o.left[sl.line]--
			o.short[sl.line] = true
			a := Action{Kind: Short, Device: w.op.Device, Operator: w.op.ID, ID: s.id(w), Found: total - 1,
				Truth: Fact{Exception: "short_pick", Task: o.task.ID, Line: sl.line + 1}}
			if o.left[sl.line] == 0 {
				status, taskDone := c.closeLine(sl)
				a.Truth.LineClosed = status
				if taskDone {
					a.Truth.TaskCompleted = o.task.ID
				}
			}
			a.Want = Want{Code: codeShortOK, Step: c.prompt()}
			steps = append(steps, one(sec(5, 20), a))
			walk = quick()
		}
		it := s.sh.Site.item(at.sku)
		for c.units(at) > 0 {
			sl := c.lines(at)[0]
			o := c.orders[sl.slot]
			task, line := o.task.ID, sl.line+1
			read(walk, it.Barcode, "]E0", s.distClass(false), codeItemToTote, stepScanTote, true, task, line)
			walk = quick()
			// While the unit waits for its tote, every scan is about it.
			if s.incident("wrong_tote", 0.05) {
				read(quick(), stray, "]C0", s.distClass(false), codeWrongTote, stepScanTote, false, task, line)
			}
			if other := slices.IndexFunc(c.orders, func(x *cartOrder) bool {
				return x != o && !c.needs(slices.Index(c.orders, x), at)
			}); other >= 0 && s.incident("tote_not_needed", 0.05) {
				read(quick(), c.orders[other].tote, "]C0", s.distClass(false), codeToteNotNeeded, stepScanTote, false, task, line)
			}
			if s.incident("tote_expected", 0.04) {
				read(quick(), at.loc, "]C0", s.distClass(false), codeToteExpected, stepScanTote, false, task, line)
			}
			if s.incident("wrong_tote_out_of_band", 0.02) {
				// Reject mode: refused for its distance before it is judged
				// against the unit, so its record names no task (no wrong
				// put). Warn mode: judged as in the band, a wrong put.
				if s.warn() {
					read(quick(), stray, "]C0", distOut, codeWrongTote, stepScanTote, false, task, line)
				} else {
					read(quick(), stray, "]C0", distOut, codeDistance, stepScanTote, false, "", 0).Truth.InBandCode = codeWrongTote
				}
			}
			dist := s.distClass(false)
			if s.incident("tote_out_of_band", 0.04) {
				if s.warn() {
					dist = distOut // put, with the warning
				} else {
					read(quick(), o.tote, "]C0", distOut, codeDistance, stepScanTote, false, "", 0)
				}
			}
			// The right tote: the unit is put.
			o.left[sl.line]--
			var status, completed string
			if o.left[sl.line] == 0 {
				st, taskDone := c.closeLine(sl)
				status = st
				if taskDone {
					completed = task
				}
			}
			code := codePutOK
			if c.done() {
				code = codeCartDone
			}
			a := read(quick(), o.tote, "]C0", dist, code, c.prompt(), true, task, line)
			if dist == distOut {
				a.Want.Warning = codeDistance
			}
			a.Truth.Put, a.Truth.LineClosed, a.Truth.TaskCompleted = 1, status, completed
			if c.prompt() != stepScanItem {
				c.at = "" // the next stop is elsewhere
			}
			if code == codeCartDone {
				steps[len(steps)-1].final = true
			}
		}
	}
	return steps
}
