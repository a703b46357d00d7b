package natstest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/floorgate/floorgate/sync/mqtttest"
	"github.com/floorgate/floorgate/sync/natstest"
)

// A test is what Start takes.
var _ natstest.TB = (testing.TB)(nil)

// TestClusterSurvivesANodeKilled: three real nats-server processes form a
// JetStream cluster; an R3 stream over the events subjects captures what
// an MQTT client publishes at QoS 1 on any node (topic levels become
// subject tokens); with one node killed -9 the other two keep the stream
// (a quorum) and the MQTT client goes on through them; restarted on its
// store, the node catches up.
func TestClusterSurvivesANodeKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three nats-server processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := natstest.Start(t, natstest.Options{Users: []natstest.User{
		{Name: "erp", Password: "erp-secret"},
		{Name: "gw-s1-g1", Password: "gw-secret", Publish: []string{"floorgate.v1.s1.g1.>"}, Subscribe: []string{"floorgate.v1.s1.g1.commands"}},
	}})
	nc, err := nats.Connect(c.NATSURLs(), nats.UserInfo("erp", "erp-secret"), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "FLOORGATE_EVENTS", Subjects: []string{"floorgate.v1.*.*.events"},
		Replicas: 3, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	pub := func(broker string, from, to int) {
		t.Helper()
		// A node answers MQTT connects once its MQTT streams have
		// leaders again: after a kill that may take a few seconds.
		var p *mqtttest.Probe
		var err error
		for deadline := time.Now().Add(30 * time.Second); ; {
			if p, err = mqtttest.Dial(broker, fmt.Sprint("gw-", from), "gw-s1-g1", "gw-secret"); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		defer p.Close()
		for i := from; i < to; i++ {
			if err := p.Publish("floorgate/v1/s1/g1/events", fmt.Appendf(nil, `{"seq":%d}`, i)); err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
		}
	}
	count := func(want uint64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			info, err := st.Info(ctx)
			if err == nil && info.State.Msgs == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("stream holds %v (err %v), want %d", info, err, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	pub(c.MQTTURLs()[0], 0, 100)
	count(100)
	// Another site's topic is refused by the backbone itself.
	pub2, err := mqtttest.Dial(c.MQTTURLs()[1], "gw-other", "gw-s1-g1", "gw-secret")
	if err != nil {
		t.Fatal(err)
	}
	pub2.Publish("floorgate/v1/s2/g1/events", []byte(`{"seq":-1}`))
	pub2.Close()

	c.Kill(2)
	// Until the streams have leaders among the two left, a publish may
	// wait for the election (what a PUBACK means while that happens is
	// the backbone's business, not the harness's).
	for _, name := range []string{"FLOORGATE_EVENTS", "$MQTT_msgs"} {
		deadline := time.Now().Add(30 * time.Second)
		var last error
		for {
			cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
			s, err := js.Stream(cctx, name)
			if err == nil {
				var info *jetstream.StreamInfo
				info, err = s.Info(cctx)
				if err == nil && info.Cluster != nil && info.Cluster.Leader != "" && info.Cluster.Leader != c.Nodes[2].Name {
					ccancel()
					break
				}
				if err == nil {
					err = fmt.Errorf("cluster %+v", info.Cluster)
				}
			}
			ccancel()
			last = err
			if time.Now().After(deadline) {
				t.Fatalf("stream %s has no leader among the nodes left: %v", name, last)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	pub(c.MQTTURLs()[1], 100, 200)
	count(200)
	c.Restart(2)
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream after the restart: replicas %d, cluster %+v", info.Config.Replicas, info.Cluster)
	}
	sub, err := st.GetLastMsgForSubject(ctx, "floorgate.v1.s2.g1.events")
	if err == nil {
		t.Fatalf("another site's event reached the stream: %s", sub.Data)
	}
}
