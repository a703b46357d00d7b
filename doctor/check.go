package doctor

import (
	"context"
	"fmt"
	"time"

	"github.com/floorgate/floorgate/gateway"
)

const (
	// netTimeout bounds one connection attempt (printer, broker, listener).
	netTimeout = 2 * time.Second
	// deadline bounds all checks that talk to something else, so the
	// doctor never hangs on a wedged device or network.
	deadline = 8 * time.Second
)

// Check is one area of an installation the doctor looks at.
type Check interface {
	// Name names the area in the report: on its skip line, and on the
	// failure of a check that did not finish in time.
	Name() string
	// Run looks at the area and says what it found, a line each. It
	// writes nothing; ctx bounds what it asks of the network and of
	// device drivers.
	Run(ctx context.Context, s *Site) []Finding
}

// Severity is how bad a finding is.
type Severity int

// The severities, in a report's words: ok, WARN, FAIL and skip.
const (
	OK Severity = iota
	Warn
	Fail
	Skip
)

// Finding is one line of the doctor's report.
type Finding struct {
	Severity Severity
	// Check names what was looked at: "broker tcp://…", "clock".
	Check string
	// What is what was found, or the problem.
	What string
	// Fix is how to fix it; only for Warn and Fail.
	Fix string
}

// String is the finding's line in the report.
func (f Finding) String() string {
	switch f.Severity {
	case Warn, Fail:
		tag := map[Severity]string{Warn: "WARN", Fail: "FAIL"}[f.Severity]
		return fmt.Sprintf("%s %s: %s — fix: %s", tag, f.Check, f.What, f.Fix)
	case Skip:
		return fmt.Sprintf("skip %s: %s", f.Check, f.What)
	}
	return fmt.Sprintf("ok   %s: %s", f.Check, f.What)
}

func passed(check, format string, args ...any) Finding {
	return Finding{Severity: OK, Check: check, What: fmt.Sprintf(format, args...)}
}

func warned(check, fix, format string, args ...any) Finding {
	return Finding{Severity: Warn, Check: check, What: fmt.Sprintf(format, args...), Fix: fix}
}

func failed(check, fix, format string, args ...any) Finding {
	return Finding{Severity: Fail, Check: check, What: fmt.Sprintf(format, args...), Fix: fix}
}

// Site is the installation the checks look at: its configuration, once
// the config check has loaded it, and what the checks that run first
// learn of it for those that run after.
type Site struct {
	// ConfigPath is the configuration file; empty is the defaults.
	ConfigPath string
	// Config is the configuration, loaded by the config check.
	Config gateway.Config
	// Now reads the clock.
	Now func() time.Time
	// DaemonRunning is set by the state directory check when a process
	// holds the database's lock; the checks that run at once read it.
	DaemonRunning bool
}

// editFix is the fix for anything wrong in the configuration file.
func (s *Site) editFix() string {
	if s.ConfigPath == "" {
		return "pass --config FILE with the site's configuration"
	}
	return "edit " + s.ConfigPath
}

// configName names the configuration for a fix.
func (s *Site) configName() string {
	if s.ConfigPath == "" {
		return "the configuration"
	}
	return s.ConfigPath
}

// runAtOnce runs checks at once and returns their findings in order. A
// check still running when ctx ends is reported as failed: the doctor
// answers in bounded time even if a driver call wedges.
func runAtOnce(ctx context.Context, s *Site, checks ...Check) []Finding {
	chans := make([]chan []Finding, len(checks))
	for i, c := range checks {
		chans[i] = make(chan []Finding, 1)
		go func() { chans[i] <- c.Run(ctx, s) }()
	}
	var out []Finding
	for i, ch := range chans {
		select {
		case fs := <-ch:
			out = append(out, fs...)
		case <-ctx.Done():
			// Each check bounds its own calls; give it a moment to say so.
			select {
			case fs := <-ch:
				out = append(out, fs...)
			case <-time.After(500 * time.Millisecond):
				out = append(out, failed(checks[i].Name(), "run floorgate doctor again; if this recurs, a device driver or the network is wedged",
					"did not finish within %v", deadline))
			}
		}
	}
	return out
}
