package usb_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/usb"
)

// key builds a boot keyboard report: modifiers, reserved, up to six keys.
func key(mod byte, keys ...byte) []byte {
	r := make([]byte, 8)
	r[0] = mod
	copy(r[2:], keys)
	return r
}

// Modifier bytes and usages the tests type.
const (
	lShift, rShift, lCtrl, rCtrl = 0x02, 0x20, 0x01, 0x10
	kEnter, kKeypadEnter         = 0x28, 0x58
)

var up = key(0)

// tap presses and releases each usage under mod.
func tap(mod byte, usages ...byte) [][]byte {
	var rs [][]byte
	for _, u := range usages {
		rs = append(rs, key(mod, u), up)
	}
	return rs
}

func seq(parts ...[][]byte) [][]byte {
	var rs [][]byte
	for _, p := range parts {
		rs = append(rs, p...)
	}
	return rs
}

func usages(from, to byte) []byte {
	var us []byte
	for u := from; u <= to; u++ {
		us = append(us, u)
	}
	return us
}

func TestKeyboardDecoder(t *testing.T) {
	enter := tap(0, kEnter)
	long := tap(0, 0x04)
	for range usb.MaxDecode {
		long = append(long, key(0, 0x05), up)
	}
	long = append(long, seq(tap(0, 0x06), enter, tap(0, 0x1e), enter)...)
	longErrs := make([]error, len(long))
	longErrs[2*usb.MaxDecode] = usb.ErrDecodeTooLong

	tests := []struct {
		name    string
		gap     time.Duration
		reports [][]byte
		times   []int // ms since the first report, one per report; 8 ms apart when nil
		want    []scanner.Scan
		errs    []error
	}{
		{
			name:    "letters and digits",
			reports: seq(tap(0, usages(0x04, 0x27)...), enter),
			want:    []scanner.Scan{{Data: "abcdefghijklmnopqrstuvwxyz1234567890"}},
		},
		{
			name:    "left shift",
			reports: seq(tap(lShift, usages(0x04, 0x27)...), enter),
			want:    []scanner.Scan{{Data: "ABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()"}},
		},
		{
			name:    "right shift",
			reports: seq(tap(rShift, 0x16, 0x11, 0x2d), enter),
			want:    []scanner.Scan{{Data: "SN_"}},
		},
		{
			name:    "punctuation",
			reports: seq(tap(0, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x2b), enter),
			want:    []scanner.Scan{{Data: " -=[]\\;'`,./\t"}},
		},
		{
			name:    "shifted punctuation",
			reports: seq(tap(lShift, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38), enter),
			want:    []scanner.Scan{{Data: " _+{}|:\"~<>?"}},
		},
		{
			name:    "keypad, with or without shift, ended by keypad enter",
			reports: seq(tap(0, usages(0x54, 0x57)...), tap(0, usages(0x59, 0x63)...), tap(lShift, 0x59), tap(0, kKeypadEnter)),
			want:    []scanner.Scan{{Data: "/*-+1234567890.1"}},
		},
		{
			name:    "ctrl+] is GS, left or right ctrl",
			reports: seq(tap(0, 0x1e, 0x27), tap(lCtrl, 0x30), tap(0, 0x1f, 0x20), tap(rCtrl, 0x30), tap(0, 0x1f), enter),
			want:    []scanner.Scan{{Data: "10\x1d23\x1d2"}},
		},
		{
			name:    "aim typed at the start is split",
			reports: seq(tap(0, 0x30), tap(lShift, 0x08), tap(0, 0x27), tap(0, 0x21, 0x27, 0x27, 0x23), enter),
			want:    []scanner.Scan{{Data: "4006", AIM: "]E0", Symbology: "EAN-13"}},
		},
		{
			name:    "other ctrl keys are unknown and dropped",
			reports: seq(tap(0, 0x04), tap(lCtrl, 0x10), tap(0, 0x05), enter),
			want:    []scanner.Scan{{Data: "ab"}},
			errs:    []error{nil, nil, usb.ErrUnknownKey, nil, nil, nil, nil, nil},
		},
		{
			name:    "unknown usages are dropped, the line goes on",
			reports: seq(tap(0, 0x04), [][]byte{key(0, 0x3a, 0x05, 0x32)}, [][]byte{up}, enter),
			want:    []scanner.Scan{{Data: "ab"}},
			errs:    []error{nil, nil, usb.ErrUnknownKey, nil, nil, nil},
		},
		{
			name:    "a held key types once",
			reports: [][]byte{key(0, 0x04), key(0, 0x04), key(lShift, 0x04), up, key(0, 0x04), up, key(0, kEnter), key(0, kEnter), up},
			want:    []scanner.Scan{{Data: "aa"}},
		},
		{
			// Found by FuzzKeyboardDecoder: a corrupt report listing Enter
			// twice ended the line typed after the first.
			name:    "a key listed twice in one report is one press",
			reports: [][]byte{key(0, 0x04, 0x04, 0x05), up, key(0, kEnter, 0x06, kEnter), up, key(0, kEnter), up},
			want:    []scanner.Scan{{Data: "ab"}, {Data: "c"}},
		},
		{
			name:    "rollover: new keys in array order",
			reports: [][]byte{key(0, 0x05, 0x04), key(0, 0x04, 0x05, 0x06), key(0, 0x06), key(0, 0x07, 0x06, 0x08), up, key(0, kEnter)},
			want:    []scanner.Scan{{Data: "bacde"}},
		},
		{
			name:    "error rollover reports are ignored",
			reports: [][]byte{key(0, 0x04), key(0, 1, 1, 1, 1, 1, 1), key(0, 0x04, 0x05), key(0, 2, 2, 2, 2, 2, 2), key(0, 3, 3, 3, 3, 3, 3), up, key(0, kEnter)},
			want:    []scanner.Scan{{Data: "ab"}},
		},
		{
			name:    "modifier usages in the array are not keys",
			reports: [][]byte{key(lShift, 0xe1, 0x04), key(0, 0xe0), up, key(0, kEnter)},
			want:    []scanner.Scan{{Data: "A"}},
		},
		{
			name:    "enter without a line gives nothing",
			reports: seq(enter, tap(0, kKeypadEnter), tap(0, 0x30), tap(lShift, 0x06), tap(0, 0x1e), enter),
		},
		{
			name:    "two lines in one rollover report: the second on the next report",
			reports: [][]byte{key(0, 0x1b), up, key(0, kEnter, 0x1c, kKeypadEnter), up},
			want:    []scanner.Scan{{Data: "x"}, {Data: "y"}},
		},
		{
			name:    "reports of the wrong size are skipped, the line kept",
			reports: [][]byte{key(0, 0x04), up, {0x00, 0x00, 0x05}, append(key(0, 0x05), 0), key(0, 0x05), up, key(0, kEnter)},
			want:    []scanner.Scan{{Data: "ab"}},
			errs:    []error{nil, nil, usb.ErrReportLength, usb.ErrReportLength, nil, nil, nil},
		},
		{
			name:    "partial line dropped after the gap",
			reports: seq(tap(0, 0x04, 0x05), tap(0, 0x06), enter),
			times:   []int{0, 8, 16, 24, 225, 233, 241, 249},
			want:    []scanner.Scan{{Data: "c"}},
			errs:    []error{nil, nil, nil, nil, usb.ErrPartialDropped, nil, nil, nil},
		},
		{
			name:    "a pause of exactly the gap keeps the line",
			reports: seq(tap(0, 0x04, 0x05), tap(0, 0x06), enter),
			times:   []int{0, 8, 16, 24, 216, 224, 232, 240},
			want:    []scanner.Scan{{Data: "abc"}},
		},
		{
			name:    "gap set by the caller",
			gap:     50 * time.Millisecond,
			reports: seq(tap(0, 0x04), tap(0, 0x05), enter),
			times:   []int{0, 8, 60, 68, 76, 84},
			want:    []scanner.Scan{{Data: "b"}},
			errs:    []error{nil, nil, usb.ErrPartialDropped, nil, nil, nil},
		},
		{
			name:    "too long a line is dropped to its enter",
			reports: long,
			want:    []scanner.Scan{{Data: "1"}},
			errs:    longErrs,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := usb.KeyboardDecoder{Gap: tt.gap}
			var (
				got  []scanner.Scan
				errs []error
			)
			for i, r := range tt.reports {
				at := epoch.Add(time.Duration(i) * defaultStep)
				if tt.times != nil {
					at = epoch.Add(time.Duration(tt.times[i]) * time.Millisecond)
				}
				s, done, err := d.FeedAt(r, at)
				if done {
					got = append(got, s)
				}
				errs = append(errs, err)
			}
			assertErrs(t, errs, tt.errs)
			assertScans(t, got, tt.want)
		})
	}
}

func TestKeyboardErrorText(t *testing.T) {
	var d usb.KeyboardDecoder
	_, _, err := d.FeedAt(key(0, 0x3a, 0x04, 0x68), epoch)
	want := "keyboard report: usage 0x3a: unknown key usage\nkeyboard report: usage 0x68: unknown key usage"
	if err == nil || err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	_, _, err = d.FeedAt(key(lCtrl, 0x10), epoch)
	if want := "keyboard report: ctrl+usage 0x10: unknown key usage"; err == nil || err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

// TestKeyboardScanWithError checks that an unknown key in the report that
// ends a line does not cost the line.
func TestKeyboardScanWithError(t *testing.T) {
	var d usb.KeyboardDecoder
	d.FeedAt(key(0, 0x04), epoch)
	s, done, err := d.FeedAt(key(0, 0x04, 0x3a, kEnter), epoch)
	if !done || s != (scanner.Scan{Data: "a"}) || !errors.Is(err, usb.ErrUnknownKey) {
		t.Errorf("FeedAt = %+q, %v, %v; want a, true, %v", s, done, err, usb.ErrUnknownKey)
	}
}

func TestKeyboardFeedAndReset(t *testing.T) {
	var d usb.KeyboardDecoder
	for _, r := range seq(tap(0, 0x04, 0x05)) {
		if _, done, err := d.Feed(r); done || err != nil {
			t.Fatalf("Feed: done %v, err %v", done, err)
		}
	}
	d.Reset()
	var got []scanner.Scan
	for _, r := range seq(tap(0, 0x06), tap(0, kEnter)) {
		s, done, err := d.Feed(r)
		if err != nil {
			t.Fatalf("Feed: %v", err)
		}
		if done {
			got = append(got, s)
		}
	}
	assertScans(t, got, []scanner.Scan{{Data: "c"}})
}

func TestKeyboardGS1Dump(t *testing.T) {
	// The GS1 dump fed straight to the decoder, timed by the dump, gives
	// the same as through Run.
	var d usb.KeyboardDecoder
	var got []scanner.Scan
	for _, r := range readDump(t, "kbd-gs1.txt") {
		s, done, err := d.FeedAt(r.data, r.at)
		if err != nil {
			t.Errorf("line %d: %v", r.line, err)
		}
		if done {
			got = append(got, s)
		}
	}
	assertScans(t, got, []scanner.Scan{{Data: gs1128, AIM: "]C1", Symbology: "GS1-128"}})
	if !strings.Contains(got[0].Data, "\x1d") {
		t.Errorf("GS lost")
	}
}
