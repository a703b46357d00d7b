package gateway

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/broker"
	"github.com/floorgate/floorgate/sync/natstest"
)

// TestLeafGateway: with mqtt.embedded.leaf the gateway's embedded broker
// joins a real cluster as a leaf node, under the rights `backbone
// leaf-user` prints and no more; the demo's events reach the central
// stream and leave the outbox; the status and /metrics show the link, the
// node it is on and what awaits the central stream.
func TestLeafGateway(t *testing.T) {
	domain := broker.DomainFor("demo", "gw-1")
	pub, sub := fgsync.LeafPermissions("demo", "gw-1", domain, "", "")
	c := natstest.Start(t, natstest.Options{Users: []natstest.User{{Name: "erp", Password: "erp-secret"},
		{Name: "leaf-demo", Password: "leaf-secret", Publish: pub, Subscribe: sub}}})
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
