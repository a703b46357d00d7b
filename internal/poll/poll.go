// Package poll waits, in tests, for what another goroutine or process
// makes true: a gateway's outbox draining, a broker's delivery, a page's
// state. It polls on a ticker; the tests never sleep a fixed time.
package poll

import (
	"testing"
	"time"
)

// every is how often Eventually looks again.
const every = 5 * time.Millisecond

// Eventually returns once cond holds, and fails t with what() when it
// still does not after within. what is called only then, so it may
// describe the state the wait ended in.
func Eventually(t testing.TB, within time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what())
		}
		<-tick.C
	}
}

// Say is what for a wait whose description is fixed.
func Say(what string) func() string { return func() string { return what } }
