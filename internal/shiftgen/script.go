package shiftgen

import "time"

// Kind is what an action does.
type Kind string

// The actions of a script.
const (
	// CreateTask: the ERP sends Task (and its order's shipment).
	CreateTask Kind = "create_task"
	// Cancel: the ERP intercepts Task; the picker holding it (Device) is
	// pushed task_cancelled.
	Cancel Kind = "cancel"
	// Login, Logout, Scan, Short, Next: a PDA message on Device.
	Login  Kind = "login"
	Logout Kind = "logout"
	Scan   Kind = "scan"
	Short  Kind = "short"
	Next   Kind = "next"
)

// Action is one thing that happens on the floor, at At.
type Action struct {
	At       time.Time
	Kind     Kind
	Device   string
	Operator string // who acts (for Cancel: who holds the task)
	ID       string // the request's id or scan_id
	Badge    string // Login
	Task     string // CreateTask, Cancel

	// Scan: what was read and how far away.
	Data       string
	AIM        string
	DistanceMM float64
	Geometry   *Geometry
	Qty        int // a keyed quantity
	Found      int // Short
	// FailLabel: the waybill this scan sends to the printer is not
	// printed (the printer reports a fault after the job).
	FailLabel bool

	Want  Want
	Truth Fact
}

// Geometry is a camera decoder's view of the symbol (PDA protocol §10).
type Geometry struct {
	Corners    [4][2]float64 // TL, TR, BR, BL
	ImageWidth int
	FocalPx    float64
}

// Want is the answer the action must get.
type Want struct {
	// Code is the verdict's code (Login, Scan, Short); empty for actions
	// answered otherwise (Logout: logged_out; Next: a task frame).
	// Warning is an accepted verdict's warning.
	Code, Warning string
	// Step and Task are the prompt that follows (Task "" when the step
	// names none); Line (1-based) and Picked its line and units picked on
	// it, when Line is not 0.
	Step, Task   string
	Line, Picked int
	// Push is the kind of push Device (or PushTo, when set) must receive:
	// task_cancelled after Cancel, logged_in_elsewhere on the handheld a
	// picker left by logging in on another.
	Push, PushTo string
}

// Fact is the ground truth of an action: what happened on the floor, as
// the generator decided it. The expected KPIs are computed from these
// alone; they count for the action's Operator ("" when the gateway knows
// nobody: a read on a handheld nobody is logged in on).
type Fact struct {
	// ScanEvent: the action is judged as a scan (accepted or rejected).
	ScanEvent bool
	Accepted  bool
	Code      string // the verdict
	// InBandCode is the verdict the read would have had in the band, for
	// a read refused for its distance.
	InBandCode string
	// Pick: a scan judged against a task (Task and Line: the open line;
	// on a cart, the line of the unit waiting for its tote, 0 for none);
	// pack scans, scans at a put wall and scans with no task are not. At
	// a wall, Task and Line are what the record names: the order of the
	// unit given a slot or waiting for it ("" for none).
	Pick bool
	Task string
	Line int // 1-based
	// ScanKind is location, item, order or "" (a waybill, an unknown
	// barcode).
	ScanKind string
	// Distance is in, out or unknown.
	Distance string
	// Where is where the picker was: the location scanned for a location
	// barcode, else the last location confirmed on the task ("" if none).
	Where string

	// CartTasks are the tasks a cart the action started took (cart.started):
	// from then on they are of mode cluster.
	CartTasks []string
	// Put is the units a put (put_ok, cart_done) put into Task's tote.
	Put int
	// Wall: a scan at a put wall (never a pick scan); Sorted is the units
	// a slot's scan counted into Task's slot (sort.put).
	Wall   bool
	Sorted int

	// LineClosed is done or short when the action closed Task's Line.
	LineClosed string
	// TaskStarted names the task the action gave the picker.
	TaskStarted string
	// TaskCompleted names the task the action completed.
	TaskCompleted string
	// Exception is short_pick or intercept.
	Exception string

	// Parcel events of Order: opened (pack.started), packed
	// (pack.completed), shipped (ship.confirmed); LabelFailed: its waybill
	// was not printed (label.failed, at the same time as packed).
	Order                   string
	Opened, Packed, Shipped bool
	LabelFailed             bool
	// SessionStart: a login of Operator on Device; SessionEnd: a logout.
	SessionStart, SessionEnd bool
}
