package floorgate

import "time"

// Session is what a device is doing now: who is logged in, which task and
// line, and whether the line's location has been confirmed. It is stored
// per device and survives restarts, so a picker resumes where they were.
type Session struct {
	Device   string `json:"device"`
	Operator string `json:"operator,omitempty"`
	Task     string `json:"task,omitempty"`
	// Line is the index of the current line in the task.
	Line int `json:"line"`
	// AtLocation is set once the current line's location was scanned.
	AtLocation bool `json:"at_location,omitempty"`
	// Location is the location last confirmed on the task: the last
	// accepted location scan, or the bin kept because the next line is in
	// it. It stays when a line closes (the picker is still there) until
	// another location is accepted; empty on a task just given. Kept
	// short in the step log, where every step holds the session.
	Location string `json:"loc,omitempty"`
	// Last is the last barcode accepted from this device and when, for the
	// double-read guard.
	LastData string    `json:"last_data,omitempty"`
	LastAt   time.Time `json:"last_at,omitzero"`
	// Closed is the line closed last at the current location: one more unit
	// of its item is an over-pick, not a wrong item.
	ClosedSKU string `json:"closed_sku,omitempty"`
	// SerialFor is the SKU of a unit scanned without its serial number on a
	// line that needs one: the next scan must be its serial label.
	SerialFor string `json:"serial_for,omitempty"`
	// Pack is the parcel a packer is packing, when one is.
	Pack *PackProgress `json:"pack,omitempty"`
	// Cart is the cart a picker is picking into, when one is; Task is then
	// empty, and AtLocation, Location and ClosedSKU are the cart's walk.
	Cart *CartRun `json:"cart,omitempty"`
	// Sort is the put wall the device sorts a batch at, when it does.
	Sort *SortRun `json:"sort,omitempty"`
}

// PackProgress is a parcel being packed: its order, the units verified so
// far per SKU, and whether it waits for its waybill to be scanned.
type PackProgress struct {
	Order  string         `json:"order"`
	Counts map[string]int `json:"counts"`
	// Extras counts the gifts and inserts scanned in, by their index in
	// the shipment's extras; Material is set once a fragile line's
	// packing material was scanned.
	Extras   map[int]int `json:"extras,omitempty"`
	Material bool        `json:"material,omitempty"`
	Waybill  bool        `json:"waybill,omitempty"` // every item verified; scan the printed waybill
	Started  time.Time   `json:"started"`
	Packed   time.Time   `json:"packed,omitzero"`
	// Released is when a presale parcel, packed and held, was released.
	Released time.Time `json:"released,omitzero"`
}

// LoggedIn reports whether an operator is logged in on the device.
func (s Session) LoggedIn() bool { return s.Operator != "" }
