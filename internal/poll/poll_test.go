package poll

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a testing.TB that notes a failure instead of ending the
// test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}

// TestEventually: a condition another goroutine makes true ends the wait;
// one that never holds fails it after the deadline, with the description
// of the state it ended in.
func TestEventually(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	Eventually(t, 10*time.Second, func() bool { return n.Load() == 3 }, Say("three"))

	r := &recorder{TB: t}
	calls := 0
	func() {
		defer func() {
			if p := recover(); p != r {
				t.Fatalf("Eventually did not fail: %v", p)
			}
		}()
		start := time.Now()
		Eventually(r, 30*time.Millisecond, func() bool { calls++; return false }, func() string { return "never" })
		t.Fatalf("returned after %v", time.Since(start))
	}()
	if !strings.Contains(r.failed, "never") || calls < 2 {
		t.Errorf("failed %q after %d looks", r.failed, calls)
	}
}
