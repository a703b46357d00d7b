package bench

import (
	"bufio"
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/scan/gs1"
	"github.com/floorgate/floorgate/store/storebench"
)

// bench peer measures floorgate as a site runs it against the scan loop a
// site builds in Node-RED instead (bench/peers/nodered), both driven by the
// same external load generator (the hidden bench loadgen) over the
// documented PDA protocol, both loaded with the same MQTT commands through
// the same Mosquitto.

const (
	peerSite = "BENCH"
	peerPIN  = "2468"
	// peerTab is the Node-RED flow whose context holds the peer's state.
	peerTab = "fg-peer-flow"
	// peerLines is the lines of every task, one unit each.
	peerLines = 20
	// peerLatencyBudget is what a lone verdict may cost over a raw commit
	// (ms): its hand-offs, decoding, the answer on the wire.
	peerLatencyBudget = 0.25
)

// peerOptions are bench peer's flags.
type peerOptions struct {
	pdas             []int
	duration, warmup time.Duration
	peerDir          string
	rateCap          int
	profileDir       string
	kill             bool
	instructions     bool
	tls              []bool
	// batchEvents is floorgate's mqtt.batch_events (0, off, as a site
	// ships).
	batchEvents int
	log         io.Writer
}

func benchPeerCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench peer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pdas := fs.String("pdas", "1,64,256", "numbers of PDAs, comma-separated; the systems alternate at each")
	o := peerOptions{log: stderr}
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "the measured window of each system at each number of PDAs")
	fs.DurationVar(&o.warmup, "warmup", 0, "scanning before each window (default: a fifth of --duration)")
	fs.StringVar(&o.peerDir, "peer-dir", "bench/peers/nodered", "the Node-RED peer, installed (npm ci) with node_modules")
	fs.IntVar(&o.rateCap, "rate-cap", 10000, "verdicts/s neither system is expected to pass: enough tasks are created for it")
	fs.StringVar(&o.profileDir, "profile", "", "have the floorgate daemon write CPU, block and mutex profiles here (pdasN-tlsX.cpu.pprof, …)")
	fs.BoolVar(&o.kill, "kill", true, "also kill -9 each system under 64 PDAs and count acknowledged picks lost")
	fs.BoolVar(&o.instructions, "instructions", true, "also count the daemon's instructions per verdict at 64 PDAs (perf stat, else callgrind)")
	tlsModes := fs.String("tls", "on,off", "floorgate's TLS modes to measure, each a line")
	fs.IntVar(&o.batchEvents, "batch-events", 0, "floorgate's mqtt.batch_events: several events a message, for an ERP that reads arrays (0: off, as a site ships)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, s := range strings.Split(*pdas, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			return fmt.Errorf("bench peer: --pdas: %q is not 1 to 1024", s)
		}
		o.pdas = append(o.pdas, n)
	}
	for _, s := range strings.Split(*tlsModes, ",") {
		switch strings.TrimSpace(s) {
		case "on":
			o.tls = append(o.tls, true)
		case "off":
			o.tls = append(o.tls, false)
		default:
			return fmt.Errorf("bench peer: --tls: %q is not on or off", s)
		}
	}
	if o.warmup == 0 {
		o.warmup = o.duration / 5
	}
	if o.batchEvents < 0 || o.batchEvents > 1000 {
		return fmt.Errorf("bench peer: --batch-events: %d is not 0 to 1000", o.batchEvents)
	}
	if _, err := os.Stat(filepath.Join(o.peerDir, "node_modules", "node-red", "red.js")); err != nil {
		return fmt.Errorf("bench peer: Node-RED is not installed in %s: run `make bench`, or `npm ci` there (needs npm)", o.peerDir)
	}
	for _, tool := range []string{"node", "mosquitto_pub", "mosquitto_sub"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("bench peer: %s is needed: %w", tool, err)
		}
	}
	return benchPeer(ctx, o, stdout)
}

func benchPeer(ctx context.Context, o peerOptions, stdout io.Writer) error {
	work, err := os.MkdirTemp("", "floorgate-bench-peer-")
	if err != nil {
		return fmt.Errorf("bench peer: %w", err)
	}
	defer os.RemoveAll(work)
	broker, err := startPeerBroker(ctx, work)
	if err != nil {
		return err
	}
	defer broker.stop()
	run := 0
	measure := func(sys peerSystem, pdas int) (loadgenResult, error) {
		run++
		dir := filepath.Join(work, fmt.Sprintf("run%02d-%s", run, sys.name()))
		return peerMeasure(ctx, o, broker, sys, dir, pdas)
	}
	for _, n := range o.pdas {
		var peer loadgenResult
		fg := map[bool]loadgenResult{}
		// Alternate: floorgate (TLS on), Node-RED, floorgate (TLS off).
		for i, tls := range o.tls {
			r, err := measure(&floorgateSystem{tls: tls, profileDir: o.profileDir, pdas: n, batchEvents: o.batchEvents}, n)
			if err != nil {
				return err
			}
			fg[tls] = r
			if i == 0 {
				if peer, err = measure(&noderedSystem{peerDir: o.peerDir}, n); err != nil {
					return err
				}
			}
		}
		batch := ""
		if o.batchEvents > 0 {
			batch = fmt.Sprintf(" batch=%d", o.batchEvents)
		}
		for _, tls := range o.tls {
			fmt.Fprintf(stdout, "BENCH peer-cpu system=floorgate pdas=%d tls=%d%s %s\n", n, b2i(tls), batch, fg[tls].cpu)
		}
		fmt.Fprintf(stdout, "BENCH peer-cpu system=nodered pdas=%d tls=0%s %s\n", n, batch, peer.cpu)
		for _, tls := range o.tls {
			r := fg[tls]
			fmt.Fprintf(stdout, "BENCH peer pdas=%d tls=%d%s floorgate_per_s=%.0f floorgate_p50_ms=%.3f floorgate_p99_ms=%.3f peer_per_s=%.0f peer_p50_ms=%.3f peer_p99_ms=%.3f ratio=%.2f\n",
				n, b2i(tls), batch, r.perS, r.p50, r.p99, peer.perS, peer.p50, peer.p99, r.perS/peer.perS)
		}
		if n == 1 {
			// The 1-PDA budget: a lone scan costs one commit and
			// little else. The yardstick is a raw bbolt commit on the
			// same file system, measured now, between the runs.
			lats, err := storebench.Commits(filepath.Join(work, "baseline.db"), 1, o.duration/2)
			if err != nil {
				return fmt.Errorf("bench peer: %w", err)
			}
			raw := quantileMS(lats, 0.5)
			for _, tls := range o.tls {
				over := fg[tls].p50 - raw
				fmt.Fprintf(stdout, "BENCH peer-latency pdas=1 tls=%d floorgate_p50_ms=%.3f raw_commit_p50_ms=%.3f over_ms=%.3f budget_ms=%.2f\n",
					b2i(tls), fg[tls].p50, raw, over, peerLatencyBudget)
			}
		}
	}
	if o.instructions {
		if err := peerInstructions(ctx, o, broker, filepath.Join(work, "instructions"), stdout); err != nil {
			fmt.Fprintf(o.log, "bench peer: instructions per verdict: %v\n", err)
		}
	}
	if o.kill {
		for _, sys := range []peerSystem{&floorgateSystem{tls: true}, &noderedSystem{peerDir: o.peerDir}} {
			acked, lost, err := peerKill(ctx, o, broker, sys, filepath.Join(work, fmt.Sprintf("kill-%s", sys.name())), 64)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "BENCH peer-kill system=%s pdas=64 acked=%d lost=%d\n", sys.name(), acked, lost)
		}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// peerSystem is one of the two systems bench peer measures, started as its
// own process on a directory that keeps its state across a restart.
type peerSystem interface {
	name() string
	gateway() string // its gateway id in the MQTT topics
	// start starts it (again) and returns its PDA endpoint and certificate
	// fingerprint ("" without TLS) once it takes commands.
	start(ctx context.Context, dir string, b *peerBroker) (url, fp string, err error)
	pid() int
	stop() error // SIGTERM, and wait
	kill9()
	// lost counts the acked picks ("task line scan_id") its restarted
	// state does not hold; events are the events that reached the broker.
	lost(dir string, acked []string, events *peerEvents) (int, error)
	// settle waits until what was loaded is on disk as the system keeps
	// it, so that a kill -9 loses only what the load generator did.
	settle(dir string) error
}

// peerMeasure starts sys on a fresh directory, loads the site with MQTT
// commands, and runs the load generator with pdas PDAs.
func peerMeasure(ctx context.Context, o peerOptions, b *peerBroker, sys peerSystem, dir string, pdas int) (loadgenResult, error) {
	var res loadgenResult
	url, fp, err := peerStartLoaded(ctx, o, b, sys, dir, pdas, nil)
	if err != nil {
		return res, err
	}
	defer sys.stop()
	fmt.Fprintf(o.log, "bench peer: %s, %d PDAs, %s\n", sys.name(), pdas, url)
	var cpu cpuWindow
	res, err = peerLoadgen(ctx, url, fp, pdas, o.warmup, o.duration, "", func(line string, loadgen int) {
		switch line {
		case "LOADGEN measuring":
			cpu.open(map[string]int{sys.name(): sys.pid(), "loadgen": loadgen, "mosquitto": b.cmd.Process.Pid})
		case "LOADGEN measured":
			cpu.close()
		}
	})
	if err != nil {
		return res, fmt.Errorf("bench peer: %s at %d PDAs: %w", sys.name(), pdas, err)
	}
	res.cpu = cpu.fields(res.verdicts, []string{sys.name(), "loadgen", "mosquitto"})
	fmt.Fprintf(o.log, "bench peer: %s, %d PDAs: CPU per verdict (µs) %s\n", sys.name(), pdas, res.cpu)
	if res.starved > 0 {
		fmt.Fprintf(o.log, "bench peer: %s: %d PDAs ran out of tasks; raise --rate-cap\n", sys.name(), res.starved)
	}
	if err := sys.stop(); err != nil {
		fmt.Fprintf(o.log, "bench peer: stop %s: %v\n", sys.name(), err)
	}
	fmt.Fprintf(o.log, "bench peer: %s, %d PDAs: %.0f verdicts/s, p50 %.3f ms, p99 %.3f ms\n", sys.name(), pdas, res.perS, res.p50, res.p99)
	return res, nil
}

// peerStartLoaded starts sys, and sends it the site's master data and
// tasks on its commands topic, waiting for every command's answer. With
// keep, the events watcher goes on collecting and is returned there.
func peerStartLoaded(ctx context.Context, o peerOptions, b *peerBroker, sys peerSystem, dir string, pdas int, keep **peerEvents) (string, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("bench peer: %w", err)
	}
	topic := func(t string) string { return fmt.Sprintf("floorgate/v1/%s/%s/%s", peerSite, sys.gateway(), t) }
	ev, err := b.watch(ctx, topic("events"))
	if err != nil {
		return "", "", err
	}
	url, fp, err := sys.start(ctx, dir, b)
	if err != nil {
		ev.stop()
		return "", "", err
	}
	tasks := pdas*2 + o.rateCap*int((o.warmup+o.duration).Seconds()+1)/(2*peerLines)
	cmds, ids, err := peerCommands(pdas, tasks)
	if err != nil {
		ev.stop()
		sys.stop()
		return "", "", err
	}
	if err := b.publish(ctx, topic("commands"), cmds); err != nil {
		ev.stop()
		sys.stop()
		return "", "", err
	}
	if err := ev.waitAnswers(ids, 2*time.Minute); err != nil {
		ev.stop()
		sys.stop()
		return "", "", fmt.Errorf("bench peer: %s: %w", sys.name(), err)
	}
	if keep != nil {
		*keep = ev
	} else {
		ev.stop()
	}
	return url, fp, nil
}

// peerLoadgen runs the load generator as its own process. onLine sees each
// line it prints (LOADGEN ready, measuring, measured).
func peerLoadgen(ctx context.Context, url, fp string, pdas int, warmup, d time.Duration, ackedFile string, onLine func(line string, loadgen int)) (loadgenResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return loadgenResult{}, err
	}
	args := []string{"loadgen", "--url", url, "--fingerprint", fp, "--pdas", strconv.Itoa(pdas),
		"--warmup", warmup.String(), "--duration", d.String()}
	if ackedFile != "" {
		args = append(args, "--until-closed", "--acked", ackedFile)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return loadgenResult{}, err
	}
	if err := cmd.Start(); err != nil {
		return loadgenResult{}, fmt.Errorf("loadgen: %w", err)
	}
	var res loadgenResult
	var perr error
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if onLine != nil {
			onLine(line, cmd.Process.Pid)
		}
		if strings.HasPrefix(line, "LOADGEN verdicts=") {
			res, perr = readLoadgenResult(line)
		}
	}
	if err := cmd.Wait(); err != nil {
		return res, fmt.Errorf("loadgen: %w", err)
	}
	return res, perr
}

// peerCommands are the site's master.put (a location and an item per
// line position, one picker per PDA with PIN 2468, sent as a pin_hash) and
// task.create commands, one JSON object a line, and their ids.
func peerCommands(pdas, tasks int) ([]string, []string, error) {
	const nloc = 200
	type loc struct {
		Code    string `json:"code"`
		Barcode string `json:"barcode"`
	}
	type item struct {
		SKU      string   `json:"sku"`
		Name     string   `json:"name"`
		Barcodes []string `json:"barcodes"`
	}
	type op struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Badge   string `json:"badge"`
		PINHash string `json:"pin_hash"`
		Role    string `json:"role"`
	}
	var locs []loc
	var items []item
	for i := range nloc {
		code := fmt.Sprintf("P-%02d-%03d", i/20, i)
		locs = append(locs, loc{code, code})
		gtin := gtin13(fmt.Sprintf("690%09d", 100000+i))
		items = append(items, item{"SKU-" + gtin, fmt.Sprintf("Bench item %d", i), []string{gtin}})
	}
	// PBKDF2 at 1,000 iterations, the least the contract allows, so that
	// logging hundreds of pickers in does not dwarf the run.
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, peerPIN, salt, 1000, 32)
	if err != nil {
		return nil, nil, err
	}
	b64 := base64.RawStdEncoding.EncodeToString
	hash := "pbkdf2-sha256$1000$" + b64(salt) + "$" + b64(key)
	var ops []op
	for i := range pdas {
		ops = append(ops, op{fmt.Sprintf("peer-op-%04d", i+1), fmt.Sprintf("Picker %d", i+1), fmt.Sprintf("PEER%04d", i+1), hash, "picker"})
	}
	var lines, ids []string
	add := func(typ string, data any) error {
		id := fmt.Sprintf("bench-%s-%04d", typ, len(ids)+1)
		b, err := json.Marshal(map[string]any{"id": id, "type": typ, "data": data})
		if err != nil {
			return err
		}
		lines, ids = append(lines, string(b)), append(ids, id)
		return nil
	}
	if err := add("master.put", map[string]any{"locations": locs, "items": items, "operators": ops}); err != nil {
		return nil, nil, err
	}
	type line struct {
		Location string `json:"location"`
		SKU      string `json:"sku"`
		Qty      int    `json:"qty"`
	}
	type task struct {
		ID    string `json:"id"`
		Order string `json:"order"`
		Lines []line `json:"lines"`
	}
	var batch []task
	for t := range tasks {
		tk := task{ID: fmt.Sprintf("PT-%06d", t+1), Order: fmt.Sprintf("PSO-%06d", t+1)}
		for j := range peerLines {
			// Twenty different locations and items, in walking order.
			tk.Lines = append(tk.Lines, line{locs[(t*7+j*13)%nloc].Code, items[(t*11+j*17)%nloc].SKU, 1})
		}
		batch = append(batch, tk)
		if len(batch) == 50 || t == tasks-1 {
			if err := add("task.create", map[string]any{"tasks": batch}); err != nil {
				return nil, nil, err
			}
			batch = nil
		}
	}
	return lines, ids, nil
}

// gtin13 appends the GS1 check digit to 12 digits.
func gtin13(d string) string { return d + string(gs1.CheckDigit(d)) }

// peerBroker is the site's Mosquitto: a process of its own on a free port.
type peerBroker struct {
	port int
	cmd  *exec.Cmd
}

func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startPeerBroker(ctx context.Context, dir string) (*peerBroker, error) {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
	}
	port, err := freeTCPPort()
	if err != nil {
		return nil, fmt.Errorf("bench peer: broker: %w", err)
	}
	conf := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nlog_dest file %s\n",
		port, filepath.Join(dir, "mosquitto.log")), 0o644); err != nil {
		return nil, fmt.Errorf("bench peer: broker: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "-c", conf)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench peer: broker: %w", err)
	}
	b := &peerBroker{port: port, cmd: cmd}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return b, nil
		}
		if time.Now().After(deadline) {
			b.stop()
			return nil, fmt.Errorf("bench peer: broker did not listen: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *peerBroker) stop() {
	b.cmd.Process.Signal(syscall.SIGTERM)
	b.cmd.Wait()
}

func (b *peerBroker) url() string { return fmt.Sprintf("tcp://127.0.0.1:%d", b.port) }

// publish sends each line as one QoS 1 message with mosquitto_pub, as an
// ERP's script would.
func (b *peerBroker) publish(ctx context.Context, topic string, lines []string) error {
	cmd := exec.CommandContext(ctx, "mosquitto_pub", "-h", "127.0.0.1", "-p", strconv.Itoa(b.port), "-q", "1", "-t", topic, "-l")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bench peer: mosquitto_pub: %w: %s", err, out)
	}
	return nil
}

// peerEvents collects what a mosquitto_sub reads on an events topic.
type peerEvents struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	cond    *sync.Cond
	answers map[string]string // command id → command.applied or command.rejected: reason
	items   map[string]bool   // scan ids of accepted item scans
	n       int
	last    time.Time
	done    bool
}

// record notes one event as the ERP would read it.
func (e *peerEvents) record(raw []byte) {
	var ev struct {
		Type string `json:"type"`
		Data struct {
			CommandID string `json:"command_id"`
			Reason    string `json:"reason"`
			Field     string `json:"field"`
			ScanID    string `json:"scan_id"`
			Kind      string `json:"kind"`
		} `json:"data"`
	}
	if json.Unmarshal(raw, &ev) != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	e.last = time.Now()
	switch ev.Type {
	case "command.applied":
		e.answers[ev.Data.CommandID] = ev.Type
	case "command.rejected":
		e.answers[ev.Data.CommandID] = ev.Type + ": " + ev.Data.Field + " " + ev.Data.Reason
	case "scan.accepted":
		if ev.Data.Kind == "item" {
			e.items[ev.Data.ScanID] = true
		}
	case "bench.probe":
		e.answers["probe"] = ev.Type
	}
	e.cond.Broadcast()
}

// watch subscribes to topic and returns once the subscription is proven
// by a probe message published to it.
func (b *peerBroker) watch(ctx context.Context, topic string) (*peerEvents, error) {
	cmd := exec.CommandContext(ctx, "mosquitto_sub", "-h", "127.0.0.1", "-p", strconv.Itoa(b.port), "-q", "1", "-t", topic)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench peer: mosquitto_sub: %w", err)
	}
	e := &peerEvents{cmd: cmd, answers: map[string]string{}, items: map[string]bool{}}
	e.cond = sync.NewCond(&e.mu)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<16), 1<<24)
		for sc.Scan() {
			line := sc.Bytes()
			// A gateway with mqtt.batch_events sends arrays of events.
			var batch []json.RawMessage
			if len(line) > 0 && line[0] == '[' && json.Unmarshal(line, &batch) == nil {
				for _, raw := range batch {
					e.record(raw)
				}
				continue
			}
			e.record(line)
		}
		e.mu.Lock()
		e.done = true
		e.cond.Broadcast()
		e.mu.Unlock()
	}()
	// mosquitto_sub says nothing when it has subscribed: publish probes
	// until one comes back.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := b.publish(ctx, topic, []string{`{"type":"bench.probe"}`}); err != nil {
			e.stop()
			return nil, err
		}
		if e.waitAnswers([]string{"probe"}, 200*time.Millisecond) == nil {
			return e, nil
		}
		if time.Now().After(deadline) {
			e.stop()
			return nil, errors.New("bench peer: mosquitto_sub did not subscribe")
		}
	}
}

// waitAnswers waits until every command id in ids is answered, and fails
// on a rejection.
func (e *peerEvents) waitAnswers(ids []string, timeout time.Duration) error {
	t := time.AfterFunc(timeout, func() { e.mu.Lock(); e.cond.Broadcast(); e.mu.Unlock() })
	defer t.Stop()
	deadline := time.Now().Add(timeout)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range ids {
		for e.answers[id] == "" {
			if e.done || time.Now().After(deadline) {
				return fmt.Errorf("no answer to command %s", id)
			}
			e.cond.Wait()
		}
		if a := e.answers[id]; a != "command.applied" && a != "bench.probe" {
			return fmt.Errorf("command %s: %s", id, a)
		}
	}
	return nil
}

// quiet waits until no event arrived for q, at most max.
func (e *peerEvents) quiet(q, max time.Duration) {
	end := time.Now().Add(max)
	for time.Now().Before(end) {
		e.mu.Lock()
		last := e.last
		e.mu.Unlock()
		if time.Since(last) > q {
			return
		}
		time.Sleep(q / 4)
	}
}

func (e *peerEvents) stop() {
	e.cmd.Process.Signal(syscall.SIGTERM)
	e.cmd.Wait()
}

// floorgateSystem is the daemon as a site runs it: the built binary's
// floorgate run, its state on disk (fsync on), its outbox draining to the
// site's broker, TLS self-signed with its fingerprint pinned.
type floorgateSystem struct {
	tls         bool
	batchEvents int // mqtt.batch_events
	profileDir  string
	pdas        int
	listen      string
	cmd         *exec.Cmd
	// wrap runs the daemon under another program (valgrind).
	wrap []string
	// env is added to the daemon's environment.
	env []string
}

// daemonBinary is the floorgate binary bench peer runs as a site does:
// $FLOORGATE_BIN, else the floorgate built next to this program (make
// build puts both in bin/).
func daemonBinary() (string, error) {
	if p := os.Getenv("FLOORGATE_BIN"); p != "" {
		return p, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("bench peer: %w", err)
	}
	p := filepath.Join(filepath.Dir(exe), "floorgate")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("bench peer runs the floorgate daemon: build it next to %s (make build), or name it with FLOORGATE_BIN: %w", exe, err)
	}
	return p, nil
}

func (f *floorgateSystem) name() string    { return "floorgate" }
func (f *floorgateSystem) gateway() string { return "fg" }
func (f *floorgateSystem) pid() int        { return f.cmd.Process.Pid }

var (
	fgEndpoint    = regexp.MustCompile(`PDA endpoint:\s+(wss?://\S+)`)
	fgFingerprint = regexp.MustCompile(`TLS certificate SHA-256:\s+([0-9A-F:]{95})`)
)

func (f *floorgateSystem) start(ctx context.Context, dir string, b *peerBroker) (string, string, error) {
	if f.listen == "" {
		port, err := freeTCPPort()
		if err != nil {
			return "", "", err
		}
		f.listen = fmt.Sprintf("127.0.0.1:%d", port)
	}
	mode := "self-signed"
	if !f.tls {
		mode = "off"
	}
	// The site's limits for people are raised: simulated PDAs scan far
	// faster than people, and all connect from 127.0.0.1.
	conf := fmt.Sprintf(`site:
  id: %s
  gateway: fg
listen: %q
tls:
  mode: %s
state_dir: %q
local_socket: %q
devices:
  auto_enrol: true
  max_messages_per_s: 1000000
  max_connections_per_address: 100000
mqtt:
  brokers: [%q]
  batch_events: %d
`, peerSite, f.listen, mode, filepath.Join(dir, "state"), filepath.Join(dir, "floorgate.sock"), b.url(), f.batchEvents)
	path := filepath.Join(dir, "floorgate.yaml")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return "", "", err
	}
	exe, err := daemonBinary()
	if err != nil {
		return "", "", err
	}
	argv := append(append([]string{}, f.wrap...), exe, "run", "--config", path)
	f.cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
	f.cmd.Env = os.Environ()
	if len(f.wrap) > 0 {
		// Valgrind's CPU knows neither Go's preemption signals nested in
		// each other (callgrind asserts) nor RDTSCP.
		f.cmd.Env = append(f.cmd.Env, "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off")
	}
	f.cmd.Env = append(f.cmd.Env, f.env...)
	if f.profileDir != "" {
		if err := os.MkdirAll(f.profileDir, 0o755); err != nil {
			return "", "", err
		}
		f.cmd.Env = append(f.cmd.Env, fmt.Sprintf("FLOORGATE_PROFILE=%s", filepath.Join(f.profileDir, fmt.Sprintf("pdas%d-tls%d", f.pdas, b2i(f.tls)))))
	}
	logf, err := os.Create(filepath.Join(dir, "floorgate.log"))
	if err != nil {
		return "", "", err
	}
	f.cmd.Stderr = logf
	out, err := f.cmd.StdoutPipe()
	if err != nil {
		return "", "", err
	}
	if err := f.cmd.Start(); err != nil {
		return "", "", fmt.Errorf("bench peer: start floorgate: %w", err)
	}
	// The start-up banner names the endpoint and the fingerprint, and is
	// printed once the gateway listens.
	var url, fp string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := fgEndpoint.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
		if m := fgFingerprint.FindStringSubmatch(sc.Text()); m != nil {
			fp = m[1]
		}
		if strings.Contains(sc.Text(), "Local admin:") {
			break
		}
	}
	go io.Copy(io.Discard, out)
	if url == "" || (f.tls && fp == "") {
		f.stop()
		return "", "", fmt.Errorf("bench peer: floorgate did not start (see %s)", logf.Name())
	}
	return url, fp, nil
}

func (f *floorgateSystem) stop() error {
	if f.cmd == nil || f.cmd.Process == nil || f.cmd.ProcessState != nil {
		return nil
	}
	f.cmd.Process.Signal(syscall.SIGTERM)
	t := time.AfterFunc(2*time.Minute, func() { f.cmd.Process.Kill() })
	defer t.Stop()
	return f.cmd.Wait()
}

// settle: floorgate answered each command once it was committed.
func (f *floorgateSystem) settle(string) error { return nil }

func (f *floorgateSystem) kill9() {
	c := f.cmd
	c.Process.Kill()
	c.Wait()
}

// lost: an acknowledged pick is kept when its scan.accepted event reached
// the broker — the restarted daemon drains what its outbox still held.
func (f *floorgateSystem) lost(_ string, acked []string, ev *peerEvents) (int, error) {
	ev.quiet(3*time.Second, time.Minute)
	ev.mu.Lock()
	defer ev.mu.Unlock()
	lost := 0
	for _, a := range acked {
		if f := strings.Fields(a); len(f) == 3 && !ev.items[f[2]] {
			lost++
		}
	}
	return lost, nil
}

// noderedSystem is the peer: Node-RED running bench/peers/nodered's flow
// from a user directory of its own (its context files).
type noderedSystem struct {
	peerDir string
	port    int
	cmd     *exec.Cmd
}

func (n *noderedSystem) name() string    { return "nodered" }
func (n *noderedSystem) gateway() string { return "nodered" }
func (n *noderedSystem) pid() int        { return n.cmd.Process.Pid }

func (n *noderedSystem) start(ctx context.Context, dir string, b *peerBroker) (string, string, error) {
	user := filepath.Join(dir, "userdir")
	if err := os.MkdirAll(user, 0o755); err != nil {
		return "", "", err
	}
	for _, f := range []string{"flows.json", "settings.js"} {
		if _, err := os.Stat(filepath.Join(user, f)); err == nil {
			continue // a restart: keep what it has
		}
		data, err := os.ReadFile(filepath.Join(n.peerDir, f))
		if err != nil {
			return "", "", fmt.Errorf("bench peer: %w", err)
		}
		if err := os.WriteFile(filepath.Join(user, f), data, 0o644); err != nil {
			return "", "", err
		}
	}
	if n.port == 0 {
		p, err := freeTCPPort()
		if err != nil {
			return "", "", err
		}
		n.port = p
	}
	red, err := filepath.Abs(filepath.Join(n.peerDir, "node_modules", "node-red", "red.js"))
	if err != nil {
		return "", "", err
	}
	n.cmd = exec.CommandContext(ctx, "node", red, "--settings", filepath.Join(user, "settings.js"), "--userDir", user)
	n.cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", n.port), fmt.Sprintf("FLOORGATE_PEER_MQTT_PORT=%d", b.port))
	logf, err := os.Create(filepath.Join(dir, "nodered.log"))
	if err != nil {
		return "", "", err
	}
	n.cmd.Stderr = logf
	out, err := n.cmd.StdoutPipe()
	if err != nil {
		return "", "", err
	}
	if err := n.cmd.Start(); err != nil {
		return "", "", fmt.Errorf("bench peer: start Node-RED: %w", err)
	}
	// Ready once its MQTT-in node is connected (and so subscribed).
	sc := bufio.NewScanner(out)
	ready := false
	for sc.Scan() {
		fmt.Fprintln(logf, sc.Text())
		if strings.Contains(sc.Text(), "Connected to broker") {
			ready = true
			break
		}
	}
	go io.Copy(logf, out)
	if !ready {
		n.stop()
		return "", "", fmt.Errorf("bench peer: Node-RED did not start (see %s)", logf.Name())
	}
	return fmt.Sprintf("ws://127.0.0.1:%d/ws/v1", n.port), "", nil
}

func (n *noderedSystem) stop() error {
	if n.cmd == nil || n.cmd.Process == nil || n.cmd.ProcessState != nil {
		return nil
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	t := time.AfterFunc(time.Minute, func() { n.cmd.Process.Kill() })
	defer t.Stop()
	n.cmd.Wait()
	return nil
}

// settle waits for the context store's first flush (every 30 s) after the
// site was loaded.
func (n *noderedSystem) settle(dir string) error {
	path := filepath.Join(dir, "userdir", "context", peerTab, "flow.json")
	deadline := time.Now().Add(45 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench peer: Node-RED flushed no context to %s in 45 s", path)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (n *noderedSystem) kill9() {
	c := n.cmd
	c.Process.Kill()
	c.Wait()
}

// lost: an acknowledged pick is kept when the restarted flow's context —
// what the localfilesystem store flushed — has its line picked.
func (n *noderedSystem) lost(dir string, acked []string, _ *peerEvents) (int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "userdir", "context", peerTab, "flow.json"))
	if errors.Is(err, os.ErrNotExist) {
		return len(acked), nil // nothing was flushed: the restarted flow has nothing
	}
	if err != nil {
		return 0, fmt.Errorf("bench peer: Node-RED's context: %w", err)
	}
	var ctx struct {
		Tasks map[string]struct {
			Lines []struct {
				Picked int `json:"picked"`
			} `json:"lines"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal(data, &ctx); err != nil {
		return 0, fmt.Errorf("bench peer: Node-RED's context: %w", err)
	}
	lost := 0
	for _, a := range acked {
		f := strings.Fields(a)
		if len(f) != 3 {
			continue
		}
		line, _ := strconv.Atoi(f[1])
		t, ok := ctx.Tasks[f[0]]
		if !ok || line < 1 || line > len(t.Lines) || t.Lines[line-1].Picked < 1 {
			lost++
		}
	}
	return lost, nil
}

// peerKill loads sys, drives it with pdas PDAs, kill -9s it after three
// seconds of scanning, restarts it on the same state and counts the picks
// the load generator had been told were accepted that it no longer holds.
func peerKill(ctx context.Context, o peerOptions, b *peerBroker, sys peerSystem, dir string, pdas int) (int, int, error) {
	var ev *peerEvents
	url, fp, err := peerStartLoaded(ctx, o, b, sys, dir, pdas, &ev)
	if err != nil {
		return 0, 0, err
	}
	defer ev.stop()
	defer sys.stop()
	if err := sys.settle(dir); err != nil {
		return 0, 0, err
	}
	ackedFile := filepath.Join(dir, "acked.txt")
	killed := make(chan struct{})
	_, err = peerLoadgen(ctx, url, fp, pdas, 0, 0, ackedFile, func(line string, _ int) {
		if line == "LOADGEN measuring" {
			time.AfterFunc(3*time.Second, func() { sys.kill9(); close(killed) })
		}
	})
	if err == nil {
		<-killed
	}
	if err != nil {
		return 0, 0, fmt.Errorf("bench peer: kill %s: %w", sys.name(), err)
	}
	acked, err := readAcked(ackedFile)
	if err != nil {
		return 0, 0, fmt.Errorf("bench peer: kill %s: %w", sys.name(), err)
	}
	if _, _, err := sys.start(ctx, dir, b); err != nil {
		return 0, 0, fmt.Errorf("bench peer: restart %s after kill -9: %w", sys.name(), err)
	}
	lost, err := sys.lost(dir, acked, ev)
	if err != nil {
		return 0, 0, err
	}
	fmt.Fprintf(o.log, "bench peer: %s killed -9 under %d PDAs: %d picks acknowledged, %d lost after restart\n", sys.name(), pdas, len(acked), lost)
	return len(acked), lost, nil
}

// peerInstructions counts the daemon's instructions per verdict at 64
// PDAs (TLS on): perf stat on its pid where the machine has the counter,
// else callgrind on a short fixed run with collection on for the window
// only.
func peerInstructions(ctx context.Context, o peerOptions, b *peerBroker, dir string, stdout io.Writer) error {
	const pdas = 64
	short := o
	short.warmup, short.duration = 2*time.Second, 3*time.Second
	usePerf := exec.Command("perf", "stat", "-x,", "-e", "instructions", "true")
	out, _ := usePerf.CombinedOutput()
	perfOK := usePerf.ProcessState != nil && usePerf.ProcessState.Success() && !strings.Contains(string(out), "not supported")
	// The count is taken at the collector's pace the daemon runs at under
	// this load (busy: gateway.GCPace), which a daemon slowed down by
	// callgrind to a few hundred scans a second would not reach by itself.
	gogc := os.Getenv("GOGC")
	if gogc == "" {
		gogc = strconv.Itoa(gateway.DefaultGCPace.Busy)
	}
	fg := &floorgateSystem{tls: true, env: []string{"GOGC=" + gogc}}
	tool := "perf"
	cgOut := filepath.Join(dir, "callgrind.out")
	if !perfOK {
		tool = "callgrind"
		if _, err := exec.LookPath("valgrind"); err != nil {
			return errors.New("neither perf's instruction counter nor valgrind is available")
		}
		fg.wrap = []string{"valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=" + cgOut}
		// Under callgrind everything is some fifty times slower.
		short.warmup, short.duration = 5*time.Second, 10*time.Second
	}
	url, fp, err := peerStartLoaded(ctx, short, b, fg, dir, pdas, nil)
	if err != nil {
		return err
	}
	defer fg.stop()
	var perfCmd *exec.Cmd
	var perfOut strings.Builder
	res, err := peerLoadgen(ctx, url, fp, pdas, short.warmup, short.duration, "", func(line string, _ int) {
		switch line {
		case "LOADGEN measuring":
			if perfOK {
				perfCmd = exec.Command("perf", "stat", "-x,", "-e", "instructions", "-p", strconv.Itoa(fg.pid()))
				perfCmd.Stderr = &perfOut
				perfCmd.Start()
			} else {
				exec.Command("callgrind_control", "-i", "on", strconv.Itoa(fg.pid())).Run()
			}
		case "LOADGEN measured":
			if perfOK && perfCmd != nil {
				perfCmd.Process.Signal(syscall.SIGINT)
				perfCmd.Wait()
			} else {
				exec.Command("callgrind_control", "-i", "off", strconv.Itoa(fg.pid())).Run()
			}
		}
	})
	if err != nil {
		return err
	}
	if err := fg.stop(); err != nil && tool == "perf" {
		return err
	}
	var instr float64
	if perfOK {
		f := strings.Split(strings.TrimSpace(perfOut.String()), ",")
		instr, err = strconv.ParseFloat(f[0], 64)
	} else {
		instr, err = callgrindTotal(cgOut)
	}
	if err != nil || instr == 0 || res.verdicts == 0 {
		return fmt.Errorf("%s counted %v instructions over %d verdicts: %v", tool, instr, res.verdicts, err)
	}
	fmt.Fprintf(stdout, "BENCH peer-instructions pdas=%d tls=1 gogc=%s instructions_per_verdict=%.0f verdicts=%d\n", pdas, gogc, instr/float64(res.verdicts), res.verdicts)
	fmt.Fprintf(o.log, "bench peer: %s: %.0f instructions over %d verdicts (%.0f verdicts/s under the tool)\n", tool, instr, res.verdicts, res.perS)
	return nil
}

// callgrindTotal reads the instructions (Ir) a callgrind output file
// counted, over every file it wrote (one per dump).
func callgrindTotal(out string) (float64, error) {
	files, _ := filepath.Glob(out + "*")
	total := 0.0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		for _, line := range strings.Split(string(data), "\n") {
			// totals: the events collected (summary stays 0 when
			// instrumentation is switched on while running).
			if v, ok := strings.CutPrefix(line, "totals: "); ok {
				x, err := strconv.ParseFloat(strings.Fields(v)[0], 64)
				if err != nil {
					return 0, err
				}
				total += x
			}
		}
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no callgrind output %s", out)
	}
	return total, nil
}
