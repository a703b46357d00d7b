package gateway

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// waitUpstream waits until the gateway's link to its broker is up.
func waitUpstream(t *testing.T, g *Gateway) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !g.Sync.Status().Connected; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("the gateway never connected to its embedded broker: %+v", g.Sync.Status())
		}
	}
}

// TestEmbeddedBrokerOverTLS: with mqtt.embedded.tls the broker speaks TLS
// with the gateway's own certificate, which the gateway trusts by its
// fingerprint, and a plain client is refused.
func TestEmbeddedBrokerOverTLS(t *testing.T) {
	g := startDemo(t, floorgate.SystemClock{}, func(c *Config) {
		c.MQTT.Embedded.TLS = true
		c.MQTT.Embedded.Users = []BrokerUser{{Name: "erp", Password: "a-long-secret", Role: BrokerRoleERP}}
	})
	if !strings.HasPrefix(g.Broker.URL(), "ssl://") {
		t.Fatalf("broker URL %s", g.Broker.URL())
	}
	waitUpstream(t, g)
	if p, err := mqtttest.Dial("tcp://"+g.Broker.Addr(), "plain", "erp", "a-long-secret"); err == nil {
		p.Close()
		t.Fatal("a plain-text client connected to the TLS broker")
	}
}

// TestDemoBrokerUser: make run's broker lets the printed demo user read the
// site's events and nobody in without a password.
func TestDemoBrokerUser(t *testing.T) {
	g := startDemo(t, floorgate.SystemClock{})
	waitUpstream(t, g)
	if g.demoBrokerUser == "" || len(g.demoBrokerPassword) < 12 {
		t.Fatalf("demo user %q %q", g.demoBrokerUser, g.demoBrokerPassword)
	}
	if p, err := mqtttest.Dial(g.Broker.URL(), "anon", "", ""); err == nil {
		p.Close()
		t.Fatal("an anonymous client connected to the demo broker")
	}
	p, err := mqtttest.Dial(g.Broker.URL(), "demo", g.demoBrokerUser, g.demoBrokerPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if q, _, err := p.Subscribe("floorgate/v1/demo/+/status"); err != nil || q == 0x80 {
		t.Fatalf("the demo user reads the status: %d %v", q, err)
	}
}

// TestErpTailAsTheDemoPrintsIt: the erp-tail line make run prints works
// against the embedded broker as the demo starts it (its ERP user may read
// only its own site), and the default every-site filter is refused loudly
// instead of delivering nothing.
func TestErpTailAsTheDemoPrintsIt(t *testing.T) {
	cfg := DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	g := New(cfg)
	var out bytes.Buffer
	g.Demo, g.Out = true, &out
	if err := g.Start(context.Background()); err != nil {
		g.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	waitUpstream(t, g)

	var line []string
	for l := range strings.Lines(out.String()) {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "floorgate" && f[1] == "erp-tail" {
			line = f[2:]
		}
	}
	flags := map[string]string{}
	for i := 0; i+1 < len(line); i += 2 {
		flags[strings.TrimPrefix(line[i], "--")] = line[i+1]
	}
	if flags["broker"] == "" || flags["username"] == "" || flags["filter"] == "" {
		t.Fatalf("make run's erp-tail line: %q in\n%s", line, out.String())
	}
	tail := func(clientID, filter string) (*fgsync.Tail, error) {
		tl := fgsync.NewTail(fgsync.TailConfig{Broker: flags["broker"], ClientID: clientID,
			Username: flags["username"], Password: flags["password"], Filter: filter, Out: io.Discard})
		return tl, tl.Start(context.Background())
	}

	if tl, err := tail("tail-every-site", "floorgate/v1/+/+/events"); err == nil || !strings.Contains(err.Error(), "refused the subscription") {
		tl.Close()
		t.Fatalf("erp-tail on every site's events as the demo's ERP user: %v, want refused", err)
	}
	tl, err := tail("tail-as-printed", flags["filter"])
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	key := cfg.Site.ID + "/" + cfg.Site.Gateway
	for deadline := time.Now().Add(30 * time.Second); tl.Stats().Incarnation[key].ID == ""; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("erp-tail as printed never heard the gateway's status: %+v", tl.Stats())
		}
	}
}
