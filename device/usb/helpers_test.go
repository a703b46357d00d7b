package usb_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gousb"
)

// wait bounds every wait on a condition; it is never slept.
const wait = 5 * time.Second

// defaultStep is the time between two recorded reports when the dump does
// not say: the 8 ms poll interval of a full-speed HID interrupt endpoint.
const defaultStep = 8 * time.Millisecond

// epoch is the playback clock's start.
var epoch = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// report is one recorded input report and when it arrived.
type report struct {
	at   time.Time
	data []byte
	line int
}

// readDump reads a report dump from testdata. The format, one item a line:
//
//	# a comment                  ignored; also allowed after a report
//	02 1a 5d 43 31 30 …          one report, hex bytes separated by spaces
//	@+500                        the next report comes 500 ms after the
//	                             previous one (8 ms when not given)
//
// Blank lines are ignored. Dumps are what a scanner sent on its interrupt
// IN endpoint, report ID first, one read per line.
func readDump(t testing.TB, name string) []report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read dump: %v", err)
	}
	defer f.Close()
	var (
		out  []report
		at   = epoch
		step = defaultStep
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "@+"):
			ms, err := strconv.Atoi(line[2:])
			if err != nil || ms < 0 {
				t.Fatalf("%s:%d: bad time offset %q", name, n, line)
			}
			step = time.Duration(ms) * time.Millisecond
			continue
		}
		b, err := hex.DecodeString(strings.Join(strings.Fields(line), ""))
		if err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		at = at.Add(step)
		step = defaultStep
		out = append(out, report{at: at, data: b, line: n})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read dump %s: %v", name, err)
	}
	if len(out) == 0 {
		t.Fatalf("dump %s has no reports", name)
	}
	return out
}

// playback is a Reports source replaying a dump, one report per read, with
// a clock that shows each report's recorded time. It exists because there
// is no USB bus here. After the last report it returns end, like an
// endpoint whose device was unplugged, or blocks until the read's context
// ends when end is nil.
type playback struct {
	mu      sync.Mutex
	reports []report
	next    int
	now     time.Time
	end     error
}

func newPlayback(reports []report, end error) *playback {
	return &playback{reports: reports, now: epoch, end: end}
}

func (p *playback) ReadContext(ctx context.Context, b []byte) (int, error) {
	p.mu.Lock()
	if p.next < len(p.reports) {
		r := p.reports[p.next]
		p.next++
		p.now = r.at
		p.mu.Unlock()
		if len(r.data) > len(b) {
			// What libusb reports when a device sends more than asked.
			return 0, fmt.Errorf("line %d: %d-byte report into %d bytes: %w", r.line, len(r.data), len(b), gousb.TransferOverflow)
		}
		return copy(b, r.data), nil
	}
	p.mu.Unlock()
	if p.end != nil {
		return 0, p.end
	}
	<-ctx.Done()
	return 0, gousb.TransferCancelled
}

// Now is the playback clock: the time of the report read last.
func (p *playback) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

// left is how many reports were not read.
func (p *playback) left() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.reports) - p.next
}
