package broker

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// listener serves mochi from a socket that Start has already bound, so a bind
// error reaches Start's caller and Addr knows the real port before serving.
//
// It replaces mochi's TCP listener because that one cannot be waited for:
// mochi disconnects only the clients it has registered, so a connection
// still in its CONNECT handshake at Close keeps its goroutine until the
// client goes away, and it stops accepting for good on the first Accept
// error (EMFILE included). This one remembers every connection it hands out,
// closes them all on Close and waits for their goroutines.
type listener struct {
	nl   net.Listener
	log  *slog.Logger
	done chan struct{} // closed by Close

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup // Serve, and one per connection
}

var _ listeners.Listener = (*listener)(nil)

func newListener(nl net.Listener, log *slog.Logger) *listener {
	return &listener{
		nl:    nl,
		log:   log,
		done:  make(chan struct{}),
		conns: make(map[net.Conn]struct{}),
	}
}

func (l *listener) ID() string       { return "floorgate-tcp" }
func (l *listener) Address() string  { return l.nl.Addr().String() }
func (l *listener) Protocol() string { return "tcp" }

// Init does nothing: Start bound the socket already.
func (l *listener) Init(*slog.Logger) error { return nil }

// Serve accepts connections until Close and hands each to establish, which
// runs the MQTT session until the connection ends.
func (l *listener) Serve(establish listeners.EstablishFn) {
	if !l.add(nil) {
		return
	}
	defer l.wg.Done()

	backoff := time.Duration(0)
	for {
		conn, err := l.nl.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: keep serving the
			// clients already connected and try again shortly, as
			// net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			l.log.Warn("mqtt broker accept failed", "error", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-l.done:
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		backoff = 0

		if !l.add(conn) {
			_ = conn.Close()
			return
		}
		go func() {
			defer l.wg.Done()
			defer l.remove(conn)
			err := establish(l.ID(), conn)
			switch {
			case err == nil:
			case errors.Is(err, packets.ErrPacketTooLarge):
				// mochi drops the connection without a PUBACK, so a QoS 1
				// publisher that reconnects will send the same message
				// again: worth an operator's attention.
				l.log.Warn("mqtt client sent a packet over the size limit; disconnected", "remote", conn.RemoteAddr().String())
			default:
				// Clients dropping their TCP connection is routine on a
				// site (a PDA leaving Wi-Fi); mochi reports it as an error.
				l.log.Debug("mqtt connection ended", "remote", conn.RemoteAddr().String(), "error", err)
			}
		}()
	}
}

// add registers a goroutine (and its connection, if any) unless the listener
// is closed. Registering under the same lock that Close takes keeps wg.Add
// from racing wg.Wait.
func (l *listener) add(conn net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	if conn != nil {
		l.conns[conn] = struct{}{}
	}
	l.wg.Add(1)
	return true
}

func (l *listener) remove(conn net.Conn) {
	l.mu.Lock()
	delete(l.conns, conn)
	l.mu.Unlock()
	_ = conn.Close()
}

// Close stops accepting, lets mochi send its DISCONNECT to the registered
// clients, closes whatever connections remain and waits for every goroutine
// this listener started.
func (l *listener) Close(closeClients listeners.CloseFn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	close(l.done)
	l.mu.Unlock()

	if err := l.nl.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		l.log.Warn("mqtt broker close listener", "error", err)
	}
	closeClients(l.ID())

	l.mu.Lock()
	for conn := range l.conns {
		_ = conn.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}
