// Package printertest provides fake printers that are real endpoints — a TCP
// listener and a pseudo-terminal — for tests of code that prints. A fake
// parses what it receives the way a printer would (counting labels, checking
// framing) and answers status queries from a script of states the test can
// change at any time. It must not be used outside tests.
package printertest

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/floorgate/floorgate/print/printer"
)

// Ready is the state of a printer with nothing wrong.
var Ready = printer.State{Online: true}

// Fake is a fake printer. Its methods are safe for concurrent use.
type Fake struct {
	t       testing.TB
	dialect printer.Dialect

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

	// TCP
	addr string
	ln   net.Listener
	open map[net.Conn]struct{}
	// PTY
	master, slave *os.File

	closed chan struct{}
	wg     sync.WaitGroup
}

func newFake(t testing.TB, d printer.Dialect, script []printer.State) *Fake {
	if !d.Valid() {
		t.Fatalf("printertest: unknown dialect %q", d)
	}
	if len(script) == 0 {
		script = []printer.State{Ready}
	}
	return &Fake{
		t: t, dialect: d, script: append([]printer.State(nil), script...),
		changed: make(chan struct{}), open: map[net.Conn]struct{}{}, closed: make(chan struct{}),
	}
}

// StartTCP starts a fake printer listening on 127.0.0.1:0 (its raw port).
// script gives the state reported to successive status queries; the last
// one repeats. A state that is not Online is not answered at all. A nil
// script is Ready forever. The fake stops when the test ends.
func StartTCP(t testing.TB, d printer.Dialect, script []printer.State) *Fake {
	t.Helper()
	f := newFake(t, d, script)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("printertest: listen: %v", err)
	}
	f.ln, f.addr = ln, ln.Addr().String()
	f.wg.Add(1)
	go f.accept(ln)
	t.Cleanup(f.close)
	return f
}

// StartPTY starts a fake serial printer on a pseudo-terminal: the fake reads
// the master side, the client opens Path (the slave) with printer.OpenSerial.
// The fake keeps its own slave descriptor open so the line stays up between
// client opens, and puts the line in raw mode so a client that opens it as a
// plain file (printer.OpenUSBLP) sees the bytes unchanged.
func StartPTY(t testing.TB, d printer.Dialect, script []printer.State) *Fake {
	t.Helper()
	f := newFake(t, d, script)
	m, s, err := pty.Open()
	if err != nil {
		t.Fatalf("printertest: open pty: %v", err)
	}
	if err := makeRaw(s); err != nil {
		m.Close()
		s.Close()
		t.Fatalf("printertest: raw pty: %v", err)
	}
	f.master, f.slave = m, s
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.serve(m)
	}()
	t.Cleanup(f.close)
	return f
}

func makeRaw(tty *os.File) error {
	rc, err := tty.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		tio, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ioErr = err
			return
		}
		tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		tio.Oflag &^= unix.OPOST
		tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		tio.Cflag &^= unix.CSIZE | unix.PARENB
		tio.Cflag |= unix.CS8
		tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
		ioErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, tio)
	})
	if err != nil {
		return err
	}
	return ioErr
}

// Addr is the TCP fake's host:port.
func (f *Fake) Addr() string { return f.addr }

// Path is the PTY fake's device path, to open with printer.OpenSerial.
func (f *Fake) Path() string {
	if f.slave == nil {
		return ""
	}
	return f.slave.Name()
}

// Dial connects to the fake over its transport: a dial function for printer.New.
func (f *Fake) Dial(ctx context.Context) (printer.Conn, error) {
	if f.slave != nil {
		return printer.OpenSerial(f.Path(), 9600)
	}
	return printer.DialTCP(ctx, f.addr)
}

// SetState makes every later status query report s.
func (f *Fake) SetState(s printer.State) { f.SetScript([]printer.State{s}) }

// SetScript makes later status queries report script's states in turn; the last repeats.
func (f *Fake) SetScript(script []printer.State) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(script) == 0 {
		script = []printer.State{Ready}
	}
	f.script, f.queries = append([]printer.State(nil), script...), 0
	f.notifyLocked()
}

// Off powers the printer off: the TCP fake closes its listener and
// connections so dials are refused; the PTY fake keeps draining the line but
// neither answers nor prints.
func (f *Fake) Off() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.off = true
	if f.ln != nil {
		f.ln.Close()
		f.ln = nil
		for c := range f.open {
			c.Close()
		}
	}
	f.notifyLocked()
}

// On powers the printer back on (same address).
func (f *Fake) On() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.off {
		return
	}
	f.off = false
	if f.addr != "" {
		ln, err := net.Listen("tcp", f.addr)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("power on: %w", err))
		} else {
			f.ln = ln
			f.wg.Add(1)
			go f.accept(ln)
		}
	}
	f.notifyLocked()
}

// Stall makes the printer stop (true) or resume (false) reading: it accepts
// connections but never reads, so writers fill the buffers and block.
func (f *Fake) Stall(stall bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stall = stall
	f.notifyLocked()
}

// SetRate limits printing to n labels per second (0: unlimited). Like a real
// printer, the fake stops reading while a label prints, which pushes back on
// the sender.
func (f *Fake) SetRate(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate = n
}

// Labels is how many labels have been printed.
func (f *Fake) Labels() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.labels
}

// Queries is how many status queries were answered or ignored.
func (f *Fake) Queries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries
}

// Jobs returns the raw bytes received, status queries removed, split into
// jobs at status queries and connection ends.
func (f *Fake) Jobs() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	jobs := append([][]byte(nil), f.jobs...)
	if len(f.cur) > 0 {
		jobs = append(jobs, append([]byte(nil), f.cur...))
	}
	return jobs
}

// Errors returns the framing errors seen (an ^XA without ^XZ, a truncated command…).
func (f *Fake) Errors() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.errs...)
}

// WaitLabels waits until at least n labels have printed or timeout passes.
func (f *Fake) WaitLabels(n int, timeout time.Duration) error {
	if err := f.waitFor(func() bool { return f.labels >= n }, timeout); err != nil {
		return fmt.Errorf("printertest: %d labels, want %d: %w", f.Labels(), n, err)
	}
	return nil
}

// WaitConnections waits until at least n TCP connections have been accepted
// or timeout passes.
func (f *Fake) WaitConnections(n int, timeout time.Duration) error {
	return f.waitFor(func() bool { return f.conns >= n }, timeout)
}

// waitFor waits until cond, run with the fake locked after every change,
// holds or timeout passes.
func (f *Fake) waitFor(cond func() bool, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		f.mu.Lock()
		ok, ch := cond(), f.changed
		f.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return fmt.Errorf("printertest: condition not met after %v", timeout)
		}
	}
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *Fake) close() {
	f.mu.Lock()
	select {
	case <-f.closed:
		f.mu.Unlock()
		return
	default:
	}
	close(f.closed)
	if f.ln != nil {
		f.ln.Close()
	}
	for c := range f.open {
		c.Close()
	}
	if f.master != nil {
		f.master.Close()
		f.slave.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *Fake) accept(ln net.Listener) {
	defer f.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		if f.off {
			f.mu.Unlock()
			c.Close()
			continue
		}
		f.open[c] = struct{}{}
		f.conns++
		f.notifyLocked()
		f.wg.Add(1)
		f.mu.Unlock()
		go func() {
			defer f.wg.Done()
			defer func() {
				f.mu.Lock()
				delete(f.open, c)
				f.mu.Unlock()
				c.Close()
			}()
			f.serve(c)
		}()
	}
}

// serve is one connection's (or the pty's) printer: read, parse, act.
func (f *Fake) serve(rw io.ReadWriter) {
	s := &stream{d: f.dialect}
	buf := make([]byte, 4096)
	for {
		if !f.waitUnstalled() {
			return
		}
		n, err := rw.Read(buf)
		if n > 0 {
			if !f.handle(rw, s.feed(buf[:n])) {
				return
			}
		}
		if err != nil {
			f.handle(rw, s.end())
			f.mu.Lock()
			f.flushJobLocked()
			f.notifyLocked()
			f.mu.Unlock()
			return
		}
	}
}

func (f *Fake) waitUnstalled() bool {
	for {
		f.mu.Lock()
		stall, ch := f.stall, f.changed
		f.mu.Unlock()
		if !stall {
			return true
		}
		select {
		case <-ch:
		case <-f.closed:
			return false
		}
	}
}

func (f *Fake) flushJobLocked() {
	if len(f.cur) > 0 {
		f.jobs = append(f.jobs, f.cur)
		f.cur = nil
	}
}

// handle applies parsed events; false means the fake is closing.
func (f *Fake) handle(w io.Writer, evs []event) bool {
	for _, ev := range evs {
		f.mu.Lock()
		if f.off { // powered off: the bytes go nowhere
			f.mu.Unlock()
			continue
		}
		switch ev.kind {
		case evData:
			f.cur = append(f.cur, ev.data...)
		case evError:
			f.errs = append(f.errs, ev.err)
		case evStatus:
			f.flushJobLocked()
			st := f.last
			if ev.n == HQES {
				f.mu.Unlock()
				if st.Online {
					w.Write(EncodeHQES(st))
				}
				continue
			}
			if f.dialect != printer.ESCPOS || ev.n != 4 {
				st = f.script[min(f.queries, len(f.script)-1)]
				f.queries++
				f.last = st
			}
			f.notifyLocked()
			f.mu.Unlock()
			if st.Online {
				w.Write(EncodeStatus(f.dialect, st, ev.n))
			}
			continue
		case evLabels:
			for range ev.n {
				wait := f.reserveLocked()
				f.mu.Unlock()
				if wait > 0 {
					t := time.NewTimer(wait)
					select {
					case <-t.C:
					case <-f.closed:
						t.Stop()
						return false
					}
				}
				f.mu.Lock()
				f.labels++
				f.notifyLocked()
			}
		}
		f.mu.Unlock()
	}
	return true
}

// reserveLocked books the next label slot under the rate limit and returns
// how long until it finishes printing.
func (f *Fake) reserveLocked() time.Duration {
	if f.rate <= 0 {
		return 0
	}
	now := time.Now()
	if f.next.Before(now) {
		f.next = now
	}
	f.next = f.next.Add(time.Second / time.Duration(f.rate))
	return f.next.Sub(now)
}

// EncodeStatus is the reply a printer of dialect d in state st gives to a
// status query (for ESC/POS, to DLE EOT n). Paused and RibbonOut have no
// ESC/POS encoding; Printing has none in ESC/POS either.
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
	}
	return nil
}

// HQES marks a ZPL ~HQES query among the fake's status events.
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
