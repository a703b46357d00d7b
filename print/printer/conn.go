package printer

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"
)

// Conn is a byte stream to one printer. SetDeadline bounds both directions,
// so a printer that stops reading or answering ends in a timeout error
// (errors.Is(err, os.ErrDeadlineExceeded)) rather than a hang.
type Conn interface {
	io.ReadWriteCloser
	SetDeadline(t time.Time) error
}

var _ Conn = (*net.TCPConn)(nil)

// DefaultPort is the raw printing port ("JetDirect", "port 9100").
const DefaultPort = "9100"

// DialTCP connects to a network printer's raw port. addr is host:port; a bare
// host gets port 9100.
func DialTCP(ctx context.Context, addr string) (Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", withDefaultPort(addr))
	if err != nil {
		return nil, fmt.Errorf("dial tcp: %w", err)
	}
	return c.(*net.TCPConn), nil
}

// withDefaultPort gives a bare host the raw printing port.
func withDefaultPort(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return net.JoinHostPort(addr, DefaultPort)
	}
	return addr
}

// TCPDialer returns a dial function for New that connects to addr.
func TCPDialer(addr string) func(context.Context) (Conn, error) {
	return func(ctx context.Context) (Conn, error) { return DialTCP(ctx, addr) }
}
