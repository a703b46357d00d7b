// Package daemontest runs the floorgate binary as a site does, for tests
// in other packages: built once per test binary (Build, with build tags
// for the chaos build), started on a test's state directory with the
// shipped defaults (TLS on, a self-signed certificate) and a configuration
// the test adds to, killed when the test ends.
package daemontest

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/gateway"
)

// Build builds the floorgate binary into a new temporary directory,
// with the given build tags.
func Build(tags ...string) (string, error) {
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

// buildOnce builds the binary once per test binary.
var buildOnce = sync.OnceValues(func() (string, error) { return Build() })

// Binary is the floorgate binary as the package ships it, built once per
// test binary.
func Binary() (string, error) { return buildOnce() }

// Daemon is a floorgate process started by a test.
type Daemon struct {
	Cmd  *exec.Cmd
	Addr string // where it listens, host:port
	// Socket is its local administration socket.
	Socket string
	// Fingerprint is its certificate's, when it serves TLS.
	Fingerprint string
	// DemoUser and DemoPassword are the embedded broker's demo ERP user,
	// as a --demo gateway prints them.
	DemoUser, DemoPassword string
	// TLS trusts exactly that certificate, as a paired PDA does: what
	// PDAs and browsers dial it with. Nil when it serves plain HTTP.
	TLS  *tls.Config
	Logs *os.File // its standard error
	// exited is closed once the process has ended; exitErr is then why.
	exited  chan struct{}
	exitErr error
}

// Exited is closed once the process has ended.
func (d *Daemon) Exited() <-chan struct{} { return d.exited }

// Wait waits for the process to end and returns its exit error.
func (d *Daemon) Wait() error {
	<-d.exited
	return d.exitErr
}

var (
	listenRE      = regexp.MustCompile(`listening on (https?)://([0-9.:]+)`)
	fingerprintRE = regexp.MustCompile(`TLS certificate SHA-256: ([0-9A-F:]+)`)
	demoUserRE    = regexp.MustCompile(`demo ERP user (\S+), password (\S+) `)
)

// Start runs floorgate with its upstream link pointed at a port where
// nothing listens: the WAN is down, so every event stays in the outbox.
// extra is appended to its configuration.
func Start(t *testing.T, stateDir, extra string) *Daemon {
	t.Helper()
	return startGatewayConf(t, stateDir, "tcp://127.0.0.1:9", "gw-1", extra)
}

// TestConfig is the start of every test daemon's configuration: the
// defaults a site ships with — TLS on, a self-signed certificate made on
// first start — and simulated pickers that scan far faster than people, so
// the flood guard is raised out of their way.
const TestConfig = "devices:\n  max_messages_per_s: 100000\n"

// TLSOffConfig turns the listener's TLS off: plain ws:// and http://. Only
// the one extra case that checks a site running without TLS uses it; every
// other scenario runs the shipped default.
const TLSOffConfig = "tls:\n  mode: \"off\"\n"

// StartGateway runs floorgate as a child process; with a broker URL it
// links to that broker as gateway gw, else to an embedded broker.
func StartGateway(t *testing.T, stateDir, broker, gateway string) *Daemon {
	t.Helper()
	return startGatewayConf(t, stateDir, broker, gateway, "")
}

// startGatewayConf is StartGateway with extra appended to the
// configuration.
func startGatewayConf(t *testing.T, stateDir, broker, gateway, extra string) *Daemon {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	yaml := TestConfig + "mqtt:\n  embedded_listen: 127.0.0.1:0\n"
	if broker != "" {
		yaml = TestConfig + fmt.Sprintf("site:\n  gateway: %s\nmqtt:\n  brokers: [%q]\n  keepalive: 2s\n", gateway, broker)
	}
	d := SpawnDemo(t, bin, stateDir, yaml+extra, nil)
	if off := extra == TLSOffConfig; off != (d.TLS == nil) {
		t.Fatalf("TLS off in the configuration: %v; the daemon serves TLS: %v", off, d.TLS != nil)
	}
	return d
}

// SpawnDemo runs the floorgate binary bin on stateDir with the given
// configuration and extra environment, and waits until it listens. The
// process is killed when the test ends.
func SpawnDemo(t *testing.T, bin, stateDir, yaml string, env []string) *Daemon {
	t.Helper()
	return Spawn(t, bin, stateDir, yaml, env, "--demo", "--listen", "127.0.0.1:0")
}

// Spawn runs `floorgate run --config … --state-dir stateDir` with the
// extra flags, and waits until it has announced where it listens.
func Spawn(t *testing.T, bin, stateDir, yaml string, env []string, flags ...string) *Daemon {
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
	d := &Daemon{Cmd: cmd, Socket: filepath.Join(stateDir, "floorgate.sock"), Logs: logs, exited: make(chan struct{})}
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
				d.Fingerprint = m[1]
			}
			if m := demoUserRE.FindStringSubmatch(sc.Text()); m != nil {
				d.DemoUser, d.DemoPassword = m[1], m[2]
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
		d.Addr = addr
	case <-time.After(60 * time.Second):
		t.Fatal("floorgate did not start within 60s")
	}
	if (scheme == "https") != (d.Fingerprint != "") {
		t.Fatalf("floorgate listens on %s:// but printed certificate fingerprint %q", scheme, d.Fingerprint)
	}
	if d.Fingerprint != "" {
		if d.TLS, err = client.PinnedTLS(d.Fingerprint); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// URL is the daemon's PDA endpoint: wss:// (the default), ws:// when its
// TLS is off.
func (d *Daemon) URL() string { return d.URLAt(d.Addr) }

// URLAt is the daemon's PDA endpoint reached at addr, its own or a proxy's.
func (d *Daemon) URLAt(addr string) string {
	if d.TLS == nil {
		return "ws://" + addr + "/ws/v1"
	}
	return "wss://" + addr + "/ws/v1"
}

// PageURL is where the daemon serves its pages and API over the network.
func (d *Daemon) PageURL() string {
	if d.TLS == nil {
		return "http://" + d.Addr
	}
	return "https://" + d.Addr
}

// Local is a client of the daemon over its local socket, as the command
// line reaches it.
func (d *Daemon) Local() *client.Client { return client.Local(d.Socket) }

// UnitTasks gives the gateway n tasks of one unit a line, ahead of the
// demo's: pickers scanning as fast as verdicts come never read one code
// twice in a row (which the double-read guard would refuse).
func UnitTasks(t *testing.T, ctx context.Context, d *Daemon, demo *gateway.Demo, prefix string, n int) {
	t.Helper()
	tasks := demo.MoreTasks(rand.New(rand.NewPCG(1, 2)), prefix, n, 5, 15, 1)
	for i := range tasks {
		tasks[i].Priority = 1
	}
	if err := d.Local().Post(ctx, "/api/v1/tasks", map[string]any{"tasks": tasks}, nil); err != nil {
		t.Fatal(err)
	}
}

// DeviceToken is the device token a test's PDA says hello with: its own,
// and long enough for the store's least token length.
func DeviceToken(device string) string {
	return "test-device-token/" + device + "/0123456789abcdef"
}
