package gateway

import (
	"testing"
	"time"
)

// The collector runs at Busy once a second's committed requests reach
// BusyRate, stays there through a dip that is not below half of it, and
// goes back to Quiet only after QuietAfter under half.
func TestPacerFollowsTheLoad(t *testing.T) {
	pace := GCPace{Quiet: 25, Busy: 100, BusyRate: 2000, QuietAfter: 3 * time.Second, Every: time.Second}
	p := &pacer{pace: pace}
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var n uint64
	steps := []struct {
		perS    uint64
		percent int
		changed bool
	}{
		{0, 25, false},     // the first sample only starts the count
		{500, 25, false},   // a floor's pace
		{1999, 25, false},  // just under
		{2500, 100, true},  // busy
		{1200, 100, false}, // a dip above half
		{900, 100, false},  // under half: the quiet time starts
		{900, 100, false},  // 1 s
		{1500, 100, false}, // above half again: it starts over
		{100, 100, false},
		{100, 100, false},
		{100, 100, false},
		{100, 25, true}, // 3 s under half
		{100, 25, false},
	}
	for i, s := range steps {
		n += s.perS
		at = at.Add(time.Second)
		pc, changed := p.observe(at, n)
		if pc != s.percent || changed != s.changed {
			t.Fatalf("step %d (%d/s): percent %d changed %v, want %d %v", i, s.perS, pc, changed, s.percent, s.changed)
		}
	}
}
