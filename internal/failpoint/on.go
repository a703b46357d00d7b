//go:build failpoints

package failpoint

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Enabled reports whether this build honours failpoints.
const Enabled = true

// point is one configured failpoint.
type point struct {
	nth    uint64 // fire on this hit only; 0: on every hit
	action string // panic, exit, kill or sleep
	sleep  time.Duration
	hits   atomic.Uint64
}

var points = sync.OnceValue(func() map[string]*point {
	m, err := parse(os.Getenv("FLOORGATE_FAILPOINTS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "failpoint:", err)
		os.Exit(2)
	}
	return m
})

// parse reads a FLOORGATE_FAILPOINTS value.
func parse(spec string) (map[string]*point, error) {
	m := map[string]*point{}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, act, ok := strings.Cut(item, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("%q: want name=action", item)
		}
		p := &point{}
		if n, rest, ok := strings.Cut(act, "*"); ok {
			v, err := strconv.ParseUint(n, 10, 64)
			if err != nil || v == 0 {
				return nil, fmt.Errorf("%q: bad count %q", item, n)
			}
			p.nth, act = v, rest
		}
		switch {
		case act == "panic" || act == "exit" || act == "kill":
			p.action = act
		case strings.HasPrefix(act, "sleep(") && strings.HasSuffix(act, ")"):
			ms, err := strconv.Atoi(act[len("sleep(") : len(act)-1])
			if err != nil || ms < 0 {
				return nil, fmt.Errorf("%q: bad sleep", item)
			}
			p.action, p.sleep = "sleep", time.Duration(ms)*time.Millisecond
		default:
			return nil, fmt.Errorf("%q: unknown action %q", item, act)
		}
		m[name] = p
	}
	return m, nil
}

// Inject fires the failpoint name if FLOORGATE_FAILPOINTS configures it.
func Inject(name string) {
	p := points()[name]
	if p == nil {
		return
	}
	if n := p.hits.Add(1); p.nth != 0 && n != p.nth {
		return
	}
	fmt.Fprintf(os.Stderr, "failpoint %s fired (%s)\n", name, p.action)
	switch p.action {
	case "panic":
		panic("failpoint " + name)
	case "exit":
		os.Exit(1)
	case "kill":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	case "sleep":
		time.Sleep(p.sleep)
	}
}
