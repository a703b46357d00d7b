//go:build !linux

package printer

import (
	"errors"
	"fmt"
)

// OpenSerial is implemented on Linux only: floorgate runs on Linux.
func OpenSerial(path string, baud int) (Conn, error) {
	return nil, fmt.Errorf("open serial %s: %w", path, errors.ErrUnsupported)
}

// OpenUSBLP is implemented on Linux only: /dev/usb/lpN is the Linux usblp driver.
func OpenUSBLP(path string) (Conn, error) {
	return nil, fmt.Errorf("open usblp %s: %w", path, errors.ErrUnsupported)
}
