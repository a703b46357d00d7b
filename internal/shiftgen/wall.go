package shiftgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Sorting at a put wall (docs/pda-protocol.md §13): a batch's orders are
// picked in one pick task that sums them (its id is the batch's: ordinary
// discrete picking), then sorted at a wall: the batch's label opens it,
// each unit scanned is given to the oldest order that still needs it, and
// the slot's scan counts it. The shift plays one batch: its wall hand
// logs in (a picker: the batch's pick task is handed out at the login),
// picks it, and sorts it at the wall, with a wrong slot, an item scanned
// while a unit waits and a slot scanned with no unit waiting now and then.

// The wall's verdicts and steps (§4, §13).
const (
	codeBatchOpen     = "batch_open"
	codeSortToSlot    = "sort_to_slot"
	codeSortOK        = "sort_ok"
	codeSlotReady     = "slot_ready"
	codeBatchSorted   = "batch_sorted"
	codeWrongSlot     = "wrong_slot"
	codeSlotExpected  = "slot_expected"
	codeNoUnitForSlot = "tote_without_item"

	stepSortItem = "sort_item"
	stepScanSlot = "scan_slot"
)

// ModeBatch is a batch order's mode: sorted at a put wall.
const ModeBatch = "batch"

// Wall is a put wall of the site's master data: Slots[0] is slot 1's
// label.
type Wall struct {
	ID    string
	Slots []string
}

// Batch is a batch the ERP sends (CreateBatch): its id (its pick task's
// and its container label's), its wall, and its orders.
type Batch struct {
	ID, Wall string
	Orders   []Task
}

// CreateBatch: the ERP sends Batch (Action.Task names it) with its
// orders; the gateway makes its pick task.
const CreateBatch Kind = "create_batch"

const (
	wallSlots = 24
	wallID    = "WALL-01"
)

func addWall(s *Site) {
	w := Wall{ID: wallID}
	for i := range wallSlots {
		w.Slots = append(w.Slots, fmt.Sprintf("%s-S%02d", wallID, i+1))
	}
	s.Walls = append(s.Walls, w)
	s.Operators = append(s.Operators, Operator{ID: "W01", Name: "Wall 1", Badge: "B3301", Role: RolePicker, Device: "pda-W01"})
}

// batchOrder reports whether task is a batch's order: of mode batch.
func (sh *Shift) batchOrder(task string) bool {
	for _, b := range sh.Batches {
		if slices.ContainsFunc(b.Orders, func(t Task) bool { return t.ID == task }) {
			return true
		}
	}
	return false
}

// wallTurn plays the wall hand: the first time, the whole batch is
// planned; then its steps run one by one, like a picker's.
func (s *sim) wallTurn(w *worker) {
	if !w.loggedIn {
		if s.shiftOver(w.ready) {
			w.finished = true
			return
		}
		saved := s.rng
		s.rng = s.wrng
		first, steps := s.planBatch(w)
		s.rng = saved
		s.emit(w, w.ready, first)
		w.loggedIn, w.steps = true, steps
		return
	}
	st := w.steps[0]
	w.steps = w.steps[1:]
	s.emit(w, w.ready.Add(st.delay), st)
	if len(w.steps) == 0 {
		w.loggedIn, w.finished = false, true
	}
}

// planBatch makes the batch (four orders of two items), the step that
// creates it and logs the wall hand in (the pick task handed out), and
// the steps that pick it and sort it, then log out.
func (s *sim) planBatch(w *worker) (step, []step) {
	site := &s.sh.Site
	var a, b Item
	for {
		i, j := s.rng.IntN(len(site.Items)), s.rng.IntN(len(site.Items))
		a, b = site.Items[i], site.Items[j]
		if a.Home < b.Home {
			break
		}
	}
	id := fmt.Sprintf("B%04d", len(s.sh.Batches)+1)
	order := func(n int, lines ...Line) Task {
		return Task{ID: fmt.Sprintf("%s-O%d", id, n), Order: fmt.Sprintf("SO-%s-%d", id, n), Lines: lines, Mode: ModeBatch,
			Tracking: fmt.Sprintf("SF%012d", 6600000000+int64(len(s.sh.Batches)*10+n)*7919)}
	}
	la := func(q int) Line { return Line{Location: a.Home, SKU: a.SKU, Qty: q} }
	lb := func(q int) Line { return Line{Location: b.Home, SKU: b.SKU, Qty: q} }
	bt := Batch{ID: id, Wall: wallID, Orders: []Task{order(1, la(2)), order(2, la(1), lb(1)), order(3, lb(1)), order(4, la(1))}}
	s.sh.Batches = append(s.sh.Batches, bt)
	// The pick task: the orders' lines summed by location and item, in
	// the order they first appear.
	pick := Task{ID: id, Order: id}
	for _, o := range bt.Orders {
		for _, l := range o.Lines {
			if i := slices.IndexFunc(pick.Lines, func(p Line) bool { return p.Location == l.Location && p.SKU == l.SKU }); i >= 0 {
				pick.Lines[i].Qty += l.Qty
			} else {
				pick.Lines = append(pick.Lines, l)
			}
		}
	}
	first := step{actions: []Action{
		{Kind: CreateBatch, Task: id},
		{Kind: Login, Device: w.op.Device, Operator: w.op.ID, ID: s.id(w), Badge: w.op.Badge,
			Want:  Want{Code: codeLoggedIn, Step: stepScanLocation, Task: id, Line: 1},
			Truth: Fact{SessionStart: true, TaskStarted: id}},
	}}
	sec := func(lo, hi int) time.Duration {
		return s.dur(time.Duration(lo)*time.Second, time.Duration(hi)*time.Second)
	}
	var steps []step
	// Picking: clean, every read in the band.
	ps := &pickState{task: pick, warn: s.warn()}
	for _, l := range pick.Lines {
		steps = append(steps, one(sec(20, 60), s.pickRead(w, ps, read{kind: "location", target: l.Location, dist: distIn}, l.Location, "]C0")))
		for range l.Qty {
			steps = append(steps, one(sec(2, 5), s.pickRead(w, ps, read{kind: "item", target: l.SKU, dist: distIn},
				site.item(l.SKU).Barcode, "]E0")))
		}
	}
	// Sorting.
	wall := site.Walls[0]
	scan := func(data, aim string, f Fact, want Want) step {
		act := s.scanAction(w, data, aim, distIn, false)
		f.ScanEvent, f.Wall, f.Distance = true, true, distIn
		act.Want, act.Truth = want, f
		return one(sec(2, 6), act)
	}
	steps = append(steps, scan(id, "]C0", Fact{Accepted: true, Code: codeBatchOpen, ScanKind: "batch"},
		Want{Code: codeBatchOpen, Step: stepSortItem}))
	need := make([][]int, len(bt.Orders)) // units each order's lines still need
	for i, o := range bt.Orders {
		for _, l := range o.Lines {
			need[i] = append(need[i], l.Qty)
		}
	}
	slotOf := map[int]int{}
	started := map[int]bool{}
	done := func(i int) bool { return !slices.ContainsFunc(need[i], func(n int) bool { return n > 0 }) }
	units, n := 0, 0
	for _, l := range pick.Lines {
		units += l.Qty
	}
	for _, pl := range pick.Lines {
		for range pl.Qty {
			n++
			oi, li := -1, -1
			for i, o := range bt.Orders {
				if j := slices.IndexFunc(o.Lines, func(l Line) bool { return l.SKU == pl.SKU }); j >= 0 && need[i][j] > 0 {
					oi, li = i, j
					break
				}
			}
			o := bt.Orders[oi]
			slot, ok := slotOf[oi]
			if !ok {
				slot = len(slotOf) + 1
				slotOf[oi] = slot
			}
			if n == 3 || (n > 3 && s.chance(0.1)) {
				// A slot scanned before its unit: no unit waits.
				steps = append(steps, scan(wall.Slots[(slot)%wallSlots], "]C0", Fact{Code: codeNoUnitForSlot, ScanKind: "slot"},
					Want{Code: codeNoUnitForSlot, Step: stepSortItem}))
			}
			item := site.item(pl.SKU).Barcode
			waiting := Want{Step: stepScanSlot, Task: o.ID}
			at := func(code string) Want { w := waiting; w.Code = code; return w }
			steps = append(steps, scan(item, "]E0", Fact{Accepted: true, Code: codeSortToSlot, ScanKind: "item", Task: o.ID, Line: li + 1},
				at(codeSortToSlot)))
			if n == 1 || (n > 3 && s.chance(0.15)) {
				// Another slot than the one shown.
				steps = append(steps, scan(wall.Slots[slot%wallSlots], "]C0",
					Fact{Code: codeWrongSlot, ScanKind: "slot", Task: o.ID, Line: li + 1}, at(codeWrongSlot)))
			}
			if n == 2 || (n > 3 && s.chance(0.1)) {
				// The next unit scanned while this one waits.
				steps = append(steps, scan(item, "]E0",
					Fact{Code: codeSlotExpected, ScanKind: "item", Task: o.ID, Line: li + 1}, at(codeSlotExpected)))
			}
			need[oi][li]--
			f := Fact{Accepted: true, Code: codeSortOK, ScanKind: "slot", Task: o.ID, Line: li + 1, Sorted: 1}
			if !started[oi] {
				started[oi] = true
				f.TaskStarted = o.ID
			}
			if need[oi][li] == 0 {
				f.LineClosed = "done"
			}
			want := Want{Step: stepSortItem}
			if done(oi) {
				f.Code, f.TaskCompleted = codeSlotReady, o.ID
			}
			if n == units {
				f.Code, want.Step = codeBatchSorted, stepWait
			}
			want.Code = f.Code
			steps = append(steps, scan(wall.Slots[slot-1], "]C0", f, want))
		}
	}
	lo := s.logout(w)
	steps = append(steps, one(sec(10, 30), lo))
	return first, steps
}

// newWallRng is the wall's own dice, so a shift draws from its other dice
// exactly as it would without the wall.
func newWallRng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x3a11)) }
