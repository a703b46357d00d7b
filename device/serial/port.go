package serial

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	bugst "go.bug.st/serial"
)

// Port is a serial line as the drivers use it: bytes in and out, and a read
// deadline so Run can stop without closing the port.
type Port interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
}

var _ Port = (*Line)(nil)

// Line is an open serial line. It keeps two descriptors on one tty:
// go.bug.st/serial's handle, which set the line discipline (raw, 8N1, baud)
// and holds the exclusive lock, and an *os.File registered with the runtime
// poller, which is what reads and writes go through because only it honours
// deadlines (for writes too: the library's Write is a plain blocking
// write(2) that nothing wakes) and wakes a blocked Read on Close. Scanners
// use it as a Port; printers on a serial line use it as well.
type Line struct {
	*os.File
	line bugst.Port
}

// Open opens the tty at path as a scanner's Port: see OpenLine.
func Open(path string, baud int) (Port, error) { return OpenLine(path, baud) }

// OpenLine opens the tty at path at baud, 8 data bits, no parity, one stop
// bit, raw mode and no flow control. It works on real UARTs, USB-CDC ports
// and pseudo-terminal slaves.
func OpenLine(path string, baud int) (*Line, error) {
	// The os.File is opened first: go.bug.st/serial takes the tty's
	// exclusive lock (TIOCEXCL), which would refuse a second open.
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("serial port: %w", err) // the error names the path
	}
	line, err := bugst.Open(path, &bugst.Mode{
		BaudRate: baud,
		DataBits: 8,
		Parity:   bugst.NoParity,
		StopBits: bugst.OneStopBit,
	})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open %s: line settings: %w", path, err)
	}
	return &Line{File: f, line: line}, nil
}

// ResetInputBuffer drops what the line has received and nobody has read.
func (l *Line) ResetInputBuffer() error { return l.line.ResetInputBuffer() }

// Close closes both descriptors; a Read blocked on the line returns.
func (l *Line) Close() error {
	return errors.Join(l.File.Close(), l.line.Close())
}
