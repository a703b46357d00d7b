package kpi

import "github.com/floorgate/floorgate"

// Picking modes. A task's mode is known from the events alone: task.received
// does not carry it, but every order picked on a cart is listed in the
// cart.started that took it, journalled before any scan on it; and a batch's
// orders are sorted at a put wall by a device whose sort.started (naming the
// batch) comes before every scan, sort.put and line event of the run. A task
// no such event tells apart is discrete (a batch's own pick task, whose id
// is the batch's, is ordinary discrete picking).
//
// The single-item lane (floorgate.ModeSingle) is no mode here: its orders'
// units were picked in their batch's discrete pick task, and the scan that
// closes one is a pack scan (pack_done), counted as packing (see
// packLane).
//
// Adding a mode is: its index here and in modes, the event that tells its
// tasks apart in computer.event, the events that count its units, and its
// name in docs/web-api.md; the per-mode counts, the rollup and the report
// follow from modes.
type mode int

const (
	discrete mode = iota
	cluster
	batch
)

// modes names each mode by its index: the keys of Figures.Modes.
var modes = [...]floorgate.TaskMode{
	discrete: floorgate.ModeDiscrete,
	cluster:  floorgate.ModeCluster,
	batch:    floorgate.ModeBatch,
}

const nModes = len(modes)

// mode is task's mode, as the events so far tell it.
func (c *computer) mode(task string) mode {
	if m, ok := c.taskMode[task]; ok {
		return m
	}
	return discrete
}

// wallCodes are the verdicts only a put wall gives: a scan record with one
// (or, refused for its distance, with one as its in-band code) is a wall
// scan whatever the device's state.
var wallCodes = map[floorgate.Code]bool{
	floorgate.CodeBatchOpen:    true,
	floorgate.CodeSortToSlot:   true,
	floorgate.CodeSortOK:       true,
	floorgate.CodeSlotReady:    true,
	floorgate.CodeBatchSorted:  true,
	floorgate.CodeSortSurplus:  true,
	floorgate.CodeWrongSlot:    true,
	floorgate.CodeSlotExpected: true,
	floorgate.CodeWallFull:     true,
	floorgate.CodeWallInUse:    true,
}

// sortCodes are the accepted wall scans that count a unit into its
// order's slot (each also journals one sort.put): the right sorts.
var sortCodes = map[floorgate.Code]bool{
	floorgate.CodeSortOK:      true,
	floorgate.CodeSlotReady:   true,
	floorgate.CodeBatchSorted: true,
}

// sortErrors are the refusals of a wall scan that are the sorter's
// mistake, as putErrors are on a cart: another slot than the one shown
// (wrong_tote), something else scanned while a unit waits for its slot
// (tote_expected), and a slot scanned with no unit waiting — at a wall no
// slot is ever bound by a scan, so that is always a slot scanned before
// its unit (or for a unit put in unscanned): a sequence error, as
// item_before_location is for picks.
var sortErrors = map[floorgate.Code]bool{
	floorgate.CodeWrongSlot:     true,
	floorgate.CodeSlotExpected:  true,
	floorgate.CodeNoUnitForTote: true,
}

// sortMistake is the sort mistake a refused wall scan shows, as putMistake
// is for puts: its code when that is a sort error, or, for a read refused
// for its distance, its in-band code when that is one; "" for none.
func sortMistake(r *floorgate.ScanRecord) floorgate.Code {
	switch {
	case sortErrors[r.Code]:
		return r.Code
	case r.Code == floorgate.CodeDistance && sortErrors[r.InBandCode]:
		return r.InBandCode
	}
	return ""
}

// atWall reports whether r is a scan at a put wall: one with a verdict
// only a wall gives, or any scan of a device sorting a batch (between its
// sort.started and the batch.sorted, or the logout, that ends the run).
func (c *computer) atWall(r *floorgate.ScanRecord) bool {
	if wallCodes[r.Code] || (r.Code == floorgate.CodeDistance && wallCodes[r.InBandCode]) {
		return true
	}
	_, ok := c.sorting[r.Device]
	return ok
}

// packLane reports whether r is the single-item lane's pack scan: the
// pack_done that packs a one-unit order names its task (no other pack
// scan does). It is a pack scan, no pick scan: the order's unit was picked
// in its batch's pick task.
func packLane(r *floorgate.ScanRecord) bool {
	return r.Code == floorgate.CodePackDone && r.Task != ""
}

// countsUnits are the accepted pick scans that count units for their line:
// the record's qty (a keyed quantity), or one unit when it has none.
var countsUnits = map[floorgate.Code]bool{
	floorgate.CodeItemOK:   true,
	floorgate.CodeLineDone: true,
	floorgate.CodeTaskDone: true,
}

// putCodes are the accepted scans that put a waiting unit into its
// container (the cart's last put is cart_done).
var putCodes = map[floorgate.Code]bool{
	floorgate.CodePutOK:    true,
	floorgate.CodeCartDone: true,
}

// putErrors are the refusals of a scan that should have put a waiting unit
// into its container and did not, the picker's mistake: another order's
// container, one whose order needs no more of the item, a scan of
// something else first (a sequence error, as item_before_location is for
// pick accuracy), a label that is no container's (as unknown_barcode).
var putErrors = map[floorgate.Code]bool{
	floorgate.CodeWrongTote:     true,
	floorgate.CodeToteNotNeeded: true,
	floorgate.CodeToteExpected:  true,
	floorgate.CodeUnknownTote:   true,
}

// isPut reports whether r, naming a task, is a put scan: an accepted put,
// or a refused scan judged against a unit waiting for its container — its
// record names the unit's line (a tote bound to an empty slot names none).
// Whether a refused one counts is putMistake's.
func isPut(accepted bool, r *floorgate.ScanRecord) bool {
	if accepted {
		return putCodes[r.Code]
	}
	return r.Line > 0
}

// putMistake is the put mistake a refused put scan shows, as mistake is
// for pick scans: its code when that is a put error, or, for a read
// refused for its distance, its in-band rejection when that is one; ""
// for none.
func putMistake(r *floorgate.ScanRecord) floorgate.Code {
	switch {
	case putErrors[r.Code]:
		return r.Code
	case r.Code == floorgate.CodeDistance && putErrors[r.InBandCode]:
		return r.InBandCode
	}
	return ""
}

// modeFigures turns a's per-mode sums into the published figures; hours is
// the span's hours logged in.
func (a *acc) modeFigures(hours float64) map[floorgate.TaskMode]ModeFigures {
	out := make(map[floorgate.TaskMode]ModeFigures, nModes)
	for m, name := range modes {
		f := ModeFigures{Units: a.units[m], Lines: a.modeLines[m], Puts: a.puts[m], WrongPuts: a.wrongPuts[m]}
		if hours > 0 {
			f.UnitsPerHour = float64(f.Units) / hours
		}
		if f.Puts > 0 {
			f.PutAccuracy = ptr(float64(f.Puts-f.WrongPuts) / float64(f.Puts))
		}
		out[name] = f
	}
	return out
}
