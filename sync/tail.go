package sync

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/floorgate/floorgate"
)

// TailConfig configures the reference ERP consumer.
type TailConfig struct {
	Broker string
	// ClientID names the consumer's persistent session on the broker; by
	// default DefaultTailClientID of this host, so that a restart resumes
	// the session instead of leaving one behind.
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
	// Clock times gaps and replay requests; the wall clock by default.
	Clock floorgate.Clock
	// Out receives every new event as one JSON line.
	Out io.Writer
	Log *slog.Logger

	// NATS, when set, reads the events from the backbone's JetStream
	// stream instead of an MQTT subscription (tail_nats.go): the client
	// URLs of the cluster's nodes, comma-separated; Username and Password
	// are the NATS user's.
	NATS string
	// Stream is the events stream; FLOORGATE_EVENTS by default.
	Stream string
	// Durable is the durable consumer the workers share; "erp" by
	// default. Each event goes to one worker.
	Durable string
	// Workers is how many workers pull from the durable consumer in this
	// process, sharing its deduplication and gap state; 2 by default.
	Workers int
	// Commands, with NATS, is the cluster's MQTT listener (tcp://…) the
	// replay requests are sent through, at QoS 1: kept for a gateway that
	// is away and reaching leaf sites. Without it they go as plain NATS
	// messages, which reach only gateways connected over MQTT right then.
	Commands string
}

// Replay requests: an unanswered request is published again with the same
// id, so the gateway applies it at most once however often it arrives,
// waiting GapGrace<<n before the n-th resend (at most maxReplayBackoff
// GapGraces); after maxReplaySends publishes it is dropped for a new
// request, in case its answer was lost. A range that maxReplayUnfilled
// applied replays in a row did not fill is given up (it is usually a dead
// letter, contract §11), as is one the gateway refuses.
const (
	maxReplaySends    = 5
	maxReplayBackoff  = 32
	maxReplayUnfilled = 2
)

// Tail is the reference ERP consumer: it deduplicates events by id,
// tracks each gateway's sequence numbers to find gaps, follows its
// incarnations across restores (tail_incarnation.go), and writes what is
// new as JSON lines.
type Tail struct {
	cfg    TailConfig
	client mqtt.Client
	nats   *natsSource // the backbone, with TailConfig.NATS
	run    string      // this run's random tag, part of every replay id

	mu         gosync.Mutex
	seen       seenIDs
	gateways   map[string]*gatewaySeqs // site/gateway → sequence state
	asks       map[string]*replayAsk   // unsettled replay requests by command id
	requests   uint64                  // replay requests made, for their ids
	replays    int                     // events.replay commands published
	received   int
	duplicates int
	events     chan floorgate.Event
}

// gatewaySeqs is what one gateway's stream looks like to the consumer.
type gatewaySeqs struct {
	site, gateway string
	contiguous    uint64          // every seq up to here was received
	settled       uint64          // every seq up to here was received or given up
	above         map[uint64]bool // received beyond contiguous
	high          uint64          // newest seq received
	top           uint64          // newest seq the gateway says it has
	lost          []span          // given up: never asked for again; sorted, disjoint
	gapSince      time.Time       // when the current gap was first seen
	ask           *replayAsk      // the replay request in progress
	unfilled      int             // applied replays in a row that filled nothing
	incarnations                  // which incarnation each seq belongs to (tail_incarnation.go)
}

// span is a range of sequence numbers, both ends included.
type span struct{ from, to uint64 }

// replayAsk is one events.replay request and what became of it.
type replayAsk struct {
	id       string
	g        *gatewaySeqs
	from, to uint64
	settled  uint64    // the gateway's settled seq when it was made
	sent     time.Time // last published
	sends    int
	applied  time.Time // when its command.applied arrived
}

// highest is the newest seq known to exist: received or announced.
func (g *gatewaySeqs) highest() uint64 { return max(g.top, g.high) }

// behind reports whether events are known to be missing that are still
// worth asking for.
func (g *gatewaySeqs) behind() bool { return g.highest() > g.settled }

func (g *gatewaySeqs) noteGap(now func() time.Time) {
	if !g.behind() {
		g.gapSince = time.Time{}
	} else if g.gapSince.IsZero() {
		g.gapSince = now()
	}
}

func (g *gatewaySeqs) received(seq uint64) bool { return seq <= g.contiguous || g.above[seq] }

// advance moves contiguous and settled over what was received or given up.
func (g *gatewaySeqs) advance() {
	for g.above[g.contiguous+1] {
		delete(g.above, g.contiguous+1)
		g.contiguous++
	}
	g.settled = max(g.settled, g.contiguous)
	for {
		next := g.settled + 1
		if g.above[next] {
			g.settled = next
			continue
		}
		i, found := slices.BinarySearchFunc(g.lost, next, func(s span, q uint64) int {
			switch {
			case s.to < q:
				return -1
			case s.from > q:
				return 1
			}
			return 0
		})
		if !found {
			return
		}
		g.settled = g.lost[i].to
	}
}

// giveUp stops asking for from…to.
func (g *gatewaySeqs) giveUp(from, to uint64) {
	if from > to {
		return
	}
	g.lost = append(g.lost, span{from, to})
	slices.SortFunc(g.lost, func(a, b span) int { return cmp.Compare(a.from, b.from) })
	merged := g.lost[:1]
	for _, s := range g.lost[1:] {
		if last := &merged[len(merged)-1]; s.from <= last.to+1 {
			last.to = max(last.to, s.to)
		} else {
			merged = append(merged, s)
		}
	}
	g.lost = merged
	g.advance()
}

// missing counts the seqs in from…to not received.
func (g *gatewaySeqs) missing(from, to uint64) int {
	n := 0
	for q := from; q <= to; q++ {
		if !g.received(q) {
			n++
		}
	}
	return n
}

// TailStats is what the consumer has seen.
type TailStats struct {
	Received   int
	Unique     int
	Duplicates int
	// Replays counts the events.replay commands published.
	Replays int
	// Gaps lists, per "site/gateway", the missing sequence numbers below
	// the highest one received.
	Gaps map[string][]uint64
	// GivenUp counts, per "site/gateway", the missing sequence numbers the
	// consumer no longer asks for: the gateway refused to replay them, or
	// replays did not bring them.
	GivenUp map[string]int
	// Contiguous is the highest contiguous sequence number per gateway.
	Contiguous map[string]uint64
	// Incarnation is, per "site/gateway", the incarnation the gateway
	// runs now, as far as the consumer knows it: RestoredFrom is empty
	// until it knows what a restore replaced, FirstSeq is 1 until it
	// knows better.
	Incarnation map[string]floorgate.Incarnation
	// Superseded counts, per "site/gateway", the events received of an
	// incarnation that a restore or a new database superseded, above the
	// seq where it was superseded: they happened, but the gateway no
	// longer remembers them; they are neither missing nor duplicates.
	Superseded map[string]int
	// IncarnationChanges counts, per "site/gateway", the new incarnations
	// seen after the first.
	IncarnationChanges map[string]int
}

// DefaultTailClientID is the consumer's client id on the host named host:
// the same on every run, so the broker's persistent session is resumed
// rather than a new one left behind each time. The host name is cut to
// what MQTT brokers accept everywhere: characters other than letters,
// digits, "-" and "_" become "-", and the id stays within 64 bytes.
func DefaultTailClientID(host string) string {
	const prefix, limit = "floorgate-erp-tail", 64
	host = strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, host)
	if host == "" {
		return prefix
	}
	return (prefix + "-" + host)[:min(limit, len(prefix)+1+len(host))]
}

// NewTail returns a consumer; Start connects it.
func NewTail(cfg TailConfig) *Tail {
	if cfg.Filter == "" {
		cfg.Filter = "floorgate/v1/+/+/events"
	}
	if cfg.ClientID == "" {
		host, _ := os.Hostname()
		cfg.ClientID = DefaultTailClientID(host)
	}
	if cfg.GapGrace == 0 {
		cfg.GapGrace = 2 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = floorgate.SystemClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Tail{cfg: cfg, run: cfg.ClientID + "/" + rand.Text(), seen: newSeenIDs(), gateways: map[string]*gatewaySeqs{},
		asks: map[string]*replayAsk{}, events: make(chan floorgate.Event, 4096)}
}

// ClientID is the MQTT client id the consumer connects with.
func (t *Tail) ClientID() string { return t.cfg.ClientID }

// Events delivers each new (deduplicated) event; when nobody reads, the
// oldest are dropped from this channel (never from the stats or Out).
func (t *Tail) Events() <-chan floorgate.Event { return t.events }

// Start connects with a persistent session and subscribes (or, with
// TailConfig.NATS, binds the workers to the backbone's durable consumer).
func (t *Tail) Start(ctx context.Context) error {
	if t.cfg.NATS != "" {
		if err := t.startNATS(ctx); err != nil {
			return err
		}
		if t.cfg.Replay {
			go t.replayLoop(ctx)
		}
		return nil
	}
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
	// The first connection's subscriptions decide whether the consumer
	// can work at all: a broker that refuses one (a user allowed only
	// its own site's topics, subscribing to every site's) would otherwise
	// deliver nothing, silently.
	subscribed := make(chan error, 1)
	o.SetOnConnectHandler(func(c mqtt.Client) {
		events := c.Subscribe(filter, 1, t.handle)
		statuses := c.Subscribe(status, 1, t.handleStatus)
		go func() {
			err := refused(events, filter)
			if err == nil {
				err = refused(statuses, status)
			}
			select {
			case subscribed <- err:
			default:
			}
		}()
	})
	o.SetDefaultPublishHandler(t.handle)
	t.client = mqtt.NewClient(o)
	tok := t.client.Connect()
	if err := wait(ctx, tok); err != nil {
		return fmt.Errorf("erp-tail connect %s: %w", t.cfg.Broker, err)
	}
	select {
	case err := <-subscribed:
		if err != nil {
			t.client.Disconnect(250)
			return fmt.Errorf("erp-tail subscribe on %s: %w", t.cfg.Broker, err)
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	if t.cfg.Replay {
		go t.replayLoop(ctx)
	}
	return nil
}

// refused waits for a subscription's answer and says whether the broker
// refused the filter (SUBACK return code 0x80).
func refused(tok mqtt.Token, filter string) error {
	tok.Wait()
	if err := tok.Error(); err != nil {
		return fmt.Errorf("subscribe %s: %w", filter, err)
	}
	if st, ok := tok.(*mqtt.SubscribeToken); ok {
		for topic, code := range st.Result() {
			if code == 0x80 {
				return fmt.Errorf("the broker refused the subscription to %s: this user may not read it "+
					"(a gateway's embedded broker lets an ERP user read only its own site: --filter floorgate/v1/SITE/+/events)", topic)
			}
		}
	}
	return nil
}

// Close disconnects.
func (t *Tail) Close() {
	if t.client != nil {
		t.client.Disconnect(250)
	}
	if t.nats != nil {
		t.nats.close()
	}
}

// gateway is the sequence state of one gateway. Callers hold mu.
func (t *Tail) gateway(site, gw string) *gatewaySeqs {
	key := site + "/" + gw
	g := t.gateways[key]
	if g == nil {
		g = &gatewaySeqs{site: site, gateway: gw, above: map[uint64]bool{}, incarnations: newIncarnations()}
		t.gateways[key] = g
	}
	return g
}

// handleStatus learns how far a gateway's stream goes.
func (t *Tail) handleStatus(_ mqtt.Client, m mqtt.Message) { t.status(m.Payload()) }

// status takes a gateway's status message.
func (t *Tail) status(payload []byte) {
	var s StatusMessage
	if err := json.Unmarshal(payload, &s); err != nil || s.Site == "" || s.Gateway == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.gateway(s.Site, s.Gateway)
	if s.Incarnation != "" && s.IncarnationSeq > 0 {
		t.begin(g, floorgate.Incarnation{ID: s.Incarnation, FirstSeq: s.IncarnationSeq})
	}
	if s.Incarnation == "" || s.Incarnation == g.current {
		// A status of an incarnation a restore superseded says nothing
		// of the current one's numbers.
		g.top = max(g.top, s.LastSeq)
	}
	g.noteGap(t.cfg.Clock.Now)
}

func (t *Tail) handle(_ mqtt.Client, m mqtt.Message) { t.message(m.Topic(), m.Payload()) }

// message takes one message of the events (or status) topics: one event,
// or several in an array.
func (t *Tail) message(topic string, raw []byte) {
	if strings.HasSuffix(topic, "/status") {
		t.status(raw)
		return
	}
	if i := slices.IndexFunc(raw, func(c byte) bool { return c != ' ' && c != '\t' && c != '\r' && c != '\n' }); i < 0 || raw[i] != '[' {
		t.event(topic, raw)
		return
	}
	// Several events in one message (contract §5): each is taken as if it
	// had come alone, in the message's order. The message is acknowledged
	// when this returns, after all of them were handled.
	var evs []json.RawMessage
	if err := json.Unmarshal(raw, &evs); err != nil {
		t.cfg.Log.Warn("not an array of events", "topic", topic, "err", err)
		return
	}
	for _, ev := range evs {
		t.event(topic, ev)
	}
}

// event takes one event's envelope.
func (t *Tail) event(topic string, raw []byte) {
	var ev floorgate.Event
	if err := json.Unmarshal(raw, &ev); err != nil || ev.ID == "" || ev.Seq == 0 {
		t.cfg.Log.Warn("not an event", "topic", topic, "err", err)
		return
	}
	t.mu.Lock()
	t.received++
	g := t.gateway(ev.Site, ev.Gateway)
	if !t.seen.add(ev.ID) {
		t.duplicates++
		t.place(g, ev, true)
		t.mu.Unlock()
		return
	}
	t.place(g, ev, false)
	if ev.Type == floorgate.EventCommandApplied || ev.Type == floorgate.EventCommandRejected {
		t.answered(g, ev)
	}
	g.noteGap(t.cfg.Clock.Now)
	if t.cfg.Out != nil {
		t.cfg.Out.Write(append(slices.Clone(raw), '\n'))
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

// answered takes note of a gateway's answer to one of this consumer's
// replay requests. Callers hold mu.
func (t *Tail) answered(g *gatewaySeqs, ev floorgate.Event) {
	var rec floorgate.CommandRecord
	if json.Unmarshal(ev.Data, &rec) != nil {
		return
	}
	a := t.asks[rec.CommandID]
	if a == nil || a.g != g {
		return // another consumer's command, or an earlier run's
	}
	if ev.Type == floorgate.EventCommandApplied {
		a.applied = t.cfg.Clock.Now()
		return
	}
	// Refused. The refusal is the gateway's newest word on how far its
	// journal goes: it is the next event, so a status that promised more
	// (from another install of the gateway, say) was wrong, and asking
	// from one past the refusal would be refused again, and again. What
	// existed and was refused anyway is not asked for again.
	t.settle(a)
	g.top = min(g.top, ev.Seq)
	refused := span{a.from, min(a.to, ev.Seq-1)}
	n := 0
	if refused.from <= refused.to {
		n = g.missing(refused.from, refused.to)
		g.giveUp(refused.from, refused.to)
	}
	t.cfg.Log.Warn("the gateway refused a replay; not asking for it again", "gateway", g.site+"/"+g.gateway,
		"from", a.from, "to", a.to, "id", a.id, "field", rec.Field, "reason", rec.Reason, "given_up", n)
}

// settle forgets a finished request. Callers hold mu.
func (t *Tail) settle(a *replayAsk) {
	delete(t.asks, a.id)
	if a.g.ask == a {
		a.g.ask = nil
	}
}

// replayID names one replay request. Command ids are unique for all time
// on a gateway (the contract, §7) and at most 64 bytes: a hash of this
// run's random tag, the gateway and the range, and the request's number
// (16+12+1+20 bytes at most). Callers hold mu.
func (t *Tail) replayID(g *gatewaySeqs, from, to uint64) string {
	t.requests++
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d\x00%d", t.run, g.site, g.gateway, from, to))
	return fmt.Sprintf("erp-tail-replay-%s-%d", hex.EncodeToString(h[:6]), t.requests)
}

// plan decides whether to publish a replay request for g now, and which.
// Callers hold mu.
func (t *Tail) plan(g *gatewaySeqs, now time.Time) *replayAsk {
	grace := t.cfg.GapGrace
	if a := g.ask; a != nil {
		switch {
		case g.settled >= a.to:
			t.settle(a) // filled
			g.unfilled = 0
		case a.applied.IsZero():
			if now.Sub(a.sent) < grace*time.Duration(min(1<<a.sends, maxReplayBackoff)) {
				return nil
			}
			if a.sends < maxReplaySends {
				a.sent = now
				a.sends++
				return a // the same id: applied once however often it arrives
			}
			t.settle(a) // its answer may be lost: ask anew
		default:
			if now.Sub(a.applied) < grace {
				return nil // the replayed events may still be on their way
			}
			t.settle(a)
			if g.settled > a.settled {
				g.unfilled = 0
			} else if g.unfilled++; g.unfilled >= maxReplayUnfilled {
				g.unfilled = 0
				from := g.settled + 1
				n := g.missing(from, a.to)
				g.giveUp(from, a.to)
				t.cfg.Log.Warn("replays did not bring these events; not asking for them again (a dead letter? see the gateway's status page)",
					"gateway", g.site+"/"+g.gateway, "from", from, "to", a.to, "given_up", n)
				g.noteGap(func() time.Time { return now })
			}
		}
	}
	if g.ask != nil || !g.behind() || g.gapSince.IsZero() || now.Sub(g.gapSince) < grace {
		return nil
	}
	// From the first number missing to the last one missing, at most
	// MaxReplay: not the events after it, which include this consumer's
	// own answers.
	from := g.settled + 1
	to := from
	for q := from; q <= min(g.highest(), from+floorgate.MaxReplay-1); q++ {
		if !g.received(q) {
			to = q
		}
	}
	a := &replayAsk{id: t.replayID(g, from, to), g: g, from: from, to: to, settled: g.settled, sent: now, sends: 1}
	g.ask, t.asks[a.id] = a, a
	return a
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
		type publish struct {
			topic    string
			id       string
			from, to uint64
			again    bool
		}
		var pubs []publish
		now := t.cfg.Clock.Now()
		t.mu.Lock()
		for _, g := range t.gateways {
			if a := t.plan(g, now); a != nil {
				pubs = append(pubs, publish{TopicsFor(g.site, g.gateway).Commands, a.id, a.from, a.to, a.sends > 1})
				t.replays++
			}
		}
		t.mu.Unlock()
		for _, p := range pubs {
			cmd, _ := json.Marshal(floorgate.Command{ID: p.id, Type: floorgate.CommandEventsReplay,
				Data: json.RawMessage(fmt.Sprintf(`{"from_seq":%d,"to_seq":%d}`, p.from, p.to))})
			t.publish(p.topic, cmd)
			t.cfg.Log.Info("asked for a replay", "topic", p.topic, "from", p.from, "to", p.to, "id", p.id, "again", p.again)
		}
	}
}

// publish sends a command: at QoS 1 over MQTT, or on the backbone.
func (t *Tail) publish(topic string, payload []byte) {
	if t.nats != nil {
		t.nats.publish(topic, payload)
		return
	}
	t.client.Publish(topic, 1, false, payload)
}

// Stats reports what the consumer has seen.
func (t *Tail) Stats() TailStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := TailStats{Received: t.received, Unique: t.seen.n, Duplicates: t.duplicates, Replays: t.replays,
		Gaps: map[string][]uint64{}, GivenUp: map[string]int{}, Contiguous: map[string]uint64{},
		Incarnation: map[string]floorgate.Incarnation{}, Superseded: map[string]int{}, IncarnationChanges: map[string]int{}}
	for k, g := range t.gateways {
		s.Contiguous[k] = g.contiguous
		if g.current != "" {
			s.Incarnation[k] = *g.known[g.current]
		}
		s.Superseded[k], s.IncarnationChanges[k] = g.superseded, g.changes
		for q := g.contiguous + 1; q <= g.highest(); q++ {
			if !g.above[q] {
				s.Gaps[k] = append(s.Gaps[k], q)
			}
		}
		for _, l := range g.lost {
			if n := g.missing(l.from, l.to); n > 0 {
				s.GivenUp[k] += n
			}
		}
	}
	return s
}

// Has reports whether the event with this id was received.
func (t *Tail) Has(id string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen.has(id)
}

// seenIDs is every event id received, in room that grows with the holes
// in each incarnation's seqs rather than with the events: an id of the
// contract's form "{incarnation}-{seq}" (§5) is kept as a seq in its
// incarnation's runs of seqs, so a million events received in order take
// one run; any other id (the contract calls ids opaque) is kept as
// itself. Deduplication is exactly by id either way: an id is taken
// apart only when putting it back together gives the same string.
type seenIDs struct {
	runs  map[string]*seqRuns // incarnation → the seqs of its ids received
	other map[string]bool     // ids not of the usual form
	n     int                 // ids received
}

func newSeenIDs() seenIDs {
	return seenIDs{runs: map[string]*seqRuns{}, other: map[string]bool{}}
}

// splitID takes an id of the form "{incarnation}-{seq}" apart; ok is
// false for any other id, including a seq written otherwise than
// strconv writes it ("x-007").
func splitID(id string) (inc string, seq uint64, ok bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil || n == 0 || strconv.FormatUint(n, 10) != id[i+1:] {
		return "", 0, false
	}
	return id[:i], n, true
}

// add records id and reports whether it is new.
func (s *seenIDs) add(id string) bool {
	inc, seq, ok := splitID(id)
	if !ok {
		if s.other[id] {
			return false
		}
		s.other[id] = true
		s.n++
		return true
	}
	r := s.runs[inc]
	if r == nil {
		r = &seqRuns{}
		s.runs[inc] = r
	}
	if !r.add(seq) {
		return false
	}
	s.n++
	return true
}

func (s *seenIDs) has(id string) bool {
	if inc, seq, ok := splitID(id); ok {
		r := s.runs[inc]
		return r != nil && r.has(seq)
	}
	return s.other[id]
}

// entries is how many runs and ids are kept.
func (s *seenIDs) entries() int {
	n := len(s.other)
	for _, r := range s.runs {
		n += len(*r)
	}
	return n
}

// seqRuns is a set of seqs as sorted, disjoint, non-adjacent spans.
type seqRuns []span

// find is the index of the first span that does not end before q.
func (r seqRuns) find(q uint64) int {
	i, _ := slices.BinarySearchFunc(r, q, func(s span, q uint64) int { return cmp.Compare(s.to, q) })
	return i
}

func (r seqRuns) has(q uint64) bool {
	i := r.find(q)
	return i < len(r) && r[i].from <= q
}

// add puts q in the set and reports whether it was not there.
func (r *seqRuns) add(q uint64) bool {
	s := *r
	if n := len(s); n == 0 || q > s[n-1].to+1 {
		*r = append(s, span{q, q}) // the usual case: the next run after a hole, or the first
		return true
	} else if q == s[n-1].to+1 {
		s[n-1].to = q // the usual case: the next seq
		return true
	}
	i := s.find(q)
	if i < len(s) && s[i].from <= q {
		return false
	}
	// q is in the hole before s[i] (or after the last span, handled above).
	left := i > 0 && s[i-1].to+1 == q
	right := i < len(s) && s[i].from == q+1
	switch {
	case left && right:
		s[i-1].to = s[i].to
		*r = slices.Delete(s, i, i+1)
	case left:
		s[i-1].to = q
	case right:
		s[i].from = q
	default:
		*r = slices.Insert(s, i, span{q, q})
	}
	return true
}
