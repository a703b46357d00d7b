package sync

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	gosync "sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// gatedConn is the connection beneath a coalescingConn in tests: it counts
// the writes and the write deadline each was made under. With a gate, the
// first write waits until the gate is opened (or the connection closed);
// with fail set, every write fails with it.
type gatedConn struct {
	net.Conn
	gate    chan struct{} // nil: no gate
	entered chan struct{} // closed when the first write has started
	fail    error
	closed  chan struct{}
	once    gosync.Once

	mu        gosync.Mutex
	writes    int
	deadline  time.Time
	deadlines []time.Time // the write deadline in force at each write
}

func newGatedConn(c net.Conn, gated bool) *gatedConn {
	g := &gatedConn{Conn: c, entered: make(chan struct{}), closed: make(chan struct{})}
	if gated {
		g.gate = make(chan struct{})
	}
	return g
}

func (g *gatedConn) Write(p []byte) (int, error) {
	g.mu.Lock()
	g.writes++
	first := g.writes == 1
	g.deadlines = append(g.deadlines, g.deadline)
	g.mu.Unlock()
	if first {
		close(g.entered)
		if g.gate != nil {
			select {
			case <-g.gate:
			case <-g.closed:
				return 0, net.ErrClosed
			}
		}
	}
	if g.fail != nil {
		return 0, g.fail
	}
	return g.Conn.Write(p)
}

func (g *gatedConn) SetWriteDeadline(t time.Time) error {
	g.mu.Lock()
	g.deadline = t
	g.mu.Unlock()
	return g.Conn.SetWriteDeadline(t)
}

func (g *gatedConn) Close() error {
	g.once.Do(func() { close(g.closed) })
	return g.Conn.Close()
}

func (g *gatedConn) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.writes
}

// tcpPeer dials a real TCP peer on the loopback interface; everything the
// peer reads until the connection ends comes on the channel.
func tcpPeer(t *testing.T) (net.Conn, <-chan []byte) {
	t.Helper()
	c, s := tcpPair(t)
	got := make(chan []byte, 1)
	go func() {
		defer s.Close()
		b, _ := io.ReadAll(s)
		got <- b
	}()
	t.Cleanup(func() { c.Close() })
	return c, got
}

// tcpPair is the two ends of a real TCP connection on the loopback
// interface; the caller closes them.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c, s
}

// record is the n-th message of writer w: a header and a payload whose
// bytes tell where they belong.
func record(w, n, size int) []byte {
	b := make([]byte, 9+size)
	b[0] = byte(w)
	binary.BigEndian.PutUint32(b[1:], uint32(n))
	binary.BigEndian.PutUint32(b[5:], uint32(size))
	for i := range size {
		b[9+i] = byte(w*31 + n + i)
	}
	return b
}

// TestCoalescingConnKeepsOrder has writers write at once, with a buffer
// small enough that they wait for room, and checks that the peer gets
// every Write whole, each writer's in order.
func TestCoalescingConnKeepsOrder(t *testing.T) {
	for _, limit := range []int{4 << 10, maxCoalesced} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			raw, got := tcpPeer(t)
			under := newGatedConn(raw, false)
			c := newCoalescingConn(under, limit)
			const writers, each = 8, 400
			var wg gosync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := range each {
						if _, err := c.Write(record(w, n, (n*97+w*13)%6000)); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			b := <-got
			next := make([]int, writers)
			for len(b) > 0 {
				if len(b) < 9 {
					t.Fatalf("%d bytes left: not a record", len(b))
				}
				w, n, size := int(b[0]), int(binary.BigEndian.Uint32(b[1:])), int(binary.BigEndian.Uint32(b[5:]))
				if w >= writers || n != next[w] || len(b) < 9+size || !bytes.Equal(b[:9+size], record(w, n, size)) {
					t.Fatalf("writer %d's record %d is not whole or not next (want %d)", w, n, next[w])
				}
				next[w]++
				b = b[9+size:]
			}
			for w, n := range next {
				if n != each {
					t.Fatalf("writer %d: %d records arrived, want %d", w, n, each)
				}
			}
			if under.count() > writers*each {
				t.Fatalf("%d writes for %d Writes", under.count(), writers*each)
			}
		})
	}
}

// TestCoalescingConnCoalesces: while the flusher is inside a write, the
// Writes that follow accumulate and go in one write.
func TestCoalescingConnCoalesces(t *testing.T) {
	raw, got := tcpPeer(t)
	under := newGatedConn(raw, true)
	c := newCoalescingConn(under, maxCoalesced)
	want := []byte("first")
	if _, err := c.Write(want); err != nil {
		t.Fatal(err)
	}
	<-under.entered
	const more = 100
	for n := range more {
		r := record(0, n, n)
		want = append(want, r...)
		if _, err := c.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	close(under.gate)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("the peer got %d bytes, not the %d written", len(b), len(want))
	}
	if n := under.count(); n != 2 {
		t.Fatalf("%d Writes made %d writes, want 2", more+1, n)
	}
}

// TestCoalescingConnWriteError: a failed write is returned by the next
// Write and every later one, wakes a Write waiting for room, and ends the
// connection, so its reader learns of it too.
func TestCoalescingConnWriteError(t *testing.T) {
	raw, _ := tcpPeer(t)
	under := newGatedConn(raw, true)
	under.fail = errors.New("cable cut")
	c := newCoalescingConn(under, 16)
	waiting := make(chan struct{}, 1)
	c.waiting = func() { waiting <- struct{}{} }
	if _, err := c.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	<-under.entered
	if _, err := c.Write(make([]byte, 16)); err != nil {
		t.Fatalf("a Write while the flusher writes: %v", err)
	}
	blocked := make(chan error, 1)
	go func() {
		_, err := c.Write([]byte("b"))
		blocked <- err
	}()
	<-waiting
	read := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		read <- err
	}()
	close(under.gate)
	if err := <-blocked; !errors.Is(err, under.fail) {
		t.Fatalf("the waiting Write: %v, want %v", err, under.fail)
	}
	if _, err := c.Write([]byte("c")); !errors.Is(err, under.fail) {
		t.Fatalf("the next Write: %v, want %v", err, under.fail)
	}
	if err := <-read; err == nil {
		t.Fatal("a Read went on after a failed write")
	}
	<-c.done
	if err := c.Close(); err != nil {
		t.Fatalf("close after the failed write: %v", err)
	}
}

// TestCoalescingConnBounded: past its bound a Write waits until the
// flusher takes the buffer, or gives up at its write deadline.
func TestCoalescingConnBounded(t *testing.T) {
	raw, got := tcpPeer(t)
	under := newGatedConn(raw, true)
	const limit = 1024
	c := newCoalescingConn(under, limit)
	waiting := make(chan struct{}, 4)
	c.waiting = func() { waiting <- struct{}{} }
	want := []byte("x")
	if _, err := c.Write(want); err != nil {
		t.Fatal(err)
	}
	<-under.entered // the flusher holds "x"; the buffer is empty again
	full := bytes.Repeat([]byte("y"), limit)
	if _, err := c.Write(full); err != nil {
		t.Fatal(err)
	}
	want = append(want, full...)

	// A Write under a deadline gives up when it passes.
	if err := c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("late")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a Write past the bound and the deadline: %v", err)
	}
	<-waiting
	if err := c.SetWriteDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := c.Write([]byte("z"))
		done <- err
	}()
	<-waiting
	select {
	case err := <-done:
		t.Fatalf("a Write past the bound returned (%v) before the flusher took the buffer", err)
	default:
	}
	close(under.gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want = append(want, 'z')
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("the peer got %q…, %d bytes, not the %d written", b[:min(len(b), 8)], len(b), len(want))
	}
}

// TestCoalescingConnWriteDeadline: the flusher writes under the deadline
// that was in force when the bytes were written, though it was cleared
// since, as paho does after each packet.
func TestCoalescingConnWriteDeadline(t *testing.T) {
	raw, got := tcpPeer(t)
	under := newGatedConn(raw, true)
	c := newCoalescingConn(under, maxCoalesced)
	if _, err := c.Write([]byte("a")); err != nil { // no deadline
		t.Fatal(err)
	}
	<-under.entered
	due := time.Now().Add(time.Hour)
	for _, d := range []time.Time{due.Add(time.Minute), due, time.Time{}} {
		if err := c.SetWriteDeadline(d); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("b")); err != nil {
			t.Fatal(err)
		}
	}
	close(under.gate)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "abbb" {
		t.Fatalf("the peer got %q", b)
	}
	under.mu.Lock()
	defer under.mu.Unlock()
	if len(under.deadlines) != 2 || !under.deadlines[0].IsZero() || !under.deadlines[1].Equal(due) {
		t.Fatalf("writes were made under the deadlines %v, want none then %v", under.deadlines, due)
	}
}

// TestCoalescingConnClose: Close writes what was written before it, ends
// the flusher, wakes a waiting Write, and later Writes fail; a write the
// connection does not take ends when Close gives up on it.
func TestCoalescingConnClose(t *testing.T) {
	t.Run("flushes", func(t *testing.T) {
		raw, got := tcpPeer(t)
		c := newCoalescingConn(newGatedConn(raw, false), maxCoalesced)
		if _, err := c.Write([]byte("bye")); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-c.done:
		default:
			t.Fatal("the flusher goes on after Close")
		}
		if b := <-got; string(b) != "bye" {
			t.Fatalf("the peer got %q", b)
		}
		if _, err := c.Write([]byte("more")); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("a Write after Close: %v", err)
		}
		if err := c.Close(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("a second Close: %v", err)
		}
	})
	t.Run("stuck", func(t *testing.T) {
		raw, _ := tcpPeer(t)
		under := newGatedConn(raw, true) // never opened
		c := newCoalescingConn(under, 4)
		waiting := make(chan struct{}, 1)
		c.waiting = func() { waiting <- struct{}{} }
		if _, err := c.Write([]byte("abcd")); err != nil {
			t.Fatal(err)
		}
		<-under.entered
		if _, err := c.Write([]byte("efgh")); err != nil {
			t.Fatal(err)
		}
		blocked := make(chan error, 1)
		go func() {
			_, err := c.Write([]byte("ijkl"))
			blocked <- err
		}()
		<-waiting
		closed := make(chan error, 1)
		go func() { closed <- c.Close() }()
		if err := <-blocked; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("a waiting Write at Close: %v", err)
		}
		<-closed
		<-c.done
	})
}

// TestOpenConn opens connections as paho's opener would and gathers their
// writes; a scheme it does not know is an error.
func TestOpenConn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		s, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer s.Close()
		b, _ := io.ReadAll(s)
		got <- b
	}()
	o := mqtt.NewClientOptions().SetConnectTimeout(2 * time.Second)
	c, err := openConn(&url.URL{Scheme: "tcp", Host: l.Addr().String()}, *o)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*coalescingConn); !ok {
		t.Fatalf("openConn gave a %T", c)
	}
	if _, err := c.Write([]byte("CONNECT")); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "CONNECT" {
		t.Fatalf("the broker's end got %q", b)
	}
	for _, scheme := range []string{"quic", "unix"} {
		if _, err := openConn(&url.URL{Scheme: scheme, Host: "127.0.0.1:1"}, *o); err == nil {
			t.Fatalf("scheme %s opened", scheme)
		}
	}
	// The gateway's clients open their connections so.
	g, err := New(Config{Brokers: []string{"tcp://127.0.0.1:1883"}, Site: "SZ-01", Gateway: "gw-1"}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts, err := g.options("test"); err != nil || opts.CustomOpenConnectionFn == nil {
		t.Fatalf("the gateway's client options do not open a coalescing connection (%v)", err)
	}
}

// readCounter counts the reads of the connection beneath.
type readCounter struct {
	net.Conn
	mu    gosync.Mutex
	reads int
}

func (r *readCounter) Read(p []byte) (int, error) {
	r.mu.Lock()
	r.reads++
	r.mu.Unlock()
	return r.Conn.Read(p)
}

// TestCoalescingConnBuffersReads: read a byte at a time, as paho reads a
// packet's fixed header, 100 PUBACKs that arrived together take one read
// of the connection, not three each, and come out intact.
func TestCoalescingConnBuffersReads(t *testing.T) {
	c, s := tcpPair(t)
	defer s.Close()
	var want []byte
	for id := range 100 {
		want = append(want, 0x40, 0x02, byte(id>>8), byte(id)) // PUBACK id
	}
	if _, err := s.Write(want); err != nil {
		t.Fatal(err)
	}
	rc := &readCounter{Conn: c}
	cc := newCoalescingConn(rc, maxCoalesced)
	defer cc.Close()
	got := make([]byte, 0, len(want))
	b := make([]byte, 1)
	for len(got) < len(want) {
		if _, err := io.ReadFull(cc, b); err != nil {
			t.Fatal(err)
		}
		got = append(got, b[0])
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the bytes read are not the bytes sent")
	}
	// The peer's one write may arrive in more than one segment.
	if rc.reads > 3 {
		t.Errorf("%d one-byte reads took %d reads of the connection, want a few", len(want), rc.reads)
	}
}

// TestBrokerAddrDefaultsThePort: a broker URL without a port is dialed on
// its scheme's port, by the gateway's link and by the doctor's probe
// alike (both dial through brokerAddr).
func TestBrokerAddrDefaultsThePort(t *testing.T) {
	for in, want := range map[string]string{
		"tcp://broker.example":      "broker.example:1883",
		"mqtt://broker.example":     "broker.example:1883",
		"ssl://broker.example":      "broker.example:8883",
		"tls://broker.example":      "broker.example:8883",
		"mqtts://broker.example":    "broker.example:8883",
		"ws://broker.example":       "broker.example:80",
		"wss://broker.example":      "broker.example:443",
		"tcp://broker.example:1884": "broker.example:1884",
		"ssl://[::1]":               "[::1]:8883",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := brokerAddr(u); got != want {
			t.Errorf("brokerAddr(%s) = %s, want %s", in, got, want)
		}
	}
}
