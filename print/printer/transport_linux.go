//go:build linux

package printer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/floorgate/floorgate/internal/serialline"
	"golang.org/x/sys/unix"
)

var _ Conn = (*serialline.Line)(nil)

// OpenSerial opens a printer on a serial line at baud, 8N1, no flow control,
// as a serialline.Line: its reads and writes both honour deadlines, so a
// stalled printer cannot hang the caller.
func OpenSerial(path string, baud int) (Conn, error) {
	l, err := serialline.Open(path, baud)
	if err != nil {
		return nil, fmt.Errorf("open serial printer: %w", err)
	}
	// A reply the printer sent after an earlier status query timed out may
	// still sit in the input queue; it must not be read as the next reply.
	if err := l.ResetInputBuffer(); err != nil {
		l.Close()
		return nil, fmt.Errorf("open serial %s: flush input: %w", path, err)
	}
	if err := l.SetDeadline(time.Time{}); err != nil {
		l.Close()
		return nil, fmt.Errorf("open serial %s: deadlines: %w", path, err)
	}
	return l, nil
}

// OpenUSBLP opens a USB printer class device (/dev/usb/lpN, Linux usblp
// driver). usblp implements poll, so the file joins the runtime poller and
// os.File.SetDeadline works. If the device does not support poll (SetDeadline
// reports os.ErrNoDeadline), the device is reopened non-blocking and every
// Read and Write waits with poll(2) for the remaining time until the deadline,
// on the calling goroutine: no helper goroutines, nothing left blocked after
// a timeout.
func OpenUSBLP(path string) (Conn, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open usblp: %w", err)
	}
	err = f.SetDeadline(time.Time{})
	if err == nil {
		return f, nil
	}
	f.Close()
	if !errors.Is(err, os.ErrNoDeadline) {
		return nil, fmt.Errorf("open usblp %s: %w", path, err)
	}
	return openPollFile(path)
}

// pollFile is the goroutine-free fallback for devices the runtime poller
// cannot watch.
type pollFile struct {
	fd       int
	path     string
	closed   atomic.Bool
	rd, wd   atomic.Int64 // deadlines, UnixNano; 0 = none
	pollStep time.Duration
}

var _ Conn = (*pollFile)(nil)

func openPollFile(path string) (*pollFile, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Close cannot wake poll(2), so waits are cut into steps that check for it.
	return &pollFile{fd: fd, path: path, pollStep: 100 * time.Millisecond}, nil
}

func (p *pollFile) SetDeadline(t time.Time) error {
	var n int64
	if !t.IsZero() {
		n = t.UnixNano()
	}
	p.rd.Store(n)
	p.wd.Store(n)
	return nil
}

// wait blocks until fd is ready for events or the deadline passes.
func (p *pollFile) wait(events int16, deadline int64) error {
	for {
		if p.closed.Load() {
			return os.ErrClosed
		}
		step := p.pollStep
		if deadline != 0 {
			left := time.Until(time.Unix(0, deadline))
			if left <= 0 {
				return os.ErrDeadlineExceeded
			}
			step = min(step, left)
		}
		ms := int((step + time.Millisecond - 1) / time.Millisecond)
		fds := []unix.PollFd{{Fd: int32(p.fd), Events: events}}
		n, err := unix.Poll(fds, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
}

func (p *pollFile) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if p.closed.Load() {
			return 0, &os.PathError{Op: "read", Path: p.path, Err: os.ErrClosed}
		}
		n, err := unix.Read(p.fd, b)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := p.wait(unix.POLLIN, p.rd.Load()); err != nil {
				return 0, &os.PathError{Op: "read", Path: p.path, Err: err}
			}
			continue
		case err != nil:
			return 0, &os.PathError{Op: "read", Path: p.path, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (p *pollFile) Write(b []byte) (int, error) {
	written := 0
	for written < len(b) {
		if p.closed.Load() {
			return written, &os.PathError{Op: "write", Path: p.path, Err: os.ErrClosed}
		}
		n, err := unix.Write(p.fd, b[written:])
		if n > 0 {
			written += n
		}
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			if err := p.wait(unix.POLLOUT, p.wd.Load()); err != nil {
				return written, &os.PathError{Op: "write", Path: p.path, Err: err}
			}
		case err != nil:
			return written, &os.PathError{Op: "write", Path: p.path, Err: err}
		}
	}
	return written, nil
}

func (p *pollFile) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	return unix.Close(p.fd)
}
