package web_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/ws/wsclient"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
)

// The security suite: what a stranger on the warehouse Wi-Fi, or a picker
// poking at the gateway, tries — each must be refused, and the floor must go
// on working. The gateway is run as a real site runs it: no --demo, no
// self-enrolment, TLS with its own certificate (which the attacker's tools
// are given, so that what is tested is the gateway behind it).

func wsClosed(t *testing.T, err error, code int) {
	t.Helper()
	var ce *wsclient.CloseError
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("got %v, want the connection closed with %d", err, code)
	}
}

func TestSecurityDeviceTokens(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := startPairingMain(t, floorgate.SystemClock{})
	url := gatewaytest.WSURL(m)
	dialer := websocket.Dialer{TLSClientConfig: gatewaytest.Pinned(t, m)}
	dial := func(device, token string) (*wsclient.Client, floorgate.Welcome, error) {
		return wsclient.DialTLS(ctx, url, device, token, "TC21", gatewaytest.Pinned(t, m))
	}
	const tokA, tokB = "token-of-pda-a-0123456789abcdef0123", "token-of-pda-b-0123456789abcdef0123"
	if err := m.DB.EnrolDevice(ctx, "pda-a", "TC21", tokA); err != nil {
		t.Fatal(err)
	}
	if err := m.DB.EnrolDevice(ctx, "pda-b", "TC21", tokB); err != nil {
		t.Fatal(err)
	}

	t.Run("scan without a device token", func(t *testing.T) {
		_, _, err := dial("pda-a", "")
		wsClosed(t, err, 4400) // a hello without a token is not a hello
		// Nor may anything be sent before the hello.
		c, _, err := dialer.DialContext(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"scan","scan_id":"x1","data":"A-01-01-1"}`))
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				if !websocket.IsCloseError(err, 4400) {
					t.Fatalf("a scan before hello: %v, want close 4400", err)
				}
				break
			}
		}
	})
	t.Run("an unknown device", func(t *testing.T) {
		_, _, err := wsclient.DialTLS(ctx, url, "pda-stranger", "any-token-at-all-0123456789abcdef", "laptop", gatewaytest.Pinned(t, m))
		wsClosed(t, err, 4401)
		if len(m.DB.Devices()) != 2 {
			t.Fatal("an unknown device enrolled itself")
		}
	})
	t.Run("a forged token", func(t *testing.T) {
		_, _, err := dial("pda-a", tokA+"x")
		wsClosed(t, err, 4401)
	})
	t.Run("a token replayed by another device", func(t *testing.T) {
		_, _, err := dial("pda-b", tokA)
		wsClosed(t, err, 4401)
	})
	t.Run("a revoked token", func(t *testing.T) {
		c, _, err := dial("pda-a", tokA)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := m.DB.SetDeviceDisabled(ctx, "pda-a", true); err != nil {
			t.Fatal(err)
		}
		select {
		case <-c.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the disabled device's connection stayed open")
		}
		_, _, err = dial("pda-a", tokA)
		wsClosed(t, err, 4401)
		// Paired again: a new token; the old one stays dead.
		if err := m.DB.EnrolDevice(ctx, "pda-a", "TC21", "the-new-token-of-pda-a-0123456789abcdef"); err != nil {
			t.Fatal(err)
		}
		_, _, err = dial("pda-a", tokA)
		wsClosed(t, err, 4401)
	})
	t.Run("PIN brute force over the PDA protocol", func(t *testing.T) {
		c, _, err := dial("pda-b", tokB)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := range 5 {
			v, err := c.Login(ctx, fmt.Sprint("l", i), "B1003", fmt.Sprintf("%04d", i))
			if err != nil || v.Code != floorgate.CodeBadLogin {
				t.Fatalf("wrong PIN %d: %v %s", i, err, v.Code)
			}
		}
		if v, err := c.Login(ctx, "l9", "B1003", gateway.DemoPIN); err != nil || v.Code != floorgate.CodeLoginLocked {
			t.Fatalf("the right PIN after five wrong ones: %v %s, want login_locked", err, v.Code)
		}
	})
}

func TestSecurityStatusPage(t *testing.T) {
	m := startPairingMain(t, floorgate.SystemClock{})
	t.Run("a picker calling an admin action", func(t *testing.T) {
		c := newWebClient(t, m)
		// Refused as a wrong PIN is: the page tells nobody whose badge is
		// whose.
		if r, _ := c.signIn("B1001", gateway.DemoPIN); r.status != http.StatusUnauthorized {
			t.Fatalf("a picker signing in: %d", r.status)
		}
		if r := c.do(http.MethodPost, "/api/v1/devices/enrol", nil, nil); r.status != http.StatusUnauthorized {
			t.Fatalf("enrol without a session: %d", r.status)
		}
	})
	t.Run("a change without its CSRF token", func(t *testing.T) {
		c := newWebClient(t, m)
		if r, _ := c.signIn(gateway.DemoAdminBadge, gateway.DemoPIN); r.status != http.StatusOK {
			t.Fatalf("admin sign-in: %d", r.status)
		}
		if r := c.do(http.MethodPost, "/api/v1/devices/enrol", nil, nil); r.status != http.StatusForbidden {
			t.Fatalf("enrol without CSRF: %d", r.status)
		}
		if log := c.audit(); len(log) != 0 {
			t.Fatalf("a refused change was audited: %+v", log)
		}
	})
	t.Run("PIN brute force on the status page", func(t *testing.T) {
		c := newWebClient(t, m)
		for i := range 5 {
			if r, _ := c.signIn(gateway.DemoSupervisorBadge, fmt.Sprintf("%04d", i)); r.status != http.StatusUnauthorized {
				t.Fatalf("wrong PIN %d: %d", i, r.status)
			}
		}
		if r, _ := c.signIn(gateway.DemoSupervisorBadge, gateway.DemoPIN); r.status != http.StatusTooManyRequests {
			t.Fatalf("the right PIN after five wrong ones: %d, want 429", r.status)
		}
	})
	t.Run("path traversal", func(t *testing.T) {
		for _, path := range []string{"/pda/../../../../etc/passwd", "/pda/..%2f..%2f..%2f..%2fetc%2fpasswd",
			"/ui/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/pda/....//....//etc/passwd", "/ui/..\\..\\go.mod"} {
			status, body := rawGet(t, m, path)
			if status == http.StatusOK || strings.Contains(body, "root:") || strings.Contains(body, "module ") {
				t.Errorf("GET %s: %d %q", path, status, body[:min(len(body), 80)])
			}
		}
		if status, body := rawGet(t, m, "/pda/"); status != http.StatusOK || !strings.Contains(body, "<html") {
			t.Errorf("the PDA app itself: %d", status)
		}
	})
	t.Run("no credentials, no API, from this machine too", func(t *testing.T) {
		// Nobody is trusted for where a request comes from: a request over
		// TCP from loopback is a stranger's unless it carries a session or
		// an API token. The command line uses the local socket.
		anon := newWebClient(t, m)
		reads := []string{"/api/v1/status", "/api/v1/printjobs", "/api/v1/printers", "/api/v1/deadletters", "/api/v1/kpi",
			"/api/v1/scanners", "/api/v1/barcodes/lookup?data=x", "/api/v1/backup", "/metrics"}
		for _, path := range reads {
			if r := anon.do(http.MethodGet, path, nil, nil); r.status != http.StatusUnauthorized {
				t.Errorf("GET %s from loopback without credentials: %s", path, r)
			}
		}
		changes := []string{"/api/v1/tasks", "/api/v1/tasks/T000001/cancel", "/api/v1/deadletters/1/retry", "/api/v1/printjobs/x/reprint"}
		for _, path := range changes {
			if r := anon.do(http.MethodPost, path, map[string]string{"reason": "x"}, nil); r.status != http.StatusUnauthorized {
				t.Errorf("POST %s from loopback without credentials: %s", path, r)
			}
		}
		if tk, _ := m.DB.Task("T000001"); tk == nil || tk.Status == floorgate.TaskCancelled {
			t.Errorf("the task was cancelled by a stranger: %+v", tk)
		}
		// The socket is for the gateway's user and group alone.
		if fi, err := os.Stat(m.Config.SocketPath()); err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != gateway.SocketMode {
			t.Errorf("local socket %s: %v %v, want a socket of mode %o", m.Config.SocketPath(), fi, err, gateway.SocketMode)
		}
		// The same reads over the local socket: its file mode decides who
		// may connect, and whoever may is the site's administrator.
		for _, path := range reads {
			if path == "/api/v1/backup" || path == "/metrics" {
				continue // not JSON; TestBackupUnderScanLoad and the chaos tests read them
			}
			var v any
			if err := gatewaytest.Local(m).Get(context.Background(), path, &v); err != nil {
				t.Errorf("GET %s over the local socket: %v", path, err)
			}
		}
	})
}

// rawGet sends path exactly as written (no client-side cleaning).
func rawGet(t *testing.T, m *gateway.Gateway, path string) (int, string) {
	t.Helper()
	c := rawDial(t, m)
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, m.Addr())
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b)
}

// rawDial opens a connection to m's listener, speaking TLS when m does,
// for requests written by hand.
func rawDial(t *testing.T, m *gateway.Gateway) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	if tc := gatewaytest.Pinned(t, m); tc != nil {
		c, err = tls.Dial("tcp", m.Addr(), tc)
	} else {
		c, err = net.Dial("tcp", m.Addr())
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSecurityHostileInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := gateway.DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	// A short header timeout, so the slow client is cut off in a test's time.
	m := gatewaytest.Start(t, &gateway.Gateway{Config: cfg, Clock: floorgate.SystemClock{}, HeaderTimeout: 500 * time.Millisecond})
	url := gatewaytest.WSURL(m)
	const tok = "token-of-pda-h-0123456789abcdef0123"
	if err := m.DB.EnrolDevice(ctx, "pda-h", "TC21", tok); err != nil {
		t.Fatal(err)
	}
	// stillServes: after each attack, a PDA from another address works.
	stillServes := func(t *testing.T) {
		t.Helper()
		d := websocket.Dialer{NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}).DialContext,
			TLSClientConfig: gatewaytest.Pinned(t, m)}
		c, _, err := d.DialContext(ctx, url, nil)
		if err != nil {
			t.Fatalf("the gateway no longer serves other devices: %v", err)
		}
		defer c.Close()
		c.WriteJSON(map[string]any{"type": "hello", "device": "pda-h", "token": tok, "model": "TC21", "protocol": 1})
		var msg struct{ Type string }
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := c.ReadJSON(&msg); err != nil || msg.Type != "welcome" {
			t.Fatalf("hello after the attack: %v %+v", err, msg)
		}
	}
	dialHello := func(t *testing.T) *websocket.Conn {
		t.Helper()
		c, _, err := (&websocket.Dialer{TLSClientConfig: gatewaytest.Pinned(t, m)}).DialContext(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.WriteJSON(map[string]any{"type": "hello", "device": "pda-h", "token": tok, "model": "TC21", "protocol": 1})
		var msg struct{ Type string }
		c.ReadJSON(&msg)
		if msg.Type != "welcome" {
			t.Fatalf("hello: %+v", msg)
		}
		return c
	}
	readUntilClosed := func(t *testing.T, c *websocket.Conn) error {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(15 * time.Second))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return err
			}
		}
	}

	t.Run("an oversized frame", func(t *testing.T) {
		c := dialHello(t)
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"scan","scan_id":"big","data":"`+strings.Repeat("A", 1<<20)+`"}`))
		if err := readUntilClosed(t, c); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
			t.Fatalf("an oversized frame: %v, want close 1009", err)
		}
		stillServes(t)
	})
	t.Run("malformed JSON", func(t *testing.T) {
		c := dialHello(t)
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"scan","scan_id":`))
		var msg struct{ Type, Code string }
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := c.ReadJSON(&msg); err != nil || msg.Type != "error" || msg.Code != floorgate.EINVALID {
			t.Fatalf("malformed JSON: %v %+v", err, msg)
		}
	})
	t.Run("a flood from one device", func(t *testing.T) {
		c := dialHello(t)
		defer c.Close()
		go func() {
			for i := range 2000 {
				if c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"type":"scan","scan_id":"f%d","data":"FLOOD"}`, i))) != nil {
					return
				}
			}
		}()
		if err := readUntilClosed(t, c); !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
			t.Fatalf("a flood: %v, want close 1008", err)
		}
		stillServes(t)
	})
	t.Run("1000 connections from one address", func(t *testing.T) {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for range 1000 {
			c, err := net.Dial("tcp", m.Addr())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		// Beyond the limit they are closed by the gateway at once.
		closed := 0
		buf := make([]byte, 1)
		for _, c := range conns {
			c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := c.Read(buf); errors.Is(err, io.EOF) {
				closed++
			}
		}
		if want := 1000 - m.Config.Devices.MaxConnectionsPerAddress; closed < want {
			t.Fatalf("%d of 1000 connections closed, want at least %d", closed, want)
		}
		stillServes(t)
	})
	t.Run("slowloris", func(t *testing.T) {
		c := rawDial(t, m)
		defer c.Close()
		fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n") // and never finishes the headers
		c.SetReadDeadline(time.Now().Add(m.HeaderTimeout + 10*time.Second))
		start := time.Now()
		_, err := io.ReadAll(c)
		if err != nil || time.Since(start) < m.HeaderTimeout/2 {
			t.Fatalf("a request that never ends its headers: %v after %v, want the gateway to hang up after %v", err, time.Since(start), m.HeaderTimeout)
		}
		stillServes(t)
	})
}
