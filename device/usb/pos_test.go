package usb_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/usb"
)

// posReport builds a HID POS scanned-data report of size bytes: id, the
// length byte n (len(data) when n < 0), three AIM bytes, data and the
// continuation flag in the last byte.
func posReport(size int, id byte, n int, aim, data string, more bool) []byte {
	r := make([]byte, size)
	r[0] = id
	if n < 0 {
		n = len(data)
	}
	r[1] = byte(n)
	copy(r[2:5], aim)
	copy(r[5:], data)
	if more {
		r[size-1] = 0x01
	}
	return r
}

func pos(aim, data string, more bool) []byte { return posReport(64, 0x02, -1, aim, data, more) }

// feedAll feeds reports in order and returns the scans and errors (nil for
// a report without error), one error per report.
func feedAll(t *testing.T, feed func([]byte) (scanner.Scan, bool, error), reports [][]byte) (scans []scanner.Scan, errs []error) {
	t.Helper()
	for i, r := range reports {
		s, done, err := feed(r)
		if done {
			if err != nil {
				t.Errorf("report %d: scan %+q came with error %v", i, s, err)
			}
			scans = append(scans, s)
		}
		errs = append(errs, err)
	}
	return scans, errs
}

func assertErrs(t *testing.T, got, want []error) {
	t.Helper()
	if len(want) == 0 {
		want = make([]error, len(got))
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i] == nil && got[i] != nil || !errors.Is(got[i], want[i]) {
			t.Errorf("report %d: err = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestPOSAssembler(t *testing.T) {
	long := strings.Repeat("0123456789", 6) // 60 bytes, more than 58
	full := strings.Repeat("Z", 58)
	many := make([][]byte, 0, 150)
	for range 142 { // 142 × 58 = 8236 bytes > MaxDecode
		many = append(many, pos("]L0", full, true))
	}
	many = append(many, pos("", "END", false), pos("]E0", ean13, false))
	manyErrs := make([]error, len(many))
	manyErrs[141] = usb.ErrDecodeTooLong

	tests := []struct {
		name    string
		reports [][]byte
		want    []scanner.Scan
		errs    []error
	}{
		{
			name:    "one report with aim",
			reports: [][]byte{pos("]E0", ean13, false)},
			want:    []scanner.Scan{{Data: ean13, AIM: "]E0", Symbology: "EAN-13"}},
		},
		{
			name:    "aim bytes zero, aim in data",
			reports: [][]byte{pos("", "]C1"+gs1128, false)},
			want:    []scanner.Scan{{Data: gs1128, AIM: "]C1", Symbology: "GS1-128"}},
		},
		{
			name:    "no aim anywhere",
			reports: [][]byte{pos("", "TOTE-17", false)},
			want:    []scanner.Scan{{Data: "TOTE-17"}},
		},
		{
			name:    "aim bytes not an aim identifier are ignored",
			reports: [][]byte{pos("E13", ean13, false)},
			want:    []scanner.Scan{{Data: ean13}},
		},
		{
			name:    "continuation: aim of the first report only",
			reports: [][]byte{pos("]d2", "0109506000134352", true), pos("", "17261231", true), pos("]Q3", "10LOT7", false)},
			want:    []scanner.Scan{{Data: "01095060001343521726123110LOT7", AIM: "]d2", Symbology: "GS1 DataMatrix"}},
		},
		{
			name:    "decodes one after another",
			reports: [][]byte{pos("]E0", ean13, false), pos("]E4", "96385074", false)},
			want:    []scanner.Scan{{Data: ean13, AIM: "]E0", Symbology: "EAN-13"}, {Data: "96385074", AIM: "]E4", Symbology: "EAN-8"}},
		},
		{
			name:    "length exactly the capacity",
			reports: [][]byte{pos("", full, false)},
			want:    []scanner.Scan{{Data: full}},
		},
		{
			name:    "smallest report carrying data",
			reports: [][]byte{posReport(7, 0x02, -1, "", "7", false)},
			want:    []scanner.Scan{{Data: "7"}},
		},
		{
			name:    "empty decode gives nothing",
			reports: [][]byte{posReport(6, 0x02, 0, "", "", false), pos("]C1", "", false)},
		},
		{
			name:    "short reports are corrupt",
			reports: [][]byte{{}, {0x02}, {0x02, 0x00, 0x00, 0x00, 0x00}},
			errs:    []error{usb.ErrReportLength, usb.ErrReportLength, usb.ErrReportLength},
		},
		{
			name:    "length byte beyond the report drops the decode",
			reports: [][]byte{pos("]C1", "AAA", true), posReport(64, 0x02, 59, "", "BBB", false), pos("", "CCC", false)},
			want:    []scanner.Scan{{Data: "CCC"}},
			errs:    []error{nil, usb.ErrReportLength, nil},
		},
		{
			name:    "length byte beyond a small report",
			reports: [][]byte{posReport(32, 0x02, 27, "]E0", ean13, false)},
			errs:    []error{usb.ErrReportLength},
		},
		{
			name:    "other report id is skipped, decode kept",
			reports: [][]byte{pos("]C1", "0109506000134352", true), posReport(64, 0x04, 1, "", "x", false), pos("", "10ABC", false)},
			want:    []scanner.Scan{{Data: "010950600013435210ABC", AIM: "]C1", Symbology: "GS1-128"}},
			errs:    []error{nil, usb.ErrReportID, nil},
		},
		{
			name:    "data over the length byte is not taken",
			reports: [][]byte{posReport(64, 0x02, 4, "]A0", long, false)},
			want:    []scanner.Scan{{Data: "0123", AIM: "]A0", Symbology: "Code 39"}},
		},
		{
			name:    "too long a decode is dropped to its last report",
			reports: many,
			want:    []scanner.Scan{{Data: ean13, AIM: "]E0", Symbology: "EAN-13"}},
			errs:    manyErrs,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a usb.POSAssembler
			got, errs := feedAll(t, a.Feed, tt.reports)
			assertErrs(t, errs, tt.errs)
			assertScans(t, got, tt.want)
		})
	}
}

func TestPOSAssemblerErrorText(t *testing.T) {
	var a usb.POSAssembler
	_, _, err := a.Feed(posReport(64, 0x02, 0xff, "", "", false))
	if want := "hid pos report: length 255, room for 58: bad report length"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	_, _, err = a.Feed(posReport(64, 0x01, 1, "", "", false))
	if want := "hid pos report: id 0x01: unexpected report id"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestPOSAssemblerReset(t *testing.T) {
	var a usb.POSAssembler
	if _, done, err := a.Feed(pos("]C1", "0109506000134352", true)); done || err != nil {
		t.Fatalf("first report: done %v, err %v", done, err)
	}
	a.Reset()
	s, done, err := a.Feed(pos("]E0", ean13, false))
	if !done || err != nil {
		t.Fatalf("after Reset: done %v, err %v", done, err)
	}
	assertScans(t, []scanner.Scan{s}, []scanner.Scan{{Data: ean13, AIM: "]E0", Symbology: "EAN-13"}})
}
