package gateway

import (
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/broker"
	"github.com/floorgate/floorgate/sync/natstest"
)

// TestLeafGateway: with mqtt.embedded.leaf the gateway's embedded broker
// joins a real cluster as a leaf node, over TLS verified with ca_file (as
// a site to another machine must), under the rights `backbone leaf-user`
// prints and no more; the demo's events reach the central
// stream and leave the outbox; the status and /metrics show the link, the
// node it is on and what awaits the central stream.
func TestLeafGateway(t *testing.T) {
	domain := broker.DomainFor("demo", "gw-1")
	pub, sub := fgsync.LeafPermissions("demo", "gw-1", domain, "", "")
	certs := t.TempDir()
	if _, err := selfSigned(certs, time.Now()); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(certs, "cert.pem")
	c := natstest.Start(t, natstest.Options{Users: []natstest.User{{Name: "erp", Password: "erp-secret"},
		{Name: "leaf-demo", Password: "leaf-secret", Publish: pub, Subscribe: sub}}, LeafCert: ca, LeafKey: filepath.Join(certs, "key.pem")})
	if !strings.HasPrefix(c.LeafURLs()[0], "tls://") {
		t.Fatalf("leaf URLs %v", c.LeafURLs())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := fgsync.SetUpBackbone(ctx, fgsync.BackboneLayout{NATS: c.NATSURLs(), MQTT: c.MQTTURLs()[0], Username: "erp", Password: "erp-secret",
		MaxAge: time.Hour, Leaves: []string{domain}}); err != nil {
		t.Fatal(err)
	}
	g := startDemo(t, floorgate.SystemClock{}, func(cfg *Config) {
		cfg.Site.ID, cfg.Site.Gateway = "demo", "gw-1"
		cfg.MQTT.Embedded.Leaf.URLs = c.LeafURLs()
		cfg.MQTT.Embedded.Leaf.Username, cfg.MQTT.Embedded.Leaf.Password = "leaf-demo", "leaf-secret"
		cfg.MQTT.Embedded.Leaf.CAFile = ca
	})
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		ob, err := g.DB.Outbox()
		if err != nil {
			t.Fatal(err)
		}
		if ob.Depth == 0 && g.DB.LastSeq() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo's events never left the outbox: %d waiting; %+v %+v", ob.Depth, g.Sync.Status(), g.Sync.Status().Central)
		}
	}
	st, err := g.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Leaf == nil || !st.Leaf.Connected || st.Leaf.Domain != domain || st.Upstream.Central == nil || st.Upstream.Central.Confirmed < g.DB.LastSeq() {
		t.Fatalf("status: leaf %+v central %+v (last seq %d)", st.Leaf, st.Upstream.Central, g.DB.LastSeq())
	}
	rec := httptest.NewRecorder()
	g.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`floorgate_leaf_connected{domain="demo-gw-1",remote="` + st.Leaf.Remote + `"} 1`,
		"floorgate_leaf_awaiting_central 0",
		`floorgate_upstream_broker_info{broker="` + st.Upstream.Broker + `"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestLeafLinkSaysWhyItIsDown: a leaf link that cannot come up says why
// in the status (here the cluster's certificate, which the gateway has no
// CA for), not only in the log.
func TestLeafLinkSaysWhyItIsDown(t *testing.T) {
	certs := t.TempDir()
	if _, err := selfSigned(certs, time.Now()); err != nil {
		t.Fatal(err)
	}
	c := natstest.Start(t, natstest.Options{LeafCert: filepath.Join(certs, "cert.pem"), LeafKey: filepath.Join(certs, "key.pem")})
	g := startDemo(t, floorgate.SystemClock{}, func(cfg *Config) {
		cfg.MQTT.Embedded.Leaf.URLs = c.LeafURLs()[:1]
		cfg.MQTT.Embedded.Leaf.Username, cfg.MQTT.Embedded.Leaf.Password = "erp", "erp-secret"
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st, err := g.Status()
		if err != nil {
			t.Fatal(err)
		}
		if st.Leaf != nil && !st.Leaf.Connected && strings.Contains(st.Leaf.LastError, "certificate") {
			t.Logf("the link is down: %s", st.Leaf.LastError)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the status never said why the link is down: %+v", st.Leaf)
		}
	}
}
