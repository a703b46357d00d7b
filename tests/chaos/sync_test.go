//go:build chaos

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/cli"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/internal/sim"
	"github.com/floorgate/floorgate/store"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// openState opens a stopped gateway's database; it is closed when the
// test ends.
func openState(t *testing.T, stateDir, gw string) *store.DB {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.Site.Gateway = gw
	site, _ := cfg.SiteInfo()
	db, err := store.Open(filepath.Join(stateDir, "floorgate.db"), store.Options{Site: site})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// journalOf reads a stopped gateway's journal.
func journalOf(t *testing.T, stateDir, gw string) []floorgate.Event {
	t.Helper()
	db := openState(t, stateDir, gw)
	evs, err := db.Journal(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return evs
}

func startTail(t *testing.T, broker, share string, replay bool) *fgsync.Tail {
	t.Helper()
	tl := fgsync.NewTail(fgsync.TailConfig{Broker: broker, ClientID: fmt.Sprint("erp-", share, time.Now().UnixNano()),
		Share: share, Replay: replay, GapGrace: 500 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	if err := tl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); tl.Close() })
	return tl
}

// scanAway has pickers scan until n answers came back or the gateway died.
func scanAway(ctx context.Context, pickers []*sim.Picker, n int, record func(sim.Outcome)) {
	var wg sync.WaitGroup
	for _, p := range pickers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				o, err := p.Step(ctx)
				if err != nil {
					return
				}
				record(o)
			}
		}()
	}
	wg.Wait()
}

// TestFloorgateKilledMidDrain kills the gateway process while it drains to
// a real Mosquitto and checks the ERP consumer still gets every event.
func TestFloorgateKilledMidDrain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b := mqtttest.Start(t)
	tl := startTail(t, b.URL(), "", true)
	wills := watchOffline(t, b.URL(), fgsync.TopicsFor("demo", "gw-k").Status)
	stateDir := t.TempDir()
	d := daemontest.StartGateway(t, stateDir, b.URL(), "gw-k")
	demo := gateway.NewDemo()
	daemontest.UnitTasks(t, ctx, d, demo, "K-", 200)
	var pickers []*sim.Picker
	for i := range 3 {
		p, err := sim.DialPicker(ctx, d.URL(), d.TLS, demo, fmt.Sprintf("k-pda-%d", i), demo.Badges[i], 0.1, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		pickers = append(pickers, p)
	}
	var mu sync.Mutex
	ok := map[string]bool{}
	record := func(o sim.Outcome) {
		mu.Lock()
		defer mu.Unlock()
		if o.Verdict.OK {
			ok[o.ScanID] = true
		}
	}
	go func() {
		// Kill it mid-drain: pickers busy, events flowing upstream.
		poll.Eventually(t, time.Minute, func() bool {
			mu.Lock()
			n := len(ok)
			mu.Unlock()
			return n >= 300 && tl.Stats().Unique > 200
		}, func() string { return "pickers and the drain never got going" })
		d.Cmd.Process.Signal(syscall.SIGKILL)
	}()
	scanAway(ctx, pickers, 100000, record)
	d.Wait()
	// The broker tells the ERP the gateway died: its last will.
	will := waitWill(t, wills)
	if will.State != "offline" || will.Reason != "connection lost" || will.Gateway != "gw-k" {
		t.Fatalf("last will %+v", will)
	}

	d = daemontest.StartGateway(t, stateDir, b.URL(), "gw-k")
	for _, p := range pickers {
		if err := p.Reconnect(ctx, d.URL()); err != nil {
			t.Fatal(err)
		}
		if p.Unanswered() != nil {
			o, err := p.Send(ctx)
			if err != nil {
				t.Fatal(err)
			}
			record(o)
		}
	}
	scanAway(ctx, pickers, 20, record)
	// Every event reaches the consumer, with no gap.
	poll.Eventually(t, time.Minute, func() bool {
		s := tl.Stats()
		return len(s.Gaps["demo/gw-k"]) == 0 && s.Contiguous["demo/gw-k"] > 0 && len(s.Contiguous) == 1
	}, func() string { return fmt.Sprintf("consumer: %+v", tl.Stats().Contiguous) })
	for _, p := range pickers {
		p.Close()
	}
	d.Cmd.Process.Signal(syscall.SIGTERM)
	d.Wait()
	evs := journalOf(t, stateDir, "gw-k")
	poll.Eventually(t, time.Minute, func() bool { return tl.Stats().Contiguous["demo/gw-k"] >= uint64(len(evs)) }, func() string {
		return fmt.Sprintf("consumer complete to %d of %d", tl.Stats().Contiguous["demo/gw-k"], len(evs))
	})
	accepted := 0
	for _, ev := range evs {
		if !tl.Has(ev.ID) {
			t.Fatalf("event %d (%s) never reached the consumer", ev.Seq, ev.Type)
		}
		if ev.Type == floorgate.EventScanAccepted {
			accepted++
		}
	}
	if accepted < len(ok) {
		t.Fatalf("%d scans answered OK, %d accepted scans journalled", len(ok), accepted)
	}
	s := tl.Stats()
	t.Logf("%d events, %d OK scans, %d received, %d duplicates", len(evs), len(ok), s.Received, s.Duplicates)
}

// TestThreeGatewaysTwoConsumers runs three gateway processes on one broker
// and two consumers sharing the load: together they get every event of
// every gateway.
func TestThreeGatewaysTwoConsumers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b := mqtttest.Start(t)
	c1, c2 := startTail(t, b.URL(), "erp", false), startTail(t, b.URL(), "erp", false)
	demo := gateway.NewDemo()
	gws := []string{"gw-a", "gw-b", "gw-c"}
	dirs := map[string]string{}
	var wg sync.WaitGroup
	for gi, gw := range gws {
		dirs[gw] = t.TempDir()
		d := daemontest.StartGateway(t, dirs[gw], b.URL(), gw)
		daemontest.UnitTasks(t, ctx, d, demo, "U-", 20)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var pickers []*sim.Picker
			for i := range 2 {
				p, err := sim.DialPicker(ctx, d.URL(), d.TLS, demo, fmt.Sprintf("%s-pda-%d", gw, i), demo.Badges[i], 0.05, uint64(10*gi+i))
				if err != nil {
					t.Error(err)
					return
				}
				pickers = append(pickers, p)
			}
			scanAway(ctx, pickers, 60, func(sim.Outcome) {})
			for _, p := range pickers {
				p.Close()
			}
			poll.Eventually(t, time.Minute, func() bool {
				return c1.Stats().Contiguous["demo/"+gw]+c2.Stats().Contiguous["demo/"+gw] > 0
			}, func() string { return gw + ": nothing reached the consumers" })
			d.Cmd.Process.Signal(syscall.SIGTERM)
			d.Wait()
		}()
	}
	wg.Wait()
	total := 0
	for _, gw := range gws {
		evs := journalOf(t, dirs[gw], gw)
		total += len(evs)
		for _, ev := range evs {
			poll.Eventually(t, 30*time.Second, func() bool { return c1.Has(ev.ID) || c2.Has(ev.ID) }, func() string { return fmt.Sprintf("%s event %d (%s) reached neither consumer", gw, ev.Seq, ev.Type) })
		}
	}
	s1, s2 := c1.Stats(), c2.Stats()
	if s1.Unique == 0 || s2.Unique == 0 {
		t.Fatalf("the load was not shared: %d and %d events", s1.Unique, s2.Unique)
	}
	t.Logf("%d events from 3 gateways; consumer 1 got %d, consumer 2 got %d", total, s1.Unique, s2.Unique)
}

// watchOffline delivers the offline statuses published on topic.
func watchOffline(t *testing.T, broker, topic string) <-chan fgsync.StatusMessage {
	t.Helper()
	raw := mqtttest.Watch(t, broker, topic)
	ch := make(chan fgsync.StatusMessage, 16)
	go func() {
		for b := range raw {
			var s fgsync.StatusMessage
			if json.Unmarshal(b, &s) == nil && s.State == "offline" {
				ch <- s
			}
		}
	}()
	return ch
}

func waitWill(t *testing.T, ch <-chan fgsync.StatusMessage) fgsync.StatusMessage {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("no offline status after the gateway was killed")
	}
	return fgsync.StatusMessage{}
}

// TestErpTailCommand runs `floorgate erp-tail` against a gateway and checks
// it writes each event once, as a JSON line, and sums up at the end.
func TestErpTailCommand(t *testing.T) {
	b := mqtttest.Start(t)
	out := filepath.Join(t.TempDir(), "events.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	var stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"erp-tail", "--broker", b.URL(), "--out", out, "--client-id", "tail-cli"}, io.Discard, &stderr)
	}()
	poll.Eventually(t, 10*time.Second, func() bool { return strings.Contains(stderr.String(), "subscribed") }, func() string { return stderr.String() })
	stateDir := t.TempDir()
	d := daemontest.StartGateway(t, stateDir, b.URL(), "gw-t")
	lines := func() []string {
		raw, _ := os.ReadFile(out)
		return strings.Split(strings.TrimSpace(string(raw)), "\n")
	}
	// The demo seeds 40 tasks: 40 task.received events.
	poll.Eventually(t, 30*time.Second, func() bool { return len(lines()) >= 40 }, func() string { return fmt.Sprintf("%d lines", len(lines())) })
	d.Cmd.Process.Signal(syscall.SIGTERM)
	d.Wait()
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("erp-tail: exit status %d\n%s", code, stderr.String())
	}
	seen := map[string]bool{}
	for _, l := range lines() {
		var ev floorgate.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.ID == "" {
			t.Fatalf("line %q: %v", l, err)
		}
		if seen[ev.ID] {
			t.Fatalf("event %s written twice", ev.ID)
		}
		seen[ev.ID] = true
	}
	if !strings.Contains(stderr.String(), "demo/gw-t: complete up to seq") {
		t.Fatalf("no summary: %s", stderr.String())
	}
}

// lockedBuffer is a strings.Builder safe to write and read at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
