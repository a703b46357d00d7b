package usb

import (
	"fmt"

	"github.com/floorgate/floorgate/device/scanner"
)

// POSReportID is the report ID of the HID POS scanned-data input report.
const POSReportID = 0x02

// MaxDecode bounds one assembled decode. The longest symbols (PDF417, QR
// version 40) hold under 3 KiB; anything longer is a broken stream.
const MaxDecode = 8192

// posHeader is report ID, length byte and three AIM bytes; the last byte of
// the report holds the continuation flag, so a report of n bytes carries at
// most n-6 data bytes.
const (
	posHeader   = 5
	posOverhead = posHeader + 1
)

// POSAssembler joins the scanned-data input reports of a HID POS scanner
// into decodes. A long decode spans several reports, each but the last
// with bit 0 of its last byte set. The zero value is ready to use; it is
// not safe for concurrent use.
type POSAssembler struct {
	buf        []byte
	aim        string
	started    bool // a report of the current decode has been taken
	discarding bool // the current decode overflowed; skip to its end
}

// Feed takes one input report as read from the interrupt endpoint (report
// ID first). When the report ends a decode, Feed returns it with done set.
//
// The AIM identifier comes from bytes 2–4 of the decode's first report.
// When those are zero (the scanner sends none) or not an AIM identifier,
// an identifier at the start of the data is split off instead.
//
// Errors wrap ErrReportID (the report is skipped and the decode in progress
// kept), ErrReportLength (the report is corrupt and the decode it belongs
// to dropped) or ErrDecodeTooLong (the decode is dropped, and its remaining
// reports are skipped). A Scan never comes with an error. A decode without
// data is skipped without error: there is nothing to deliver.
func (a *POSAssembler) Feed(report []byte) (scan scanner.Scan, done bool, err error) {
	if len(report) < posOverhead {
		a.Reset()
		return scanner.Scan{}, false, fmt.Errorf("hid pos report: %d bytes, need %d: %w", len(report), posOverhead, ErrReportLength)
	}
	if report[0] != POSReportID {
		return scanner.Scan{}, false, fmt.Errorf("hid pos report: id 0x%02x: %w", report[0], ErrReportID)
	}
	n, capacity := int(report[1]), len(report)-posOverhead
	if n > capacity {
		a.Reset()
		return scanner.Scan{}, false, fmt.Errorf("hid pos report: length %d, room for %d: %w", n, capacity, ErrReportLength)
	}
	more := report[len(report)-1]&0x01 != 0

	if a.discarding {
		if !more {
			a.Reset()
		}
		return scanner.Scan{}, false, nil
	}
	if !a.started {
		a.started = true
		a.aim = aimField(report[2:5])
	}
	if len(a.buf)+n > MaxDecode {
		size := len(a.buf) + n
		a.Reset()
		a.discarding = more
		return scanner.Scan{}, false, fmt.Errorf("hid pos report: decode of %d bytes or more: %w", size, ErrDecodeTooLong)
	}
	a.buf = append(a.buf, report[posHeader:posHeader+n]...)
	if more {
		return scanner.Scan{}, false, nil
	}

	data, aim := string(a.buf), a.aim
	a.Reset()
	if len(data) == 0 {
		return scanner.Scan{}, false, nil
	}
	// An AIM identifier from the header goes in front of the data so that
	// NewScan splits it and names the symbology the same way for every
	// transport.
	s := scanner.NewScan(aim+data, "")
	if s.Data == "" {
		return scanner.Scan{}, false, nil
	}
	return s, true, nil
}

// Reset drops a decode in progress, for instance after the device was
// reopened.
func (a *POSAssembler) Reset() {
	a.buf = a.buf[:0]
	a.aim = ""
	a.started = false
	a.discarding = false
}

// aimField returns the AIM identifier in the three header bytes, or "" when
// they are zero or do not form one.
func aimField(b []byte) string {
	aim, rest := scanner.SplitAIM(string(b))
	if rest != "" {
		return ""
	}
	return aim
}
