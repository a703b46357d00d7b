package store

import (
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// fileWatermark is the outbox watermark the file holds: what a crash now
// would leave.
func fileWatermark(t *testing.T, db *DB) uint64 {
	t.Helper()
	var a uint64
	if err := db.bolt.View(func(tx *bolt.Tx) error { a = acked(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	return a
}

func pendingSeqs(t *testing.T, db *DB) []uint64 {
	t.Helper()
	p, err := db.PendingEvents(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint64, len(p))
	for i, e := range p {
		out[i] = e.Seq
	}
	return out
}

// A PUBACK costs no commit: the watermark moves in memory, and a crash
// before it reaches the file sends those events again — duplicates, never
// a loss. A clean close writes it.
func TestAckCommitsNothing(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ackWriteAfter = time.Hour })
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 100)
	c0, _ := e.db.Stats()
	for s := uint64(1); s <= 100; s++ {
		if err := e.db.Ack(ctx, []uint64{s}); err != nil {
			t.Fatal(err)
		}
	}
	if c1, _ := e.db.Stats(); c1 != c0 {
		t.Fatalf("100 acks made %d commits, want none", c1-c0)
	}
	if p := pendingSeqs(t, e.db); len(p) != 0 {
		t.Fatalf("acknowledged events still pending: %v", p)
	}
	e.crash()
	e.open(func(o *Options) { o.ackWriteAfter = time.Hour })
	if p := pendingSeqs(t, e.db); len(p) != 100 || p[0] != 1 {
		t.Fatalf("after a crash, %d pending; want all 100 sent again", len(p))
	}
	if err := e.db.Ack(ctx, span(1, 100)); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if p := pendingSeqs(t, e.db); len(p) != 0 {
		t.Fatalf("after a clean close, pending again: %v", p)
	}
}

// The watermark reaches the file within ackWriteAfter, in one commit for
// every ack meanwhile, and before Ack returns once it is ackWriteEvents
// ahead.
func TestLazyWatermarkIsWrittenWithinItsBound(t *testing.T) {
	t.Run("time", func(t *testing.T) {
		e := newEnv(t, func(o *Options) { o.ackWriteAfter = 20 * time.Millisecond })
		emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 10)
		c0, _ := e.db.Stats()
		for s := uint64(1); s <= 10; s++ {
			if err := e.db.Ack(ctx, []uint64{s}); err != nil {
				t.Fatal(err)
			}
		}
		// The commit is counted just after it is visible.
		deadline := time.Now().Add(10 * time.Second)
		for c, _ := e.db.Stats(); fileWatermark(t, e.db) != 10 || c == c0; c, _ = e.db.Stats() {
			if time.Now().After(deadline) {
				t.Fatalf("the file's watermark is %d, want 10", fileWatermark(t, e.db))
			}
			time.Sleep(time.Millisecond)
		}
		if c1, _ := e.db.Stats(); c1-c0 != 1 {
			t.Fatalf("10 acks made %d commits, want 1", c1-c0)
		}
		e.crash()
		e.open()
		if p := pendingSeqs(t, e.db); len(p) != 0 {
			t.Fatalf("after a crash, pending again: %v", p)
		}
	})
	t.Run("events", func(t *testing.T) {
		e := newEnv(t, func(o *Options) { o.ackWriteAfter = time.Hour })
		emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), ackWriteEvents+10)
		if err := e.db.Ack(ctx, span(1, ackWriteEvents-1)); err != nil {
			t.Fatal(err)
		}
		if a := fileWatermark(t, e.db); a != 0 {
			t.Fatalf("the file's watermark is %d, want it still lazy", a)
		}
		if err := e.db.Ack(ctx, []uint64{ackWriteEvents}); err != nil {
			t.Fatal(err)
		}
		if a := fileWatermark(t, e.db); a != ackWriteEvents {
			t.Fatalf("the file's watermark is %d once %d events were acknowledged, want it written", a, ackWriteEvents)
		}
	})
}

// Retention prunes below the watermark in memory; the file's watermark
// moves in the same transaction, so a crash never leaves it below a gap.
func TestPruneWritesTheWatermark(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ackWriteAfter = time.Hour })
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now().Add(-40*24*time.Hour), 20)
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 5)
	if err := e.db.Ack(ctx, span(1, 20)); err != nil {
		t.Fatal(err)
	}
	n, err := e.db.Prune(ctx, e.clock.Now().Add(-7*24*time.Hour))
	if err != nil || n != 20 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	if a := fileWatermark(t, e.db); a != 20 {
		t.Fatalf("the file's watermark is %d after pruning 1..20", a)
	}
	e.crash()
	if _, err := Verify(e.path); err != nil {
		t.Fatalf("after a crash: %v", err)
	}
}

// Under load the watermark rides on commits made anyway — at most every
// ackPiggyBackEvery, and never a commit of its own.
func TestCommitsCarryTheWatermark(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ackWriteAfter = time.Hour })
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 20)
	if err := e.db.Ack(ctx, span(1, 10)); err != nil {
		t.Fatal(err)
	}
	c0, _ := e.db.Stats()
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 1)
	if a := fileWatermark(t, e.db); a != 10 {
		t.Fatalf("the file's watermark is %d after a commit, want 10", a)
	}
	if err := e.db.Ack(ctx, span(11, 20)); err != nil {
		t.Fatal(err)
	}
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 1)
	if a := fileWatermark(t, e.db); a != 10 {
		t.Fatalf("the file's watermark is %d: carried again within %v", a, ackPiggyBackEvery)
	}
	e.clock.Add(ackPiggyBackEvery)
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 1)
	if a := fileWatermark(t, e.db); a != 20 {
		t.Fatalf("the file's watermark is %d, want 20", a)
	}
	if c1, _ := e.db.Stats(); c1-c0 != 3 {
		t.Fatalf("3 commits of events made %d", c1-c0)
	}
}
