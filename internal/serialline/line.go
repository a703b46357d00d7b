package serialline

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	bugst "go.bug.st/serial"
)

// Line is an open serial line: see the package comment for why it keeps two
// descriptors. Reads, writes and deadlines are its *os.File's; scanners use
// it as device/serial's Port, printers as print/printer's Conn.
type Line struct {
	*os.File
	line bugst.Port
}

// Open opens the tty at path at baud, 8 data bits, no parity, one stop bit,
// raw mode and no flow control. It works on real UARTs, USB-CDC ports and
// pseudo-terminal slaves.
func Open(path string, baud int) (*Line, error) {
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
