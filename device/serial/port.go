package serial

import (
	"io"
	"time"

	"github.com/floorgate/floorgate/internal/serialline"
)

// Port is a serial line as the drivers use it: bytes in and out, and a read
// deadline so Run can stop without closing the port.
type Port interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
}

var _ Port = (*serialline.Line)(nil)

// Open opens the tty at path as a scanner's Port: a serialline.Line at baud,
// 8N1, raw mode, no flow control, whose reads honour deadlines and wake on
// Close.
func Open(path string, baud int) (Port, error) {
	l, err := serialline.Open(path, baud)
	if err != nil {
		return nil, err
	}
	return l, nil
}
