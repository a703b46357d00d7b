// Package gatewaytest starts real gateways for tests in other packages:
// on a test's temporary state directory and free ports, closed when the
// test ends.
package gatewaytest

import (
	"context"
	"crypto/tls"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/gateway"
)

// Start starts g and closes it when the test ends.
func Start(t testing.TB, g *gateway.Gateway) *gateway.Gateway {
	t.Helper()
	if err := g.Start(context.Background()); err != nil {
		g.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// StartDemo runs a demo gateway in-process with the shipped defaults
// (a self-signed certificate, the embedded broker) on a real loopback
// listener and a real database file, on a clock the test moves. Talk to it
// as its users do: PDAs and browsers over TLS trusting its fingerprint
// (Pinned, WSURL, PageURL), the command line over its local socket
// (Local).
func StartDemo(t testing.TB, clock floorgate.Clock, mods ...func(*gateway.Config)) *gateway.Gateway {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	for _, mod := range mods {
		mod(&cfg)
	}
	return Start(t, &gateway.Gateway{Config: cfg, Demo: true, Clock: clock})
}

// Local is a client of m over its local administration socket: how the
// command line (and an admin on the gateway's machine) reaches it.
func Local(m *gateway.Gateway) *client.Client { return client.Local(m.Config.SocketPath()) }

// Pinned trusts exactly m's certificate, as a paired PDA does; nil when
// m serves plain HTTP.
func Pinned(t testing.TB, m *gateway.Gateway) *tls.Config {
	t.Helper()
	if m.Fingerprint == "" {
		return nil
	}
	tc, err := client.PinnedTLS(m.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// PageURL is where m serves its pages and API over the network.
func PageURL(m *gateway.Gateway) string { return PageURLAt(m, m.Addr()) }

// PageURLAt is m's pages reached at addr, m's own or a proxy's.
func PageURLAt(m *gateway.Gateway, addr string) string {
	if m.Fingerprint == "" {
		return "http://" + addr
	}
	return "https://" + addr
}

// WSURL is m's PDA endpoint.
func WSURL(m *gateway.Gateway) string {
	if m.Fingerprint == "" {
		return "ws://" + m.Addr() + "/ws/v1"
	}
	return "wss://" + m.Addr() + "/ws/v1"
}
