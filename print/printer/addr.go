package printer

import (
	"fmt"
	"net/url"
	"strconv"
)

// ParseAddress splits a printer address into its transport and target:
//
//	tcp://host:9100          scheme tcp, target host:port
//	serial:///dev/ttyUSB0    scheme serial, target the device path (?baud=N
//	                         must be a number)
//	usblp:///dev/usb/lp0     scheme usblp, target the device path
//
// Its errors quote the address and say what is wrong with it, for the site
// admin who wrote it; the configuration's checks show them as they are.
func ParseAddress(a string) (scheme, target string, err error) {
	u, err := url.Parse(a)
	if err != nil {
		return "", "", fmt.Errorf("%q is not an address", a)
	}
	switch u.Scheme {
	case "tcp":
		if u.Host == "" {
			return "", "", fmt.Errorf("%q has no host", a)
		}
		return "tcp", u.Host, nil
	case "serial", "usblp":
		if u.Path == "" {
			return "", "", fmt.Errorf("%q has no device path", a)
		}
		if u.Scheme == "serial" && u.Query().Get("baud") != "" {
			if _, err := strconv.Atoi(u.Query().Get("baud")); err != nil {
				return "", "", fmt.Errorf("%q: baud is not a number", a)
			}
		}
		return u.Scheme, u.Path, nil
	}
	return "", "", fmt.Errorf("%q: want tcp://host:9100, serial:///dev/ttyUSB0 or usblp:///dev/usb/lp0", a)
}
