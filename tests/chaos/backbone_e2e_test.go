//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/poll"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// streamLog is every message of the backbone's events stream, as it
// comes, read by an ordered consumer of its own.
type streamLog struct {
	mu   sync.Mutex
	msgs []streamMsg
}

type streamMsg struct {
	subject string
	data    []byte
}

func watchEvents(t *testing.T, ctx context.Context, js jetstream.JetStream) *streamLog {
	t.Helper()
	cons, err := js.OrderedConsumer(ctx, fgsync.DefaultEventsStream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	l := &streamLog{}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		l.mu.Lock()
		l.msgs = append(l.msgs, streamMsg{m.Subject(), bytes.Clone(m.Data())})
		l.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
	return l
}

// holding reports whether a message of the stream contains s.
func (l *streamLog) holding(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if bytes.Contains(m.data, []byte(s)) {
			return true
		}
	}
	return false
}

// commandAnswer is a gateway's answer to a command, as the stream holds it.
type commandAnswer struct {
	subject, site, gateway, typ string
}

// answers are the answers to command id in the stream, by whoever gave
// them.
func (l *streamLog) answers(id string) []commandAnswer {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []commandAnswer
	for _, m := range l.msgs {
		var ev floorgate.Event
		if json.Unmarshal(m.data, &ev) != nil || (ev.Type != floorgate.EventCommandApplied && ev.Type != floorgate.EventCommandRejected) {
			continue
		}
		var rec floorgate.CommandRecord
		if json.Unmarshal(ev.Data, &rec) == nil && rec.CommandID == id {
			out = append(out, commandAnswer{m.subject, ev.Site, ev.Gateway, ev.Type})
		}
	}
	return out
}

// masterPut is the simplest command: one location, stored.
func masterPut(id string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":"master.put","data":{"locations":[{"code":%q,"barcode":%q}]}}`, id, "BB-"+id, "BB-"+id)
}

// TestBackboneCommandsReachOnlyTheirGateway: on the NATS backbone, the
// cluster itself keeps each gateway to its own topics (docs §15). Three
// gateways run, each listing every node's MQTT listener and connecting as
// its own user. With gateway A's credentials a raw MQTT client is refused
// (SUBACK 0x80) a subscription to the commands of another gateway of its
// site, of a gateway of another site, and to every site's commands, and
// granted its own; what it publishes onto another site's events topic
// never reaches the events stream, and a command it publishes to another
// gateway is never applied. A command the ERP sends over MQTT to each
// gateway is applied by that gateway, once, and by no other.
func TestBackboneCommandsReachOnlyTheirGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startBackbone(t, backboneGateways)
	nc, err := nats.Connect(c.NATSURLs(), nats.UserInfo(backboneERP, backboneERPPassword))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream := watchEvents(t, ctx, js)
	var procs []*chaosProc
	for i, g := range backboneGateways {
		procs = append(procs, startBackboneGateway(t, c, g, t.TempDir(), i))
	}
	a, b, other := backboneGateways[0], backboneGateways[1], backboneGateways[2]
	topics := func(g backboneGW) fgsync.Topics { return fgsync.TopicsFor(g.site, g.id) }

	erp, err := mqtttest.Dial(c.MQTTURLs()[2], "erp-commands", backboneERP, backboneERPPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer erp.Close()
	// command sends a command to g as the ERP does: QoS 1, the same id
	// again until it is answered (contract §7).
	command := func(g backboneGW, id string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for len(stream.answers(id)) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s never answered command %s", g.key(), id)
			}
			if err := erp.Publish(topics(g).Commands, masterPut(id)); err != nil {
				t.Fatalf("command %s to %s: %v", id, g.key(), err)
			}
			for wait := time.Now().Add(3 * time.Second); time.Now().Before(wait) && len(stream.answers(id)) == 0; {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	// Every gateway holds its command subscription once it answered one.
	for _, g := range backboneGateways {
		command(g, "cmd-1-"+g.id)
	}

	// Gateway A's own credentials, on another node than A's first.
	p, err := mqtttest.Dial(c.MQTTURLs()[1], "probe-"+a.user(), a.user(), a.password())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, tc := range []struct {
		filter string
		want   byte
	}{
		{topics(b).Commands, 0x80},
		{topics(other).Commands, 0x80},
		{"floorgate/v1/+/+/commands", 0x80},
		{topics(other).Events, 0x80},
		{topics(a).Commands, 1},
	} {
		got, _, err := p.Subscribe(tc.filter)
		if err != nil || got != tc.want {
			t.Errorf("%s subscribing to %s: granted %#x, %v; want %#x", a.user(), tc.filter, got, err, tc.want)
		}
	}
	forged, _ := json.Marshal(floorgate.Event{ID: "forged-by-" + a.user(), Seq: 1, Site: other.site, Gateway: other.id,
		Type: floorgate.EventScanAccepted, Time: time.Now().UTC(), Schema: floorgate.EventSchema, Data: json.RawMessage(`{}`)})
	// MQTT 3.1.1 has no negative PUBACK: the cluster acknowledges and
	// drops what A may not publish.
	for _, m := range []struct {
		topic   string
		payload []byte
	}{
		{topics(other).Events, forged},
		{topics(other).Commands, masterPut("cmd-forged-for-" + other.id)},
		{topics(b).Commands, masterPut("cmd-forged-for-" + b.id)},
	} {
		if err := p.Publish(m.topic, m.payload); err != nil {
			t.Fatalf("%s publishing to %s: %v", a.user(), m.topic, err)
		}
	}
	// A's own topic, after them on the same connection: once it is in the
	// stream, the forged event would be too.
	marker := "marker-" + a.user()
	if err := p.Publish(topics(a).Events, fmt.Appendf(nil, `{"marker":%q}`, marker)); err != nil {
		t.Fatal(err)
	}
	poll.Eventually(t, 30*time.Second, func() bool { return stream.holding(marker) }, func() string {
		return "the marker A published on its own events topic never reached the stream"
	})
	if stream.holding("forged-by-" + a.user()) {
		t.Errorf("an event %s published on %s's events topic reached the stream", a.user(), other.key())
	}

	// A second command to each: answered after anything sent before it.
	for _, g := range backboneGateways {
		command(g, "cmd-2-"+g.id)
	}
	for _, g := range backboneGateways {
		for _, id := range []string{"cmd-1-" + g.id, "cmd-2-" + g.id} {
			ans := stream.answers(id)
			if len(ans) != 1 || ans[0].typ != floorgate.EventCommandApplied || ans[0].site != g.site || ans[0].gateway != g.id ||
				ans[0].subject != g.subject("events") {
				t.Errorf("command %s for %s: answered %+v; want one command.applied by %s", id, g.key(), ans, g.key())
			}
		}
	}
	for _, g := range []backboneGW{other, b} {
		if ans := stream.answers("cmd-forged-for-" + g.id); len(ans) > 0 {
			t.Errorf("a command %s published to %s was answered: %+v", a.user(), g.key(), ans)
		}
	}
	for i, d := range procs {
		if log := d.log(); strings.Contains(log, "mqtt subscribe to commands") {
			t.Errorf("%s could not subscribe to its own commands:\n%s", backboneGateways[i].key(), log)
		}
	}
}
