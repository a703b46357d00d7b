package serial

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// defaultGap is how long a partial frame may wait for its next byte before
// it is dropped. Scanners send a read in one burst; at 9600 baud a byte
// takes about 1 ms, so a 200 ms silence mid-frame means the rest is lost.
const defaultGap = 200 * time.Millisecond

// maxFrame bounds what is buffered while waiting for a terminator.
const maxFrame = 8192

// readLoop reads port until ctx ends or the port fails. feed is given each
// chunk read and reports whether a partial frame is still buffered; if so and
// nothing more arrives within gap, expire is called to drop it.
//
// Cancelling ctx moves the read deadline into the past instead of closing
// the port: the port belongs to the caller.
func readLoop(ctx context.Context, p Port, gap time.Duration, feed func([]byte) (partial bool, err error), expire func()) error {
	var (
		mu      sync.Mutex
		stopped bool
	)
	setDeadline := func(t time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			p.SetReadDeadline(t)
		}
	}
	setDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		p.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()

	buf := make([]byte, 512)
	partial := false
	for {
		n, err := p.Read(buf)
		if n > 0 {
			var ferr error
			partial, ferr = feed(buf[:n])
			if ferr != nil {
				return ferr
			}
			if partial {
				setDeadline(time.Now().Add(gap))
			} else {
				setDeadline(time.Time{})
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if partial {
				expire()
				partial = false
			}
			setDeadline(time.Time{})
			continue
		}
		return fmt.Errorf("read: %w", err)
	}
}

// writer serialises writes to a port shared by Run (acknowledgements) and
// command methods.
type writer struct {
	mu   sync.Mutex
	port Port
}

func (w *writer) write(b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.port.Write(b)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

func discardIfNil(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}

// splitter cuts a byte stream into frames ending with suffix and strips a
// configured prefix: the framing of Raw and Honeywell scanners.
type splitter struct {
	prefix, suffix []byte
	buf            []byte
}

func (s *splitter) next() (frame []byte, ok bool) {
	i := bytes.Index(s.buf, s.suffix)
	if i < 0 {
		return nil, false
	}
	frame = append([]byte(nil), s.buf[:i]...)
	s.buf = s.buf[i+len(s.suffix):]
	if len(s.prefix) > 0 && len(frame) >= len(s.prefix) && string(frame[:len(s.prefix)]) == string(s.prefix) {
		frame = frame[len(s.prefix):]
	}
	return frame, true
}

// run reads p through readLoop and delivers each non-empty frame, until ctx
// ends (returning ctx.Err()) or the port fails. reply, when set, is shown the
// buffer before each frame is cut: it returns how many leading bytes are a
// command reply it has taken (0: none, cut a frame), or wait when the buffer
// starts with a reply whose end has not arrived. name prefixes log messages.
func (s *splitter) run(ctx context.Context, p Port, gap time.Duration, log *slog.Logger, name string,
	reply func(buf []byte) (n int, wait bool), deliver func(Scan)) error {
	feed := func(b []byte) (bool, error) {
		s.buf = append(s.buf, b...)
		for {
			if reply != nil && len(s.buf) > 0 {
				n, wait := reply(s.buf)
				if wait {
					break
				}
				if n > 0 {
					s.buf = s.buf[n:]
					continue
				}
			}
			frame, ok := s.next()
			if !ok {
				break
			}
			if len(frame) > 0 {
				deliver(newScan(string(frame), ""))
			}
		}
		if len(s.buf) > maxFrame {
			log.Warn(name+": data without suffix dropped", "bytes", len(s.buf))
			s.buf = s.buf[:0]
		}
		return len(s.buf) > 0, nil
	}
	expire := func() {
		log.Warn(name+": partial read dropped: suffix never came", "bytes", len(s.buf))
		s.buf = s.buf[:0]
	}
	return readLoop(ctx, p, gap, feed, expire)
}
