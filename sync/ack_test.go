package sync_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// A PUBACK is not a commit: picks drained one at a time, each waited for
// until the gateway counts it acknowledged, cost their own commits and
// hardly any more — the watermark reaches the disk lazily, not once per
// PUBACK batch.
func TestPubAckIsNotACommit(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	g, _ := link(t, f, b.URL())
	poll.Eventually(t, 10*time.Second, func() bool { return g.Status().Connected }, func() string { return "never connected" })
	// Whatever was in the outbox before goes first.
	poll.Eventually(t, 10*time.Second, func() bool { ob, _ := f.db.Outbox(); return ob.Depth == 0 }, func() string { ob, _ := f.db.Outbox(); return fmt.Sprintf("outbox %+v", ob) })
	const picks = 50
	c0, _ := f.db.Stats()
	a0 := g.Status().Acknowledged
	for i := range uint64(picks) {
		f.pick(1)
		poll.Eventually(t, 10*time.Second, func() bool { return g.Status().Acknowledged >= a0+i+1 }, func() string { return fmt.Sprintf("pick %d never acknowledged: %+v", i+1, g.Status()) })
	}
	c1, _ := f.db.Stats()
	// One commit per pick, and the lazy watermark's writes: one a second.
	if extra := c1 - c0 - picks; extra > picks/5 {
		t.Fatalf("%d picks acknowledged one by one made %d commits: %d more than the picks", picks, c1-c0, extra)
	}
	if ob, _ := f.db.Outbox(); ob.Depth != 0 {
		t.Fatalf("acknowledged events still in the outbox: %+v", ob)
	}
}
