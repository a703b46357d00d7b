package sync

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/floorgate/floorgate/sync/broker"
)

// LeafLink is a gateway whose broker is its own embedded one, joined to a
// central NATS cluster as a leaf node (broker.Leaf). The site's broker
// stores what the gateway publishes and the cluster's events stream takes
// it from there whenever the link is up; while it is down the floor goes
// on and the site's store holds the events.
//
// The broker's PUBACK then means "stored on this machine", not "stored by
// a quorum": an event leaves the outbox only once the central events
// stream, replicated, holds it. The gateway reads its own subject of that
// stream through the leaf link and takes out of the outbox every event it
// finds there with the id the journal gives it.
type LeafLink struct {
	// Broker is the embedded broker; User and Password its in-process
	// user (broker.Broker.InProcessConn and InternalUser).
	Broker         LeafBroker
	User, Password string
	// Domain is the site broker's JetStream domain (broker.Leaf.Domain):
	// the gateway's replies from the cluster come on inboxes under
	// LeafInbox(Domain), which the site's user on the cluster may receive.
	Domain string
	// HubDomain is the cluster's JetStream domain (broker.DefaultHubDomain
	// when empty); Stream the central events stream (DefaultEventsStream).
	HubDomain, Stream string
	// Keep is how long the site's store keeps messages: at least as long
	// as the longest WAN outage the site must ride out (DefaultLeafKeep).
	Keep time.Duration
}

// LeafBroker is the embedded broker as a leaf gateway uses it
// (*broker.Broker).
type LeafBroker interface {
	nats.InProcessConnProvider
	Leaf() (broker.LeafState, bool)
}

// DefaultLeafKeep is how long a leaf site's store keeps messages by
// default.
const DefaultLeafKeep = 7 * 24 * time.Hour

func (l *LeafLink) setDefaults() {
	if l.HubDomain == "" {
		l.HubDomain = broker.DefaultHubDomain
	}
	if l.Stream == "" {
		l.Stream = DefaultEventsStream
	}
	if l.Keep == 0 {
		l.Keep = DefaultLeafKeep
	}
}

// connect opens an in-process NATS connection to the embedded broker.
func (l *LeafLink) connect(name string) (*nats.Conn, error) {
	nc, err := nats.Connect("", nats.InProcessServer(l.Broker), nats.UserInfo(l.User, l.Password), nats.Name(name),
		nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond), nats.CustomInboxPrefix(LeafInbox(l.Domain)))
	if err != nil {
		return nil, fmt.Errorf("leaf: connect to the embedded broker: %w", err)
	}
	return nc, nil
}

// prepareStore keeps the site's MQTT store by age: by default nats-server
// forgets a QoS 1 message as soon as no MQTT subscriber wants it, and
// while the WAN is down the cluster's stream is not there to want it. The
// store is created here, before any MQTT client, or changed when it
// exists.
func (l *LeafLink) prepareStore(ctx context.Context, site, gateway string) error {
	nc, err := l.connect("floorgate-leaf-setup")
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("leaf: %w", err)
	}
	commands := l.commandsSource(site, gateway)
	s, err := js.Stream(ctx, mqttStore)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		// What nats-server would create, kept by age, taking the
		// gateway's commands from the cluster's MQTT store.
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: mqttStore, Subjects: []string{"$MQTT.msgs.>"},
			Storage: jetstream.FileStorage, Retention: jetstream.LimitsPolicy, MaxAge: l.Keep, Replicas: 1,
			Sources: []*jetstream.StreamSource{commands}})
		if err != nil {
			return fmt.Errorf("leaf: create the site's store %s: %w", mqttStore, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("leaf: the site's store %s: %w", mqttStore, err)
	}
	cfg := s.CachedInfo().Config
	has := false
	for _, src := range cfg.Sources {
		if src.External != nil && src.External.APIPrefix == commands.External.APIPrefix && src.FilterSubject == commands.FilterSubject &&
			src.External.DeliverPrefix == commands.External.DeliverPrefix {
			has = true
		}
	}
	if cfg.Retention == jetstream.LimitsPolicy && cfg.MaxAge == l.Keep && has {
		return nil
	}
	cfg.Retention, cfg.MaxAge = jetstream.LimitsPolicy, l.Keep
	if !has {
		// One source of commands: the one this configuration names.
		cfg.Sources = []*jetstream.StreamSource{commands}
	}
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("leaf: keep the site's store %s by age: %w", mqttStore, err)
	}
	return nil
}

// commandsSource is the site store's source of the gateway's commands:
// what the ERP published to the cluster's MQTT listener on the gateway's
// command topic, kept there by age, so that a command sent while the WAN
// is down reaches the gateway when it returns. The cluster delivers under
// LeafDeliver(Domain), which the site's user may receive. Until the first
// command arrives the source starts from the cluster store's first
// message (a start time would be taken as the site store's last message's
// time at every reconnect, skipping what was sent during the outage); the
// gateway answers a command id only once.
func (l *LeafLink) commandsSource(site, gateway string) *jetstream.StreamSource {
	return &jetstream.StreamSource{Name: mqttStore, OptStartSeq: 1,
		FilterSubject: "$MQTT.msgs." + broker.Subject(TopicsFor(site, gateway).Commands),
		External:      &jetstream.ExternalStream{APIPrefix: "$JS." + l.HubDomain + ".API", DeliverPrefix: LeafDeliver(l.Domain)}}
}

// CentralStatus is what the central stream confirmed, in leaf mode.
type CentralStatus struct {
	Stream string `json:"stream"`
	// Reading tells whether the gateway is reading its subject of the
	// central stream now.
	Reading bool `json:"reading"`
	// Confirmed counts events taken out of the outbox because the
	// central stream holds them; LastConfirmed is when the last was.
	Confirmed     uint64    `json:"confirmed"`
	LastConfirmed time.Time `json:"last_confirmed,omitzero"`
	// AwaitingCentral counts events the site's broker stored that the
	// central stream has not been seen to hold yet.
	AwaitingCentral uint64 `json:"awaiting_central"`
	// Nudges counts the central stream's leader asked to step down
	// because its source of this site was stalled.
	Nudges    uint64 `json:"nudges"`
	LastError string `json:"last_error,omitempty"`
}

// confirmed is one event as the central stream holds it.
type confirmed struct {
	seq uint64
	id  string
}

// runConfirm reads the gateway's subject of the central events stream
// through the leaf link, for as long as ctx lasts, and takes out of the
// outbox every event found there.
func (g *Gateway) runConfirm(ctx context.Context) {
	l := g.cfg.Leaf
	subject := broker.Subject(g.topics.Events)
	var nc *nats.Conn
	for nc == nil {
		var err error
		if nc, err = l.connect(ClientID(g.cfg.Site, g.cfg.Gateway, "confirm")); err != nil {
			g.setCentral(func(c *CentralStatus) { c.LastError = err.Error() })
			if !g.backoff(ctx, 3) {
				return
			}
		}
	}
	defer nc.Close()
	js, err := jetstream.NewWithDomain(nc, l.HubDomain)
	if err != nil {
		g.setCentral(func(c *CentralStatus) { c.LastError = err.Error() })
		return
	}
	go g.watchSourcing(ctx, nc, js)
	var next uint64 // the central stream's next sequence to read; 0 before the first
	attempt := 0
	for ctx.Err() == nil {
		cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}, InactiveThreshold: 5 * time.Minute}
		if next > 0 {
			cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, next
		} else {
			from := g.confirmFrom()
			cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &from
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cons, err := js.OrderedConsumer(cctx, l.Stream, cfg)
		cancel()
		if err != nil {
			msg := "central stream " + l.Stream + ": " + err.Error()
			if st, _ := l.Broker.Leaf(); st.Connected && (errors.Is(err, nats.ErrNoResponders) || strings.Contains(err.Error(), "no responders")) {
				// The link is up, yet nobody answers: the cluster dropped
				// the request, as it does what a user may not send.
				msg += " (the link is up: check this site's rights on the cluster, floorgate backbone leaf-user)"
			}
			g.setCentral(func(c *CentralStatus) { c.Reading, c.LastError = false, msg })
			if !g.backoffOrLinkUp(ctx, attempt) {
				return
			}
			attempt++
			continue
		}
		attempt = 0
		g.setCentral(func(c *CentralStatus) { c.Reading, c.LastError = true, "" })
		next = g.readConfirmations(ctx, cons, next)
		g.setCentral(func(c *CentralStatus) { c.Reading = false })
	}
}

// readConfirmations reads the ordered consumer until it fails or ctx
// ends, confirming in batches, and returns the next stream sequence.
func (g *Gateway) readConfirmations(ctx context.Context, cons jetstream.Consumer, next uint64) uint64 {
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		g.setCentral(func(c *CentralStatus) { c.LastError = err.Error() })
		return next
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	msgs := make(chan jetstream.Msg, 1024)
	errc := make(chan error, 1)
	go func() {
		for {
			m, err := it.Next()
			if err != nil {
				errc <- err
				close(msgs)
				return
			}
			msgs <- m
		}
	}()
	tick := time.NewTicker(g.cfg.AckEvery)
	defer tick.Stop()
	var batch []confirmed
	flush := func() {
		if len(batch) > 0 {
			g.confirm(ctx, batch)
			batch = batch[:0]
		}
	}
	for {
		select {
		case m, ok := <-msgs:
			if !ok {
				flush()
				if err := <-errc; !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
					g.setCentral(func(c *CentralStatus) { c.LastError = err.Error() })
				}
				return next
			}
			if md, err := m.Metadata(); err == nil {
				next = md.Sequence.Stream + 1
			}
			batch = append(batch, eventsIn(m.Data())...)
			if len(batch) >= 4096 {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// eventsIn is the seq and id of each event a message carries: one event,
// or a JSON array of them (contract §5).
func eventsIn(payload []byte) []confirmed {
	type head struct {
		ID  string `json:"id"`
		Seq uint64 `json:"seq"`
	}
	var hs []head
	if p := strings.TrimLeft(string(payload), " \t\r\n"); strings.HasPrefix(p, "[") {
		if json.Unmarshal(payload, &hs) != nil {
			return nil
		}
	} else {
		var h head
		if json.Unmarshal(payload, &h) != nil {
			return nil
		}
		hs = []head{h}
	}
	out := make([]confirmed, 0, len(hs))
	for _, h := range hs {
		if h.ID != "" && h.Seq > 0 {
			out = append(out, confirmed{seq: h.Seq, id: h.ID})
		}
	}
	return out
}

// confirm takes out of the outbox the events of batch that are still in
// it with the same id: the central stream holds them. An id that differs
// (an event of an incarnation a restore undid) confirms nothing.
func (g *Gateway) confirm(ctx context.Context, batch []confirmed) {
	slices.SortFunc(batch, func(a, b confirmed) int { return cmp.Compare(a.seq, b.seq) })
	var acks []uint64
	for i := 0; i < len(batch); {
		// A run of seqs close together is read from the outbox at once.
		j := i + 1
		for j < len(batch) && batch[j].seq-batch[i].seq < 8192 {
			j++
		}
		run := batch[i:j]
		pending, err := g.outbox.PendingEvents(run[0].seq-1, int(run[len(run)-1].seq-run[0].seq)+1)
		if err != nil {
			g.setCentral(func(c *CentralStatus) { c.LastError = err.Error() })
			return
		}
		k := 0
		for _, p := range pending {
			for k < len(run) && run[k].seq < p.Seq {
				k++
			}
			for ; k < len(run) && run[k].seq == p.Seq; k++ {
				if run[k].id == p.ID {
					acks = append(acks, p.Seq)
					break
				}
			}
		}
		i = j
	}
	acks = slices.Compact(acks)
	if len(acks) == 0 {
		return
	}
	if err := g.outbox.Ack(context.WithoutCancel(ctx), acks); err != nil {
		g.setCentral(func(c *CentralStatus) { c.LastError = err.Error() })
		return
	}
	g.acked.Add(uint64(len(acks)))
	g.confirmedN.Add(uint64(len(acks)))
	now := g.clock.Now()
	g.rate.add(now, len(acks))
	g.setCentral(func(c *CentralStatus) { c.LastConfirmed = now })
}

// backoffOrLinkUp waits as backoff does, but no longer than until the
// leaf link comes up when it is down now: after an outage the gateway
// reads the central stream again at once, not when a back-off grown
// during the outage runs out.
func (g *Gateway) backoffOrLinkUp(ctx context.Context, attempt int) bool {
	if st, _ := g.cfg.Leaf.Broker.Leaf(); st.Connected {
		return g.backoff(ctx, attempt)
	}
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-bctx.Done():
				return
			case <-t.C:
				if st, _ := g.cfg.Leaf.Broker.Leaf(); st.Connected {
					cancel()
					return
				}
			}
		}
	}()
	g.backoff(bctx, attempt)
	return ctx.Err() == nil
}

// confirmFrom is where reading the central stream starts: a little before
// the oldest event still in the outbox (the central stream stamps a
// message when it stores it, which is later, give or take the clocks).
func (g *Gateway) confirmFrom() time.Time {
	oldest := g.clock.Now()
	if evs, err := g.outbox.PendingEvents(0, 1); err == nil && len(evs) == 1 && evs[0].Time.Before(oldest) {
		oldest = evs[0].Time
	}
	return oldest.Add(-confirmSkew)
}

// confirmSkew is how far before the oldest pending event the gateway
// starts reading the central stream.
const confirmSkew = 10 * time.Minute

func (g *Gateway) setCentral(f func(*CentralStatus)) {
	g.mu.Lock()
	if g.status.Central == nil {
		g.status.Central = &CentralStatus{Stream: g.cfg.Leaf.Stream}
	}
	f(g.status.Central)
	g.mu.Unlock()
}

// watchExpiry sends everything still unconfirmed to the site's broker
// again when the oldest of it is about to expire there (an outage nearly
// as long as LeafLink.Keep): the copy the site's store holds would be gone
// before the central stream could take it.
func (g *Gateway) watchExpiry(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	last := g.clock.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, keep := g.clock.Now(), g.cfg.Leaf.Keep
		evs, err := g.outbox.PendingEvents(0, 1)
		if err != nil || len(evs) == 0 || now.Sub(evs[0].Time) < keep-time.Hour || now.Sub(last) < keep-time.Hour {
			continue
		}
		last = now
		g.log.Warn("leaf: events unconfirmed for nearly as long as the site keeps them; sending them again", "oldest", evs[0].Time)
		g.localCursor.Store(0)
		select {
		case g.rewind <- struct{}{}:
		default:
		}
	}
}

// LeafDeliver is the prefix the cluster delivers a leaf site's commands
// under.
func LeafDeliver(domain string) string { return "_FG_DELIVER." + domain }

// LeafInbox is the prefix of the inboxes a leaf site's gateway gets the
// cluster's replies on.
func LeafInbox(domain string) string { return "_FG_INBOX." + domain }

// LeafPermissions are what a leaf site's user on the cluster must be
// allowed, and no more: publish is what the site may send into the
// cluster's account, subscribe what the cluster may send to the site.
//
//   - The events stream takes the site's events from the site's store:
//     the cluster asks through the site's JetStream API ($JS.{domain}.API)
//     and flow-controls ($JS.FC), the site delivers ($JS.S) and answers
//     ($JSC.R).
//
//   - The gateway reads its own subject of the events stream, and only
//     it, to learn what the cluster holds: a consumer of the stream whose
//     filter is that subject, its next messages, its deletion, the stream's
//     info, with the answers on LeafInbox(domain); and it may ask the
//     stream's leader to step down when the stream's source of the site
//     stalls (Gateway.watchSourcing).
//
//   - The site's store takes the gateway's commands from the cluster's
//     MQTT store: the site asks through the cluster's API for a consumer
//     filtered on that one command topic, flow-controls ($JS.FC) and gets
//     the answers ($JSC.R) and the commands (LeafDeliver(domain)).
//
// Nothing else crosses: not the site's MQTT subjects, so the cluster's own
// MQTT store does not take a second copy of the site's events, and no
// other site's subjects.
func LeafPermissions(site, gateway, domain, hubDomain, stream string) (publish, subscribe []string) {
	if hubDomain == "" {
		hubDomain = broker.DefaultHubDomain
	}
	if stream == "" {
		stream = DefaultEventsStream
	}
	api := "$JS." + hubDomain + ".API."
	t := TopicsFor(site, gateway)
	subject := broker.Subject(t.Events)
	publish = []string{"$JS.S.>", "$JSC.R.>", "$JS.FC.>",
		api + "CONSUMER.CREATE." + mqttStore + ".*.$MQTT.msgs." + broker.Subject(t.Commands),
		api + "CONSUMER.CREATE." + stream + ".*." + subject,
		api + "CONSUMER.MSG.NEXT." + stream + ".*",
		api + "CONSUMER.DELETE." + stream + ".*",
		api + "CONSUMER.INFO." + stream + ".*",
		api + "STREAM.INFO." + stream,
		api + "STREAM.LEADER.STEPDOWN." + stream}
	subscribe = []string{"$JS." + domain + ".API.>", "$JS.FC.>", "$JSC.R.>", LeafInbox(domain) + ".>", LeafDeliver(domain) + ".>"}
	return publish, subscribe
}

// Sourcing watch: how often the gateway looks at the central stream's
// source of its site while the link is up (and how soon after it comes
// up), how long that source may be silent before it counts as stalled,
// and how seldom the gateway may nudge.
const (
	sourcingCheckEvery  = 5 * time.Second
	sourcingAfterLinkUp = 2 * time.Second
	sourcingStalled     = 15 * time.Second
	sourcingNudgeEvery  = time.Minute
)

// watchSourcing keeps the central stream taking the site's events. After
// the link was down the cluster retries its source of the site with a
// back-off that grows to two minutes, and only the stream's leader notices
// a leaf coming back, when the leaf happens to connect to that very node.
// So while the link is up and the outbox holds events the site's broker
// stored, the gateway checks the central stream's source of its site (2 s
// after the link comes up, then every 5 s); when it has been silent too
// long, it asks the stream's leader to step down: the new leader sets up
// every source afresh, at once, from the sequence it had reached (nothing
// is lost or doubled). Many sites come back together after a WAN-wide
// outage: a gateway waits a random moment before asking, and does not ask
// when the leader changed lately (another site's request did the work).
func (g *Gateway) watchSourcing(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) {
	l := g.cfg.Leaf
	api := "$JS." + l.Domain + ".API"
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	var lastNudge, upSince, lastCheck, leaderSince time.Time
	leader := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		st, ok := l.Broker.Leaf()
		if !ok || !st.Connected {
			upSince = time.Time{}
			continue
		}
		if upSince.IsZero() {
			upSince, lastCheck = now, time.Time{}
		}
		if now.Sub(upSince) < sourcingAfterLinkUp || !lastCheck.IsZero() && now.Sub(lastCheck) < sourcingCheckEvery {
			continue
		}
		lastCheck = now
		if g.localCursor.Load() == 0 {
			continue
		}
		if evs, err := g.outbox.PendingEvents(0, 1); err != nil || len(evs) == 0 || evs[0].Seq > g.localCursor.Load() {
			continue // nothing stored on the site awaits the cluster
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		s, err := js.Stream(cctx, l.Stream)
		cancel()
		if err != nil {
			continue
		}
		info := s.CachedInfo()
		if info.Cluster != nil && info.Cluster.Leader != leader {
			if leader != "" {
				leaderSince = now // a change seen, not the first look
			}
			leader = info.Cluster.Leader
		}
		stalled := true
		for _, src := range info.Sources {
			if src.External != nil && src.External.APIPrefix == api && src.Active >= 0 && src.Active < sourcingStalled {
				stalled = false
			}
		}
		if !stalled || now.Sub(lastNudge) < sourcingNudgeEvery || now.Sub(leaderSince) < sourcingStalled {
			continue
		}
		// A random moment first, then a second look: another site may
		// have asked meanwhile.
		select {
		case <-ctx.Done():
			return
		case <-time.After(rand.N(2 * time.Second)):
		}
		cctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		s, err = js.Stream(cctx, l.Stream)
		cancel()
		if err != nil || s.CachedInfo().Cluster != nil && s.CachedInfo().Cluster.Leader != leader {
			continue
		}
		lastNudge = time.Now()
		_, err = nc.Request("$JS."+l.HubDomain+".API.STREAM.LEADER.STEPDOWN."+l.Stream, nil, 5*time.Second)
		g.log.Info("leaf: the central stream's source of this site was stalled; asked its leader to step down", "stream", l.Stream, "err", err)
		g.nudges.Add(1)
	}
}
