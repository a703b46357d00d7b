// Package serial drives barcode scanners attached to a serial line (RS-232
// or USB-CDC): Zebra scanners speaking SSI, Honeywell scanners with serial
// menu commands, and any scanner that sends plain framed data. Its ports are
// opened with internal/serialline, which owns go.bug.st/serial and finds
// USB-serial ports by VID:PID; this package knows the scanners' protocols,
// not the line.
//
// Each driver reads one port, turns what the scanner sends into Scan values
// delivered to a func(Scan), and sends the commands the gateway needs (beep,
// LED, enable, configuration). It must not decide anything about a scan:
// whether a read is right is the scan engine's business, and the good/bad
// feedback it asks for is sent through the driver's command methods.
//
// A driver never reopens its port. Run returns when its context ends or the
// port fails, and the caller's supervisor opens a new port and a new driver.
//
// Protocol references:
//   - Zebra "Simple Serial Interface (SSI) Programmer's Guide" (72E-40451):
//     chapter 2 packet format, checksum and ACK/NAK handshaking; chapter 3
//     opcodes BEEP, CMD_ACK, CMD_NAK, DECODE_DATA, LED_ON/OFF, PARAM_SEND,
//     SCAN_ENABLE/DISABLE.
//   - Honeywell scanner User's Guides, "Serial Programming Commands" (menu
//     command syntax, SYN M CR prefix, ACK/ENQ/NAK responses).
//   - AIM ISO/IEC 15424 symbology identifiers.
package serial
