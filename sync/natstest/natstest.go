// Package natstest runs a real NATS cluster for tests: nats-server
// processes (JetStream, MQTT, leaf node listeners) on free loopback ports,
// each a child process the test can kill -9, freeze with SIGSTOP and
// restart on the same ports and store. The server is built from the
// nats-server module floorgate already embeds (the same version as the
// site broker), so nothing is needed from the system. It is test and
// bench support only (StartProcess is for floorgate-bench backbone);
// nothing in floorgate's daemon imports it, and it does not import
// package testing, so a bench linking it does not link that too.
package natstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
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
		// A binary built with -trimpath (bin/floorgate, whose bench
		// starts clusters too) knows no GOROOT: the go on PATH then.
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); runtime.GOROOT() == "" || err != nil {
			goBin = "go"
		}
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
	// LeafCert and LeafKey, when set, are the PEM files of the leaf-node
	// listeners' certificate (valid for 127.0.0.1): the listeners then
	// speak only TLS and LeafURLs are tls:// URLs.
	LeafCert, LeafKey string
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
	t     TB // nil for a cluster of StartProcess
	Nodes []*Node
	opts  Options
}

// TB is what Start needs of its test; testing.TB has it.
type TB interface {
	Helper()
	TempDir() string
	Cleanup(func())
	Fatal(args ...any)
}

// Start runs a cluster and waits until every node is healthy and the
// JetStream meta leader counts every node current, so a replicated stream
// can be placed at once; it is killed when the test ends.
func Start(t TB, opts Options) *Cluster {
	t.Helper()
	c, err := startIn(t.TempDir(), opts, t)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// StartProcess runs a cluster like Start's, its configuration, logs and
// stores in dir, for a caller that is not a test (a bench): it returns
// the failure instead, and the caller ends the cluster with KillAll. On
// such a cluster, Restart and WaitHealthy panic where a test's would
// fail the test.
func StartProcess(dir string, opts Options) (*Cluster, error) {
	return startIn(dir, opts, nil)
}

func startIn(dir string, opts Options, t TB) (*Cluster, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("natstest: %w", err)
	}
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
	used := map[int]bool{}
	var portErr error
	port := func() int {
		// The kernel may hand out a port it gave a moment ago: each of
		// the cluster's ports must be its own.
		for {
			p, err := freePort()
			if err != nil {
				portErr = err
				return 0
			}
			if !used[p] {
				used[p] = true
				return p
			}
		}
	}
	for i := range opts.Nodes {
		n := &Node{Name: fmt.Sprintf("n%d", i+1), ClientPort: port(), ClusterPort: port(), HTTPPort: port(),
			MQTTPort: port(), LeafPort: port()}
		if portErr != nil {
			return nil, fmt.Errorf("natstest: free port: %w", portErr)
		}
		n.conf = filepath.Join(dir, n.Name+".conf")
		n.log = filepath.Join(dir, n.Name+".log")
		n.store = filepath.Join(dir, n.Name)
		c.Nodes = append(c.Nodes, n)
	}
	for _, n := range c.Nodes {
		if err := os.WriteFile(n.conf, []byte(c.config(n)), 0o600); err != nil {
			return nil, fmt.Errorf("natstest: %w", err)
		}
	}
	if t != nil {
		t.Cleanup(c.KillAll)
	}
	for i := range c.Nodes {
		if err := c.start(i); err != nil {
			c.KillAll()
			return nil, err
		}
	}
	if err := c.waitHealthy(30 * time.Second); err != nil {
		c.KillAll()
		return nil, err
	}
	return c, nil
}

// must fails the cluster's test with err, or, on a cluster of
// StartProcess, panics.
func (c *Cluster) must(err error) {
	if err == nil {
		return
	}
	if c.t == nil {
		panic(err)
	}
	c.t.Helper()
	c.t.Fatal(err)
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
	leafTLS := ""
	if c.opts.LeafCert != "" {
		leafTLS = fmt.Sprintf(", tls { cert_file: %q, key_file: %q }", c.opts.LeafCert, c.opts.LeafKey)
	}
	return fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
jetstream { store_dir: %q, domain: hub }
cluster { name: fgc, listen: 127.0.0.1:%d, routes: [%s] }
leafnodes { listen: 127.0.0.1:%d, no_advertise: true%s }
mqtt { listen: 127.0.0.1:%d, stream_replicas: %d, js_api_timeout: 30s }
accounts {
  FG { jetstream: enabled, users: [%s] }
  SYS { users: [{user: sys, password: sys-secret}] }
}
system_account: SYS
`, n.Name, n.ClientPort, n.HTTPPort, n.store, n.ClusterPort, strings.Join(routes, ", "), n.LeafPort, leafTLS, n.MQTTPort,
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
func (c *Cluster) start(i int) error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	n := c.Nodes[i]
	cmd := exec.Command(bin, "-c", n.conf, "-l", n.log)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("natstest: start %s: %w", n.Name, err)
	}
	n.cmd = cmd
	n.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(n.cmd, n.exited)
	return nil
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
	if c.t != nil {
		c.t.Helper()
	}
	err := c.start(i)
	if err == nil {
		err = c.waitNode(i, 30*time.Second)
	}
	c.must(err)
}

// Running reports whether node i's process is up.
func (c *Cluster) Running(i int) bool { return c.Nodes[i].cmd != nil }

// Pid is node i's process id, 0 when it is not running: what a bench
// reads the node's CPU time by.
func (c *Cluster) Pid(i int) int {
	if cmd := c.Nodes[i].cmd; cmd != nil && cmd.Process != nil {
		return cmd.Process.Pid
	}
	return 0
}

// WaitHealthy waits until every running node answers /healthz with ok
// and the meta leader counts each of them current.
func (c *Cluster) WaitHealthy(d time.Duration) {
	if c.t != nil {
		c.t.Helper()
	}
	c.must(c.waitHealthy(d))
}

func (c *Cluster) waitHealthy(d time.Duration) error {
	deadline := time.Now().Add(d)
	for i := range c.Nodes {
		if c.Running(i) {
			if err := c.waitNode(i, d); err != nil {
				return err
			}
		}
	}
	// A node's /healthz says ok as soon as it knows a meta leader; the
	// leader may not have heard from every peer yet, and then refuses to
	// place a replicated stream ("no suitable peers for placement").
	var last error
	for time.Now().Before(deadline) {
		if last = c.metaCurrent(); last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("natstest: meta group not current after %v: %v", d, last)
}

// metaCurrent asks every running node's /jsz for the meta group, and
// returns nil when the leader counts every other running node current.
func (c *Cluster) metaCurrent() error {
	for i, n := range c.Nodes {
		if !c.Running(i) {
			continue
		}
		var jsz struct {
			Meta struct {
				Leader   string `json:"leader"`
				Replicas []struct {
					Name    string `json:"name"`
					Current bool   `json:"current"`
					Offline bool   `json:"offline"`
				} `json:"replicas"`
			} `json:"meta_cluster"`
		}
		if err := n.getJSON("/jsz", &jsz); err != nil {
			return err
		}
		if jsz.Meta.Leader != n.Name {
			continue
		}
		current := map[string]bool{}
		for _, r := range jsz.Meta.Replicas {
			current[r.Name] = r.Current && !r.Offline
		}
		for j, o := range c.Nodes {
			if j != i && c.Running(j) && !current[o.Name] {
				return fmt.Errorf("meta leader %s does not count %s current", n.Name, o.Name)
			}
		}
		return nil
	}
	return errors.New("no running node is the meta leader")
}

func (c *Cluster) waitNode(i int, d time.Duration) error {
	n := c.Nodes[i]
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-n.exited:
			raw, _ := os.ReadFile(n.log)
			return fmt.Errorf("nats-server %s exited:\n%s", n.Name, tail(raw))
		default:
		}
		if last = n.healthy(); last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	var logs strings.Builder
	for _, o := range c.Nodes {
		raw, _ := os.ReadFile(o.log)
		fmt.Fprintf(&logs, "--- %s (client %d, cluster %d, http %d, mqtt %d, leaf %d):\n%s\n", o.Name, o.ClientPort, o.ClusterPort,
			o.HTTPPort, o.MQTTPort, o.LeafPort, tail(withoutHealthchecks(raw)))
	}
	return fmt.Errorf("nats-server %s not healthy after %v: %v\n%s", n.Name, d, last, logs.String())
}

// getJSON reads the node's monitoring endpoint path into v.
func (n *Node) getJSON(path string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", n.HTTPPort, path), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return json.NewDecoder(res.Body).Decode(v)
}

// healthy asks the node's /healthz.
func (n *Node) healthy() error {
	var h struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if err := n.getJSON("/healthz", &h); err != nil {
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
	scheme := "nats-leaf"
	if c.opts.LeafCert != "" {
		scheme = "tls"
	}
	for _, n := range c.Nodes {
		out = append(out, fmt.Sprintf("%s://127.0.0.1:%d", scheme, n.LeafPort))
	}
	return out
}

// Monitor is node i's monitoring endpoint (/healthz, /jsz, /leafz, …).
func (c *Cluster) Monitor(i int) string {
	return fmt.Sprintf("http://127.0.0.1:%d", c.Nodes[i].HTTPPort)
}

// freePort is a loopback port that was free a moment ago.
//
// It is taken below the kernel's range of temporary ports (32768 and up
// on Linux): a node killed and restarted must find its ports free again,
// and a port from that range may meanwhile be handed to any outgoing
// connection on the machine.
func freePort() (int, error) {
	for range 1000 {
		p := 20000 + mrand.IntN(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		l.Close()
		return p, nil
	}
	return 0, errors.New("natstest: no free port between 20000 and 32000")
}
