package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/cmdline"
	"github.com/floorgate/floorgate/internal/sim"
	"github.com/floorgate/floorgate/store/storebench"
)

// Package bench measures floorgate against baselines measured in the same
// run: a raw bbolt commit, bare WebSocket connections, plain QoS 1
// publishing, one Mosquitto, a Node-RED scan loop. It is floorgate-bench's
// code; every bench prints one BENCH line, and report turns the lines into
// report.md, report.json and a latency chart.
//
// The benches start what they measure themselves: gateways in this
// process, brokers and NATS clusters as processes of their own, and (bench
// peer) the floorgate daemon as a site runs it.

// prog is the bench program's name, as usages show it.
const prog = "floorgate-bench"

// newFlags returns the flag set of "floorgate-bench name".
func newFlags(name, args, summary string, stdout, stderr io.Writer) *cmdline.Flags {
	return cmdline.NewFlags(prog, name, args, summary, stdout, stderr)
}

// Main runs floorgate-bench's command line args (without the program's
// name) and returns the process's exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cmdline.ExitCode(prog, benchCommand(ctx, args, stdout, stderr), stderr)
}

func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "mem-child" {
		// Hidden: the measured process of bench mem.
		return benchMemChildCommand(ctx, args[1:], os.Stdin, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "loadgen" {
		// Hidden: bench peer's load generator, a process of its own.
		return benchLoadgenCommand(ctx, args[1:], stdout, stderr)
	}
	sub, args, err := cmdline.Subcommand(prog, "", args, map[string]string{
		"scan":     "verdicts per second and latency of N PDAs against a raw bbolt baseline",
		"degraded": "verdict latency with the broker down and a printer faulted, against healthy",
		"mem":      "resident memory per connected PDA against bare WebSocket connections",
		"sync":     "outbox drain rate against plain QoS 1 publishing",
		"backbone": "gateways through a 3-node NATS backbone to ERP workers against one Mosquitto, and a 1 M backlog's drain",
		"print":    "labels per second through the print worker to fake printers",
		"kpi":      "31-day KPI reports from the hourly rollup over a month's journal",
		"peer":     "the daemon as a site runs it against a Node-RED scan loop, same load generator",
		"cluster":  "releasing a wave of cart orders, and put verdicts against item verdicts on carts",
		"report":   "turn BENCH lines into report.md, report.json and a latency chart",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "sync":
		return benchSyncCommand(ctx, args, stdout, stderr)
	case "backbone":
		return benchBackboneCommand(ctx, args, stdout, stderr)
	case "print":
		return benchPrintCommand(ctx, args, stdout, stderr)
	case "kpi":
		return benchKPICommand(ctx, args, stdout, stderr)
	case "mem":
		return benchMemCommand(ctx, args, stdout, stderr)
	case "degraded":
		return benchDegradedCommand(ctx, args, stdout, stderr)
	case "report":
		return benchReportCommand(args, stdout, stderr)
	case "peer":
		return benchPeerCommand(ctx, args, stdout, stderr)
	case "cluster":
		return benchClusterCommand(ctx, args, stdout, stderr)
	}
	fs := newFlags("scan", "", "Measure verdicts per second and latency of N PDAs against a raw bbolt commit baseline.", stdout, stderr)
	pdas := fs.Int("pdas", 1, "simulated PDAs scanning at once")
	duration := fs.Duration("duration", 10*time.Second, "how long to measure each side")
	dir := fs.String("dir", "", "directory for the database files (default: a new temporary one, removed after)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the gateway's measured run to this file")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	if *pdas < 1 || *pdas > 4096 {
		return errors.New("bench: --pdas must be 1 to 4096")
	}
	r, err := benchScan(ctx, *pdas, *duration, *dir, *cpuProfile, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, r)
	return nil
}

// benchDir is dir, or, when dir is empty, a new temporary directory that
// done removes.
func benchDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "floorgate-bench-")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// benchResult is the benchmark's figures.
type benchResult struct {
	pdas                         int
	verdictsPerS, p50, p99       float64
	rawPerS, rawP50, rawP99      float64
	commits, requests, unexpectd uint64
}

func (r benchResult) String() string {
	return fmt.Sprintf("BENCH scan pdas=%d verdicts_per_s=%.0f p50_ms=%.3f p99_ms=%.3f raw_commits_per_s=%.0f raw_p50_ms=%.3f raw_p99_ms=%.3f ratio=%.2f",
		r.pdas, r.verdictsPerS, r.p50, r.p99, r.rawPerS, r.rawP50, r.rawP99, r.verdictsPerS/r.rawPerS)
}

func quantileMS(lat []time.Duration, q float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[int(float64(len(lat)-1)*q)]) / float64(time.Millisecond)
}

// benchScan runs a real gateway on a temporary state directory (a real file,
// fsync on), drives it with pdas simulated PDAs over WebSockets on loopback
// for d, then measures the raw commit baseline in the same directory.
func benchScan(ctx context.Context, pdas int, d time.Duration, dir, cpuProfile string, log io.Writer) (benchResult, error) {
	res := benchResult{pdas: pdas}
	dir, done, err := benchDir(dir)
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	defer done()
	site, err := startBenchSite(ctx, benchConfig(dir), pdas, 0)
	if err != nil {
		return res, err
	}
	defer site.Close()
	m, refill := site.m, site.refill
	pickers, err := site.dialPickers(ctx)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(log, "bench: %d PDAs connected and logged in; measuring the gateway for %v\n", pdas, d)

	var (
		measuring atomic.Bool
		stop      atomic.Bool
		mu        sync.Mutex
		lats      []time.Duration
		wg        sync.WaitGroup
		errs      = make(chan error, pdas+1)
	)
	for _, p := range pickers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local, err := pickLoop(ctx, p, &stop, &measuring)
			if err != nil {
				errs <- fmt.Errorf("bench: %w", err)
				return
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	refillDone := make(chan struct{})
	go func() {
		defer close(refillDone)
		for !stop.Load() {
			if err := refill(); err != nil {
				errs <- err
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	time.Sleep(d / 5) // warm up: connections busy, caches and the file grown
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
	}
	c0, r0 := m.DB.Stats()
	k0 := readProcCounts()
	start := time.Now()
	measuring.Store(true)
	time.Sleep(d)
	measuring.Store(false)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	elapsed := time.Since(start)
	k1 := readProcCounts()
	c1, r1 := m.DB.Stats()
	stop.Store(true)
	wg.Wait()
	<-refillDone
	close(errs)
	if err := <-errs; err != nil {
		return res, err
	}
	res.verdictsPerS = float64(len(lats)) / elapsed.Seconds()
	res.p50, res.p99 = quantileMS(lats, 0.50), quantileMS(lats, 0.99)
	res.commits, res.requests = c1-c0, r1-r0
	fmt.Fprintf(log, "bench: gateway: %d verdicts, %d commits (%.1f requests per commit)\n",
		len(lats), res.commits, float64(res.requests)/float64(max(res.commits, 1)))
	fmt.Fprintf(log, "bench: per verdict, this whole process (PDAs included): %s\n", k1.sub(k0).per(len(lats)))

	fmt.Fprintf(log, "bench: measuring the raw bbolt baseline with %d goroutines for %v\n", pdas, d)
	raw, err := storebench.Commits(filepath.Join(dir, "baseline.db"), pdas, d)
	if err != nil {
		return res, err
	}
	res.rawPerS = float64(len(raw)) / d.Seconds()
	res.rawP50, res.rawP99 = quantileMS(raw, 0.50), quantileMS(raw, 0.99)
	return res, nil
}

// procCounts are counts of this process that timings on a shared machine
// blur: goroutine wake-ups (each time a goroutine became runnable and
// then ran), heap allocations and CPU time.
type procCounts struct {
	wakeups, allocs, gcs uint64
	cpu                  time.Duration
}

func readProcCounts() procCounts {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}, {Name: "/gc/heap/allocs:objects"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	var k procCounts
	if s[0].Value.Kind() == metrics.KindFloat64Histogram {
		for _, n := range s[0].Value.Float64Histogram().Counts {
			k.wakeups += n
		}
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		k.allocs = s[1].Value.Uint64()
	}
	if s[2].Value.Kind() == metrics.KindUint64 {
		k.gcs = s[2].Value.Uint64()
	}
	k.cpu = cpuTime()
	return k
}

func (k procCounts) sub(o procCounts) procCounts {
	return procCounts{wakeups: k.wakeups - o.wakeups, allocs: k.allocs - o.allocs, gcs: k.gcs - o.gcs, cpu: k.cpu - o.cpu}
}

func (k procCounts) per(n int) string {
	n = max(n, 1)
	return fmt.Sprintf("%.1f goroutine wake-ups, %.0f allocations, %.0f µs CPU; a collection every %.0f verdicts",
		float64(k.wakeups)/float64(n), float64(k.allocs)/float64(n), float64(k.cpu.Microseconds())/float64(n), float64(n)/float64(max(k.gcs, 1)))
}

// benchConfig is the gateway every bench that drives PDAs runs: state in
// dir, loopback listeners, no TLS (the scan path on loopback, as the
// baselines are measured), limits meant for people raised, and the upstream
// link pointed at a port where nothing listens, so events wait in the outbox
// and no broker shares the cores (bench sync measures the drain).
func benchConfig(dir string) gateway.Config {
	cfg := gateway.DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = filepath.Join(dir, "state"), "127.0.0.1:0", "127.0.0.1:0"
	cfg.TLS.Mode = "off"
	// Simulated PDAs scan far faster than people: the flood guard is not
	// what is measured.
	cfg.Devices.MaxMessagesPerS = 1 << 30
	// Every simulated PDA connects from 127.0.0.1.
	cfg.Devices.MaxConnectionsPerAddress = 1 << 16
	cfg.MQTT.Brokers = []string{"tcp://127.0.0.1:9"}
	cfg.Devices.AutoEnrol = true
	return cfg
}

// benchSite is a gateway under a bench: the demo site's master data with one
// picker per PDA and packers, pick tasks and shipments that never run out.
type benchSite struct {
	ctx     context.Context
	m       *gateway.Gateway
	demo    *gateway.Demo
	badges  []string // one picker per PDA
	packers []string // packer badges
	rng     *rand.Rand
	batch   int
	clients []*sim.Picker

	// shipments put in the store for packers, and taken by them.
	shipsPut, shipsTaken atomic.Int64
}

// benchPackDevice is the device id of pack station i.
func benchPackDevice(i int) string { return fmt.Sprintf("bench-pack-%02d", i+1) }

// startBenchSite starts a gateway on cfg with pickers picker operators and
// packers packer operators, and fills its queue.
func startBenchSite(ctx context.Context, cfg gateway.Config, pickers, packers int) (*benchSite, error) {
	m := gateway.New(cfg)
	m.GCPace = gateway.DaemonGCPace() // as the daemon runs
	if err := m.Start(ctx); err != nil {
		m.Close()
		return nil, fmt.Errorf("bench: start gateway: %w", err)
	}
	s := &benchSite{ctx: ctx, m: m, demo: gateway.NewDemo(), rng: rand.New(rand.NewPCG(gateway.DemoSeed, 99))}
	hash, err := floorgate.HashPIN(gateway.DemoPIN)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("bench: %w", err)
	}
	master := s.demo.Master
	master.Operators = nil
	for i := range pickers {
		s.badges = append(s.badges, fmt.Sprintf("BENCH%04d", i+1))
		master.Operators = append(master.Operators, floorgate.Operator{ID: fmt.Sprintf("bench-%04d", i+1),
			Name: fmt.Sprintf("Bench picker %d", i+1), Badge: s.badges[i], PINHash: hash, Role: floorgate.RolePicker})
	}
	for i := range packers {
		s.packers = append(s.packers, fmt.Sprintf("BPACK%03d", i+1))
		master.Operators = append(master.Operators, floorgate.Operator{ID: fmt.Sprintf("bench-k%03d", i+1),
			Name: fmt.Sprintf("Bench packer %d", i+1), Badge: s.packers[i], PINHash: hash, Role: floorgate.RolePacker})
	}
	if err := m.DB.PutMaster(ctx, master); err != nil {
		s.Close()
		return nil, fmt.Errorf("bench: master data: %w", err)
	}
	if err := s.refill(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// refill keeps four pick tasks per picker pending, so no picker waits for
// work, and 200 shipments ahead of the packers.
func (s *benchSite) refill() error {
	for s.m.DB.Counts().PendingTasks < 4*len(s.badges) {
		s.batch++
		// One unit a line: a picker never reads the same code twice in a
		// row, which the double-read guard would refuse.
		tasks := s.demo.MoreTasks(s.rng, fmt.Sprintf("B%03d-", s.batch), 2*len(s.badges), 5, 15, 1)
		if _, err := s.m.DB.ImportTasks(s.ctx, tasks); err != nil {
			return fmt.Errorf("bench: refill: %w", err)
		}
	}
	for len(s.packers) > 0 && s.shipsPut.Load() < s.shipsTaken.Load()+200 {
		from := int(s.shipsPut.Load())
		ships := make([]floorgate.Shipment, 0, 200)
		for i := from; i < from+200; i++ {
			ships = append(ships, s.shipment(i))
		}
		if err := s.m.DB.PutShipments(s.ctx, ships); err != nil {
			return fmt.Errorf("bench: refill shipments: %w", err)
		}
		s.shipsPut.Add(200)
	}
	return nil
}

// shipment is the i-th parcel a packer packs: two different items, one
// unit each, so no code is read twice in a row.
func (s *benchSite) shipment(i int) floorgate.Shipment {
	items := s.demo.Master.Items
	a, b := items[i%len(items)], items[(i+1+i/len(items))%len(items)]
	if a.SKU == b.SKU {
		b = items[(i+1)%len(items)]
	}
	return floorgate.Shipment{Order: fmt.Sprintf("BPK%07d", i), Carrier: "顺丰速运 SF Express", Tracking: fmt.Sprintf("SF%012d", 700000000+i),
		Recipient: floorgate.Party{Name: "李雷", Phone: "13800000000", Address: gateway.DemoCities[i%len(gateway.DemoCities)]},
		Sender:    floorgate.Party{Name: "floorgate 演示仓", Phone: "075512345678", Address: "广东省深圳市宝安区福永物流园3号库"},
		Lines:     []floorgate.ShipmentLine{{SKU: a.SKU, Name: a.NameZH, Qty: 1}, {SKU: b.SKU, Name: b.NameZH, Qty: 1}}}
}

// keepFilled refills every 20 ms until stop is closed.
func (s *benchSite) keepFilled(stop <-chan struct{}, errs chan<- error) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if err := s.refill(); err != nil {
			errs <- err
			return
		}
	}
}

// dialPickers connects and logs in one PDA per picker, eight at a time
// (a login checks a PIN hash, which takes the gateway a while).
func (s *benchSite) dialPickers(ctx context.Context) ([]*sim.Picker, error) {
	return s.dial(ctx, s.badges, func(i int) string { return fmt.Sprintf("bench-pda-%04d", i+1) })
}

// dialPackers connects and logs in one pack station per packer.
func (s *benchSite) dialPackers(ctx context.Context) ([]*sim.Picker, error) {
	return s.dial(ctx, s.packers, benchPackDevice)
}

func (s *benchSite) dial(ctx context.Context, badges []string, device func(int) string) ([]*sim.Picker, error) {
	url := "ws://" + s.m.Addr() + "/ws/v1"
	out := make([]*sim.Picker, len(badges))
	errs := make([]error, len(badges))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range badges {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = sim.DialPicker(ctx, url, nil, s.demo, device(i), badges[i], 0, uint64(i+1))
		}()
	}
	wg.Wait()
	for _, p := range out {
		if p != nil {
			s.clients = append(s.clients, p)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return out, nil
}

// Close hangs up the PDAs and stops the gateway.
func (s *benchSite) Close() error {
	for _, p := range s.clients {
		p.Client().Close()
	}
	return s.m.Close()
}

// pickLoop makes p scan what its prompts ask for until stop is set, and
// sends the latency of each verdict while measuring is set.
func pickLoop(ctx context.Context, p *sim.Picker, stop, measuring *atomic.Bool) ([]time.Duration, error) {
	local := make([]time.Duration, 0, 4096)
	for !stop.Load() {
		o, err := benchStep(ctx, p)
		if err != nil {
			return local, err
		}
		if measuring.Load() {
			local = append(local, o.Latency)
		}
	}
	return local, nil
}

// benchStep is step for a bench's picker, who never runs out of work and
// never scans wrong: with no task it asks for the next one, and any verdict
// but the expected one is an error.
func benchStep(ctx context.Context, p *sim.Picker) (sim.Outcome, error) {
	for {
		o, err := p.Step(ctx)
		if errors.Is(err, sim.ErrNoTask) {
			pr, err := p.Client().Next(ctx, p.NextID())
			if err != nil {
				return o, fmt.Errorf("next task %s: %w", p.Device(), err)
			}
			p.SetPrompt(pr)
			continue
		}
		if err != nil {
			return o, err
		}
		if !o.Expected {
			return o, fmt.Errorf("%s got %s for a correct scan", p.Device(), o.Verdict.Code)
		}
		return o, nil
	}
}

// packPace is the time between two scans at a pack station: a packer
// handles each unit, so the stations add a steady trickle of waybills,
// not a flood.
const packPace = 250 * time.Millisecond

// packLoop packs parcels at station p until stop is set: order, each item,
// then the waybill once it is queued.
func (s *benchSite) packLoop(ctx context.Context, p *sim.Picker, stop, measuring *atomic.Bool) ([]time.Duration, error) {
	var local []time.Duration
	scan := func(data string, want ...floorgate.Code) error {
		t0 := time.Now()
		v, err := p.Client().Scan(ctx, floorgate.Scan{ID: p.NextID(), Data: data})
		if err != nil {
			return fmt.Errorf("pack scan %s: %w", p.Device(), err)
		}
		if measuring.Load() {
			local = append(local, time.Since(t0))
		}
		if !slices.Contains(want, v.Code) {
			return fmt.Errorf("%s got %s for %s at the pack station", p.Device(), v.Code, data)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(packPace):
		}
		return nil
	}
	for !stop.Load() {
		i := s.shipsTaken.Add(1) - 1
		for i >= s.shipsPut.Load() {
			if stop.Load() || ctx.Err() != nil {
				return local, ctx.Err()
			}
			time.Sleep(5 * time.Millisecond)
		}
		sh := s.shipment(int(i))
		if err := scan(sh.Order, floorgate.CodeOrderOK); err != nil {
			return local, err
		}
		for _, l := range sh.Lines {
			if err := scan(s.demo.ItemBarcode[l.SKU], floorgate.CodePackItemOK, floorgate.CodePackDone); err != nil {
				return local, err
			}
		}
		if err := scan(sh.Tracking, floorgate.CodeShipped); err != nil {
			return local, err
		}
	}
	return local, nil
}

// degradedCase is one condition of bench degraded.
type degradedCase int

const (
	caseHealthy degradedCase = iota
	caseBrokerDown
	casePrinterFaulted
)

func (c degradedCase) String() string {
	return [...]string{"healthy", "broker down", "printer faulted"}[c]
}

// benchDegradedCommand measures verdict latency with the upstream broker
// down and with the pack stations' printer out of paper, against a healthy
// gateway, in the same run.
func benchDegradedCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench degraded", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pdas := fs.Int("pdas", 64, "simulated PDAs: pickers scanning flat out, and one pack station in 16")
	duration := fs.Duration("duration", 5*time.Second, "how long to measure each condition, each repetition")
	reps := fs.Int("reps", 5, "repetitions of the three conditions, interleaved; the median p99 of each is reported")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pdas < 2 || *pdas > 4096 || *reps < 1 {
		return errors.New("bench degraded: --pdas must be 2 to 4096 and --reps at least 1")
	}
	packers := max(1, *pdas/16)
	var p99 [3][]float64
	for rep := range *reps {
		for c := range p99 {
			lat, err := benchDegradedOnce(ctx, degradedCase(c), *pdas-packers, packers, *duration, stderr)
			if err != nil {
				return err
			}
			q := quantileMS(lat, 0.99)
			fmt.Fprintf(stderr, "bench degraded: rep %d %s: %d verdicts, p50 %.3f ms, p99 %.3f ms\n",
				rep+1, degradedCase(c), len(lat), quantileMS(lat, 0.5), q)
			p99[c] = append(p99[c], q)
		}
	}
	med := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	h, b, f := med(p99[caseHealthy]), med(p99[caseBrokerDown]), med(p99[casePrinterFaulted])
	fmt.Fprintf(stdout, "BENCH degraded pdas=%d healthy_p99_ms=%.3f broker_down_p99_ms=%.3f printer_faulted_p99_ms=%.3f broker_ratio=%.2f printer_ratio=%.2f\n",
		*pdas, h, b, f, b/h, f/h)
	return nil
}

// benchDegradedOnce runs a fresh gateway in condition c — healthy (embedded
// broker draining, printer ready), broker down (its link pointed at a port
// where nothing listens), or printer faulted (broker up, the printer out of
// paper so every waybill is held) — with the same pickers and pack
// stations, warms it up for a fifth of d, and returns every verdict's
// latency over d.
func benchDegradedOnce(ctx context.Context, c degradedCase, pickers, packers int, d time.Duration, log io.Writer) ([]time.Duration, error) {
	dir, err := os.MkdirTemp("", "floorgate-bench-degraded-")
	if err != nil {
		return nil, fmt.Errorf("bench degraded: %w", err)
	}
	defer os.RemoveAll(dir)
	lbl, err := startBenchPrinter(0)
	if err != nil {
		return nil, fmt.Errorf("bench degraded: printer: %w", err)
	}
	defer lbl.ln.Close()
	lbl.paperOut.Store(c == casePrinterFaulted)
	cfg := benchConfig(dir)
	if c != caseBrokerDown {
		cfg.MQTT.Brokers = nil // the embedded broker, up and draining
	}
	stations := make([]string, packers)
	for i := range stations {
		stations[i] = benchPackDevice(i)
	}
	cfg.Printers = []gateway.PrinterConfig{{ID: "bench-lbl", Dialect: "zpl", Address: "tcp://" + lbl.ln.Addr().String(), DPI: 203, Stations: stations}}
	site, err := startBenchSite(ctx, cfg, pickers, packers)
	if err != nil {
		return nil, err
	}
	defer site.Close()
	pk, err := site.dialPickers(ctx)
	if err != nil {
		return nil, err
	}
	st, err := site.dialPackers(ctx)
	if err != nil {
		return nil, err
	}
	var (
		stop, measuring atomic.Bool
		mu              sync.Mutex
		lats            []time.Duration
		wg              sync.WaitGroup
		errs            = make(chan error, pickers+packers+1)
		done            = make(chan struct{})
	)
	run := func(loop func() ([]time.Duration, error)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := loop()
			if err != nil {
				errs <- err
			}
			mu.Lock()
			lats = append(lats, l...)
			mu.Unlock()
		}()
	}
	for _, p := range pk {
		run(func() ([]time.Duration, error) { return pickLoop(ctx, p, &stop, &measuring) })
	}
	for _, p := range st {
		run(func() ([]time.Duration, error) { return site.packLoop(ctx, p, &stop, &measuring) })
	}
	filled := make(chan struct{})
	go func() { defer close(filled); site.keepFilled(done, errs) }()
	time.Sleep(d / 5) // warm up: connections busy, caches and the file grown
	measuring.Store(true)
	time.Sleep(d)
	measuring.Store(false)
	stop.Store(true)
	wg.Wait()
	close(done)
	<-filled
	select {
	case err := <-errs:
		return nil, fmt.Errorf("bench degraded: %s: %w", c, err)
	default:
	}
	if jobs, err := site.m.DB.PrintJobs(); err == nil {
		held := 0
		for _, j := range jobs {
			if j.Status == floorgate.JobHeld {
				held++
			}
		}
		ob, _ := site.m.DB.Outbox()
		fmt.Fprintf(log, "bench degraded: %s: %d waybills queued, %d held, %d labels printed, outbox depth %d\n",
			c, len(jobs), held, lbl.labels.Load(), ob.Depth)
	}
	return lats, nil
}
