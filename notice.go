package floorgate

// Notice is something the floor must tell a connected device without being
// asked: its task was cancelled, or a new task was given to it. The store
// raises notices after the change they describe is committed.
type Notice struct {
	Device string `json:"device"`
	Kind   string `json:"kind"`
	Task   string `json:"task,omitempty"`
	// Verdict carries the message, tone and the picker's next prompt.
	Verdict Verdict `json:"verdict"`
}

// Notice kinds.
const (
	NoticeTaskCancelled  = "task_cancelled"
	NoticeTaskAssigned   = "task_assigned"
	NoticeTaskReassigned = "task_reassigned" // a supervisor gave the device's task to someone else
	NoticeDeviceDisabled = "device_disabled" // the device was disabled: its connection is closed
	// NoticeLoggedInElsewhere: the operator signed in on another device,
	// which took their task; this device's session has ended.
	NoticeLoggedInElsewhere = "logged_in_elsewhere"
	// NoticeCartWork: an idle picker is told cart orders wait: take a cart.
	NoticeCartWork = "cart_work"
)

// Welcome is what a device learns when it connects: where it is and what it
// was doing, so a picker resumes after a reconnect or a restart.
type Welcome struct {
	Site     string `json:"site"`
	Gateway  string `json:"gateway"`
	Operator string `json:"operator,omitempty"`
	Prompt   Prompt `json:"prompt"`
	// Station is the pack station the device stands at, by name: where its
	// waybills print. Empty until one is chosen; the device id then stands
	// for the station.
	Station string `json:"station,omitempty"`
	// Stations are the site's pack stations, for the device to choose from.
	Stations []string `json:"stations,omitempty"`
}
