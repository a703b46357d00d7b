package floorgate

import (
	"encoding/json"
	"time"
)

// EventSchema is the version of the event envelope and payloads.
const EventSchema = 1

// Event types produced on the floor.
const (
	EventScanAccepted      = "scan.accepted"       // a location or item scan was accepted
	EventScanRejected      = "scan.rejected"       // a scan was refused, with its code
	EventLineConfirmed     = "pick.line_confirmed" // a line reached its quantity (or closed short)
	EventTaskStarted       = "pick.task_started"   // a task was given to a picker
	EventTaskCompleted     = "pick.task_completed" // every line of a task closed
	EventPickException     = "pick.exception"      // short pick, intercept
	EventOperatorLoggedIn  = "operator.logged_in"  // badge and PIN accepted on a device
	EventOperatorLoggedOut = "operator.logged_out" // an operator left a device
	EventTaskReceived      = "task.received"       // a task arrived (ERP or file) and was stored
)

// Exception kinds carried by pick.exception.
const (
	ExceptionShortPick = "short_pick"
	ExceptionIntercept = "intercept"
)

// Event is one fact the floor reports upstream. Every event is written to the
// journal and the outbox in the same transaction as the state change that
// produced it.
type Event struct {
	// ID is unique across gateways, restarts and restores; the ERP
	// deduplicates by it. It is "<incarnation>-<seq>".
	ID string `json:"id"`
	// Seq is the gateway's sequence number: gap-free within an
	// incarnation, from the incarnation's first seq.
	Seq     uint64 `json:"seq"`
	Site    string `json:"site"`
	Gateway string `json:"gateway"`
	// Incarnation names the life of the gateway's database that produced
	// the event (see Incarnation); empty in events journalled before
	// incarnations were part of the envelope.
	Incarnation string          `json:"incarnation,omitempty"`
	Type        string          `json:"type"`
	Time        time.Time       `json:"time"`
	Schema      int             `json:"schema"`
	Data        json.RawMessage `json:"data"`

	// value is what Data was encoded from, for an event made in this
	// process (Value).
	value any
}

// Value is the payload Data was encoded from when the event was made in
// this process by NewEvent, so a reader in the same process (the KPIs,
// told of each commit) need not decode Data again; nil for an event read
// back from the journal or the wire. Data stays the event's truth.
func (e Event) Value() any { return e.value }

// NewEvent is an event of type typ at t carrying data; the store fills in the
// id, sequence number, site and gateway when it commits it.
func NewEvent(typ string, t time.Time, data any) Event {
	raw, err := encodePayload(data)
	if err != nil {
		// Event payloads are structs of plain fields; failing to encode one
		// is a programming error, not a floor condition.
		panic("floorgate: encode event " + typ + ": " + err.Error())
	}
	return Event{Type: typ, Time: t, Schema: EventSchema, Data: raw, value: data}
}

// ScanRecord is the payload of scan.accepted and scan.rejected: everything
// a KPI or an inquiry needs to know about one scan.
type ScanRecord struct {
	ScanID   string `json:"scan_id"`
	Device   string `json:"device"`
	Operator string `json:"operator,omitempty"`
	Task     string `json:"task,omitempty"`
	Line     int    `json:"line,omitempty"` // 1-based
	// Location is where the picker was when the scan was judged: the
	// location a location barcode names (accepted or not), otherwise the
	// one last confirmed on the task (Session.Location). Wrong scans are
	// counted by location from it, from this event alone.
	Location string    `json:"location,omitempty"`
	Data     string    `json:"data"`
	AIM      string    `json:"aim,omitempty"`
	Kind     MatchKind `json:"kind,omitempty"`
	Code     Code      `json:"code"`
	Warning  Code      `json:"warning,omitempty"`
	// InBandCode is set only with Code CodeDistance: the rejection the read
	// would have had in the distance band, when it broke another rule too.
	// The verdict names the distance; the mistake is not lost.
	InBandCode Code    `json:"in_band_code,omitempty"`
	Qty        int     `json:"qty,omitempty"`
	DistanceMM float64 `json:"distance_mm,omitempty"`
	// Distance is in or out of the site band, or unknown (no measurement).
	Distance   string    `json:"distance"`
	DeviceTime time.Time `json:"device_time,omitzero"`
	// What the GS1 data said: batch, serial and expiry (YYYY-MM-DD), and
	// why it was invalid when it was.
	Batch   string `json:"batch,omitempty"`
	Serial  string `json:"serial,omitempty"`
	Expiry  string `json:"expiry,omitempty"`
	Problem string `json:"problem,omitempty"`
}

// LineRecord is the payload of pick.line_confirmed.
type LineRecord struct {
	Task     string     `json:"task"`
	Order    string     `json:"order"`
	Line     int        `json:"line"` // 1-based
	Location string     `json:"location"`
	SKU      string     `json:"sku"`
	Qty      int        `json:"qty"`
	Picked   int        `json:"picked"`
	Status   LineStatus `json:"status"`
	Operator string     `json:"operator"`
	Device   string     `json:"device"`
}

// TaskRecord is the payload of pick.task_started and pick.task_completed.
type TaskRecord struct {
	Task     string `json:"task"`
	Order    string `json:"order"`
	Wave     string `json:"wave,omitempty"`
	Operator string `json:"operator,omitempty"`
	Device   string `json:"device,omitempty"`
	Lines    int    `json:"lines"`
	Short    int    `json:"short_lines,omitempty"`
}

// ExceptionRecord is the payload of pick.exception.
type ExceptionRecord struct {
	Kind     string `json:"kind"`
	Task     string `json:"task"`
	Order    string `json:"order"`
	Line     int    `json:"line,omitempty"`
	Location string `json:"location,omitempty"`
	SKU      string `json:"sku,omitempty"`
	Expected int    `json:"expected,omitempty"`
	Found    int    `json:"found"`
	// Reason is, for an intercept, why the ERP cancelled the order; for a
	// short pick, its reason code (ExceptionReason).
	Reason   string `json:"reason,omitempty"`
	Operator string `json:"operator,omitempty"`
	Device   string `json:"device,omitempty"`
	// Exception is the id of the exception case a short pick opened
	// (its exception.raised, in the same commit).
	Exception string `json:"exception,omitempty"`
}

// OperatorRecord is the payload of operator.logged_in and operator.logged_out.
type OperatorRecord struct {
	Operator string `json:"operator"`
	Device   string `json:"device"`
	// Reason says why an operator.logged_out happened without the
	// operator asking: ReasonDeviceAbsent. Absent for a logout they asked
	// for.
	Reason string `json:"reason,omitempty"`
}

// ReasonDeviceAbsent: the operator's device was away (disconnected) longer
// than the site's grace, so their session ended and their task went back
// to the queue with its progress.
const ReasonDeviceAbsent = "device_absent"

// Event types of the pack station.
const (
	EventPackStarted   = "pack.started"   // a parcel was opened for an order
	EventPackCompleted = "pack.completed" // every item verified; its waybill was queued
	EventShipConfirmed = "ship.confirmed" // the waybill scanned matches: outbound confirmed
)

// PackRecord is the payload of pack.started, pack.completed and
// ship.confirmed: the parcel and its times, so time per node is measured.
type PackRecord struct {
	Order    string    `json:"order"`
	Carrier  string    `json:"carrier,omitempty"`
	Tracking string    `json:"tracking,omitempty"`
	Packer   string    `json:"packer"`
	Device   string    `json:"device"`
	Started  time.Time `json:"started"`
	Packed   time.Time `json:"packed,omitzero"`
	Shipped  time.Time `json:"shipped,omitzero"`
	Units    int       `json:"units,omitempty"`
	// PackToShipS is the seconds from packed to outbound confirmed; the
	// site's standard is 30 minutes.
	PackToShipS    float64 `json:"pack_to_ship_s,omitempty"`
	WithinStandard *bool   `json:"within_standard,omitempty"`
	// Variant is the order's (presale, crossborder, peak; absent for a
	// normal order). Held marks a presale parcel packed and held with no
	// waybill; Released is when the ERP released it, from which its
	// pack-to-ship time is measured.
	Variant  OrderVariant `json:"variant,omitempty"`
	Held     bool         `json:"held,omitempty"`
	Released time.Time    `json:"released,omitzero"`
	// Extras counts the gifts and inserts verified into the parcel.
	Extras int `json:"extras,omitempty"`
}

// HeldParcel is a presale parcel packed ahead and held, with no waybill,
// until the ERP's order.release (the final payment); then its waybill
// prints at the station it was packed at, and the packer ships it by
// scanning the order and the waybill.
type HeldParcel struct {
	Order   string    `json:"order"`
	Station string    `json:"station"`
	Packer  string    `json:"packer"`
	Device  string    `json:"device"`
	Started time.Time `json:"started"`
	Packed  time.Time `json:"packed"`
	Units   int       `json:"units"`
	Extras  int       `json:"extras,omitempty"`
	// Released is when the order was released; zero while it is held.
	Released time.Time `json:"released,omitzero"`
	// Shipped is when it shipped: then it is off the shelf.
	Shipped time.Time `json:"shipped,omitzero"`
	// Cancelled is set, in the status page's list, when the order was
	// cancelled while its parcel was on the shelf: take it off.
	Cancelled bool `json:"cancelled,omitempty"`
}

// Status is packed_held, or released once the ERP released it.
func (p HeldParcel) Status() string {
	if p.Released.IsZero() {
		return ParcelHeld
	}
	return ParcelReleased
}

// The statuses of a held parcel.
const (
	ParcelHeld     = "packed_held"
	ParcelReleased = "released"
)

// EventOrderReleased: a held presale parcel was released by the ERP; its
// waybill is queued at the station it was packed at.
const EventOrderReleased = "order.released"

// ReleaseRecord is the payload of order.released.
type ReleaseRecord struct {
	Order    string    `json:"order"`
	Station  string    `json:"station"`
	Job      string    `json:"job"`
	Released time.Time `json:"released"`
}

// OutboundStandard is the most time from packed to outbound confirmed.
const OutboundStandard = 30 * time.Minute

// Event types answering upstream commands.
const (
	EventCommandApplied  = "command.applied"  // a command was applied whole
	EventCommandRejected = "command.rejected" // a command was refused whole
	EventEventsReplayed  = "events.replayed"  // journal events were queued to be published again
	EventGatewayRestored = "gateway.restored" // a backup was restored: the first event of a new incarnation
)

// Incarnation is one life of a gateway's database. A database begins its
// first incarnation when it is created, at seq 1; every restore of a
// backup begins a new one, whose first event (gateway.restored) takes the
// seq after the backup's last. Event ids carry the incarnation, so events
// after a restore never reuse the ids of the events the restore undid.
// It is also the payload of gateway.restored.
type Incarnation struct {
	ID string `json:"incarnation"`
	// FirstSeq is the seq of the incarnation's first event: 1, or the
	// backup's last seq + 1 after a restore.
	FirstSeq uint64 `json:"first_seq"`
	// RestoredFrom is the incarnation that wrote the restored backup and
	// RestoredSeq the backup's last seq: that incarnation's events above
	// it were undone by the restore. Empty (and 0) for a database created
	// anew.
	RestoredFrom string    `json:"restored_from,omitempty"`
	RestoredSeq  uint64    `json:"restored_seq"`
	RestoredAt   time.Time `json:"restored_at,omitzero"`
}

// CommandRecord is the payload of command.applied and command.rejected.
type CommandRecord struct {
	CommandID   string         `json:"command_id"`
	CommandType string         `json:"command_type,omitempty"`
	Summary     map[string]int `json:"summary,omitempty"`
	Field       string         `json:"field,omitempty"`
	Reason      string         `json:"reason,omitempty"`
}

// ReplayRecord is the payload of events.replayed.
type ReplayRecord struct {
	From  uint64 `json:"from_seq"`
	To    uint64 `json:"to_seq"`
	Count int    `json:"count"`
}

// Outgoing is a journalled event on its way upstream: its sequence number,
// id, type and time, and the bytes to publish (the envelope as JSON).
type Outgoing struct {
	Seq     uint64
	ID      string
	Type    string
	Time    time.Time
	Payload []byte
}
