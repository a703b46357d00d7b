package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/failpoint"
)

// Outbox is what the gateway drains: journalled events not yet
// acknowledged upstream.
type Outbox interface {
	// PendingEvents returns up to limit events above after, in order.
	PendingEvents(after uint64, limit int) ([]floorgate.Outgoing, error)
	// RetryPending returns dead letters an admin asked to send again.
	RetryPending() ([]floorgate.Outgoing, error)
	// JournalRange returns journal events from..to for a replay.
	JournalRange(from, to uint64, limit int) ([]floorgate.Outgoing, error)
	// Ack takes events out of the outbox.
	Ack(ctx context.Context, seqs []uint64) error
	// DeadLetter moves an event that cannot be sent to the dead letters.
	DeadLetter(ctx context.Context, ev floorgate.Outgoing, reason string) error
	// NewEvents is signalled when events were added.
	NewEvents() <-chan struct{}
	// Replays delivers ranges of events asked to be published again.
	Replays() <-chan floorgate.Replay
	// LastSeq is the newest event's sequence number.
	LastSeq() uint64
	// Incarnation is the database's current incarnation: the prefix of
	// the ids it gives now, and the seq it began at.
	Incarnation() floorgate.Incarnation
}

// Commands applies commands from upstream.
type Commands interface {
	ApplyCommand(ctx context.Context, raw []byte) (floorgate.CommandResult, error)
}

// Status is the upstream link as the status page shows it.
type Status struct {
	Connected     bool      `json:"connected"`
	Broker        string    `json:"broker,omitempty"`
	Epoch         uint64    `json:"epoch"`
	LastPubAck    time.Time `json:"last_puback,omitzero"`
	EventsPerSec  float64   `json:"events_per_s"`
	Published     uint64    `json:"published"`
	Messages      uint64    `json:"messages"` // that carried them: fewer with Config.BatchEvents
	Acknowledged  uint64    `json:"acknowledged"`
	Resent        uint64    `json:"resent"`
	DeadLettered  uint64    `json:"dead_lettered"`
	Commands      uint64    `json:"commands"`
	DownConnected bool      `json:"commands_connected"`
	LastError     string    `json:"last_error,omitempty"`
	// Central is the central stream's confirmations, when the broker is
	// the gateway's own joined to a cluster as a leaf (Config.Leaf).
	Central *CentralStatus `json:"central,omitempty"`
}

// Gateway links one floorgate to its broker.
type Gateway struct {
	cfg    Config
	topics Topics
	outbox Outbox
	cmds   Commands
	clock  floorgate.Clock
	log    *slog.Logger

	mu     gosync.Mutex
	status Status
	rate   rateMeter

	published, messages, acked, resent, dead, commands atomic.Uint64

	// With Config.Leaf: events the central stream confirmed; the highest
	// seq the site's broker stored in this process's life (the drain
	// starts above it); and a signal to send everything again.
	confirmedN  atomic.Uint64
	localCursor atomic.Uint64
	nudges      atomic.Uint64
	rewind      chan struct{}
}

// New checks the configuration and returns a gateway link; Run starts it.
func New(cfg Config, outbox Outbox, cmds Commands, clock floorgate.Clock, log *slog.Logger) (*Gateway, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("mqtt: %w", err)
	}
	if clock == nil {
		clock = floorgate.SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Leaf != nil {
		l := *cfg.Leaf
		l.setDefaults()
		cfg.Leaf = &l
	}
	return &Gateway{cfg: cfg, topics: TopicsFor(cfg.Site, cfg.Gateway), outbox: outbox, cmds: cmds, clock: clock, log: log,
		rewind: make(chan struct{}, 1)}, nil
}

// Status reports the link.
func (g *Gateway) Status() Status {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.status
	s.Published, s.Messages, s.Acknowledged, s.Resent = g.published.Load(), g.messages.Load(), g.acked.Load(), g.resent.Load()
	s.DeadLettered, s.Commands = g.dead.Load(), g.commands.Load()
	s.EventsPerSec = g.rate.perSecond(g.clock.Now())
	if s.Central != nil {
		c := *s.Central
		c.Confirmed, c.Nudges = g.confirmedN.Load(), g.nudges.Load()
		if through := g.localCursor.Load(); through > 0 {
			if p, err := g.outbox.PendingEvents(0, 1); err == nil && len(p) == 1 && p[0].Seq <= through {
				c.AwaitingCentral = through - p[0].Seq + 1
			}
		}
		s.Central = &c
	}
	return s
}

func (g *Gateway) setStatus(f func(*Status)) {
	g.mu.Lock()
	f(&g.status)
	g.mu.Unlock()
}

// Run keeps the gateway linked until ctx ends: events go up, commands come
// down. It returns nil when ctx ends.
func (g *Gateway) Run(ctx context.Context) error {
	var wg gosync.WaitGroup
	if g.cfg.Leaf != nil {
		g.setCentral(func(*CentralStatus) {})
		for attempt := 0; ; attempt++ {
			err := g.cfg.Leaf.prepareStore(ctx, g.cfg.Site, g.cfg.Gateway)
			if err == nil {
				break
			}
			g.setCentral(func(c *CentralStatus) { c.LastError = err.Error() })
			g.log.Error("leaf", "err", err)
			if !g.backoff(ctx, attempt) {
				return nil
			}
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			g.runConfirm(ctx)
		}()
		go func() {
			defer wg.Done()
			g.watchExpiry(ctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		g.runDown(ctx)
	}()
	g.runUp(ctx)
	wg.Wait()
	return nil
}

func (g *Gateway) options(clientID string) (*mqtt.ClientOptions, error) {
	o := mqtt.NewClientOptions()
	for _, b := range g.cfg.Brokers {
		o.AddBroker(b)
	}
	o.SetClientID(clientID)
	// MQTT 3.1.1 only: left open, paho falls back to 3.1 after a refused
	// handshake and keeps it for every other broker of the list, which a
	// NATS node refuses ("MQIsdp"), so the gateway could not fail over.
	o.SetProtocolVersion(4)
	o.SetUsername(g.cfg.Username)
	o.SetPassword(g.cfg.Password)
	o.SetKeepAlive(g.cfg.Keepalive)
	o.SetPingTimeout(g.cfg.Keepalive / 2)
	o.SetConnectTimeout(g.cfg.ConnectTimeout)
	o.SetWriteTimeout(g.cfg.Keepalive)
	o.SetMaxResumePubInFlight(g.cfg.Window)
	// Gather the client's writes: a PUBLISH each is a syscall each.
	o.SetCustomOpenConnectionFn(openConn)
	t, err := g.cfg.TLSConfig()
	if err != nil {
		return nil, err
	}
	if t != nil {
		o.SetTLSConfig(t)
	}
	return o, nil
}

// StatusMessage is the retained message on a gateway's status topic.
type StatusMessage struct {
	State   string    `json:"state"`
	Site    string    `json:"site"`
	Gateway string    `json:"gateway"`
	Version string    `json:"version,omitempty"`
	Time    time.Time `json:"time"`
	Reason  string    `json:"reason,omitempty"`
	// LastSeq is the newest event's sequence number when the status was
	// sent: a consumer behind it has missed events.
	LastSeq uint64 `json:"last_seq,omitempty"`
	// Incarnation is the gateway's current incarnation and IncarnationSeq
	// the seq it began at: the gateway's events from IncarnationSeq on
	// are that incarnation's (contract §11).
	Incarnation    string `json:"incarnation,omitempty"`
	IncarnationSeq uint64 `json:"incarnation_seq,omitempty"`
}

func (g *Gateway) statusPayload(state, reason string) []byte {
	inc := g.outbox.Incarnation()
	b, _ := json.Marshal(StatusMessage{State: state, Site: g.cfg.Site, Gateway: g.cfg.Gateway, Version: g.cfg.Version,
		Time: g.clock.Now().UTC(), Reason: reason, LastSeq: g.outbox.LastSeq(), Incarnation: inc.ID, IncarnationSeq: inc.FirstSeq})
	return b
}

// backoff waits before the next connection attempt, with jitter; it
// reports false when ctx ended.
func (g *Gateway) backoff(ctx context.Context, attempt int) bool {
	d := g.cfg.BackoffMin << min(attempt, 16)
	if d > g.cfg.BackoffMax || d <= 0 {
		d = g.cfg.BackoffMax
	}
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// wait waits for a token, or for ctx.
func wait(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runUp connects the publishing client again and again and drains the
// outbox over each connection. Each connection is an epoch: only a PUBACK
// that completes while its own connection is still up counts.
func (g *Gateway) runUp(ctx context.Context) {
	attempt := 0
	var epoch uint64
	for ctx.Err() == nil {
		opts, err := g.options(ClientID(g.cfg.Site, g.cfg.Gateway, "up"))
		if err != nil {
			g.log.Error("mqtt options", "err", err)
			return
		}
		// The broker (with a cluster, the node) this connection reached:
		// the last address opened before the CONNACK.
		var dialed atomic.Pointer[string]
		opts.SetCustomOpenConnectionFn(func(u *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
			c, err := openConn(u, o)
			if err == nil {
				shown := *u
				shown.User = nil
				s := shown.String()
				dialed.Store(&s)
			}
			return c, err
		})
		lost := make(chan struct{})
		var lostOnce gosync.Once
		opts.SetCleanSession(true)
		opts.SetAutoReconnect(false)
		opts.SetBinaryWill(g.topics.Status, g.statusPayload("offline", "connection lost"), 1, true)
		opts.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			g.log.Warn("mqtt connection lost", "err", err)
			lostOnce.Do(func() { close(lost) })
		})
		client := mqtt.NewClient(opts)
		if err := wait(ctx, client.Connect()); err != nil {
			if ctx.Err() != nil {
				return
			}
			g.setStatus(func(s *Status) { s.Connected, s.LastError = false, err.Error() })
			g.log.Warn("mqtt connect", "brokers", g.cfg.Brokers, "err", err)
			if !g.backoff(ctx, attempt) {
				return
			}
			attempt++
			continue
		}
		epoch++
		broker := ""
		if d := dialed.Load(); d != nil {
			broker = *d
		}
		g.setStatus(func(s *Status) { s.Connected, s.Broker, s.Epoch, s.LastError = true, broker, epoch, "" })
		g.log.Info("mqtt connected", "broker", broker, "epoch", epoch)
		client.Publish(g.topics.Status, 1, true, g.statusPayload("online", ""))
		progressed, err := g.drain(ctx, client, lost)
		g.setStatus(func(s *Status) { s.Connected = false })
		if err != nil && ctx.Err() == nil {
			g.setStatus(func(s *Status) { s.LastError = err.Error() })
			g.log.Warn("mqtt drain stopped", "err", err)
		}
		if ctx.Err() != nil {
			tok := client.Publish(g.topics.Status, 1, true, g.statusPayload("offline", "shutdown"))
			tok.WaitTimeout(time.Second)
			client.Disconnect(250)
			return
		}
		client.Disconnect(0)
		if progressed {
			attempt = 0
		}
		if !g.backoff(ctx, attempt) {
			return
		}
		attempt++
	}
}

// result is a completed publish of one message and the events it carried.
type result struct {
	evs []floorgate.Outgoing
	err error
}

// sent is a publish of one message whose PUBACK is awaited.
type sent struct {
	tok mqtt.Token
	evs []floorgate.Outgoing
}

// awaitInOrder delivers the result of each publish from sentCh to
// results, in the order they were sent, until stop is closed. One
// goroutine waits for them all: QoS 1 PUBACKs come in the order the
// publishes went, and waiting in that order can only delay a result,
// never lose one.
func awaitInOrder(sentCh <-chan sent, results chan<- result, stop <-chan struct{}) {
	for {
		var s sent
		select {
		case s = <-sentCh:
		case <-stop:
			return
		}
		select {
		case <-s.tok.Done():
		case <-stop:
			return
		}
		select {
		case results <- result{evs: s.evs, err: s.tok.Error()}:
		case <-stop:
			return
		}
	}
}

// ackBatch is the most acknowledgements the drain holds before it hands
// them to the outbox: the store's bound on a crash's resends counts on it
// (store/outbox.go).
const ackBatch = 4096

// batchMax is the most events one message carries.
func (g *Gateway) batchMax() int { return max(g.cfg.BatchEvents, 1) }

// payload is the message that carries evs: the event itself, or a JSON
// array of the envelopes in seq order (contract §5).
func payload(evs []floorgate.Outgoing) []byte {
	if len(evs) == 1 {
		return evs[0].Payload
	}
	n := len(evs) + 1
	for _, ev := range evs {
		n += len(ev.Payload)
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, ev := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, ev.Payload...)
	}
	return append(b, ']')
}

// drain publishes the outbox in sequence order, at most Window at a time,
// until the connection is lost or ctx ends. It reports whether any event
// was acknowledged.
func (g *Gateway) drain(ctx context.Context, client mqtt.Client, lost <-chan struct{}) (bool, error) {
	results := make(chan result, g.cfg.Window+1)
	inflight := 0
	var cursor uint64
	if g.cfg.Leaf != nil {
		// What the site's broker stored is the central stream's to take.
		cursor = g.localCursor.Load()
	}
	var acks []uint64
	progressed := false
	ticker := time.NewTicker(g.cfg.AckEvery)
	defer ticker.Stop()
	statusTick := time.NewTicker(g.cfg.StatusEvery)
	defer statusTick.Stop()

	// Acknowledgements go to the outbox from their own goroutine, in
	// batches, so the drain never waits for the disk: Ack moves the
	// watermark in memory and writes it lazily, now and then waiting for a
	// commit. One lost in a crash only makes its event go again.
	ackCh := make(chan []uint64, 64)
	ackErr := make(chan error, 1)
	ackDone := make(chan struct{})
	go func() {
		defer close(ackDone)
		for batch := range ackCh {
			// Chaos boundary: PUBACKed, still in the outbox (sent again).
			failpoint.Inject("sync/after-puback")
			if err := g.outbox.Ack(context.WithoutCancel(ctx), batch); err != nil {
				select {
				case ackErr <- err:
				default:
				}
				continue
			}
			g.acked.Add(uint64(len(batch)))
			g.rate.add(g.clock.Now(), len(batch))
		}
	}()
	defer func() {
		close(ackCh)
		<-ackDone
	}()
	// Publishes wait for their PUBACKs in one goroutine. At most Window
	// are in flight, so neither channel ever fills.
	sentCh := make(chan sent, g.cfg.Window)
	stopWait := make(chan struct{})
	waitDone := make(chan struct{})
	go func() {
		defer close(waitDone)
		awaitInOrder(sentCh, results, stopWait)
	}()
	defer func() {
		close(stopWait)
		<-waitDone
	}()
	flush := func() error {
		select {
		case err := <-ackErr:
			return fmt.Errorf("ack: %w", err)
		default:
		}
		if len(acks) == 0 {
			return nil
		}
		ackCh <- acks
		acks = make([]uint64, 0, min(g.cfg.Window*g.batchMax(), ackBatch))
		progressed = true
		return nil
	}
	publish := func(evs ...floorgate.Outgoing) {
		tok := client.Publish(g.topics.Events, 1, false, payload(evs))
		g.published.Add(uint64(len(evs)))
		g.messages.Add(1)
		inflight++
		sentCh <- sent{tok: tok, evs: evs}
	}
	connectionUp := func() bool {
		select {
		case <-lost:
			return false
		default:
			return client.IsConnectionOpen()
		}
	}

	// What an admin asked to send again goes first.
	retry, err := g.outbox.RetryPending()
	if err != nil {
		return false, err
	}
	for _, ev := range retry {
		for inflight >= g.cfg.Window {
			if r := <-results; !g.settle(r, connectionUp, &acks, &inflight) {
				return progressed, flush()
			}
		}
		publish(ev)
	}

	var queue []floorgate.Outgoing // fetched from the outbox, not yet published
	for {
		// Fill the window, fetching from the outbox in batches. A message
		// carries what is waiting, up to batchMax events: it never waits
		// for more to come.
		for inflight < g.cfg.Window {
			if len(queue) == 0 {
				batch, err := g.outbox.PendingEvents(cursor, max(g.cfg.Window, 512, g.batchMax()))
				if err != nil {
					return progressed, err
				}
				if len(batch) == 0 {
					break
				}
				cursor = batch[len(batch)-1].Seq
				queue = batch
			}
			ev := queue[0]
			if len(ev.Payload) > g.cfg.MaxMessageBytes {
				queue = queue[1:]
				reason := fmt.Sprintf("event is %d bytes; the broker takes at most %d", len(ev.Payload), g.cfg.MaxMessageBytes)
				if err := g.outbox.DeadLetter(context.WithoutCancel(ctx), ev, reason); err != nil {
					return progressed, err
				}
				g.dead.Add(1)
				continue
			}
			n, size := 1, len(ev.Payload)+2 // the array's brackets
			for n < len(queue) && n < g.batchMax() && size+1+len(queue[n].Payload) <= g.cfg.MaxMessageBytes {
				size += 1 + len(queue[n].Payload)
				n++
			}
			publish(queue[:n:n]...)
			queue = queue[n:]
		}
		select {
		case r := <-results:
			if !g.settle(r, connectionUp, &acks, &inflight) {
				return progressed, flush()
			}
			progressed = progressed || g.cfg.Leaf != nil
			if len(acks)+g.batchMax() > ackBatch {
				if err := flush(); err != nil {
					return progressed, err
				}
			}
		case <-ticker.C:
			if err := flush(); err != nil {
				return progressed, err
			}
		case <-statusTick.C:
			client.Publish(g.topics.Status, 1, true, g.statusPayload("online", ""))
		case <-g.outbox.NewEvents():
		case rp := <-g.outbox.Replays():
			g.replay(ctx, client, rp)
		case <-g.rewind:
			cursor, queue = 0, nil
		case <-lost:
			return progressed, errors.Join(errors.New("connection lost"), flush())
		case <-ctx.Done():
			return progressed, flush()
		}
	}
}

// settle takes a completed publish. A PUBACK counts only if it completed
// without error while this connection is still up, and then for every
// event of the message; otherwise they stay in the outbox and go again on
// the next connection. It reports false when the connection is gone.
func (g *Gateway) settle(r result, connectionUp func() bool, acks *[]uint64, inflight *int) bool {
	*inflight--
	if r.err == nil && connectionUp() {
		if g.cfg.Leaf != nil {
			// Stored on this machine: the central stream confirms.
			for _, ev := range r.evs {
				for cur := g.localCursor.Load(); ev.Seq > cur && !g.localCursor.CompareAndSwap(cur, ev.Seq); cur = g.localCursor.Load() {
				}
			}
			g.setStatus(func(s *Status) { s.LastPubAck = g.clock.Now() })
			return true
		}
		for _, ev := range r.evs {
			*acks = append(*acks, ev.Seq)
		}
		g.setStatus(func(s *Status) { s.LastPubAck = g.clock.Now() })
		return true
	}
	g.resent.Add(uint64(len(r.evs)))
	return false
}

// replay publishes journal events again for a consumer that lost them.
func (g *Gateway) replay(ctx context.Context, client mqtt.Client, rp floorgate.Replay) {
	for from := rp.From; from <= rp.To && ctx.Err() == nil; {
		evs, err := g.outbox.JournalRange(from, rp.To, 1000)
		if err != nil || len(evs) == 0 {
			if err != nil {
				g.log.Error("replay", "err", err)
			}
			return
		}
		for _, ev := range evs {
			client.Publish(g.topics.Events, 1, false, ev.Payload)
		}
		from = evs[len(evs)-1].Seq + 1
	}
	g.log.Info("events replayed", "from", rp.From, "to", rp.To)
}

// runDown keeps the command subscription: a persistent session, so
// commands sent while the gateway was away arrive when it is back. A
// command is acknowledged to the broker only after it was applied or
// refused (and the answer committed); one that fails for a fault of the
// gateway is not acknowledged and comes again.
func (g *Gateway) runDown(ctx context.Context) {
	opts, err := g.options(ClientID(g.cfg.Site, g.cfg.Gateway, "down"))
	if err != nil {
		g.log.Error("mqtt options", "err", err)
		return
	}
	opts.SetCleanSession(false)
	opts.SetAutoReconnect(true)
	opts.SetConnectRetry(true)
	opts.SetConnectRetryInterval(g.cfg.BackoffMin)
	opts.SetMaxReconnectInterval(g.cfg.BackoffMax)
	opts.SetOrderMatters(true)
	opts.SetAutoAckDisabled(true)
	handler := func(_ mqtt.Client, m mqtt.Message) {
		res, err := g.cmds.ApplyCommand(ctx, m.Payload())
		if err != nil {
			g.log.Error("command not applied; it will come again", "err", err)
			return
		}
		g.commands.Add(1)
		g.log.Info("command", "id", res.ID, "type", res.Type, "applied", res.Applied, "duplicate", res.Duplicate,
			"field", res.Field, "reason", res.Reason)
		m.Ack()
	}
	opts.SetOnConnectHandler(func(c mqtt.Client) {
		tok := c.Subscribe(g.topics.Commands, 1, handler)
		go func() {
			// Connected for commands once the subscription holds.
			if tok.Wait() && tok.Error() == nil {
				g.setStatus(func(s *Status) { s.DownConnected = true })
			} else {
				g.log.Warn("mqtt subscribe to commands", "err", tok.Error())
			}
		}()
	})
	opts.SetConnectionLostHandler(func(mqtt.Client, error) { g.setStatus(func(s *Status) { s.DownConnected = false }) })
	opts.SetDefaultPublishHandler(handler)
	client := mqtt.NewClient(opts)
	client.Connect()
	<-ctx.Done()
	client.Disconnect(250)
	g.setStatus(func(s *Status) { s.DownConnected = false })
}

// rateMeter counts acknowledged events over the last seconds.
type rateMeter struct {
	mu      gosync.Mutex
	buckets [8]struct {
		sec int64
		n   int
	}
}

func (r *rateMeter) add(now time.Time, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := now.Unix()
	b := &r.buckets[s%int64(len(r.buckets))]
	if b.sec != s {
		b.sec, b.n = s, 0
	}
	b.n += n
}

// perSecond is the mean over the last complete seconds.
func (r *rateMeter) perSecond(now time.Time) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := now.Unix()
	total, secs := 0, 0
	for _, b := range r.buckets {
		if b.sec < s && b.sec >= s-int64(len(r.buckets)-1) {
			total += b.n
			secs++
		}
	}
	if secs == 0 {
		return 0
	}
	return float64(total) / float64(len(r.buckets)-1)
}

// ClientID is the gateway's MQTT client id for one of its connections (up
// or down): "floorgate-{site}-{gateway}-{role}". A NATS broker refuses a
// client id holding ".", "*", ">", "%" or white space, so each such byte of
// the ids is written as "%" and its two hex digits ("SZ.01" becomes
// "SZ%2E01"); ids without them are used as they are.
func ClientID(site, gateway, role string) string {
	return "floorgate-" + escapeClientID(site) + "-" + escapeClientID(gateway) + "-" + role
}

func escapeClientID(s string) string {
	if !strings.ContainsAny(s, ".*>% \t\r\n\f\v") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '.', '*', '>', '%', ' ', '\t', '\r', '\n', '\f', '\v':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
