package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/store"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/broker"
	"github.com/floorgate/floorgate/sync/natstest"
)

// benchBackboneCommand measures the NATS backbone end to end: gateways
// draining their outboxes over MQTT to a three-node JetStream cluster laid
// out by backbone init, ERP workers sharing its durable consumer; against
// the same gateways and workers on one Mosquitto, in the same run; then
// the drain of a backlog a WAN outage left in the gateways' outboxes; then
// the same backlog in leaf mode, stored on the sites during the outage.
func benchBackboneCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backbone", "", "Measure events/s from gateways' outboxes through a 3-node NATS backbone to ERP workers, "+
		"against one Mosquitto, and the drain of a backlog after a WAN outage, gateways over MQTT and in leaf mode.", stdout, stderr)
	events := fs.Int("events", 1_000_000, "the backlog: events in the gateways' outboxes between them, timestamped over the hour before")
	rateEvents := fs.Int("rate-events", 200_000, "events between the gateways for the throughput part, on each side")
	gateways := fs.Int("gateways", 3, "gateways, each with its own store and gateway id")
	workers := fs.Int("workers", 2, "ERP workers: pulling the backbone's durable consumer, or members of a shared subscription on Mosquitto")
	window := fs.Int("window", fgsync.DefaultWindow, "each gateway's QoS 1 publishes in flight (mqtt.window)")
	batch := fs.Int("batch-events", 0, "events one message may carry (mqtt.batch_events); 0 or 1: one per message")
	target := fs.Duration("drain-target", 120*time.Second, "the backlog's drain target")
	timeout := fs.Duration("timeout", 15*time.Minute, "give up on a part after this long, counting what did not arrive as lost")
	dir := fs.String("dir", "", "directory for the stores, the cluster and Mosquitto (default: a temporary one, removed after)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (gateways and workers) during the backlog's drain to this file")
	leaf := fs.Bool("leaf", true, "also drain the backlog in leaf mode: each gateway's embedded broker joined to the cluster as a leaf node, "+
		"through a link the bench cuts for the outage and mends")
	leafProfile := fs.String("leaf-cpuprofile", "", "write a CPU profile of this process (gateways, site brokers, workers) during the leaf backlog's drain to this file")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	switch {
	case *gateways < 1 || *gateways > 64:
		return errors.New("bench backbone: --gateways must be 1 to 64")
	case *workers < 1 || *workers > 64:
		return errors.New("bench backbone: --workers must be 1 to 64")
	case *events < *gateways || *rateEvents < *gateways:
		return errors.New("bench backbone: --events and --rate-events must be at least one per gateway")
	case *batch < 0 || *batch > fgsync.MaxBatchEvents:
		return fmt.Errorf("bench backbone: --batch-events must be 0 to %d", fgsync.MaxBatchEvents)
	}
	d, done, err := benchDir(*dir)
	if err != nil {
		return fmt.Errorf("bench backbone: %w", err)
	}
	defer done()
	site, err := gateway.DefaultConfig().SiteInfo()
	if err != nil {
		return fmt.Errorf("bench backbone: %w", err)
	}
	b := &backboneBench{dir: d, gateways: *gateways, workers: *workers, window: *window, batch: *batch,
		timeout: *timeout, site: site, log: stderr, cpuProfile: *cpuProfile, leaf: *leaf, leafProfile: *leafProfile}
	r, err := b.run(ctx, *rateEvents, *events)
	if err != nil {
		return err
	}
	r.target = *target
	fmt.Fprintln(stdout, r)
	return nil
}

// backboneBench is one run of bench backbone.
type backboneBench struct {
	dir                              string
	gateways, workers, window, batch int
	timeout                          time.Duration
	site                             floorgate.Site
	log                              io.Writer
	cpuProfile                       string
	leaf                             bool
	leafProfile                      string
}

// backboneResult is the bench's figures.
type backboneResult struct {
	gateways, nodes, workers, batch int
	rateEvents, backlog             int
	natsPerS, mosquittoPerS         float64
	drain, puback, stream           time.Duration
	target                          time.Duration
	lost, dups                      int
	leaf                            *leafTimes // nil when not measured
}

func (r backboneResult) String() string {
	batch := ""
	if r.batch > 1 {
		batch = fmt.Sprintf(" batch=%d", r.batch)
	}
	return fmt.Sprintf("BENCH backbone gateways=%d nodes=%d workers=%d%s events=%d events_per_s=%.0f mosquitto_events_per_s=%.0f ratio=%.2f "+
		"backlog=%d drain_s=%.1f drain_target_s=%.0f puback_s=%.1f stream_s=%.1f lost=%d dup=%d",
		r.gateways, r.nodes, r.workers, batch, r.rateEvents, r.natsPerS, r.mosquittoPerS, r.natsPerS/r.mosquittoPerS,
		r.backlog, r.drain.Seconds(), r.target.Seconds(), r.puback.Seconds(), r.stream.Seconds(), r.lost, r.dups) + r.leaf.fields()
}

// The cluster's user, for the gateways, backbone init and the workers
// alike (natstest's default).
const benchNATSUser, benchNATSPassword = "erp", "erp-secret"

// benchLeafPassword is every leaf site's password on the cluster; each
// site has its own user, "leaf-{domain}", with only a site's rights.
const benchLeafPassword = "leaf-secret"

// benchGatewayID is gateway i's id in a part of the bench ("{part}-gw{n}").
func benchGatewayID(part string, i int) string { return fmt.Sprintf("%s-gw%d", part, i+1) }

func (b *backboneBench) run(ctx context.Context, rateEvents, backlog int) (backboneResult, error) {
	r := backboneResult{gateways: b.gateways, workers: b.workers, batch: b.batch, rateEvents: rateEvents, backlog: backlog}

	// One Mosquitto: the workers are members of one shared subscription
	// writing to a common store (contract §14).
	mq, err := b.mosquittoPart(ctx, rateEvents)
	if err != nil {
		return r, err
	}
	r.mosquittoPerS = float64(rateEvents) / mq.workers.Seconds()
	r.lost, r.dups = mq.lost, mq.dups

	// The backbone, laid out as backbone init lays it out.
	// With the leaf part, each leaf site has its user, with the rights
	// backbone leaf-user prints, and the events stream sources its store
	// from the start, as backbone init --leaves lays it out: the sources
	// fail, and back off, until the sites' links come up.
	fmt.Fprintf(b.log, "bench backbone: starting a 3-node NATS cluster\n")
	users := []natstest.User{{Name: benchNATSUser, Password: benchNATSPassword}}
	var domains []string
	if b.leaf {
		for i := range b.gateways {
			gw := benchGatewayID("leaf", i)
			d := broker.DomainFor(b.site.ID, gw)
			pub, sub := fgsync.LeafPermissions(b.site.ID, gw, d, "", "")
			users = append(users, natstest.User{Name: "leaf-" + d, Password: benchLeafPassword, Publish: pub, Subscribe: sub})
			domains = append(domains, d)
		}
	}
	cluster, err := natstest.StartProcess(filepath.Join(b.dir, "nats"), natstest.Options{Nodes: 3, Users: users})
	if err != nil {
		return r, fmt.Errorf("bench backbone: %w", err)
	}
	defer cluster.KillAll()
	r.nodes = len(cluster.Nodes)
	if _, err := fgsync.SetUpBackbone(ctx, fgsync.BackboneLayout{NATS: cluster.NATSURLs(), MQTT: cluster.MQTTURLs()[0],
		Username: benchNATSUser, Password: benchNATSPassword, Leaves: domains}); err != nil {
		return r, fmt.Errorf("bench backbone: %w", err)
	}
	erp := newBenchERP()
	tail := fgsync.NewTail(fgsync.TailConfig{NATS: cluster.NATSURLs(), Username: benchNATSUser, Password: benchNATSPassword,
		ClientID: "bench-erp", Workers: b.workers, Out: erp})
	if err := tail.Start(ctx); err != nil {
		return r, fmt.Errorf("bench backbone: %w", err)
	}
	defer tail.Close()
	pids := make([]int, len(cluster.Nodes))
	for i := range pids {
		pids[i] = cluster.Pid(i)
	}
	brokers := func(i int) []string {
		// Each gateway lists every node, starting at its own, so the
		// gateways spread over the cluster as a site's would.
		u := cluster.MQTTURLs()
		return append(u[i%len(u):], u[:i%len(u)]...)
	}
	backbone := &benchBroker{name: "backbone", brokers: brokers, user: benchNATSUser, password: benchNATSPassword, pids: pids,
		streams: func() (map[string]uint64, error) { return jszStreams(ctx, cluster) }}

	// A durable consumer just created may lose the workers' first pull
	// requests while its leader is elected, and they pull again only when
	// they miss its heartbeats, some 30 s later: not what is measured, so
	// a few events go through first.
	outs, err := b.fill(ctx, "warmup", b.gateways, time.Now(), time.Second)
	if err != nil {
		return r, err
	}
	wt, err := b.drain(ctx, outs, backbone, erp)
	closeOutboxes(outs)
	if err != nil {
		return r, err
	}
	r.lost, r.dups = r.lost+wt.lost, r.dups+wt.dups

	outs, err = b.fill(ctx, "nats", rateEvents, time.Now(), time.Duration(rateEvents)*time.Millisecond)
	if err != nil {
		return r, err
	}
	nt, err := b.drain(ctx, outs, backbone, erp)
	closeOutboxes(outs)
	if err != nil {
		return r, err
	}
	r.natsPerS = float64(rateEvents) / nt.workers.Seconds()
	r.lost, r.dups = r.lost+nt.lost, r.dups+nt.dups

	// The backlog: an hour's events waited in the outboxes while the WAN
	// was down; now the gateways reach the cluster again.
	outs, err = b.fill(ctx, "backlog", backlog, time.Now().Add(-time.Hour), time.Hour)
	if err != nil {
		return r, err
	}
	if b.cpuProfile != "" {
		f, err := os.Create(b.cpuProfile)
		if err != nil {
			closeOutboxes(outs)
			return r, fmt.Errorf("bench backbone: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			closeOutboxes(outs)
			return r, fmt.Errorf("bench backbone: %w", err)
		}
	}
	bt, err := b.drain(ctx, outs, backbone, erp)
	if b.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	closeOutboxes(outs)
	if err != nil {
		return r, err
	}
	r.drain, r.puback, r.stream = bt.workers, bt.puback, bt.stream
	r.lost, r.dups = r.lost+bt.lost, r.dups+bt.dups
	st := tail.Stats()
	r.dups += st.Duplicates
	fmt.Fprintf(b.log, "bench backbone: workers took %v messages each (%d events received, %d duplicates in the workers' process)\n",
		tail.WorkerCounts(), st.Received, st.Duplicates)
	if !b.leaf {
		return r, nil
	}
	lt, err := b.leafPart(ctx, cluster, backlog, erp)
	if err != nil {
		return r, err
	}
	st1 := tail.Stats()
	lt.dups += st1.Duplicates - st.Duplicates
	r.leaf = &lt
	fmt.Fprintf(b.log, "bench backbone: leaf: workers took %v messages each in all (%d events received, %d duplicates in the workers' process)\n",
		tail.WorkerCounts(), st1.Received-st.Received, st1.Duplicates-st.Duplicates)
	return r, nil
}

// mosquittoPart drains rateEvents from the gateways into one Mosquitto.
func (b *backboneBench) mosquittoPart(ctx context.Context, rateEvents int) (drainTimes, error) {
	mq, err := startBenchMosquitto(filepath.Join(b.dir, "mosquitto"))
	if err != nil {
		return drainTimes{}, err
	}
	defer mq.stop()
	erp := newBenchERP()
	var tails []*fgsync.Tail
	defer func() {
		for _, t := range tails {
			t.Close()
		}
	}()
	for w := range b.workers {
		t := fgsync.NewTail(fgsync.TailConfig{Broker: mq.url, ClientID: fmt.Sprintf("bench-erp-%d", w+1), Share: "erp", Out: erp})
		if err := t.Start(ctx); err != nil {
			return drainTimes{}, fmt.Errorf("bench backbone: mosquitto worker %d: %w", w+1, err)
		}
		tails = append(tails, t)
	}
	outs, err := b.fill(ctx, "mosquitto", rateEvents, time.Now(), time.Duration(rateEvents)*time.Millisecond)
	if err != nil {
		return drainTimes{}, err
	}
	defer closeOutboxes(outs)
	dt, err := b.drain(ctx, outs, &benchBroker{name: "mosquitto", brokers: func(int) []string { return []string{mq.url} },
		pids: []int{mq.cmd.Process.Pid}}, erp)
	for _, t := range tails {
		dt.dups += t.Stats().Duplicates
	}
	return dt, err
}

// benchOutbox is one gateway's store and the events journalled in it.
type benchOutbox struct {
	db     *store.DB
	site   floorgate.Site
	events int
}

func closeOutboxes(outs []*benchOutbox) {
	for _, o := range outs {
		o.db.Close()
	}
}

// fill opens a store for each gateway (site ids "{part}-gw{n}") and
// journals n events between them, each gateway's spread evenly over span
// from from, all at once as a busy site's gateways would have.
func (b *backboneBench) fill(ctx context.Context, part string, n int, from time.Time, span time.Duration) ([]*benchOutbox, error) {
	t0 := time.Now()
	outs := make([]*benchOutbox, b.gateways)
	errs := make([]error, b.gateways)
	var wg sync.WaitGroup
	for i := range outs {
		site := b.site
		site.Gateway = benchGatewayID(part, i)
		k := n / b.gateways
		if i < n%b.gateways {
			k++
		}
		sdir := filepath.Join(b.dir, site.Gateway)
		if err := os.MkdirAll(sdir, 0o755); err != nil {
			closeOutboxes(outs[:i])
			return nil, fmt.Errorf("bench backbone: %w", err)
		}
		db, err := store.Open(store.PathIn(sdir), store.Options{Site: site})
		if err != nil {
			closeOutboxes(outs[:i])
			return nil, fmt.Errorf("bench backbone: %w", err)
		}
		outs[i] = &benchOutbox{db: db, site: site, events: k}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fillOutbox(ctx, db, i, k, from, span)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeOutboxes(outs)
		return nil, fmt.Errorf("bench backbone: fill: %w", err)
	}
	fmt.Fprintf(b.log, "bench backbone: %s: filled %d outboxes with %d events in %.1fs\n", part, b.gateways, n, time.Since(t0).Seconds())
	return outs, nil
}

// fillOutbox journals n scans as gateway g's PDAs make them, evenly
// spread over span from from.
func fillOutbox(ctx context.Context, db *store.DB, g, n int, from time.Time, span time.Duration) error {
	const batch = 10_000
	for done := 0; done < n; done += batch {
		evs := make([]floorgate.Event, 0, batch)
		for i := done; i < min(done+batch, n); i++ {
			pda := g*40 + i%40
			evs = append(evs, floorgate.NewEvent(floorgate.EventScanAccepted, from.Add(span*time.Duration(i)/time.Duration(n)), floorgate.ScanRecord{
				ScanID: fmt.Sprintf("pda-%03d-%08d", pda, i), Device: fmt.Sprintf("pda-%03d", pda), Operator: fmt.Sprintf("P%03d", pda+1),
				Task: fmt.Sprintf("T%d-%06d", g, i/20), Line: i%20 + 1, Data: "6901234510017", AIM: "]E0", Kind: floorgate.MatchItem,
				Code: floorgate.CodeItemOK, DistanceMM: 72, Distance: "in"}))
		}
		if err := db.EmitEvents(ctx, evs); err != nil {
			return err
		}
	}
	return nil
}

// benchBroker is where the gateways drain to.
type benchBroker struct {
	name           string
	brokers        func(gateway int) []string
	user, password string
	pids           []int // the broker's processes, for their CPU time
	// streams, when set, reads the backbone's streams' message counts.
	streams func() (map[string]uint64, error)
}

// drainTimes is one drain, timed from the gateways' start.
type drainTimes struct {
	puback  time.Duration // every gateway had a PUBACK for every event
	stream  time.Duration // the events stream held them all (backbone only)
	workers time.Duration // the workers together had every event
	lost    int           // never reached the workers
	dups    int           // reached them more than once
}

// drain runs a gateway link for each outbox and times until erp has every
// event.
func (b *backboneBench) drain(ctx context.Context, outs []*benchOutbox, to *benchBroker, erp *benchERP) (drainTimes, error) {
	var dt drainTimes
	total := 0
	for _, o := range outs {
		total += o.events
	}
	complete := erp.arm(total)
	var base map[string]uint64
	if to.streams != nil {
		var err error
		if base, err = to.streams(); err != nil {
			return dt, fmt.Errorf("bench backbone: %w", err)
		}
	}
	links := make([]*fgsync.Gateway, len(outs))
	for i, o := range outs {
		g, err := fgsync.New(fgsync.Config{Brokers: to.brokers(i), Username: to.user, Password: to.password,
			Site: o.site.ID, Gateway: o.site.Gateway, Window: b.window, BatchEvents: b.batch}, o.db, o.db, nil, nil)
		if err != nil {
			return dt, fmt.Errorf("bench backbone: %w", err)
		}
		links[i] = g
	}
	part := strings.SplitN(outs[0].site.Gateway, "-gw", 2)[0]
	fmt.Fprintf(b.log, "bench backbone: %s: %d gateways draining %d events to %s (window %d, batch %d), %d workers\n",
		part, len(outs), total, to.name, b.window, max(b.batch, 1), b.workers)

	cpu0, brokerCPU0 := cpuTime(), b.brokerCPU(to)
	gctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t0 := time.Now()
	for _, g := range links {
		wg.Add(1)
		go func() { defer wg.Done(); g.Run(gctx) }()
	}
	defer func() { stop(); wg.Wait() }()

	acked := make([]time.Duration, len(links))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(b.timeout)
	var lastPoll, lastProgress time.Time
	streamMsgs := func() map[string]uint64 { return nil }
	if to.streams != nil {
		var last map[string]uint64
		streamMsgs = func() map[string]uint64 {
			// The monitoring endpoint every 250 ms: enough for drains
			// of seconds, little load on the nodes.
			if time.Since(lastPoll) < 250*time.Millisecond {
				return last
			}
			lastPoll = time.Now()
			if m, err := to.streams(); err == nil {
				last = m
			}
			return last
		}
	}
	for {
		var now time.Duration
		select {
		case <-ctx.Done():
			return dt, ctx.Err()
		case <-deadline:
			got, dups := erp.count()
			dt.lost, dt.dups, dt.workers = total-got, dups, b.timeout
			fmt.Fprintf(b.log, "bench backbone: %s: gave up after %v: the workers have %d of %d events\n", part, b.timeout, got, total)
			return dt, nil
		case <-complete:
			now = time.Since(t0)
			dt.workers, complete = now, nil
		case <-tick.C:
			now = time.Since(t0)
		}
		var messages uint64
		all := true
		for i, g := range links {
			s := g.Status()
			messages += s.Messages
			if acked[i] == 0 && s.Acknowledged >= uint64(outs[i].events) {
				acked[i] = now
			}
			all = all && acked[i] != 0
		}
		if all && dt.puback == 0 {
			dt.puback = slices.Max(acked)
		}
		m := streamMsgs()
		if to.streams != nil && all && dt.stream == 0 && m[fgsync.DefaultEventsStream]-base[fgsync.DefaultEventsStream] >= messages {
			dt.stream = now
		}
		if time.Since(lastProgress) >= 5*time.Second {
			lastProgress = time.Now()
			var acks uint64
			for _, g := range links {
				acks += g.Status().Acknowledged
			}
			streams := ""
			if m != nil {
				streams = fmt.Sprintf(", $MQTT_msgs +%d, %s +%d messages", m["$MQTT_msgs"]-base["$MQTT_msgs"],
					fgsync.DefaultEventsStream, m[fgsync.DefaultEventsStream]-base[fgsync.DefaultEventsStream])
			}
			got, _ := erp.count()
			fmt.Fprintf(b.log, "bench backbone: %s: %5.1fs: %d events PUBACKed in %d messages%s, workers have %d\n",
				part, now.Seconds(), acks, messages, streams, got)
		}
		if dt.workers != 0 && dt.puback != 0 && (to.streams == nil || dt.stream != 0) {
			break
		}
	}
	cpu, brokerCPU := cpuTime()-cpu0, b.brokerCPU(to)-brokerCPU0
	_, dt.dups = erp.count()
	wall := dt.workers
	rate := func(d time.Duration) float64 { return float64(total) / d.Seconds() }
	var gws []string
	for i, a := range acked {
		gws = append(gws, fmt.Sprintf("%s %.1fs", outs[i].site.Gateway, a.Seconds()))
	}
	fmt.Fprintf(b.log, "bench backbone: %s: every event PUBACKed at %.1fs (%.0f events/s; %s)\n", part, dt.puback.Seconds(), rate(dt.puback), strings.Join(gws, ", "))
	if to.streams != nil {
		fmt.Fprintf(b.log, "bench backbone: %s: %s complete at %.1fs (%.0f events/s)\n", part, fgsync.DefaultEventsStream, dt.stream.Seconds(), rate(dt.stream))
	}
	fmt.Fprintf(b.log, "bench backbone: %s: workers complete at %.1fs (%.0f events/s)\n", part, dt.workers.Seconds(), rate(dt.workers))
	fmt.Fprintf(b.log, "bench backbone: %s: CPU meanwhile: this process (gateways, workers) %.1fs, %s %.1fs, over %.1fs on %d cores\n",
		part, cpu.Seconds(), to.name, brokerCPU, wall.Seconds(), runtime.NumCPU())
	return dt, nil
}

func (b *backboneBench) brokerCPU(to *benchBroker) float64 {
	s := 0.0
	for _, pid := range to.pids {
		s += procCPU(pid)
	}
	return s
}

// jszStreams reads the message count of each of the account's streams
// from the nodes' monitoring endpoints: the most any replica has.
func jszStreams(ctx context.Context, c *natstest.Cluster) (map[string]uint64, error) {
	out := map[string]uint64{}
	var errs []error
	for i := range c.Nodes {
		var jsz struct {
			Accounts []struct {
				Streams []struct {
					Name  string `json:"name"`
					State struct {
						Msgs uint64 `json:"messages"`
					} `json:"state"`
				} `json:"stream_detail"`
			} `json:"account_details"`
		}
		if err := jszGet(ctx, c.Monitor(i)+"/jsz?acc=FG&streams=true", &jsz); err != nil {
			errs = append(errs, err)
			continue
		}
		for _, a := range jsz.Accounts {
			for _, s := range a.Streams {
				out[s.Name] = max(out[s.Name], s.State.Msgs)
			}
		}
	}
	if len(errs) == len(c.Nodes) {
		return nil, fmt.Errorf("jsz: %w", errors.Join(errs...))
	}
	return out, nil
}

func jszGet(ctx context.Context, url string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// benchERP is the ERP's common store (contract §14): every worker writes
// each event it took there, and it keeps each id once, so an event two
// workers took counts as a duplicate. An id is its incarnation and its
// seq ("{incarnation}-{seq}"): a bit per seq keeps a million of them
// without a million strings for the collector to scan in this process,
// which also runs the gateways and the workers being measured.
type benchERP struct {
	mu         sync.Mutex
	seqs       map[string][]uint64 // incarnation → a bit per seq
	others     map[string]struct{} // ids not of that form
	want, got  int
	duplicates int
	done       chan struct{}
}

var _ io.Writer = (*benchERP)(nil)

func newBenchERP() *benchERP {
	return &benchERP{seqs: map[string][]uint64{}, others: map[string]struct{}{}}
}

// arm counts from zero again, and the channel it returns is closed once
// n new events arrived.
func (e *benchERP) arm(n int) <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.want, e.got, e.duplicates, e.done = n, 0, 0, make(chan struct{})
	return e.done
}

// count is the new events since arm, and the duplicates among what came.
func (e *benchERP) count() (events, duplicates int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.got, e.duplicates
}

// Write takes one event's JSON line, as a Tail writes it.
func (e *benchERP) Write(p []byte) (int, error) {
	id := benchEventID(p)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.add(id) {
		e.got++
		if e.got == e.want {
			close(e.done)
		}
	} else {
		e.duplicates++
	}
	return len(p), nil
}

// add records id and reports whether it is new.
func (e *benchERP) add(id []byte) bool {
	if i := bytes.LastIndexByte(id, '-'); i > 0 {
		if seq, err := strconv.ParseUint(string(id[i+1:]), 10, 32); err == nil {
			bits := e.seqs[string(id[:i])]
			if w := int(seq / 64); w >= len(bits) {
				bits = append(bits, make([]uint64, w+1-len(bits)+len(bits)/2)...)
				e.seqs[string(id[:i])] = bits
			}
			if bits[seq/64]&(1<<(seq%64)) != 0 {
				return false
			}
			bits[seq/64] |= 1 << (seq % 64)
			return true
		}
	}
	if _, ok := e.others[string(id)]; ok {
		return false
	}
	e.others[string(id)] = struct{}{}
	return true
}

// benchEventID is an event's id: the store writes it first, so the
// envelope need not be read whole.
func benchEventID(line []byte) []byte {
	const pre = `{"id":"`
	if rest, ok := bytes.CutPrefix(line, []byte(pre)); ok {
		if end := bytes.IndexAny(rest, `"\`); end >= 0 && rest[end] == '"' {
			return rest[:end]
		}
	}
	var ev struct {
		ID string `json:"id"`
	}
	json.Unmarshal(line, &ev)
	return []byte(ev.ID)
}

// benchMosquitto is a Mosquitto process the bench started.
type benchMosquitto struct {
	url string
	cmd *exec.Cmd
}

// startBenchMosquitto runs Mosquitto on a free loopback port, configured
// as the tests' (sync/mqtttest): no persistence, no queue limit.
func startBenchMosquitto(dir string) (*benchMosquitto, error) {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
		if _, err := os.Stat(bin); err != nil {
			return nil, errors.New("bench backbone: mosquitto is not installed (make test-deps installs it)")
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench backbone: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench backbone: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	user := ""
	if os.Geteuid() == 0 {
		user = "user root\n" // else it switches to a user that cannot read dir
	}
	conf, logFile := filepath.Join(dir, "mosquitto.conf"), filepath.Join(dir, "mosquitto.log")
	text := user + fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n"+
		"max_inflight_messages 1000\nmax_keepalive 600\nlog_dest file %s\nlog_type error\nlog_type warning\n", port, logFile)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, fmt.Errorf("bench backbone: %w", err)
	}
	m := &benchMosquitto{url: fmt.Sprintf("tcp://127.0.0.1:%d", port), cmd: exec.Command(bin, "-c", conf)}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench backbone: mosquitto: %w", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return m, nil
		}
		if time.Now().After(deadline) {
			m.stop()
			raw, _ := os.ReadFile(logFile)
			return nil, fmt.Errorf("bench backbone: mosquitto did not start: %w\n%s", err, raw)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (m *benchMosquitto) stop() {
	m.cmd.Process.Kill()
	m.cmd.Wait()
}

// leafTimes is the leaf part's figures. store is the gateways filling
// their site brokers with the links cut; the others count from the links'
// mend.
type leafTimes struct {
	store   time.Duration // every event stored by its site's broker
	stream  time.Duration // the events stream held every message
	confirm time.Duration // every outbox empty: the central stream confirmed every event
	workers time.Duration // the workers together had every event
	lost    int           // never reached the workers
	dups    int           // reached them more than once
}

// fields is the BENCH line's leaf fields; none when the part did not run.
func (t *leafTimes) fields() string {
	if t == nil {
		return ""
	}
	return fmt.Sprintf(" leaf_store_s=%.1f leaf_stream_s=%.1f leaf_confirm_s=%.1f leaf_drain_s=%.1f leaf_lost=%d leaf_dup=%d",
		t.store.Seconds(), t.stream.Seconds(), t.confirm.Seconds(), t.workers.Seconds(), t.lost, t.dups)
}

// benchLeafSite is a gateway in leaf mode: its embedded broker, joined to
// the cluster through a link the bench cuts and mends, and its sync link.
type benchLeafSite struct {
	out    *benchOutbox
	proxy  *natstest.LinkProxy
	broker *broker.Broker
	g      *fgsync.Gateway
	// After the mend: when the link was seen up, the gateway reading the
	// central stream, the first of its events in the stream, its outbox
	// empty.
	linked, reading, sourced, confirmed time.Duration
}

// leafPart drains a backlog of n events in leaf mode: the gateways' outboxes
// hold an hour's events; with the links cut they store them all in their
// sites' brokers (timed apart); then the links are mended and the part
// times the events stream holding every event, the outboxes emptied by
// what the stream confirms, and the workers having every event.
func (b *backboneBench) leafPart(ctx context.Context, cluster *natstest.Cluster, backlog int, erp *benchERP) (leafTimes, error) {
	var lt leafTimes
	outs, err := b.fill(ctx, "leaf", backlog, time.Now().Add(-time.Hour), time.Hour)
	if err != nil {
		return lt, err
	}
	defer closeOutboxes(outs)
	events, err := fgsync.OpenStreamStats(ctx, cluster.NATSURLs(), benchNATSUser, benchNATSPassword, fgsync.DefaultEventsStream)
	if err != nil {
		return lt, fmt.Errorf("bench backbone: leaf: %w", err)
	}
	defer events.Close()

	var hub []string
	for _, u := range cluster.LeafURLs() {
		hub = append(hub, strings.TrimPrefix(u, "nats-leaf://"))
	}
	sites := make([]*benchLeafSite, len(outs))
	defer func() {
		for _, s := range sites {
			if s != nil {
				s.broker.Close()
				s.proxy.Close()
			}
		}
	}()
	total := 0
	for i, o := range outs {
		total += o.events
		// Each site's link goes to every node in turn, starting at its own,
		// and starts cut: the WAN is down.
		p, err := natstest.StartLinkProxy(append(hub[i%len(hub):], hub[:i%len(hub)]...)...)
		if err != nil {
			return lt, fmt.Errorf("bench backbone: leaf: %w", err)
		}
		p.Cut()
		domain := broker.DomainFor(o.site.ID, o.site.Gateway)
		br, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", StoreDir: filepath.Join(b.dir, o.site.Gateway, "broker"),
			Users: []broker.User{{Name: "gw", Password: "gw-secret", Publish: []string{"floorgate/#"}, Subscribe: []string{"floorgate/#"}}},
			Leaf:  &broker.Leaf{URLs: []string{"nats-leaf://" + p.Addr()}, Username: "leaf-" + domain, Password: benchLeafPassword, Domain: domain}})
		if err != nil {
			p.Close()
			return lt, fmt.Errorf("bench backbone: leaf: %w", err)
		}
		sites[i] = &benchLeafSite{out: o, proxy: p, broker: br}
		user, password := br.InternalUser()
		// The production defaults otherwise (a gateway's back-off among
		// them): what a site would see after its outage.
		g, err := fgsync.New(fgsync.Config{Brokers: []string{br.URL()}, Username: "gw", Password: "gw-secret",
			Site: o.site.ID, Gateway: o.site.Gateway, Window: b.window, BatchEvents: b.batch,
			Leaf: &fgsync.LeafLink{Broker: br, User: user, Password: password, Domain: domain}}, o.db, o.db, nil, nil)
		if err != nil {
			return lt, fmt.Errorf("bench backbone: leaf: %w", err)
		}
		sites[i].g = g
	}
	subjects := make([]string, len(sites))
	for i, s := range sites {
		subjects[i] = broker.Subject(fgsync.TopicsFor(s.out.site.ID, s.out.site.Gateway).Events)
	}
	counts := func() (map[string]uint64, string, error) {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return events.Subjects(cctx, "floorgate.v1.>")
	}
	base, leader, err := counts()
	if err != nil {
		return lt, fmt.Errorf("bench backbone: leaf: %s: %w", fgsync.DefaultEventsStream, err)
	}
	complete := erp.arm(total)

	// The outage: the gateways store the backlog in their sites' brokers.
	fmt.Fprintf(b.log, "bench backbone: leaf: %d gateways storing %d events in their sites' brokers, links cut (window %d, batch %d)\n",
		len(sites), total, b.window, max(b.batch, 1))
	gctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	t0 := time.Now()
	for _, s := range sites {
		wg.Add(1)
		go func() { defer wg.Done(); s.g.Run(gctx) }()
	}
	stored := func() (n uint64, all bool) {
		all = true
		for _, s := range sites {
			st := s.g.Status()
			var awaiting uint64
			if st.Central != nil {
				awaiting = st.Central.AwaitingCentral
			}
			n += awaiting
			all = all && awaiting >= uint64(s.out.events)
		}
		return n, all
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	lastProgress := time.Now()
	for {
		select {
		case <-ctx.Done():
			return lt, ctx.Err()
		case <-tick.C:
		}
		n, all := stored()
		if all {
			lt.store = time.Since(t0)
			break
		}
		if time.Since(t0) > b.timeout {
			return lt, fmt.Errorf("bench backbone: leaf: the sites' brokers stored %d of %d events in %v", n, total, b.timeout)
		}
		if time.Since(lastProgress) >= 5*time.Second {
			lastProgress = time.Now()
			fmt.Fprintf(b.log, "bench backbone: leaf: %5.1fs: the sites' brokers stored %d events\n", time.Since(t0).Seconds(), n)
		}
	}
	var messages uint64
	for _, s := range sites {
		messages += s.g.Status().Messages
	}
	now, _, err := counts()
	if err != nil {
		return lt, fmt.Errorf("bench backbone: leaf: %s: %w", fgsync.DefaultEventsStream, err)
	}
	var leaked uint64
	for _, subj := range subjects {
		leaked += now[subj] - base[subj]
	}
	fmt.Fprintf(b.log, "bench backbone: leaf: the sites' brokers stored %d events in %d messages in %.1fs (%.0f events/s); %d reached %s with the links cut\n",
		total, messages, lt.store.Seconds(), float64(total)/lt.store.Seconds(), leaked, fgsync.DefaultEventsStream)

	// The WAN is back.
	if b.leafProfile != "" {
		f, err := os.Create(b.leafProfile)
		if err != nil {
			return lt, fmt.Errorf("bench backbone: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return lt, fmt.Errorf("bench backbone: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	pids := make([]int, len(cluster.Nodes))
	for i := range pids {
		pids[i] = cluster.Pid(i)
	}
	cpu0, clusterCPU0 := cpuTime(), b.brokerCPU(&benchBroker{pids: pids})
	tm := time.Now()
	for _, s := range sites {
		if err := s.proxy.Mend(); err != nil {
			return lt, fmt.Errorf("bench backbone: leaf: %w", err)
		}
	}
	fmt.Fprintf(b.log, "bench backbone: leaf: links mended; %s leader %s\n", fgsync.DefaultEventsStream, leader)

	// The stream's counts come from its leader, asked in the background so
	// that a slow answer does not hold up the rest.
	type snapshot struct {
		at     time.Duration
		counts map[string]uint64
		leader string
	}
	snaps := make(chan snapshot, 1)
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			c, l, err := counts()
			if err == nil {
				select {
				case <-snaps:
				default:
				}
				snaps <- snapshot{at: time.Since(tm), counts: c, leader: l}
			}
			select {
			case <-gctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	deadline := time.After(b.timeout)
	var last snapshot
	var lastStream uint64
	lastProgress, lastAt := time.Now(), time.Duration(0)
	// Each progress line says who had the CPU meanwhile: the machine is
	// shared, and the backbone's nodes, this process and anything else
	// running take from the same cores.
	lastCPU, lastCluster := cpu0, clusterCPU0
	lastBusy, lastTotal := machineCPU()
	inStream := func(c map[string]uint64) (n uint64, per []string) {
		for _, subj := range subjects {
			k := c[subj] - base[subj]
			n += k
			per = append(per, strconv.FormatUint(k, 10))
		}
		return n, per
	}
	for {
		var at time.Duration
		select {
		case <-ctx.Done():
			return lt, ctx.Err()
		case <-deadline:
			got, dups := erp.count()
			lt.lost, lt.dups = total-got, dups
			for _, d := range []*time.Duration{&lt.stream, &lt.confirm, &lt.workers} {
				if *d == 0 {
					*d = b.timeout
				}
			}
			fmt.Fprintf(b.log, "bench backbone: leaf: gave up after %v: the workers have %d of %d events\n", b.timeout, got, total)
			return lt, nil
		case <-complete:
			at = time.Since(tm)
			lt.workers, complete = at, nil
		case s := <-snaps:
			at = time.Since(tm)
			if s.leader != last.leader && last.leader != "" {
				fmt.Fprintf(b.log, "bench backbone: leaf: %5.1fs: %s leader now %s (was %s)\n", s.at.Seconds(), fgsync.DefaultEventsStream, s.leader, last.leader)
			}
			last = s
			for i, st := range sites {
				if st.sourced == 0 && s.counts[subjects[i]] > base[subjects[i]] {
					st.sourced = s.at
				}
			}
			if n, _ := inStream(s.counts); lt.stream == 0 && n >= messages {
				lt.stream = s.at
			}
		case <-tick.C:
			at = time.Since(tm)
		}
		confirmed := true
		for _, s := range sites {
			if s.linked == 0 {
				if l, ok := s.broker.Leaf(); ok && l.Connected {
					s.linked = at
				}
			}
			if s.reading == 0 {
				if c := s.g.Status().Central; c != nil && c.Reading {
					s.reading = at
				}
			}
			if s.confirmed == 0 {
				if o, err := s.out.db.Outbox(); err == nil && o.Depth == 0 {
					s.confirmed = at
				}
			}
			confirmed = confirmed && s.confirmed != 0
		}
		if confirmed && lt.confirm == 0 {
			lt.confirm = at
		}
		if time.Since(lastProgress) >= 5*time.Second {
			n, per := inStream(last.counts)
			var conf, depth, nudges []string
			for _, s := range sites {
				st := s.g.Status()
				if c := st.Central; c != nil {
					conf = append(conf, strconv.FormatUint(c.Confirmed, 10))
					nudges = append(nudges, strconv.FormatUint(c.Nudges, 10))
				}
				o, _ := s.out.db.Outbox()
				depth = append(depth, strconv.Itoa(o.Depth))
			}
			got, _ := erp.count()
			rate := 0.0
			if d := (last.at - lastAt).Seconds(); d > 0 {
				rate = float64(n-lastStream) / d
			}
			cpu, cluster := cpuTime(), b.brokerCPU(&benchBroker{pids: pids})
			busy, all := machineCPU()
			used := ""
			if all > lastTotal {
				// /proc/stat's total over the cores: its share of the
				// interval's wall time is the cores.
				cores := float64(runtime.NumCPU())
				wall := (all - lastTotal) / cores
				used = fmt.Sprintf("; CPU %.1fs: this process %.1f, backbone %.1f, the rest of the machine %.1f, idle %.1f core-s",
					wall, (cpu - lastCPU).Seconds(), cluster-lastCluster,
					max(0, busy-lastBusy-(cpu-lastCPU).Seconds()-(cluster-lastCluster)), (all-lastTotal)-(busy-lastBusy))
			}
			fmt.Fprintf(b.log, "bench backbone: leaf: %5.1fs: %s +%d messages (%s; %.0f/s), confirmed %s, outboxes %s, workers have %d, nudges %s%s\n",
				at.Seconds(), fgsync.DefaultEventsStream, n, strings.Join(per, "/"), rate, strings.Join(conf, "/"),
				strings.Join(depth, "/"), got, strings.Join(nudges, "/"), used)
			lastProgress, lastStream, lastAt = time.Now(), n, last.at
			lastCPU, lastCluster, lastBusy, lastTotal = cpu, cluster, busy, all
		}
		if lt.workers != 0 && lt.confirm != 0 && lt.stream != 0 {
			break
		}
	}
	cpu, clusterCPU := cpuTime()-cpu0, b.brokerCPU(&benchBroker{pids: pids})-clusterCPU0
	got, dups := erp.count()
	lt.lost, lt.dups = total-got, dups
	held, _ := inStream(last.counts)
	rate := func(d time.Duration) float64 { return float64(total) / d.Seconds() }
	for _, s := range sites {
		c := s.g.Status().Central
		if c == nil {
			c = &fgsync.CentralStatus{}
		}
		fmt.Fprintf(b.log, "bench backbone: leaf: %s: link up at %.1fs, reading %s at %.1fs, first event sourced at %.1fs, outbox empty at %.1fs; "+
			"%d confirmed, %d step-downs asked%s\n", s.out.site.Gateway, s.linked.Seconds(), fgsync.DefaultEventsStream, s.reading.Seconds(),
			s.sourced.Seconds(), s.confirmed.Seconds(), c.Confirmed, c.Nudges, benchLastError(c.LastError))
	}
	fmt.Fprintf(b.log, "bench backbone: leaf: %s held every message at %.1fs (%.0f events/s; %d copies of %d messages)\n",
		fgsync.DefaultEventsStream, lt.stream.Seconds(), rate(lt.stream), held, messages)
	fmt.Fprintf(b.log, "bench backbone: leaf: every outbox empty at %.1fs (%.0f events/s)\n", lt.confirm.Seconds(), rate(lt.confirm))
	fmt.Fprintf(b.log, "bench backbone: leaf: workers complete at %.1fs (%.0f events/s)\n", lt.workers.Seconds(), rate(lt.workers))
	wall := max(lt.workers, lt.confirm, lt.stream)
	fmt.Fprintf(b.log, "bench backbone: leaf: CPU meanwhile: this process (gateways, site brokers, workers) %.1fs, backbone %.1fs, over %.1fs on %d cores\n",
		cpu.Seconds(), clusterCPU, wall.Seconds(), runtime.NumCPU())
	return lt, nil
}

func benchLastError(e string) string {
	if e == "" {
		return ""
	}
	return "; last error: " + e
}
