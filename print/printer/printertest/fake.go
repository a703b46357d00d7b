// Package printertest provides fake printers that are real endpoints — a TCP
// listener and a pseudo-terminal — for tests of code that prints. A fake is
// a fakeprinter.Printer (it parses what it receives the way a printer would,
// counting labels and checking framing, and answers status queries from a
// script of states the test can change at any time) that stops when the
// test ends. It must not be used outside tests.
package printertest

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/fakeprinter"
)

// Ready is the state of a printer with nothing wrong.
var Ready = fakeprinter.Ready

// HQES marks a ZPL ~HQES query among the fake's status events.
const HQES = fakeprinter.HQES

// EncodeStatus is the reply a printer of dialect d in state st gives to a
// status query (see fakeprinter.EncodeStatus).
func EncodeStatus(d printer.Dialect, st printer.State, n int) []byte {
	return fakeprinter.EncodeStatus(d, st, n)
}

// EncodeHQES is a ZPL ~HQES reply for st (see fakeprinter.EncodeHQES).
func EncodeHQES(st printer.State) []byte { return fakeprinter.EncodeHQES(st) }

// Fake is a fake printer for a test. Its methods are safe for concurrent use.
type Fake struct {
	*fakeprinter.Printer

	// PTY
	master, slave *os.File
	wg            sync.WaitGroup
}

func newFake(t testing.TB, d printer.Dialect, script []printer.State) *fakeprinter.Printer {
	t.Helper()
	p, err := fakeprinter.New(d, fakeprinter.Options{Script: script})
	if err != nil {
		t.Fatalf("printertest: %v", err)
	}
	return p
}

// StartTCP starts a fake printer listening on 127.0.0.1:0 (its raw port).
// script gives the state reported to successive status queries; the last
// one repeats. A state that is not Online is not answered at all. A nil
// script is Ready forever. The fake stops when the test ends.
func StartTCP(t testing.TB, d printer.Dialect, script []printer.State) *Fake {
	t.Helper()
	p, err := fakeprinter.Listen("127.0.0.1:0", d, fakeprinter.Options{Script: script})
	if err != nil {
		t.Fatalf("printertest: %v", err)
	}
	f := &Fake{Printer: p}
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
	p := newFake(t, d, script)
	m, s, err := pty.Open()
	if err != nil {
		t.Fatalf("printertest: open pty: %v", err)
	}
	if err := makeRaw(s); err != nil {
		m.Close()
		s.Close()
		t.Fatalf("printertest: raw pty: %v", err)
	}
	f := &Fake{Printer: p, master: m, slave: s}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		p.Serve(m)
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
	return f.Printer.Dial(ctx)
}

func (f *Fake) close() {
	f.Printer.Close()
	if f.master != nil {
		f.master.Close()
		f.slave.Close()
	}
	f.wg.Wait()
}
