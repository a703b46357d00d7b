package doctor

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// clockFloor is a date the system clock must be past: a box that lost its
// clock boots in 1970 or at its image's build date, and then certificates
// fail and event times lie.
const clockFloor = "2026-01-01"

// clockCheck: the clock is past clockFloor, and NTP-synchronised when
// timedatectl can say (WARN if it says no; unknown is not a fault: not
// every box runs systemd). It needs no configuration.
type clockCheck struct {
	// ntp answers "yes" or "no" as timedatectl does (Doctor.NTPSynchronized).
	ntp func(ctx context.Context) (string, error)
}

var _ Check = clockCheck{}

func (clockCheck) Name() string { return "clock" }

func (c clockCheck) Run(ctx context.Context, s *Site) []Finding {
	check := c.Name()
	now := s.Now()
	floor, _ := time.Parse(time.DateOnly, clockFloor)
	if now.Before(floor) {
		return []Finding{failed(check, "set the clock (timedatectl set-time) and enable systemd-timesyncd",
			"%s is before %s: certificates and event times will be wrong", now.UTC().Format(time.RFC3339), clockFloor)}
	}
	ctx, cancel := context.WithTimeout(ctx, netTimeout)
	defer cancel()
	synced, err := c.ntp(ctx)
	switch {
	case err != nil:
		return []Finding{passed(check, "%s; NTP state unknown (%v)", now.UTC().Format(time.RFC3339), err)}
	case synced != "yes":
		return []Finding{warned(check, "enable systemd-timesyncd (timedatectl set-ntp true) and let it reach an NTP server",
			"%s; clock not synchronised (NTPSynchronized=%s)", now.UTC().Format(time.RFC3339), synced)}
	}
	return []Finding{passed(check, "%s, NTP synchronised", now.UTC().Format(time.RFC3339))}
}

// timedatectlNTP asks systemd whether the clock is NTP-synchronised.
func timedatectlNTP(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "timedatectl", "show", "-p", "NTPSynchronized", "--value").Output()
	if err != nil {
		return "", fmt.Errorf("timedatectl: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
