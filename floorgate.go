// Package floorgate holds the nouns of a warehouse floor — sites, zones,
// locations, items, operators, devices, pick tasks, scans, verdicts and the
// events that go upstream — and the small rules that belong to them.
//
// It imports only the standard library. Everything that talks to the outside
// world (bbolt, MQTT, WebSockets, serial ports, printers) lives in its own
// package and meets the others only in internal/cli, the command line that wires them.
package floorgate

import (
	"sync"
	"time"
)

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

// ManualClock is a Clock that moves only when told to: tests and replays
// of a shift drive the floor at the times they choose. It is safe for
// concurrent use.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a ManualClock that reads t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on by d.
func (c *ManualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
