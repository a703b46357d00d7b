package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/device/ws/wsclient"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/sync/mqtttest"
	"github.com/floorgate/floorgate/web"
)

// The locked-door suite: floorgate tried from outside as an attacker and as
// a new site admin would, against the binary started as the .deb starts it
// — the sample configuration (TLS on), no --demo — with a real embedded
// broker and, where a check needs another machine on the warehouse LAN, a
// network namespace joined by a veth pair.

// site is a gateway started as a site runs it.
type site struct {
	*daemontest.Daemon
	bin, state string
	broker     string         // the embedded broker's URL
	tcp        *client.Client // over the network, pinned, with no credentials
	erpUser    string
	erpPass    string
}

// sampleConfig is systemd/floorgate.yaml, the file the .deb installs, with
// the state directory, the embedded broker's port and its users set.
func sampleConfig(t *testing.T, state, brokerAddr, users string) string {
	t.Helper()
	raw, err := os.ReadFile("../../systemd/floorgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	if users != "" {
		users = "    users:\n" + users
	} else {
		users = "    users: []"
	}
	for old, new := range map[string]string{
		"state_dir: /var/lib/floorgate":               "state_dir: " + state,
		"embedded_listen: 127.0.0.1:1883":             "embedded_listen: " + brokerAddr,
		"local_socket: /run/floorgate/floorgate.sock": "local_socket: " + filepath.Join(state, "floorgate.sock"),
		"    users: []":                               users,
	} {
		if !strings.Contains(s, old) {
			t.Fatalf("the sample configuration no longer has %q", old)
		}
		s = strings.Replace(s, old, new, 1)
	}
	return s
}

// startSite runs the binary on the sample configuration, listening on every
// address (the LAN's too), with an ERP user on the embedded broker.
func startSite(t *testing.T) *site {
	t.Helper()
	bin, err := daemontest.Binary()
	if err != nil {
		t.Fatal(err)
	}
	// A state directory others may enter, so that only the socket's own
	// mode keeps them out.
	state, err := os.MkdirTemp("", "fg-site-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(state) })
	os.Chmod(state, 0o755)
	brokerAddr := freeAddr(t)
	s := &site{bin: bin, state: state, broker: "tcp://" + brokerAddr, erpUser: "erp-sz", erpPass: "erp-secret-4711"}
	users := fmt.Sprintf("      - {name: %s, password: %q, role: erp}\n", s.erpUser, s.erpPass)
	s.Daemon = daemontest.Spawn(t, bin, state, sampleConfig(t, state, brokerAddr, users), nil, "--listen", "0.0.0.0:0")
	if s.Fingerprint == "" {
		t.Fatal("the gateway printed no certificate fingerprint: is TLS off?")
	}
	s.tcp = s.remote(t)
	return s
}

// remote is a new client of the site over the network, trusting its
// certificate by fingerprint.
func (s *site) remote(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.Remote("https://"+s.Addr, client.Options{Fingerprint: s.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cli runs the floorgate binary with stdin and returns its exit code and
// output.
func (s *site) cli(t *testing.T, stdin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// request sends a request over the pinned TLS connection.
func (s *site) request(t *testing.T, method, path, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	resp, err := s.tcp.Raw(context.Background(), method, path, rd, h)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

// signIn signs in on the status page and returns the cookie and CSRF token.
func (s *site) signIn(t *testing.T, badge, pin string) (cookie, csrf string, status int) {
	t.Helper()
	resp, err := s.remote(t).Raw(context.Background(), "POST", "/api/v1/session", strings.NewReader(`{"badge":"`+badge+`","pin":"`+pin+`"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ CSRF string }
	json.NewDecoder(resp.Body).Decode(&body)
	for _, c := range resp.Cookies() {
		cookie = c.Name + "=" + c.Value
	}
	return cookie, body.CSRF, resp.StatusCode
}

// auditLen is how many entries the audit log holds.
func (s *site) auditLen(t *testing.T) int {
	t.Helper()
	var log []store.AuditEntry
	if err := s.Local().Get(context.Background(), "/api/v1/audit?limit=10000", &log); err != nil {
		t.Fatal(err)
	}
	return len(log)
}

// concrete fills a route's path parameters.
func concrete(path string) string {
	r := strings.NewReplacer("{id}", "T-1", "{seq}", "1", "{code}", "123456")
	return r.Replace(path)
}

func TestLockedDoor(t *testing.T) {
	s := startSite(t)
	ctx := context.Background()

	// Finding 7: a real site gets its first admin from the command line,
	// before any ERP is connected.
	t.Run("first admin from the command line", func(t *testing.T) {
		if _, _, status := s.signIn(t, "B9001", "4321"); status != http.StatusUnauthorized {
			t.Fatalf("a site without operators let someone sign in: %d", status)
		}
		code, out := s.cli(t, "4321\n", "operators", "add", "--socket", s.Socket, "--id", "admin1", "--name", "Site admin", "--badge", "B9001", "--role", "admin")
		if code != 0 {
			t.Fatalf("operators add: exit %d\n%s", code, out)
		}
		if strings.Contains(out, "4321\n") {
			t.Fatalf("the PIN was echoed: %s", out)
		}
		if _, _, status := s.signIn(t, "B9001", "4321"); status != http.StatusOK {
			t.Fatalf("the first admin cannot sign in: %d", status)
		}
		master := filepath.Join(t.TempDir(), "master.json")
		os.WriteFile(master, []byte(`{"locations":[{"code":"A-01","barcode":"LOC-A-01"}],
			"items":[{"sku":"S-1","name":"Cable","barcodes":["6901234567892"]}],
			"operators":[{"id":"p1","name":"Picker","badge":"B1001","pin":"2468","role":"picker"}]}`), 0o600)
		if code, out := s.cli(t, "", "master", "import", "--socket", s.Socket, master); code != 0 || !strings.Contains(out, "imported 1 locations, 1 items, 1 operators") {
			t.Fatalf("master import: %d %s", code, out)
		}
		bad := filepath.Join(t.TempDir(), "bad.json")
		os.WriteFile(bad, []byte(`{"locations":[{"code":"A-02","barcode":"LOC-A-02"}],"items":[{"sku":"S-2","name":"X","barcodes":["LOC-A-01"]}]}`), 0o600)
		if code, out := s.cli(t, "", "master", "import", "--socket", s.Socket, bad); code != 1 || !strings.Contains(out, "items[0]") {
			t.Fatalf("a bad file: %d %s", code, out)
		}
		var ops []struct{ ID string }
		s.Local().Get(ctx, "/api/v1/operators", &ops)
		if len(ops) != 2 {
			t.Fatalf("operators %+v", ops)
		}
		if code, _ := s.cli(t, "", "barcode", "explain", "--socket", s.Socket, "LOC-A-02"); code != 0 {
			t.Fatal("barcode explain")
		}
		var m struct{ Kind string }
		s.Local().Get(ctx, "/api/v1/barcodes/lookup?data=LOC-A-02", &m)
		if m.Kind != "none" {
			t.Fatalf("the refused file's location was stored: %+v", m)
		}
	})

	// Finding 2: loopback is no credential, and a web page open on the
	// gateway box cannot reach in.
	t.Run("every change from loopback without a session", func(t *testing.T) {
		before := s.auditLen(t)
		for _, rt := range web.New(web.Options{}).Routes() {
			if rt.Access != web.Admin {
				continue
			}
			for _, h := range []map[string]string{
				{},
				{"Content-Type": "text/plain", "Origin": "https://evil.example"},
				{"Content-Type": "application/json", "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
			} {
				status, _, body := s.request(t, rt.Method(), concrete(rt.Path()), `{"reason":"x","name":"x","scope":"admin","pin":"1111"}`, h)
				if status != http.StatusUnauthorized && status != http.StatusForbidden {
					t.Errorf("%s %s from loopback %v: %d %.100s", rt.Method(), concrete(rt.Path()), h, status, body)
				}
			}
		}
		// Even a signed-in admin's own session is refused for a text/plain
		// body or a request from another origin: the shapes a hostile page
		// in the admin's browser would send.
		cookie, csrf, status := s.signIn(t, "B9001", "4321")
		if status != http.StatusOK {
			t.Fatalf("admin sign-in: %d", status)
		}
		for name, h := range map[string]map[string]string{
			"text/plain":   {"Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "text/plain"},
			"other origin": {"Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json", "Origin": "https://evil.example"},
			"no csrf":      {"Cookie": cookie, "Content-Type": "application/json"},
		} {
			if status, _, body := s.request(t, "POST", "/api/v1/tokens", `{"name":"evil","scope":"admin"}`, h); status < 400 {
				t.Errorf("the admin's session, %s: %d %s", name, status, body)
			}
		}
		if after := s.auditLen(t); after != before {
			t.Fatalf("refused requests changed the audit log: %d → %d entries", before, after)
		}
		h := map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"}
		if status, _, body := s.request(t, "POST", "/api/v1/operators/p1/disable", "", h); status != http.StatusNoContent {
			t.Fatalf("the admin's own request: %d %s", status, body)
		}
		s.request(t, "POST", "/api/v1/operators/p1/enable", "", h)
	})

	// Finding 6: the online backup works on the default install (TLS on),
	// and only for an administrator.
	t.Run("backup", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "b.db")
		if code, msg := s.cli(t, "", "backup", "--socket", s.Socket, out); code != 0 || !strings.Contains(msg, "consistency check: ok") {
			t.Fatalf("backup on the default install: %d %s", code, msg)
		}
		if status, _, body := s.request(t, "GET", "/api/v1/backup", "", nil); status != http.StatusUnauthorized || strings.Contains(body, "pbkdf2") {
			t.Fatalf("backup over TCP without credentials: %d", status)
		}
		var tok struct{ Token string }
		if err := s.Local().Post(ctx, "/api/v1/tokens", map[string]string{"name": "monitor", "scope": "read"}, &tok); err != nil {
			t.Fatal(err)
		}
		if status, _, _ := s.request(t, "GET", "/api/v1/backup", "", map[string]string{"Authorization": "Bearer " + tok.Token}); status != http.StatusForbidden {
			t.Fatalf("backup with a read token: %d", status)
		}
		if status, _, _ := s.request(t, "GET", "/api/v1/status", "", map[string]string{"Authorization": "Bearer " + tok.Token}); status != http.StatusOK {
			t.Fatalf("status with a read token: %d", status)
		}
	})

	// Finding 5: security headers on pages and API answers.
	t.Run("response headers", func(t *testing.T) {
		for _, path := range []string{"/", "/pda/", "/api/v1/status", "/healthz"} {
			_, h, _ := s.request(t, "GET", path, "", nil)
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") ||
				h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" || !strings.HasPrefix(h.Get("Strict-Transport-Security"), "max-age=") {
				t.Errorf("GET %s: headers %v", path, h)
			}
		}
	})

	// Finding 3: the status page cannot lock a picker out of the PDAs.
	t.Run("status-page lock-out of a picker", func(t *testing.T) {
		for range 8 {
			if _, _, status := s.signIn(t, "B1001", "0000"); status == http.StatusOK {
				t.Fatal("a picker signed in to the status page")
			}
		}
		var pair struct{ Code string }
		if err := s.Local().Post(ctx, "/api/v1/devices/enrol", nil, &pair); err != nil {
			t.Fatal(err)
		}
		status, _, body := s.request(t, "POST", "/api/v1/pair", `{"code":"`+pair.Code+`","device":"pda-7","model":"TC21"}`, map[string]string{"Content-Type": "application/json"})
		if status != http.StatusOK {
			t.Fatalf("pair: %d %s", status, body)
		}
		var enrolled struct{ Token string }
		json.Unmarshal([]byte(body), &enrolled)
		tc, _ := client.PinnedTLS(s.Fingerprint)
		c, _, err := wsclient.DialTLS(ctx, "wss://"+s.Addr+"/ws/v1", "pda-7", enrolled.Token, "TC21", tc)
		if err != nil {
			t.Fatalf("the paired PDA: %v", err)
		}
		defer c.Close()
		v, err := c.Login(ctx, "login-1", "B1001", "2468")
		if err != nil || v.Code != floorgate.CodeLoggedIn {
			t.Fatalf("the picker after eight wrong status-page PINs: %v %v", v.Code, err)
		}
	})

	// Finding 3, the memory: 10,000 unique badges failing leave the
	// gateway's memory where it was. From one address the lock-out stops
	// counting after five, so this is the daemon-level smoke test; the
	// bound itself (thousands of addresses and badges) is proven on the
	// store's login guard, TestLoginGuardIsCapped.
	t.Run("10,000 unique failed badges", func(t *testing.T) {
		before := rssKB(t, s.Cmd.Process.Pid)
		for i := range 10_000 {
			status, _, _ := s.request(t, "POST", "/api/v1/session", fmt.Sprintf(`{"badge":"%064d","pin":"0000"}`, i), map[string]string{"Content-Type": "application/json"})
			if status != http.StatusUnauthorized && status != http.StatusTooManyRequests {
				t.Fatalf("badge %d: %d", i, status)
			}
		}
		after := rssKB(t, s.Cmd.Process.Pid)
		t.Logf("resident memory %d kB before, %d kB after 10,000 failed badges", before, after)
		if after-before > 16<<10 {
			t.Fatalf("resident memory grew by %d kB", after-before)
		}
	})

	// Finding 1: the embedded broker lets nobody in without a password,
	// and each user only onto its own site's topics.
	t.Run("broker", func(t *testing.T) {
		for _, c := range []struct{ who, user, pass string }{{"anonymous", "", ""}, {"wrong password", s.erpUser, "nope"}, {"unknown user", "mallory", "x"}} {
			if p, err := mqtttest.Dial(s.broker, "probe-"+c.who, c.user, c.pass); err == nil {
				p.Close()
				t.Errorf("%s connected", c.who)
			}
		}
		erp, err := mqtttest.Dial(s.broker, "erp-1", s.erpUser, s.erpPass)
		if err != nil {
			t.Fatalf("the ERP user: %v", err)
		}
		defer erp.Close()
		for _, f := range []string{"#", "floorgate/v1/+/+/commands", "floorgate/v1/other/+/events", "floorgate/v1/demo/gw-1/commands"} {
			if q, _, _ := erp.Subscribe(f); q != 0x80 {
				t.Errorf("the ERP user subscribed to %s (granted %d)", f, q)
			}
		}
		q, events, err := erp.Subscribe("floorgate/v1/demo/+/events")
		if err != nil || q == 0x80 {
			t.Fatalf("the ERP user's own events: %d %v", q, err)
		}
		put := func(topic, id string) {
			cmd := `{"id":"` + id + `","type":"master.put","time":"2026-12-05T08:00:00Z","data":{"operators":[{"id":"mallory","name":"M","badge":"EVIL-` + id + `","pin":"1111","role":"admin"}]}}`
			erp.Publish(topic, []byte(cmd))
		}
		put("floorgate/v1/other/gw-1/commands", "c-other")
		put("floorgate/v1/demo/gw-1/commands", "c-own")
		deadline := time.After(20 * time.Second)
		for applied := false; !applied; {
			select {
			case m := <-events:
				if bytes.Contains(m.Payload(), []byte(`"c-own"`)) && bytes.Contains(m.Payload(), []byte("command.applied")) {
					applied = true
				}
				if bytes.Contains(m.Payload(), []byte(`"c-other"`)) {
					t.Fatal("a command to another site's topic reached this gateway")
				}
			case <-deadline:
				t.Fatal("the ERP's own command was not applied")
			}
		}
	})

	// Finding 1, the LAN: an embedded broker open to the network without
	// users and TLS does not start, and doctor says so.
	t.Run("embedded broker on the LAN", func(t *testing.T) {
		state := t.TempDir()
		conf := filepath.Join(t.TempDir(), "floorgate.yaml")
		os.WriteFile(conf, []byte(sampleConfig(t, state, "0.0.0.0:18830", "")), 0o600)
		code, out := s.cli(t, "", "run", "--config", conf, "--listen", "127.0.0.1:0")
		if code != 1 || !strings.Contains(out, "mqtt.embedded_listen: 0.0.0.0:18830 is open to the network") {
			t.Fatalf("run with the broker on the LAN: exit %d\n%s", code, out)
		}
		if _, err := os.Stat(filepath.Join(state, "floorgate.db")); err == nil {
			t.Fatal("the store was opened before the configuration was refused")
		}
		code, out = s.cli(t, "", "doctor", "--config", conf)
		if code != 1 || !strings.Contains(out, "FAIL config:") || !strings.Contains(out, "is open to the network") {
			t.Fatalf("doctor: exit %d\n%s", code, out)
		}
	})

	// The local socket is the floorgate group's: a user outside it cannot
	// even connect.
	t.Run("local socket from a user outside the group", func(t *testing.T) {
		fi, err := os.Stat(s.Socket)
		if err != nil || fi.Mode().Perm() != 0o660 || fi.Mode().Type() != os.ModeSocket {
			t.Fatalf("socket %v %v", fi, err)
		}
		if os.Geteuid() != 0 {
			t.Skip("switching to the nobody user needs root (CI runs as root)")
		}
		before := s.auditLen(t)
		cmd := exec.Command("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--",
			s.bin, "operators", "add", "--socket", s.Socket, "--id", "evil", "--name", "E", "--badge", "EVIL", "--role", "admin")
		cmd.Stdin = strings.NewReader("1111\n")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "permission denied") {
			t.Fatalf("as nobody: %v\n%s", err, out)
		}
		if after := s.auditLen(t); after != before {
			t.Fatal("the refused user changed something")
		}
	})

	// The LAN: another machine on the warehouse network.
	t.Run("from another machine on the LAN", func(t *testing.T) {
		lan := newLAN(t, 48)
		_, port, _ := net.SplitHostPort(s.Addr)
		base := "https://" + net.JoinHostPort(lan.gateway, port)
		_, bport, _ := net.SplitHostPort(strings.TrimPrefix(s.broker, "tcp://"))

		// The embedded broker listens on loopback only.
		r := lan.run(t, lanRequest{Op: "dial", Addr: net.JoinHostPort(lan.gateway, bport), From: lan.clients[:1]})
		if r.Err == "" {
			t.Fatalf("the embedded broker answered the LAN on %s", bport)
		}
		// Reads need credentials from the LAN as from loopback.
		r = lan.run(t, lanRequest{Op: "get", Base: base, Path: "/api/v1/status", Fingerprint: s.Fingerprint, From: lan.clients[:1]})
		if len(r.Statuses) != 1 || r.Statuses[0] != http.StatusUnauthorized {
			t.Fatalf("status from the LAN without credentials: %+v", r)
		}
		// Pairing codes guessed from 40 addresses, 4 each, then the real
		// code: it no longer pairs.
		var pair struct{ Code string }
		if err := s.Local().Post(ctx, "/api/v1/devices/enrol", nil, &pair); err != nil {
			t.Fatal(err)
		}
		r = lan.run(t, lanRequest{Op: "pair-guess", Base: base, Path: "/api/v1/pair", Fingerprint: s.Fingerprint, From: lan.clients[:40], Code: pair.Code, Tries: 4})
		if len(r.Statuses) != 1 || r.Statuses[0] == http.StatusOK {
			t.Fatalf("the real code after 160 guesses from 40 addresses: %+v", r)
		}
		// Sign-in time does not tell a known badge from an unknown one.
		r = lan.run(t, lanRequest{Op: "signin-timing", Base: base, Path: "/api/v1/session", Fingerprint: s.Fingerprint, From: lan.clients[:40],
			Badge: "B9001", Unknown: "NOBODY-42"})
		ratio := r.KnownMS / r.UnknownMS
		t.Logf("sign-in median: known badge %.1f ms, unknown %.1f ms (ratio %.2f)", r.KnownMS, r.UnknownMS, ratio)
		if ratio > 2 || ratio < 0.5 {
			t.Fatalf("known %.1f ms against unknown %.1f ms: badges can be told apart by time", r.KnownMS, r.UnknownMS)
		}
	})
}

// lanRequest is what the LAN host's process does; lanReply what it saw.
type lanRequest struct {
	Op          string
	Base, Path  string // the gateway over HTTPS, and a request's path
	Addr        string // a TCP address to dial
	Fingerprint string
	From        []string
	Code        string
	Tries       int
	Badge       string
	Unknown     string
}

type lanReply struct {
	Statuses           []int
	Err                string
	KnownMS, UnknownMS float64
}

// lanChildEnv carries a lanRequest to the test binary run inside the LAN
// host's network namespace.
const lanChildEnv = "FLOORGATE_LAN_CHILD"

// lanNet is a second machine on the warehouse LAN: a network namespace
// joined to this one by a veth pair.
type lanNet struct {
	ns      string
	gateway string   // this machine's address on the LAN
	clients []string // the LAN host's addresses
}

// newLAN makes a LAN host with n addresses.
func newLAN(t *testing.T, n int) *lanNet {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (CI runs as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatal("ip (iproute2) is not installed: run make test-deps")
	}
	id := os.Getpid() % 10000
	l := &lanNet{ns: fmt.Sprintf("fgt%d", id)}
	host, peer := fmt.Sprintf("fgh%d", id), fmt.Sprintf("fgp%d", id)
	subnet := fmt.Sprintf("10.231.%d", 1+id%250)
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ip("netns", "add", l.ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.ns).Run() })
	ip("link", "add", host, "type", "veth", "peer", "name", peer)
	t.Cleanup(func() { exec.Command("ip", "link", "del", host).Run() })
	ip("link", "set", peer, "netns", l.ns)
	l.gateway = subnet + ".1"
	ip("addr", "add", l.gateway+"/24", "dev", host)
	ip("link", "set", host, "up")
	for i := range n {
		a := fmt.Sprintf("%s.%d", subnet, 10+i)
		ip("netns", "exec", l.ns, "ip", "addr", "add", a+"/24", "dev", peer)
		l.clients = append(l.clients, a)
	}
	ip("netns", "exec", l.ns, "ip", "link", "set", peer, "up")
	ip("netns", "exec", l.ns, "ip", "link", "set", "lo", "up")
	return l
}

// run does req from the LAN host: this test binary, run in the namespace.
func (l *lanNet) run(t *testing.T, req lanRequest) lanReply {
	t.Helper()
	raw, _ := json.Marshal(req)
	cmd := exec.Command("ip", "netns", "exec", l.ns, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lanChildEnv+"="+string(raw))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("LAN host: %v\n%s", err, out)
	}
	var r lanReply
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("LAN host said %q: %v", out, err)
	}
	return r
}

// lanChild runs a lanRequest and prints the lanReply.
func lanChild(raw string) error {
	var req lanRequest
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		return err
	}
	ctx := context.Background()
	from := func(a string) (*client.Client, error) {
		return client.Remote(req.Base, client.Options{Fingerprint: req.Fingerprint, LocalAddr: a})
	}
	post := func(a, body string) (int, time.Duration, error) {
		c, err := from(a)
		if err != nil {
			return 0, 0, err
		}
		start := time.Now()
		resp, err := c.Raw(ctx, "POST", req.Path, strings.NewReader(body), nil)
		if err != nil {
			return 0, 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(start), nil
	}
	var rep lanReply
	switch req.Op {
	case "dial":
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(req.From[0])}, Timeout: 5 * time.Second}
		if c, err := d.Dial("tcp", req.Addr); err != nil {
			rep.Err = err.Error()
		} else {
			c.Close()
		}
	case "get":
		c, err := from(req.From[0])
		if err != nil {
			return err
		}
		resp, err := c.Raw(ctx, "GET", req.Path, nil, nil)
		if err != nil {
			return err
		}
		resp.Body.Close()
		rep.Statuses = []int{resp.StatusCode}
	case "pair-guess":
		for i, a := range req.From {
			for k := range req.Tries {
				wrong := fmt.Sprintf("%06d", (i*req.Tries+k)*7919%1000000)
				if wrong == req.Code {
					continue
				}
				if _, _, err := post(a, `{"code":"`+wrong+`","device":"lan-`+a+`","model":"x"}`); err != nil {
					return err
				}
			}
		}
		status, _, err := post(req.From[len(req.From)-1], `{"code":"`+req.Code+`","device":"lan-real","model":"x"}`)
		if err != nil {
			return err
		}
		rep.Statuses = []int{status}
	case "signin-timing":
		var known, unknown []float64
		for i, a := range req.From {
			badge := req.Badge
			if i%2 == 1 {
				badge = req.Unknown
			}
			_, took, err := post(a, `{"badge":"`+badge+`","pin":"0000"}`)
			if err != nil {
				return err
			}
			ms := float64(took.Microseconds()) / 1000
			if i%2 == 1 {
				unknown = append(unknown, ms)
			} else {
				known = append(known, ms)
			}
		}
		rep.KnownMS, rep.UnknownMS = median(known), median(unknown)
	default:
		return fmt.Errorf("unknown op %q", req.Op)
	}
	return json.NewEncoder(os.Stdout).Encode(rep)
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	if len(xs) == 0 {
		return 0
	}
	return xs[len(xs)/2]
}

// rssKB is a process's resident memory (VmRSS) in kB.
func rssKB(t *testing.T, pid int) int {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
