package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/sim"
)

// The cluster bench's wave and carts.
const (
	benchClusterWave  = "BENCH-PEAK"
	benchClusterSlots = 12
	// benchReleaseBoundMS is the most a release of the wave may take to
	// answer.
	benchReleaseBoundMS = 1000
)

// benchClusterResult is what bench cluster measured.
type benchClusterResult struct {
	pdas, orders       int
	releaseMS          float64
	itemP50, itemP99   float64
	putP50, putP99     float64
	puts, items, carts int
	putsPerS, elapsedS float64
}

func (r benchClusterResult) String() string {
	return fmt.Sprintf("BENCH cluster pdas=%d orders=%d release_ms=%.1f target_ms=%d item_p50_ms=%.3f item_p99_ms=%.3f put_p50_ms=%.3f put_p99_ms=%.3f put_ratio=%.2f puts_per_s=%.0f carts=%d",
		r.pdas, r.orders, r.releaseMS, benchReleaseBoundMS, r.itemP50, r.itemP99, r.putP50, r.putP99, r.putP99/r.itemP99, r.putsPerS, r.carts)
}

func benchClusterCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cluster", "", "Release a held wave of cart orders to N pickers and time the answer; then measure put (tote) verdicts against item verdicts on the carts.", stdout, stderr)
	pdas := fs.Int("pdas", 64, "pickers, each on a PDA with a cart of 12 totes")
	orders := fs.Int("orders", 5000, "cart orders in the held wave")
	duration := fs.Duration("duration", 10*time.Second, "how long to measure the carts' verdicts")
	dir := fs.String("dir", "", "directory for the database files (default: a new temporary one, removed after)")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	if *pdas < 1 || *pdas > 1024 {
		return errors.New("bench cluster: --pdas must be 1 to 1024")
	}
	if *orders < *pdas || *orders > 100_000 {
		return errors.New("bench cluster: --orders must be at least --pdas and at most 100000")
	}
	r, err := benchCluster(ctx, *pdas, *orders, *duration, *dir, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, r)
	return nil
}

// benchCluster runs a real gateway (real file, fsync on) with a held wave
// of orders cart pickers take: it times the release over the local socket
// as an admin sends it, then lets the pickers take carts, bind totes and
// put units for d, timing each verdict by the step it answered.
func benchCluster(ctx context.Context, pdas, orders int, d time.Duration, dir string, log io.Writer) (benchClusterResult, error) {
	res := benchClusterResult{pdas: pdas, orders: orders}
	dir, done, err := benchDir(dir)
	if err != nil {
		return res, fmt.Errorf("bench cluster: %w", err)
	}
	defer done()
	site, err := startBenchSite(ctx, benchConfig(dir), pdas, 0)
	if err != nil {
		return res, err
	}
	defer site.Close()
	m := site.m
	// The discrete tasks the bench site keeps would go to the pickers
	// first; this bench has none.
	for _, t := range m.DB.OpenTasks() {
		if err := m.DB.CancelTask(ctx, t.ID, "bench cluster"); err != nil {
			return res, fmt.Errorf("bench cluster: %w", err)
		}
	}
	// One cart per picker, and totes for every cart a picker may finish.
	totesEach := benchClusterSlots * 60
	var master struct {
		Carts []floorgate.Cart `json:"carts"`
		Totes []floorgate.Tote `json:"totes"`
	}
	demo := *site.demo
	demo.Master.Carts = nil
	for i := range pdas {
		master.Carts = append(master.Carts, floorgate.Cart{ID: fmt.Sprintf("BC%04d", i+1), Barcode: fmt.Sprintf("BCART-%04d", i+1), Slots: benchClusterSlots})
		for j := range totesEach {
			master.Totes = append(master.Totes, floorgate.Tote{ID: fmt.Sprintf("BT%04d-%03d", i+1, j+1), Barcode: fmt.Sprintf("BTOTE-%04d-%03d", i+1, j+1)})
		}
	}
	demo.Master.Carts = master.Carts
	sock := client.Local(m.Config.SocketPath())
	if err := sock.Post(ctx, "/api/v1/master", master, nil); err != nil {
		return res, fmt.Errorf("bench cluster: carts and totes: %w", err)
	}
	// The held wave: one or two one-unit lines an order, as e-commerce
	// orders are.
	rng := rand.New(rand.NewPCG(gateway.DemoSeed, 17))
	tasks := demo.MoreTasks(rng, "BK", orders, 1, 2, 1)
	for i := range tasks {
		tasks[i].Mode = floorgate.ModeCluster
	}
	if _, err := m.DB.ImportWave(ctx, floorgate.WaveDefinition{ID: benchClusterWave, Hold: true, Priority: 5}, tasks); err != nil {
		return res, fmt.Errorf("bench cluster: %w", err)
	}
	pickers, err := site.dialPickers(ctx)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(log, "bench cluster: %d pickers logged in, a held wave of %d cart orders; releasing it\n", pdas, orders)

	start := time.Now()
	var wv floorgate.Wave
	if err := sock.Post(ctx, "/api/v1/waves/"+url.PathEscape(benchClusterWave)+"/release", nil, &wv); err != nil {
		return res, fmt.Errorf("bench cluster: release: %w", err)
	}
	res.releaseMS = float64(time.Since(start)) / float64(time.Millisecond)
	if wv.Status != floorgate.WaveReleased || wv.Tasks != orders {
		return res, fmt.Errorf("bench cluster: the release answered %+v", wv)
	}

	var (
		measuring, stop atomic.Bool
		mu              sync.Mutex
		items, puts     []time.Duration
		carts           atomic.Int64
		wg              sync.WaitGroup
		errs            = make(chan error, pdas)
	)
	for i, p := range pickers {
		next := 0
		p.OnCart(&demo, i, func() (string, bool) {
			if next == totesEach {
				return "", false
			}
			next++
			return fmt.Sprintf("BTOTE-%04d-%03d", i+1, next), true
		})
		// The login came before the release: the prompt is the cart to
		// take, pushed or asked for.
		pr, err := p.Client().Next(ctx, "bench-next")
		if err != nil {
			return res, fmt.Errorf("bench cluster: %w", err)
		}
		p.SetPrompt(pr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var li, lp []time.Duration
			defer func() {
				mu.Lock()
				items, puts = append(items, li...), append(puts, lp...)
				mu.Unlock()
			}()
			for !stop.Load() {
				step := p.Prompt().Step
				o, err := p.Step(ctx)
				if errors.Is(err, sim.ErrNoTask) {
					return // out of totes or orders
				}
				if err != nil {
					errs <- fmt.Errorf("bench cluster: %w", err)
					return
				}
				if step == "scan_cart" && o.Verdict.Code == floorgate.CodeNoTask {
					return // the wave is all taken
				}
				if !o.Expected {
					errs <- fmt.Errorf("bench cluster: %s got %s at %s for a correct scan", p.Device(), o.Verdict.Code, step)
					return
				}
				if o.Verdict.Code == floorgate.CodeCartDone {
					carts.Add(1)
				}
				if !measuring.Load() {
					continue
				}
				switch {
				case step == "scan_item" && o.Verdict.Code == floorgate.CodeItemToTote:
					li = append(li, o.Latency)
				case step == "scan_tote":
					lp = append(lp, o.Latency)
				}
			}
		}()
	}
	time.Sleep(d / 5) // warm up: carts taken, totes bound
	measuring.Store(true)
	t0 := time.Now()
	time.Sleep(d)
	measuring.Store(false)
	res.elapsedS = time.Since(t0).Seconds()
	stop.Store(true)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return res, err
	}
	if len(items) == 0 || len(puts) == 0 {
		return res, fmt.Errorf("bench cluster: no verdicts measured (%d items, %d puts)", len(items), len(puts))
	}
	res.items, res.puts, res.carts = len(items), len(puts), int(carts.Load())
	res.itemP50, res.itemP99 = quantileMS(items, 0.50), quantileMS(items, 0.99)
	res.putP50, res.putP99 = quantileMS(puts, 0.50), quantileMS(puts, 0.99)
	res.putsPerS = float64(len(puts)) / res.elapsedS
	fmt.Fprintf(log, "bench cluster: released in %.1f ms; %d item and %d put verdicts in %.1f s, %d carts done\n",
		res.releaseMS, len(items), len(puts), res.elapsedS, res.carts)
	return res, nil
}
