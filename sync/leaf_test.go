package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/store/storetest"
	"github.com/floorgate/floorgate/sync/broker"
	"github.com/floorgate/floorgate/sync/natstest"
)

// leafSite is a gateway in leaf mode: its store, its embedded broker
// joined to the cluster through a proxy, and its sync link.
type leafSite struct {
	db    *store.DB
	b     *broker.Broker
	g     *Gateway
	proxy *natstest.LinkProxy
	cmds  *commandLog
	stop  func()
}

// commandLog applies every command by noting its payload.
type commandLog struct {
	mu  gosync.Mutex
	got []string
}

func (l *commandLog) ApplyCommand(_ context.Context, raw []byte) (floorgate.CommandResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, string(raw))
	return floorgate.CommandResult{}, nil
}

func (l *commandLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

func startLeafSite(t *testing.T, c *natstest.Cluster, site, gw, user, password string, cut bool) *leafSite {
	t.Helper()
	proxy, err := natstest.StartLinkProxy(strings.TrimPrefix(c.LeafURLs()[0], "nats-leaf://"), strings.TrimPrefix(c.LeafURLs()[1], "nats-leaf://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	if cut {
		proxy.Cut()
	}
	b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", StoreDir: t.TempDir(),
		Users: []broker.User{{Name: "gw", Password: "gw-secret", Publish: []string{"floorgate/#"}, Subscribe: []string{"floorgate/#"}}},
		Leaf:  &broker.Leaf{URLs: []string{"nats-leaf://" + proxy.Addr()}, Username: user, Password: password, Domain: broker.DomainFor(site, gw)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	db := storetest.Open(t, storetest.WithOptions(func(o *store.Options) { o.Site = floorgate.Site{ID: site, Gateway: gw} }))
	name, pw := b.InternalUser()
	cmds := &commandLog{}
	g, err := New(Config{Brokers: []string{b.URL()}, Username: "gw", Password: "gw-secret", Site: site, Gateway: gw,
		BackoffMax: time.Second, Leaf: &LeafLink{Broker: b, User: name, Password: pw, Domain: broker.DomainFor(site, gw)}}, db, cmds, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &leafSite{db: db, b: b, g: g, proxy: proxy, cmds: cmds, stop: runLink(g)}
	t.Cleanup(s.stop)
	return s
}

// scan journals n scan events, as pickers scanning.
func (s *leafSite) scan(t *testing.T, n int) {
	t.Helper()
	evs := make([]floorgate.Event, n)
	for i := range evs {
		evs[i] = floorgate.NewEvent(floorgate.EventScanAccepted, time.Now(), floorgate.ScanRecord{ScanID: fmt.Sprint("s", time.Now().UnixNano(), i), Device: "pda-1", Distance: "in"})
	}
	if err := s.db.EmitEvents(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

func (s *leafSite) depth(t *testing.T) int {
	t.Helper()
	o, err := s.db.Outbox()
	if err != nil {
		t.Fatal(err)
	}
	return o.Depth
}

// centralSeqs reads one gateway's subject of the central events stream:
// the seqs in the stream's order, every copy.
func centralSeqs(t *testing.T, js jetstream.JetStream, subject string) []uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, DefaultEventsStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			var e struct{ Seq uint64 }
			if err := json.Unmarshal(m.Data(), &e); err != nil {
				t.Fatalf("%s: %v", m.Data(), err)
			}
			out = append(out, e.Seq)
		}
		if n == 0 {
			return out
		}
	}
}

// TestLeafSiteRidesOutAWANCut: a gateway whose embedded broker joins the
// cluster as a leaf node. While the WAN link is cut the floor keeps
// scanning, the site's broker stores every event, and none leaves the
// outbox: only the central stream's copy confirms an event. Once the link
// is back every event is in the central stream, in order, and the outbox
// is empty.
func TestLeafSiteRidesOutAWANCut(t *testing.T) {
	domain := broker.DomainFor("SZ.01", "gw-1")
	pub, sub := LeafPermissions("SZ.01", "gw-1", domain, "", "")
	c := natstest.Start(t, natstest.Options{Users: []natstest.User{{Name: "erp", Password: "erp-secret"},
		{Name: "leaf-sz", Password: "leaf-secret", Publish: pub, Subscribe: sub}}})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := SetUpBackbone(ctx, BackboneLayout{NATS: c.NATSURLs(), MQTT: c.MQTTURLs()[0], Username: "erp", Password: "erp-secret",
		MaxAge: time.Hour, Leaves: []string{domain}}); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(c.NATSURLs(), nats.UserInfo("erp", "erp-secret"), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	site := startLeafSite(t, c, "SZ.01", "gw-1", "leaf-sz", "leaf-secret", true)
	subject := broker.Subject("floorgate/v1/SZ.01/gw-1/events")

	// The site starts with the WAN down, then loses it again mid-shift;
	// the floor scans on both times. The site's broker stores every event
	// (the first time no reader of the cluster's has ever asked for them),
	// and none leaves the outbox before the central stream holds it.
	total := 0
	for round := range 2 {
		if round == 1 {
			site.proxy.Cut()
			poll.Eventually(t, 10*time.Second, func() bool { st, _ := site.b.Leaf(); return !st.Connected }, poll.Say("the leaf link seen down"))
		}
		for range 5 {
			site.scan(t, 100)
		}
		total += 500
		poll.Eventually(t, time.Minute, func() bool {
			st := site.g.Status()
			return st.Published >= uint64(total) && st.Central != nil && st.Central.AwaitingCentral == 500
		}, poll.Say("the site's broker acknowledging every event"))
		if d := site.depth(t); d != 500 {
			t.Fatalf("round %d: %d events in the outbox with the link down, want 500: an event left before the central stream held it", round, d)
		}
		if st, _ := site.b.Leaf(); st.Connected {
			t.Fatalf("round %d: the leaf link is up through a cut proxy", round)
		}
		if err := site.proxy.Mend(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		poll.Eventually(t, 3*time.Minute, func() bool { return site.depth(t) == 0 }, poll.Say("the outbox empty after the link came back"))
		t.Logf("round %d: outbox empty %v after the link came back", round, time.Since(start).Round(time.Millisecond))
		if st, ok := site.b.Leaf(); !ok || !st.Connected || st.Domain != domain {
			t.Fatalf("leaf state %+v", st)
		}
	}
	seqs := centralSeqs(t, js, subject)
	seen := map[uint64]bool{}
	var last uint64
	for _, s := range seqs {
		if seen[s] {
			continue
		}
		if s < last {
			t.Fatalf("seq %d after %d in the central stream", s, last)
		}
		seen[s], last = true, s
	}
	for s := uint64(1); s <= uint64(total); s++ {
		if !seen[s] {
			t.Fatalf("seq %d missing from the central stream (%d copies of %d events)", s, len(seqs), len(seen))
		}
	}

	// A command the ERP sends to the cluster while the link is down
	// reaches the gateway once it is back; one for another gateway of the
	// site does not.
	site.proxy.Cut()
	poll.Eventually(t, 10*time.Second, func() bool { st, _ := site.b.Leaf(); return !st.Connected }, poll.Say("the leaf link seen down"))
	erp := dialMQTT(t, c.MQTTURLs()[1:], "erp-1")
	defer erp.Disconnect(100)
	for _, cmd := range []struct{ topic, payload string }{
		{"floorgate/v1/SZ.01/gw-2/commands", `{"id":"c-other"}`},
		{"floorgate/v1/SZ.01/gw-1/commands", `{"id":"c-1"}`},
	} {
		if tok := erp.Publish(cmd.topic, 1, false, cmd.payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", cmd.topic, tok.Error())
		}
	}
	if err := site.proxy.Mend(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	poll.Eventually(t, time.Minute, func() bool { return len(site.cmds.all()) > 0 }, poll.Say("the command sent during the cut applied"))
	t.Logf("the command applied %v after the link came back", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if tok := erp.Publish("floorgate/v1/SZ.01/gw-1/commands", 1, false, `{"id":"c-2"}`); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	poll.Eventually(t, time.Minute, func() bool { return len(site.cmds.all()) > 1 }, poll.Say("a command sent with the link up applied"))
	t.Logf("a command sent with the link up applied in %v", time.Since(start).Round(time.Millisecond))
	if got := site.cmds.all(); len(got) != 2 || got[0] != `{"id":"c-1"}` || got[1] != `{"id":"c-2"}` {
		t.Fatalf("commands applied: %q", got)
	}

	// The reference consumer's replay requests reach a leaf gateway when
	// it sends them through the cluster's MQTT listener.
	tl := NewTail(TailConfig{NATS: c.NATSURLs(), Commands: c.MQTTURLs()[2], Username: "erp", Password: "erp-secret", ClientID: "erp-tail-leaf",
		Filter: "floorgate/v1/SZ.01/+/events", Out: io.Discard})
	if err := tl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	tl.publish("floorgate/v1/SZ.01/gw-1/commands", []byte(`{"id":"c-replay"}`))
	poll.Eventually(t, time.Minute, func() bool { return len(site.cmds.all()) > 2 }, poll.Say("the consumer's command applied"))

	// The site's user can reach nothing of another gateway's: not its
	// commands, not its events in the central stream.
	// (pub and sub are what the site was given above.)
	violations := make(chan error, 8)
	spy, err := nats.Connect(c.NATSURLs(), nats.UserInfo("leaf-sz", "leaf-secret"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { violations <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer spy.Close()
	for _, subj := range []string{"$JS.hub.API.CONSUMER.CREATE.$MQTT_msgs.x.$MQTT.msgs.floorgate.v1.SZ//01.gw-2.commands",
		"$JS.hub.API.CONSUMER.CREATE.FLOORGATE_EVENTS.x.floorgate.v1.>", "$JS.hub.API.STREAM.DELETE.FLOORGATE_EVENTS"} {
		spy.Publish(subj, []byte("{}"))
		select {
		case err := <-violations:
			if !strings.Contains(err.Error(), "Permissions Violation") {
				t.Fatalf("publish %s: %v", subj, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the site's user may publish %s (allowed: %q)", subj, pub)
		}
	}
	if _, err := spy.SubscribeSync("_FG_DELIVER.other-gw.>"); err == nil {
		spy.Flush()
		select {
		case err := <-violations:
			if !strings.Contains(err.Error(), "Permissions Violation") {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the site's user may receive another site's commands (allowed: %q)", sub)
		}
	}

	st := site.g.Status()
	t.Logf("central stream: %d copies of %d events; confirmed %d; %+v", len(seqs), len(seen), st.Central.Confirmed, st.Central)
}

// TestClientIDEscapesWhatNATSRefuses: a NATS broker (the embedded one, a
// NATS backbone) refuses an MQTT client id with a dot in it, so ids with
// one are escaped; others are left as they were, so sessions on other
// brokers carry on.
func TestClientIDEscapesWhatNATSRefuses(t *testing.T) {
	for _, c := range []struct{ site, gw, want string }{
		{"SZ-01", "gw-1", "floorgate-SZ-01-gw-1-up"},
		{"SZ.01", "gw 1", "floorgate-SZ%2E01-gw%201-up"},
		{"SZ%2E01", "gw*>", "floorgate-SZ%252E01-gw%2A%3E-up"},
		{"仓库.1", "gw", "floorgate-仓库%2E1-gw-up"},
	} {
		if got := ClientID(c.site, c.gw, "up"); got != c.want {
			t.Errorf("ClientID(%q, %q) = %q, want %q", c.site, c.gw, got, c.want)
		}
	}
}
