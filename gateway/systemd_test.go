package gateway

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// notifySocket listens where systemd would, and returns the datagrams.
func notifySocket(t *testing.T) <-chan string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	out := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(out)
				return
			}
			out <- string(buf[:n])
		}
	}()
	return out
}

func nextNotify(t *testing.T, ch <-chan string, within time.Duration) (string, bool) {
	t.Helper()
	select {
	case m, ok := <-ch:
		return m, ok
	case <-time.After(within):
		return "", false
	}
}

// TestSystemdNotify: READY=1 with a status line once the gateway serves,
// WATCHDOG=1 while the store's writer answers and none once it does not,
// and STOPPING=1 at shutdown.
func TestSystemdNotify(t *testing.T) {
	msgs := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "200000") // WatchdogSec=200ms: ping every 100 ms
	g := startDemo(t, floorgate.SystemClock{})
	n := startNotifier(g)
	first, ok := nextNotify(t, msgs, 5*time.Second)
	if !ok || !strings.HasPrefix(first, "READY=1\nSTATUS=0 PDAs connected, 40 tasks waiting, outbox ") {
		t.Fatalf("first notification %q", first)
	}
	for i := range 3 {
		if m, ok := nextNotify(t, msgs, 5*time.Second); !ok || m != "WATCHDOG=1" {
			t.Fatalf("watchdog ping %d: %q", i, m)
		}
	}
	// The store's writer stops answering: no more pings, so systemd
	// would restart the gateway.
	g.DB.Close()
	for late := 0; ; late++ {
		m, ok := nextNotify(t, msgs, time.Second)
		if !ok {
			break // a second without a ping: more than the 200 ms the unit allows
		}
		if m != "WATCHDOG=1" || late > 1 {
			t.Fatalf("after the store stopped: %q (ping %d)", m, late)
		}
	}
	n.stopping()
	if m, ok := nextNotify(t, msgs, 5*time.Second); !ok || m != "STOPPING=1" {
		t.Fatalf("at shutdown: %q", m)
	}
}
