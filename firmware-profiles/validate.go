package profiles

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/floorgate/floorgate"
)

var (
	transportsByKind = map[string][]string{
		KindScanner: {"serial", "hid-pos", "hid-keyboard"},
		KindPrinter: {"tcp", "serial", "usb"},
		KindPDA:     {"websocket"},
	}
	scannerDialects = []string{"raw", "ssi", "honeywell", "newland", "hid-pos", "hid-keyboard"}
	// Dialects whose devices beep or flash on a host command, so the
	// verdict (not the decode) can drive the feedback.
	beepingDialects = []string{"ssi", "honeywell", "newland"}
	standardBauds   = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400}
	parities        = []string{"none", "odd", "even", "mark", "space"}
	flows           = []string{"none", "rts-cts", "xon-xoff", "dtr-dsr"}
	languages       = []string{"zpl", "tspl", "epl2", "escpos"}
	statusMethods   = []string{"zpl-hs", "zpl-hqes", "tspl-esc", "escpos-dle-eot", "none"}
)

type checker struct{ errs []*Error }

func (c *checker) add(field, format string, args ...any) {
	c.errs = append(c.errs, &Error{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (c *checker) oneOf(field, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		c.add(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

// hex checks a hex string and returns its bytes (nil when invalid).
func (c *checker) hex(field, s string, required bool) []byte {
	if strings.TrimSpace(s) == "" {
		if required {
			c.add(field, "required")
		}
		return nil
	}
	b, err := DecodeHex(s)
	if err != nil {
		c.add(field, "invalid hex %q", s)
		return nil
	}
	return b
}

func (c *checker) usbID(field string, id USBID, kind string) {
	for _, f := range []struct{ name, v string }{{"vid", id.VID}, {"pid", id.PID}} {
		if len(f.v) != 4 || !isHex(f.v) {
			c.add(field+"."+f.name, "%q is not exactly 4 hex digits", f.v)
		}
	}
	if id.Mode != "" {
		c.oneOf(field+".mode", id.Mode, transportsByKind[kind])
	}
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

func validate(p *Profile) []*Error {
	c := &checker{}
	if strings.TrimSpace(p.Model) == "" {
		c.add("model", "required")
	}
	allowedTransports, knownKind := transportsByKind[p.Kind]
	switch {
	case p.Kind == "":
		c.add("kind", "required")
	case !knownKind:
		c.add("kind", "%q is not one of scanner, printer, pda", p.Kind)
	}
	if len(p.Transports) == 0 {
		c.add("transports", "required")
	}
	if knownKind {
		for i, t := range p.Transports {
			c.oneOf(fmt.Sprintf("transports[%d]", i), t, allowedTransports)
		}
	}
	if p.USB != nil {
		c.usbID("usb", *p.USB, p.Kind)
	}
	for i, id := range p.USBIDs {
		c.usbID(fmt.Sprintf("usb_ids[%d]", i), id, p.Kind)
	}
	if s := p.Serial; s != nil {
		if !slices.Contains(standardBauds, s.Baud) {
			c.add("serial.baud", "%d is not a standard baud rate", s.Baud)
		}
		if s.DataBits != 7 && s.DataBits != 8 {
			c.add("serial.data_bits", "%d is not 7 or 8", s.DataBits)
		}
		c.oneOf("serial.parity", s.Parity, parities)
		if s.StopBits != 1 && s.StopBits != 2 {
			c.add("serial.stop_bits", "%d is not 1 or 2", s.StopBits)
		}
		c.oneOf("serial.flow", s.Flow, flows)
		c.hex("serial.probe", s.Probe, false)
		c.hex("serial.probe_reply", s.ProbeReply, false)
	} else if slices.Contains(p.Transports, "serial") {
		c.add("serial", "required when transports include serial")
	}
	if f := p.Framing; f != nil {
		c.hex("framing.prefix", f.Prefix, false)
		c.hex("framing.suffix", f.Suffix, false)
	}
	ssi := p.Dialect == "ssi"
	for i, s := range p.Init {
		field := fmt.Sprintf("init[%d]", i)
		if b := c.hex(field, s, true); b != nil && ssi {
			c.ssiFrame(field, b)
		}
	}

	switch p.Kind {
	case KindScanner:
		if p.Dialect == "" {
			c.add("dialect", "required for scanners")
		} else {
			c.oneOf("dialect", p.Dialect, scannerDialects)
		}
		if slices.Contains(beepingDialects, p.Dialect) {
			f := p.Feedback
			if f == nil {
				c.add("feedback", "required for dialect %s (good, bad, warn)", p.Dialect)
				break
			}
			for _, x := range []struct{ name, v string }{{"good", f.Good}, {"bad", f.Bad}, {"warn", f.Warn}} {
				if b := c.hex("feedback."+x.name, x.v, true); b != nil && ssi {
					c.ssiFrame("feedback."+x.name, b)
				}
			}
			c.feedbackCodes(f.Codes, ssi)
		} else if f := p.Feedback; f != nil {
			c.hex("feedback.good", f.Good, false)
			c.hex("feedback.bad", f.Bad, false)
			c.hex("feedback.warn", f.Warn, false)
			c.feedbackCodes(f.Codes, ssi)
		}
	case KindPDA:
		if p.Optics == nil {
			c.add("optics", "required for pdas")
		} else if p.Optics.FocalPixels() <= 0 {
			c.add("optics", "needs focal_px, or image_width with hfov_deg, or image_width with focal_mm and sensor_width_mm")
		}
	case KindPrinter:
		if p.Printer == nil {
			c.add("printer", "required for printers")
			break
		}
		if p.Printer.Language == "" {
			c.add("printer.language", "required")
		} else {
			c.oneOf("printer.language", p.Printer.Language, languages)
		}
		if p.Printer.DPI <= 0 {
			c.add("printer.dpi", "required")
		}
		if p.Printer.Status != "" {
			c.oneOf("printer.status", p.Printer.Status, statusMethods)
		}
	}
	switch {
	case p.Distance == "":
	case p.Kind == KindScanner:
		// A wired scanner's decode (device/scanner.Scan) carries no
		// distance and no geometry: saying otherwise would file its scans
		// as unknown, a device that could have measured and did not.
		c.oneOf("distance", p.Distance, []string{DistanceNone})
	case p.Kind == KindPDA:
		c.oneOf("distance", p.Distance, []string{DistanceNone, DistanceMeasured, DistanceGeometry})
	default:
		c.add("distance", "only scanners and pdas scan")
	}
	if p.Kind != KindScanner && p.Dialect != "" {
		c.add("dialect", "only scanners have a dialect")
	}
	if p.Kind != KindPrinter && p.Printer != nil {
		c.add("printer", "only printers have a printer section")
	}
	return c.errs
}

// feedbackCodes checks per-verdict feedback: each key a verdict code
// floorgate gives, each value the dialect's command.
func (c *checker) feedbackCodes(codes map[string]string, ssi bool) {
	known := floorgate.Codes()
	for _, code := range slices.Sorted(maps.Keys(codes)) {
		field := "feedback.codes." + code
		if !slices.Contains(known, floorgate.Code(code)) {
			c.add(field, "%q is not a verdict code", code)
			continue
		}
		if b := c.hex(field, codes[code], true); b != nil && ssi {
			c.ssiFrame(field, b)
		}
	}
}

// ssiFrame checks one or more concatenated Zebra SSI packets: Len counts
// every byte but the two checksum bytes, and the checksum is the two's
// complement of the byte sum, big-endian (SSI Programmer's Guide, "Packet format").
func (c *checker) ssiFrame(field string, b []byte) {
	for n := 1; len(b) > 0; n++ {
		if b[0] < 4 || int(b[0])+2 > len(b) {
			c.add(field, "SSI frame %d: length byte 0x%02X does not fit the %d bytes left", n, b[0], len(b))
			return
		}
		f := b[:int(b[0])+2]
		want := SSIChecksum(f[:len(f)-2])
		got := uint16(f[len(f)-2])<<8 | uint16(f[len(f)-1])
		if got != want {
			c.add(field, "SSI frame %d: checksum %04X, want %04X", n, got, want)
		}
		b = b[len(f):]
	}
}

// SSIChecksum is the two's complement of the 16-bit sum of the bytes.
func SSIChecksum(b []byte) uint16 {
	var sum uint16
	for _, x := range b {
		sum += uint16(x)
	}
	return -sum
}
