package store

import (
	"slices"
	"strconv"
	"testing"
)

// TestKeepVerdict: the list keeps the last verdictsKept verdicts in order,
// never changes a list it was given (an undone commit puts that one back),
// and a full list is not copied on every verdict.
func TestKeepVerdict(t *testing.T) {
	var list []deviceVerdict
	for i := range 5 * verdictsKept {
		old := list
		was := slices.Clone(old)
		list = keepVerdict(old, deviceVerdict{ScanID: strconv.Itoa(i)})
		if !slices.Equal(old, was) {
			t.Fatalf("verdict %d changed the list it was added to", i)
		}
		// What an undone commit does: the old list again, then another
		// verdict in its place.
		if i%7 == 0 {
			undone := keepVerdict(old, deviceVerdict{ScanID: "undone"})
			if !slices.Equal(old, was) || undone[len(undone)-1].ScanID != "undone" {
				t.Fatalf("verdict %d: adding to the old list again changed it", i)
			}
			list = keepVerdict(old, deviceVerdict{ScanID: strconv.Itoa(i)})
		}
		want := min(i+1, verdictsKept)
		if len(list) != want || list[0].ScanID != strconv.Itoa(i+1-want) || list[want-1].ScanID != strconv.Itoa(i) {
			t.Fatalf("after verdict %d: %d kept from %s to %s, want %d from %d to %d",
				i, len(list), list[0].ScanID, list[len(list)-1].ScanID, want, i+1-want, i)
		}
	}

	// A full list: one new array per verdictsKept verdicts.
	full := list
	allocs := testing.AllocsPerRun(10, func() {
		l := full
		for range verdictsKept {
			l = keepVerdict(l, deviceVerdict{ScanID: "x"})
		}
	})
	if allocs > 2 {
		t.Errorf("%d verdicts on a full list made %.0f arrays, want at most 2", verdictsKept, allocs)
	}
}
