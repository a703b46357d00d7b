package gateway

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
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
