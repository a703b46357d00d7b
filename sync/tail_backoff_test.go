package sync_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
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

// scriptedGateway publishes hand-made events on a gateway's events topic:
// a stream with a hole no replay fills, which a real gateway only has
// when something is broken.
type scriptedGateway struct {
	t *testing.T
	c mqtt.Client
}

func newScriptedGateway(t *testing.T, broker string) *scriptedGateway {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprint("scripted-", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("scripted gateway connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return &scriptedGateway{t: t, c: c}
}

// publish sends event seq and returns its id.
func (s *scriptedGateway) publish(seq uint64, typ string, data any) string {
	s.t.Helper()
	raw, _ := json.Marshal(data)
	ev := floorgate.Event{ID: fmt.Sprint("scripted-", seq), Seq: seq, Site: site.ID, Gateway: site.Gateway, Type: typ, Schema: 1, Data: raw}
	payload, _ := json.Marshal(ev)
	if tok := s.c.Publish(fgsync.TopicsFor(site.ID, site.Gateway).Events, 1, false, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		s.t.Fatalf("scripted publish: %v", tok.Error())
	}
	return ev.ID
}

// TestReplayThatDoesNotFillIsGivenUp drives the consumer's clock: an
// unanswered request is sent again with the same id after a backoff; a
// range two applied replays did not fill is given up, said once on the
// log, and never asked for again.
func TestReplayThatDoesNotFillIsGivenUp(t *testing.T) {
	b := mqtttest.Start(t)
	const grace = 200 * time.Millisecond
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	var logs lockedLog
	tl, _ := startTail(t, fgsync.TailConfig{Broker: b.URL(), ClientID: fmt.Sprint("erp-", time.Now().UnixNano()), Replay: true,
		GapGrace: grace, Clock: clock, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	cmds := watchCommands(t, b.URL())
	gw := newScriptedGateway(t, b.URL())
	key := site.ID + "/" + site.Gateway
	has := func(id string) {
		t.Helper()
		poll.Eventually(t, 10*time.Second, func() bool { return tl.Has(id) }, func() string { return "the consumer never got " + id })
	}
	asked := func(n int) floorgate.Command {
		t.Helper()
		poll.Eventually(t, 10*time.Second, func() bool { return len(cmds.replays()) >= n }, func() string { return fmt.Sprintf("%d replay commands, want %d", len(cmds.replays()), n) })
		got := cmds.replays()
		if len(got) != n {
			t.Fatalf("%d replay commands, want %d: %+v", len(got), n, got)
		}
		return got[n-1]
	}
	rangeOf := func(c floorgate.Command) string {
		var r struct {
			From uint64 `json:"from_seq"`
			To   uint64 `json:"to_seq"`
		}
		json.Unmarshal(c.Data, &r)
		return fmt.Sprintf("%d-%d", r.From, r.To)
	}

	gw.publish(1, "task.received", map[string]string{})
	has(gw.publish(3, "task.received", map[string]string{}))
	clock.Add(grace)
	first := asked(1)
	if rangeOf(first) != "2-2" {
		t.Fatalf("asked for %s, want 2-2", rangeOf(first))
	}
	// No answer: the same request again, after twice the grace.
	clock.Add(2 * grace)
	if again := asked(2); again.ID != first.ID {
		t.Fatalf("unanswered request sent again as %q, want its id %q", again.ID, first.ID)
	}
	has(gw.publish(4, floorgate.EventCommandApplied, floorgate.CommandRecord{CommandID: first.ID, CommandType: floorgate.CommandEventsReplay}))
	// Applied, and seq 2 still missing: a second replay, with a new id.
	clock.Add(grace)
	second := asked(3)
	if second.ID == first.ID || rangeOf(second) != "2-2" {
		t.Fatalf("second replay %s %s, want a new id for 2-2", second.ID, rangeOf(second))
	}
	has(gw.publish(5, floorgate.EventCommandApplied, floorgate.CommandRecord{CommandID: second.ID, CommandType: floorgate.CommandEventsReplay}))
	clock.Add(grace)
	poll.Eventually(t, 10*time.Second, func() bool { return tl.Stats().GivenUp[key] == 1 }, func() string { return fmt.Sprintf("seq 2 not given up: %+v", tl.Stats()) })
	if s := tl.Stats(); len(s.Gaps[key]) != 1 || s.Gaps[key][0] != 2 {
		t.Fatalf("gaps %v: seq 2 is still missing, and reported", s.Gaps[key])
	}
	// A later hole is asked for, alone: seq 2 is not asked for again.
	clock.Add(time.Hour)
	has(gw.publish(7, "task.received", map[string]string{}))
	clock.Add(grace)
	if next := asked(4); rangeOf(next) != "6-6" {
		t.Fatalf("after giving up on 2, asked for %s, want 6-6", rangeOf(next))
	}
	if n := strings.Count(logs.String(), "not asking for them again"); n != 1 {
		t.Fatalf("given up %d times on the log, want once:\n%s", n, logs.String())
	}
}

// lockedLog is a log destination safe to write and read at once.
type lockedLog struct {
	mu gosync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestDefaultTailClientID(t *testing.T) {
	for _, tc := range []struct{ name, host, want string }{
		{"plain", "wh-pc-01", "floorgate-erp-tail-wh-pc-01"},
		{"domain", "pick.sz01.example.com", "floorgate-erp-tail-pick-sz01-example-com"},
		{"topic characters", "a/b+c#d e", "floorgate-erp-tail-a-b-c-d-e"},
		{"not ascii", "höst", "floorgate-erp-tail-h-st"},
		{"unknown", "", "floorgate-erp-tail"},
		{"long", strings.Repeat("x", 100), "floorgate-erp-tail-" + strings.Repeat("x", 64-19)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fgsync.DefaultTailClientID(tc.host); got != tc.want {
				t.Fatalf("DefaultTailClientID(%q) = %q, want %q", tc.host, got, tc.want)
			}
		})
	}
	host, _ := os.Hostname()
	if got, want := fgsync.NewTail(fgsync.TailConfig{}).ClientID(), fgsync.DefaultTailClientID(host); got != want {
		t.Fatalf("default client id %q, want %q", got, want)
	}
}
