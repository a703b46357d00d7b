package floorgate

import "time"

// PrintJob is a label waiting to be printed, or printed. Its id is
// idempotent: the same request twice is one job. A reprint is a new job
// that names the one it repeats, who asked and why.
type PrintJob struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"` // waybill, …
	Order    string    `json:"order,omitempty"`
	Station  string    `json:"station,omitempty"` // the pack station it is for, by name (Device.PackStation)
	Template string    `json:"template"`
	Status   string    `json:"status"` // queued, printing, held, printed, failed, cancelled
	Printer  string    `json:"printer,omitempty"`
	Reason   string    `json:"reason,omitempty"` // why held or failed
	Attempts int       `json:"attempts,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated,omitzero"`
	// NotBefore delays the next attempt after a transport error.
	NotBefore time.Time `json:"not_before,omitzero"`
	// ReprintOf, Operator and ReprintReason audit a reprint.
	ReprintOf     string `json:"reprint_of,omitempty"`
	Operator      string `json:"operator,omitempty"`
	ReprintReason string `json:"reprint_reason,omitempty"`
	// Packer is whose parcel the label is for, so a label not printed
	// counts in their KPIs; a reprint keeps the original's.
	Packer string `json:"packer,omitempty"`
}

// Print job statuses.
const (
	JobQueued    = "queued"
	JobPrinting  = "printing" // being sent; after a crash its outcome is unknown
	JobHeld      = "held"     // waiting for its printer to clear a fault
	JobPrinted   = "printed"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// Open reports whether the job still waits to be printed.
func (j PrintJob) Open() bool {
	return j.Status == JobQueued || j.Status == JobHeld
}

// Events of the print queue.
const (
	EventLabelPrinted   = "label.printed"
	EventLabelFailed    = "label.failed" // a label not printed: an exception
	EventLabelReprinted = "label.reprinted"
)
