package usb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/gousb"

	"github.com/floorgate/floorgate/device/scanner"
)

// A claimed endpoint is what a Scanner reads.
var _ Reports = (*gousb.InEndpoint)(nil)

// HID interface protocol of a boot keyboard (HID 1.11, section 4.3); 0 is
// no boot protocol.
const protocolKeyboard = 1

// OpenOptions says which device to open and how to read it.
type OpenOptions struct {
	// VID and PID are the USB vendor and product IDs (ParseID reads them
	// from hex, as lsusb prints them).
	VID, PID uint16
	// Mode is how the scanner is configured to send: ModePOS or
	// ModeKeyboard.
	Mode Mode
	// Serial, when set, picks the device with this serial number among
	// several with the same IDs. Without it the first on the lowest bus
	// and address is taken.
	Serial string
	// Gap is how long a keyboard line waits for its Enter; DefaultGap when
	// zero.
	Gap time.Duration
	// Log may be nil.
	Log *slog.Logger
}

// Info describes an attached USB device.
type Info struct {
	// VID and PID are the vendor and product IDs.
	VID, PID uint16
	// Bus and Address locate the device now; the address changes when
	// it is plugged in again.
	Bus, Address int
	// Manufacturer, Product and Serial are the device's string
	// descriptors; empty when the device has none or could not be opened
	// to read them (no permission on its device node).
	Manufacturer, Product, Serial string
	// HID is set when the device has a HID class interface.
	HID bool
}

// String returns "vid:pid at bus.address" and the product name if known.
func (i Info) String() string {
	s := fmt.Sprintf("%04x:%04x at %03d.%03d", i.VID, i.PID, i.Bus, i.Address)
	if i.Product != "" {
		s += " " + i.Product
	}
	return s
}

// Device is a HID scanner claimed through libusb. Its kernel driver
// (usbhid) is detached while it is open, so its keystrokes no longer reach
// the console.
type Device struct {
	info    Info
	usb     *gousb.Context
	dev     *gousb.Device
	cfg     *gousb.Config
	intf    *gousb.Interface
	scanner *Scanner

	mu       sync.Mutex
	closed   bool
	closeErr error
}

// ParseID reads a vendor or product ID written in hex, with or without a
// 0x prefix ("05e0", "0x05E0").
func ParseID(s string) (uint16, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X")
	v, err := strconv.ParseUint(t, 16, 16)
	if err != nil || t == "" {
		return 0, fmt.Errorf("parse usb id %q: want up to 4 hex digits", s)
	}
	return uint16(v), nil
}

// Open finds the device, detaches its kernel driver, claims its HID
// interface and readies its interrupt IN endpoint. Errors wrap ErrMode,
// ErrLibusb, ErrNotFound (naming vid:pid) or ErrNoInterface, or carry
// libusb's error (no permission on the device node, interface busy).
func Open(opts OpenOptions) (*Device, error) {
	id := fmt.Sprintf("%04x:%04x", opts.VID, opts.PID)
	if opts.Mode != ModePOS && opts.Mode != ModeKeyboard {
		return nil, fmt.Errorf("open usb %s: mode %q: %w", id, opts.Mode, ErrMode)
	}
	c, err := newContext()
	if err != nil {
		return nil, fmt.Errorf("open usb %s: %w", id, err)
	}
	d := &Device{usb: c}
	if err := d.open(opts); err != nil {
		d.Close()
		return nil, fmt.Errorf("open usb %s: %w", id, err)
	}
	return d, nil
}

func (d *Device) open(opts OpenOptions) error {
	matched := 0
	devs, err := d.usb.OpenDevices(func(desc *gousb.DeviceDesc) bool {
		ok := uint16(desc.Vendor) == opts.VID && uint16(desc.Product) == opts.PID
		if ok {
			matched++
		}
		return ok
	})
	slices.SortFunc(devs, func(a, b *gousb.Device) int {
		return cmp.Or(cmp.Compare(a.Desc.Bus, b.Desc.Bus), cmp.Compare(a.Desc.Address, b.Desc.Address))
	})
	for _, dev := range devs {
		if d.dev == nil && (opts.Serial == "" || serialOf(dev) == opts.Serial) {
			d.dev = dev
			continue
		}
		dev.Close()
	}
	switch {
	case d.dev != nil:
	case matched == 0 && err != nil:
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case matched == 0:
		return ErrNotFound
	case opts.Serial != "" && len(devs) > 0:
		return fmt.Errorf("serial %q: %w", opts.Serial, ErrNotFound)
	default:
		return fmt.Errorf("open device: %w", err)
	}
	d.info = infoOf(d.dev.Desc, d.dev)

	if err := d.dev.SetAutoDetach(true); err != nil {
		return fmt.Errorf("auto detach: %w", err)
	}
	cfgNum, err := d.dev.ActiveConfigNum()
	if err != nil {
		return fmt.Errorf("active config: %w", err)
	}
	desc, ok := d.dev.Desc.Configs[cfgNum]
	if !ok {
		return fmt.Errorf("active config %d not described: %w", cfgNum, ErrNoInterface)
	}
	pick, err := pickInterface(desc, opts.Mode)
	if err != nil {
		return err
	}
	if d.cfg, err = d.dev.Config(cfgNum); err != nil {
		return fmt.Errorf("config %d: %w", cfgNum, err)
	}
	if d.intf, err = d.cfg.Interface(pick.intf, pick.alt); err != nil {
		return fmt.Errorf("claim interface %d: %w", pick.intf, err)
	}
	ep, err := d.intf.InEndpoint(pick.endpoint)
	if err != nil {
		return fmt.Errorf("endpoint %d: %w", pick.endpoint, err)
	}
	d.scanner, err = NewScanner(ep, opts.Log, ScannerConfig{Mode: opts.Mode, ReportSize: pick.maxPacket, Gap: opts.Gap})
	return err
}

// Info describes the opened device.
func (d *Device) Info() Info { return d.info }

// Run delivers each decode to deliver until ctx ends (returning ctx.Err())
// or the device fails (unplugged), as Scanner.Run. Cancel ctx and wait for
// Run to return before Close.
func (d *Device) Run(ctx context.Context, deliver func(scanner.Scan)) error {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return fmt.Errorf("run usb %s: %w", d.info, ErrClosed)
	}
	return d.scanner.Run(ctx, deliver)
}

// Close releases the interface (its kernel driver is reattached), the
// configuration, the device and the libusb context, once; later calls
// return the first call's result.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return d.closeErr
	}
	d.closed = true
	var errs []error
	if d.intf != nil {
		d.intf.Close()
	}
	if d.cfg != nil {
		errs = append(errs, d.cfg.Close())
	}
	if d.dev != nil {
		errs = append(errs, d.dev.Close())
	}
	if d.usb != nil {
		errs = append(errs, d.usb.Close())
	}
	if err := errors.Join(errs...); err != nil {
		d.closeErr = fmt.Errorf("close usb %s: %w", d.info, err)
	}
	return d.closeErr
}

// List enumerates the attached USB devices, sorted by bus and address,
// without claiming any. Each is opened briefly to read its strings; a
// device that cannot be opened is listed without them.
func List() ([]Info, error) {
	c, err := newContext()
	if err != nil {
		return nil, fmt.Errorf("list usb: %w", err)
	}
	defer c.Close()

	var infos []Info
	seen := map[*gousb.DeviceDesc]int{}
	devs, err := c.OpenDevices(func(desc *gousb.DeviceDesc) bool {
		seen[desc] = len(infos)
		infos = append(infos, infoOf(desc, nil))
		return true
	})
	for _, dev := range devs {
		if i, ok := seen[dev.Desc]; ok {
			infos[i] = infoOf(dev.Desc, dev)
		}
		dev.Close()
	}
	if err != nil && len(infos) == 0 {
		return nil, fmt.Errorf("list usb: %w", err)
	}
	slices.SortFunc(infos, func(a, b Info) int {
		return cmp.Or(cmp.Compare(a.Bus, b.Bus), cmp.Compare(a.Address, b.Address))
	})
	return infos, nil
}

// newContext initialises libusb. gousb panics when libusb_init fails (no
// usbfs, no permission); that becomes an error wrapping ErrLibusb.
func newContext() (c *gousb.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrLibusb, r)
		}
	}()
	return gousb.NewContext(), nil
}

// infoOf describes a device from its descriptor, with its strings when dev
// is open.
func infoOf(desc *gousb.DeviceDesc, dev *gousb.Device) Info {
	i := Info{VID: uint16(desc.Vendor), PID: uint16(desc.Product), Bus: desc.Bus, Address: desc.Address}
	for _, cfg := range desc.Configs {
		for _, intf := range cfg.Interfaces {
			for _, alt := range intf.AltSettings {
				i.HID = i.HID || alt.Class == gousb.ClassHID
			}
		}
	}
	if dev != nil {
		i.Manufacturer, _ = dev.Manufacturer()
		i.Product, _ = dev.Product()
		i.Serial = serialOf(dev)
	}
	return i
}

func serialOf(dev *gousb.Device) string {
	s, _ := dev.SerialNumber()
	return s
}

// hidPick is the interface setting and endpoint Open reads.
type hidPick struct {
	intf, alt, endpoint, maxPacket int
}

// pickInterface chooses, in a configuration, the HID interface setting the
// mode reads and its interrupt IN endpoint. Keyboard emulation needs the
// boot keyboard protocol; HID POS needs a HID interface without a boot
// protocol (composite scanners offer both). A scanner configured for the
// other mode has no such interface, and Open says so rather than read
// reports it cannot decode.
func pickInterface(cfg gousb.ConfigDesc, mode Mode) (hidPick, error) {
	want := gousb.Protocol(0)
	if mode == ModeKeyboard {
		want = protocolKeyboard
	}
	for _, intf := range cfg.Interfaces {
		for _, alt := range intf.AltSettings {
			if alt.Class != gousb.ClassHID || alt.Protocol != want {
				continue
			}
			if ep, ok := interruptIn(alt); ok {
				return hidPick{intf: alt.Number, alt: alt.Alternate, endpoint: ep.Number, maxPacket: ep.MaxPacketSize}, nil
			}
		}
	}
	return hidPick{}, fmt.Errorf("%s in config %d: %w", mode, cfg.Number, ErrNoInterface)
}

// interruptIn returns the setting's interrupt IN endpoint with the lowest
// number.
func interruptIn(alt gousb.InterfaceSetting) (gousb.EndpointDesc, bool) {
	var best gousb.EndpointDesc
	found := false
	for _, ep := range alt.Endpoints {
		if ep.Direction != gousb.EndpointDirectionIn || ep.TransferType != gousb.TransferTypeInterrupt {
			continue
		}
		if !found || ep.Number < best.Number {
			best, found = ep, true
		}
	}
	return best, found
}
