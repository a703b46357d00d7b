package sync

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/floorgate/floorgate/sync/natstest"
)

// TestBackbonePubackMeansInTheERPStream: on a three-node cluster laid out
// by SetUpBackbone (the MQTT store, $MQTT_msgs, R3, kept by age; the
// events stream sourced from it) the events stream holds every event an
// MQTT client got a PUBACK for, even when the MQTT store's leader is
// killed -9 while the client publishes: the PUBACK means stored by a
// quorum in the stream the events stream is sourced from, and the
// sourcing resumes by sequence. (With the store's default interest
// retention the same run loses events.)
func TestBackbonePubackMeansInTheERPStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := natstest.Start(t, natstest.Options{})
	nc, err := nats.Connect(c.NATSURLs(), nats.UserInfo("erp", "erp-secret"), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	bounded := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 5*time.Second) }
	rep, err := SetUpBackbone(ctx, BackboneLayout{NATS: c.NATSURLs(), MQTT: c.MQTTURLs()[0], Username: "erp", Password: "erp-secret", MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.SourceWasChanged || rep.SourceRetention != "Limits" || rep.Replicas != 3 || rep.SourceReplicas != 3 {
		t.Fatalf("layout: %+v", rep)
	}
	// Again: nothing left to change.
	if rep, err := SetUpBackbone(ctx, BackboneLayout{NATS: c.NATSURLs(), MQTT: c.MQTTURLs()[1], Username: "erp", Password: "erp-secret", MaxAge: time.Hour}); err != nil || rep.SourceWasChanged {
		t.Fatalf("second set-up: %+v %v", rep, err)
	}
	client := dialMQTT(t, c.MQTTURLs(), "gw-1")
	defer client.Disconnect(100)
	cctx, ccancel := bounded()
	msgs, err := js.Stream(cctx, "$MQTT_msgs")
	ccancel()
	if err != nil {
		t.Fatal(err)
	}
	cctx, ccancel = bounded()
	events, err := js.Stream(cctx, DefaultEventsStream)
	ccancel()
	if err != nil {
		t.Fatal(err)
	}
	leader := func(st jetstream.Stream) string {
		cctx, ccancel := bounded()
		defer ccancel()
		info, err := st.Info(cctx)
		if err != nil || info.Cluster == nil {
			return ""
		}
		return info.Cluster.Leader
	}

	// Publish 3000 events, one every millisecond or so; kill -9 the node
	// leading $MQTT_msgs a third of the way in.
	const n = 3000
	var mu sync.Mutex
	acked := map[int]bool{}
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		if i == n/3 {
			victim := leader(msgs)
			for j, node := range c.Nodes {
				if node.Name == victim {
					c.Kill(j)
				}
			}
			t.Logf("killed %s, the leader of $MQTT_msgs, after %d publishes", victim, i-1)
		}
		tok := client.Publish("floorgate/v1/s1/g1/events", 1, false, fmt.Sprintf(`{"seq":%d}`, i))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if tok.WaitTimeout(60*time.Second) && tok.Error() == nil {
				mu.Lock()
				acked[i] = true
				mu.Unlock()
			}
		}(i)
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	wg.Wait()
	t.Logf("PUBACKs all in %v after the last publish", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	// Every acked event must reach the events stream.
	got := map[int]bool{}
	deadline := time.Now().Add(60 * time.Second)
	cons, err := events.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	missing := func() int {
		n := 0
		for i := range acked {
			if !got[i] {
				n++
			}
		}
		return n
	}
	for time.Now().Before(deadline) && missing() > 0 {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			continue
		}
		for m := range batch.Messages() {
			s := strings.TrimSuffix(strings.TrimPrefix(string(m.Data()), `{"seq":`), "}")
			k, _ := strconv.Atoi(s)
			got[k] = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	lost := missing()
	t.Logf("acked=%d in_stream=%d lost=%d (read in %v)", len(acked), len(got), lost, time.Since(start).Round(time.Millisecond))
	if len(acked) < n || lost > 0 {
		t.Fatalf("acked %d of %d, lost %d", len(acked), n, lost)
	}
}

// dialMQTT connects a QoS 1 publisher as a gateway does: every node
// listed, a persistent session, reconnecting by itself.
func dialMQTT(t *testing.T, brokers []string, id string) mqtt.Client {
	t.Helper()
	o := mqtt.NewClientOptions().SetClientID(id).SetUsername("erp").SetPassword("erp-secret").SetCleanSession(false).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectTimeout(2 * time.Second).SetKeepAlive(2 * time.Second).
		SetPingTimeout(time.Second).SetMaxReconnectInterval(500 * time.Millisecond).SetOrderMatters(false).SetMaxResumePubInFlight(256)
	for _, b := range brokers {
		o.AddBroker(b)
	}
	c := mqtt.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	return c
}
