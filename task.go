package floorgate

import (
	"fmt"
	"time"
)

// TaskStatus is where a pick task is in its life.
type TaskStatus string

// The task statuses.
const (
	TaskHeld      TaskStatus = "held"      // in a wave not yet released: never handed out
	TaskPending   TaskStatus = "pending"   // waiting for a picker
	TaskAssigned  TaskStatus = "assigned"  // given to a picker, not finished
	TaskDone      TaskStatus = "done"      // every line closed
	TaskCancelled TaskStatus = "cancelled" // intercepted: picking stops
)

// OrderVariant is the kind of order a task belongs to.
type OrderVariant string

// The order variants the floor sees.
const (
	VariantNormal      OrderVariant = "normal"
	VariantPreSale     OrderVariant = "presale"
	VariantCrossBorder OrderVariant = "crossborder"
	VariantPeak        OrderVariant = "peak"
)

// LineStatus is the state of one task line.
type LineStatus string

// The line statuses.
const (
	LineOpen  LineStatus = "open"
	LineDone  LineStatus = "done"
	LineShort LineStatus = "short" // closed below its quantity: the bin was short
)

// Task is a list of lines one picker picks in order: an order, or a slice of
// a wave.
type Task struct {
	ID       string       `json:"id"`
	Order    string       `json:"order"`
	Wave     string       `json:"wave,omitempty"`
	Variant  OrderVariant `json:"variant,omitempty"`
	Priority int          `json:"priority,omitempty"`
	// Mode is how the order is picked: discrete (alone, the default) or
	// cluster (in a tote on a cart, with other orders).
	Mode     TaskMode   `json:"mode,omitempty"`
	Status   TaskStatus `json:"status"`
	Operator string     `json:"operator,omitempty"`
	Device   string     `json:"device,omitempty"`
	Lines    []TaskLine `json:"lines"`
	// Cancel is why the task was intercepted, when it was.
	Cancel string `json:"cancel,omitempty"`
	// ReleasedAt is when the ERP released the order to the floor: the
	// start of its release-to-shipped standard (2 hours); absent, the task's
	// arrival. CutOff is the carrier's cut-off for its parcel, over its
	// wave's.
	ReleasedAt time.Time `json:"released_at,omitzero"`
	CutOff     time.Time `json:"cutoff,omitzero"`
	Created    time.Time `json:"created"`
	AssignedAt time.Time `json:"assigned_at,omitzero"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
}

// TaskLine asks for Qty units of SKU from Location.
type TaskLine struct {
	Location string `json:"location"`
	SKU      string `json:"sku"`
	Qty      int    `json:"qty"`
	// KeyedQty allows the picker to key in a quantity instead of scanning
	// every unit (case picks, small parts).
	KeyedQty bool `json:"keyed_qty,omitempty"`
	// Batch, when set, is the allocated batch (AI 10): a unit of another
	// batch is refused.
	Batch string `json:"batch,omitempty"`
	// ExpiryFrom (YYYY-MM-DD), when set, is the earliest expiry (AI 17) a
	// picked unit may have: first expired, first out.
	ExpiryFrom string `json:"expiry_from,omitempty"`
	// Serial requires every unit's serial number (AI 21); each serial can
	// be picked once per site.
	Serial bool `json:"serial,omitempty"`
	// WalkSeq is the walk sequence of the line's location when the task
	// arrived (Location.WalkSeq): lines are picked in walk order, then in
	// the order given. Set by the gateway, never by the sender.
	WalkSeq int `json:"walk_seq,omitempty"`
	Picked  int `json:"picked"`
	// Short is how many units were declared missing from the bin while the
	// line was still being picked (a cart's short pick, shared out among
	// its orders): the line closes short once the rest is picked.
	Short    int        `json:"short,omitempty"`
	Status   LineStatus `json:"status"`
	ClosedAt time.Time  `json:"closed_at,omitzero"`
}

// ExpiryFromDate is ExpiryFrom as a date; false when the line has none.
func (l TaskLine) ExpiryFromDate() (time.Time, bool) {
	if l.ExpiryFrom == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, l.ExpiryFrom)
	return t, err == nil
}

// Remaining is how many units the line still asks for: its quantity less
// those picked and those declared missing.
func (l TaskLine) Remaining() int { return l.Qty - l.Picked - l.Short }

// Open reports whether the task is still to be picked: held, waiting or
// being picked.
func (t *Task) Open() bool {
	return t.Status == TaskPending || t.Status == TaskAssigned || t.Status == TaskHeld
}

// Open reports whether the line still takes picks.
func (l TaskLine) Open() bool { return l.Status == LineOpen || l.Status == "" }

// Validate checks a task as it arrives from the ERP or a file, before it is
// stored: it names the first field that is wrong. Master-data references
// (locations, SKUs) are checked by the store, which knows them.
func (t Task) Validate() error {
	if t.ID == "" {
		return FieldErrorf("id", "missing")
	}
	if len(t.ID) > 64 {
		return FieldErrorf("id", "longer than 64 characters")
	}
	if t.Order == "" {
		return FieldErrorf("order", "missing")
	}
	switch t.Variant {
	case "", VariantNormal, VariantPreSale, VariantCrossBorder, VariantPeak:
	default:
		return FieldErrorf("variant", "%q is not one of normal, presale, crossborder, peak", t.Variant)
	}
	switch t.Mode {
	case "", ModeDiscrete, ModeCluster, ModeBatch:
	case ModeSingle:
		if len(t.Lines) != 1 || t.Lines[0].Qty != 1 {
			return FieldErrorf("mode", "a single-item order has one line of one unit")
		}
	default:
		return FieldErrorf("mode", "%q is not one of discrete, cluster, batch, single", t.Mode)
	}
	if len(t.Lines) == 0 {
		return FieldErrorf("lines", "a task needs at least one line")
	}
	for i, l := range t.Lines {
		switch {
		case l.Location == "":
			return FieldErrorf(fmt.Sprintf("lines[%d].location", i), "missing")
		case l.SKU == "":
			return FieldErrorf(fmt.Sprintf("lines[%d].sku", i), "missing")
		case l.Qty <= 0:
			return FieldErrorf(fmt.Sprintf("lines[%d].qty", i), "%d must be at least 1", l.Qty)
		case l.Qty > 100000:
			return FieldErrorf(fmt.Sprintf("lines[%d].qty", i), "%d is more than 100000", l.Qty)
		case l.Picked != 0 || l.Short != 0 || (l.Status != "" && l.Status != LineOpen):
			return FieldErrorf(fmt.Sprintf("lines[%d]", i), "a new line cannot arrive already picked")
		case l.WalkSeq != 0:
			return FieldErrorf(fmt.Sprintf("lines[%d].walk_seq", i), "is the location's, from master data: leave it out of the task")
		case len(l.Batch) > 20:
			return FieldErrorf(fmt.Sprintf("lines[%d].batch", i), "longer than 20 characters (GS1 AI 10)")
		}
		if l.ExpiryFrom != "" {
			if _, err := time.Parse(time.DateOnly, l.ExpiryFrom); err != nil {
				return FieldErrorf(fmt.Sprintf("lines[%d].expiry_from", i), "%q is not a date like 2026-12-31", l.ExpiryFrom)
			}
		}
	}
	return nil
}
