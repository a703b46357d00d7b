//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/cli"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/sim"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/broker"
	"github.com/floorgate/floorgate/sync/mqtttest"
	"github.com/floorgate/floorgate/sync/natstest"
)

// startWANProxy is a gateway's WAN link to the cluster's leaf listeners,
// closed when the test ends.
func startWANProxy(t *testing.T, targets []string) *natstest.LinkProxy {
	t.Helper()
	p, err := natstest.StartLinkProxy(targets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// leafUser is gateway g's user on the cluster, with exactly the rights
// sync.LeafPermissions gives a leaf site.
func leafUser(g backboneGW) natstest.User {
	pub, sub := fgsync.LeafPermissions(g.site, g.id, broker.DomainFor(g.site, g.id), "", "")
	return natstest.User{Name: "leaf-" + g.user(), Password: "leaf-" + g.password(), Publish: pub, Subscribe: sub}
}

// startLeafGateway runs floorgate (the chaos build, TLS on as shipped) as
// gateway g in leaf mode: its embedded broker joins the cluster through
// proxy, over TLS verified with ca, as g's leaf user.
func startLeafGateway(t *testing.T, g backboneGW, proxy *natstest.LinkProxy, ca, stateDir string) *chaosProc {
	t.Helper()
	bin, err := buildChaos()
	if err != nil {
		t.Fatal(err)
	}
	u := leafUser(g)
	yaml := daemontest.TestConfig + fmt.Sprintf("site:\n  id: %s\n  gateway: %s\nmqtt:\n  brokers: []\n  embedded_listen: 127.0.0.1:0\n"+
		"  embedded:\n    leaf:\n      urls: [%q]\n      username: %q\n      password: %q\n      ca_file: %q\n",
		g.site, g.id, "tls://"+proxy.Addr(), u.Name, u.Password, ca)
	d := daemontest.SpawnDemo(t, bin, stateDir, yaml, nil)
	if d.TLS == nil {
		t.Fatal("the daemon serves plain HTTP: the scenarios run the shipped default, TLS on")
	}
	return &chaosProc{d}
}

// leafStatus is what a leaf gateway's /api/v1/status says of its link
// and of what the central stream confirmed.
type leafStatus struct {
	Leaf *struct {
		Connected bool   `json:"connected"`
		Remote    string `json:"remote"`
		LastError string `json:"last_error"`
	} `json:"leaf"`
	Upstream struct {
		Central *struct {
			Confirmed       uint64 `json:"confirmed"`
			AwaitingCentral uint64 `json:"awaiting_central"`
			Nudges          uint64 `json:"nudges"`
			LastError       string `json:"last_error"`
		} `json:"central"`
	} `json:"upstream"`
}

func readLeafStatus(p *chaosProc) (leafStatus, error) {
	var st leafStatus
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := p.Local().Raw(ctx, "GET", "/api/v1/status", nil, nil)
	if err != nil {
		return st, fmt.Errorf("status: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return st, fmt.Errorf("status: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("status: %w", err)
	}
	if st.Leaf == nil {
		return st, fmt.Errorf("status: no leaf link")
	}
	return st, nil
}

// leafUp waits until p's status says its leaf link is up (want) or down
// (!want); false if not within d.
func leafUp(p *chaosProc, want bool, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
		if st, err := readLeafStatus(p); err == nil && st.Leaf.Connected == want {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// TestChaosLeaf runs three gateways in leaf mode (two on one site, one on
// another; docs/mqtt-contract.md §15, "A gateway in leaf mode"), each
// joining a three-node cluster over TLS through a WAN link the test
// controls, as its own leaf user with exactly sync.LeafPermissions; the
// events stream is sourced from the three sites' stores (backbone init
// --leaves). Pickers scan on all three; the reference ERP consumer reads
// the stream with two workers sharing one durable consumer. Each round
// cuts the WAN of one or two gateways for longer than the cluster's
// reader of a site store lives (10s) while their pickers scan — the cut
// gateways' outboxes must keep what the central stream does not hold yet
// and their status must say the link is down — mends it, and kills -9
// the node leading FLOORGATE_EVENTS while the sites catch up, then
// restarts it. Every OK scan's event must be in the central stream, in
// order per gateway (first occurrences by ascending seq), and reach the
// ERP once after dedup, with no gap; every outbox must drain. Each of
// FLOORGATE_CHAOS_ROUNDS/20 rounds (at least one) is one cut and one
// kill.
func TestChaosLeaf(t *testing.T) {
	rounds := max(1, chaosRounds(t, 20)/20)
	const (
		cutFor = 12 * time.Second // past the 10s the cluster's reader of a site store lives
		down   = 3 * time.Second  // a killed node stays down
	)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rounds)*2*time.Minute+4*time.Minute)
	defer cancel()
	started := time.Now()

	certs := mqtttest.NewCerts(t, t.TempDir())
	users := []natstest.User{{Name: backboneERP, Password: backboneERPPassword}}
	var domains []string
	for _, g := range backboneGateways {
		users = append(users, leafUser(g))
		domains = append(domains, broker.DomainFor(g.site, g.id))
	}
	c := natstest.Start(t, natstest.Options{Users: users, LeafCert: certs.ServerCert, LeafKey: certs.ServerKey})
	var out bytes.Buffer
	if code := cli.Main(ctx, []string{"backbone", "init", "--nats", c.NATSURLs(), "--mqtt", c.MQTTURLs()[0],
		"--username", backboneERP, "--password", backboneERPPassword, "--max-age", "1h", "--leaves", strings.Join(domains, ",")}, &out, &out); code != 0 {
		t.Fatalf("backbone init: exit status %d\n%s", code, out.String())
	}
	t.Logf("backbone init:\n%s", out.String())
	var leafAddrs []string
	for _, u := range c.LeafURLs() {
		leafAddrs = append(leafAddrs, strings.TrimPrefix(u, "tls://"))
	}

	const workers = 2
	js, tl := backboneERPSide(t, c, "erp-chaos-leaf", workers)

	floors := make([]*floor, len(backboneGateways))
	dirs := make([]string, len(backboneGateways))
	proxies := make([]*natstest.LinkProxy, len(backboneGateways))
	for i, g := range backboneGateways {
		dirs[i] = t.TempDir()
		// Each gateway's link starts at a different node.
		targets := append(append([]string(nil), leafAddrs[i%len(leafAddrs):]...), leafAddrs[:i%len(leafAddrs)]...)
		proxies[i] = startWANProxy(t, targets)
		f := &floor{t: t, ctx: ctx, tl: tl, demo: gateway.NewDemo(), l: newLedger(), pace: 20 * time.Millisecond}
		f.d = startLeafGateway(t, g, proxies[i], certs.CA, dirs[i])
		f.moreTasks(60 * (rounds + 1))
		for p := range 2 {
			pk, err := sim.DialPicker(ctx, f.d.URL(), f.d.TLS, f.demo, fmt.Sprintf("%s-pda-%d", g.id, p), f.demo.Badges[p], 0.05, uint64(10*i+p+1))
			if err != nil {
				t.Fatal(err)
			}
			pk.SetPace(sim.HumanPace)
			f.pickers = append(f.pickers, pk)
		}
		floors[i] = f
	}
	t.Logf("cluster and %d leaf gateways up in %v", len(floors), time.Since(started).Round(time.Millisecond))
	var extra []string
	// The first cut comes once every gateway has seen the central stream
	// hold its events.
	for i, f := range floors {
		if !leafUp(f.d, true, 30*time.Second) {
			st, err := readLeafStatus(f.d)
			extra = append(extra, fmt.Sprintf("%s: the leaf link never came up: %+v %v", backboneGateways[i].key(), st.Leaf, err))
			continue
		}
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
			st, err := readLeafStatus(f.d)
			if err == nil && st.Upstream.Central != nil && st.Upstream.Central.Confirmed > 0 {
				break
			}
			if time.Now().After(deadline) {
				extra = append(extra, fmt.Sprintf("%s: the central stream confirmed nothing within a minute: %+v %v", backboneGateways[i].key(), st.Upstream.Central, err))
				break
			}
		}
	}
	t.Logf("every gateway's events confirmed by the central stream after %v", time.Since(started).Round(time.Millisecond))

	stop := make(chan struct{})
	var scanning sync.WaitGroup
	for _, f := range floors {
		scanning.Add(1)
		go func() {
			defer scanning.Done()
			f.scanUntil(stop)
		}()
	}
	cuts := 0
	for r := range rounds {
		time.Sleep(2 * time.Second)
		victims := []int{r % len(floors)}
		if r%2 == 0 {
			victims = append(victims, (r+2)%len(floors))
		}
		var names []string
		for _, v := range victims {
			names = append(names, backboneGateways[v].key())
		}
		var before []string
		for i, f := range floors {
			depth, _ := f.d.metric("floorgate_outbox_depth")
			before = append(before, fmt.Sprintf("%s %v", backboneGateways[i].key(), depth))
		}
		t.Logf("round %d: cut the WAN of %s for %v (outboxes before: %s)", r+1, strings.Join(names, " and "), cutFor, strings.Join(before, ", "))
		for _, v := range victims {
			proxies[v].Cut()
		}
		cuts += len(victims)
		extra = append(extra, duringCut(t, ctx, js, r, victims, floors, cutFor)...)
		for _, v := range victims {
			if err := proxies[v].Mend(); err != nil {
				t.Fatal(err)
			}
		}
		for _, v := range victims {
			if !leafUp(floors[v].d, true, 30*time.Second) {
				extra = append(extra, fmt.Sprintf("round %d: %s: the leaf link did not come back within 30s of the mend", r+1, backboneGateways[v].key()))
			}
		}
		// The sites catch up now: kill the node leading the central
		// stream under them.
		time.Sleep(500 * time.Millisecond)
		victim := streamLeader(ctx, c, js, fgsync.DefaultEventsStream)
		if victim < 0 {
			victim = r % len(c.Nodes)
		}
		var waiting []string
		for _, v := range victims {
			depth, _ := floors[v].d.metric("floorgate_outbox_depth")
			waiting = append(waiting, fmt.Sprintf("%s %v", backboneGateways[v].key(), depth))
		}
		t.Logf("round %d: kill -9 %s (leads %s) while the sites catch up, outboxes %s", r+1, c.Nodes[victim].Name,
			fgsync.DefaultEventsStream, strings.Join(waiting, ", "))
		c.Kill(victim)
		time.Sleep(down)
		c.Restart(victim)
		c.WaitHealthy(30 * time.Second)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	scanning.Wait()
	t.Logf("faults done after %v", time.Since(started).Round(time.Millisecond))

	for i, f := range floors {
		for _, p := range f.pickers {
			p.Close()
		}
		if problem := backboneDrained(f.d, tl, backboneGateways[i].key(), 2*time.Minute); problem != "" {
			st, _ := readLeafStatus(f.d)
			extra = append(extra, fmt.Sprintf("%s: %s; leaf %+v, central %+v", backboneGateways[i].key(), problem, st.Leaf, st.Upstream.Central))
		}
	}
	var ci *jetstream.ConsumerInfo
	caughtUp := func() bool {
		cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
		defer ccancel()
		cons, err := js.Consumer(cctx, fgsync.DefaultEventsStream, fgsync.DefaultDurable)
		if err != nil {
			return false
		}
		ci, err = cons.Info(cctx)
		return err == nil && ci.NumPending == 0 && ci.NumAckPending == 0
	}
	for deadline := time.Now().Add(time.Minute); !caughtUp(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			extra = append(extra, "the ERP's durable consumer never caught up with the stream")
			break
		}
	}
	var nudges []string
	for i, f := range floors {
		if st, err := readLeafStatus(f.d); err == nil && st.Upstream.Central != nil {
			nudges = append(nudges, fmt.Sprintf("%s confirmed %d, nudged %d", backboneGateways[i].key(), st.Upstream.Central.Confirmed, st.Upstream.Central.Nudges))
		}
	}
	t.Logf("drained after %v: %s", time.Since(started).Round(time.Millisecond), strings.Join(nudges, "; "))
	for _, f := range floors {
		f.d.stop(t)
	}
	stream, problems := centralStream(ctx, js)
	extra = append(extra, problems...)
	leafReport(t, tl, floors, dirs, stream, cuts, extra...)
	t.Logf("scenario took %v", time.Since(started).Round(time.Millisecond))
}

// duringCut watches the cut gateways for cutFor: their leaf link must be
// reported down, and their outbox must keep every event the pickers make
// (nothing can reach the central stream, so nothing may leave). It says
// what went wrong.
func duringCut(t *testing.T, ctx context.Context, js jetstream.JetStream, r int, victims []int, floors []*floor, cutFor time.Duration) []string {
	var problems []string
	cutAt := time.Now()
	end := cutAt.Add(cutFor)
	for _, v := range victims {
		if !leafUp(floors[v].d, false, 5*time.Second) {
			problems = append(problems, fmt.Sprintf("round %d: %s: WAN cut, yet the status says the leaf link is up", r+1, backboneGateways[v].key()))
		}
	}
	// A confirmation read just before the cut may still be taken out
	// during the first moments; after that the outbox only grows.
	time.Sleep(time.Until(cutAt.Add(2 * time.Second)))
	low := make([]float64, len(victims))
	first := make([]float64, len(victims))
	for i, v := range victims {
		low[i], _ = floors[v].d.metric("floorgate_outbox_depth")
		first[i], _ = floors[v].d.metric("floorgate_journal_last_seq")
	}
	shrank := make([]bool, len(victims))
	for time.Now().Before(end) {
		time.Sleep(250 * time.Millisecond)
		for i, v := range victims {
			depth, err := floors[v].d.metric("floorgate_outbox_depth")
			if err != nil {
				continue
			}
			if depth < low[i] && !shrank[i] {
				shrank[i] = true
				problems = append(problems, fmt.Sprintf("round %d: %s: WAN cut, yet its outbox shrank from %v to %v", r+1, backboneGateways[v].key(), low[i], depth))
			}
			low[i] = max(low[i], depth)
		}
	}
	for i, v := range victims {
		depth, _ := floors[v].d.metric("floorgate_outbox_depth")
		last, _ := floors[v].d.metric("floorgate_journal_last_seq")
		st, err := readLeafStatus(floors[v].d)
		switch {
		case last == first[i]:
			problems = append(problems, fmt.Sprintf("round %d: %s: the pickers made no event during the cut", r+1, backboneGateways[v].key()))
		case depth == 0 || depth < last-first[i]:
			problems = append(problems, fmt.Sprintf("round %d: %s: WAN cut, %v events made, yet its outbox holds %v", r+1, backboneGateways[v].key(), last-first[i], depth))
		}
		if err != nil || st.Leaf.Connected || st.Leaf.LastError == "" {
			problems = append(problems, fmt.Sprintf("round %d: %s: at the end of the cut the status does not say the leaf link is down and why: %+v (%v)", r+1, backboneGateways[v].key(), st.Leaf, err))
			continue
		}
		g := backboneGateways[v]
		t.Logf("round %d: %s after %v cut: %v events made, outbox %v; leaf link down (%s); the central stream's source of %s silent for %v",
			r+1, g.key(), cutFor, last-first[i], depth, st.Leaf.LastError, broker.DomainFor(g.site, g.id), sourceSilence(ctx, js, broker.DomainFor(g.site, g.id)))
	}
	return problems
}

// sourceSilence is how long the central stream's source of a leaf
// domain has been silent, as the stream's leader reports it.
func sourceSilence(ctx context.Context, js jetstream.JetStream, domain string) string {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := js.Stream(cctx, fgsync.DefaultEventsStream)
	if err != nil {
		return err.Error()
	}
	for _, src := range st.CachedInfo().Sources {
		if src.External != nil && src.External.APIPrefix == "$JS."+domain+".API" {
			if src.Active < 0 {
				return "ever"
			}
			return src.Active.Round(time.Millisecond).String()
		}
	}
	return "(no source)"
}

// streamEvent is one event as the central stream holds it.
type streamEvent struct {
	ID      string `json:"id"`
	Seq     uint64 `json:"seq"`
	Site    string `json:"site"`
	Gateway string `json:"gateway"`
}

// centralStream reads the whole central events stream, in stream order.
// A read that fails (a node just restarted) starts again where it
// stopped.
func centralStream(ctx context.Context, js jetstream.JetStream) ([]streamEvent, []string) {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	st, err := js.Stream(cctx, fgsync.DefaultEventsStream)
	if err != nil {
		return nil, []string{"the central stream: " + err.Error()}
	}
	total := st.CachedInfo().State.LastSeq
	var evs []streamEvent
	var problems []string
	next := uint64(1)
	var cons jetstream.Consumer
	for next <= total {
		if cctx.Err() != nil {
			problems = append(problems, fmt.Sprintf("read the central stream: %v (at %d of %d)", cctx.Err(), next, total))
			break
		}
		if cons == nil {
			if cons, err = st.OrderedConsumer(cctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: next}); err != nil {
				time.Sleep(500 * time.Millisecond)
				continue
			}
		}
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			cons = nil
			time.Sleep(500 * time.Millisecond)
			continue
		}
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil || md.Sequence.Stream != next {
				cons = nil // read again from next
				break
			}
			next++
			p := bytes.TrimSpace(m.Data())
			if bytes.HasPrefix(p, []byte("[")) {
				var b []streamEvent
				if json.Unmarshal(p, &b) != nil {
					problems = append(problems, "the central stream holds a message that is no event batch")
				}
				evs = append(evs, b...)
				continue
			}
			var ev streamEvent
			if json.Unmarshal(p, &ev) != nil {
				problems = append(problems, "the central stream holds a message that is no event")
			}
			evs = append(evs, ev)
		}
	}
	return evs, problems
}

// leafReport compares each stopped gateway's journal with what its
// pickers were told, what the central stream holds and what the ERP got;
// prints the CHAOS line and fails the test on lost events, gaps, an event
// out of order in the stream, a scan journalled twice, a worker idle or
// extra.
func leafReport(t *testing.T, tl *fgsync.Tail, floors []*floor, dirs []string, stream []streamEvent, cuts int, extra ...string) {
	t.Helper()
	s := tl.Stats()
	var problems []string
	// First occurrences in the stream, per gateway, in stream order.
	inStream := map[string]bool{}
	order := map[string][]uint64{}
	streamDup := 0
	for _, ev := range stream {
		if inStream[ev.ID] {
			streamDup++
			continue
		}
		inStream[ev.ID] = true
		k := ev.Site + "/" + ev.Gateway
		order[k] = append(order[k], ev.Seq)
	}
	acked, lost, gaps, journalled := 0, 0, 0, 0
	for i, f := range floors {
		g := backboneGateways[i]
		evs := backboneJournal(t, dirs[i], g)
		journalled += len(evs)
		for j, seq := range order[g.key()] {
			if seq != uint64(j+1) {
				problems = append(problems, fmt.Sprintf("%s: in the central stream, its event %d comes where %d belongs: out of order or missing", g.key(), seq, j+1))
				break
			}
		}
		accepted := map[string][]floorgate.Event{}
		missing, absent := 0, 0
		for j, ev := range evs {
			if ev.Seq != uint64(j+1) {
				problems = append(problems, fmt.Sprintf("%s: journal[%d] has seq %d", g.key(), j, ev.Seq))
				break
			}
			if !tl.Has(ev.ID) {
				if missing++; missing <= 5 {
					problems = append(problems, fmt.Sprintf("%s: event %d (%s) never reached the ERP", g.key(), ev.Seq, ev.Type))
				}
			}
			if !inStream[ev.ID] {
				if absent++; absent <= 5 {
					problems = append(problems, fmt.Sprintf("%s: event %d (%s) is not in the central stream", g.key(), ev.Seq, ev.Type))
				}
			}
			if ev.Type == floorgate.EventScanAccepted {
				var rec floorgate.ScanRecord
				if err := json.Unmarshal(ev.Data, &rec); err != nil {
					t.Fatal(err)
				}
				accepted[rec.ScanID] = append(accepted[rec.ScanID], ev)
			}
		}
		if missing > 5 || absent > 5 {
			problems = append(problems, fmt.Sprintf("%s: of %d journalled events, %d never reached the ERP, %d are not in the central stream", g.key(), len(evs), missing, absent))
		}
		for id, evs := range accepted {
			if len(evs) > 1 {
				problems = append(problems, fmt.Sprintf("%s: scan %s is journalled %d times", g.key(), id, len(evs)))
			}
		}
		f.l.mu.Lock()
		for id := range f.l.acked {
			got := false
			for _, ev := range accepted[id] {
				got = got || tl.Has(ev.ID) && inStream[ev.ID]
			}
			if !got {
				if lost++; lost <= 5 {
					problems = append(problems, fmt.Sprintf("%s: scan %s was answered OK; its event is not in the central stream or never reached the ERP", g.key(), id))
				}
			}
		}
		acked += len(f.l.acked)
		if len(f.l.unexpected) > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d verdicts not what the scan deserved, e.g. %s", g.key(), len(f.l.unexpected), f.l.unexpected[0]))
		}
		if len(f.l.acked) == 0 {
			problems = append(problems, g.key()+": no scan was answered OK")
		}
		f.l.mu.Unlock()
		n := len(s.Gaps[g.key()])
		if c := s.Contiguous[g.key()]; c < uint64(len(evs)) && n == 0 {
			n = len(evs) - int(c)
		}
		gaps += n
	}
	if s.Unique != journalled {
		problems = append(problems, fmt.Sprintf("the ERP has %d distinct events, the gateways journalled %d", s.Unique, journalled))
	}
	if len(inStream) != journalled {
		problems = append(problems, fmt.Sprintf("the central stream holds %d distinct events, the gateways journalled %d", len(inStream), journalled))
	}
	work := tl.WorkerCounts()
	taken, idle := 0, false
	for _, n := range work {
		taken += n
		idle = idle || n == 0
	}
	if len(work) != 2 || idle {
		problems = append(problems, fmt.Sprintf("events taken per worker %v: want two workers, each taking a share", work))
	}
	if taken != s.Received {
		problems = append(problems, fmt.Sprintf("the workers took %d deliveries, the ERP counted %d", taken, s.Received))
	}
	t.Logf("the central stream holds %d events (%d distinct, %d twice over); the workers took %v; the ERP saw %d duplicates",
		len(stream), len(inStream), streamDup, work, s.Duplicates)
	problems = append(problems, extra...)
	result := "PASS"
	if lost > 0 || gaps > 0 || len(problems) > 0 {
		result = "FAIL"
	}
	line := fmt.Sprintf("CHAOS name=leaf acked=%d received=%d lost=%d dup=%d gaps=%d cuts=%d result=%s",
		acked, s.Unique, lost, s.Duplicates, gaps, cuts, result)
	fmt.Println(line)
	for _, p := range problems {
		t.Error(p)
	}
	if result == "FAIL" {
		t.Error(line)
	}
}
