package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/store"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/broker"
	"github.com/floorgate/floorgate/sync/syncbench"
)

// benchSyncCommand measures draining the outbox to a broker against a plain
// QoS 1 publish loop of the same payloads, in the same run.
func benchSyncCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	events := fs.Int("events", 200_000, "events in the outbox backlog")
	brokerURL := fs.String("broker", "", "MQTT broker (default: an embedded broker started for the run)")
	window := fs.Int("window", fgsync.DefaultWindow, "QoS 1 publishes in flight, for both sides")
	dir := fs.String("dir", "", "directory for the database (default: a temporary one, removed after)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the drain to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *events < 1 {
		return errors.New("bench sync: --events must be at least 1")
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "floorgate-bench-sync-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	if *brokerURL == "" {
		// Its store on the bench's own disk, as the daemon keeps it in its state dir.
		b, err := broker.Start(broker.Options{Listen: "127.0.0.1:0", StoreDir: filepath.Join(*dir, "broker"),
			AllowAnonymous: true, Anonymous: broker.User{Publish: []string{"floorgate/#"}, Subscribe: []string{"floorgate/#"}}})
		if err != nil {
			return fmt.Errorf("bench sync: %w", err)
		}
		defer b.Close()
		*brokerURL = b.URL()
	}
	cfg := gateway.DefaultConfig()
	site, _ := cfg.SiteInfo()
	db, err := store.Open(store.PathIn(*dir), store.Options{Site: site})
	if err != nil {
		return err
	}
	defer db.Close()

	fmt.Fprintf(stderr, "bench sync: filling the outbox with %d events\n", *events)
	start := time.Now().UTC()
	const batch = 10_000
	for done := 0; done < *events; done += batch {
		evs := make([]floorgate.Event, 0, batch)
		for i := done; i < min(done+batch, *events); i++ {
			evs = append(evs, floorgate.NewEvent(floorgate.EventScanAccepted, start.Add(time.Duration(i)*time.Millisecond), floorgate.ScanRecord{
				ScanID: fmt.Sprintf("pda-%02d-%08d", i%40, i), Device: fmt.Sprintf("pda-%02d", i%40), Operator: fmt.Sprintf("P%03d", i%40+1),
				Task: fmt.Sprintf("T%06d", i/20), Line: i%20 + 1, Data: "6901234510017", AIM: "]E0", Kind: floorgate.MatchItem,
				Code: floorgate.CodeItemOK, DistanceMM: 72, Distance: "in"}))
		}
		if err := db.EmitEvents(ctx, evs); err != nil {
			return err
		}
	}
	payloads, err := db.JournalRange(1, uint64(*events), *events)
	if err != nil {
		return err
	}

	fmt.Fprintf(stderr, "bench sync: draining to %s (window %d)\n", *brokerURL, *window)
	g, err := fgsync.New(fgsync.Config{Brokers: []string{*brokerURL}, Site: site.ID, Gateway: site.Gateway, Window: *window}, db, db, nil, nil)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
	}
	gctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	t0 := time.Now()
	go func() { defer close(done); g.Run(gctx) }()
	for {
		ob, err := db.Outbox()
		if err != nil {
			stop()
			return err
		}
		if ob.Depth == 0 {
			break
		}
		if ctx.Err() != nil {
			stop()
			return ctx.Err()
		}
		time.Sleep(10 * time.Millisecond)
	}
	drain := time.Since(t0)
	stop()
	<-done
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}

	fmt.Fprintf(stderr, "bench sync: baseline: a plain QoS 1 publish loop of the same %d payloads\n", len(payloads))
	raw, err := syncbench.PublishLoop(ctx, *brokerURL, fgsync.TopicsFor(site.ID, site.Gateway).Events, payloads, *window)
	if err != nil {
		return err
	}
	drainPerS, rawPerS := float64(*events)/drain.Seconds(), float64(len(payloads))/raw.Seconds()
	fmt.Fprintf(stdout, "BENCH sync events=%d drain_per_s=%.0f raw_per_s=%.0f ratio=%.2f backlog_drain_s=%.1f\n",
		*events, drainPerS, rawPerS, drainPerS/rawPerS, drain.Seconds())
	return nil
}
