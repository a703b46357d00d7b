package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/poll"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// commandWatch records the events.replay commands published to any
// gateway, as the broker delivers them.
type commandWatch struct {
	mu   gosync.Mutex
	cmds []floorgate.Command
}

func watchCommands(t *testing.T, broker string) *commandWatch {
	t.Helper()
	w := &commandWatch{}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprint("cmd-watch-", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("command watch connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe("floorgate/v1/+/+/commands", 1, func(_ mqtt.Client, m mqtt.Message) {
		var cmd floorgate.Command
		if json.Unmarshal(m.Payload(), &cmd) == nil && cmd.Type == floorgate.CommandEventsReplay {
			w.mu.Lock()
			w.cmds = append(w.cmds, cmd)
			w.mu.Unlock()
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("command watch subscribe: %v", tok.Error())
	}
	return w
}

func (w *commandWatch) replays() []floorgate.Command {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]floorgate.Command(nil), w.cmds...)
}

// answers sorts the gateway's journal answers to the replay commands.
func answers(t *testing.T, f *floor) (applied, rejected []floorgate.CommandRecord, replayed []floorgate.ReplayRecord) {
	t.Helper()
	evs, err := f.db.Journal(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		switch ev.Type {
		case floorgate.EventCommandApplied, floorgate.EventCommandRejected:
			var rec floorgate.CommandRecord
			json.Unmarshal(ev.Data, &rec)
			if ev.Type == floorgate.EventCommandApplied {
				applied = append(applied, rec)
			} else {
				rejected = append(rejected, rec)
			}
		case floorgate.EventEventsReplayed:
			var rec floorgate.ReplayRecord
			json.Unmarshal(ev.Data, &rec)
			replayed = append(replayed, rec)
		}
	}
	return applied, rejected, replayed
}

// startTail starts a consumer that the test stops (stop) or that stops
// when the test ends.
func startTail(t *testing.T, cfg fgsync.TailConfig) (*fgsync.Tail, func()) {
	t.Helper()
	tl := fgsync.NewTail(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	if err := tl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var once gosync.Once
	stop := func() { once.Do(func() { cancel(); tl.Close() }) }
	t.Cleanup(stop)
	return tl, stop
}

// closed reports whether the consumer holds every seq up to last.
func closed(tl *fgsync.Tail, last uint64) bool {
	s := tl.Stats()
	key := site.ID + "/" + site.Gateway
	return s.Contiguous[key] >= last && len(s.Gaps[key]) == 0
}

// TestReplayWithDefaultClientID: erp-tail --replay with
// its default client id, started after a gateway has published, asks for
// the history it missed. The gateway must apply that replay (ids of at
// most 64 bytes) and the consumer must not ask again and again.
func TestReplayWithDefaultClientID(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	f.pick(30)
	link(t, f, b.URL())
	// Published before any consumer existed: only the journal has them.
	poll.Eventually(t, 10*time.Second, func() bool { ob, _ := f.db.Outbox(); return ob.Depth == 0 }, func() string { ob, _ := f.db.Outbox(); return fmt.Sprintf("outbox %+v", ob) })
	missed := f.lastSeq()
	cmds := watchCommands(t, b.URL())
	tl, _ := startTail(t, fgsync.TailConfig{Broker: b.URL(), Replay: true, GapGrace: 200 * time.Millisecond})

	poll.Eventually(t, 20*time.Second, func() bool { return closed(tl, missed) }, func() string {
		_, rejected, _ := answers(t, f)
		s := tl.Stats()
		return fmt.Sprintf("the missed history never arrived: contiguous %d of %d; %d replay commands sent, %d command.rejected in the journal (%+v)",
			s.Contiguous[site.ID+"/"+site.Gateway], missed, len(cmds.replays()), len(rejected), rejected[:min(len(rejected), 1)])
	})
	applied, rejected, replayed := answers(t, f)
	if len(rejected) != 0 {
		t.Fatalf("replays rejected: %+v", rejected)
	}
	if len(replayed) == 0 || replayed[0].From != 1 || replayed[0].To < missed {
		t.Fatalf("events.replayed %+v, want one from 1 to at least %d", replayed, missed)
	}
	sent := cmds.replays()
	ids := map[string]bool{}
	for _, c := range sent {
		if len(c.ID) == 0 || len(c.ID) > 64 {
			t.Errorf("replay command id %q: %d bytes, want 1–64", c.ID, len(c.ID))
		}
		ids[c.ID] = true
	}
	for _, a := range applied {
		delete(ids, a.CommandID)
	}
	if len(ids) == len(sent) {
		t.Fatalf("no command.applied names a replay command: sent %+v, applied %+v", sent, applied)
	}
	// The answers are events too; they and the floor's next events must
	// not make it ask again.
	f.pick(20)
	complete(t, f, tl)
	if n := requests(cmds.replays()); n > 2 {
		t.Fatalf("%d replay requests for one missed range: %+v", n, cmds.replays())
	}
}

// requests counts the distinct requests among replay commands: a request
// sent again for want of an answer keeps its id.
func requests(cmds []floorgate.Command) int {
	ids := map[string]bool{}
	for _, c := range cmds {
		ids[c.ID] = true
	}
	return len(ids)
}

// TestRefusedReplayIsNotAskedAgain: a status that claims more events than
// the journal holds (a stale one, from an earlier install of the gateway)
// makes the consumer ask for a range the gateway refuses. The refusal is
// itself the next event; it must settle the question, not open the next
// gap one seq further.
func TestRefusedReplayIsNotAskedAgain(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	tl, _ := startTail(t, fgsync.TailConfig{Broker: b.URL(), ClientID: fmt.Sprint("erp-", time.Now().UnixNano()), Replay: true, GapGrace: 100 * time.Millisecond})
	cmds := watchCommands(t, b.URL())
	watch := statusWatch(t, b.URL())
	link(t, f, b.URL(), func(c *fgsync.Config) { c.StatusEvery = time.Hour })
	waitStatus(t, watch, "online", "")
	complete(t, f, tl)

	last := f.lastSeq()
	stale, _ := json.Marshal(fgsync.StatusMessage{State: "online", Site: site.ID, Gateway: site.Gateway, Time: time.Now(), LastSeq: last + 1000})
	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL()).SetClientID(fmt.Sprint("stale-", time.Now().UnixNano())))
	if tok := pub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)
	if tok := pub.Publish(fgsync.TopicsFor(site.ID, site.Gateway).Status, 1, false, stale); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}

	poll.Eventually(t, 15*time.Second, func() bool {
		_, rejected, _ := answers(t, f)
		return len(rejected) > 0 && closed(tl, f.lastSeq())
	}, func() string {
		_, rejected, _ := answers(t, f)
		s := tl.Stats()
		return fmt.Sprintf("still asking: %d replay commands sent, %d rejected, %d seqs missing",
			len(cmds.replays()), len(rejected), len(s.Gaps[site.ID+"/"+site.Gateway]))
	})
	_, rejected, _ := answers(t, f)
	if rejected[0].Field != "data.from_seq" {
		t.Fatalf("rejection %+v, want one for data.from_seq", rejected[0])
	}
	f.pick(20)
	complete(t, f, tl)
	if n := requests(cmds.replays()); n != 1 {
		t.Fatalf("%d replay requests after one refusal: %+v", n, cmds.replays())
	}
}

// TestDefaultClientIDResumesSession: two runs of the consumer on one host,
// both with the default client id, share one persistent session, so the
// second gets what was published while neither ran, without a replay.
func TestDefaultClientIDResumesSession(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	first, stop := startTail(t, fgsync.TailConfig{Broker: b.URL()})
	link(t, f, b.URL())
	poll.Eventually(t, 10*time.Second, func() bool { return first.Stats().Unique > 0 }, func() string { return "the first run received nothing" })
	stop()
	before := f.lastSeq()
	f.pick(20)
	// The broker has them all before the second run connects: only the
	// session can hold them for it.
	poll.Eventually(t, 10*time.Second, func() bool { ob, _ := f.db.Outbox(); return ob.Depth == 0 }, func() string { ob, _ := f.db.Outbox(); return fmt.Sprintf("outbox %+v", ob) })
	evs, err := f.db.Journal(before+1, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := startTail(t, fgsync.TailConfig{Broker: b.URL()})
	poll.Eventually(t, 10*time.Second, func() bool {
		for _, ev := range evs {
			if !second.Has(ev.ID) {
				return false
			}
		}
		return true
	}, func() string {
		return fmt.Sprintf("the second run got %d of the %d events published while it was away", second.Stats().Unique, len(evs))
	})
}
