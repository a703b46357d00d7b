package gateway

import (
	"log/slog"
	"net"
	"sync"
	"time"
)

// perAddressListener closes connections from an address that already has
// max open: one laptop on the Wi-Fi cannot take every socket the gateway
// has and shut the floor out.
type perAddressListener struct {
	net.Listener
	max int
	log *slog.Logger

	mu      sync.Mutex
	open    map[string]int
	refused int
	warned  time.Time
}

func limitPerAddress(l net.Listener, max int, log *slog.Logger) net.Listener {
	if max <= 0 {
		return l
	}
	return &perAddressListener{Listener: l, max: max, log: log, open: map[string]int{}}
}

// Accept returns the next connection within its address's limit; over the
// limit, connections are closed at once and counted.
func (l *perAddressListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		l.mu.Lock()
		if l.open[host] >= l.max {
			l.refused++
			warn := time.Since(l.warned) > time.Minute
			if warn {
				l.warned = time.Now()
			}
			refused := l.refused
			l.mu.Unlock()
			c.Close()
			if warn {
				l.log.Warn("connections refused: too many from one address", "address", host, "max", l.max, "refused_total", refused)
			}
			continue
		}
		l.open[host]++
		l.mu.Unlock()
		return &countedConn{Conn: c, l: l, host: host}, nil
	}
}

type countedConn struct {
	net.Conn
	l    *perAddressListener
	host string
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		if c.l.open[c.host]--; c.l.open[c.host] <= 0 {
			delete(c.l.open, c.host)
		}
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
