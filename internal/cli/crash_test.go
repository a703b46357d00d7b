package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/sim"
)

// buildBinary builds the floorgate binary into a new temporary directory,
// with the given build tags.
func buildBinary(tags ...string) (string, error) {
	dir, err := os.MkdirTemp("", "floorgate-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "floorgate")
	args := []string{"build"}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	out, err := exec.Command("go", append(args, "-o", bin, "github.com/floorgate/floorgate/cmd/floorgate")...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

// buildOnce builds the binary once per test run.
var buildOnce = sync.OnceValues(func() (string, error) { return buildBinary() })

// daemon is a floorgate process started by a test.
type daemon struct {
	cmd  *exec.Cmd
	addr string
	// socket is its local administration socket.
	socket string
	// fingerprint is its certificate's, when it serves TLS.
	fingerprint string
	// demoUser and demoPassword are the embedded broker's demo ERP user,
	// as a --demo gateway prints them.
	demoUser, demoPassword string
	// tls trusts exactly that certificate, as a paired PDA does: what
	// PDAs and browsers dial it with. Nil when it serves plain HTTP.
	tls  *tls.Config
	logs *os.File
	// exited is closed once the process has ended; exitErr is then why.
	exited  chan struct{}
	exitErr error
}

// wait waits for the process to end and returns its exit error.
func (d *daemon) wait() error {
	<-d.exited
	return d.exitErr
}

var (
	listenRE      = regexp.MustCompile(`listening on (https?)://([0-9.:]+)`)
	fingerprintRE = regexp.MustCompile(`TLS certificate SHA-256: ([0-9A-F:]+)`)
	demoUserRE    = regexp.MustCompile(`demo ERP user (\S+), password (\S+) `)
)

// startDaemon runs floorgate with its upstream link pointed at a port where
// nothing listens: the WAN is down, so every event stays in the outbox.
// extra is appended to its configuration.
func startDaemon(t *testing.T, stateDir, extra string) *daemon {
	t.Helper()
	return startGatewayConf(t, stateDir, "tcp://127.0.0.1:9", "gw-1", extra)
}

// testConfig is the start of every test daemon's configuration: the
// defaults a site ships with — TLS on, a self-signed certificate made on
// first start — and simulated pickers that scan far faster than people, so
// the flood guard is raised out of their way.
const testConfig = "devices:\n  max_messages_per_s: 100000\n"

// tlsOffConfig turns the listener's TLS off: plain ws:// and http://. Only
// the one extra case that checks a site running without TLS uses it; every
// other scenario runs the shipped default.
const tlsOffConfig = "tls:\n  mode: \"off\"\n"

// startGateway runs floorgate as a child process; with a broker URL it
// links to that broker as gateway gw, else to an embedded broker.
func startGateway(t *testing.T, stateDir, broker, gateway string) *daemon {
	t.Helper()
	return startGatewayConf(t, stateDir, broker, gateway, "")
}

// startGatewayConf is startGateway with extra appended to the
// configuration.
func startGatewayConf(t *testing.T, stateDir, broker, gateway, extra string) *daemon {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	yaml := testConfig + "mqtt:\n  embedded_listen: 127.0.0.1:0\n"
	if broker != "" {
		yaml = testConfig + fmt.Sprintf("site:\n  gateway: %s\nmqtt:\n  brokers: [%q]\n  keepalive: 2s\n", gateway, broker)
	}
	d := spawnDaemon(t, bin, stateDir, yaml+extra, nil)
	if off := extra == tlsOffConfig; off != (d.tls == nil) {
		t.Fatalf("TLS off in the configuration: %v; the daemon serves TLS: %v", off, d.tls != nil)
	}
	return d
}

// spawnDaemon runs the floorgate binary bin on stateDir with the given
// configuration and extra environment, and waits until it listens. The
// process is killed when the test ends.
func spawnDaemon(t *testing.T, bin, stateDir, yaml string, env []string) *daemon {
	t.Helper()
	return spawn(t, bin, stateDir, yaml, env, "--demo", "--listen", "127.0.0.1:0")
}

// spawn runs `floorgate run --config … --state-dir stateDir` with the
// extra flags, and waits until it has announced where it listens.
func spawn(t *testing.T, bin, stateDir, yaml string, env []string, flags ...string) *daemon {
	t.Helper()
	logs, err := os.Create(filepath.Join(t.TempDir(), "floorgate.log"))
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "floorgate.yaml")
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"run", "--config", conf, "--state-dir", stateDir}, flags...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, socket: filepath.Join(stateDir, "floorgate.sock"), logs: logs, exited: make(chan struct{})}
	t.Cleanup(func() { cmd.Process.Kill(); <-d.exited })
	found := make(chan string, 1)
	scheme := ""
	go func() {
		sc := bufio.NewScanner(stdout)
		addr := ""
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				scheme, addr = m[1], m[2]
			}
			if m := fingerprintRE.FindStringSubmatch(sc.Text()); m != nil {
				d.fingerprint = m[1]
			}
			if m := demoUserRE.FindStringSubmatch(sc.Text()); m != nil {
				d.demoUser, d.demoPassword = m[1], m[2]
			}
			// The socket's line comes after the address and the
			// certificate's.
			if strings.Contains(sc.Text(), "Local admin:") {
				found <- addr
			}
		}
		close(found)
		d.exitErr = cmd.Wait()
		close(d.exited)
	}()
	select {
	case addr, ok := <-found:
		if !ok {
			<-d.exited
			raw, _ := os.ReadFile(logs.Name())
			t.Fatalf("floorgate exited before listening:\n%s", raw)
		}
		d.addr = addr
	case <-time.After(60 * time.Second):
		t.Fatal("floorgate did not start within 60s")
	}
	if (scheme == "https") != (d.fingerprint != "") {
		t.Fatalf("floorgate listens on %s:// but printed certificate fingerprint %q", scheme, d.fingerprint)
	}
	if d.fingerprint != "" {
		if d.tls, err = client.PinnedTLS(d.fingerprint); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// url is the daemon's PDA endpoint: wss:// (the default), ws:// when its
// TLS is off.
func (d *daemon) url() string { return d.urlAt(d.addr) }

// urlAt is the daemon's PDA endpoint reached at addr, its own or a proxy's.
func (d *daemon) urlAt(addr string) string {
	if d.tls == nil {
		return "ws://" + addr + "/ws/v1"
	}
	return "wss://" + addr + "/ws/v1"
}

// pageURL is where the daemon serves its pages and API over the network.
func (d *daemon) pageURL() string {
	if d.tls == nil {
		return "http://" + d.addr
	}
	return "https://" + d.addr
}

// local is a client of the daemon over its local socket, as the command
// line reaches it.
func (d *daemon) local() *client.Client { return client.Local(d.socket) }

// unitTasks gives the gateway n tasks of one unit a line, ahead of the
// demo's: pickers scanning as fast as verdicts come never read one code
// twice in a row (which the double-read guard would refuse).
func unitTasks(t *testing.T, ctx context.Context, d *daemon, demo *gateway.Demo, prefix string, n int) {
	t.Helper()
	tasks := demo.MoreTasks(rand.New(rand.NewPCG(1, 2)), prefix, n, 5, 15, 1)
	for i := range tasks {
		tasks[i].Priority = 1
	}
	if err := d.local().Post(ctx, "/api/v1/tasks", map[string]any{"tasks": tasks}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestCrashLosesNoAcceptedScan kills the gateway with SIGKILL while PDAs
// scan over wss://, restarts it, and checks that every scan that was
// answered OK is in the journal and the outbox exactly once, that sequence
// numbers have no gap, and that a scan resent after the crash is answered
// once. The PDAs keep the fingerprint they paired with across the restart.
func TestCrashLosesNoAcceptedScan(t *testing.T) {
	crashLosesNoAcceptedScan(t, "")
}

// TestCrashLosesNoAcceptedScanTLSOff is the extra case of a site that
// turned TLS off: the same crash and restart, PDAs on plain ws://. It is
// the only spawned-daemon scenario without TLS.
func TestCrashLosesNoAcceptedScanTLSOff(t *testing.T) {
	crashLosesNoAcceptedScan(t, tlsOffConfig)
}

// crashLosesNoAcceptedScan is TestCrashLosesNoAcceptedScan on a daemon
// whose configuration has extra appended.
func crashLosesNoAcceptedScan(t *testing.T, extra string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stateDir := t.TempDir()
	d := startDaemon(t, stateDir, extra)
	demo := gateway.NewDemo()

	unitTasks(t, ctx, d, demo, "CRASH-", 60)

	const pdas = 4
	pickers := make([]*sim.Picker, pdas)
	for i := range pdas {
		p, err := sim.DialPicker(ctx, d.url(), d.tls, demo, fmt.Sprintf("crash-pda-%d", i), demo.Badges[i], 0.1, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		pickers[i] = p
	}

	var (
		mu       sync.Mutex
		accepted = map[string]bool{} // scan ids answered OK
		answered int
	)
	record := func(o sim.Outcome) {
		mu.Lock()
		defer mu.Unlock()
		answered++
		if o.Verdict.OK && (o.Verdict.Code == floorgate.CodeLocationOK || o.Verdict.Code == floorgate.CodeItemOK ||
			o.Verdict.Code == floorgate.CodeLineDone || o.Verdict.Code == floorgate.CodeTaskDone) {
			accepted[o.ScanID] = true
		}
	}
	// Scan until the gateway dies under the pickers.
	killAt := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range pickers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				o, err := p.Step(ctx)
				if err != nil {
					return // the connection died with the gateway
				}
				if !o.Expected {
					t.Errorf("%s: unexpected verdict %s", p.Device(), o.Verdict.Code)
				}
				record(o)
				mu.Lock()
				n := answered
				mu.Unlock()
				if n == 400 {
					close(killAt)
				}
			}
		}()
	}
	select {
	case <-killAt:
	case <-ctx.Done():
		t.Fatal("pickers did not make 400 scans")
	}
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	d.wait()
	wg.Wait()

	// Restart on the same state; every picker resends what was unanswered
	// and picks on.
	d = startDaemon(t, stateDir, extra)
	resent := 0
	for _, p := range pickers {
		if err := p.Reconnect(ctx, d.url()); err != nil {
			t.Fatal(err)
		}
		if p.Unanswered() != nil {
			resent++
			o, err := p.Send(ctx)
			if err != nil {
				t.Fatal(err)
			}
			record(o)
		}
		for range 10 {
			o, err := p.Step(ctx)
			if err != nil {
				t.Fatalf("%s after restart: %v", p.Device(), err)
			}
			if !o.Expected {
				t.Errorf("%s after restart: unexpected verdict %s (prompt %+v)", p.Device(), o.Verdict.Code, p.Prompt())
			}
			record(o)
		}
		p.Close()
	}
	t.Logf("%d scans answered, %d accepted, %d resent after the crash", answered, len(accepted), resent)

	// Stop cleanly and read the state the gateway left.
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.wait(); err != nil {
		raw, _ := os.ReadFile(d.logs.Name())
		t.Fatalf("clean stop: %v\n%s", err, raw)
	}
	db := openState(t, stateDir, "gw-1")
	evs, err := db.Journal(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	inJournal := map[string]int{}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("journal[%d] has seq %d: a gap", i, ev.Seq)
		}
		if ev.Type == floorgate.EventScanAccepted {
			var rec floorgate.ScanRecord
			if err := json.Unmarshal(ev.Data, &rec); err != nil {
				t.Fatal(err)
			}
			inJournal[rec.ScanID]++
		}
	}
	for id := range accepted {
		if inJournal[id] != 1 {
			t.Errorf("scan %s was answered OK but is in the journal %d times", id, inJournal[id])
		}
	}
	seqs, err := db.OutboxSeqs()
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != len(evs) {
		t.Fatalf("outbox holds %d events, journal %d", len(seqs), len(evs))
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("outbox[%d] has seq %d: a gap", i, s)
		}
	}
	if len(accepted) < 400*8/10 {
		t.Fatalf("only %d scans accepted; the test did not exercise the gateway", len(accepted))
	}
}
