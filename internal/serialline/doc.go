// Package serialline opens serial lines and finds the machine's serial
// ports. It is the only package that imports go.bug.st/serial: scanners
// (device/serial) and printers on a serial line (print/printer) open their
// ports here and know nothing of the library.
//
// A Line is one open tty (a real UART, a USB-CDC port or a pseudo-terminal
// slave) set to raw mode, 8N1, no flow control. It holds two descriptors on
// the tty: go.bug.st/serial's handle, which sets the line discipline and
// holds the exclusive lock, and an *os.File registered with the runtime
// poller, which every read and write goes through. Only the poller's file
// honours deadlines (for writes too: the library's Write is a plain blocking
// write(2) that nothing wakes) and wakes a blocked Read on Close, so a
// stalled device can never hang its caller.
//
// This package must not speak any device's protocol: it moves bytes and
// lists ports. Ports finds USB-serial ports by their USB ids so a device is
// found again whatever ttyACM number it gets after a replug.
package serialline
