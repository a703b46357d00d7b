package sync

import (
	"context"
	"fmt"
	"runtime"
	gosync "sync"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// scriptedOutbox holds a fixed run of events. Its first PendingEvents
// tells first and waits for proceed; it tells published when asked for
// events past the last, and acked once all were acknowledged.
type scriptedOutbox struct {
	evs                        []floorgate.Outgoing
	first, proceed             chan struct{}
	published, acked           chan struct{}
	firstOnce, pubOnce, ackOne gosync.Once

	mu    gosync.Mutex
	acks  []uint64
	calls int
}

func newScriptedOutbox(n int) *scriptedOutbox {
	o := &scriptedOutbox{first: make(chan struct{}), proceed: make(chan struct{}), published: make(chan struct{}), acked: make(chan struct{})}
	for seq := uint64(1); seq <= uint64(n); seq++ {
		o.evs = append(o.evs, floorgate.Outgoing{Seq: seq, ID: fmt.Sprint("e", seq), Payload: fmt.Appendf(nil, `{"seq":%d}`, seq)})
	}
	return o
}

func (o *scriptedOutbox) PendingEvents(after uint64, limit int) ([]floorgate.Outgoing, error) {
	o.firstOnce.Do(func() {
		close(o.first)
		<-o.proceed
	})
	if after >= uint64(len(o.evs)) {
		o.pubOnce.Do(func() { close(o.published) })
		return nil, nil
	}
	return o.evs[after:min(int(after)+limit, len(o.evs))], nil
}

func (o *scriptedOutbox) RetryPending() ([]floorgate.Outgoing, error) { return nil, nil }

func (o *scriptedOutbox) JournalRange(from, to uint64, limit int) ([]floorgate.Outgoing, error) {
	return nil, nil
}

func (o *scriptedOutbox) Ack(_ context.Context, seqs []uint64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.acks = append(o.acks, seqs...)
	if len(o.acks) >= len(o.evs) {
		o.ackOne.Do(func() { close(o.acked) })
	}
	return nil
}

func (o *scriptedOutbox) DeadLetter(context.Context, floorgate.Outgoing, string) error { return nil }
func (o *scriptedOutbox) NewEvents() <-chan struct{}                                   { return nil }
func (o *scriptedOutbox) Replays() <-chan floorgate.Replay                             { return nil }
func (o *scriptedOutbox) LastSeq() uint64                                              { return uint64(len(o.evs)) }
func (o *scriptedOutbox) Incarnation() floorgate.Incarnation                           { return floorgate.Incarnation{} }

// noCommands refuses every command.
type noCommands struct{}

func (noCommands) ApplyCommand(context.Context, []byte) (floorgate.CommandResult, error) {
	return floorgate.CommandResult{}, fmt.Errorf("apply: no commands here")
}

// TestDrainWaitsWithoutAGoroutinePerPublish fills a window of thousands
// of publishes to a frozen broker: they wait for their PUBACKs without a
// goroutine each, and once the broker is back every event is acknowledged,
// once, in order.
func TestDrainWaitsWithoutAGoroutinePerPublish(t *testing.T) {
	const n = 2000
	b := mqtttest.Start(t)
	ob := newScriptedOutbox(n)
	g, err := New(Config{Brokers: []string{b.URL()}, Site: "SZ-01", Gateway: "gw-1", Window: n + 1}, ob, noCommands{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.Run(ctx)
	}()
	defer func() {
		b.Thaw()
		cancel()
		<-done
	}()

	<-ob.first // connected and draining
	base := runtime.NumGoroutine()
	b.Freeze()
	close(ob.proceed)
	<-ob.published
	if extra := runtime.NumGoroutine() - base; extra > n/10 {
		t.Fatalf("%d publishes waiting for their PUBACKs took %d more goroutines", n, extra)
	}
	if p := g.published.Load(); p != n {
		t.Fatalf("%d events published, want %d", p, n)
	}
	b.Thaw()
	<-ob.acked
	ob.mu.Lock()
	defer ob.mu.Unlock()
	for i, seq := range ob.acks {
		if seq != uint64(i+1) {
			t.Fatalf("acknowledgement %d is of seq %d: %v…", i, seq, ob.acks[:i+1])
		}
	}
	if len(ob.acks) != n {
		t.Fatalf("%d acknowledgements of %d events", len(ob.acks), n)
	}
}
