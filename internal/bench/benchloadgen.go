package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floorgate/floorgate/device/ws/wsload"
)

// loadgenConfig is one run of the load generator: N PDAs against one
// system, closed loop.
type loadgenConfig struct {
	url, fingerprint string
	pdas             int
	badgePrefix      string // badges are badgePrefix0001…
	devicePrefix     string
	pin              string
	warmup, duration time.Duration
	// untilClosed runs until every connection is lost (the kill -9 run)
	// instead of for warmup+duration.
	untilClosed bool
	// scans, when not zero, is a fixed amount of work instead: each PDA
	// stops after that many verdicts, all of them counted.
	scans int
}

// loadgenResult is what a run measured.
type loadgenResult struct {
	verdicts int
	perS     float64
	p50, p99 float64
	starved  int // PDAs that ran out of tasks
	// acked are the item scans answered as accepted: "task line scan_id".
	acked []string
	// cpu is where the window's CPU went per verdict, as BENCH fields
	// (bench peer; cpuWindow.fields).
	cpu string
}

// benchLoadgenCommand is the hidden bench loadgen: the external load
// generator bench peer runs as its own process, so floorgate and the peer
// are driven alike and neither shares the generator's cores' scheduling
// with the system measured. It prints "LOADGEN ready" once every picker is
// logged in, "LOADGEN measuring" when the window opens and a LOADGEN
// result line at the end; --acked FILE writes the accepted item scans.
func benchLoadgenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if os.Getenv("GOGC") == "" {
		// The load generator is not the daemon: Go's default collector
		// pace (main sets the daemon's), so it takes less of the shared
		// CPU from the system it measures.
		debug.SetGCPercent(100)
	}
	fs := flag.NewFlagSet("bench loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c loadgenConfig
	fs.StringVar(&c.url, "url", "", "the PDA endpoint, ws:// or wss://")
	fs.StringVar(&c.fingerprint, "fingerprint", "", "SHA-256 fingerprint of the server's certificate to pin (wss://)")
	fs.IntVar(&c.pdas, "pdas", 1, "PDAs, each with its own picker")
	fs.StringVar(&c.badgePrefix, "badge-prefix", "PEER", "badges are this prefix and 0001, 0002…")
	fs.StringVar(&c.devicePrefix, "device-prefix", "loadgen-pda-", "device ids are this prefix and 0001, 0002…")
	fs.StringVar(&c.pin, "pin", peerPIN, "every picker's PIN")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "scanning before the measured window")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "the measured window")
	fs.BoolVar(&c.untilClosed, "until-closed", false, "scan until every connection is lost (the kill -9 run)")
	ackedFile := fs.String("acked", "", "write the accepted item scans (task line scan_id) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := runLoadgen(ctx, c, func(s string) { fmt.Fprintln(stdout, s) }, stderr)
	if err != nil {
		return err
	}
	if *ackedFile != "" {
		if err := os.WriteFile(*ackedFile, []byte(strings.Join(r.acked, "\n")+"\n"), 0o644); err != nil {
			return fmt.Errorf("bench loadgen: %w", err)
		}
	}
	fmt.Fprintf(stdout, "LOADGEN verdicts=%d per_s=%.1f p50_ms=%.3f p99_ms=%.3f starved=%d acked=%d\n",
		r.verdicts, r.perS, r.p50, r.p99, r.starved, len(r.acked))
	return nil
}

// loadgenPDA is one simulated PDA: its connection, its prompt and its
// sequence of scan ids.
type loadgenPDA struct {
	c      *wsload.Conn
	device string
	prompt wsload.Prompt
	n      int
}

// runLoadgen connects and logs in every PDA (eight at a time) before any
// scans, then runs the closed loop: each PDA sends its next scan when the
// previous verdict arrived, scanning what the prompt asks for (the
// location's barcode is its code, an item's is its SKU without "SKU-").
func runLoadgen(ctx context.Context, c loadgenConfig, say func(string), log io.Writer) (loadgenResult, error) {
	var res loadgenResult
	pdas := make([]*loadgenPDA, c.pdas)
	errs := make([]error, c.pdas)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range pdas {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			pdas[i], errs[i] = loadgenLogin(ctx, c, i)
		}()
	}
	wg.Wait()
	defer func() {
		for _, p := range pdas {
			if p != nil {
				p.c.Close()
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return res, fmt.Errorf("bench loadgen: %w", err)
	}
	say("LOADGEN ready")

	var (
		measuring, stop atomic.Bool
		mu              sync.Mutex
		lats            []time.Duration
		starved         atomic.Int64
		runErr          = make(chan error, c.pdas)
	)
	measuring.Store(c.scans > 0)
	for _, p := range pdas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			var acked []string
			defer func() {
				mu.Lock()
				lats = append(lats, local...)
				res.acked = append(res.acked, acked...)
				mu.Unlock()
			}()
			for !stop.Load() && (c.scans == 0 || len(local) < c.scans) {
				lat, ack, err := p.step()
				if errors.Is(err, errStarved) {
					starved.Add(1)
					return
				}
				if err != nil {
					if !c.untilClosed {
						runErr <- err
					}
					return
				}
				if measuring.Load() && lat > 0 {
					local = append(local, lat)
				}
				if ack != "" {
					acked = append(acked, ack)
				}
			}
		}()
	}
	if c.untilClosed || c.scans > 0 {
		say("LOADGEN measuring")
		wg.Wait()
		close(runErr)
		if err := <-runErr; err != nil {
			return res, fmt.Errorf("bench loadgen: %w", err)
		}
		res.p50, res.p99 = quantileMS(lats, 0.5), quantileMS(lats, 0.99)
		res.verdicts = len(lats)
		res.starved = int(starved.Load())
		return res, nil
	}
	time.Sleep(c.warmup)
	say("LOADGEN measuring")
	start := time.Now()
	measuring.Store(true)
	time.Sleep(c.duration)
	measuring.Store(false)
	elapsed := time.Since(start)
	say("LOADGEN measured")
	stop.Store(true)
	wg.Wait()
	close(runErr)
	if err := <-runErr; err != nil {
		return res, fmt.Errorf("bench loadgen: %w", err)
	}
	res.verdicts, res.starved = len(lats), int(starved.Load())
	res.perS = float64(len(lats)) / elapsed.Seconds()
	res.p50, res.p99 = quantileMS(lats, 0.5), quantileMS(lats, 0.99)
	if res.starved > 0 {
		fmt.Fprintf(log, "bench loadgen: %d of %d PDAs ran out of tasks: create more (bench peer --rate-cap)\n", res.starved, c.pdas)
	}
	return res, nil
}

// loadgenLogin dials, says hello with a new random token (the site lets
// devices enrol themselves) and logs picker i in.
func loadgenLogin(ctx context.Context, c loadgenConfig, i int) (*loadgenPDA, error) {
	conn, err := wsload.Dial(ctx, c.url, c.fingerprint)
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 16)
	rand.Read(tok)
	p := &loadgenPDA{c: conn, device: fmt.Sprintf("%s%04d", c.devicePrefix, i+1)}
	if _, err := conn.Hello(p.device, hex.EncodeToString(tok)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%s: %w", p.device, err)
	}
	id := p.device + "-login"
	v, err := conn.Request(map[string]any{"type": "login", "id": id, "badge": fmt.Sprintf("%s%04d", c.badgePrefix, i+1), "pin": c.pin}, id)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("%s: login: %w", p.device, err)
	}
	if !v.OK {
		conn.Close()
		return nil, fmt.Errorf("%s: login: %s", p.device, v.Code)
	}
	p.prompt = v.Prompt
	return p, nil
}

// errStarved: the system has no task left for this PDA.
var errStarved = errors.New("no task left")

// step sends what the prompt asks for and returns the verdict's latency
// (zero for a next, which is not a verdict) and, for an accepted item,
// "task line scan_id".
func (p *loadgenPDA) step() (time.Duration, string, error) {
	p.n++
	id := fmt.Sprintf("%s-%07d", p.device, p.n)
	var data, aim string
	switch p.prompt.Step {
	case "scan_location":
		data, aim = p.prompt.Location, "]C0"
	case "scan_item":
		data, aim = strings.TrimPrefix(p.prompt.SKU, "SKU-"), "]E0"
	case "wait", "":
		f, err := p.c.Request(map[string]any{"type": "next", "id": id}, id)
		if err != nil {
			return 0, "", fmt.Errorf("%s: next: %w", p.device, err)
		}
		if f.Prompt.Step == "wait" {
			return 0, "", errStarved
		}
		p.prompt = f.Prompt
		return 0, "", nil
	default:
		return 0, "", fmt.Errorf("%s: prompt %q: the load generator only picks", p.device, p.prompt.Step)
	}
	asked := p.prompt
	t0 := time.Now()
	v, err := p.c.Request(map[string]any{"type": "scan", "scan_id": id, "data": data, "aim": aim, "distance_mm": 75}, id)
	lat := time.Since(t0)
	if err != nil {
		return 0, "", fmt.Errorf("%s: scan: %w", p.device, err)
	}
	if !v.OK {
		return 0, "", fmt.Errorf("%s: %s for %s at %+v", p.device, v.Code, data, asked)
	}
	p.prompt = v.Prompt
	ack := ""
	if asked.Step == "scan_item" {
		ack = fmt.Sprintf("%s %d %s", asked.Task, asked.Line, id)
	}
	return lat, ack, nil
}

// readLoadgenResult parses the LOADGEN result line.
func readLoadgenResult(line string) (loadgenResult, error) {
	b, err := ParseBenchLine("BENCH loadgen " + strings.TrimPrefix(line, "LOADGEN "))
	if err != nil {
		return loadgenResult{}, err
	}
	f := b.Fields
	return loadgenResult{verdicts: int(f["verdicts"]), perS: f["per_s"], p50: f["p50_ms"], p99: f["p99_ms"], starved: int(f["starved"])}, nil
}

// readAcked reads an --acked file.
func readAcked(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	return slices.Clip(out), sc.Err()
}
