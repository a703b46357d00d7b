package bench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	fgprint "github.com/floorgate/floorgate/print"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/template"
	"github.com/floorgate/floorgate/store"
)

// benchPrinter is a ZPL printer on loopback port 9100 style: it answers
// ~HS as ready, counts labels (^XZ), notes when each job's first byte
// arrived, and finishes at most rate labels a second (0: no limit),
// slowing the sender as a real print line does. With paperOut set it
// reports that it is out of paper.
type benchPrinter struct {
	ln       net.Listener
	rate     int
	paperOut atomic.Bool
	labels   atomic.Int64
	mu       sync.Mutex
	arrived  map[string]time.Time // tracking number → first byte of its job
}

var zplNoErrors = []byte("\x02\r\n  PRINTER STATUS\r\n   ERRORS:         0 00000000 00000000\r\n   WARNINGS:       0 00000000 00000000\r\n\x03\r\n")

// zplPaperOutErrors and zplPaperOut are the same replies from a printer
// out of media: the ~HQES media-out flag, and the ~HS paper-out flag.
var zplPaperOutErrors = []byte("\x02\r\n  PRINTER STATUS\r\n   ERRORS:         1 00000000 00000001\r\n   WARNINGS:       0 00000000 00000000\r\n\x03\r\n")

var zplPaperOut = []byte("\x02030,1,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n")

var zplReady = []byte("\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n")

func startBenchPrinter(rate int) (*benchPrinter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &benchPrinter{ln: ln, rate: rate, arrived: map[string]time.Time{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p, nil
}

func (p *benchPrinter) serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 64<<10)
	var job []byte
	var first time.Time
	next := time.Now()
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		data := buf[:n]
		for len(data) > 0 {
			if len(job) == 0 {
				data = bytes.TrimLeft(data, "\r\n\t ")
				if len(data) == 0 {
					break
				}
			}
			if len(job) == 0 && bytes.HasPrefix(data, []byte("~HQES")) {
				if p.paperOut.Load() {
					c.Write(zplPaperOutErrors)
				} else {
					c.Write(zplNoErrors)
				}
				data = data[5:]
				continue
			}
			if len(job) == 0 && bytes.HasPrefix(data, []byte("~HS")) {
				if p.paperOut.Load() {
					c.Write(zplPaperOut)
				} else {
					c.Write(zplReady)
				}
				data = data[3:]
				continue
			}
			if len(job) == 0 {
				first = now
			}
			end := bytes.Index(data, []byte("^XZ"))
			if end < 0 {
				job = append(job, data...)
				break
			}
			job = append(job, data[:end+3]...)
			data = data[end+3:]
			if p.rate > 0 {
				// The print line: a label takes 1/rate s to come out, and
				// the sender waits meanwhile.
				if now.After(next) {
					next = now
				}
				next = next.Add(time.Second / time.Duration(p.rate))
				time.Sleep(time.Until(next))
			}
			p.done(job, first)
			job = job[:0]
		}
	}
}

var fdTracking = []byte("^FDSF")

func (p *benchPrinter) done(job []byte, first time.Time) {
	p.labels.Add(1)
	if i := bytes.Index(job, fdTracking); i >= 0 && i+17 <= len(job) {
		p.mu.Lock()
		p.arrived[string(job[i+3:i+17])] = first
		p.mu.Unlock()
	}
}

func benchPrintCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench print", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("labels", 400, "different Chinese waybills to print")
	np := fs.Int("printers", 20, "local fake 9100 printers, 2 labels/s each")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *np < 1 {
		return errors.New("bench print: --labels and --printers must be at least 1")
	}
	font, err := label.DefaultFont()
	if err != nil {
		return err
	}
	// Different waybills: recipients, addresses, items.
	rng := rand.New(rand.NewPCG(7, 7))
	base := gateway.NewDemo().Shipments()
	ships := make([]floorgate.Shipment, 0, 3**n)
	for i := range 3 * *n {
		s := base[i%len(base)]
		s.Order, s.Tracking = fmt.Sprintf("BP%06d", i), fmt.Sprintf("SF%012d", 500000000+i)
		s.Recipient.Name = []string{"李雷", "韩梅梅", "王芳", "张伟", "刘洋"}[rng.IntN(5)]
		s.Recipient.Address = gateway.DemoCities[rng.IntN(len(gateway.DemoCities))] + fmt.Sprintf("%d栋%d室", 1+rng.IntN(30), 100+rng.IntN(2000))
		ships = append(ships, s)
	}

	// Render time, per waybill, in ZPL at 203 dpi, every shipped domestic
	// waybill template in turn.
	set, err := template.Shipped()
	if err != nil {
		return err
	}
	var tmpls []*template.Template
	for _, t := range set.All() {
		if t.Kind == template.KindWaybill && t.Variant != floorgate.VariantCrossBorder {
			tmpls = append(tmpls, t)
		}
	}
	var renders []time.Duration
	for i, s := range ships[:*n] {
		t0 := time.Now()
		l, err := tmpls[i%len(tmpls)].Shipment(s, "zh", t0)
		if err != nil {
			return err
		}
		if _, err := label.Render(l, label.ZPL, label.Options{DPI: 203, Font: font}); err != nil {
			return err
		}
		renders = append(renders, time.Since(t0))
	}

	run := func(rate int, batch []floorgate.Shipment, idle bool) (float64, []time.Duration, error) {
		dir, err := os.MkdirTemp("", "floorgate-bench-print-")
		if err != nil {
			return 0, nil, err
		}
		defer os.RemoveAll(dir)
		site := floorgate.Site{ID: "bench", Gateway: "gw", Policy: floorgate.DefaultPolicy()}
		db, err := store.Open(store.PathIn(dir), store.Options{Site: site})
		if err != nil {
			return 0, nil, err
		}
		defer db.Close()
		if err := db.PutShipments(ctx, batch); err != nil {
			return 0, nil, err
		}
		var fakes []*benchPrinter
		var ps []*fgprint.Printer
		for i := range *np {
			f, err := startBenchPrinter(rate)
			if err != nil {
				return 0, nil, err
			}
			defer f.ln.Close()
			fakes = append(fakes, f)
			p := printer.New(fmt.Sprint("lbl-", i), printer.ZPL, printer.TCPDialer(f.ln.Addr().String()), printer.Options{})
			defer p.Close()
			ps = append(ps, &fgprint.Printer{Printer: p, DPI: 203, Stations: []string{fmt.Sprint("pack-", i)}})
		}
		w := fgprint.New(db, ps, nil, nil, fgprint.Options{StatusEvery: time.Hour})
		wctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); w.Run(wctx) }()
		defer func() { stop(); <-done }()

		total := func() int64 {
			var t int64
			for _, f := range fakes {
				t += f.labels.Load()
			}
			return t
		}
		var lat []time.Duration
		start := time.Now()
		for i, s := range batch {
			submitted := time.Now()
			if err := db.QueuePrintJob(ctx, floorgate.PrintJob{ID: "waybill:" + s.Order, Kind: "waybill", Order: s.Order,
				Station: fmt.Sprint("pack-", i%*np), Template: tmpls[i%len(tmpls)].ID, Status: floorgate.JobQueued, Created: submitted}); err != nil {
				return 0, nil, err
			}
			if idle {
				// One job at a time on an idle printer: from submit to
				// its first byte at the printer.
				f := fakes[i%*np]
				for {
					f.mu.Lock()
					at, ok := f.arrived[s.Tracking]
					f.mu.Unlock()
					if ok {
						lat = append(lat, at.Sub(submitted))
						break
					}
					if time.Since(submitted) > 10*time.Second {
						return 0, nil, fmt.Errorf("bench print: job %s never reached its printer", s.Order)
					}
					time.Sleep(100 * time.Microsecond)
				}
			}
		}
		for total() < int64(len(batch)) {
			if ctx.Err() != nil {
				return 0, nil, ctx.Err()
			}
			time.Sleep(5 * time.Millisecond)
		}
		return float64(len(batch)) / time.Since(start).Seconds(), lat, nil
	}

	fmt.Fprintf(stderr, "bench print: %d waybills to %d printers at 2 labels/s each\n", *n, *np)
	perS, _, err := run(2, ships[:*n], false)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "bench print: capacity with printers that take labels as fast as they come")
	capacity, _, err := run(0, ships[*n:2**n], false)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "bench print: submit to first byte, one job at a time to idle printers")
	_, lat, err := run(0, ships[2**n:2**n+min(*n, 200)], true)
	if err != nil {
		return err
	}
	limit := 2 * float64(*np)
	fmt.Fprintf(stdout, "BENCH print labels=%d printers=%d labels_per_s=%.1f limit_per_s=%.0f ratio=%.2f capacity_per_s=%.0f render_p99_ms=%.2f submit_to_bytes_p99_ms=%.2f\n",
		*n, *np, perS, limit, perS/limit, capacity, quantileMS(renders, 0.99), quantileMS(lat, 0.99))
	return nil
}
