package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/sync/mqtttest"
	"github.com/floorgate/floorgate/sync/natstest"
)

// TestTailOnTheBackbone: erp-tail --nats reads a three-node cluster's
// events stream with two workers sharing one durable consumer: every
// event of two gateways (published over MQTT on different nodes) is taken
// by exactly one worker, a duplicate is counted once, and a gap is asked
// for again with events.replay on the gateway's command subject.
func TestTailOnTheBackbone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The workers run as the ERP user the contract's NATS backbone
	// section describes, with those rights and no more.
	c := natstest.Start(t, natstest.Options{Users: []natstest.User{{Name: "erp", Password: "erp-secret"},
		{Name: "erp-worker", Password: "worker-secret", Publish: ERPPermissions.Publish, Subscribe: ERPPermissions.Subscribe}}})
	nc, err := nats.Connect(c.NATSURLs(), nats.UserInfo("erp", "erp-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: DefaultEventsStream, Subjects: []string{"floorgate.v1.*.*.events"},
		Replicas: 3, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	replays := make(chan *nats.Msg, 16)
	// g2's site has a dot in its name: one subject token, "s//1".
	if _, err := nc.ChanSubscribe("floorgate.v1.s//1.g2.commands", replays); err != nil {
		t.Fatal(err)
	}

	tl := NewTail(TailConfig{NATS: c.NATSURLs(), Username: "erp-worker", Password: "worker-secret", ClientID: "erp-test",
		Replay: true, GapGrace: 300 * time.Millisecond})
	if err := tl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer tl.Close()

	const n = 300
	for g, node := range []int{0, 1} {
		gw, site := fmt.Sprint("g", g+1), "s1"
		if gw == "g2" {
			site = "s.1"
		}
		p, err := mqtttest.Dial(c.MQTTURLs()[node], "gw-"+gw, "erp", "erp-secret")
		if err != nil {
			t.Fatal(err)
		}
		for seq := uint64(1); seq <= n; seq++ {
			if gw == "g2" && seq == 200 {
				continue // lost on the way: a gap
			}
			ev, _ := json.Marshal(floorgate.Event{ID: fmt.Sprintf("inc-%s-%d", gw, seq), Seq: seq, Site: site, Gateway: gw,
				Type: floorgate.EventScanAccepted, Time: time.Now().UTC(), Schema: floorgate.EventSchema, Data: json.RawMessage(`{}`)})
			times := 1
			if gw == "g1" && seq == 150 {
				times = 2 // sent again after a reconnect: a duplicate
			}
			for range times {
				if err := p.Publish(TopicsFor(site, gw).Events, ev); err != nil {
					t.Fatal(err)
				}
			}
		}
		p.Close()
	}
	deadline := time.Now().Add(30 * time.Second)
	for tl.Stats().Received < 2*n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	s := tl.Stats()
	if s.Received != 2*n || s.Unique != 2*n-1 || s.Duplicates != 1 {
		t.Fatalf("received %d, unique %d, duplicates %d; want %d, %d, 1", s.Received, s.Unique, s.Duplicates, 2*n, 2*n-1)
	}
	if g := s.Gaps["s.1/g2"]; fmt.Sprint(g) != "[200]" || len(s.Gaps["s1/g1"]) != 0 {
		t.Fatalf("gaps %v", s.Gaps)
	}
	work := tl.WorkerCounts()
	if len(work) != 2 || work[0] == 0 || work[1] == 0 || work[0]+work[1] != 2*n {
		t.Fatalf("events per worker %v: want both working, %d in all", work, 2*n)
	}
	select {
	case m := <-replays:
		var cmd floorgate.Command
		if err := json.Unmarshal(m.Data, &cmd); err != nil || cmd.Type != floorgate.CommandEventsReplay || string(cmd.Data) != `{"from_seq":200,"to_seq":200}` {
			t.Fatalf("replay request %s: %v", m.Data, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no events.replay for the gap")
	}
	t.Logf("workers took %v", work)
}
