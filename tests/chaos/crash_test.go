//go:build chaos

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/sim"
)

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
	crashLosesNoAcceptedScan(t, daemontest.TLSOffConfig)
}

// crashLosesNoAcceptedScan is TestCrashLosesNoAcceptedScan on a daemon
// whose configuration has extra appended.
func crashLosesNoAcceptedScan(t *testing.T, extra string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stateDir := t.TempDir()
	d := daemontest.Start(t, stateDir, extra)
	demo := gateway.NewDemo()

	daemontest.UnitTasks(t, ctx, d, demo, "CRASH-", 60)

	const pdas = 4
	pickers := make([]*sim.Picker, pdas)
	for i := range pdas {
		p, err := sim.DialPicker(ctx, d.URL(), d.TLS, demo, fmt.Sprintf("crash-pda-%d", i), demo.Badges[i], 0.1, uint64(i+1))
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
	if err := d.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	d.Wait()
	wg.Wait()

	// Restart on the same state; every picker resends what was unanswered
	// and picks on.
	d = daemontest.Start(t, stateDir, extra)
	resent := 0
	for _, p := range pickers {
		if err := p.Reconnect(ctx, d.URL()); err != nil {
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
	if err := d.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.Wait(); err != nil {
		raw, _ := os.ReadFile(d.Logs.Name())
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
