package main

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
	"github.com/floorgate/floorgate/sync/natstest"
)

// benchBackboneCommand measures the NATS backbone end to end: gateways
// draining their outboxes over MQTT to a three-node JetStream cluster laid
// out by backbone init, ERP workers sharing its durable consumer; against
// the same gateways and workers on one Mosquitto, in the same run; then
// the drain of a backlog a WAN outage left in the gateways' outboxes.
func benchBackboneCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench backbone", "", "Measure events/s from gateways' outboxes through a 3-node NATS backbone to ERP workers, "+
		"against one Mosquitto, and the drain of a backlog after a WAN outage.", stdout, stderr)
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
	if err := fs.parse(args, 0); err != nil {
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
		timeout: *timeout, site: site, log: stderr, cpuProfile: *cpuProfile}
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
}

// backboneResult is the bench's figures.
type backboneResult struct {
	gateways, nodes, workers, batch int
	rateEvents, backlog             int
	natsPerS, mosquittoPerS         float64
	drain, puback, stream           time.Duration
	target                          time.Duration
	lost, dups                      int
}

func (r backboneResult) String() string {
	batch := ""
	if r.batch > 1 {
		batch = fmt.Sprintf(" batch=%d", r.batch)
	}
	return fmt.Sprintf("BENCH backbone gateways=%d nodes=%d workers=%d%s events=%d events_per_s=%.0f mosquitto_events_per_s=%.0f ratio=%.2f "+
		"backlog=%d drain_s=%.1f drain_target_s=%.0f puback_s=%.1f stream_s=%.1f lost=%d dup=%d",
		r.gateways, r.nodes, r.workers, batch, r.rateEvents, r.natsPerS, r.mosquittoPerS, r.natsPerS/r.mosquittoPerS,
		r.backlog, r.drain.Seconds(), r.target.Seconds(), r.puback.Seconds(), r.stream.Seconds(), r.lost, r.dups)
}

// The cluster's user, for the gateways, backbone init and the workers
// alike (natstest's default).
const benchNATSUser, benchNATSPassword = "erp", "erp-secret"

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
	fmt.Fprintf(b.log, "bench backbone: starting a 3-node NATS cluster\n")
	cluster, err := natstest.StartProcess(filepath.Join(b.dir, "nats"), natstest.Options{Nodes: 3})
	if err != nil {
		return r, fmt.Errorf("bench backbone: %w", err)
	}
	defer cluster.KillAll()
	r.nodes = len(cluster.Nodes)
	if _, err := fgsync.SetUpBackbone(ctx, fgsync.BackboneLayout{NATS: cluster.NATSURLs(), MQTT: cluster.MQTTURLs()[0],
		Username: benchNATSUser, Password: benchNATSPassword}); err != nil {
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
		site.Gateway = fmt.Sprintf("%s-gw%d", part, i+1)
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
