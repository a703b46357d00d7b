package scan_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// sortFixture is a batch of three one-line orders at a wall of two slots.
func sortFixture() scan.SortState {
	mk := func(id, sku string, qty int, age time.Duration) *floorgate.Task {
		return &floorgate.Task{ID: id, Order: "SO-" + id, Mode: floorgate.ModeBatch, Status: floorgate.TaskPending, Created: t0.Add(-age),
			Lines: []floorgate.TaskLine{{Location: "A-01-01", SKU: sku, Qty: qty, Status: floorgate.LineOpen}}}
	}
	b := &floorgate.Batch{ID: "B1", Wall: "W1", Orders: []string{"O1", "O2", "O3"}}
	return scan.SortState{Policy: floorgate.DefaultPolicy(),
		Session: floorgate.Session{Device: dev, Operator: op, Sort: &floorgate.SortRun{Batch: "B1", Wall: "W1"}},
		Batch:   b, Wall: &floorgate.Wall{ID: "W1", Slots: []string{"S-1", "S-2"}},
		Orders: []*floorgate.Task{mk("O1", "RED", 1, 3*time.Hour), mk("O2", "BLUE", 1, 2*time.Hour), mk("O3", "GREEN", 2, time.Hour)}}
}

func slotMatch(st scan.SortState, n int) floorgate.Match {
	return floorgate.Match{Kind: floorgate.MatchSlot, Wall: st.Wall, Slot: n}
}

// TestSortRules: the oldest order needing a unit gets the lowest free
// slot; a wall with no free slot refuses the next order's first unit; a
// wall another device sorts at is refused; ending the batch closes every
// order still short of units short and lists them.
func TestSortRules(t *testing.T) {
	st := sortFixture()
	step := func(data string, m floorgate.Match, at time.Duration) scan.SortResult {
		t.Helper()
		r := scan.SortScan(st, floorgate.Scan{ID: data, Device: dev, Data: data, At: t0.Add(at)}, m)
		if r.Verdict.OK {
			st.Session, st.Batch, st.Orders = r.Session, r.Batch, r.Orders
		}
		return r
	}
	if r := step(barRed, itemRed, time.Second); r.Verdict.Code != floorgate.CodeSortToSlot || r.Verdict.Prompt.Slot != 1 || !r.BatchChanged {
		t.Fatalf("red: %s slot %d", r.Verdict.Code, r.Verdict.Prompt.Slot)
	}
	if r := step("S-1", slotMatch(st, 1), 2*time.Second); r.Verdict.Code != floorgate.CodeSlotReady {
		t.Fatalf("slot 1: %s", r.Verdict.Code)
	}
	step(barGreen, itemGreen, 3*time.Second) // O3 takes slot 2
	step("S-2", slotMatch(st, 2), 4*time.Second)
	if r := step(barBlue, itemBlue, 5*time.Second); r.Verdict.Code != floorgate.CodeWallFull {
		t.Fatalf("O2's first unit with both slots held: %s; want wall_full", r.Verdict.Code)
	}
	// Ending the batch: O2 (nothing) and O3 (one of two) close short.
	r := scan.SortEnd(st, "end", t0.Add(time.Minute))
	want := []floorgate.ShortOrder{{Slot: 0, Task: "O2", Order: "SO-O2", Missing: 1}, {Slot: 2, Task: "O3", Order: "SO-O3", Missing: 1}}
	if r.Verdict.Code != floorgate.CodeShortOK || !reflect.DeepEqual(r.Verdict.Shorts, want) || r.Session.Sort != nil || r.Batch.Sorted.IsZero() {
		t.Fatalf("end: %s %+v, sort %+v; want short_ok %+v and the batch sorted", r.Verdict.Code, r.Verdict.Shorts, r.Session.Sort, want)
	}
	checkEvents(t, r.Events, t0.Add(time.Minute), "pick.exception", "pick.line_confirmed", "pick.task_completed",
		"pick.exception", "pick.line_confirmed", "pick.task_completed", "batch.sorted")

	fresh := sortFixture()
	fresh.Session.Sort = nil
	busy := floorgate.Match{Kind: floorgate.MatchBatch, Batch: fresh.Batch, WallBusy: "pda-9"}
	if r := scan.SortScan(fresh, floorgate.Scan{ID: "b", Device: dev, Data: "B1", At: t0}, busy); r.Verdict.Code != floorgate.CodeWallInUse {
		t.Fatalf("a wall another device sorts at: %s", r.Verdict.Code)
	}
}
