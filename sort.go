package floorgate

import "time"

// ModeBatch: the order is picked in a batch with others (one SKU summed
// across them into one container) and sorted into its own slot at a put
// wall (Wall).
const ModeBatch TaskMode = "batch"

// ModeSingle: a one-unit order, picked in a batch with others by SKU
// (a batch with no wall) and packed in the single-item lane: the packer
// scans the item and the waybill of the next order that needs it prints.
const ModeSingle TaskMode = "single"

// ModeRules are a site's rules for the tasks that arrive without a mode
// (and outside a batch): how e-commerce orders are picked when the ERP
// does not say.
type ModeRules struct {
	// ClusterUpToUnits, above 0, sends an order of at most that many
	// units to a cart (cluster).
	ClusterUpToUnits int `json:"cluster_up_to_units,omitempty"`
	// SingleUnitWaves makes a declared wave whose every task is one unit
	// (one line of one) a batch for the single-item lane, named after
	// the wave with SingleBatchSuffix.
	SingleUnitWaves bool `json:"single_unit_waves,omitempty"`
}

// SingleBatchSuffix names the single-item batch a site rule makes of a
// wave: its pick task's id is the wave's id with this suffix.
const SingleBatchSuffix = "-SINGLE"

// MaxWallSlots bounds a put wall's slots.
const MaxWallSlots = 200

// Wall is a put wall (master data): a rack of slots at a station, each
// with its barcode label; Slots[0] is slot 1's barcode.
type Wall struct {
	ID      string   `json:"id"`
	Station string   `json:"station,omitempty"`
	Slots   []string `json:"slots"`
}

// BatchDefinition is a batch as the ERP declares it in task.create: its
// id (the label on the container it is picked into) and the wall its
// orders are sorted at — or no wall, for one-unit orders packed in the
// single-item lane. The command's tasks are the batch's orders.
type BatchDefinition struct {
	ID   string `json:"id"`
	Wall string `json:"wall,omitempty"`
}

// Mode is the mode of the batch's orders: batch (sorted at its wall) or,
// with no wall, single (packed in the single-item lane).
func (d *BatchDefinition) Mode() TaskMode {
	if d != nil && d.Wall == "" {
		return ModeSingle
	}
	return ModeBatch
}

// Where says where the batch's orders go, for messages.
func (d *BatchDefinition) Where() string {
	if d.Wall == "" {
		return "for the single-item lane"
	}
	return "for wall " + d.Wall
}

// Batch is a batch as the gateway keeps it: its orders, the pick task that
// sums them (its id is the batch's), and the slot each order was given at
// the wall.
type Batch struct {
	ID     string   `json:"id"`
	Wall   string   `json:"wall"`
	Orders []string `json:"orders"` // task ids, in the order they arrived
	// SlotOf is each order's slot at the wall, given at its first unit;
	// an order leaves it when packed.
	SlotOf  map[string]int `json:"slot_of,omitempty"`
	Created time.Time      `json:"created"`
	// Sorted is set once every order is sorted (or closed short).
	Sorted time.Time `json:"sorted,omitzero"`
}

// SortRun is a put wall being sorted from a batch's container by a device.
type SortRun struct {
	Batch string `json:"batch"`
	Wall  string `json:"wall"`
	// Put is the unit scanned and given a slot, waiting for the slot's
	// scan.
	Put *PendingSort `json:"put,omitempty"`
}

// PendingSort is a unit given to an order's slot at the wall.
type PendingSort struct {
	Task string `json:"task"`
	Line int    `json:"line"` // 0-based
	Slot int    `json:"slot"`
	SKU  string `json:"sku"`
}

// Event types of sorting at a put wall.
const (
	EventSortPut         = "sort.put"         // a unit went into an order's slot, verified by the slot's scan
	EventBatchSorted     = "batch.sorted"     // every order of a batch is sorted (or closed short)
	ExceptionSortSurplus = "sort_surplus"     // pick.exception kind: a unit no order of the batch needs
	EventSortStarted     = "sort.started"     // a device began sorting a batch at its wall
	ExceptionBatchShort  = ExceptionShortPick // orders closed short when sorting ends
)

// SortRecord is the payload of sort.put.
type SortRecord struct {
	Batch    string `json:"batch"`
	Wall     string `json:"wall"`
	Slot     int    `json:"slot"`
	Task     string `json:"task"`
	Order    string `json:"order"`
	Line     int    `json:"line"` // 1-based
	SKU      string `json:"sku"`
	Qty      int    `json:"qty"`
	Operator string `json:"operator"`
	Device   string `json:"device"`
	// Ready is set when the put completed the order: its slot is ready to
	// pack.
	Ready bool `json:"ready,omitempty"`
}

// BatchRecord is the payload of sort.started and batch.sorted.
type BatchRecord struct {
	Batch    string `json:"batch"`
	Wall     string `json:"wall"`
	Orders   int    `json:"orders"`
	Operator string `json:"operator,omitempty"`
	Device   string `json:"device,omitempty"`
	// Short is, with batch.sorted, how many orders closed short.
	Short int `json:"short,omitempty"`
}
