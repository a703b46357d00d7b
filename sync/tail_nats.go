package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/floorgate/floorgate/sync/broker"
)

// Backbone defaults: the stream the sites' events are gathered in and the
// durable consumer the ERP's workers share.
const (
	DefaultEventsStream = "FLOORGATE_EVENTS"
	DefaultDurable      = "erp"
	defaultWorkers      = 2
)

// natsSource feeds a Tail from the backbone: workers pulling one durable
// consumer (each event to one of them), the gateways' status messages as
// they are published, and commands published on the gateways' command
// subjects.
type natsSource struct {
	nc      *nats.Conn
	consume []jetstream.ConsumeContext
	status  *nats.Subscription
	mu      gosync.Mutex
	perWork []int // events taken by each worker
	// commands, when set (TailConfig.Commands), sends the commands over
	// MQTT to the cluster's MQTT listener.
	commands mqtt.Client
}

// startNATS binds the workers to the durable consumer on the events
// stream, creating the consumer when it does not exist yet.
func (t *Tail) startNATS(ctx context.Context) error {
	stream, durable, workers := t.cfg.Stream, t.cfg.Durable, t.cfg.Workers
	if stream == "" {
		stream = DefaultEventsStream
	}
	if durable == "" {
		durable = DefaultDurable
	}
	if workers <= 0 {
		workers = defaultWorkers
	}
	opts := []nats.Option{nats.Name(t.cfg.ClientID), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	if t.cfg.Username != "" {
		opts = append(opts, nats.UserInfo(t.cfg.Username, t.cfg.Password))
	}
	nc, err := nats.Connect(t.cfg.NATS, opts...)
	if err != nil {
		return fmt.Errorf("erp-tail connect %s: %w", t.cfg.NATS, err)
	}
	src := &natsSource{nc: nc, perWork: make([]int, workers)}
	fail := func(err error) error {
		src.close()
		return err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fail(fmt.Errorf("erp-tail jetstream: %w", err))
	}
	st, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fail(fmt.Errorf("erp-tail: the backbone has no stream %s (docs/mqtt-contract.md, NATS backbone)", stream))
	}
	if err != nil {
		return fail(fmt.Errorf("erp-tail stream %s: %w", stream, err))
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: durable, AckPolicy: jetstream.AckExplicitPolicy,
		FilterSubject: broker.Subject(t.cfg.Filter), MaxAckPending: 8192, AckWait: 30 * time.Second})
	if err != nil {
		return fail(fmt.Errorf("erp-tail consumer %s on %s: %w", durable, stream, err))
	}
	// A pull request sent before the new consumer has a leader is lost,
	// and the worker would idle until it expired: start pulling once
	// there is one (or, on a cluster slow to elect it, after a while
	// anyway; the short expiry below then retries the pull soon).
	if err := awaitConsumerLeader(ctx, cons, consumerLeaderPatience); ctx.Err() != nil {
		return fail(ctx.Err())
	} else if err != nil {
		t.cfg.Log.Warn("erp-tail: the consumer has no leader yet; pulling anyway", "consumer", durable, "err", err)
	}
	for w := range workers {
		cc, err := cons.Consume(func(m jetstream.Msg) {
			t.message(broker.Topic(m.Subject()), m.Data())
			src.mu.Lock()
			src.perWork[w]++
			src.mu.Unlock()
			// Acknowledged once taken: a worker that dies before this
			// leaves the event to another after AckWait.
			m.Ack()
		}, jetstream.PullExpiry(pullExpiry))
		if err != nil {
			return fail(fmt.Errorf("erp-tail worker %d: %w", w+1, err))
		}
		src.consume = append(src.consume, cc)
	}
	status := broker.Subject(strings.TrimSuffix(t.cfg.Filter, "/events") + "/status")
	if src.status, err = nc.Subscribe(status, func(m *nats.Msg) { t.status(m.Data) }); err != nil {
		return fail(fmt.Errorf("erp-tail subscribe %s: %w", status, err))
	}
	if t.cfg.Commands != "" {
		o := mqtt.NewClientOptions().AddBroker(t.cfg.Commands).SetClientID(t.cfg.ClientID + "-commands").
			SetUsername(t.cfg.Username).SetPassword(t.cfg.Password).SetProtocolVersion(4).
			SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(true).
			SetConnectRetryInterval(250 * time.Millisecond).SetMaxReconnectInterval(2 * time.Second)
		src.commands = mqtt.NewClient(o)
		if err := wait(ctx, src.commands.Connect()); err != nil {
			return fail(fmt.Errorf("erp-tail connect %s (commands): %w", t.cfg.Commands, err))
		}
	}
	t.nats = src
	return nil
}

// Pulling from the durable consumer: how long a new consumer may take to
// get a leader before the workers pull anyway, and how long one pull
// request waits: a request lost in a leader change is sent again after
// at most that long (the client's default is 30 s).
const (
	consumerLeaderPatience = 10 * time.Second
	pullExpiry             = 5 * time.Second
)

// awaitConsumerLeader waits until the consumer's info names a leader, at
// most patience. A consumer on a server outside a cluster has no cluster
// info and needs no election.
func awaitConsumerLeader(ctx context.Context, cons jetstream.Consumer, patience time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, patience)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		info, err := cons.Info(ctx)
		if err == nil && (info.Cluster == nil || info.Cluster.Leader != "") {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New("no leader")
			}
			return fmt.Errorf("consumer leader: %w", err)
		case <-tick.C:
		}
	}
}

// publish sends a command to a gateway: at QoS 1 through the cluster's
// MQTT listener when TailConfig.Commands names it — kept in the cluster's
// MQTT store for a gateway that is away, and taken by a leaf site's store
// — otherwise as a plain NATS message on the gateway's command subject,
// which reaches only a gateway connected over MQTT at that moment.
func (s *natsSource) publish(topic string, payload []byte) {
	if s.commands != nil {
		s.commands.Publish(topic, 1, false, payload)
		return
	}
	s.nc.Publish(broker.Subject(topic), payload)
}

// WorkerCounts reports how many events each of the process's workers
// took from the backbone; nil when the Tail reads MQTT.
func (t *Tail) WorkerCounts() []int {
	if t.nats == nil {
		return nil
	}
	t.nats.mu.Lock()
	defer t.nats.mu.Unlock()
	return append([]int(nil), t.nats.perWork...)
}

func (s *natsSource) close() {
	for _, cc := range s.consume {
		cc.Stop()
	}
	if s.status != nil {
		s.status.Unsubscribe()
	}
	if s.commands != nil {
		s.commands.Disconnect(250)
	}
	s.nc.Close()
}

// ERPPermissions are what the ERP's user on the backbone needs for
// erp-tail --nats (with the default stream and durable consumer) and no
// more: the durable consumer of the events stream, its acknowledgements,
// the gateways' status and commands, and its own inboxes. Sending commands
// through the cluster's MQTT listener (--mqtt) needs nothing more: the
// cluster's MQTT layer grants its own subjects.
var ERPPermissions = struct{ Publish, Subscribe []string }{
	Publish: []string{"$JS.API.STREAM.INFO." + DefaultEventsStream, "$JS.API.CONSUMER.CREATE." + DefaultEventsStream + ".>",
		"$JS.API.CONSUMER.INFO." + DefaultEventsStream + ".>", "$JS.API.CONSUMER.MSG.NEXT." + DefaultEventsStream + ".>",
		"$JS.ACK." + DefaultEventsStream + ".>", "floorgate.v1.*.*.commands"},
	Subscribe: []string{"floorgate.v1.*.*.status", "_INBOX.>"},
}
