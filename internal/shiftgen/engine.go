package shiftgen

// The verdicts, as docs/pda-protocol.md §4 names them.
const (
	codeLoggedIn      = "logged_in"
	codeLocationOK    = "location_ok"
	codeItemOK        = "item_ok"
	codeLineDone      = "line_done"
	codeTaskDone      = "task_done"
	codeShortOK       = "short_ok"
	codeOrderOK       = "order_ok"
	codePackItemOK    = "pack_item_ok"
	codePackDone      = "pack_done"
	codeShipped       = "shipped"
	codeUnknownOrder  = "unknown_order"
	codeIntercepted   = "order_intercepted"
	codeExtraItem     = "extra_item"
	codeWrongWaybill  = "wrong_waybill"
	codeWrongLocation = "wrong_location"
	codeItemBefore    = "item_before_location"
	codeWrongItem     = "wrong_item"
	codeUnknown       = "unknown_barcode"
	codeOverPick      = "over_pick"
	codeDuplicate     = "duplicate_scan"
	codeDistance      = "distance_out_of_band"
	codeTaskCancelled = "task_cancelled"
	codeNoTask        = "no_task"
	codeNotLoggedIn   = "not_logged_in"
	codeInvalid       = "invalid_barcode"
	codeQtyNotAllowed = "qty_not_allowed"
)

// Prompt steps (§6).
const (
	stepWait         = "wait"
	stepScanLocation = "scan_location"
	stepScanItem     = "scan_item"
	stepCancelled    = "cancelled"
	stepScanOrder    = "scan_order"
	stepScanPackItem = "scan_pack_item"
	stepScanWaybill  = "scan_waybill"
	stepLogin        = "login"
)

// Distance classes of a scan record.
const (
	distIn      = "in"
	distOut     = "out"
	distUnknown = "unknown"
)

// read is one barcode as the picker's engine sees it: a location code, an
// item's SKU, or neither (a barcode the site does not know).
type read struct {
	kind   string // "location", "item" or "" (unknown barcode)
	target string // the location code or SKU
	dist   string // in, out, unknown
	// invalid: the barcode's GS1 data breaks GS1's rules.
	invalid bool
	// qty is a keyed quantity (0: the read counts one).
	qty int
}

// pickState is the picker's session on one task as the protocol describes
// it (§6, §4 notes, §10 precedence): which line is open, whether its
// location is confirmed, the line that just closed, and where the picker
// last confirmed a location.
type pickState struct {
	warn      bool // the band in warn mode
	task      Task
	line      int // index of the open line
	picked    int // units counted on it
	at        bool
	closedSKU string
	where     string
}

// verdict is the engine's judgement of one pick read, not yet applied.
type verdict struct {
	code       string
	ok         bool
	inBandCode string // with codeDistance: the in-band rejection, if any
	warning    string // an accepted read out of the band, in warn mode
}

// judge decides a pick read by the documented precedence: invalid GS1
// data, an unknown barcode, then the distance (reject mode), then the pick
// rules; in warn mode a read out of the band is judged as one in it, and
// an accepted one carries the warning. Double reads are
// decided by the caller, which knows the times.
func (ps *pickState) judge(r read) verdict {
	if r.invalid {
		return verdict{code: codeInvalid}
	}
	if r.kind == "" {
		return verdict{code: codeUnknown}
	}
	in := ps.inBand(r)
	if r.dist == distOut && ps.warn {
		if in.ok {
			in.warning = codeDistance
		}
		return in
	}
	if r.dist == distOut {
		v := verdict{code: codeDistance}
		if !in.ok {
			v.inBandCode = in.code
		}
		return v
	}
	return in
}

// inBand is the verdict of a read within the band.
func (ps *pickState) inBand(r read) verdict {
	l := ps.task.Lines[ps.line]
	if r.kind == "location" {
		if r.target != l.Location {
			return verdict{code: codeWrongLocation}
		}
		return verdict{code: codeLocationOK, ok: true}
	}
	switch {
	case ps.closedSKU != "" && r.target == ps.closedSKU && r.target != l.SKU:
		return verdict{code: codeOverPick}
	case !ps.at:
		return verdict{code: codeItemBefore}
	case r.target != l.SKU:
		return verdict{code: codeWrongItem}
	case r.qty > 0: // no line of the shift takes keyed quantities
		return verdict{code: codeQtyNotAllowed}
	case ps.picked+1 > l.Qty:
		return verdict{code: codeOverPick}
	case ps.picked+1 < l.Qty:
		return verdict{code: codeItemOK, ok: true}
	case ps.line+1 < len(ps.task.Lines):
		return verdict{code: codeLineDone, ok: true}
	}
	return verdict{code: codeTaskDone, ok: true}
}

// apply moves the state on after an accepted read; it reports the line
// status when the read closed the line.
func (ps *pickState) apply(r read, v verdict) (closed string) {
	if !v.ok {
		return ""
	}
	if r.kind == "location" {
		if !ps.at {
			ps.at, ps.closedSKU = true, ""
		}
		ps.where = r.target
		return ""
	}
	ps.picked++
	if ps.picked < ps.task.Lines[ps.line].Qty {
		return ""
	}
	ps.closeLine()
	return "done"
}

// closeLine closes the open line and moves to the next: the picker stays
// where they are, remembering the closed line's item (over-picks).
func (ps *pickState) closeLine() {
	l := ps.task.Lines[ps.line]
	ps.closedSKU = l.SKU
	ps.line++
	ps.picked = 0
	ps.at = ps.line < len(ps.task.Lines) && ps.task.Lines[ps.line].Location == l.Location
}

// recordLocation is the record's location of a read (web-api.md, Terms): the
// location a location barcode names, else the one last confirmed.
func (ps *pickState) recordLocation(r read) string {
	if r.kind == "location" {
		return r.target
	}
	return ps.where
}
