package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
)

// TestLoadgenDrivesTheGateway: bench peer's load generator, which knows
// only the documented protocol, logs its pickers in over TLS with the
// certificate pinned and picks whole tasks on a gateway loaded with the
// same commands bench peer publishes, every scan accepted.
func TestLoadgenDrivesTheGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Not the demo site: only what the commands load.
	cfg := gateway.DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.Devices.AutoEnrol, cfg.Devices.MaxMessagesPerS = true, 1<<20
	m := gatewaytest.Start(t, &gateway.Gateway{Config: cfg, Clock: floorgate.SystemClock{}})
	const pdas = 3
	cmds, _, err := peerCommands(pdas, 3*pdas)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		res, err := m.DB.ApplyCommand(ctx, []byte(c))
		if err != nil || res.Reason != "" {
			t.Fatalf("command %.60s…: %+v %v", c, res, err)
		}
	}
	// Two tasks and the next one's first location: across a task's end.
	const scans = 2*2*peerLines + 1
	var said []string
	res, err := runLoadgen(ctx, loadgenConfig{url: "wss://" + m.Addr() + "/ws/v1", fingerprint: m.Fingerprint, pdas: pdas,
		badgePrefix: "PEER", devicePrefix: "lg-", pin: peerPIN, scans: scans}, func(s string) { said = append(said, s) }, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	if res.verdicts != pdas*scans || res.starved != 0 {
		t.Errorf("%d verdicts (want %d), %d PDAs starved", res.verdicts, pdas*scans, res.starved)
	}
	if len(res.acked) != pdas*2*peerLines {
		t.Errorf("%d item scans acknowledged, want %d", len(res.acked), pdas*2*peerLines)
	}
	if strings.Join(said, ",") != "LOADGEN ready,LOADGEN measuring" {
		t.Errorf("said %q", said)
	}
	// A wrong fingerprint is refused before any hello.
	bad := strings.Repeat("00:", 31) + "00"
	if _, err := runLoadgen(ctx, loadgenConfig{url: "wss://" + m.Addr() + "/ws/v1", fingerprint: bad, pdas: 1,
		badgePrefix: "PEER", devicePrefix: "lg-bad-", pin: peerPIN, scans: 1}, func(string) {}, t.Output()); err == nil ||
		!strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("a wrong pin: %v", err)
	}
}

// TestPeerCommandsItemsAreGTINs: the items' barcodes end in their GS1 check
// digit, as master.put requires.
func TestPeerCommandsItemsAreGTINs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{{"690123456789", "6901234567892"}, {"692000001002", "6920000010028"}} {
		if got := gtin13(tc.in); got != tc.want {
			t.Errorf("gtin13(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
