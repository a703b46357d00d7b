package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/floorgate/floorgate/device/ws/wsbare"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/sim"
)

// bench mem measures resident memory per connected PDA against a bare
// gorilla/websocket connection. Each side runs in its own child process of
// this binary (bench mem-child), so the two do not share a heap and the
// load generator — this process — is not measured. Both children inherit
// the same environment, so main's GOGC and GOMEMLIMIT defaults (or the
// caller's) apply to both alike. The figure is the child's VmRSS from
// /proc/PID/status under load, minus its VmRSS before the first connection,
// divided by the number of connections.

// benchMemResult is bench mem's figures, in bytes.
type benchMemResult struct {
	pdas                        int
	gatewayBase, gatewayLoaded  int64
	bareBase, bareLoaded        int64
	gatewayPerPDA, barePerConn  float64
	gatewayVerdicts, bareEchoes int64
	gatewaySamples, bareSamples int
}

func (r benchMemResult) String() string {
	const mb, kb = 1 << 20, 1 << 10
	return fmt.Sprintf("BENCH mem pdas=%d gateway_rss_mb=%.1f bare_rss_mb=%.1f gateway_per_pda_kb=%.1f bare_per_conn_kb=%.1f ratio=%.2f gateway_base_mb=%.1f bare_base_mb=%.1f",
		r.pdas, float64(r.gatewayLoaded)/mb, float64(r.bareLoaded)/mb, r.gatewayPerPDA/kb, r.barePerConn/kb,
		r.gatewayPerPDA/r.barePerConn, float64(r.gatewayBase)/mb, float64(r.bareBase)/mb)
}

// memChild starts this binary as "floorgate-bench mem-child" with args. Tests
// replace it, since a test binary is not floorgate-bench.
var memChild = func(args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, append([]string{"mem-child"}, args...)...)
}

func benchMemCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench mem", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pdas := fs.Int("pdas", 500, "PDAs connected to the gateway, and bare connections to the baseline")
	rate := fs.Float64("rate", 1, "scans (and baseline echoes) per second per connection")
	duration := fs.Duration("duration", 10*time.Second, "how long to sample memory on each side, after a warm-up of half as long")
	heapProfile := fs.String("heapprofile", "", "write a heap profile of the gateway child under load to this file (and one before the load to FILE.idle)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pdas < 1 || *pdas > 4096 || *rate <= 0 {
		return errors.New("bench mem: --pdas must be 1 to 4096 and --rate above 0")
	}
	r, err := benchMem(ctx, *pdas, *rate, *duration, *heapProfile, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, r)
	return nil
}

func benchMem(ctx context.Context, pdas int, rate float64, d time.Duration, heapProfile string, log io.Writer) (benchMemResult, error) {
	r := benchMemResult{pdas: pdas}
	fmt.Fprintf(log, "bench mem: gateway child, %d PDAs scanning %.2g/s (GOGC=%q GOMEMLIMIT=%q in the environment; unset: main's defaults)\n",
		pdas, rate, os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"))
	var err error
	r.gatewayBase, r.gatewayLoaded, r.gatewaySamples, r.gatewayVerdicts, err = measureChild(ctx, "gateway", pdas, d, heapProfile, log,
		func(ctx context.Context, url string, wg *sync.WaitGroup, stop <-chan struct{}, errs chan<- error) (func() int64, error) {
			return driveGateway(ctx, url, pdas, rate, wg, stop, errs)
		})
	if err != nil {
		return r, err
	}
	fmt.Fprintf(log, "bench mem: bare gorilla/websocket child, %d connections echoing %.2g/s\n", pdas, rate)
	r.bareBase, r.bareLoaded, r.bareSamples, r.bareEchoes, err = measureChild(ctx, "bare", pdas, d, "", log,
		func(ctx context.Context, url string, wg *sync.WaitGroup, stop <-chan struct{}, errs chan<- error) (func() int64, error) {
			return driveBare(ctx, url, pdas, rate, wg, stop, errs)
		})
	if err != nil {
		return r, err
	}
	r.gatewayPerPDA = float64(r.gatewayLoaded-r.gatewayBase) / float64(pdas)
	r.barePerConn = float64(r.bareLoaded-r.bareBase) / float64(pdas)
	fmt.Fprintf(log, "bench mem: gateway %d verdicts over %d samples, bare %d echoes over %d samples\n",
		r.gatewayVerdicts, r.gatewaySamples, r.bareEchoes, r.bareSamples)
	return r, nil
}

// driver connects the load to a child's url and returns a counter of the
// replies it has had.
type driver func(ctx context.Context, url string, wg *sync.WaitGroup, stop <-chan struct{}, errs chan<- error) (func() int64, error)

// measureChild starts a child of the given mode, reads its VmRSS once it is
// ready (base), connects the load, waits d/2, then samples VmRSS every
// 100 ms for d and returns the median (loaded).
func measureChild(ctx context.Context, mode string, pdas int, d time.Duration, heapProfile string, log io.Writer, drive driver) (base, loaded int64, samples int, replies int64, err error) {
	dir, err := os.MkdirTemp("", "floorgate-bench-mem-")
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("bench mem: %w", err)
	}
	defer os.RemoveAll(dir)
	args := []string{"--mode", mode, "--pdas", strconv.Itoa(pdas), "--dir", dir}
	if heapProfile != "" {
		abs, err := filepath.Abs(heapProfile)
		if err != nil {
			return 0, 0, 0, 0, fmt.Errorf("bench mem: %w", err)
		}
		args = append(args, "--heapprofile", abs)
	}
	cmd := memChild(args...)
	cmd.Stderr = log
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("bench mem: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("bench mem: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("bench mem: start %s child: %w", mode, err)
	}
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	lines := make(chan string, 4)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	url, err := readReady(lines)
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("bench mem: %s child: %w", mode, err)
	}
	pid := cmd.Process.Pid
	if base, err = vmRSS(pid); err != nil {
		return 0, 0, 0, 0, err
	}
	// The child's own view of its memory, before and under load: heap
	// against goroutine stacks.
	stats := func(when string) {
		fmt.Fprintln(stdin, "stats", when)
		for l := range lines {
			if rest, ok := strings.CutPrefix(l, "STATS "); ok {
				fmt.Fprintf(log, "bench mem: %s %s: %s\n", mode, when, rest)
				return
			}
		}
	}
	stats("idle")
	anon0, _ := procStatus(pid, "RssAnon")
	file0, _ := procStatus(pid, "RssFile")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, pdas+1)
	count, err := drive(ctx, url, &wg, stop, errs)
	if err != nil {
		close(stop)
		wg.Wait()
		return 0, 0, 0, 0, fmt.Errorf("bench mem: %s: %w", mode, err)
	}
	fmt.Fprintf(log, "bench mem: %s: %d connected; warming up for %v, then sampling for %v\n", mode, pdas, d/2, d)
	time.Sleep(d / 2)
	n0 := count()
	var rss []int64
	tick := time.NewTicker(100 * time.Millisecond)
	end := time.After(d)
sample:
	for {
		select {
		case <-ctx.Done():
			break sample
		case <-end:
			break sample
		case <-tick.C:
			v, err := vmRSS(pid)
			if err != nil {
				tick.Stop()
				close(stop)
				wg.Wait()
				return 0, 0, 0, 0, err
			}
			rss = append(rss, v)
		}
	}
	tick.Stop()
	replies = count() - n0
	stats("loaded")
	// Where the memory is: anonymous (heaps, stacks) or file pages (the
	// executable, the database's memory map).
	anon1, _ := procStatus(pid, "RssAnon")
	file1, _ := procStatus(pid, "RssFile")
	fmt.Fprintf(log, "bench mem: %s: RssAnon %d → %d KiB, RssFile %d → %d KiB, %d threads\n",
		mode, anon0>>10, anon1>>10, file0>>10, file1>>10, must(procStatus(pid, "Threads")))
	close(stop)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, 0, 0, 0, fmt.Errorf("bench mem: %s: %w", mode, err)
	}
	if ctx.Err() != nil {
		return 0, 0, 0, 0, ctx.Err()
	}
	stdin.Close() // the child stops when its stdin ends
	exited = true
	if err := cmd.Wait(); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("bench mem: %s child: %w", mode, err)
	}
	if len(rss) == 0 {
		return 0, 0, 0, 0, fmt.Errorf("bench mem: %s: no memory samples", mode)
	}
	slices.Sort(rss)
	return base, rss[len(rss)/2], len(rss), replies, nil
}

// readReady reads the child's stdout lines up to its "READY url" line.
func readReady(lines <-chan string) (string, error) {
	for l := range lines {
		if url, ok := strings.CutPrefix(l, "READY "); ok {
			return url, nil
		}
	}
	return "", errors.New("exited before it was ready")
}

// vmRSS is process pid's resident set size in bytes, from /proc.
func vmRSS(pid int) (int64, error) { return procStatus(pid, "VmRSS") }

// procStatus is a field of /proc/PID/status: a size in kB as bytes, or a
// count.
func procStatus(pid int, key string) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	for line := range bytes.Lines(raw) {
		if rest, ok := bytes.CutPrefix(line, []byte(key+":")); ok {
			f := strings.Fields(string(rest))
			if len(f) == 0 {
				break
			}
			v, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("rss: %s: %w", key, err)
			}
			if len(f) == 2 && f[1] == "kB" {
				v <<= 10
			}
			return v, nil
		}
	}
	return 0, fmt.Errorf("rss: no %s line in /proc/%d/status", key, pid)
}

// must drops the error of a figure only logged.
func must(v int64, _ error) int64 { return v }

// paced calls fn every 1/rate s, starting at a random offset within the
// first period so the connections do not all send at once, until stop is
// closed.
func paced(stop <-chan struct{}, rate float64, offset time.Duration, fn func() error) error {
	period := time.Duration(float64(time.Second) / rate)
	select {
	case <-stop:
		return nil
	case <-time.After(offset % period):
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if err := fn(); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-t.C:
		}
	}
}

// driveGateway logs pdas pickers in at url and has each scan what it is
// asked for at rate.
func driveGateway(ctx context.Context, url string, pdas int, rate float64, wg *sync.WaitGroup, stop <-chan struct{}, errs chan<- error) (func() int64, error) {
	demo := gateway.NewDemo()
	pickers := make([]*sim.Picker, pdas)
	dialErrs := make([]error, pdas)
	sem := make(chan struct{}, 8)
	var dwg sync.WaitGroup
	for i := range pdas {
		dwg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; dwg.Done() }()
			pickers[i], dialErrs[i] = sim.DialPicker(ctx, url, nil, demo, fmt.Sprintf("bench-pda-%04d", i+1), fmt.Sprintf("BENCH%04d", i+1), 0, uint64(i+1))
		}()
	}
	dwg.Wait()
	if err := errors.Join(dialErrs...); err != nil {
		for _, p := range pickers {
			if p != nil {
				p.Client().Close()
			}
		}
		return nil, err
	}
	return drivePaced(pickers, rate, wg, stop, errs, func(p *sim.Picker) { p.Client().Close() }, func(p *sim.Picker) error {
		_, err := benchStep(ctx, p)
		return err
	}), nil
}

// drivePaced runs step for each of conns on a goroutine of its own, paced
// at rate and staggered across the first second, until stop closes; each
// goroutine closes its connection when it ends and reports its error on
// errs. The returned function counts the steps that succeeded.
func drivePaced[C any](conns []C, rate float64, wg *sync.WaitGroup, stop <-chan struct{}, errs chan<- error, closeConn func(C), step func(C) error) func() int64 {
	var mu sync.Mutex
	var n int64
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer closeConn(c)
			err := paced(stop, rate, time.Duration(i)*time.Second/time.Duration(len(conns)), func() error {
				if err := step(c); err != nil {
					return err
				}
				mu.Lock()
				n++
				mu.Unlock()
				return nil
			})
			if err != nil {
				errs <- err
			}
		}()
	}
	return func() int64 { mu.Lock(); defer mu.Unlock(); return n }
}

// benchEchoMsg is the size of a PDA's scan message, which the bare
// connections echo.
var benchEchoMsg = []byte(`{"type":"scan","id":"bench-pda-0001-123","data":"6901234510017","aim":"]E0","distance_mm":72,"device_time":"2026-11-22T09:00:00.000Z"}`)

// driveBare opens pdas bare WebSocket connections to url, each sending a
// scan-sized message at rate and reading its echo.
func driveBare(ctx context.Context, url string, pdas int, rate float64, wg *sync.WaitGroup, stop <-chan struct{}, errs chan<- error) (func() int64, error) {
	conns := make([]*wsbare.Conn, 0, pdas)
	for range pdas {
		c, err := wsbare.Dial(ctx, url)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, err
		}
		conns = append(conns, c)
	}
	return drivePaced(conns, rate, wg, stop, errs, func(c *wsbare.Conn) { c.Close() }, func(c *wsbare.Conn) error {
		return c.Exchange(benchEchoMsg)
	}), nil
}

// benchMemChildCommand is the measured process: a gateway with pdas picker
// operators and tasks for them (mode gateway), or a bare gorilla/websocket
// echo server (mode bare). It prints "READY url" once it is settled and
// runs until stdin ends.
func benchMemChildCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench mem-child", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "gateway", "gateway or bare")
	pdas := fs.Int("pdas", 500, "picker operators to create")
	dir := fs.String("dir", "", "state directory")
	heapProfile := fs.String("heapprofile", "", "write a heap profile on each stats request: here for \"stats loaded\", FILE.WHEN for any other")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *heapProfile != "" {
		// Every allocation recorded, so two profiles can be told apart
		// by kilobytes.
		runtime.MemProfileRate = 1
	}
	var url string
	var stopFill chan struct{}
	var filled chan struct{}
	errs := make(chan error, 1)
	switch *mode {
	case "gateway":
		if *dir == "" {
			return errors.New("bench mem-child: --dir is required")
		}
		site, err := startBenchSite(ctx, benchConfig(*dir), *pdas, 0)
		if err != nil {
			return err
		}
		defer site.Close()
		url = "ws://" + site.m.Addr() + "/ws/v1"
		stopFill, filled = make(chan struct{}), make(chan struct{})
		go func() { defer close(filled); site.keepFilled(stopFill, errs) }()
	case "bare":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("bench mem-child: %w", err)
		}
		srv := &http.Server{Handler: wsbare.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		url = "ws://" + ln.Addr().String() + "/"
	default:
		return fmt.Errorf("bench mem-child: unknown --mode %q", *mode)
	}
	// Both sides start from a collected heap returned to the OS.
	debug.FreeOSMemory()
	fmt.Fprintf(stdout, "READY %s\n", url)
	// Until stdin ends, each "stats WHEN" line is answered with the runtime's
	// figures (and a heap profile with --heapprofile).
	in := bufio.NewScanner(stdin)
	for in.Scan() {
		when, ok := strings.CutPrefix(in.Text(), "stats ")
		if !ok {
			continue
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(stdout, "STATS goroutines=%d heap_alloc_kb=%d heap_inuse_kb=%d heap_idle_unreleased_kb=%d stack_inuse_kb=%d next_gc_kb=%d gcs=%d\n",
			runtime.NumGoroutine(), ms.HeapAlloc>>10, ms.HeapInuse>>10, (ms.HeapIdle-ms.HeapReleased)>>10, ms.StackInuse>>10, ms.NextGC>>10, ms.NumGC)
		if *heapProfile != "" {
			path := *heapProfile
			if when != "loaded" {
				path += "." + when
			}
			if err := writeHeapProfile(path); err != nil {
				return err
			}
		}
	}
	if stopFill != nil {
		close(stopFill)
		<-filled
	}
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// writeHeapProfile writes what is live after a collection to path.
func writeHeapProfile(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}
