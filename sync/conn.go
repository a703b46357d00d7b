package sync

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	gosync "sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/net/proxy"
)

// maxCoalesced bounds the bytes a coalescingConn holds that its flusher
// has not taken yet: past it, Write waits.
const maxCoalesced = 1 << 20

// readBuffer is the buffer a coalescingConn reads through.
const readBuffer = 16 << 10

// closeFlushWait bounds how long Close waits for what was written before
// it (a DISCONNECT, say) to reach the connection before it closes it
// anyway.
const closeFlushWait = time.Second

// BrokerSchemes are the schemes a broker URL may have: plain TCP (tcp,
// mqtt), TLS (ssl, tls, mqtts), WebSocket (ws) and WebSocket over TLS
// (wss). Config.Validate refuses any other.
var BrokerSchemes = []string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}

// defaultPorts are the ports of the broker URL schemes, for a URL that
// names none (docs/mqtt-contract.md, the gateway's configuration).
var defaultPorts = map[string]string{"tcp": "1883", "mqtt": "1883", "ssl": "8883", "tls": "8883", "mqtts": "8883", "ws": "80", "wss": "443"}

// brokerAddr is the host:port a broker URL names: its own port, else its
// scheme's default.
func brokerAddr(u *url.URL) string {
	if u.Port() == "" {
		if p, ok := defaultPorts[u.Scheme]; ok {
			return net.JoinHostPort(u.Hostname(), p)
		}
	}
	return u.Host
}

// openConn opens the connection to broker for paho, as paho's own opener
// would for BrokerSchemes (the same TLS set-up, connect timeout and
// proxies from the environment), and gathers the client's writes: see
// coalescingConn.
// It is the ClientOptions' CustomOpenConnectionFn.
func openConn(broker *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	c, err := dial(broker, o)
	if err != nil {
		// No user info in the message: it may hold a password.
		return nil, fmt.Errorf("open %s://%s: %w", broker.Scheme, broker.Host, err)
	}
	return newCoalescingConn(c, maxCoalesced), nil
}

// dial opens the network connection broker names, without any MQTT.
func dial(broker *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	tlsc := o.TLSConfig
	if o.OnConnectAttempt != nil {
		tlsc = o.OnConnectAttempt(broker, tlsc)
	}
	dialer := o.Dialer
	if dialer == nil {
		dialer = &net.Dialer{Timeout: 30 * time.Second}
	}
	switch broker.Scheme {
	case "ws", "wss":
		// Gorilla's dialer refuses URLs with user info.
		u := *broker
		u.User = nil
		if broker.Scheme == "ws" {
			tlsc = nil
		}
		return mqtt.NewWebsocket(u.String(), tlsc, o.ConnectTimeout, o.HTTPHeaders, o.WebsocketOptions)
	case "tcp", "mqtt":
		return proxy.FromEnvironmentUsing(dialer).Dial("tcp", brokerAddr(broker))
	case "ssl", "tls", "mqtts":
		// Like paho, TLS goes through a proxy only when all_proxy is set.
		if os.Getenv("all_proxy") == "" {
			return tls.DialWithDialer(dialer, "tcp", brokerAddr(broker), tlsc)
		}
		raw, err := proxy.FromEnvironmentUsing(dialer).Dial("tcp", brokerAddr(broker))
		if err != nil {
			return nil, err
		}
		return handshake(raw, broker, tlsc, dialer.Timeout)
	}
	return nil, fmt.Errorf("scheme %q is not one of %s", broker.Scheme, strings.Join(BrokerSchemes, ", "))
}

// handshake makes raw, a connection through a proxy, a TLS client
// connection to broker within timeout (0 for none), checking the broker's
// host name as tls.Dial would.
func handshake(raw net.Conn, broker *url.URL, tlsc *tls.Config, timeout time.Duration) (net.Conn, error) {
	if tlsc == nil {
		tlsc = &tls.Config{}
	}
	if tlsc.ServerName == "" && !tlsc.InsecureSkipVerify {
		tlsc = tlsc.Clone()
		tlsc.ServerName = broker.Hostname()
	}
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	c := tls.Client(raw, tlsc)
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	return c, nil
}

// coalescingConn is a net.Conn whose writes are gathered into one write
// of the connection beneath: Write copies its bytes into a buffer and
// wakes a single flusher goroutine, which writes everything accumulated
// at once; while it is inside that write, further Writes accumulate for
// the next one. The bytes reach the connection in the order they were
// written, intact.
//
// Write returns before its bytes are on the wire: a failed write of the
// flusher is returned by the next Write (and every later one), and ends
// the connection beneath, so a reader blocked on it learns of it too — a
// stream with a failed write in it cannot be trusted any more. The buffer
// holds at most limit bytes the flusher has not taken (or one larger Write
// alone): past it, Write waits for the flusher, or for the write deadline.
//
// The flusher writes under the earliest write deadline that was in force
// when the bytes it writes were written, none if none was: paho sets a
// deadline just before it writes a packet and clears it just after.
// Reads go through a buffer: paho reads a packet's fixed header a byte at
// a time, so a PUBACK would otherwise cost three reads of the connection;
// through the buffer one read takes in every PUBACK that has arrived.
type coalescingConn struct {
	net.Conn
	limit int
	r     *bufio.Reader // the connection's reads; only paho's reader uses it

	mu       gosync.Mutex
	buf      []byte    // written, not yet taken by the flusher
	spare    []byte    // the flusher's last batch, emptied, for reuse
	deadline time.Time // the write deadline in force
	bufDue   time.Time // the earliest deadline of buf's bytes, zero for none
	err      error     // the first failed write; every Write returns it
	shut     bool      // the flusher closed the connection beneath after err
	closed   bool
	// room, made by the first Write that waits, is closed when waiting
	// Writes should look again.
	room chan struct{}

	wake chan struct{} // holds a token when the flusher has work
	done chan struct{} // closed when the flusher has ended

	// waiting, when set, is called when a Write starts waiting for room:
	// tests use it.
	waiting func()
}

// newCoalescingConn wraps c and starts its flusher; Close stops it.
func newCoalescingConn(c net.Conn, limit int) *coalescingConn {
	cc := &coalescingConn{Conn: c, limit: limit, r: bufio.NewReaderSize(c, readBuffer), wake: make(chan struct{}, 1), done: make(chan struct{})}
	go cc.flush()
	return cc
}

// Read reads from the connection through the buffer.
func (c *coalescingConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Write queues a copy of p for the flusher. It reports an error, and
// queues nothing, when an earlier write failed, the connection is closed,
// or the write deadline passes before there is room for p.
func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	for {
		if c.closed {
			c.mu.Unlock()
			return 0, fmt.Errorf("write: %w", net.ErrClosed)
		}
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return 0, err
		}
		dl := c.deadline
		if !dl.IsZero() && !time.Now().Before(dl) {
			c.mu.Unlock()
			return 0, fmt.Errorf("write: %w", os.ErrDeadlineExceeded)
		}
		if len(c.buf) == 0 || len(c.buf)+len(p) <= c.limit {
			break
		}
		if c.room == nil {
			c.room = make(chan struct{})
		}
		room := c.room
		c.mu.Unlock()
		if c.waiting != nil {
			c.waiting()
		}
		waitRoom(room, dl)
		c.mu.Lock()
	}
	c.buf = append(c.buf, p...)
	if !c.deadline.IsZero() && (c.bufDue.IsZero() || c.deadline.Before(c.bufDue)) {
		c.bufDue = c.deadline
	}
	c.mu.Unlock()
	c.kick()
	return len(p), nil
}

// waitRoom waits until room is closed or the deadline dl (zero for none)
// has passed.
func waitRoom(room <-chan struct{}, dl time.Time) {
	if dl.IsZero() {
		<-room
		return
	}
	t := time.NewTimer(time.Until(dl))
	defer t.Stop()
	select {
	case <-room:
	case <-t.C:
	}
}

// kick wakes the flusher.
func (c *coalescingConn) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// signalRoom wakes every waiting Write; c.mu is held.
func (c *coalescingConn) signalRoom() {
	if c.room != nil {
		close(c.room)
		c.room = nil
	}
}

// flush is the flusher: it writes what accumulated, in one write each
// time, until the connection is closed and all is written, or a write
// fails.
func (c *coalescingConn) flush() {
	defer close(c.done)
	var set time.Time // the write deadline the connection beneath has
	for {
		c.mu.Lock()
		for len(c.buf) == 0 && !c.closed {
			c.mu.Unlock()
			<-c.wake
			c.mu.Lock()
		}
		if len(c.buf) == 0 {
			c.mu.Unlock() // closed, all written
			return
		}
		out, due := c.buf, c.bufDue
		c.buf, c.spare, c.bufDue = c.spare[:0], nil, time.Time{}
		c.signalRoom()
		c.mu.Unlock()

		var err error
		if !due.Equal(set) {
			err = c.Conn.SetWriteDeadline(due)
			set = due
		}
		if err == nil {
			_, err = c.Conn.Write(out)
		}
		if err != nil {
			c.mu.Lock()
			c.err = fmt.Errorf("write: %w", err)
			c.buf, c.shut = nil, true
			c.signalRoom()
			c.mu.Unlock()
			c.Conn.Close()
			return
		}
		if cap(out) <= 4*c.limit {
			c.mu.Lock()
			c.spare = out[:0]
			c.mu.Unlock()
		}
	}
}

// Close stops the flusher and closes the connection. What was written
// before goes first, if the connection takes it within closeFlushWait.
// Waiting Writes return at once.
func (c *coalescingConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return fmt.Errorf("close: %w", net.ErrClosed)
	}
	c.closed = true
	c.signalRoom()
	c.mu.Unlock()
	c.kick()
	t := time.NewTimer(closeFlushWait)
	select {
	case <-c.done:
	case <-t.C:
	}
	t.Stop()
	err := c.Conn.Close() // ends a write that was taking too long
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shut {
		return nil // the flusher closed it when its write failed
	}
	return err
}

// SetDeadline sets the read deadline of the connection beneath, and the
// write deadline of the Writes that follow.
func (c *coalescingConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetWriteDeadline sets the write deadline of the Writes that follow: the
// flusher writes their bytes under it, and a Write waiting for room gives
// up when it passes.
func (c *coalescingConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("set write deadline: %w", net.ErrClosed)
	}
	c.deadline = t
	c.signalRoom() // waiting Writes look at the new deadline
	return nil
}
