package kpi

import "github.com/floorgate/floorgate"

// Picking modes. A task's mode is known from the events alone: task.received
// does not carry it, but every order picked on a cart is listed in the
// cart.started that took it, journalled before any scan on it. A task no
// such event lists is discrete.
//
// Adding a mode (a put wall, a single-item lane) is: its index here and in
// modes, the event that tells its tasks apart in computer.event, the
// events that count its units, and its name in docs/web-api.md; the
// per-mode counts, the rollup and the report follow from modes.
type mode int

const (
	discrete mode = iota
	cluster
)

// modes names each mode by its index: the keys of Figures.Modes.
var modes = [...]floorgate.TaskMode{
	discrete: floorgate.ModeDiscrete,
	cluster:  floorgate.ModeCluster,
}

const nModes = len(modes)

// mode is task's mode, as the events so far tell it.
func (c *computer) mode(task string) mode {
	if m, ok := c.taskMode[task]; ok {
		return m
	}
	return discrete
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
