package floorgate

import "time"

// TaskMode is how a task's order is picked.
type TaskMode string

// The task modes.
const (
	// ModeDiscrete: one picker walks the order alone (the default).
	ModeDiscrete TaskMode = "discrete"
	// ModeCluster: the order goes into a tote on a cart with other orders,
	// picked in one walk (Cart).
	ModeCluster TaskMode = "cluster"
)

// MaxCartSlots bounds a cart's slots: a cart carries 1 to 48 totes.
const MaxCartSlots = 48

// Cart is a picking cart (master data): a frame of Slots tote positions,
// numbered from 1, with a barcode label a picker scans to start it.
type Cart struct {
	ID      string `json:"id"`
	Barcode string `json:"barcode"`
	Slots   int    `json:"slots"`
}

// Tote is a reusable container with a barcode label (master data). On a
// cart it is bound to one order; it stays bound to it until the order is
// packed.
type Tote struct {
	ID      string `json:"id"`
	Barcode string `json:"barcode"`
}

// ToteBinding is a tote's place while it holds an order: on which cart and
// slot, for which task and order. A tote with no binding is free.
type ToteBinding struct {
	Tote     string    `json:"tote"`
	Cart     string    `json:"cart"`
	Slot     int       `json:"slot"`
	Task     string    `json:"task"`
	Order    string    `json:"order"`
	Operator string    `json:"operator"`
	Device   string    `json:"device"`
	BoundAt  time.Time `json:"bound_at"`
}

// CartRun is a cart a picker is working: its orders by slot, the totes
// bound to the slots so far, and the unit waiting for its tote.
type CartRun struct {
	Cart string `json:"cart"`
	// Tasks holds the task of each slot: Tasks[0] is slot 1's.
	Tasks []string `json:"tasks"`
	// Totes holds the tote bound to each slot so far; the cart is being
	// bound while it is shorter than Tasks.
	Totes []string `json:"totes"`
	// Reuse holds, for each slot whose order already has a tote (picked
	// into on an earlier cart), that tote: it is the one to bind there.
	Reuse   []string  `json:"reuse,omitempty"`
	Started time.Time `json:"started"`
	// Put is the unit scanned and not yet put into its tote.
	Put *PendingPut `json:"put,omitempty"`
}

// Binding reports whether slots are left to bind: the cart's totes are
// bound in slot order, a slot whose order was cancelled before its tote
// being skipped (its tote is then "").
func (c *CartRun) Binding() bool { return len(c.Totes) < len(c.Tasks) }

// ReuseFor is the tote slot (1-based) must be bound to, "" when any free
// tote will do.
func (c *CartRun) ReuseFor(slot int) string {
	if slot-1 < len(c.Reuse) {
		return c.Reuse[slot-1]
	}
	return ""
}

// PendingPut is a unit scanned at a stop and assigned to a slot: the next
// scan must be that slot's tote.
type PendingPut struct {
	Slot int    `json:"slot"`
	Line int    `json:"line"` // 0-based index in the slot's task
	SKU  string `json:"sku"`
	Qty  int    `json:"qty"`
	// Serial is the unit's serial number (GS1 AI 21), when its barcode
	// carried one: it is spent at the site when the unit is put.
	Serial string `json:"serial,omitempty"`
}

// Event types of cluster picking.
const (
	EventCartStarted   = "cart.started"   // a picker took a cart and its orders
	EventToteBound     = "tote.bound"     // a tote was bound to a cart slot and its order
	EventPickPut       = "pick.put"       // units went into an order's tote, verified by the tote's scan
	EventCartCompleted = "cart.completed" // every order of a cart closed: the cart goes to packing
)

// CartRecord is the payload of cart.started and cart.completed.
type CartRecord struct {
	Cart     string     `json:"cart"`
	Operator string     `json:"operator"`
	Device   string     `json:"device"`
	Orders   []CartSlot `json:"orders"`
}

// CartSlot is one order on a cart: its slot, task, order and, once bound,
// tote.
type CartSlot struct {
	Slot  int    `json:"slot"`
	Task  string `json:"task"`
	Order string `json:"order"`
	Tote  string `json:"tote,omitempty"`
}

// PutRecord is the payload of pick.put: Qty units of SKU from Location put
// into the tote of Order on the cart.
type PutRecord struct {
	Cart     string `json:"cart"`
	Slot     int    `json:"slot"`
	Tote     string `json:"tote"`
	Task     string `json:"task"`
	Order    string `json:"order"`
	Line     int    `json:"line"` // 1-based
	Location string `json:"location"`
	SKU      string `json:"sku"`
	Qty      int    `json:"qty"`
	Operator string `json:"operator"`
	Device   string `json:"device"`
}
