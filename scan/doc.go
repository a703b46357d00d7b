// Package scan is the pick flow's rule engine. Given a device's session, its
// current task and the site's policy, it judges one step — a scan, a short
// pick, a login, a logout, a task assignment or a cancellation — and returns
// the new session and task, the verdict the picker hears and sees, and the
// events to report upstream. It enforces the floor's order of steps: the
// location first, then the item, one unit per scan unless the line allows a
// keyed quantity, within the scanning-distance band, never beyond the
// line's quantity.
//
// The engine is pure and sits on the hot path of every scan. It must not do
// I/O, read the clock (the time arrives in Scan.At or a now argument), start
// goroutines or keep package state, and it must never modify its inputs:
// callers cache tasks, so a changed task is returned as a new value with its
// own Lines. Storing results, numbering events, resolving barcodes against
// master data and talking to devices belong to the callers.
package scan
