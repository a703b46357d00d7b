package sync

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/floorgate/floorgate/sync/natstest"
)

// TestCheckBackbone: on a real three-node cluster, CheckBackbone sees
// the MQTT store left on interest retention (before backbone init), a
// leaf domain sourced that no leaf serves, and, once a node is killed,
// that node unreachable and its replica of the events stream behind.
func TestCheckBackbone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := natstest.Start(t, natstest.Options{})
	check := BackboneCheck{LeafURLs: c.LeafURLs(), NATS: c.NATSURLs(), Username: "erp", Password: "erp-secret", Stalled: 3 * time.Second}

	// An MQTT client creates the cluster's MQTT store, on interest
	// retention; nobody ran backbone init.
	// (A cluster just formed may drop the first connections while it
	// creates the store: the client tries again.)
	o := mqtt.NewClientOptions().AddBroker(c.MQTTURLs()[0]).SetClientID("gw-check").SetUsername("erp").SetPassword("erp-secret").
		SetConnectRetry(true).SetConnectRetryInterval(250 * time.Millisecond).SetConnectTimeout(10 * time.Second)
	mc := mqtt.NewClient(o)
	if dl, _ := ctx.Deadline(); !mc.Connect().WaitTimeout(time.Until(dl)) {
		t.Fatal("the first MQTT connection never succeeded")
	}
	mc.Disconnect(100)
	h := CheckBackbone(ctx, check)
	if cl := h.Cluster; cl == nil || cl.JetStream != nil || cl.StoreRetention != "Interest" || !cl.StreamMissing {
		t.Fatalf("before backbone init: %+v", h.Cluster)
	}
	for i, l := range h.Leaves {
		if l.Err != nil || l.Server != c.Nodes[i].Name {
			t.Errorf("leaf listener %d: %+v", i, l)
		}
	}

	if _, err := SetUpBackbone(ctx, BackboneLayout{NATS: c.NATSURLs(), MQTT: c.MQTTURLs()[0], Username: "erp", Password: "erp-secret",
		MaxAge: time.Hour, Leaves: []string{"nosuch"}}); err != nil {
		t.Fatal(err)
	}
	source := func(h BackboneHealth, domain string) (Source, bool) {
		i := slices.IndexFunc(h.Cluster.Sources, func(s Source) bool { return s.Domain == domain })
		if i < 0 {
			return Source{}, false
		}
		return h.Cluster.Sources[i], true
	}
	// The cluster's own source keeps being heard from; the missing
	// leaf's is stalled once Stalled has passed.
	for {
		h = CheckBackbone(ctx, check)
		cl := h.Cluster
		own, ok1 := source(h, "")
		leaf, ok2 := source(h, "nosuch")
		if cl.JetStream == nil && cl.StreamErr == nil && cl.StoreRetention == "Limits" && cl.Replicas == 3 && cl.Leader != "" &&
			ok1 && !own.Stalled && ok2 && leaf.Stalled && len(cl.Peers) == 2 && !cl.Peers[0].Lagging() && !cl.Peers[1].Lagging() {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("after backbone init: %+v", *cl)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Kill a node that does not lead the events stream, so the stream
	// answers at once; its replica falls behind.
	victim := slices.IndexFunc(c.Nodes, func(n *natstest.Node) bool { return n.Name != h.Cluster.Leader })
	c.Kill(victim)
	name := c.Nodes[victim].Name
	for {
		h = CheckBackbone(ctx, check)
		cl := h.Cluster
		down := cl.Nodes[victim].Err != nil && h.Leaves[victim].Err != nil
		lagging := slices.ContainsFunc(cl.Peers, func(p Replica) bool { return p.Name == name && p.Lagging() })
		if down && lagging && cl.JetStream == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("after killing %s: nodes %+v peers %+v js %v", name, cl.Nodes, cl.Peers, cl.JetStream)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i, n := range h.Cluster.Nodes {
		if (n.Err != nil) != (i == victim) || i != victim && !strings.HasPrefix(n.Server, "n") {
			t.Errorf("node %d: %+v", i, n)
		}
	}
}
