package store

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// staffEnv is the fixture's floor (pickers BADGE1…3) with an admin, a
// supervisor and a packer, all with PIN 2468.
func staffEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	m := Master{Operators: []floorgate.Operator{
		{ID: "adm1", Name: "Admin", Badge: "ADMIN1", PINHash: pinHash, Role: floorgate.RoleAdmin},
		{ID: "sup1", Name: "Supervisor", Badge: "SUP1", PINHash: pinHash, Role: floorgate.RoleSupervisor},
		{ID: "pk1", Name: "Packer", Badge: "PACK1", PINHash: pinHash, Role: floorgate.RolePacker},
	}}
	if err := e.db.PutMaster(ctx, m); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestStatusPageCannotLockPickersOut: wrong PINs on the status page with a
// picker's badge — from one address or from many — never lock the picker
// out of the PDAs.
func TestStatusPageCannotLockPickersOut(t *testing.T) {
	e := staffEnv(t)
	for i := range 3 * maxLoginFailures {
		e.db.Authenticate("BADGE1", "0000", "10.0.0.1")
		e.db.Authenticate("BADGE1", "0000", fmt.Sprintf("10.0.1.%d", i))
	}
	e.pda("pda-1", "BADGE1") // fails the test unless logged_in
}

// TestStatusPageAnswersEveryoneAlike: an unknown badge, a picker's or a
// packer's badge (with the right PIN or not) and an admin's badge with a
// wrong PIN get the same answer, and count the same against the client
// address: the fifth failure locks the address, whoever's badge it was.
// Only the right PIN on an admin's or supervisor's badge signs in.
func TestStatusPageAnswersEveryoneAlike(t *testing.T) {
	e := staffEnv(t)
	refused := []struct{ name, badge, pin string }{
		{"unknown badge", "NOBODY", "2468"},
		{"empty badge", "", "2468"},
		{"picker, right PIN", "BADGE1", "2468"},
		{"picker, wrong PIN", "BADGE2", "0000"},
		{"packer, right PIN", "PACK1", "2468"},
		{"admin, wrong PIN", "ADMIN1", "0000"},
		{"supervisor, wrong PIN", "SUP1", "0000"},
		{"badge too long", strings.Repeat("B", MaxBadgeLen+1), "2468"},
		{"PIN too long", "ADMIN1", strings.Repeat("2", MaxPINLen+1)},
	}
	for i, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			e.clock.Add(loginWindow + time.Second) // every key's count has lapsed
			from := fmt.Sprintf("10.0.2.%d", i)
			for n := 1; n <= maxLoginFailures; n++ {
				op, code := e.db.Authenticate(c.badge, c.pin, from)
				if code != floorgate.CodeBadLogin || op.ID != "" {
					t.Fatalf("attempt %d: %+v %q, want bad_login and no operator", n, op, code)
				}
			}
			if _, code := e.db.Authenticate("ADMIN1", "2468", from); code != floorgate.CodeLoginLocked {
				t.Fatalf("the admin's right PIN after %d refusals from the address: %q, want login_locked", maxLoginFailures, code)
			}
		})
	}
	e.clock.Add(loginWindow + time.Second)
	for _, badge := range []string{"ADMIN1", "SUP1"} {
		if op, code := e.db.Authenticate(badge, "2468", "10.0.3.1"); code != "" || op.Badge != badge {
			t.Fatalf("%s with the right PIN: %+v %q", badge, op, code)
		}
	}
}

// TestStatusPageLocksAdminBadgeQuietly: five wrong PINs on an admin's
// badge, spread over addresses, lock that badge on the status page for a
// minute — and the lock answers like any wrong PIN, the right PIN too, so it
// does not tell an admin's badge from a picker's. The badge's status-page
// lock is not the PDA one.
func TestStatusPageLocksAdminBadgeQuietly(t *testing.T) {
	e := staffEnv(t)
	for i := range maxLoginFailures {
		e.db.Authenticate("ADMIN1", "0000", fmt.Sprintf("10.0.4.%d", i))
		e.db.Authenticate("BADGE1", "0000", fmt.Sprintf("10.0.5.%d", i))
	}
	for _, badge := range []string{"ADMIN1", "BADGE1", "NOBODY"} {
		if op, code := e.db.Authenticate(badge, "2468", "10.0.6.1"); code != floorgate.CodeBadLogin || op.ID != "" {
			t.Fatalf("%s from a fresh address: %+v %q, want bad_login", badge, op, code)
		}
	}
	// The PDA side knows nothing of it.
	if e.db.logins.locked(pdaBadgeLoginKey("ADMIN1")) || e.db.logins.locked(pdaBadgeLoginKey("BADGE1")) {
		t.Fatal("status-page failures locked a badge on the PDAs")
	}
	e.clock.Add(loginLockout + time.Second)
	if op, code := e.db.Authenticate("ADMIN1", "2468", "10.0.6.2"); code != "" || op.ID != "adm1" {
		t.Fatalf("admin after the lock-out: %+v %q", op, code)
	}
}

// TestConcurrentSignInsAreCountedFirst: twenty wrong PINs sent at once
// from one address get five PIN checks, not twenty: each attempt is
// counted as it is let in, before its PBKDF2 runs, so the ones that arrive
// while the first are hashing already find the address locked.
func TestConcurrentSignInsAreCountedFirst(t *testing.T) {
	e := staffEnv(t)
	codes := make(chan floorgate.Code, 20)
	var wg sync.WaitGroup
	for i := range cap(codes) {
		wg.Go(func() {
			_, code := e.db.Authenticate("ADMIN1", fmt.Sprintf("%04d", i), "10.0.9.1")
			codes <- code
		})
	}
	wg.Wait()
	close(codes)
	n := map[floorgate.Code]int{}
	for c := range codes {
		n[c]++
	}
	if n[floorgate.CodeBadLogin] != maxLoginFailures || n[floorgate.CodeLoginLocked] != cap(codes)-maxLoginFailures {
		t.Fatalf("answers %v, want %d bad_login and the rest login_locked", n, maxLoginFailures)
	}
}

// TestSignInTimingTellsNothing: an unknown badge, a picker's badge and an
// admin's badge with a wrong PIN take about as long to refuse — each does
// one PBKDF2 at the current work factor — so timing does not tell which
// badges exist. Medians of interleaved attempts from distinct addresses,
// with the clock moved on between rounds so no lock-out answers early;
// the 2× allowance is for a loaded machine (an unknown badge used to be
// refused in under a microsecond, a known one in 16–36 ms).
func TestSignInTimingTellsNothing(t *testing.T) {
	e := staffEnv(t)
	kinds := []struct{ name, badge, pin string }{
		{"admin, wrong PIN", "ADMIN1", "0000"},
		{"unknown badge", "NOBODY", "0000"},
		{"picker", "BADGE1", "2468"},
	}
	e.db.Authenticate("WARMUP", "0000", "10.0.7.0") // the dummy hash is made on first use
	const rounds = 9
	took := make([][]time.Duration, len(kinds))
	for r := range rounds {
		e.clock.Add(loginWindow + time.Second)
		for j := range kinds {
			k := (r + j) % len(kinds) // rotate who goes first
			from := fmt.Sprintf("10.0.8.%d", r*len(kinds)+j)
			start := time.Now()
			_, code := e.db.Authenticate(kinds[k].badge, kinds[k].pin, from)
			took[k] = append(took[k], time.Since(start))
			if code != floorgate.CodeBadLogin && r == 0 {
				t.Errorf("%s: %q, want bad_login", kinds[k].name, code)
			}
		}
	}
	median := func(d []time.Duration) time.Duration { s := slices.Clone(d); slices.Sort(s); return s[len(s)/2] }
	ref := median(took[0])
	for k, c := range kinds {
		m := median(took[k])
		t.Logf("%s: median %v", c.name, m)
		if ratio := float64(m) / float64(ref); ratio > 2 || ratio < 0.5 {
			t.Errorf("%s takes %v, %s %v: ratio %.2f, want within 2×", c.name, m, kinds[0].name, ref, ratio)
		}
	}
}

// TestLoginFailuresAreForgotten: ten thousand failed logins on one PDA,
// each with a new 4 KiB badge, spread over time as a patient guesser would
// (four per window, under the device's lock-out): the lockout remembers
// only the recent ones, and the heap does not keep the badges.
func TestLoginFailuresAreForgotten(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.Hello(ctx, "pda-1", testToken("pda-1"), "test"); err != nil {
		t.Fatal(err)
	}
	before := heapInUse()
	// Badges no scanner prints: refused at the door, never remembered.
	pad := strings.Repeat("x", 4096)
	for i := range 10_000 {
		if i%(maxLoginFailures-1) == 0 {
			e.clock.Add(loginWindow + time.Second)
		}
		v, err := e.db.Login(ctx, "pda-1", "l", fmt.Sprintf("%06d%s", i, pad), "0000")
		if err != nil || v.Code != floorgate.CodeBadLogin {
			t.Fatalf("login %d: %v %s", i, err, v.Code)
		}
	}
	// Badges of a real length, each checked (a PBKDF2 apiece): forgotten
	// window by window.
	for i := range 200 {
		if i%(maxLoginFailures-1) == 0 {
			e.clock.Add(loginWindow + time.Second)
		}
		v, err := e.db.Login(ctx, "pda-1", "l", fmt.Sprintf("B%063d", i), "0000")
		if err != nil || v.Code != floorgate.CodeBadLogin {
			t.Fatalf("login %d: %v %s", i, err, v.Code)
		}
	}
	grew := heapInUse() - before
	n := e.db.logins.size()
	t.Logf("after 10200 badges: %d keys remembered, heap grew %d kB", n, grew/1024)
	if n > maxLoginFailures {
		t.Errorf("%d keys remembered, want at most %d (the device and this window's badges)", n, maxLoginFailures)
	}
	if grew > 4<<20 {
		t.Errorf("the heap grew %d kB over 10200 failed logins", grew/1024)
	}
}

// TestLoginGuardIsCapped: ten thousand keys failing within one window
// (a flood from many addresses) leave at most maxLoginKeys remembered; the
// most recent are kept, and a key that keeps failing stays locked.
func TestLoginGuardIsCapped(t *testing.T) {
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	var g loginGuard
	g.init(clock)
	before := heapInUse()
	for i := range 10_000 {
		clock.Add(time.Millisecond)
		g.failed(webAddrLoginKey(fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)), webBadgeLoginKey(fmt.Sprintf("%064d", i)))
		if i%100 == 0 {
			g.failed("web:attacker")
		}
	}
	grew := heapInUse() - before
	t.Logf("after 10000 addresses and badges: %d keys remembered, heap grew %d kB", g.size(), grew/1024)
	if n := g.size(); n > maxLoginKeys {
		t.Errorf("%d keys remembered, want at most %d", n, maxLoginKeys)
	}
	if grew > 4<<20 {
		t.Errorf("the heap grew %d kB", grew/1024)
	}
	if !g.locked("web:attacker") {
		t.Error("a key that kept failing was forgotten")
	}
	if g.fails[g.hash(webBadgeLoginKey(fmt.Sprintf("%064d", 9999)))] == nil {
		t.Error("the latest key was forgotten")
	}
	if g.fails[g.hash(webBadgeLoginKey(fmt.Sprintf("%064d", 0)))] != nil {
		t.Error("the oldest key was kept past the cap")
	}
	clock.Add(loginWindow + time.Second)
	g.failed("web:later")
	if n := g.size(); n != 1 {
		t.Errorf("a window later %d keys are remembered, want 1", n)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
