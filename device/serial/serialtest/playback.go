// Package serialtest plays a scripted serial device on the master side of a
// pseudo-terminal, for tests of code that talks to the slave side as if it
// were a real serial port. It is modelled on periph.io's conntest.Playback:
// a transcript of exact writes expected from the host and the replies the
// device sends, which fails the test on any difference and on any step
// left unused.
//
// It must only be imported by tests.
package serialtest

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/creack/pty"
)

// Step is one exchange of the transcript. The device waits for the host to
// write exactly Write (nothing, when Write is empty), then sends Reply (if
// any).
type Step struct {
	Write []byte
	Reply []byte
}

// Pty opens a pseudo-terminal and returns its master and the path of its
// slave. Both are closed when the test ends. The slave is kept open by the
// test too, so closing the port under test does not hang up the master.
func Pty(t testing.TB) (master *os.File, slavePath string) {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	// creack/pty leaves the master blocking, so Close would not wake a
	// Read on it; a non-blocking duplicate goes through the poller.
	fd, err := syscall.Dup(int(m.Fd()))
	m.Close()
	if err == nil {
		// dup does not carry close-on-exec: without it every process
		// the test starts would inherit the master, and closing it here
		// (an unplug) would no longer hang up the slave.
		syscall.CloseOnExec(fd)
		err = syscall.SetNonblock(fd, true)
	}
	if err != nil {
		s.Close()
		t.Fatalf("pty master: %v", err)
	}
	m = os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() {
		m.Close()
		s.Close()
	})
	return m, s.Name()
}

// Playback is a device playing a transcript on a pty master.
type Playback struct {
	t      testing.TB
	master *os.File
	steps  []Step

	mu   sync.Mutex
	next int // index of the step being played
	errs []error

	done     chan struct{} // closed when every step has been played
	finished chan struct{} // closed when the player goroutine returns
	closed   sync.Once
}

// Play starts playing steps on master. Start it after the host has opened
// the slave in raw mode, or the line discipline may echo or translate
// replies. When the test ends the master is closed and the test fails if a
// step was left unused, a write differed, or the host wrote more.
func Play(t testing.TB, master *os.File, steps ...Step) *Playback {
	t.Helper()
	p := &Playback{
		t:        t,
		master:   master,
		steps:    steps,
		done:     make(chan struct{}),
		finished: make(chan struct{}),
	}
	go p.run()
	t.Cleanup(p.close)
	return p
}

// Done is closed when every step has been played.
func (p *Playback) Done() <-chan struct{} { return p.done }

// Played is how many steps have been played so far.
func (p *Playback) Played() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next
}

func (p *Playback) fail(err error) {
	p.mu.Lock()
	p.errs = append(p.errs, err)
	p.mu.Unlock()
}

func (p *Playback) run() {
	defer close(p.finished)
	buf := make([]byte, 512)
	var got []byte
	for i, s := range p.steps {
		for len(got) < len(s.Write) {
			if !bytes.HasPrefix(s.Write, got) {
				break
			}
			n, err := p.master.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				if !bytes.HasPrefix(s.Write, got) || len(got) < len(s.Write) {
					p.fail(fmt.Errorf("step %d: want write % X, got % X before %v", i, s.Write, got, err))
				}
				return
			}
		}
		if len(got) < len(s.Write) || !bytes.Equal(got[:len(s.Write)], s.Write) {
			p.fail(fmt.Errorf("step %d: want write % X, got % X", i, s.Write, got))
			return
		}
		got = got[len(s.Write):]
		if len(s.Reply) > 0 {
			if _, err := p.master.Write(s.Reply); err != nil {
				p.fail(fmt.Errorf("step %d: reply: %v", i, err))
				return
			}
		}
		p.mu.Lock()
		p.next = i + 1
		p.mu.Unlock()
	}
	close(p.done)
	// Anything the host writes now is beyond the transcript.
	for {
		if len(got) > 0 {
			p.fail(fmt.Errorf("unexpected write after the last step: % X", got))
			got = nil
		}
		n, err := p.master.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			if len(got) > 0 {
				p.fail(fmt.Errorf("unexpected write after the last step: % X", got))
			}
			// The master was closed at cleanup (or every slave
			// descriptor was, EIO): nothing more can come.
			return
		}
	}
}

// Unplug ends the transcript now, as pulling the cable would: the master is
// closed, so the host's next read or write on the slave fails. Steps left
// unused and differences are reported as at the end of the test.
func (p *Playback) Unplug() { p.close() }

func (p *Playback) close() { p.closed.Do(p.finish) }

func (p *Playback) finish() {
	p.master.Close()
	<-p.finished
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, err := range p.errs {
		p.t.Errorf("serialtest: %v", err)
	}
	if p.next < len(p.steps) {
		p.t.Errorf("serialtest: %d of %d steps unused, first: write % X reply % X",
			len(p.steps)-p.next, len(p.steps), p.steps[p.next].Write, p.steps[p.next].Reply)
	}
}
