package sync

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestTailSeenStaysSmall: the ids the consumer remembers for
// deduplication take room for the runs of seqs it received, not for each
// event; deduplication is by id all the same.
func TestTailSeenStaysSmall(t *testing.T) {
	tl := NewTail(TailConfig{})
	ev := func(inc string, seq uint64) []byte {
		return fmt.Appendf(nil, `{"id":"%s-%d","seq":%d,"site":"S1","gateway":"g1","incarnation":"%s","type":"scan.accepted","schema":1}`,
			inc, seq, seq, inc)
	}
	const n = 20000
	for seq := uint64(1); seq <= n; seq++ {
		if seq == 100 {
			continue // lost for good: one hole, not a growing set
		}
		tl.message("floorgate/v1/S1/g1/events", ev("aaaa", seq))
	}
	// Out of order, then again: duplicates by id.
	tl.message("floorgate/v1/S1/g1/events", ev("aaaa", 50))
	tl.message("floorgate/v1/S1/g1/events", ev("aaaa", n))
	// An id not of the contract's form is remembered as itself.
	tl.message("floorgate/v1/S1/g1/events", []byte(`{"id":"odd-007","seq":7,"site":"S1","gateway":"g1","incarnation":"aaaa","type":"scan.accepted","schema":1}`))
	tl.message("floorgate/v1/S1/g1/events", []byte(`{"id":"odd-007","seq":7,"site":"S1","gateway":"g1","incarnation":"aaaa","type":"scan.accepted","schema":1}`))
	st := tl.Stats()
	if st.Unique != n || st.Duplicates != 3 || st.Received != n+3 {
		t.Errorf("unique %d duplicates %d received %d, want %d, 3, %d", st.Unique, st.Duplicates, st.Received, n, n+3)
	}
	if got := tl.seenEntries(); got > 4 {
		t.Errorf("%d entries remembered for %d events in 2 runs and one odd id, want at most 4", got, n)
	}
	for _, id := range []string{"aaaa-1", "aaaa-99", "aaaa-101", fmt.Sprintf("aaaa-%d", n), "odd-007"} {
		if !tl.Has(id) {
			t.Errorf("Has(%s) = false", id)
		}
	}
	for _, id := range []string{"aaaa-100", "aaaa-0100", fmt.Sprintf("aaaa-%d", n+1), "bbbb-1", "odd-7"} {
		if tl.Has(id) {
			t.Errorf("Has(%s) = true", id)
		}
	}
}

// seenEntries is how many runs of seqs and other ids the consumer keeps
// to deduplicate.
func (t *Tail) seenEntries() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen.entries()
}

// TestSeqRunsIsASet: in any order, seqRuns answers as a set would and
// keeps its spans sorted, disjoint and apart.
func TestSeqRunsIsASet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var r seqRuns
		set := map[uint64]bool{}
		for range 300 {
			q := 1 + rng.Uint64N(120)
			if got, want := r.add(q), !set[q]; got != want {
				t.Fatalf("round %d: add(%d) = %v, want %v (runs %v)", round, q, got, want, r)
			}
			set[q] = true
		}
		for q := uint64(0); q <= 122; q++ {
			if r.has(q) != set[q] {
				t.Fatalf("round %d: has(%d) = %v (runs %v)", round, q, r.has(q), r)
			}
		}
		for i, s := range r {
			if s.from > s.to || i > 0 && r[i-1].to+1 >= s.from {
				t.Fatalf("round %d: runs %v not sorted, disjoint and apart", round, r)
			}
		}
	}
}
