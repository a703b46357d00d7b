package scan_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// The cart fixture: a cart of three slots and three orders. A needs two
// red at bin A and a green at bin B; B (priority 5) one red at bin A; C one
// blue at bin A. Bin A comes first on the walk.
var (
	cartC1 = floorgate.Match{Kind: floorgate.MatchCart, Cart: &floorgate.Cart{ID: "C1", Barcode: "CART-1", Slots: 3}}
)

func tote(id string, bound *floorgate.ToteBinding) floorgate.Match {
	return floorgate.Match{Kind: floorgate.MatchTote, Tote: &floorgate.Tote{ID: id, Barcode: id}, Bound: bound}
}

func cartTasks() []*floorgate.Task {
	mk := func(id string, prio int, age time.Duration, lines ...floorgate.TaskLine) *floorgate.Task {
		return &floorgate.Task{ID: id, Order: "SO-" + id, Mode: floorgate.ModeCluster, Priority: prio,
			Status: floorgate.TaskPending, Created: t0.Add(-age), Lines: lines}
	}
	l := func(loc, sku string, qty int) floorgate.TaskLine {
		walk := map[string]int{"A-01-01": 10, "B-02-05": 20}[loc]
		return floorgate.TaskLine{Location: loc, SKU: sku, Qty: qty, WalkSeq: walk, Status: floorgate.LineOpen}
	}
	return []*floorgate.Task{
		mk("A", 0, 3*time.Hour, l("B-02-05", "GREEN", 1), l("A-01-01", "RED", 2)),
		mk("B", 5, time.Hour, l("A-01-01", "RED", 1)),
		mk("C", 0, 2*time.Hour, l("A-01-01", "BLUE", 1)),
	}
}

// TestCartFlow walks a cart from its start to packing: binding its totes
// (with every tote refusal), the walk in walk order, units given out by
// priority then age, every put refusal, an over-pick, and a short pick
// that names the order going short.
func TestCartFlow(t *testing.T) {
	st := scan.CartState{Policy: floorgate.DefaultPolicy(), Session: floorgate.Session{Device: dev, Operator: op}, Offer: cartTasks()}
	steps := []struct {
		name   string
		data   string
		m      floorgate.Match
		code   floorgate.Code
		step   string // the next prompt's step
		slot   int    // the next prompt's slot
		events []string
	}{
		{"the cart", "CART-1", cartC1, floorgate.CodeCartStarted, "bind_tote", 1,
			[]string{"scan.accepted", "cart.started", "pick.task_started", "pick.task_started", "pick.task_started"}},
		{"an item is not a tote", barRed, itemRed, floorgate.CodeToteExpected, "bind_tote", 1, []string{"scan.rejected"}},
		{"an unknown label", "NOPE", unknown, floorgate.CodeUnknownTote, "bind_tote", 1, []string{"scan.rejected"}},
		{"a tote of another cart's order", "TOTE-9", tote("TOTE-9", &floorgate.ToteBinding{Tote: "TOTE-9", Cart: "C2", Task: "X"}), floorgate.CodeToteOtherCart, "bind_tote", 1, []string{"scan.rejected"}},
		{"tote 1 to slot 1", "TOTE-1", tote("TOTE-1", nil), floorgate.CodeToteBound, "bind_tote", 2, []string{"scan.accepted", "tote.bound"}},
		{"tote 1 again", "TOTE-1", tote("TOTE-1", nil), floorgate.CodeToteAlreadyBound, "bind_tote", 2, []string{"scan.rejected"}},
		{"tote 2 to slot 2", "TOTE-2", tote("TOTE-2", nil), floorgate.CodeToteBound, "bind_tote", 3, []string{"scan.accepted", "tote.bound"}},
		{"tote 3 to slot 3: ready", "TOTE-3", tote("TOTE-3", nil), floorgate.CodeCartReady, "scan_location", 0, []string{"scan.accepted", "tote.bound"}},
		{"bin B is not first on the walk", barB, locB, floorgate.CodeWrongLocation, "scan_location", 0, []string{"scan.rejected"}},
		{"red before the bin", barRed, itemRed, floorgate.CodeItemBeforeLocation, "scan_location", 0, []string{"scan.rejected"}},
		{"bin A", barA, locA, floorgate.CodeLocationOK, "scan_item", 0, []string{"scan.accepted"}},
		{"green is not at bin A", barGreen, itemGreen, floorgate.CodeWrongItem, "scan_item", 0, []string{"scan.rejected"}},
		{"red goes to B, the highest priority, slot 2", barRed, itemRed, floorgate.CodeItemToTote, "scan_tote", 2, []string{"scan.accepted"}},
		{"another red while it waits", barRed + " ", itemRed, floorgate.CodeToteExpected, "scan_tote", 2, []string{"scan.rejected"}},
		{"tote 1: A needs red too, but slot 2 was shown", "TOTE-1", tote("TOTE-1", nil), floorgate.CodeWrongTote, "scan_tote", 2, []string{"scan.rejected"}},
		{"tote 3: C needs no red", "TOTE-3", tote("TOTE-3", nil), floorgate.CodeToteNotNeeded, "scan_tote", 2, []string{"scan.rejected"}},
		{"tote 2 completes B", "TOTE-2", tote("TOTE-2", nil), floorgate.CodePutOK, "scan_item", 0,
			[]string{"scan.accepted", "pick.put", "pick.line_confirmed", "pick.task_completed"}},
		{"a tote with nothing waiting", "TOTE-2" + " ", tote("TOTE-2", nil), floorgate.CodeNoUnitForTote, "scan_item", 0, []string{"scan.rejected"}},
		{"red goes to A, slot 1", barRed, itemRed, floorgate.CodeItemToTote, "scan_tote", 1, []string{"scan.accepted"}},
		{"tote 1", "TOTE-1", tote("TOTE-1", nil), floorgate.CodePutOK, "scan_item", 0, []string{"scan.accepted", "pick.put"}},
		{"red, slot 1 again", barRed, itemRed, floorgate.CodeItemToTote, "scan_tote", 1, []string{"scan.accepted"}},
		{"tote 1 closes A's red", "TOTE-1", tote("TOTE-1", nil), floorgate.CodePutOK, "scan_item", 0, []string{"scan.accepted", "pick.put", "pick.line_confirmed"}},
		{"a red too many", barRed, itemRed, floorgate.CodeOverPick, "scan_item", 0, []string{"scan.rejected"}},
		{"blue goes to C, slot 3", barBlue, itemBlue, floorgate.CodeItemToTote, "scan_tote", 3, []string{"scan.accepted"}},
		{"tote 3 completes C; bin B is next", "TOTE-3", tote("TOTE-3", nil), floorgate.CodePutOK, "scan_location", 0,
			[]string{"scan.accepted", "pick.put", "pick.line_confirmed", "pick.task_completed"}},
		{"bin B", barB, locB, floorgate.CodeLocationOK, "scan_item", 0, []string{"scan.accepted"}},
	}
	var tasks []*floorgate.Task
	for i, s := range steps {
		at := t0.Add(time.Duration(i+1) * time.Second)
		in := st
		r := scan.CartScan(in, floorgate.Scan{ID: fmt.Sprintf("s%d", i), Device: dev, Data: s.data, At: at}, s.m)
		p := r.Verdict.Prompt
		if r.Verdict.Code != s.code || p.Step != s.step || p.Slot != s.slot {
			t.Fatalf("%s: %s, prompt %s slot %d; want %s, prompt %s slot %d (%+v)", s.name, r.Verdict.Code, p.Step, p.Slot, s.code, s.step, s.slot, p)
		}
		checkEvents(t, r.Events, at, s.events...)
		if !r.Verdict.OK {
			if !reflect.DeepEqual(r.Session, in.Session) || len(r.Changed) != 0 || r.Bind != nil {
				t.Fatalf("%s: a refused step changed something: %+v", s.name, r)
			}
		}
		tasks = r.Tasks
		st.Session, st.Tasks, st.Offer = r.Session, r.Tasks, nil
	}
	if tasks[1].Status != floorgate.TaskDone || tasks[2].Status != floorgate.TaskDone || tasks[0].Status != floorgate.TaskAssigned {
		t.Fatalf("task statuses %s %s %s; want A assigned, B and C done", tasks[0].Status, tasks[1].Status, tasks[2].Status)
	}

	// Bin B is empty: A goes short of its green, which closes A and the cart.
	r := scan.CartShort(st, "short", 0, t0.Add(time.Minute))
	checkEvents(t, r.Events, t0.Add(time.Minute), "pick.exception", "pick.line_confirmed", "pick.task_completed", "cart.completed")
	want := []floorgate.ShortOrder{{Slot: 1, Task: "A", Order: "SO-A", Missing: 1}}
	if r.Verdict.Code != floorgate.CodeShortOK || !reflect.DeepEqual(r.Verdict.Shorts, want) || r.Session.Cart != nil {
		t.Fatalf("short at bin B: %s, shorts %+v, cart %+v; want short_ok, %+v, the cart done", r.Verdict.Code, r.Verdict.Shorts, r.Session.Cart, want)
	}
	if a := r.Tasks[0]; a.Status != floorgate.TaskDone || a.Lines[0].Status != floorgate.LineShort || a.Lines[0].Short != 1 {
		t.Fatalf("task A after the short: %+v", a)
	}
}

// TestCartShortSharesByPriorityThenAge: a bin short of units gives what it
// has to the orders by priority, then age; each order left without enough
// is named with what it misses, and a partly served order's line stays open
// until its units are put, then closes short.
func TestCartShortSharesByPriorityThenAge(t *testing.T) {
	mk := func(id string, prio int, age time.Duration, qty int) *floorgate.Task {
		return &floorgate.Task{ID: id, Order: "SO-" + id, Mode: floorgate.ModeCluster, Priority: prio, Status: floorgate.TaskAssigned,
			Created: t0.Add(-age), Lines: []floorgate.TaskLine{{Location: "A-01-01", SKU: "RED", Qty: qty, Status: floorgate.LineOpen}}}
	}
	tasks := []*floorgate.Task{mk("OLD", 0, 3*time.Hour, 2), mk("NEW", 0, time.Hour, 2), mk("VIP", 9, 0, 2)}
	sess := floorgate.Session{Device: dev, Operator: op, AtLocation: true, Location: "A-01-01",
		Cart: &floorgate.CartRun{Cart: "C1", Tasks: []string{"OLD", "NEW", "VIP"}, Totes: []string{"T1", "T2", "T3"}}}
	st := scan.CartState{Policy: floorgate.DefaultPolicy(), Session: sess, Tasks: tasks}
	if r := scan.CartShort(st, "s", 6, t0); r.Verdict.Code != floorgate.CodeBadScan {
		t.Fatalf("found all six: %s; want bad_scan (that is no short pick)", r.Verdict.Code)
	}
	r := scan.CartShort(st, "s", 3, t0)
	want := []floorgate.ShortOrder{{Slot: 1, Task: "OLD", Order: "SO-OLD", Missing: 1}, {Slot: 2, Task: "NEW", Order: "SO-NEW", Missing: 2}}
	if !reflect.DeepEqual(r.Verdict.Shorts, want) {
		t.Fatalf("shorts %+v; want VIP served, then OLD (older) one of two, NEW none: %+v", r.Verdict.Shorts, want)
	}
	checkEvents(t, r.Events, t0, "pick.exception", "pick.exception", "pick.line_confirmed", "pick.task_completed")
	if p := r.Verdict.Prompt; p.Step != "scan_item" || p.Qty != 3 {
		t.Fatalf("prompt after the short %+v; want scan_item with the 3 units there are", p)
	}
	// The three go to VIP, VIP, then OLD, whose line then closes short.
	st.Tasks, st.Session = r.Tasks, r.Session
	for i, slot := range []int{3, 3, 1} {
		at := t0.Add(time.Duration(2*i+1) * time.Second)
		r := scan.CartScan(st, floorgate.Scan{ID: fmt.Sprint("i", i), Device: dev, Data: barRed, At: at}, itemRed)
		if r.Verdict.Prompt.Slot != slot {
			t.Fatalf("unit %d went to slot %d; want %d", i+1, r.Verdict.Prompt.Slot, slot)
		}
		st.Session = r.Session
		tt := fmt.Sprint("T", slot)
		r = scan.CartScan(st, floorgate.Scan{ID: fmt.Sprint("t", i), Device: dev, Data: tt, At: at.Add(time.Second)}, tote(tt, nil))
		if !r.Verdict.OK {
			t.Fatalf("put %d: %s", i+1, r.Verdict.Code)
		}
		st.Session, st.Tasks = r.Session, r.Tasks
	}
	if old := st.Tasks[0]; old.Status != floorgate.TaskDone || old.Lines[0].Status != floorgate.LineShort || old.Lines[0].Picked != 1 {
		t.Fatalf("OLD after its one unit: %+v", old)
	}
	if st.Session.Cart != nil {
		t.Fatal("every order closed, yet the cart runs on")
	}
}

// TestCartStartAndReuse: a cart another picker works is refused, a cart
// with no orders waiting says so, and an order that already fills a tote
// (from an earlier cart) must have that tote bound to its slot.
func TestCartStartAndReuse(t *testing.T) {
	idle := floorgate.Session{Device: dev, Operator: op}
	busy := cartC1
	busy.CartBusy = "pda-9"
	sc := floorgate.Scan{ID: "c", Device: dev, Data: "CART-1", At: t0}
	if r := scan.CartScan(scan.CartState{Policy: floorgate.DefaultPolicy(), Session: idle, Offer: cartTasks()}, sc, busy); r.Verdict.Code != floorgate.CodeCartInUse {
		t.Fatalf("a busy cart: %s", r.Verdict.Code)
	}
	if r := scan.CartScan(scan.CartState{Policy: floorgate.DefaultPolicy(), Session: idle}, sc, cartC1); r.Verdict.Code != floorgate.CodeNoTask {
		t.Fatalf("no orders: %s", r.Verdict.Code)
	}
	offer := cartTasks()[:2]
	r := scan.CartScan(scan.CartState{Policy: floorgate.DefaultPolicy(), Session: idle, Offer: offer, OfferTotes: []string{"", "TOTE-7"}}, sc, cartC1)
	if len(r.Session.Cart.Tasks) != 2 || r.Verdict.Prompt.Slots != 2 {
		t.Fatalf("two orders on a three-slot cart: %+v", r.Session.Cart)
	}
	st := scan.CartState{Policy: floorgate.DefaultPolicy(), Session: r.Session, Tasks: r.Tasks}
	r = scan.CartScan(st, floorgate.Scan{ID: "t1", Device: dev, Data: "TOTE-1", At: t0.Add(time.Second)}, tote("TOTE-1", nil))
	if p := r.Verdict.Prompt; r.Verdict.Code != floorgate.CodeToteBound || p.Slot != 2 || p.Tote != "TOTE-7" {
		t.Fatalf("slot 1: %s, prompt %+v; want tote_bound, slot 2 asking for TOTE-7", r.Verdict.Code, p)
	}
	st.Session = r.Session
	if r := scan.CartScan(st, floorgate.Scan{ID: "t2", Device: dev, Data: "TOTE-2", At: t0.Add(2 * time.Second)}, tote("TOTE-2", nil)); r.Verdict.Code != floorgate.CodeWrongTote {
		t.Fatalf("a fresh tote where B's tote belongs: %s; want wrong_tote", r.Verdict.Code)
	}
	held := &floorgate.ToteBinding{Tote: "TOTE-7", Cart: "C0", Slot: 4, Task: "B", Order: "SO-B"}
	if r := scan.CartScan(st, floorgate.Scan{ID: "t3", Device: dev, Data: "TOTE-7", At: t0.Add(3 * time.Second)}, tote("TOTE-7", held)); r.Verdict.Code != floorgate.CodeCartReady || r.Bind.Slot != 2 || r.Bind.Cart != "C1" {
		t.Fatalf("B's own tote: %s %+v; want cart_ready, bound to C1 slot 2", r.Verdict.Code, r.Bind)
	}

	// Signing out of a cart sends its open orders back to the queue.
	left := scan.LeaveCart(scan.CartState{Session: r.Session, Tasks: r.Tasks})
	if left.Session.Cart != nil || len(left.Changed) != 2 || left.Changed[0].Status != floorgate.TaskPending || left.Changed[0].Operator != "" {
		t.Fatalf("leaving the cart: %+v", left)
	}
}
