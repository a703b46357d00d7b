// Package scanner is what every wired scanner has in common, whatever its
// transport: the Scan a driver delivers, the supervisor that keeps a device
// open across unplugs, errors and power cycles, and the Station that binds a
// scanner to a station or cart so its scans are judged by the same engine
// as a PDA's and its verdicts come back as the scanner's own beeps.
//
// Drivers live in device/serial and device/usb; this package imports
// neither, and they import it only for Scan. gateway puts the two
// together.
package scanner
