package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/store"
)

// absenceEvery is how often the gateway looks for devices away too long.
const absenceEvery = 10 * time.Second

// absence tracks, for each device with someone logged in, when it was
// last seen connected.
type absence struct {
	grace   time.Duration
	mu      sync.Mutex
	present map[string]time.Time
}

// startAbsence ends, every absenceEvery, the sessions of devices away
// longer than devices.session_grace, until the gateway stops.
func (g *Gateway) startAbsence() {
	grace, _ := time.ParseDuration(g.Config.Devices.SessionGrace) // validated with the config
	if grace <= 0 {
		return
	}
	g.absent = &absence{grace: grace, present: map[string]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	g.stopAbsence, g.absenceDone = cancel, make(chan struct{})
	go func() {
		defer close(g.absenceDone)
		t := time.NewTicker(absenceEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				g.suspendAbsent(ctx)
			}
		}
	}()
}

// suspendAbsent ends the session of every device with someone logged in
// that has not been connected for the grace, on the gateway's clock. A
// device is counted from the first look that finds its session, so a
// gateway restart gives every device the whole grace again.
func (g *Gateway) suspendAbsent(ctx context.Context) {
	g.absent.mu.Lock()
	defer g.absent.mu.Unlock()
	now := g.Clock.Now()
	live := g.connected()
	seen := map[string]bool{}
	for _, s := range g.DB.Sessions() {
		d := s.Device
		seen[d] = true
		last, known := g.absent.present[d]
		switch {
		case live[d] || !known:
			g.absent.present[d] = now
		case now.Sub(last) >= g.absent.grace:
			actx := store.Audited(ctx, store.AuditEntry{Actor: "gateway", Role: "gateway", Action: "session.suspended",
				Target: d, Detail: s.Operator + " away since " + last.UTC().Format(time.RFC3339)})
			if ok, err := g.DB.SuspendAbsent(actx, d); err != nil {
				g.Log.Error("suspend an absent device's session", "device", d, "err", err)
			} else if ok {
				g.Log.Warn("device away too long: session ended, task back in the queue", "device", d, "operator", s.Operator, "away_since", last)
			}
			delete(g.absent.present, d)
		}
	}
	for d := range g.absent.present {
		if !seen[d] {
			delete(g.absent.present, d)
		}
	}
}

func (g *Gateway) stopAbsent() {
	if g.stopAbsence != nil {
		g.stopAbsence()
		<-g.absenceDone
		g.stopAbsence = nil
	}
}

// TaskSummary is where the open tasks are, as the floor sees them now.
type TaskSummary struct {
	// Waiting tasks are in the queue for the next free picker.
	Waiting int `json:"waiting"`
	// InProgress tasks are held by a picker on a connected device.
	InProgress int `json:"in_progress"`
	// HeldByAbsent tasks are held by a device that is not connected now;
	// after devices.session_grace they go back to the queue.
	HeldByAbsent int `json:"held_by_absent"`
	// InHeldWaves tasks wait in a wave not yet released: no picker gets
	// them until it is.
	InHeldWaves int `json:"in_held_waves"`
	// IdlePickers are pickers on a connected device with no task: with
	// tasks waiting, someone should press "next" (or check the PDA).
	IdlePickers int `json:"idle_pickers"`
}

// connected is the set of devices with a live connection: PDAs and wired
// scanners' stations.
func (g *Gateway) connected() map[string]bool {
	live := map[string]bool{}
	if g.WS != nil { // not yet while the store opens
		for _, d := range g.WS.Connected() {
			live[d] = true
		}
	}
	for _, s := range g.ScannerStates() {
		live[s.Station] = live[s.Station] || s.Status == scanner.StatusConnected
	}
	return live
}

func (g *Gateway) taskSummary() TaskSummary {
	live := g.connected()
	var ts TaskSummary
	for _, t := range g.DB.OpenTasks() {
		switch {
		case t.Status == floorgate.TaskPending:
			ts.Waiting++
		case t.Status == floorgate.TaskHeld:
			ts.InHeldWaves++
		case live[t.Device]:
			ts.InProgress++
		default:
			ts.HeldByAbsent++
		}
	}
	pickers := map[string]bool{}
	for _, op := range g.DB.Operators() {
		pickers[op.ID] = op.Role == floorgate.RolePicker
	}
	for _, s := range g.DB.Sessions() {
		if s.Task == "" && s.Cart == nil && pickers[s.Operator] && live[s.Device] {
			ts.IdlePickers++
		}
	}
	return ts
}
