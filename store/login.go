package store

import (
	"container/list"
	"hash/maphash"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
)

// Login lockout: a PIN is short, so guessing is stopped here, not by the
// hash. After maxLoginFailures wrong attempts on one key (a badge at one
// door, a device, a client address) within loginWindow, that key is locked
// for loginLockout.
const (
	maxLoginFailures = 5
	loginWindow      = 5 * time.Minute
	loginLockout     = time.Minute
)

// maxLoginKeys caps how many keys the lockout remembers. A key is
// forgotten loginWindow after its last failure, when neither its count nor
// a lock-out can matter any more; past the cap the key that failed least
// recently is forgotten first. A floor has a few hundred devices and
// badges, so only a flood from thousands of addresses reaches the cap.
const maxLoginKeys = 4096

// Sign-in fields longer than these are refused at the door, before any
// lookup or lock-out bookkeeping: a badge is at most 64 bytes (like every
// other id: device, operator, location, SKU) and a PIN 4 to 12 digits
// (docs/mqtt-contract.md, operators[]).
const (
	MaxBadgeLen = 64
	MaxPINLen   = 12
)

// The lockout's keys. Each door counts under its own kind of key, so that
// failures at one never lock another: wrong PINs typed on the status page
// cannot lock a picker out of the PDAs.
func deviceLoginKey(device string) string { return "device:" + device }

// pdaBadgeLoginKey counts a badge's failures on PDAs and scanner stations.
func pdaBadgeLoginKey(badge string) string { return "badge:" + badge }

// webBadgeLoginKey counts an admin's or supervisor's badge on the status
// page.
func webBadgeLoginKey(badge string) string { return "web-badge:" + badge }

// webAddrLoginKey counts a client address on the status page.
func webAddrLoginKey(addr string) string { return "web:" + addr }

// loginGuard keeps the recent failures of each key. Keys are kept as
// 64-bit hashes under a seed chosen at start, so a long badge costs no more
// memory than a short one and nobody can aim a collision at a key.
type loginGuard struct {
	mu    sync.Mutex
	clock floorgate.Clock
	seed  maphash.Seed
	fails map[uint64]*list.Element // of *loginFails
	// byLast orders the keys by their last failure, most recent first.
	byLast list.List
}

type loginFails struct {
	key               uint64
	n                 int
	first, last, lock time.Time
}

func (g *loginGuard) init(c floorgate.Clock) {
	g.clock = c
	g.seed = maphash.MakeSeed()
	g.fails = map[uint64]*list.Element{}
	g.byLast.Init()
}

func (g *loginGuard) hash(key string) uint64 { return maphash.String(g.seed, key) }

// locked reports whether any of the keys is locked out now.
func (g *loginGuard) locked(keys ...string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lockedAt(g.clock.Now(), keys)
}

// lockedAt reports whether any of the keys is locked out at now. Callers
// hold mu.
func (g *loginGuard) lockedAt(now time.Time, keys []string) bool {
	for _, k := range keys {
		if e := g.fails[g.hash(k)]; e != nil && now.Before(e.Value.(*loginFails).lock) {
			return true
		}
	}
	return false
}

// failed records a wrong attempt against every key.
func (g *loginGuard) failed(keys ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.count(g.clock.Now(), keys)
}

// admit lets an attempt through unless one of the keys is locked, and then
// counts it as failed against every key before it is checked: concurrent
// attempts cannot all pass the check while the first are still hashing.
// An attempt that turns out right clears its keys with succeeded.
func (g *loginGuard) admit(keys ...string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	if g.lockedAt(now, keys) {
		return false
	}
	g.count(now, keys)
	return true
}

// count records a failure against every key. Callers hold mu.
func (g *loginGuard) count(now time.Time, keys []string) {
	g.prune(now)
	for _, k := range keys {
		h := g.hash(k)
		var f *loginFails
		if e := g.fails[h]; e != nil {
			f = e.Value.(*loginFails)
			g.byLast.MoveToFront(e)
		} else {
			if len(g.fails) >= maxLoginKeys {
				g.forget(g.byLast.Back())
			}
			f = &loginFails{key: h, first: now}
			g.fails[h] = g.byLast.PushFront(f)
		}
		if now.Sub(f.first) > loginWindow {
			f.n, f.first = 0, now
		}
		f.n++
		f.last = now
		if f.n >= maxLoginFailures {
			f.lock = now.Add(loginLockout)
			f.n, f.first = 0, now
		}
	}
}

// prune forgets the keys whose last failure is more than loginWindow ago:
// their window has passed and their lock-out (shorter than the window) has
// ended. They are at the back of byLast, so this costs one step per key
// forgotten.
func (g *loginGuard) prune(now time.Time) {
	for e := g.byLast.Back(); e != nil && now.Sub(e.Value.(*loginFails).last) > loginWindow; e = g.byLast.Back() {
		g.forget(e)
	}
}

func (g *loginGuard) forget(e *list.Element) {
	delete(g.fails, e.Value.(*loginFails).key)
	g.byLast.Remove(e)
}

// succeeded clears the record of the keys.
func (g *loginGuard) succeeded(keys ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, k := range keys {
		if e := g.fails[g.hash(k)]; e != nil {
			g.forget(e)
		}
	}
}

// size is how many keys the lockout remembers now.
func (g *loginGuard) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.fails)
}

// dummyPINHash is a PIN hash at the current work factor that no PIN is
// checked against for real. A sign-in whose PIN is not checked (an unknown
// badge, a picker's badge on the status page, a badge locked out) checks
// it against this instead, so it costs the same PBKDF2 work as a wrong PIN
// on a real badge and its answer time tells nothing. Made once, on first
// use. (HashPIN fails only if the system's random source does, and then
// crypto/rand stops the program.)
var dummyPINHash = sync.OnceValue(func() string {
	h, _ := floorgate.HashPIN("not a PIN")
	return h
})
