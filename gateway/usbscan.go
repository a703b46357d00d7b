package gateway

import (
	"context"
	"log/slog"

	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/usb"
	profiles "github.com/floorgate/floorgate/firmware-profiles"
)

// openUSB opens a HID scanner (HID POS or keyboard emulation) by VID:PID,
// afresh on every call: after a replug it has a new bus address. HID
// scanners take no commands here, so they have no init sequence and the
// verdict is heard on the station's screen or PDA, not on the scanner.
func openUSB(sa scanner.Addr, _ *profiles.Profile, log *slog.Logger) func(context.Context) (scanner.Conn, error) {
	vid, _ := usb.ParseID(sa.VID) // validated with the config
	pid, _ := usb.ParseID(sa.PID)
	return func(context.Context) (scanner.Conn, error) {
		return usb.Open(usb.OpenOptions{VID: vid, PID: pid, Mode: usb.Mode(sa.Scheme), Serial: sa.Serial, Log: log})
	}
}
