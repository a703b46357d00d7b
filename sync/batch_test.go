package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	gosync "sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/poll"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// rawEvents records every message on the gateway's events topic as it
// arrived on the wire.
type rawEvents struct {
	mu   gosync.Mutex
	msgs [][]byte
}

func watchEvents(t *testing.T, broker string) *rawEvents {
	t.Helper()
	r := &rawEvents{}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprint("raw-", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	tok := c.Subscribe(fgsync.TopicsFor(site.ID, site.Gateway).Events, 1, func(_ mqtt.Client, m mqtt.Message) {
		r.mu.Lock()
		r.msgs = append(r.msgs, append([]byte(nil), m.Payload()...))
		r.mu.Unlock()
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return r
}

// decode splits each message into its events: an envelope, or an array
// of them.
func (r *rawEvents) decode(t *testing.T) (msgs [][]floorgate.Event, sizes []int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.msgs {
		var evs []floorgate.Event
		if m[0] == '[' {
			if err := json.Unmarshal(m, &evs); err != nil {
				t.Fatalf("not an array of events: %v\n%s", err, m)
			}
		} else {
			var ev floorgate.Event
			if err := json.Unmarshal(m, &ev); err != nil {
				t.Fatalf("not an event: %v\n%s", err, m)
			}
			evs = []floorgate.Event{ev}
		}
		msgs = append(msgs, evs)
		sizes = append(sizes, len(m))
	}
	return msgs, sizes
}

// With batch_events, a backlog goes up in few messages, each an array of
// at most that many envelopes in seq order and within max_message_bytes,
// and the consumer ends up with every event once, no gap.
func TestBatchedEvents(t *testing.T) {
	const batch, maxBytes = 50, 8 << 10
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	f.pick(2000)
	raw := watchEvents(t, b.URL())
	tl := tail(t, b.URL(), true)
	g, _ := link(t, f, b.URL(), func(c *fgsync.Config) { c.BatchEvents, c.MaxMessageBytes = batch, maxBytes })
	complete(t, f, tl)
	if s := tl.Stats(); s.Duplicates != 0 || s.Unique != int(f.lastSeq()) {
		t.Fatalf("consumer: %d unique of %d, %d duplicates", s.Unique, f.lastSeq(), s.Duplicates)
	}
	poll.Eventually(t, 10*time.Second, func() bool { ob, _ := f.db.Outbox(); return ob.Depth == 0 }, func() string { ob, _ := f.db.Outbox(); return fmt.Sprintf("outbox %+v", ob) })
	s := g.Status()
	if s.Acknowledged < f.lastSeq() || s.Messages*10 > s.Published {
		t.Fatalf("%d events went in %d messages (%d acknowledged): not batched", s.Published, s.Messages, s.Acknowledged)
	}
	poll.Eventually(t, 10*time.Second, func() bool { raw.mu.Lock(); defer raw.mu.Unlock(); return uint64(len(raw.msgs)) >= s.Messages }, func() string { return "the raw watcher missed messages" })
	msgs, sizes := raw.decode(t)
	arrays := 0
	for i, evs := range msgs {
		if len(evs) > batch || sizes[i] > maxBytes {
			t.Fatalf("message %d: %d events, %d bytes; want at most %d and %d", i, len(evs), sizes[i], batch, maxBytes)
		}
		for j := 1; j < len(evs); j++ {
			if evs[j].Seq <= evs[j-1].Seq {
				t.Fatalf("message %d: seq %d after %d", i, evs[j].Seq, evs[j-1].Seq)
			}
		}
		if len(evs) > 1 {
			arrays++
		}
	}
	t.Logf("%d events in %d messages (%d arrays)", s.Published, s.Messages, arrays)
}

// A connection lost with batches in flight: their events go again, the
// consumer deduplicates them, and nothing is lost.
func TestBatchedEventsAcrossADisconnect(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	f.pick(6000)
	tl := tail(t, b.URL(), true)
	g, _ := link(t, f, b.URL(), func(c *fgsync.Config) { c.BatchEvents, c.Window = 20, 100 })
	poll.Eventually(t, 30*time.Second, func() bool { s := g.Status(); return s.Published-s.Acknowledged >= 500 }, func() string { return fmt.Sprintf("never 500 in flight: %+v", g.Status()) })
	b.Kill()
	b.Restart()
	complete(t, f, tl)
}

func TestBatchEventsIsValidated(t *testing.T) {
	cfg := fgsync.Config{Brokers: []string{"tcp://127.0.0.1:1883"}, Site: site.ID, Gateway: site.Gateway, BatchEvents: fgsync.MaxBatchEvents + 1}
	if err := cfg.Validate(); err == nil {
		t.Fatal("a batch above MaxBatchEvents was taken")
	}
}

// An event too large for a message is dead-lettered, batching or not; the
// events around it still go, in messages within the limit.
func TestBatchLeavesOutAnOversizedEvent(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var evs []floorgate.Event
	for i := range 21 {
		rec := floorgate.ScanRecord{ScanID: fmt.Sprint("x", i), Device: "pda-1", Data: "6901234567892"}
		if i == 10 {
			rec.Data = strings.Repeat("9", 5000)
		}
		evs = append(evs, floorgate.NewEvent(floorgate.EventScanRejected, at, rec))
	}
	if err := f.db.EmitEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	big := f.lastSeq() - 10
	tl := tail(t, b.URL(), false)
	link(t, f, b.URL(), func(c *fgsync.Config) { c.BatchEvents, c.MaxMessageBytes = 50, 4096 })
	key := site.ID + "/" + site.Gateway
	poll.Eventually(t, 10*time.Second, func() bool { return tl.Stats().Contiguous[key] == big-1 && tl.Stats().Unique == int(f.lastSeq())-1 }, func() string { return fmt.Sprintf("consumer %+v, want all but seq %d", tl.Stats(), big) })
	dl, _ := f.db.DeadLetters()
	if len(dl) != 1 || dl[0].Seq != big {
		t.Fatalf("dead letters %+v, want seq %d alone", dl, big)
	}
}
