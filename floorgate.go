// Package floorgate holds the nouns of a warehouse floor — sites, zones,
// locations, items, operators, devices, pick tasks, scans, verdicts and the
// events that go upstream — and the small rules that belong to them.
//
// It imports only the standard library. Everything that talks to the outside
// world (bbolt, MQTT, WebSockets, serial ports, printers) lives in its own
// package and meets the others only in cmd/floorgate.
package floorgate

import "time"

// Version is the build's version, set with -ldflags at build time.
var Version = "dev"

// Clock is the time source every package takes instead of calling time.Now,
// so tests and the scan engine can be driven at a chosen time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current wall-clock time.
func (SystemClock) Now() time.Time { return time.Now() }
