package scanner

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Addr is a wired scanner's address, parsed: which transport reaches it and
// where on that transport it is.
type Addr struct {
	// Scheme is the transport: serial (a tty by path), serial-usb (the
	// USB-serial port with VID:PID, looked up again on every open),
	// hid-pos or hid-keyboard (a USB HID scanner by VID:PID).
	Scheme string
	// Path is a serial address's device path.
	Path string
	// Baud is a serial address's ?baud=N; 0 when absent, and the profile's
	// baud is used.
	Baud int
	// VID and PID are a USB address's ids, four lowercase hex digits each.
	VID, PID string
	// Serial is ?serial=SN: the USB serial number that tells two scanners
	// of one model apart.
	Serial string
}

var usbIDPattern = regexp.MustCompile(`^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$`)

// ParseAddress parses a scanner address:
//
//	serial:///dev/serial/by-id/…?baud=N
//	serial-usb://05e0:1900?serial=SN
//	hid-pos://05e0:1300?serial=SN
//	hid-keyboard://05e0:1200?serial=SN
//
// Its errors quote the address and say what is wrong with it, for the site
// admin who wrote it; the configuration's checks show them as they are.
func ParseAddress(a string) (Addr, error) {
	if scheme, rest, ok := strings.Cut(a, "://"); ok && (scheme == "serial-usb" || scheme == "hid-pos" || scheme == "hid-keyboard") {
		// VID:PID is not a host and port: url.Parse would refuse a
		// product id with a hex letter in it (0b61) as a port.
		ids, query, _ := strings.Cut(rest, "?")
		q, err := url.ParseQuery(query)
		if err != nil {
			return Addr{}, fmt.Errorf("%q is not an address", a)
		}
		sa := Addr{Scheme: scheme, Serial: q.Get("serial")}
		m := usbIDPattern.FindStringSubmatch(ids)
		if m == nil {
			return sa, fmt.Errorf("%q: want %s://VID:PID with 4 hex digits each, e.g. %s://05e0:1200", a, scheme, scheme)
		}
		sa.VID, sa.PID = strings.ToLower(m[1]), strings.ToLower(m[2])
		return sa, nil
	}
	u, err := url.Parse(a)
	if err != nil {
		return Addr{}, fmt.Errorf("%q is not an address", a)
	}
	sa := Addr{Scheme: u.Scheme, Serial: u.Query().Get("serial")}
	switch u.Scheme {
	case "serial":
		if u.Path == "" {
			return sa, fmt.Errorf("%q has no device path", a)
		}
		sa.Path = u.Path
		if b := u.Query().Get("baud"); b != "" {
			if sa.Baud, err = strconv.Atoi(b); err != nil || sa.Baud <= 0 {
				return sa, fmt.Errorf("%q: baud is not a number", a)
			}
		}
		return sa, nil
	}
	return sa, fmt.Errorf("%q: want serial:///dev/ttyACM0, serial-usb://VID:PID, hid-pos://VID:PID or hid-keyboard://VID:PID", a)
}
