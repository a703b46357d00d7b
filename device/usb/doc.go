// Package usb drives barcode scanners attached as USB HID devices: scanners
// in HID POS mode, which hand over each decode with its AIM symbology
// identifier, and scanners in keyboard emulation, which type each decode as
// key presses ended by Enter. It is the only package that imports
// github.com/google/gousb, and so the only one that needs cgo and libusb.
//
// Decoding is pure and kept apart from the bus: POSAssembler and
// KeyboardDecoder turn input reports into scanner.Scan values, and Scanner
// runs either over any Reports source. Open claims a real device through
// libusb and hands its interrupt IN endpoint to a Scanner; List enumerates
// attached devices without claiming them.
//
// The package must not decide anything about a scan: whether a read is right
// is the scan engine's business. It never reopens a device either: Run
// returns when its context ends or the device fails (unplugged), and the
// caller's supervisor opens a new Device.
//
// HID scanners take no commands here. A keyboard-emulation scanner has no
// channel back from the host at all, and HID POS output reports (beep, LED)
// are not implemented, so a Device offers no feedback: the verdict is shown
// on the station's screen or PDA.
//
// References:
//   - USB-IF "HID Point of Sale Usage Tables" 1.02, usage page 0x8C (Bar
//     Code Scanner): the scanned-data input report, report ID 2: byte 1 the
//     count of data bytes, bytes 2–4 the AIM symbology identifier, data from
//     byte 5, and bit 0 of the last byte set when more reports of the same
//     decode follow.
//   - USB-IF "Device Class Definition for HID" 1.11, Appendix B.1: the boot
//     keyboard input report [modifiers, reserved, key 1 … key 6], and
//     section 8.3 / Appendix C for ErrorRollOver.
//   - USB-IF "HID Usage Tables" 1.5, section 10, Keyboard/Keypad page 0x07
//     (US layout assumed).
//   - AIM ISO/IEC 15424 symbology identifiers.
package usb
