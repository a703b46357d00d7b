// Package natstest runs a real NATS cluster for tests: nats-server
// processes (JetStream, MQTT, leaf node listeners) on free loopback ports,
// each a child process the test can kill -9, freeze with SIGSTOP and
// restart on the same ports and store. The server is built from the
// nats-server module floorgate already embeds (the same version as the
// site broker), so nothing is needed from the system. It is test support
// only; nothing in floorgate's daemon imports it.
package natstest

import (
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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the nats-server module the binary is built from: the one in
// floorgate's go.mod.
const Version = "v2.15.3"

var build struct {
	once sync.Once
	path string
	err  error
}

// Binary builds nats-server from the module once per machine and returns
// its path: $FLOORGATE_NATS_SERVER when set, else a build cached in the
// temporary directory under the module's version.
func Binary() (string, error) {
	if p := os.Getenv("FLOORGATE_NATS_SERVER"); p != "" {
		return p, nil
	}
	build.once.Do(func() {
		dir := filepath.Join(os.TempDir(), "floorgate-nats-server-"+Version)
		build.path = filepath.Join(dir, "nats-server")
		if _, err := os.Stat(build.path); err == nil {
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			build.err = fmt.Errorf("nats-server build dir: %w", err)
			return
		}
		tmp, err := os.CreateTemp(dir, "build-*")
		if err != nil {
			build.err = fmt.Errorf("nats-server build: %w", err)
			return
		}
		tmp.Close()
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goBin, "build", "-o", tmp.Name(), "github.com/nats-io/nats-server/v2")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Remove(tmp.Name())
			build.err = fmt.Errorf("go build nats-server: %w\n%s", err, out)
			return
		}
		// A rename is atomic: test processes building at once never run
		// a half-written binary.
		if err := os.Rename(tmp.Name(), build.path); err != nil {
			build.err = fmt.Errorf("nats-server build: %w", err)
		}
	})
	return build.path, build.err
}

// User is an account user of the cluster, for NATS and MQTT clients alike
// (an MQTT CONNECT's username and password are a NATS user's). Publish and
// Subscribe list the subjects it may use; empty means everything.
type User struct {
	Name, Password     string
	Publish, Subscribe []string
}

// Options shape a cluster.
type Options struct {
	// Nodes is the cluster's size; 3 when 0.
	Nodes int
	// Users are the account's users; one user "erp" with every right
	// when none is given.
	Users []User
	// MQTTReplicas is the replicas of the MQTT streams; Nodes when 0.
	MQTTReplicas int
}

// Node is one nats-server process.
type Node struct {
	Name                              string
	ClientPort, ClusterPort, HTTPPort int
	MQTTPort, LeafPort                int
	conf, log, store                  string
	cmd                               *exec.Cmd
	exited                            chan struct{}
}

// Cluster is a JetStream cluster (domain "hub") whose nodes also listen
// for MQTT clients and leaf nodes.
type Cluster struct {
	t     testing.TB
	Nodes []*Node
	opts  Options
}

// Start runs a cluster and waits until every node is healthy (JetStream
// has a meta leader); it is killed when the test ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	if opts.MQTTReplicas == 0 {
		opts.MQTTReplicas = opts.Nodes
	}
	if len(opts.Users) == 0 {
		opts.Users = []User{{Name: "erp", Password: "erp-secret"}}
	}
	c := &Cluster{t: t, opts: opts}
	dir := t.TempDir()
	used := map[int]bool{}
	port := func() int {
		// The kernel may hand out a port it gave a moment ago: each of
		// the cluster's ports must be its own.
		for {
			if p := freePort(t); !used[p] {
				used[p] = true
				return p
			}
		}
	}
	for i := range opts.Nodes {
		n := &Node{Name: fmt.Sprintf("n%d", i+1), ClientPort: port(), ClusterPort: port(), HTTPPort: port(),
			MQTTPort: port(), LeafPort: port()}
		n.conf = filepath.Join(dir, n.Name+".conf")
		n.log = filepath.Join(dir, n.Name+".log")
		n.store = filepath.Join(dir, n.Name)
		c.Nodes = append(c.Nodes, n)
	}
	for _, n := range c.Nodes {
		if err := os.WriteFile(n.conf, []byte(c.config(n)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(c.KillAll)
	for i := range c.Nodes {
		c.start(i)
	}
	c.WaitHealthy(30 * time.Second)
	return c
}

// config is node n's configuration file.
func (c *Cluster) config(n *Node) string {
	var routes []string
	for _, o := range c.Nodes {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", o.ClusterPort))
	}
	var users []string
	for _, u := range c.opts.Users {
		perm := ""
		if len(u.Publish)+len(u.Subscribe) > 0 {
			perm = fmt.Sprintf(", permissions: {publish: {allow: %s}, subscribe: {allow: %s}}", quoteList(u.Publish), quoteList(u.Subscribe))
		}
		users = append(users, fmt.Sprintf("{user: %q, password: %q%s}", u.Name, u.Password, perm))
	}
	return fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
jetstream { store_dir: %q, domain: hub }
cluster { name: fgc, listen: 127.0.0.1:%d, routes: [%s] }
leafnodes { listen: 127.0.0.1:%d, no_advertise: true }
mqtt { listen: 127.0.0.1:%d, stream_replicas: %d, js_api_timeout: 30s }
accounts {
  FG { jetstream: enabled, users: [%s] }
  SYS { users: [{user: sys, password: sys-secret}] }
}
system_account: SYS
`, n.Name, n.ClientPort, n.HTTPPort, n.store, n.ClusterPort, strings.Join(routes, ", "), n.LeafPort, n.MQTTPort,
		c.opts.MQTTReplicas, strings.Join(users, ", "))
}

func quoteList(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// start runs node i's process.
func (c *Cluster) start(i int) {
	c.t.Helper()
	bin, err := Binary()
	if err != nil {
		c.t.Fatal(err)
	}
	n := c.Nodes[i]
	n.cmd = exec.Command(bin, "-c", n.conf, "-l", n.log)
	n.cmd.Stdout, n.cmd.Stderr = io.Discard, io.Discard
	if err := n.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	n.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(n.cmd, n.exited)
}

// Kill ends node i with SIGKILL.
func (c *Cluster) Kill(i int) {
	n := c.Nodes[i]
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Signal(syscall.SIGCONT)
	n.cmd.Process.Kill()
	<-n.exited
	n.cmd = nil
}

// KillAll kills every node.
func (c *Cluster) KillAll() {
	for i := range c.Nodes {
		c.Kill(i)
	}
}

// Freeze stops node i with SIGSTOP: its connections stay open, nothing
// moves.
func (c *Cluster) Freeze(i int) { c.Nodes[i].cmd.Process.Signal(syscall.SIGSTOP) }

// Thaw resumes a frozen node.
func (c *Cluster) Thaw(i int) { c.Nodes[i].cmd.Process.Signal(syscall.SIGCONT) }

// Restart starts a killed node again, on its ports and its store, and
// waits until it is healthy.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.start(i)
	c.waitNode(i, 30*time.Second)
}

// Running reports whether node i's process is up.
func (c *Cluster) Running(i int) bool { return c.Nodes[i].cmd != nil }

// WaitHealthy waits until every running node answers /healthz with ok.
func (c *Cluster) WaitHealthy(d time.Duration) {
	c.t.Helper()
	for i := range c.Nodes {
		if c.Running(i) {
			c.waitNode(i, d)
		}
	}
}

func (c *Cluster) waitNode(i int, d time.Duration) {
	c.t.Helper()
	n := c.Nodes[i]
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-n.exited:
			raw, _ := os.ReadFile(n.log)
			c.t.Fatalf("nats-server %s exited:\n%s", n.Name, tail(raw))
		default:
		}
		if last = n.healthy(); last == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	var logs strings.Builder
	for _, o := range c.Nodes {
		raw, _ := os.ReadFile(o.log)
		fmt.Fprintf(&logs, "--- %s (client %d, cluster %d, http %d, mqtt %d, leaf %d):\n%s\n", o.Name, o.ClientPort, o.ClusterPort,
			o.HTTPPort, o.MQTTPort, o.LeafPort, tail(withoutHealthchecks(raw)))
	}
	c.t.Fatalf("nats-server %s not healthy after %v: %v\n%s", n.Name, d, last, logs.String())
}

// healthy asks the node's /healthz.
func (n *Node) healthy() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/healthz", n.HTTPPort), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var h struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&h); err != nil {
		return err
	}
	if h.Status != "ok" {
		return errors.New(h.Status + ": " + h.Error)
	}
	return nil
}

// withoutHealthchecks drops the log's repeated health check warnings, so
// what went wrong before them shows.
func withoutHealthchecks(b []byte) []byte {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, "Healthcheck failed") {
			out = append(out, l)
		}
	}
	return []byte(strings.Join(out, "\n"))
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// MQTTURLs are the nodes' MQTT listeners, as a gateway lists its brokers.
func (c *Cluster) MQTTURLs() []string {
	var out []string
	for _, n := range c.Nodes {
		out = append(out, fmt.Sprintf("tcp://127.0.0.1:%d", n.MQTTPort))
	}
	return out
}

// NATSURLs are the nodes' client listeners, comma-separated as NATS
// clients take them.
func (c *Cluster) NATSURLs() string {
	var out []string
	for _, n := range c.Nodes {
		out = append(out, fmt.Sprintf("nats://127.0.0.1:%d", n.ClientPort))
	}
	return strings.Join(out, ",")
}

// LeafURLs are the nodes' leaf node listeners.
func (c *Cluster) LeafURLs() []string {
	var out []string
	for _, n := range c.Nodes {
		out = append(out, fmt.Sprintf("nats-leaf://127.0.0.1:%d", n.LeafPort))
	}
	return out
}

// Monitor is node i's monitoring endpoint (/healthz, /jsz, /leafz, …).
func (c *Cluster) Monitor(i int) string {
	return fmt.Sprintf("http://127.0.0.1:%d", c.Nodes[i].HTTPPort)
}

// freePort is a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
