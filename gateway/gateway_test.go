package gateway

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// startDemo runs a demo gateway on loopback with the shipped defaults
// (self-signed TLS, the embedded broker) in a fresh state directory, on
// clock; it is closed when the test ends.
func startDemo(t *testing.T, clock floorgate.Clock, mods ...func(*Config)) *Gateway {
	t.Helper()
	cfg := DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	for _, mod := range mods {
		mod(&cfg)
	}
	g := New(cfg)
	g.Demo, g.Clock = true, clock
	if err := g.Start(context.Background()); err != nil {
		g.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// TestRetentionInTheGateway: startRetention prunes what upstream has and
// retention allows, on the gateway's clock.
func TestRetentionInTheGateway(t *testing.T) {
	clock := floorgate.NewManualClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	g := startDemo(t, clock)
	last := g.DB.LastSeq()
	// The embedded broker takes the demo's events.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ob, err := g.DB.Outbox()
		if err != nil {
			t.Fatal(err)
		}
		if ob.Depth == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox still holds %d events", ob.Depth)
		}
		runtime.Gosched()
	}
	clock.Add(time.Duration(g.Config.Store.RetentionDays+1) * 24 * time.Hour)
	g.startRetention()
	for {
		oldest, err := g.DB.OldestEvent()
		if err != nil {
			t.Fatal(err)
		}
		if oldest == last {
			break // all but the newest
		}
		if time.Now().After(deadline) {
			t.Fatalf("retention left the journal from %d to %d", oldest, last)
		}
		runtime.Gosched()
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
}
