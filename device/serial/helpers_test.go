package serial_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/floorgate/floorgate/device/serial"
	"github.com/floorgate/floorgate/device/serial/serialtest"
)

// wait bounds every wait on a condition; it is never slept.
const wait = 5 * time.Second

// openPty opens a pseudo-terminal and the driver's Port on its slave.
func openPty(t *testing.T) (serial.Port, *os.File) {
	t.Helper()
	master, path := serialtest.Pty(t)
	p, err := serial.Open(path, 9600)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p, master
}

type runner interface {
	Run(context.Context, func(serial.Scan)) error
}

// start runs d until the test ends, and makes sure Run has returned by then.
func start(t *testing.T, d runner) (scans <-chan serial.Scan, errc <-chan error, cancel func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sc := make(chan serial.Scan, 16)
	ec := make(chan error, 1)
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		ec <- d.Run(ctx, func(s serial.Scan) { sc <- s })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-returned:
		case <-time.After(wait):
			t.Errorf("Run did not return after cancel")
		}
	})
	return sc, ec, cancel
}

func done(t *testing.T, p *serialtest.Playback) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(wait):
		t.Fatalf("transcript not played to the end")
	}
}

func nextScan(t *testing.T, scans <-chan serial.Scan) serial.Scan {
	t.Helper()
	select {
	case s := <-scans:
		return s
	case <-time.After(wait):
		t.Fatalf("no scan delivered")
	}
	return serial.Scan{}
}

func noMoreScans(t *testing.T, scans <-chan serial.Scan) {
	t.Helper()
	select {
	case s := <-scans:
		t.Errorf("unexpected scan %+v", s)
	default:
	}
}

func hex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	var c, n int
	for _, r := range s {
		var v int
		switch {
		case r == ' ':
			continue
		case r >= '0' && r <= '9':
			v = int(r - '0')
		case r >= 'A' && r <= 'F':
			v = int(r-'A') + 10
		default:
			t.Fatalf("bad hex %q", s)
		}
		c = c<<4 | v
		n++
		if n == 2 {
			b = append(b, byte(c))
			c, n = 0, 0
		}
	}
	return b
}
