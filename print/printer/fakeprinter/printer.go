// Package fakeprinter is a simulated label printer for the demo gateway and
// for tests: a real endpoint (a TCP listener, or any byte stream it is
// given) that parses what it receives the way a printer of its dialect would
// — counting labels, checking framing, answering status queries from a
// script of states that can change at any time — and keeps the jobs it
// received.
//
// It must not be used to talk to a real printer (that is package printer)
// and must not import testing: the demo runs it for months, so a demo
// printer keeps only its last jobs (Options.KeepJobs). Tests use it through
// printertest, which adds cleanup and a pseudo-terminal transport.
package fakeprinter

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/floorgate/floorgate/print/printer"
)

// Ready is the state of a printer with nothing wrong.
var Ready = printer.State{Online: true}

// Options tune a simulated printer.
type Options struct {
	// Script gives the state reported to successive status queries; the
	// last one repeats. A state that is not Online is not answered at all.
	// Empty: Ready forever.
	Script []printer.State
	// KeepJobs bounds the jobs (and framing errors) kept, dropping the
	// oldest; 0 keeps everything, which only a test should do.
	KeepJobs int
}

// Printer is a simulated printer. Its methods are safe for concurrent use.
type Printer struct {
	dialect printer.Dialect
	keep    int

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	script  []printer.State
	queries int
	last    printer.State // state chosen by the last query (ESC/POS DLE EOT 4 reuses it)
	labels  int
	conns   int // connections accepted, ever
	jobs    [][]byte
	cur     []byte
	errs    []error
	off     bool
	stall   bool
	rate    int
	next    time.Time // rate limit: when the next label may finish

	addr string
	ln   net.Listener
	open map[net.Conn]struct{}

	closed chan struct{}
	wg     sync.WaitGroup
}

// New makes a simulated printer with no transport: feed it a byte stream
// with Serve.
func New(d printer.Dialect, opts Options) (*Printer, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("fake printer: unknown dialect %q", d)
	}
	script := opts.Script
	if len(script) == 0 {
		script = []printer.State{Ready}
	}
	return &Printer{
		dialect: d, keep: max(opts.KeepJobs, 0), script: append([]printer.State(nil), script...),
		changed: make(chan struct{}), open: map[net.Conn]struct{}{}, closed: make(chan struct{}),
	}, nil
}

// Listen starts a simulated printer on a TCP address (its raw port, like
// port 9100 of a network printer); "127.0.0.1:0" picks a free port.
func Listen(addr string, d printer.Dialect, opts Options) (*Printer, error) {
	p, err := New(d, opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fake printer: listen: %w", err)
	}
	p.ln, p.addr = ln, ln.Addr().String()
	p.wg.Add(1)
	go p.accept(ln)
	return p, nil
}

// Addr is the TCP printer's host:port ("" without a listener).
func (p *Printer) Addr() string { return p.addr }

// Dialect is the printer's language.
func (p *Printer) Dialect() printer.Dialect { return p.dialect }

// Dial connects to the TCP printer: a dial function for printer.New.
func (p *Printer) Dial(ctx context.Context) (printer.Conn, error) {
	return printer.DialTCP(ctx, p.addr)
}

// SetState makes every later status query report s.
func (p *Printer) SetState(s printer.State) { p.SetScript([]printer.State{s}) }

// SetScript makes later status queries report script's states in turn; the last repeats.
func (p *Printer) SetScript(script []printer.State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(script) == 0 {
		script = []printer.State{Ready}
	}
	p.script, p.queries = append([]printer.State(nil), script...), 0
	p.notifyLocked()
}

// Off powers the printer off: a TCP printer closes its listener and
// connections so dials are refused; a stream given to Serve keeps being
// drained but is neither answered nor printed.
func (p *Printer) Off() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.off = true
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
		for c := range p.open {
			c.Close()
		}
	}
	p.notifyLocked()
}

// On powers the printer back on (same address).
func (p *Printer) On() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.off {
		return
	}
	p.off = false
	if p.addr != "" {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.errs = append(p.errs, fmt.Errorf("power on: %w", err))
		} else {
			p.ln = ln
			p.wg.Add(1)
			go p.accept(ln)
		}
	}
	p.notifyLocked()
}

// Stall makes the printer stop (true) or resume (false) reading: it accepts
// connections but never reads, so writers fill the buffers and block.
func (p *Printer) Stall(stall bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stall = stall
	p.notifyLocked()
}

// SetRate limits printing to n labels per second (0: unlimited). Like a real
// printer, it stops reading while a label prints, which pushes back on the
// sender.
func (p *Printer) SetRate(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = n
}

// Labels is how many labels have been printed.
func (p *Printer) Labels() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.labels
}

// Queries is how many status queries were answered or ignored.
func (p *Printer) Queries() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queries
}

// Jobs returns the raw bytes received, status queries removed, split into
// jobs at status queries and connection ends, oldest first (only the last
// Options.KeepJobs when that is set).
func (p *Printer) Jobs() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	jobs := append([][]byte(nil), p.jobs...)
	if len(p.cur) > 0 {
		jobs = append(jobs, append([]byte(nil), p.cur...))
	}
	return jobs
}

// Errors returns the framing errors seen (an ^XA without ^XZ, a truncated command…).
func (p *Printer) Errors() []error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]error(nil), p.errs...)
}

// WaitLabels waits until at least n labels have printed or timeout passes.
func (p *Printer) WaitLabels(n int, timeout time.Duration) error {
	if err := p.waitFor(func() bool { return p.labels >= n }, timeout); err != nil {
		return fmt.Errorf("fake printer: %d labels, want %d: %w", p.Labels(), n, err)
	}
	return nil
}

// WaitConnections waits until at least n TCP connections have been accepted
// or timeout passes.
func (p *Printer) WaitConnections(n int, timeout time.Duration) error {
	return p.waitFor(func() bool { return p.conns >= n }, timeout)
}

// waitFor waits until cond, run with the printer locked after every change,
// holds or timeout passes.
func (p *Printer) waitFor(cond func() bool, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		ok, ch := cond(), p.changed
		p.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return fmt.Errorf("fake printer: condition not met after %v", timeout)
		}
	}
}

func (p *Printer) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Close stops the printer: its listener and connections close, and Close
// waits for them to end. A stream given to Serve is the caller's to close.
func (p *Printer) Close() error {
	p.mu.Lock()
	select {
	case <-p.closed:
		p.mu.Unlock()
		return nil
	default:
	}
	close(p.closed)
	if p.ln != nil {
		p.ln.Close()
	}
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

func (p *Printer) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.off {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.open[c] = struct{}{}
		p.conns++
		p.notifyLocked()
		p.wg.Add(1)
		p.mu.Unlock()
		go func() {
			defer p.wg.Done()
			defer func() {
				p.mu.Lock()
				delete(p.open, c)
				p.mu.Unlock()
				c.Close()
			}()
			p.Serve(c)
		}()
	}
}

// Serve is the printer on one connection or line: it reads rw, parses,
// prints and answers until rw fails (the connection closes) or the printer
// is closed while pacing labels.
func (p *Printer) Serve(rw io.ReadWriter) {
	s := &stream{d: p.dialect}
	buf := make([]byte, 4096)
	for {
		if !p.waitUnstalled() {
			return
		}
		n, err := rw.Read(buf)
		if n > 0 {
			if !p.handle(rw, s.feed(buf[:n])) {
				return
			}
		}
		if err != nil {
			p.handle(rw, s.end())
			p.mu.Lock()
			p.flushJobLocked()
			p.notifyLocked()
			p.mu.Unlock()
			return
		}
	}
}

func (p *Printer) waitUnstalled() bool {
	for {
		p.mu.Lock()
		stall, ch := p.stall, p.changed
		p.mu.Unlock()
		if !stall {
			return true
		}
		select {
		case <-ch:
		case <-p.closed:
			return false
		}
	}
}

func (p *Printer) flushJobLocked() {
	if len(p.cur) > 0 {
		p.jobs = keepLast(append(p.jobs, p.cur), p.keep)
		p.cur = nil
	}
}

// keepLast drops the oldest of s beyond n (n = 0 keeps all), reusing s's
// array only while that does not pin what was dropped for long.
func keepLast[T any](s []T, n int) []T {
	if n <= 0 || len(s) <= n {
		return s
	}
	if cap(s) > 2*n {
		return append(make([]T, 0, 2*n), s[len(s)-n:]...)
	}
	return s[len(s)-n:]
}

// handle applies parsed events; false means the printer is closing.
func (p *Printer) handle(w io.Writer, evs []event) bool {
	for _, ev := range evs {
		p.mu.Lock()
		if p.off { // powered off: the bytes go nowhere
			p.mu.Unlock()
			continue
		}
		switch ev.kind {
		case evData:
			p.cur = append(p.cur, ev.data...)
		case evError:
			p.errs = keepLast(append(p.errs, ev.err), p.keep)
		case evStatus:
			p.flushJobLocked()
			st := p.last
			if ev.n == HQES {
				p.mu.Unlock()
				if st.Online {
					w.Write(EncodeHQES(st))
				}
				continue
			}
			if p.dialect != printer.ESCPOS || ev.n != 4 {
				st = p.script[min(p.queries, len(p.script)-1)]
				p.queries++
				p.last = st
			}
			p.notifyLocked()
			p.mu.Unlock()
			if st.Online {
				w.Write(EncodeStatus(p.dialect, st, ev.n))
			}
			continue
		case evLabels:
			for range ev.n {
				wait := p.reserveLocked()
				p.mu.Unlock()
				if wait > 0 {
					t := time.NewTimer(wait)
					select {
					case <-t.C:
					case <-p.closed:
						t.Stop()
						return false
					}
				}
				p.mu.Lock()
				p.labels++
				p.notifyLocked()
			}
		}
		p.mu.Unlock()
	}
	return true
}

// reserveLocked books the next label slot under the rate limit and returns
// how long until it finishes printing.
func (p *Printer) reserveLocked() time.Duration {
	if p.rate <= 0 {
		return 0
	}
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	p.next = p.next.Add(time.Second / time.Duration(p.rate))
	return p.next.Sub(now)
}

// EncodeStatus is the reply a printer of dialect d in state st gives to a
// status query (for ESC/POS, to DLE EOT n). Paused and RibbonOut have no
// ESC/POS encoding; Printing has none in ESC/POS either. EPL2 reports
// paper and ribbon out with one code (07).
func EncodeStatus(d printer.Dialect, st printer.State, n int) []byte {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	switch d {
	case printer.ZPL:
		return fmt.Appendf(nil, "\x02030,%d,%d,1245,%03d,0,0,0,000,0,0,0\x03\r\n"+
			"\x02001,0,%d,%d,0,2,4,0,%08d,1,000\x03\r\n"+
			"\x021234,0\x03\r\n",
			b(st.PaperOut), b(st.Paused), b(st.Printing), b(st.HeadOpen), b(st.RibbonOut), b(st.Printing))
	case printer.TSPL:
		return []byte{byte(b(st.HeadOpen) | b(st.PaperOut)<<2 | b(st.RibbonOut)<<3 | b(st.Paused)<<4 | b(st.Printing)<<5)}
	case printer.ESCPOS:
		r := byte(0x12)
		switch n {
		case 1:
			if st.HeadOpen || st.PaperOut {
				r |= 0x08 // offline
			}
		case 2:
			if st.HeadOpen {
				r |= 0x04
			}
			if st.PaperOut {
				r |= 0x20
			}
		case 4:
			if st.PaperOut {
				r |= 0x6c
			}
		}
		return []byte{r}
	case printer.EPL2:
		var codes []byte
		for _, c := range []struct {
			on   bool
			code string
		}{{st.PaperOut || st.RibbonOut, "07"}, {st.HeadOpen, "11"}, {st.Paused, "12"}, {st.Printing, "50"}} {
			if c.on {
				if len(codes) > 0 {
					codes = append(codes, ',')
				}
				codes = append(codes, c.code...)
			}
		}
		if len(codes) == 0 {
			codes = []byte("00")
		}
		return append(codes, '\r', '\n')
	}
	return nil
}

// HQES marks a ZPL ~HQES query among the printer's status events.
const HQES = -1

// EncodeHQES is a ZPL ~HQES reply for st: the error flags media out (1),
// ribbon out (2), head open (4), and any State.Error as cutter fault (8).
func EncodeHQES(st printer.State) []byte {
	var flags uint32
	if st.PaperOut {
		flags |= 0x1
	}
	if st.RibbonOut {
		flags |= 0x2
	}
	if st.HeadOpen {
		flags |= 0x4
	}
	if st.Error != "" {
		flags |= 0x8
	}
	present := 0
	if flags != 0 {
		present = 1
	}
	return fmt.Appendf(nil, "\x02\r\n  PRINTER STATUS\r\n   ERRORS:         %d 00000000 %08X\r\n   WARNINGS:       0 00000000 00000000\r\n\x03\r\n", present, flags)
}
