package floorgate

import (
	"fmt"
	"time"
)

// WaveStatus is where a wave is in its life.
type WaveStatus string

// The wave statuses.
const (
	// WaveHeld: the wave's tasks are kept from pickers until it is
	// released (by the ERP, a supervisor, or its release time).
	WaveHeld WaveStatus = "held"
	// WaveReleased: its tasks are handed out, before those of waves of a
	// lower priority.
	WaveReleased WaveStatus = "released"
	// WaveCompleted: every task of the wave is done or cancelled.
	WaveCompleted WaveStatus = "completed"
)

// How a wave was released.
const (
	ReleasedByERP      = "erp"      // the wave.release command
	ReleasedBySchedule = "schedule" // its release time came
	ReleasedOnArrival  = "arrival"  // it arrived without a hold
	// ReleasedOnSite: someone at the site released it — a supervisor or
	// admin on the status page, a program with an admin API token, or an
	// administrator on the local socket; ReleasedActor names them.
	ReleasedOnSite = "site"
)

// Wave limits: a priority is a small number the ERP chooses; a wave's id
// is an id like a task's.
const (
	MaxWavePriority = 1000
	MinWavePriority = -1000
)

// WaveDefinition is a wave as the ERP declares it in task.create: the
// wave its tasks belong to, whether the floor holds them until released,
// and when.
type WaveDefinition struct {
	ID string `json:"id"`
	// Hold keeps the wave's tasks from pickers until the wave is released.
	Hold bool `json:"hold,omitempty"`
	// Priority orders waves: the tasks of a higher-priority wave are handed
	// out first (before a task's own priority is looked at).
	Priority int `json:"priority,omitempty"`
	// CutOff is the carrier's cut-off: the wave's parcels must have left by
	// then. Shown on the status page; zero when the carrier has none.
	CutOff time.Time `json:"cutoff,omitzero"`
	// ReleaseAt, when set, releases a held wave at that time.
	ReleaseAt time.Time `json:"release_at,omitzero"`
}

// Validate checks a wave definition as it arrives, naming the first field
// that is wrong.
func (d WaveDefinition) Validate() error {
	switch {
	case d.ID == "":
		return FieldErrorf("id", "missing")
	case len(d.ID) > 64:
		return FieldErrorf("id", "longer than 64 characters")
	case d.Priority < MinWavePriority || d.Priority > MaxWavePriority:
		return FieldErrorf("priority", "%d is not between %d and %d", d.Priority, MinWavePriority, MaxWavePriority)
	case !d.ReleaseAt.IsZero() && !d.Hold:
		return FieldErrorf("release_at", "a release time needs \"hold\": true (a wave without a hold is released on arrival)")
	case !d.CutOff.IsZero() && !d.ReleaseAt.IsZero() && d.CutOff.Before(d.ReleaseAt):
		return FieldErrorf("cutoff", "%s is before the release time %s", d.CutOff.Format(time.RFC3339), d.ReleaseAt.Format(time.RFC3339))
	}
	for _, r := range d.ID {
		if r < 0x20 || r == 0x7f {
			return FieldErrorf("id", "has a control character")
		}
	}
	return nil
}

// Wave is a set of tasks released to the floor together, as the gateway
// keeps it: its definition, where it is, and how far its tasks are.
type Wave struct {
	ID        string     `json:"id"`
	Priority  int        `json:"priority,omitempty"`
	CutOff    time.Time  `json:"cutoff,omitzero"`
	ReleaseAt time.Time  `json:"release_at,omitzero"`
	Status    WaveStatus `json:"status"`
	// Tasks is how many tasks arrived in the wave; Done and Cancelled how
	// many of them were picked and cancelled. The rest are open.
	Tasks     int       `json:"tasks"`
	Done      int       `json:"done"`
	Cancelled int       `json:"cancelled"`
	Created   time.Time `json:"created"`
	// ReleasedAt and ReleasedBy say when and how it was released: erp,
	// schedule, arrival or site. ReleasedActor names who, with site, as
	// the audit log does: the operator's id, token:NAME, or local.
	ReleasedAt    time.Time `json:"released_at,omitzero"`
	ReleasedBy    string    `json:"released_by,omitempty"`
	ReleasedActor string    `json:"released_actor,omitempty"`
	CompletedAt   time.Time `json:"completed_at,omitzero"`
}

// Open is how many of the wave's tasks are neither done nor cancelled.
func (w Wave) Open() int { return w.Tasks - w.Done - w.Cancelled }

// Matches reports whether d declares the wave w was created from: the
// same priority, hold, cut-off and release time. A wave is declared once;
// later commands may send more of its tasks with the same definition or
// with none.
func (w Wave) Matches(d WaveDefinition) error {
	held := w.Status == WaveHeld || w.ReleasedBy != ReleasedOnArrival
	switch {
	case w.Priority != d.Priority:
		return FieldErrorf("priority", "%d differs from the wave's %d", d.Priority, w.Priority)
	case !w.CutOff.Equal(d.CutOff):
		return FieldErrorf("cutoff", "differs from the wave's")
	case !w.ReleaseAt.Equal(d.ReleaseAt):
		return FieldErrorf("release_at", "differs from the wave's")
	case held != d.Hold:
		return FieldErrorf("hold", "%v differs from the wave's", d.Hold)
	}
	return nil
}

// WaveRecord is the payload of wave.released and wave.completed.
type WaveRecord struct {
	Wave     string    `json:"wave"`
	Priority int       `json:"priority,omitempty"`
	CutOff   time.Time `json:"cutoff,omitzero"`
	Tasks    int       `json:"tasks"`
	// ReleasedBy is erp, schedule, arrival or site; ReleasedActor, with
	// site, who released it (an operator's id, token:NAME, or local).
	ReleasedBy    string `json:"released_by,omitempty"`
	ReleasedActor string `json:"released_actor,omitempty"`
	// With wave.completed: how many of its tasks were picked (done) and
	// how many were cancelled.
	Done      int `json:"done,omitempty"`
	Cancelled int `json:"cancelled,omitempty"`
	// Late is set on wave.completed when the wave finished picking after
	// its cut-off.
	Late bool `json:"late,omitempty"`
}

// Event types of waves.
const (
	EventWaveReleased  = "wave.released"  // a wave's tasks went to the pickers
	EventWaveCompleted = "wave.completed" // every task of a wave is done or cancelled
)

// String names the wave for logs and messages.
func (w Wave) String() string { return fmt.Sprintf("wave %s (%s)", w.ID, w.Status) }
