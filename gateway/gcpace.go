package gateway

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/floorgate/floorgate"
)

// GCPace sets how often Go's collector runs from the gateway's load. The
// gateway's heap is small and most of it lives long (master data, open
// tasks, a few kilobytes a PDA): at a floor's pace the collector runs at
// Quiet, keeping resident memory close to what is held (bench mem); when
// the floor is busy — more requests committed a second than BusyRate —
// marking that heap again every few megabytes of scans would take a large
// share of the CPU the verdicts need (bench peer), so it runs at Busy
// until the rate has stayed under half of BusyRate for QuietAfter.
type GCPace struct {
	Quiet, Busy int           // collector percents (GOGC)
	BusyRate    float64       // committed requests a second from which the gateway is busy
	QuietAfter  time.Duration // how long under half of BusyRate before going back to Quiet
	Every       time.Duration // how often the rate is sampled
}

// DefaultGCPace is the daemon's pace when GOGC is not set.
var DefaultGCPace = GCPace{Quiet: 25, Busy: 100, BusyRate: 2000, QuietAfter: 10 * time.Second, Every: time.Second}

// pacer follows the committed request count and says when the collector's
// percent should change.
type pacer struct {
	pace      GCPace
	started   bool
	last      uint64
	lastAt    time.Time
	busy      bool
	quietFrom time.Time // when the rate went under half of BusyRate; zero while above
}

// observe takes the count of requests committed so far at now and returns
// the collector percent to set, and whether it changed.
func (p *pacer) observe(now time.Time, requests uint64) (percent int, changed bool) {
	if !p.started {
		p.started, p.last, p.lastAt = true, requests, now
		return p.pace.Quiet, false
	}
	d := now.Sub(p.lastAt).Seconds()
	if d <= 0 {
		return p.percent(), false
	}
	rate := float64(requests-p.last) / d
	p.last, p.lastAt = requests, now
	switch {
	case !p.busy && rate >= p.pace.BusyRate:
		p.busy, p.quietFrom = true, time.Time{}
		return p.pace.Busy, true
	case p.busy && rate >= p.pace.BusyRate/2:
		p.quietFrom = time.Time{}
	case p.busy && p.quietFrom.IsZero():
		p.quietFrom = now
	case p.busy && now.Sub(p.quietFrom) >= p.pace.QuietAfter:
		p.busy = false
		return p.pace.Quiet, true
	}
	return p.percent(), false
}

func (p *pacer) percent() int {
	if p.busy {
		return p.pace.Busy
	}
	return p.pace.Quiet
}

// paceGC samples requests() every pace.Every until ctx ends, setting the
// collector's percent as the load asks (pacer), and sets Quiet at the end.
// The rate is taken over clock's time.
func paceGC(ctx context.Context, pace GCPace, clock floorgate.Clock, requests func() uint64, log *slog.Logger) {
	p := &pacer{pace: pace}
	debug.SetGCPercent(pace.Quiet)
	defer debug.SetGCPercent(pace.Quiet)
	t := time.NewTicker(pace.Every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if pc, changed := p.observe(clock.Now(), requests()); changed {
				debug.SetGCPercent(pc)
				log.Info("collector pace", "gogc", pc, "busy", p.busy)
			}
		}
	}
}

// The daemon's collector. The gateway's heap is small (master data, open
// tasks, a few kilobytes a PDA) and every scan allocates a little.
// Collecting once the heap has grown by a quarter of what is live, instead
// of Go's default of doubling, keeps the resident memory of a site with
// hundreds of PDAs close to what it holds (bench mem); the collector's
// extra work is small at a floor's pace. While the floor is busy
// (thousands of scans a second) the collector runs at Go's default pace
// instead (GCPace): marking the long-lived heap every few megabytes of
// scans would take the CPU the verdicts need. The soft limit keeps a large
// site bounded. GOGC and GOMEMLIMIT in the environment still win.
const (
	daemonGCPercent   = 25
	daemonMemoryLimit = 2 << 30
)

// TuneProcessGC sets the process's collector as the daemon runs it, where
// the environment (GOGC, GOMEMLIMIT) does not say otherwise. floorgate's
// main calls it first.
func TuneProcessGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(daemonGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(daemonMemoryLimit)
	}
}

// DaemonGCPace is the collector's pace a gateway runs with: by the load,
// from the daemon's quiet pace; nil (left alone) when GOGC is in the
// environment, the operator's choice.
func DaemonGCPace() *GCPace {
	if os.Getenv("GOGC") != "" {
		return nil
	}
	pace := DefaultGCPace
	pace.Quiet = daemonGCPercent
	return &pace
}
