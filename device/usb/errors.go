package usb

import "errors"

// Errors from decoding reports. The run loop logs them and goes on with the
// next report.
var (
	// ErrReportID means a report did not carry the report ID the decoder
	// reads (2, scanned data, in HID POS mode). The report is skipped; a
	// decode in progress is kept.
	ErrReportID = errors.New("unexpected report id")

	// ErrReportLength means a report is too short for its format, or its
	// length byte claims more data than the report can hold. The report is
	// corrupt: the decode it belongs to is dropped.
	ErrReportLength = errors.New("bad report length")

	// ErrDecodeTooLong means the reports of one decode added up to more
	// than MaxDecode bytes. The decode is dropped, up to its last report.
	ErrDecodeTooLong = errors.New("decode too long")

	// ErrUnknownKey means a keyboard report pressed a key that does not
	// map to a character. The character is dropped and the line goes on.
	ErrUnknownKey = errors.New("unknown key usage")

	// ErrPartialDropped means a keyboard line waited longer than the gap
	// for its Enter and was dropped.
	ErrPartialDropped = errors.New("partial line dropped")
)

// Errors from the device path.
var (
	// ErrNotFound means no attached device matched the vendor and product
	// IDs (and serial number, when one was asked for).
	ErrNotFound = errors.New("usb device not found")

	// ErrNoInterface means the device has no interface the chosen mode can
	// read: HID class with an interrupt IN endpoint, with the boot keyboard
	// protocol for keyboard emulation and without a boot protocol for HID
	// POS. Most often the scanner is configured for the other mode.
	ErrNoInterface = errors.New("no usable hid interface")

	// ErrMode means the mode is neither ModePOS nor ModeKeyboard.
	ErrMode = errors.New("unknown hid mode")

	// ErrLibusb means libusb could not be initialised.
	ErrLibusb = errors.New("libusb unavailable")

	// ErrClosed means the device was used after Close.
	ErrClosed = errors.New("usb device closed")
)
