package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	gosync "sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/floorgate/floorgate"
)

// TailConfig configures the reference ERP consumer.
type TailConfig struct {
	Broker   string
	ClientID string
	Username string
	Password string
	// Filter is the events topic filter; by default every site and gateway.
	Filter string
	// Share, when set, subscribes as the shared subscription $share/Share/…
	// so several consumers split the load.
	Share string
	// Replay asks a gateway to publish a missing range again once a gap has
	// stayed open for GapGrace.
	Replay   bool
	GapGrace time.Duration
	// Out receives every new event as one JSON line.
	Out io.Writer
	Log *slog.Logger
}

// Tail is the reference ERP consumer: it deduplicates events by id,
// tracks each gateway's sequence numbers to find gaps, and writes what is
// new as JSON lines.
type Tail struct {
	cfg    TailConfig
	client mqtt.Client

	mu         gosync.Mutex
	seen       map[string]bool
	gateways   map[string]*gatewaySeqs // site/gateway → sequence state
	received   int
	duplicates int
	events     chan floorgate.Event
}

// gatewaySeqs is what one gateway's stream looks like to the consumer.
type gatewaySeqs struct {
	site, gateway string
	contiguous    uint64          // every seq up to here was received
	above         map[uint64]bool // received beyond contiguous
	top           uint64          // newest seq the gateway says it has
	gapSince      time.Time       // when the current gap was first seen
	asked         uint64          // highest seq a replay was asked up to
}

// highest is the newest seq known to exist: received or announced.
func (g *gatewaySeqs) highest() uint64 {
	top := g.top
	for s := range g.above {
		top = max(top, s)
	}
	return top
}

// behind reports whether events are known to be missing.
func (g *gatewaySeqs) behind() bool { return g.highest() > g.contiguous }

func (g *gatewaySeqs) noteGap() {
	if !g.behind() {
		g.gapSince = time.Time{}
	} else if g.gapSince.IsZero() {
		g.gapSince = time.Now()
	}
}

// TailStats is what the consumer has seen.
type TailStats struct {
	Received   int
	Unique     int
	Duplicates int
	// Gaps lists, per "site/gateway", the missing sequence numbers below
	// the highest one received.
	Gaps map[string][]uint64
	// Highest is the highest contiguous sequence number per gateway.
	Contiguous map[string]uint64
}

// NewTail returns a consumer; Start connects it.
func NewTail(cfg TailConfig) *Tail {
	if cfg.Filter == "" {
		cfg.Filter = "floorgate/v1/+/+/events"
	}
	if cfg.ClientID == "" {
		cfg.ClientID = fmt.Sprintf("floorgate-erp-tail-%d", time.Now().UnixNano())
	}
	if cfg.GapGrace == 0 {
		cfg.GapGrace = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Tail{cfg: cfg, seen: map[string]bool{}, gateways: map[string]*gatewaySeqs{}, events: make(chan floorgate.Event, 4096)}
}

// Events delivers each new (deduplicated) event; when nobody reads, the
// oldest are dropped from this channel (never from the stats or Out).
func (t *Tail) Events() <-chan floorgate.Event { return t.events }

// Start connects with a persistent session and subscribes.
func (t *Tail) Start(ctx context.Context) error {
	o := mqtt.NewClientOptions().AddBroker(t.cfg.Broker).SetClientID(t.cfg.ClientID).
		SetUsername(t.cfg.Username).SetPassword(t.cfg.Password).
		SetCleanSession(false).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(250 * time.Millisecond).SetMaxReconnectInterval(2 * time.Second).
		SetKeepAlive(10 * time.Second).SetOrderMatters(true)
	filter := t.cfg.Filter
	if t.cfg.Share != "" {
		filter = "$share/" + t.cfg.Share + "/" + filter
	}
	status := strings.TrimSuffix(t.cfg.Filter, "/events") + "/status"
	o.SetOnConnectHandler(func(c mqtt.Client) {
		c.Subscribe(filter, 1, t.handle)
		c.Subscribe(status, 1, t.handleStatus)
	})
	o.SetDefaultPublishHandler(t.handle)
	t.client = mqtt.NewClient(o)
	tok := t.client.Connect()
	if err := wait(ctx, tok); err != nil {
		return fmt.Errorf("erp-tail connect %s: %w", t.cfg.Broker, err)
	}
	if t.cfg.Replay {
		go t.replayLoop(ctx)
	}
	return nil
}

// Close disconnects.
func (t *Tail) Close() {
	if t.client != nil {
		t.client.Disconnect(250)
	}
}

// gateway is the sequence state of one gateway. Callers hold mu.
func (t *Tail) gateway(site, gw string) *gatewaySeqs {
	key := site + "/" + gw
	g := t.gateways[key]
	if g == nil {
		g = &gatewaySeqs{site: site, gateway: gw, above: map[uint64]bool{}}
		t.gateways[key] = g
	}
	return g
}

// handleStatus learns how far a gateway's stream goes.
func (t *Tail) handleStatus(_ mqtt.Client, m mqtt.Message) {
	var s StatusMessage
	if err := json.Unmarshal(m.Payload(), &s); err != nil || s.Site == "" || s.Gateway == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.gateway(s.Site, s.Gateway)
	g.top = max(g.top, s.LastSeq)
	g.noteGap()
}

func (t *Tail) handle(_ mqtt.Client, m mqtt.Message) {
	if strings.HasSuffix(m.Topic(), "/status") {
		t.handleStatus(nil, m)
		return
	}
	var ev floorgate.Event
	if err := json.Unmarshal(m.Payload(), &ev); err != nil || ev.ID == "" || ev.Seq == 0 {
		t.cfg.Log.Warn("not an event", "topic", m.Topic(), "err", err)
		return
	}
	t.mu.Lock()
	t.received++
	if t.seen[ev.ID] {
		t.duplicates++
		t.mu.Unlock()
		return
	}
	t.seen[ev.ID] = true
	g := t.gateway(ev.Site, ev.Gateway)
	if ev.Seq > g.contiguous {
		g.above[ev.Seq] = true
		for g.above[g.contiguous+1] {
			delete(g.above, g.contiguous+1)
			g.contiguous++
		}
	}
	g.noteGap()
	if t.cfg.Out != nil {
		t.cfg.Out.Write(append(slices.Clone(m.Payload()), '\n'))
	}
	t.mu.Unlock()
	select {
	case t.events <- ev:
	default:
		select {
		case <-t.events:
		default:
		}
		select {
		case t.events <- ev:
		default:
		}
	}
}

// replayLoop asks gateways to publish again what stayed missing.
func (t *Tail) replayLoop(ctx context.Context) {
	tick := time.NewTicker(t.cfg.GapGrace / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		type ask struct {
			topic    string
			from, to uint64
		}
		var asks []ask
		t.mu.Lock()
		for _, g := range t.gateways {
			if !g.behind() || g.gapSince.IsZero() || time.Since(g.gapSince) < t.cfg.GapGrace {
				continue
			}
			top := min(g.highest(), g.contiguous+floorgate.MaxReplay)
			if g.asked >= top && time.Since(g.gapSince) < 4*t.cfg.GapGrace {
				continue
			}
			asks = append(asks, ask{TopicsFor(g.site, g.gateway).Commands, g.contiguous + 1, top})
			g.asked, g.gapSince = top, time.Now()
		}
		t.mu.Unlock()
		for _, a := range asks {
			cmd, _ := json.Marshal(floorgate.Command{ID: fmt.Sprintf("replay-%s-%d-%d-%d", t.cfg.ClientID, a.from, a.to, time.Now().UnixNano()),
				Type: floorgate.CommandEventsReplay, Data: json.RawMessage(fmt.Sprintf(`{"from_seq":%d,"to_seq":%d}`, a.from, a.to))})
			t.client.Publish(a.topic, 1, false, cmd)
			t.cfg.Log.Info("asked for a replay", "topic", a.topic, "from", a.from, "to", a.to)
		}
	}
}

// Stats reports what the consumer has seen.
func (t *Tail) Stats() TailStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := TailStats{Received: t.received, Unique: len(t.seen), Duplicates: t.duplicates,
		Gaps: map[string][]uint64{}, Contiguous: map[string]uint64{}}
	for k, g := range t.gateways {
		s.Contiguous[k] = g.contiguous
		for q := g.contiguous + 1; q <= g.highest(); q++ {
			if !g.above[q] {
				s.Gaps[k] = append(s.Gaps[k], q)
			}
		}
	}
	return s
}

// Has reports whether the event with this id was received.
func (t *Tail) Has(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen[id]
}
