package usb

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/floorgate/floorgate/device/scanner"
)

// BootReportSize is the size of a boot keyboard input report: modifiers,
// a reserved byte and six key usages (HID 1.11, Appendix B.1).
const BootReportSize = 8

// DefaultGap is how long a keyboard line may wait for its Enter. A scanner
// types a whole decode in one burst, a few milliseconds per key, so a line
// silent for 200 ms has lost its end.
const DefaultGap = 200 * time.Millisecond

// Modifier bits of a boot keyboard report's first byte.
const (
	modCtrl  = 0x01 | 0x10 // left, right control
	modShift = 0x02 | 0x20 // left, right shift
)

// Usages with a meaning beyond a character (HID Usage Tables, page 0x07).
const (
	usageErrorRollOver = 0x01
	usageErrorUndef    = 0x03 // 0x02 POSTFail and 0x03 ErrorUndefined too
	usageEnter         = 0x28
	usageRightBracket  = 0x30 // with Ctrl: GS
	usageKeypadEnter   = 0x58
	usageLeftControl   = 0xE0 // 0xE0–0xE7 are modifiers
	usageRightGUI      = 0xE7
)

// gs is the GS1 separator, typed as Ctrl+].
const gs = 0x1D

// keymap holds the character each usage types on a US layout, unshifted
// and shifted. A zero entry is a key that types nothing the decoder knows.
var keymap = func() [256][2]byte {
	var m [256][2]byte
	for u := 0x04; u <= 0x1D; u++ {
		m[u] = [2]byte{byte('a' + u - 0x04), byte('A' + u - 0x04)}
	}
	digits, shifted := "1234567890", "!@#$%^&*()"
	for i := range 10 {
		m[0x1E+i] = [2]byte{digits[i], shifted[i]}
	}
	for _, k := range []struct {
		usage         int
		normal, upper byte
	}{
		{0x2B, '\t', '\t'},
		{0x2C, ' ', ' '},
		{0x2D, '-', '_'},
		{0x2E, '=', '+'},
		{0x2F, '[', '{'},
		{0x30, ']', '}'},
		{0x31, '\\', '|'},
		{0x33, ';', ':'},
		{0x34, '\'', '"'},
		{0x35, '`', '~'},
		{0x36, ',', '<'},
		{0x37, '.', '>'},
		{0x38, '/', '?'},
		// Keypad keys type the same with or without Shift: scanners
		// use them with Num Lock on, for digits and Alt codes.
		{0x54, '/', '/'},
		{0x55, '*', '*'},
		{0x56, '-', '-'},
		{0x57, '+', '+'},
		{0x63, '.', '.'},
	} {
		m[k.usage] = [2]byte{k.normal, k.upper}
	}
	for i := range 9 {
		m[0x59+i] = [2]byte{byte('1' + i), byte('1' + i)}
	}
	m[0x62] = [2]byte{'0', '0'}
	return m
}()

// KeyboardDecoder turns the boot keyboard reports of a scanner in keyboard
// emulation into decodes, one per line ended by Enter (or keypad Enter).
//
// A key types once per press: a usage in a report that was not in the
// previous report is a new press, and several new presses in one report
// (rollover) type in array order. Ctrl+] types GS (0x1D), the GS1
// separator scanners send when configured to keep it. An AIM identifier
// typed at the start of the line ("]C1…") is split off by scanner.NewScan.
//
// Set Gap before the first report; zero means DefaultGap. The zero value is
// ready to use; it is not safe for concurrent use.
type KeyboardDecoder struct {
	// Gap is how long a line without Enter is kept after its last key
	// press before the next report drops it.
	Gap time.Duration

	prev    [6]byte
	line    []byte
	lastKey time.Time
	ready   []scanner.Scan
	// overflow is set when a line outgrew MaxDecode: keys are dropped up
	// to its Enter, so its tail never comes out as a Scan.
	overflow bool
}

// FeedAt takes one boot keyboard report read at time at. When a line ends,
// FeedAt returns its Scan with done set.
//
// err is for the log and never undoes a Scan: it joins an error wrapping
// ErrUnknownKey for each key that types nothing known (the character is
// dropped, the line goes on), ErrPartialDropped when the line waited longer
// than Gap, or is a single error wrapping ErrReportLength for a report not
// BootReportSize bytes long (skipped, the line kept).
//
// Reports in the error state (a key usage of ErrorRollOver, POSTFail or
// ErrorUndefined) are skipped: they say too many keys are down, not which.
// A report completing two lines (Enter and keypad Enter in one rollover)
// returns the second on the next call.
func (d *KeyboardDecoder) FeedAt(report []byte, at time.Time) (scan scanner.Scan, done bool, err error) {
	if len(report) != BootReportSize {
		scan, done = d.pop()
		return scan, done, fmt.Errorf("keyboard report: %d bytes, want %d: %w", len(report), BootReportSize, ErrReportLength)
	}
	keys := report[2:8]
	for _, k := range keys {
		if k >= usageErrorRollOver && k <= usageErrorUndef {
			scan, done = d.pop()
			return scan, done, nil
		}
	}

	var errs []error
	gap := d.Gap
	if gap <= 0 {
		gap = DefaultGap
	}
	if (len(d.line) > 0 || d.overflow) && at.Sub(d.lastKey) > gap {
		if len(d.line) > 0 {
			errs = append(errs, fmt.Errorf("keyboard line: %d characters, no Enter for %v: %w", len(d.line), at.Sub(d.lastKey).Round(time.Millisecond), ErrPartialDropped))
		}
		d.line = d.line[:0]
		d.overflow = false
	}

	mod := report[0]
	for i, k := range keys {
		// A key is down or not: listed twice in one report (no keyboard
		// does that, a corrupt report may) it is one press.
		if k == 0 || d.held(k) || slices.Contains(keys[:i], k) {
			continue
		}
		d.lastKey = at
		if err := d.press(mod, k); err != nil {
			errs = append(errs, err)
		}
	}
	copy(d.prev[:], keys)

	scan, done = d.pop()
	return scan, done, errors.Join(errs...)
}

// Feed is FeedAt with the current time.
func (d *KeyboardDecoder) Feed(report []byte) (scan scanner.Scan, done bool, err error) {
	return d.FeedAt(report, time.Now())
}

// Reset drops a line in progress and forgets which keys are down.
func (d *KeyboardDecoder) Reset() {
	d.prev = [6]byte{}
	d.line = d.line[:0]
	d.ready = nil
	d.overflow = false
}

// held reports whether usage k was down in the previous report.
func (d *KeyboardDecoder) held(k byte) bool {
	for _, p := range d.prev {
		if p == k {
			return true
		}
	}
	return false
}

// press types the key with usage k under modifiers mod.
func (d *KeyboardDecoder) press(mod, k byte) error {
	switch {
	case k == usageEnter || k == usageKeypadEnter:
		line := string(d.line)
		d.line = d.line[:0]
		d.overflow = false
		if s := scanner.NewScan(line, ""); s.Data != "" {
			d.ready = append(d.ready, s)
		}
		return nil
	case k >= usageLeftControl && k <= usageRightGUI:
		return nil // a modifier sent as a key as well as in byte 0
	case mod&modCtrl != 0:
		if k == usageRightBracket {
			return d.add(gs)
		}
		return fmt.Errorf("keyboard report: ctrl+usage 0x%02x: %w", k, ErrUnknownKey)
	}
	shift := 0
	if mod&modShift != 0 {
		shift = 1
	}
	c := keymap[k][shift]
	if c == 0 {
		return fmt.Errorf("keyboard report: usage 0x%02x: %w", k, ErrUnknownKey)
	}
	return d.add(c)
}

func (d *KeyboardDecoder) add(c byte) error {
	if d.overflow {
		return nil
	}
	if len(d.line) >= MaxDecode {
		n := len(d.line)
		d.line = d.line[:0]
		d.overflow = true
		return fmt.Errorf("keyboard line: %d characters without Enter: %w", n+1, ErrDecodeTooLong)
	}
	d.line = append(d.line, c)
	return nil
}

func (d *KeyboardDecoder) pop() (scanner.Scan, bool) {
	if len(d.ready) == 0 {
		return scanner.Scan{}, false
	}
	s := d.ready[0]
	d.ready = d.ready[1:]
	return s, true
}
