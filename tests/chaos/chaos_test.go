//go:build chaos

package chaos

// The chaos scenarios: faults against real processes — the
// floorgate binary, Mosquitto, the reference ERP consumer — each ending in
// one line on stdout,
//
//	CHAOS name=… acked=… received=… lost=… dup=… gaps=… result=PASS|FAIL
//
// printed with fmt.Println (not t.Log) so `make chaos`, which runs them with
// -v, shows the lines unindented and grep-able. acked counts scans answered
// with an OK verdict; received, the distinct events the consumer got; lost,
// acked scans whose scan.accepted event never reached the consumer; dup,
// duplicate deliveries (allowed: the consumer dedups by id); gaps, sequence
// numbers missing after dedup. A scenario fails on lost>0 or gaps>0 and on
// its own rule.
//
// FLOORGATE_CHAOS_ROUNDS sets the kill rounds: 20 by default (the short
// round `make test` runs), 200 under `make chaos`.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/internal/sim"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// buildChaos builds the binary with the failpoints compiled in, once.
var buildChaos = sync.OnceValues(func() (string, error) { return daemontest.Build("failpoints") })

// chaosRounds is how many kill rounds to run.
func chaosRounds(t *testing.T, short int) int {
	if v := os.Getenv("FLOORGATE_CHAOS_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("FLOORGATE_CHAOS_ROUNDS=%q", v)
		}
		return n
	}
	return short
}

// chaosGateway is how a scenario runs floorgate.
type chaosGateway struct {
	stateDir string
	broker   string
	gateway  string
	// failpoints is FLOORGATE_FAILPOINTS for this process.
	failpoints string
	// extra is appended to the YAML configuration.
	extra string
	// store is the store section of the configuration.
	store string
	// batch is mqtt.batch_events: events per message.
	batch int
}

// start runs the failpoints build of floorgate as a child process, like
// daemontest.StartGateway, with TLS on, and waits until it listens.
func (g chaosGateway) start(t *testing.T) *chaosProc {
	t.Helper()
	bin, err := buildChaos()
	if err != nil {
		t.Fatal(err)
	}
	yaml := daemontest.TestConfig + fmt.Sprintf("site:\n  gateway: %s\nmqtt:\n  brokers: [%q]\n  keepalive: 2s\n  batch_events: %d\n", g.gateway, g.broker, g.batch) + g.store + g.extra
	d := daemontest.SpawnDemo(t, bin, g.stateDir, yaml, []string{"FLOORGATE_FAILPOINTS=" + g.failpoints})
	if d.TLS == nil {
		t.Fatal("the daemon serves plain HTTP: the scenarios run the shipped default, TLS on")
	}
	return &chaosProc{d}
}

// chaosProc is a floorgate process of the failpoints build.
type chaosProc struct {
	*daemontest.Daemon
}

// kill ends the process with SIGKILL and waits for it.
func (p *chaosProc) kill() {
	p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.Exited()
}

// stop ends the process with SIGTERM and waits for it.
func (p *chaosProc) stop(t *testing.T) {
	t.Helper()
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Exited():
	case <-time.After(30 * time.Second):
		t.Fatal("floorgate did not stop within 30s of SIGTERM")
	}
}

// log is what the process wrote to stderr so far.
func (p *chaosProc) log() string {
	raw, _ := os.ReadFile(p.Logs.Name())
	return string(raw)
}

// metric reads one unlabelled gauge from /metrics, over the local socket.
func (p *chaosProc) metric(name string) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := p.Local().Raw(ctx, "GET", "/metrics", nil, nil)
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, fmt.Errorf("metrics: no %s", name)
}

// drained waits until the outbox is empty and the consumer holds every
// journalled event without a gap.
func (p *chaosProc) drained(t *testing.T, tl *fgsync.Tail, key string, within time.Duration) {
	t.Helper()
	poll.Eventually(t, within, func() bool {
		depth, err1 := p.metric("floorgate_outbox_depth")
		last, err2 := p.metric("floorgate_journal_last_seq")
		return err1 == nil && err2 == nil && depth == 0 && tl.Stats().Contiguous[key] >= uint64(last)
	}, func() string {
		depth, _ := p.metric("floorgate_outbox_depth")
		last, _ := p.metric("floorgate_journal_last_seq")
		return fmt.Sprintf("not drained: outbox %v, journal at %v, consumer complete to %d", depth, last, tl.Stats().Contiguous[key])
	})
}

// ledger is what the pickers were told.
type ledger struct {
	mu         sync.Mutex
	acked      map[string]bool // scan ids answered OK
	answered   int
	unexpected []string
	// degraded counts "unavailable" verdicts; tolerated only while
	// allowDegraded is set.
	degraded      int
	allowDegraded bool
}

func newLedger() *ledger { return &ledger{acked: map[string]bool{}} }

func (l *ledger) record(o sim.Outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answered++
	if o.Verdict.OK {
		l.acked[o.ScanID] = true
	}
	if o.Verdict.Code == floorgate.CodeUnavailable {
		l.degraded++
		if l.allowDegraded {
			return
		}
	}
	if !o.Expected {
		l.unexpected = append(l.unexpected, o.ScanID+": "+string(o.Verdict.Code))
	}
}

func (l *ledger) count() (answered, acked int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.answered, len(l.acked)
}

// chaosReport reads a stopped gateway's journal, compares it with what the
// pickers were told and what the consumer got, prints the CHAOS line, and
// fails the test on lost events, gaps, a scan id journalled twice or extra
// (the scenario's own rule, with a reason).
func chaosReport(t *testing.T, name string, l *ledger, tl *fgsync.Tail, stateDir, gw string, extra ...string) {
	t.Helper()
	evs := journalOf(t, stateDir, gw)
	key := "demo/" + gw
	accepted := map[string][]floorgate.Event{}
	var problems []string
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			problems = append(problems, fmt.Sprintf("journal[%d] has seq %d", i, ev.Seq))
			break
		}
		if !tl.Has(ev.ID) {
			problems = append(problems, fmt.Sprintf("event %d (%s) never reached the consumer", ev.Seq, ev.Type))
		}
		if ev.Type == floorgate.EventScanAccepted {
			var rec floorgate.ScanRecord
			if err := json.Unmarshal(ev.Data, &rec); err != nil {
				t.Fatal(err)
			}
			accepted[rec.ScanID] = append(accepted[rec.ScanID], ev)
		}
	}
	for id, evs := range accepted {
		if len(evs) > 1 {
			problems = append(problems, fmt.Sprintf("scan %s is journalled %d times", id, len(evs)))
		}
	}
	l.mu.Lock()
	lost := 0
	for id := range l.acked {
		got := false
		for _, ev := range accepted[id] {
			got = got || tl.Has(ev.ID)
		}
		if !got {
			lost++
			if lost <= 5 {
				problems = append(problems, fmt.Sprintf("scan %s was answered OK; its event never reached the consumer", id))
			}
		}
	}
	acked := len(l.acked)
	if len(l.unexpected) > 0 {
		problems = append(problems, fmt.Sprintf("%d verdicts not what the scan deserved, e.g. %s", len(l.unexpected), l.unexpected[0]))
	}
	l.mu.Unlock()
	s := tl.Stats()
	gaps := len(s.Gaps[key])
	if c := s.Contiguous[key]; c < uint64(len(evs)) && gaps == 0 {
		gaps = len(evs) - int(c)
	}
	problems = append(problems, extra...)
	result := "PASS"
	if lost > 0 || gaps > 0 || len(problems) > 0 {
		result = "FAIL"
	}
	line := fmt.Sprintf("CHAOS name=%s acked=%d received=%d lost=%d dup=%d gaps=%d result=%s",
		name, acked, s.Unique, lost, s.Duplicates, gaps, result)
	fmt.Println(line)
	for _, p := range problems {
		t.Error(p)
	}
	if result == "FAIL" {
		t.Error(line)
	}
}

// floor is one gateway with its pickers, on a real broker with the
// reference consumer, for one scenario.
type floor struct {
	t       *testing.T
	ctx     context.Context
	b       *mqtttest.Broker
	tl      *fgsync.Tail
	gw      chaosGateway
	d       *chaosProc
	demo    *gateway.Demo
	pickers []*sim.Picker
	l       *ledger
	tasks   int
	// pace is the least time between two scans of one picker; zero scans
	// as fast as verdicts come.
	pace time.Duration
}

// newFloor starts a broker, a consumer that asks for replays of gaps, and
// the gateway (with failpoints as given), and logs in pdas pickers.
func newFloor(t *testing.T, ctx context.Context, name string, pdas int, gw chaosGateway) *floor {
	t.Helper()
	f := &floor{t: t, ctx: ctx, b: mqtttest.Start(t), demo: gateway.NewDemo(), l: newLedger()}
	f.start(name, pdas, gw)
	return f
}

// start starts the consumer and the gateway (on f's broker unless
// gw.broker names another address) and logs in pdas pickers.
func (f *floor) start(name string, pdas int, gw chaosGateway) {
	t := f.t
	t.Helper()
	f.tl = startTail(t, f.b.URL(), "", true)
	if gw.broker == "" {
		gw.broker = f.b.URL()
	}
	gw.stateDir, gw.gateway = t.TempDir(), "gw-"+name
	f.gw = gw
	f.d = gw.start(t)
	f.moreTasks(40)
	for i := range pdas {
		p, err := sim.DialPicker(f.ctx, f.d.URL(), f.d.TLS, f.demo, fmt.Sprintf("%s-pda-%d", name, i), f.demo.Badges[i], 0.05, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		// Once the unit tasks run out the pickers go on to the demo's
		// own, whose lines ask for several units of one item: a second
		// read of the same code sooner than a person can present the next
		// unit is a double read, and the gateway rightly refuses it.
		p.SetPace(sim.HumanPace)
		f.pickers = append(f.pickers, p)
	}
}

// moreTasks imports n more single-unit tasks.
func (f *floor) moreTasks(n int) {
	f.t.Helper()
	f.tasks++
	daemontest.UnitTasks(f.t, f.ctx, f.d.Daemon, f.demo, fmt.Sprintf("T%d-", f.tasks), n)
}

// restart starts the gateway again (with failpoints fp) and brings every
// picker back: each resends the scan it got no verdict for.
func (f *floor) restart(fp string) {
	f.t.Helper()
	gw := f.gw
	gw.failpoints = fp
	f.d = gw.start(f.t)
	f.reconnect()
}

// reconnect redials every picker and resends its unanswered scan.
func (f *floor) reconnect() {
	f.t.Helper()
	for _, p := range f.pickers {
		if err := p.Reconnect(f.ctx, f.d.URL()); err != nil {
			f.t.Fatal(err)
		}
		if p.Unanswered() != nil {
			o, err := p.Send(f.ctx)
			if err != nil {
				f.t.Fatalf("%s resend: %v", p.Device(), err)
			}
			f.l.record(o)
		}
	}
}

// scan has every picker scan until it made n scans or its connection died;
// a picker out of work gets more.
func (f *floor) scan(n int) {
	scanAway(f.ctx, f.pickers, n, f.l.record)
}

// scanUntil has the pickers scan until stop is closed or their connection
// died, and returns when they all stopped.
func (f *floor) scanUntil(stop <-chan struct{}) {
	var wg sync.WaitGroup
	for _, p := range f.pickers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var tick <-chan time.Time
			if f.pace > 0 {
				tk := time.NewTicker(f.pace)
				defer tk.Stop()
				tick = tk.C
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if tick != nil {
					select {
					case <-tick:
					case <-stop:
						return
					}
				}
				o, err := p.Step(f.ctx)
				if err != nil {
					return
				}
				f.l.record(o)
			}
		}()
	}
	wg.Wait()
}

// scanFor has the pickers scan for d.
func (f *floor) scanFor(d time.Duration) {
	stop := make(chan struct{})
	tm := time.AfterFunc(d, func() { close(stop) })
	defer tm.Stop()
	f.scanUntil(stop)
}

// finish lets the gateway drain, stops it and reports.
func (f *floor) finish(name string, extra ...string) {
	f.t.Helper()
	for _, p := range f.pickers {
		p.Close()
	}
	f.d.drained(f.t, f.tl, "demo/"+f.gw.gateway, time.Minute)
	f.d.stop(f.t)
	chaosReport(f.t, name, f.l, f.tl, f.gw.stateDir, f.gw.gateway, extra...)
}

// TestChaosKill9 kills floorgate with SIGKILL at random moments while
// pickers scan and events drain, round after round, and checks that every
// OK-verdict scan reaches the consumer once journalled, with no gap.
func TestChaosKill9(t *testing.T) {
	rounds := chaosRounds(t, 20)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rounds)*10*time.Second+2*time.Minute)
	defer cancel()
	f := newFloor(t, ctx, "kill", 3, chaosGateway{})
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	for r := range rounds {
		if r > 0 {
			f.restart("")
		}
		f.moreTasks(60)
		stop := make(chan struct{})
		go func() {
			// Anywhere from mid start-up work to well into the drain.
			time.Sleep(time.Duration(rng.IntN(700)) * time.Millisecond)
			f.d.kill()
			close(stop)
		}()
		f.scanUntil(stop)
	}
	f.restart("")
	f.scan(20)
	answered, acked := f.l.count()
	if acked < rounds*5 {
		t.Errorf("only %d of %d scans acked over %d rounds: the kills found little to break", acked, answered, rounds)
	}
	f.finish(fmt.Sprintf("kill9-x%d", rounds))
}

// TestChaosFailpoints crashes floorgate exactly at each durability
// boundary, via the failpoints build: after a commit before its verdict is
// sent, and after a PUBACK before the outbox delete. After a restart the
// unanswered scan is resent and must be answered from what was committed,
// and the PUBACKed events go again (duplicates, never losses) — also when
// each message carried several (mqtt.batch_events).
func TestChaosFailpoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for _, tc := range []struct {
		name, point string
		nth         int
		batch       int
	}{
		{"commit-before-verdict", "store/after-commit", 100 + rng.IntN(200), 0},
		{"puback-before-delete", "sync/after-puback", 15 + rng.IntN(15), 0},
		{"puback-before-delete-batched", "sync/after-puback", 15 + rng.IntN(15), 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			fp := fmt.Sprintf("%s=%d*exit", tc.point, tc.nth)
			f := newFloor(t, ctx, tc.name, 3, chaosGateway{failpoints: fp, batch: tc.batch})
			f.moreTasks(40)
			f.scanUntil(f.d.Exited())
			<-f.d.Exited()
			if !strings.Contains(f.d.log(), "failpoint "+tc.point+" fired") {
				t.Fatalf("%s never fired; the scenario did not happen:\n%s", fp, f.d.log())
			}
			f.restart("")
			f.scan(20)
			f.finish(tc.name)
		})
	}
}

// TestChaosBroker breaks the upstream link while pickers scan: the broker
// killed with SIGKILL (losing what it held), the broker stopped with
// SIGSTOP for longer than the keepalive, and a half-open TCP connection
// that silently swallows everything, once with several events per message
// (mqtt.batch_events). Scanning goes on throughout; once the link is back
// every event reaches the consumer.
func TestChaosBroker(t *testing.T) {
	for _, tc := range []struct {
		name  string
		proxy bool
		fault func(f *floor, px *blackholeProxy)
		batch int
	}{
		{"broker-kill9", false, func(f *floor, _ *blackholeProxy) {
			f.b.Kill()
			f.scanFor(time.Second)
			f.b.Restart()
		}, 0},
		{"broker-sigstop", false, func(f *floor, _ *blackholeProxy) {
			f.b.Freeze()
			f.scanFor(5 * time.Second) // keepalive is 2s
			f.b.Thaw()
		}, 0},
		{"half-open-tcp", true, func(f *floor, px *blackholeProxy) {
			px.blackhole()
			f.scanFor(5 * time.Second)
		}, 0},
		{"half-open-tcp-batched", true, func(f *floor, px *blackholeProxy) {
			px.blackhole()
			f.scanFor(5 * time.Second)
		}, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			gw := chaosGateway{batch: tc.batch}
			var px *blackholeProxy
			f := &floor{t: t, ctx: ctx, b: mqtttest.Start(t), demo: gateway.NewDemo(), l: newLedger()}
			if tc.proxy {
				px = startBlackholeProxy(t, fmt.Sprintf("127.0.0.1:%d", f.b.Port))
				gw.broker = "tcp://" + px.addr()
			}
			f.start(tc.name, 3, gw)
			f.pace = 10 * time.Millisecond
			f.moreTasks(150)
			f.scanFor(time.Second)
			tc.fault(f, px)
			f.scanFor(2 * time.Second)
			f.finish(tc.name)
		})
	}
}

// blackholeProxy forwards TCP to a target until blackhole is called: from
// then on the connections it carries stay open but swallow every byte in
// both directions — a half-open link, as when a NAT or firewall forgets
// the connection. New connections are forwarded again.
type blackholeProxy struct {
	l  net.Listener
	mu sync.Mutex
	// gen counts blackholes; a connection is dead once gen moved past the
	// one it was accepted in.
	gen int
	// conns are the connections carried, for cut.
	conns []net.Conn
}

func startBlackholeProxy(t *testing.T, target string) *blackholeProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackholeProxy{l: l}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			gen := p.gen
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go p.pipe(c, up, gen)
			go p.pipe(up, c, gen)
		}
	}()
	return p
}

func (p *blackholeProxy) addr() string { return p.l.Addr().String() }

// blackhole turns every current connection half-open.
func (p *blackholeProxy) blackhole() {
	p.mu.Lock()
	p.gen++
	p.mu.Unlock()
}

// cut closes every current connection, as a link that drops.
func (p *blackholeProxy) cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// pipe copies from src to dst while the connection's generation is
// current, then reads and drops everything; neither side is closed until
// the other end gives up.
func (p *blackholeProxy) pipe(src, dst net.Conn, gen int) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		p.mu.Lock()
		alive := p.gen == gen
		p.mu.Unlock()
		if alive {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

// TestChaosDiskFull fills the store to its cap (store.max_size_mb at the
// minimum, 16) while pickers scan. A scan that cannot be recorded must get
// the "unavailable" verdict ("Not recorded. Scan again.") — never an OK
// that is not durable — and the gateway must stay up. Space returning is
// what an admin does on a full disk: the cap is raised (or disk freed) and
// the gateway restarted; acknowledged events are only pruned after
// store.retention_days, so draining alone frees nothing within a test.
// After that the floor works again and every OK scan reaches the consumer.
func TestChaosDiskFull(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	f := newFloor(t, ctx, "diskfull", 3, chaosGateway{store: "store:\n  max_size_mb: 16\n"})
	f.moreTasks(40)
	f.scan(50)
	// Fill with ever smaller imports until not even one task fits: a big
	// import refused may still leave room for small commits.
	var full error
	for i, n := 0, 300; i < 400 && n > 0; i++ {
		tasks := f.demo.MoreTasks(rand.New(rand.NewPCG(uint64(i), 5)), fmt.Sprintf("FILL%d-", i), n, 5, 15, 1)
		if err := f.d.Local().Post(ctx, "/api/v1/tasks", map[string]any{"tasks": tasks}, nil); err != nil {
			full, n = err, n/2
		}
	}
	if full == nil {
		t.Fatal("the store never filled up")
	}
	t.Logf("task import refused once full: %v", full)
	f.l.mu.Lock()
	f.l.allowDegraded = true
	f.l.mu.Unlock()
	f.pace = 5 * time.Millisecond
	f.scanFor(3 * time.Second)
	f.l.mu.Lock()
	degraded := f.l.degraded
	f.l.allowDegraded = false
	f.l.mu.Unlock()
	select {
	case <-f.d.Exited():
		t.Fatalf("the gateway died on a full store:\n%s", f.d.log())
	default:
	}
	var extra []string
	if degraded == 0 {
		extra = append(extra, "no scan was refused while the store was full: the scenario did not happen")
	}
	// Space returns: the cap is raised and the gateway restarted.
	f.d.stop(t)
	f.gw.store = "store:\n  max_size_mb: 64\n"
	f.restart("")
	_, before := f.l.count()
	f.pace = 0
	f.scan(30)
	if _, after := f.l.count(); after-before < 30 {
		extra = append(extra, fmt.Sprintf("only %d OK scans after space returned", after-before))
	}
	t.Logf("%d scans answered unavailable while full", degraded)
	f.finish("disk-full", extra...)
}

// TestChaosLossyPDA puts PDAs behind a link that now drops the connection,
// now silently swallows it (the verdict never arrives), every few tens of
// milliseconds. A PDA that gets no verdict reconnects and resends the same
// scan id; each scan id must change the state exactly once: one
// scan.accepted event in the journal per OK scan id, never two. The pickers
// scan until each made its scans and the link failed often enough under
// them, however fast the machine.
func TestChaosLossyPDA(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := newFloor(t, ctx, "lossy", 3, chaosGateway{})
	f.moreTasks(600)
	px := startBlackholeProxy(t, f.d.Addr)
	url := f.d.URLAt(px.addr())
	for _, p := range f.pickers {
		if err := p.Reconnect(ctx, url); err != nil {
			t.Fatal(err)
		}
	}
	const (
		perPicker = 300
		minFaults = 20
	)
	var faults atomic.Int64
	stop := make(chan struct{})
	faulting := make(chan struct{})
	go func() {
		defer close(faulting)
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 4))
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			switch rng.IntN(3) {
			case 0:
				px.cut()
				faults.Add(1)
			case 1:
				px.blackhole()
				faults.Add(1)
			}
		}
	}()
	var resent, outOfWork atomic.Int64
	var wg sync.WaitGroup
	for _, p := range f.pickers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := time.NewTicker(5 * time.Millisecond)
			defer tk.Stop()
			for got := 0; (got < perPicker || faults.Load() < minFaults) && ctx.Err() == nil; {
				<-tk.C
				sctx, c := context.WithTimeout(ctx, 500*time.Millisecond)
				var o sim.Outcome
				var err error
				if p.Unanswered() != nil {
					o, err = p.Send(sctx)
				} else {
					o, err = p.Step(sctx)
				}
				c()
				if errors.Is(err, sim.ErrNoTask) {
					outOfWork.Add(1)
					return
				}
				if err != nil {
					resent.Add(1)
					// The link ate it: dial again (it may be down a while).
					for ctx.Err() == nil && p.Reconnect(ctx, url) != nil {
						runtime.Gosched()
					}
					continue
				}
				f.l.record(o)
				got++
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-faulting
	t.Logf("%d link faults, %d scans resent", faults.Load(), resent.Load())
	var extra []string
	if n := outOfWork.Load(); n > 0 {
		extra = append(extra, fmt.Sprintf("%d pickers ran out of tasks before the scenario was done", n))
	}
	if faults.Load() < minFaults || resent.Load() == 0 {
		extra = append(extra, fmt.Sprintf("the link failed %d times and %d scans were resent: too little to test", faults.Load(), resent.Load()))
	}
	// Straight to the gateway for the drain.
	for _, p := range f.pickers {
		if err := p.Reconnect(ctx, f.d.URL()); err != nil {
			t.Fatal(err)
		}
	}
	f.finish("lossy-pda", extra...)
}
