package natstest_test

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

// TestPubackMeansInTheERPStream: on a three-node cluster whose MQTT store
// ($MQTT_msgs, R3) keeps messages by age, an events stream that sources
// from it holds every event an MQTT client got a PUBACK for, even when the
// leader of both streams is killed -9 while the client publishes: the
// PUBACK means stored by a quorum in the stream the events stream is
// sourced from, and the sourcing resumes by sequence.
func TestPubackMeansInTheERPStream(t *testing.T) {
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
	// The MQTT store exists once a QoS 1 message was stored.
	client := dialMQTT(t, c.MQTTURLs(), "gw-1")
	defer client.Disconnect(100)
	if tok := client.Publish("floorgate/v1/s1/g1/events", 1, false, `{"seq":0}`); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("first publish: %v", tok.Error())
	}
	bounded := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 5*time.Second) }
	cctx, ccancel := bounded()
	msgs, err := js.Stream(cctx, "$MQTT_msgs")
	ccancel()
	if err != nil {
		t.Fatal(err)
	}
	cfg := msgs.CachedInfo().Config
	cfg.Retention, cfg.MaxAge = jetstream.LimitsPolicy, time.Hour
	cctx, ccancel = bounded()
	_, err = js.UpdateStream(cctx, cfg)
	ccancel()
	if err != nil {
		t.Fatalf("$MQTT_msgs to limits retention: %v", err)
	}
	cctx, ccancel = bounded()
	events, err := js.CreateStream(cctx, jetstream.StreamConfig{Name: "FLOORGATE_EVENTS", Replicas: 3, Storage: jetstream.FileStorage,
		Sources: []*jetstream.StreamSource{{Name: "$MQTT_msgs",
			SubjectTransforms: []jetstream.SubjectTransformConfig{{Source: "$MQTT.msgs.floorgate.v1.*.*.events", Destination: "floorgate.v1.{{wildcard(1)}}.{{wildcard(2)}}.events"}}}}})
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
