package floorgate

import (
	"slices"
	"time"
)

// OrderTimeline is one order's way across the floor: when it reached each
// node, and who holds it now. The gateway keeps it from the events it
// journals, so it is known while the ERP is unreachable.
type OrderTimeline struct {
	Order string `json:"order"`
	// Released starts the release-to-shipped standard: the ERP's
	// released_at, else when the order's first task arrived; for a presale
	// parcel, when the ERP released it after the final payment.
	Released time.Time `json:"released"`
	CutOff   time.Time `json:"cutoff,omitzero"`

	PickStarted  time.Time `json:"pick_started,omitzero"`
	Picked       time.Time `json:"picked,omitzero"`
	PackStarted  time.Time `json:"pack_started,omitzero"`
	Packed       time.Time `json:"packed,omitzero"`
	LabelPrinted time.Time `json:"label_printed,omitzero"`
	Shipped      time.Time `json:"shipped,omitzero"`
	Cancelled    time.Time `json:"cancelled,omitzero"`

	// Held is set while a presale parcel is packed and held for its
	// release: no standard runs for it then.
	Held bool `json:"held,omitempty"`
	// Short counts the lines picked short; ShortAt is when the first was.
	Short   int       `json:"short_lines,omitempty"`
	ShortAt time.Time `json:"short_at,omitzero"`
	// ExceptionsOpen counts the order's exception cases not yet resolved;
	// ShortResolved is when the last of them was, after a short: the
	// short_pick rule stops watching it then.
	ExceptionsOpen int       `json:"exceptions_open,omitempty"`
	ShortResolved  time.Time `json:"short_resolved,omitzero"`
	// Holder and Device are who works on the order now (a picker or a
	// packer), empty between nodes; Task is its latest task.
	Holder string `json:"holder,omitempty"`
	Device string `json:"device,omitempty"`
	Task   string `json:"task,omitempty"`

	// Alerts are the states already sent upstream, by rule.
	Alerts map[SLARule]SLAState `json:"alerts,omitempty"`
}

// Open reports whether the order is still on the floor: not shipped, not
// cancelled.
func (t OrderTimeline) Open() bool { return t.Shipped.IsZero() && t.Cancelled.IsZero() }

// SLARule names one of the floor's time standards.
type SLARule string

// The rules watched, with their standards.
const (
	// SLAOutbound: packed → outbound confirmed within 30 minutes; at
	// risk at 20.
	SLAOutbound SLARule = "outbound"
	// SLARelease: released → shipped within 2 hours; at risk at 90 minutes.
	SLARelease SLARule = "release_to_ship"
	// SLACutOff: shipped before the carrier's cut-off; at risk 15 minutes
	// before it.
	SLACutOff SLARule = "cutoff"
	// SLAShort: a line picked short is an exception customer service must
	// hear of within an hour; at risk from the moment it is short until a
	// supervisor resolves its exception cases (or the order leaves).
	SLAShort SLARule = "short_pick"
)

// SLAState is where an order stands against a rule.
type SLAState string

// The states.
const (
	SLAAtRisk   SLAState = "at_risk"
	SLABreached SLAState = "breached"
)

// The standards' limits.
const (
	OutboundAtRisk = 20 * time.Minute
	ReleaseAtRisk  = 90 * time.Minute
	ReleaseLimit   = 2 * time.Hour
	CutOffWarning  = 15 * time.Minute
	ShortLimit     = time.Hour
)

// SLAStatus is an order at risk of missing a standard, or past it.
type SLAStatus struct {
	Order string   `json:"order"`
	Rule  SLARule  `json:"rule"`
	State SLAState `json:"state"`
	// Since is when the clock of the rule started (packed, released, the
	// short pick; for cutoff the warning's start); Due is when the
	// standard is missed.
	Since  time.Time `json:"since"`
	Due    time.Time `json:"due"`
	Holder string    `json:"holder,omitempty"`
	Device string    `json:"device,omitempty"`
	Task   string    `json:"task,omitempty"`
	// Node is the last node the order reached: released, pick_started,
	// picked, pack_started, packed, label_printed.
	Node string `json:"node"`
}

// Node is the last node t reached.
func (t OrderTimeline) Node() string {
	for _, n := range []struct {
		name string
		at   time.Time
	}{{"label_printed", t.LabelPrinted}, {"packed", t.Packed}, {"pack_started", t.PackStarted},
		{"picked", t.Picked}, {"pick_started", t.PickStarted}} {
		if !n.at.IsZero() {
			return n.name
		}
	}
	return "released"
}

// SLA is where an open order stands at now against each rule: the rules it
// is at risk of missing or has missed, in the order of the rules.
func (t OrderTimeline) SLA(now time.Time) []SLAStatus {
	if !t.Open() || t.Held {
		return nil
	}
	var out []SLAStatus
	judge := func(rule SLARule, since, risk, due time.Time) {
		var st SLAState
		switch {
		case !now.Before(due):
			st = SLABreached
		case !now.Before(risk):
			st = SLAAtRisk
		default:
			return
		}
		out = append(out, SLAStatus{Order: t.Order, Rule: rule, State: st, Since: since, Due: due,
			Holder: t.Holder, Device: t.Device, Task: t.Task, Node: t.Node()})
	}
	if !t.Packed.IsZero() {
		from := t.Packed
		if t.Released.After(from) {
			from = t.Released // a presale parcel's clock starts at its release
		}
		judge(SLAOutbound, from, from.Add(OutboundAtRisk), from.Add(OutboundStandard))
	}
	if !t.Released.IsZero() {
		judge(SLARelease, t.Released, t.Released.Add(ReleaseAtRisk), t.Released.Add(ReleaseLimit))
	}
	if !t.CutOff.IsZero() {
		judge(SLACutOff, t.CutOff.Add(-CutOffWarning), t.CutOff.Add(-CutOffWarning), t.CutOff)
	}
	if t.Short > 0 && t.ShortResolved.IsZero() {
		judge(SLAShort, t.ShortAt, t.ShortAt, t.ShortAt.Add(ShortLimit))
	}
	return out
}

// SLARules lists the rules in the order they are judged.
func SLARules() []SLARule { return slices.Clone(slaRules) }

var slaRules = []SLARule{SLAOutbound, SLARelease, SLACutOff, SLAShort}

// Events of the SLA board.
const (
	EventSLAAtRisk   = "sla.at_risk"  // an order will miss a standard unless it moves
	EventSLABreached = "sla.breached" // an order missed a standard
)
