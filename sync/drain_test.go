package sync

import (
	"context"
	"fmt"
	"net"
	"runtime"
	gosync "sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/store/storetest"
	"github.com/floorgate/floorgate/sync/broker"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// spyOutbox is a real store, watched: its first PendingEvents tells first
// and waits for proceed; it tells published when asked for events past the
// last, and acked once all were acknowledged, keeping the order of the
// acknowledgements.
type spyOutbox struct {
	*store.DB
	n                          uint64
	first, proceed             chan struct{}
	published, acked           chan struct{}
	firstOnce, pubOnce, ackOne gosync.Once

	mu   gosync.Mutex
	acks []uint64
}

// newSpyOutbox opens a store in a test directory and journals n events in it.
func newSpyOutbox(t *testing.T, n int) *spyOutbox {
	t.Helper()
	db := storetest.Open(t, storetest.WithOptions(func(o *store.Options) { o.Site = floorgate.Site{ID: "SZ-01", Gateway: "gw-1"} }))
	evs := make([]floorgate.Event, n)
	for i := range evs {
		evs[i] = floorgate.NewEvent(floorgate.EventScanAccepted, time.Now(), floorgate.ScanRecord{ScanID: fmt.Sprint("s", i), Device: "pda-1", Distance: "in"})
	}
	if err := db.EmitEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	return &spyOutbox{DB: db, n: uint64(n), first: make(chan struct{}), proceed: make(chan struct{}),
		published: make(chan struct{}), acked: make(chan struct{})}
}

func (o *spyOutbox) PendingEvents(after uint64, limit int) ([]floorgate.Outgoing, error) {
	o.firstOnce.Do(func() {
		close(o.first)
		<-o.proceed
	})
	if after >= o.n {
		o.pubOnce.Do(func() { close(o.published) })
	}
	return o.DB.PendingEvents(after, limit)
}

func (o *spyOutbox) Ack(ctx context.Context, seqs []uint64) error {
	if err := o.DB.Ack(ctx, seqs); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.acks = append(o.acks, seqs...)
	if uint64(len(o.acks)) >= o.n {
		o.ackOne.Do(func() { close(o.acked) })
	}
	return nil
}

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
	ob := newSpyOutbox(t, n)
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
	if pending, err := ob.DB.PendingEvents(0, n); err != nil || len(pending) != 0 {
		t.Fatalf("the store still holds %d events to send (%v)", len(pending), err)
	}
	if len(ob.acks) != n {
		t.Fatalf("%d acknowledgements of %d events", len(ob.acks), n)
	}
}

// TestStatusNamesTheBrokerReached: with several brokers listed (a
// cluster's nodes) the status names the one the link reached, not the
// first listed.
func TestStatusNamesTheBrokerReached(t *testing.T) {
	b := mqtttest.Start(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "tcp://" + l.Addr().String()
	l.Close() // nothing listens there now
	ob := newSpyOutbox(t, 1)
	close(ob.proceed)
	g, err := New(Config{Brokers: []string{down, b.URL()}, Site: "SZ-01", Gateway: "gw-1", ConnectTimeout: time.Second}, ob, noCommands{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer runLink(g)()
	<-ob.acked
	if st := g.Status(); st.Broker != b.URL() {
		t.Fatalf("status names broker %q, want %q (the one reached)", st.Broker, b.URL())
	}
}

// TestFailsOverToANATSNode: when the first broker listed accepts the
// connection and then drops the handshake (a node in trouble), the gateway
// goes on to the next, a NATS node, as MQTT 3.1.1 — a client that fell
// back to MQTT 3.1 there would be refused by every NATS node.
func TestFailsOverToANATSNode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0",
		Users: []broker.User{{Name: "gw", Password: "gw-secret", Publish: []string{"floorgate/#"}, Subscribe: []string{"floorgate/#"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ob := newSpyOutbox(t, 1)
	close(ob.proceed)
	g, err := New(Config{Brokers: []string{"tcp://" + l.Addr().String(), b.URL()}, Username: "gw", Password: "gw-secret",
		Site: "SZ-01", Gateway: "gw-1", ConnectTimeout: time.Second}, ob, noCommands{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer runLink(g)()
	select {
	case <-ob.acked:
	case <-time.After(20 * time.Second):
		t.Fatalf("the gateway never reached the NATS node: %+v", g.Status())
	}
	if st := g.Status(); st.Broker != b.URL() {
		t.Fatalf("status names broker %q, want %q", st.Broker, b.URL())
	}
}

// runLink runs g until the returned stop is called, which waits for Run
// to return.
func runLink(g *Gateway) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.Run(ctx)
	}()
	return func() { cancel(); <-done }
}
