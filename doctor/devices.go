package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/usb"
	"github.com/floorgate/floorgate/internal/serialline"
	"github.com/floorgate/floorgate/print/printer"
)

// devicesCheck checks that each configured serial, USB-serial, usblp and
// HID device is present and that this user may open it. An absent device
// is a WARN: it may just be unplugged, and the daemon picks it up later.
type devicesCheck struct{}

var _ Check = devicesCheck{}

func (devicesCheck) Name() string { return "devices" }

func (c devicesCheck) Run(ctx context.Context, s *Site) []Finding {
	var out []Finding
	// Enumerate only if a scanner needs it, and once.
	ports := sync.OnceValues(func() ([]serialline.PortInfo, error) { return within(ctx, serialline.Ports) })
	usbDevs := sync.OnceValues(func() ([]usb.Info, error) { return within(ctx, usb.List) })
	for _, p := range s.Config.Printers {
		if scheme, target, _ := printer.ParseAddress(p.Address); scheme == "serial" || scheme == "usblp" {
			out = append(out, openDevice(s, "device printer "+p.ID, target))
		}
	}
	for _, sc := range s.Config.Scanners {
		check := "device scanner " + sc.ID
		sa, _ := scanner.ParseAddress(sc.Address)
		switch sa.Scheme {
		case "serial":
			out = append(out, openDevice(s, check, sa.Path))
		case "serial-usb":
			list, err := ports()
			out = append(out, serialUSB(s, check, list, err, sa))
		case "hid-pos", "hid-keyboard":
			list, err := usbDevs()
			out = append(out, hidDevice(s, check, list, err, sa))
		}
	}
	if len(out) == 0 {
		out = append(out, passed(c.Name(), "no serial, usblp or USB devices configured"))
	}
	return out
}

// within runs f, giving up when ctx ends (f is left to finish on its
// own: enumeration calls into drivers cannot be interrupted).
func within[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() { v, err := f(); ch <- result{v, err} }()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// serialUSB finds a serial-usb:// scanner's port and checks it.
func serialUSB(s *Site, check string, ports []serialline.PortInfo, listErr error, sa scanner.Addr) Finding {
	if listErr != nil {
		return warned(check, "check that sysfs is mounted", "cannot list serial ports: %v", listErr)
	}
	path, err := serialline.Find(ports, sa.VID, sa.PID, sa.Serial)
	if errors.Is(err, serialline.ErrNotFound) {
		return warned(check, "plug it in; floorgate devices lists what is attached", "no serial port has USB id %s:%s (unplugged?)", sa.VID, sa.PID)
	}
	if err != nil {
		return failed(check, "add ?serial=SN to the address ("+s.configName()+"); floorgate devices shows serial numbers", "%v", err)
	}
	return openDevice(s, check, path)
}

// hidDevice finds a HID scanner on the USB bus and checks its device node.
func hidDevice(s *Site, check string, devs []usb.Info, listErr error, sa scanner.Addr) Finding {
	if listErr != nil {
		return warned(check, "check that /dev/bus/usb exists and libusb works (floorgate devices)", "cannot list USB devices: %v", listErr)
	}
	for _, u := range devs {
		if fmt.Sprintf("%04x", u.VID) != sa.VID || fmt.Sprintf("%04x", u.PID) != sa.PID || (sa.Serial != "" && u.Serial != sa.Serial) {
			continue
		}
		return openDevice(s, check, fmt.Sprintf("/dev/bus/usb/%03d/%03d", u.Bus, u.Address))
	}
	return warned(check, "plug it in; floorgate devices lists what is attached", "no USB device %s:%s attached (unplugged?)", sa.VID, sa.PID)
}

// openDevice opens a device node read-write without blocking and closes
// it at once: what the daemon will need, without talking to the device.
func openDevice(s *Site, check, path string) Finding {
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err == nil {
		f.Close()
		return passed(check, "%s opens read-write", path)
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		return warned(check, "plug it in, or correct the address in "+s.configName()+"; floorgate devices lists what is attached",
			"%s does not exist (unplugged?)", path)
	case errors.Is(err, os.ErrPermission):
		group := groupOf(path)
		return failed(check, fmt.Sprintf("add the floorgate user to the %s group (usermod -aG %s floorgate) and restart floorgate", group, group),
			"%s: permission denied for %s (group %s)", path, currentUser(), group)
	case errors.Is(err, syscall.EBUSY) && s.DaemonRunning:
		return passed(check, "%s is busy: held by the running daemon", path)
	case errors.Is(err, syscall.EBUSY):
		return failed(check, "stop the program holding it (fuser -v "+path+")", "%s is held by another program", path)
	}
	return failed(check, "check the device and its driver (dmesg)", "open %s: %v", path, err)
}
