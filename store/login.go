package store

import (
	"sync"
	"time"

	"github.com/floorgate/floorgate"
)

// Login lockout: a PIN is short, so guessing is stopped here, not by the
// hash. After maxLoginFailures wrong attempts on one badge or one device
// within loginWindow, that badge or device is locked for loginLockout.
const (
	maxLoginFailures = 5
	loginWindow      = 5 * time.Minute
	loginLockout     = time.Minute
)

type loginGuard struct {
	mu    sync.Mutex
	clock floorgate.Clock
	fails map[string]*loginFails
}

type loginFails struct {
	n           int
	first, lock time.Time
}

func (g *loginGuard) init(c floorgate.Clock) {
	g.clock = c
	g.fails = map[string]*loginFails{}
}

// locked reports whether any of the keys is locked out now.
func (g *loginGuard) locked(keys ...string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	for _, k := range keys {
		if f := g.fails[k]; f != nil && now.Before(f.lock) {
			return true
		}
	}
	return false
}

// failed records a wrong attempt against every key.
func (g *loginGuard) failed(keys ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	for _, k := range keys {
		f := g.fails[k]
		if f == nil || now.Sub(f.first) > loginWindow {
			f = &loginFails{first: now}
			g.fails[k] = f
		}
		f.n++
		if f.n >= maxLoginFailures {
			f.lock = now.Add(loginLockout)
			f.n, f.first = 0, now
		}
	}
}

// succeeded clears the record of the keys.
func (g *loginGuard) succeeded(keys ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range keys {
		delete(g.fails, k)
	}
}
