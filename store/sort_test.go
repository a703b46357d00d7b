package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

// wallFloor adds a put wall of four slots, SLOT-1..4.
func wallFloor(t *testing.T, e *env) {
	t.Helper()
	if err := e.db.PutMaster(ctx, Master{Walls: []floorgate.Wall{{ID: "W1", Station: "pack-1",
		Slots: []string{"SLOT-1", "SLOT-2", "SLOT-3", "SLOT-4"}}}}); err != nil {
		t.Fatal(err)
	}
}

// TestBatchPickThenSort: a batch of three orders arrives; its pick task
// sums their lines and is picked like any task while the orders are never
// given out; at the wall each unit goes to the oldest order that needs it,
// the slot's scan counts it (a wrong slot is refused), a complete order's
// slot is ready to pack, a unit no order needs is a reported surplus, and
// the batch is sorted with its last unit; a ready slot's label opens its
// order at the pack station, which frees the slot.
func TestBatchPickThenSort(t *testing.T) {
	e := newEnv(t)
	wallFloor(t, e)
	r := e.command(`{"id":"c1","type":"task.create","data":{"batch":{"id":"B1","wall":"W1"},"tasks":[
		{"id":"O1","order":"SO-1","lines":[{"location":"L1","sku":"S1","qty":2}]},
		{"id":"O2","order":"SO-2","lines":[{"location":"L1","sku":"S1","qty":1},{"location":"L2","sku":"S2","qty":1}]},
		{"id":"O3","order":"SO-3","lines":[{"location":"L3","sku":"S3","qty":1}]}]}}`)
	if !r.Applied {
		t.Fatalf("%+v", r)
	}
	pick, _ := e.db.Task("B1")
	if pick == nil || len(pick.Lines) != 3 || pick.Lines[0].Qty != 3 || pick.Lines[0].SKU != "S1" {
		t.Fatalf("the batch's pick task: %+v; want S1×3, S2×1, S3×1", pick)
	}
	if v := e.pda("pda-1", "BADGE1"); v.Prompt.Task != "B1" {
		t.Fatalf("the picker's task %q; want the batch's pick task B1, never one of its orders", v.Prompt.Task)
	}
	e.pickTask("pda-1", floorgate.Verdict{Prompt: floorgate.Prompt{Step: "scan_location", Task: "B1", Location: "L1", SKU: "S1"}})
	if pick, _ := e.db.Task("B1"); pick.Status != floorgate.TaskDone {
		t.Fatalf("the pick task after its walk: %s", pick.Status)
	}

	e.pda("pda-2", "BADGE2")
	steps := []struct {
		data string
		code floorgate.Code
		slot int
	}{
		{"B1", floorgate.CodeBatchOpen, 0},
		{itemBarcode(1), floorgate.CodeSortToSlot, 1}, // O1, the oldest that needs S1
		{"SLOT-2", floorgate.CodeWrongSlot, 1},
		{itemBarcode(2), floorgate.CodeSlotExpected, 1},
		{"SLOT-1", floorgate.CodeSortOK, 0},
		{itemBarcode(1), floorgate.CodeSortToSlot, 1},
		{"SLOT-1", floorgate.CodeSlotReady, 0},
		{itemBarcode(1), floorgate.CodeSortToSlot, 2}, // O2 now
		{"SLOT-2", floorgate.CodeSortOK, 0},
		{itemBarcode(1), floorgate.CodeSortSurplus, 0}, // nobody needs a fourth
		{itemBarcode(2), floorgate.CodeSortToSlot, 2},
		{"SLOT-2", floorgate.CodeSlotReady, 0},
		{itemBarcode(3), floorgate.CodeSortToSlot, 3},
		{"SLOT-3", floorgate.CodeBatchSorted, 0},
	}
	for i, s := range steps {
		v := e.scan("pda-2", fmt.Sprint("w", i), s.data)
		if v.Code != s.code || v.Prompt.Slot != s.slot {
			t.Fatalf("step %d %s: %s slot %d (%+v); want %s slot %d", i, s.data, v.Code, v.Prompt.Slot, v.Prompt, s.code, s.slot)
		}
	}
	for _, id := range []string{"O1", "O2", "O3"} {
		if tk, _ := e.db.Task(id); tk.Status != floorgate.TaskDone {
			t.Fatalf("order %s after sorting: %s", id, tk.Status)
		}
	}
	evs := e.eventsAfter(0)
	if n := count(evs, "sort.put"); n != 5 {
		t.Fatalf("%d sort.put; want 5", n)
	}
	if n := count(evs, "batch.sorted"); n != 1 {
		t.Fatalf("%d batch.sorted", n)
	}
	// At packing, slot 2's label opens SO-2; packing it frees the slot.
	e.ship(parcel("SO-2", "S1", "S2"), parcel("SO-1", "S1", "S1"), parcel("SO-3", "S3"))
	e.packer("pack-1")
	if v := e.scan("pack-1", "p1", "SLOT-2"); v.Code != floorgate.CodeOrderOK || v.Prompt.Order != "SO-2" {
		t.Fatalf("slot 2 at packing: %s %+v", v.Code, v.Prompt)
	}
	e.scan("pack-1", "p2", itemBarcode(1))
	e.scan("pack-1", "p3", itemBarcode(2))
	if _, held := e.db.st.batches["B1"].SlotOf["O2"]; held {
		t.Fatal("slot 2 still holds SO-2 after it was packed")
	}
	// Once every slot is packed the sorted batch is forgotten.
	for i, data := range []string{"SFSO-2", "SLOT-1", itemBarcode(1), itemBarcode(1), "SFSO-1", "SLOT-3", itemBarcode(3), "SFSO-3"} {
		if v := e.scan("pack-1", fmt.Sprint("q", i), data); !v.OK {
			t.Fatalf("packing the other slots, %s: %s", data, v.Code)
		}
	}
	if _, kept := e.db.st.batches["B1"]; kept {
		t.Fatal("batch B1 is kept after it was sorted and every slot packed")
	}
	e.verify()
}

// TestSingleItemLane: one-unit orders arrive in a batch with no wall;
// their pick task sums them by item; at the pack station an item scanned
// with no parcel open packs the oldest order that waits for it — its
// waybill is queued at once, no order scan — and the waybill's scan
// confirms outbound; with none left the item is refused.
func TestSingleItemLane(t *testing.T) {
	e := newEnv(t)
	if r := e.command(`{"id":"bad","type":"task.create","data":{"batch":{"id":"SL0"},"tasks":[
		{"id":"X1","order":"SO-X","lines":[{"location":"L1","sku":"S1","qty":2}]}]}}`); r.Applied || r.Field != "data.tasks[0].mode" {
		t.Fatalf("a two-unit order in the single-item lane: %+v; want refused in data.tasks[0].mode", r)
	}
	r := e.command(`{"id":"c1","type":"task.create","data":{"batch":{"id":"SL1"},"tasks":[
		{"id":"O1","order":"SO-1","lines":[{"location":"L1","sku":"S1","qty":1}]},
		{"id":"O2","order":"SO-2","lines":[{"location":"L1","sku":"S1","qty":1}]},
		{"id":"O3","order":"SO-3","lines":[{"location":"L2","sku":"S2","qty":1}]}]}}`)
	if !r.Applied {
		t.Fatalf("%+v", r)
	}
	if pick, _ := e.db.Task("SL1"); pick == nil || len(pick.Lines) != 2 || pick.Lines[0].Qty != 2 {
		t.Fatalf("the lane's pick task: %+v; want S1×2, S2×1", pick)
	}
	e.ship(parcel("SO-1", "S1"), parcel("SO-2", "S1"), parcel("SO-3", "S2"))
	e.packer("pack-1")
	steps := []struct {
		data  string
		code  floorgate.Code
		order string
	}{
		{itemBarcode(1), floorgate.CodePackDone, "SO-1"},
		{itemBarcode(1), floorgate.CodeWrongWaybill, "SO-1"},
		{"SFSO-1", floorgate.CodeShipped, ""},
		{itemBarcode(1), floorgate.CodePackDone, "SO-2"},
		{"SFSO-2", floorgate.CodeShipped, ""},
		{itemBarcode(1), floorgate.CodeNoSingleOrder, ""},
		{itemBarcode(3), floorgate.CodeNoSingleOrder, ""},
	}
	for i, s := range steps {
		v := e.scan("pack-1", fmt.Sprint("p", i), s.data)
		if v.Code != s.code || v.Prompt.Order != s.order {
			t.Fatalf("step %d %s: %s order %q; want %s order %q", i, s.data, v.Code, v.Prompt.Order, s.code, s.order)
		}
	}
	jobs, err := e.db.PrintJobs()
	if err != nil || len(jobs) != 2 || jobs[0].Order != "SO-1" || jobs[1].Order != "SO-2" {
		t.Fatalf("waybills queued: %+v %v; want SO-1's and SO-2's", jobs, err)
	}
	for id, want := range map[string]floorgate.TaskStatus{"O1": floorgate.TaskDone, "O2": floorgate.TaskDone, "O3": floorgate.TaskPending} {
		if tk, _ := e.db.Task(id); tk.Status != want {
			t.Fatalf("order %s is %s; want %s", id, tk.Status, want)
		}
	}
	e.verify()
}

// TestSiteModeRules: tasks without a mode take the site's rules — small
// orders to carts, a declared wave of one-unit orders to the single-item
// lane — while a mode the ERP names is kept.
func TestSiteModeRules(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Modes = ModeRules{ClusterUpToUnits: 2, SingleUnitWaves: true} })
	small := `{"id":"c0","type":"task.create","data":{"tasks":[{"id":"EARLY","order":"O0","lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`
	if r := e.command(small); r.Applied || r.Field != "data.tasks[0].mode" || !strings.Contains(r.Reason, "no carts") {
		t.Fatalf("a small order on a site without carts: %+v; want refused, naming the missing carts", r)
	}
	cartFloor(t, e)
	e.command(`{"id":"c1","type":"task.create","data":{"tasks":[
		{"id":"SMALL","order":"O1","lines":[{"location":"L1","sku":"S1","qty":1},{"location":"L2","sku":"S2","qty":1}]},
		{"id":"BIG","order":"O2","lines":[{"location":"L1","sku":"S1","qty":3}]},
		{"id":"NAMED","order":"O3","mode":"discrete","lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`)
	for id, want := range map[string]floorgate.TaskMode{"SMALL": floorgate.ModeCluster, "BIG": "", "NAMED": floorgate.ModeDiscrete} {
		if tk, _ := e.db.Task(id); tk.Mode != want {
			t.Errorf("task %s has mode %q; want %q", id, tk.Mode, want)
		}
	}
	r := e.command(`{"id":"c2","type":"task.create","data":{"wave":{"id":"W9"},"tasks":[
		{"id":"U1","order":"OU1","lines":[{"location":"L1","sku":"S1","qty":1}]},
		{"id":"U2","order":"OU2","lines":[{"location":"L3","sku":"S3","qty":1}]}]}}`)
	if !r.Applied {
		t.Fatalf("%+v", r)
	}
	if tk, _ := e.db.Task("U1"); tk.Mode != floorgate.ModeSingle {
		t.Fatalf("an order of a one-unit wave: mode %q; want single", tk.Mode)
	}
	if pick, _ := e.db.Task("W9" + floorgate.SingleBatchSuffix); pick == nil || len(pick.Lines) != 2 || pick.Wave != "W9" {
		t.Fatalf("the wave's single-item pick task: %+v", pick)
	}
}

// TestTwoBatchesShareAWall: a second batch at a wall takes the slots the
// first batch's unpacked orders leave free, never theirs; a cancelled
// order frees its slot, and a unit waiting for it goes back.
func TestTwoBatchesShareAWall(t *testing.T) {
	e := newEnv(t)
	wallFloor(t, e)
	e.command(`{"id":"c1","type":"task.create","data":{"batch":{"id":"B1","wall":"W1"},"tasks":[
		{"id":"A1","order":"SO-A1","lines":[{"location":"L1","sku":"S1","qty":1}]},
		{"id":"A2","order":"SO-A2","lines":[{"location":"L2","sku":"S2","qty":1}]}]}}`)
	e.command(`{"id":"c2","type":"task.create","data":{"batch":{"id":"B2","wall":"W1"},"tasks":[
		{"id":"C1","order":"SO-C1","lines":[{"location":"L3","sku":"S3","qty":2}]}]}}`)
	// The batches' pick tasks are not what this test picks.
	e.db.CancelTask(ctx, "B1", "not needed")
	e.db.CancelTask(ctx, "B2", "not needed")
	e.pda("pda-2", "BADGE2")
	for i, s := range []struct {
		data string
		code floorgate.Code
		slot int
	}{
		{"B1", floorgate.CodeBatchOpen, 0},
		{itemBarcode(1), floorgate.CodeSortToSlot, 1},
		{"SLOT-1", floorgate.CodeSlotReady, 0},
		{itemBarcode(2), floorgate.CodeSortToSlot, 2},
		{"SLOT-2", floorgate.CodeBatchSorted, 0},
		{"B2", floorgate.CodeBatchOpen, 0},
		{itemBarcode(3), floorgate.CodeSortToSlot, 3}, // slots 1 and 2 hold B1's orders
	} {
		if v := e.scan("pda-2", fmt.Sprint("s", i), s.data); v.Code != s.code || v.Prompt.Slot != s.slot {
			t.Fatalf("step %d %s: %s slot %d; want %s slot %d", i, s.data, v.Code, v.Prompt.Slot, s.code, s.slot)
		}
	}
	// C1 is cancelled while its unit waits: the unit goes back, slot 3 is
	// free again.
	e.command(`{"id":"c3","type":"task.cancel","data":{"task":"C1","reason":"refund"}}`)
	if s := e.db.session("pda-2"); s.Sort == nil || s.Sort.Put != nil {
		t.Fatalf("after the cancel the sorter's run is %+v; want the batch open with no unit waiting", s.Sort)
	}
	if _, held := e.db.st.batches["B2"].SlotOf["C1"]; held {
		t.Fatal("the cancelled order still holds slot 3")
	}
}
