package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
)

func benchCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "sync" {
		return benchSyncCommand(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "print" {
		return benchPrintCommand(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "scan" {
		return errors.New("bench: want: bench scan [--pdas N] [--duration D], or bench sync [--events N] [--broker URL]")
	}
	fs := flag.NewFlagSet("bench scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pdas := fs.Int("pdas", 1, "simulated PDAs scanning at once")
	duration := fs.Duration("duration", 10*time.Second, "how long to measure each side")
	dir := fs.String("dir", "", "directory for the database files (default: a new temporary one, removed after)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the gateway's measured run to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *pdas < 1 || *pdas > 4096 {
		return errors.New("bench: --pdas must be 1 to 4096")
	}
	r, err := benchScan(ctx, *pdas, *duration, *dir, *cpuProfile, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, r)
	return nil
}

// benchResult is the benchmark's figures.
type benchResult struct {
	pdas                         int
	verdictsPerS, p50, p99       float64
	rawPerS, rawP50, rawP99      float64
	commits, requests, unexpectd uint64
}

func (r benchResult) String() string {
	return fmt.Sprintf("BENCH scan pdas=%d verdicts_per_s=%.0f p50_ms=%.3f p99_ms=%.3f raw_commits_per_s=%.0f raw_p50_ms=%.3f raw_p99_ms=%.3f ratio=%.2f",
		r.pdas, r.verdictsPerS, r.p50, r.p99, r.rawPerS, r.rawP50, r.rawP99, r.verdictsPerS/r.rawPerS)
}

func quantileMS(lat []time.Duration, q float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[int(float64(len(lat)-1)*q)]) / float64(time.Millisecond)
}

// benchScan runs a real gateway on a temporary state directory (a real file,
// fsync on), drives it with pdas simulated PDAs over WebSockets on loopback
// for d, then measures the raw commit baseline in the same directory.
func benchScan(ctx context.Context, pdas int, d time.Duration, dir, cpuProfile string, log io.Writer) (benchResult, error) {
	res := benchResult{pdas: pdas}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "floorgate-bench-")
		if err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	cfg := DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = filepath.Join(dir, "state"), "127.0.0.1:0", "127.0.0.1:0"
	cfg.TLS.Mode = "off" // the scan path on loopback, as the baseline is measured
	// Simulated PDAs scan far faster than people: the flood guard is not
	// what is measured.
	cfg.Devices.MaxMessagesPerS = 1 << 30
	// The scan path alone, as during a WAN outage: the upstream link points
	// at a port where nothing listens, so events wait in the outbox and no
	// broker shares the two cores. bench sync measures the drain.
	cfg.MQTT.Brokers = []string{"tcp://127.0.0.1:9"}
	cfg.Devices.AutoEnrol = true
	m := &Main{Config: cfg}
	if err := m.Run(ctx); err != nil {
		return res, fmt.Errorf("bench: start gateway: %w", err)
	}
	defer m.Close()
	demo := NewDemo()

	// The demo site's master data, and one picker per PDA.
	hash, err := floorgate.HashPIN(demoPIN)
	if err != nil {
		return res, err
	}
	master := demo.Master
	master.Operators = nil
	badges := make([]string, pdas)
	for i := range pdas {
		badges[i] = fmt.Sprintf("BENCH%04d", i+1)
		master.Operators = append(master.Operators, floorgate.Operator{ID: fmt.Sprintf("bench-%04d", i+1),
			Name: fmt.Sprintf("Bench picker %d", i+1), Badge: badges[i], PINHash: hash, Role: floorgate.RolePicker})
	}
	if err := m.DB.PutMaster(ctx, master); err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	// Keep the queue full so no picker waits for work.
	rng := rand.New(rand.NewPCG(demoSeed, 99))
	batch := 0
	refill := func() error {
		for m.DB.Counts().PendingTasks < 4*pdas {
			batch++
			// One unit a line: a picker never reads the same code twice
			// in a row, which the double-read guard would refuse.
			tasks := demo.MoreTasks(rng, fmt.Sprintf("B%03d-", batch), 2*pdas, 5, 15, 1)
			if _, err := m.DB.ImportTasks(ctx, tasks); err != nil {
				return fmt.Errorf("bench: refill: %w", err)
			}
		}
		return nil
	}
	if err := refill(); err != nil {
		return res, err
	}

	url := "ws://" + m.Addr() + "/ws/v1"
	pickers := make([]*picker, pdas)
	for i := range pdas {
		p, err := dialPicker(ctx, url, nil, demo, fmt.Sprintf("bench-pda-%04d", i+1), badges[i], 0, uint64(i+1))
		if err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
		defer p.c.Close()
		pickers[i] = p
	}
	fmt.Fprintf(log, "bench: %d PDAs connected and logged in; measuring the gateway for %v\n", pdas, d)

	var (
		measuring atomic.Bool
		stop      atomic.Bool
		mu        sync.Mutex
		lats      []time.Duration
		count     atomic.Uint64
		wg        sync.WaitGroup
		errs      = make(chan error, pdas+1)
	)
	for _, p := range pickers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			for !stop.Load() {
				o, err := p.step(ctx)
				if errors.Is(err, errNoTask) {
					pr, err := p.c.Next(ctx, fmt.Sprintf("next-%d", p.n))
					if err != nil {
						errs <- err
						return
					}
					p.prompt = pr
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if !o.expected {
					errs <- fmt.Errorf("bench: %s got %s for a correct scan", p.device, o.verdict.Code)
					return
				}
				if measuring.Load() {
					local = append(local, o.latency)
					count.Add(1)
				}
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	refillDone := make(chan struct{})
	go func() {
		defer close(refillDone)
		for !stop.Load() {
			if err := refill(); err != nil {
				errs <- err
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	time.Sleep(d / 5) // warm up: connections busy, caches and the file grown
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
	}
	c0, r0 := m.DB.Stats()
	start := time.Now()
	measuring.Store(true)
	time.Sleep(d)
	measuring.Store(false)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	elapsed := time.Since(start)
	c1, r1 := m.DB.Stats()
	stop.Store(true)
	wg.Wait()
	<-refillDone
	close(errs)
	if err := <-errs; err != nil {
		return res, err
	}
	res.verdictsPerS = float64(count.Load()) / elapsed.Seconds()
	res.p50, res.p99 = quantileMS(lats, 0.50), quantileMS(lats, 0.99)
	res.commits, res.requests = c1-c0, r1-r0
	fmt.Fprintf(log, "bench: gateway: %d verdicts, %d commits (%.1f requests per commit)\n",
		count.Load(), res.commits, float64(res.requests)/float64(max(res.commits, 1)))

	fmt.Fprintf(log, "bench: measuring the raw bbolt baseline with %d goroutines for %v\n", pdas, d)
	raw, err := store.BaselineCommits(filepath.Join(dir, "baseline.db"), pdas, d)
	if err != nil {
		return res, err
	}
	res.rawPerS = float64(len(raw)) / d.Seconds()
	res.rawP50, res.rawP99 = quantileMS(raw, 0.50), quantileMS(raw, 0.99)
	return res, nil
}
