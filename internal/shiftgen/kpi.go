package shiftgen

import (
	"math"
	"slices"
	"strings"
	"time"
)

// The standards the figures are judged against (web-api.md, KPIs).
const (
	accuracyMin  = 0.998
	outboundMaxS = 1800.0
)

// Report is /api/v1/kpi's answer as the definitions say it must be. It is
// marshalled to JSON and compared with the gateway's, figure by figure.
type Report struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Standards Standards `json:"standards"`
	Site      Figures   `json:"site"`
	// DistanceByDevice is the site's distance per device (devices.go).
	DistanceByDevice []DeviceDistance `json:"distance_by_device"`
	People           []Person         `json:"people"`
	Hours            []Hour           `json:"hours"`
	// Waves and VariantGroups are the orders shipped in the window by
	// wave and by variant (orders.go).
	Waves         []OrderGroup `json:"waves"`
	VariantGroups []OrderGroup `json:"variant_groups"`
}

// Standards are the targets.
type Standards struct {
	AccuracyMin  float64 `json:"accuracy_min"`
	OutboundMaxS float64 `json:"outbound_max_s"`
	// The order standards (orders.go).
	ExceptionRateMax float64 `json:"exception_rate_max"`
	ComplianceMin    float64 `json:"compliance_min"`
}

// Person is one operator's figures.
type Person struct {
	Operator string `json:"operator"`
	Name     string `json:"name,omitempty"`
	Role     string `json:"role,omitempty"`
	Figures
	Hours []Hour `json:"hours"`
}

// Hour is one clock hour's figures, clipped to the window.
type Hour struct {
	Start time.Time `json:"start"`
	Figures
}

// Figures are one population's figures over one span.
type Figures struct {
	Scans               int                `json:"scans"`
	Accepted            int                `json:"accepted"`
	Rejected            int                `json:"rejected"`
	RejectedByCode      map[string]int     `json:"rejected_by_code"`
	Lines               int                `json:"lines"`
	ShortLines          int                `json:"short_lines"`
	HoursLoggedIn       float64            `json:"hours_logged_in"`
	LinesPerHour        float64            `json:"lines_per_hour"`
	Modes               map[string]Mode    `json:"modes"`
	Variants            map[string]Variant `json:"variants"`
	PickScans           int                `json:"pick_scans"`
	WrongPickScans      int                `json:"wrong_pick_scans"`
	PickAccuracy        *float64           `json:"pick_accuracy"`
	AccuracyOK          *bool              `json:"accuracy_ok"`
	LinesRightFirstTime int                `json:"lines_right_first_time"`
	LineAccuracy        *float64           `json:"line_accuracy"`
	LineAccuracyOK      *bool              `json:"line_accuracy_ok"`
	SequenceCompliance  *float64           `json:"sequence_compliance"`
	Distance            Distance           `json:"distance"`
	PackToOutbound      Outbound           `json:"pack_to_outbound"`
	Stages              Stages             `json:"stages"`
	Exceptions          Exceptions         `json:"exceptions"`

	// The orders shipped in the span (orders.go).
	Orders              int      `json:"orders"`
	OrdersWithException int      `json:"orders_with_exception"`
	ExceptionRate       *float64 `json:"exception_rate"`
	ExceptionRateOK     *bool    `json:"exception_rate_ok"`
	CompliantOrders     int      `json:"compliant_orders"`
	Compliance          *float64 `json:"compliance"`
	ComplianceOK        *bool    `json:"compliance_ok"`
}

// Mode is one picking mode's figures (web-api.md, "modes").
type Mode struct {
	Units        int      `json:"units"`
	UnitsPerHour float64  `json:"units_per_hour"`
	Lines        int      `json:"lines"`
	Puts         int      `json:"puts"`
	WrongPuts    int      `json:"wrong_puts"`
	PutAccuracy  *float64 `json:"put_accuracy"`
}

// Variant is one order variant's parcels (web-api.md, "variants").
type Variant struct {
	Packed         int `json:"packed"`
	Held           int `json:"held"`
	Shipped        int `json:"shipped"`
	WithinStandard int `json:"within_standard"`
}

// The picking modes (web-api.md, Terms): a task a cart took is cluster,
// an order sorted at a put wall batch, any other discrete.
const (
	modeDiscrete = "discrete"
	modeCluster  = "cluster"
	modeBatch    = "batch"
)

// Distance is the distance standard's compliance.
type Distance struct {
	In                 int      `json:"in"`
	Out                int      `json:"out"`
	Unknown            int      `json:"unknown"`
	NotMeasurable      int      `json:"not_measurable"`
	Total              int      `json:"total"`
	InShare            float64  `json:"in_share"`
	OutShare           float64  `json:"out_share"`
	UnknownShare       float64  `json:"unknown_share"`
	NotMeasurableShare float64  `json:"not_measurable_share"`
	InBandShare        *float64 `json:"in_band_share"`
}

// Outbound is packed → outbound confirmed.
type Outbound struct {
	Count               int      `json:"count"`
	MeanS               float64  `json:"mean_s"`
	P50S                float64  `json:"p50_s"`
	P90S                float64  `json:"p90_s"`
	MaxS                float64  `json:"max_s"`
	WithinStandard      int      `json:"within_standard"`
	WithinStandardShare *float64 `json:"within_standard_share"`
}

// Stages is the time per flow stage.
type Stages struct {
	Pick     Stage `json:"pick"`
	Pack     Stage `json:"pack"`
	Outbound Stage `json:"outbound"`
}

// Stage is one stage's durations.
type Stage struct {
	Count int     `json:"count"`
	MeanS float64 `json:"mean_s"`
	P50S  float64 `json:"p50_s"`
	P90S  float64 `json:"p90_s"`
}

// Exceptions are the floor's exceptions.
type Exceptions struct {
	ShortPicks           int              `json:"short_picks"`
	Intercepts           int              `json:"intercepts"`
	LabelFailures        int              `json:"label_failures"`
	WrongScansByLocation []LocationErrors `json:"wrong_scans_by_location"`
	// ByReason and Resolution: the exception cases (orders.go).
	ByReason   map[string]int `json:"by_reason"`
	Resolution Resolution     `json:"resolution"`
}

// LocationErrors is the wrong pick scans at one location.
type LocationErrors struct {
	Location string         `json:"location"`
	Count    int            `json:"count"`
	ByCode   map[string]int `json:"by_code"`
}

// pickerMistakes are the rejections that are the picker's mistake
// (web-api.md, Terms).
var pickerMistakes = map[string]bool{
	"wrong_location": true, "item_before_location": true, "wrong_item": true, "over_pick": true,
	"unknown_barcode": true, "invalid_barcode": true, "wrong_batch": true, "batch_missing": true,
	"expiry_too_soon": true, "expiry_missing": true, "serial_missing": true, "duplicate_serial": true,
}

// mistake is a scan's mistake (Terms): a rejection's code when it is a
// picker's mistake; for a read refused for its distance, its in-band code
// when that is one; otherwise none.
func mistake(f Fact) string {
	switch {
	case f.Accepted:
		return ""
	case pickerMistakes[f.Code]:
		return f.Code
	case f.Code == codeDistance && pickerMistakes[f.InBandCode]:
		return f.InBandCode
	}
	return ""
}

// putMistakes are the rejections of a put that are the picker's mistake
// (web-api.md, Terms).
var putMistakes = map[string]bool{
	"wrong_tote": true, "tote_not_needed": true, "tote_expected": true, "unknown_tote": true,
}

// putMistake is a scan's put mistake (Terms), as mistake is for picks.
func putMistake(f Fact) string {
	switch {
	case f.Accepted:
		return ""
	case putMistakes[f.Code]:
		return f.Code
	case f.Code == codeDistance && putMistakes[f.InBandCode]:
		return f.InBandCode
	}
	return ""
}

// pickScan is the Term: a scan event judged against a task of mode
// discrete; a scan on a cart is none, nor one at a put wall.
func (sh *Shift) pickScan(f Fact, at time.Time) bool {
	return f.ScanEvent && f.Pick && !f.Wall && sh.mode(f.Task, at) == modeDiscrete
}

// sortMistakes are the refusals at a put wall that are the sorter's
// mistake (web-api.md, Terms: Sorts).
var sortMistakes = map[string]bool{codeWrongSlot: true, codeSlotExpected: true, codeNoUnitForSlot: true}

// rightSort and wrongSort are the Terms of the same names: a slot's scan
// that counted a unit; a wall scan refused with a sort mistake (or with
// one as the in-band code of a read too far).
func rightSort(f Fact) bool { return f.ScanEvent && f.Wall && f.Accepted && f.Sorted > 0 }
func wrongSort(f Fact) bool {
	return f.ScanEvent && f.Wall && !f.Accepted &&
		(sortMistakes[f.Code] || (f.Code == codeDistance && sortMistakes[f.InBandCode]))
}

// rightPick and wrongPick are the Terms of the same names.
func (sh *Shift) rightPick(a Action) bool { return sh.pickScan(a.Truth, a.At) && a.Truth.Accepted }
func (sh *Shift) wrongPick(a Action) bool {
	return sh.pickScan(a.Truth, a.At) && mistake(a.Truth) != ""
}

// rightPut and wrongPut are the Terms of the same names: a put_ok or
// cart_done naming a task; a refusal naming a task and a line with a put
// mistake.
func rightPut(f Fact) bool {
	return f.ScanEvent && f.Accepted && f.Task != "" && (f.Code == codePutOK || f.Code == codeCartDone)
}
func wrongPut(f Fact) bool {
	return f.ScanEvent && !f.Accepted && f.Task != "" && f.Line > 0 && putMistake(f) != ""
}

// mode is task's mode at t: cluster when a cart started before t took it;
// batch for a batch's order (every event naming one is at its wall).
func (sh *Shift) mode(task string, t time.Time) string {
	if task == "" {
		return modeDiscrete
	}
	if sh.batchOrder(task) {
		return modeBatch
	}
	for _, a := range sh.Script {
		if !a.At.Before(t) {
			break
		}
		if slices.Contains(a.Truth.CartTasks, task) {
			return modeCluster
		}
	}
	return modeDiscrete
}

// span is a half-open interval of time.
type span struct{ from, to time.Time }

func (s span) has(t time.Time) bool { return !t.Before(s.from) && t.Before(s.to) }

// Expected is the report /api/v1/kpi?from=&to= must give for the shift.
func (sh *Shift) Expected(from, to time.Time) Report {
	win := span{from, to}
	r := Report{From: from, To: to, Standards: Standards{AccuracyMin: accuracyMin, OutboundMaxS: outboundMaxS,
		ExceptionRateMax: exceptionRateMax, ComplianceMin: complianceMin}, People: []Person{}}
	// A generated shift's tasks name no wave.
	r.Waves, r.VariantGroups = sh.groups(win, "")
	hours := hourSpans(from, to)
	all := func(string) bool { return true }
	r.Site = sh.figures(win, all)
	r.DistanceByDevice = sh.distanceByDevice(win)
	for _, h := range hours {
		r.Hours = append(r.Hours, Hour{Start: h.start, Figures: sh.figures(h.span, all)})
	}
	for _, op := range sh.people(win) {
		is := func(o string) bool { return o == op.ID }
		p := Person{Operator: op.ID, Name: op.Name, Role: sh.role(win, op.ID), Figures: sh.figures(win, is)}
		for _, h := range hours {
			p.Hours = append(p.Hours, Hour{Start: h.start, Figures: sh.figures(h.span, is)})
		}
		r.People = append(r.People, p)
	}
	if r.Hours == nil {
		r.Hours = []Hour{}
	}
	return r
}

type hourSpan struct {
	start time.Time
	span
}

// hourSpans are the clock hours (UTC) overlapping the window, clipped to
// it, the first starting at from truncated to the hour.
func hourSpans(from, to time.Time) []hourSpan {
	var out []hourSpan
	for hs := from.UTC().Truncate(time.Hour); hs.Before(to); hs = hs.Add(time.Hour) {
		out = append(out, hourSpan{hs, span{later(hs, from), earlier(hs.Add(time.Hour), to)}})
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// names reports whether the action is an event that counts for its
// operator (People): a scan, a line, an exception, a completed task, a pack
// record, a label failure.
func names(a Action) bool {
	f := a.Truth
	return f.ScanEvent || f.LineClosed != "" || f.Exception != "" || f.TaskCompleted != "" ||
		f.Opened || f.Packed || f.Shipped || f.LabelFailed
}

// people are the operators the window's events name or who were logged in
// during it, by id.
func (sh *Shift) people(win span) []Operator {
	var out []Operator
	for _, op := range sh.Site.Operators {
		in := sh.loggedIn(win, op.ID) > 0
		for _, a := range sh.Script {
			if in {
				break
			}
			in = a.Operator == op.ID && win.has(a.At) && names(a)
		}
		if in {
			out = append(out, op)
		}
	}
	slices.SortFunc(out, func(a, b Operator) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// role is picker (a scan record naming a task), packer (a pack record or
// a labelled job), both, or empty, from the window's events.
func (sh *Shift) role(win span, op string) string {
	var pick, pack bool
	for _, a := range sh.Script {
		if a.Operator != op || !win.has(a.At) {
			continue
		}
		f := a.Truth
		pick = pick || (f.ScanEvent && f.Task != "")
		pack = pack || f.Opened || f.Packed || f.Shipped || f.LabelFailed
	}
	switch {
	case pick && pack:
		return "picker,packer"
	case pick:
		return "picker"
	case pack:
		return "packer"
	}
	return ""
}

// loggedIn is how long op was logged in within sp. A session opens at a
// login of an operator on a device and ends at the first of: their logout
// there, their login on another device, another operator's login there;
// one still open ends with the span. Each is clipped to the span.
func (sh *Shift) loggedIn(sp span, op string) time.Duration {
	type session struct {
		op    string
		start time.Time
	}
	open := map[string]session{} // by device
	var total time.Duration
	end := func(dev string, at time.Time) {
		if s := open[dev]; s.op == op {
			total += overlap(sp, s.start, at)
		}
		delete(open, dev)
	}
	for _, a := range sh.Script {
		switch {
		case a.Truth.SessionStart:
			if s, ok := open[a.Device]; ok && s.op == a.Operator {
				continue // logging in again where one is: nothing changes
			}
			for dev, s := range open {
				if s.op == a.Operator || dev == a.Device {
					end(dev, a.At)
				}
			}
			open[a.Device] = session{a.Operator, a.At}
		case a.Truth.SessionEnd:
			if s, ok := open[a.Device]; ok && s.op == a.Operator {
				end(a.Device, a.At)
			}
		}
	}
	for dev := range open {
		end(dev, sp.to)
	}
	return total
}

func overlap(sp span, a, b time.Time) time.Duration {
	a, b = later(a, sp.from), earlier(b, sp.to)
	if !b.After(a) {
		return 0
	}
	return b.Sub(a)
}

// figures computes every figure of the population who (an operator
// filter) over sp, one definition at a time.
func (sh *Shift) figures(sp span, who func(string) bool) Figures {
	var in []Action // the span's actions that count for who
	for _, a := range sh.Script {
		if sp.has(a.At) && who(a.Operator) {
			in = append(in, a)
		}
	}
	f := Figures{RejectedByCode: map[string]int{}}
	sh.scanCounts(&f, in)
	sh.lineCounts(&f, in)
	var logged time.Duration
	for _, op := range sh.Site.Operators {
		if who(op.ID) {
			logged += sh.loggedIn(sp, op.ID)
		}
	}
	f.HoursLoggedIn = logged.Hours()
	if f.HoursLoggedIn > 0 {
		f.LinesPerHour = float64(f.Lines) / f.HoursLoggedIn
	}
	sh.modes(&f, in)
	sh.accuracy(&f, in)
	sh.lineAccuracy(&f, in)
	sh.sequence(&f, in)
	distance(&f, in)
	sh.durations(&f, in)
	sh.variants(&f, in)
	sh.exceptions(&f, in)
	f.Exceptions.ByReason = map[string]int{}
	sh.orders(&f, in, sh.taskOrder())
	return f
}

// variants: parcels packed and shipped per order variant. Every parcel of
// a generated shift is a normal order's, none held: packed is the parcels
// whose items were all verified (pack.completed), shipped those whose
// waybill was scanned (ship.confirmed), and within_standard those shipped
// within the outbound standard of their packing.
func (sh *Shift) variants(f *Figures, in []Action) {
	var n Variant
	for _, a := range in {
		switch {
		case a.Truth.Packed:
			n.Packed++
		case a.Truth.Shipped:
			n.Shipped++
		}
	}
	n.WithinStandard = f.PackToOutbound.WithinStandard
	f.Variants = map[string]Variant{"normal": n, "presale": {}, "crossborder": {}, "peak": {}}
}

// scans, accepted, rejected, rejected_by_code: scan events, by verdict.
func (sh *Shift) scanCounts(f *Figures, in []Action) {
	for _, a := range in {
		if !a.Truth.ScanEvent {
			continue
		}
		f.Scans++
		if a.Truth.Accepted {
			f.Accepted++
		} else {
			f.Rejected++
			f.RejectedByCode[a.Truth.Code]++
		}
	}
}

// lines, short_lines: lines closed, and of them short.
func (sh *Shift) lineCounts(f *Figures, in []Action) {
	for _, a := range in {
		switch a.Truth.LineClosed {
		case "done":
			f.Lines++
		case "short":
			f.Lines++
			f.ShortLines++
		}
	}
}

// modes: each mode's units, lines and puts. Discrete units are the
// accepted pick scans that count a unit (item_ok, line_done, task_done:
// one each, no line of the shift taking keyed quantities); cluster units
// are what the puts put; batch units what the sorts sorted, and its puts
// the sorts.
func (sh *Shift) modes(f *Figures, in []Action) {
	ms := map[string]*Mode{modeDiscrete: {}, modeCluster: {}, modeBatch: {}}
	for _, a := range in {
		t := a.Truth
		switch {
		case rightSort(t):
			ms[modeBatch].Units += t.Sorted
			ms[modeBatch].Puts++
		case wrongSort(t):
			ms[modeBatch].Puts++
			ms[modeBatch].WrongPuts++
		case sh.rightPick(a) && (t.Code == codeItemOK || t.Code == codeLineDone || t.Code == codeTaskDone):
			ms[modeDiscrete].Units++
		case rightPut(t):
			m := ms[sh.mode(t.Task, a.At)]
			m.Units += t.Put
			m.Puts++
		case wrongPut(t):
			m := ms[sh.mode(t.Task, a.At)]
			m.Puts++
			m.WrongPuts++
		}
		if t.LineClosed != "" {
			ms[sh.mode(t.Task, a.At)].Lines++
		}
	}
	f.Modes = map[string]Mode{}
	for name, m := range ms {
		if f.HoursLoggedIn > 0 {
			m.UnitsPerHour = float64(m.Units) / f.HoursLoggedIn
		}
		if m.Puts > 0 {
			m.PutAccuracy = ptr(float64(m.Puts-m.WrongPuts) / float64(m.Puts))
		}
		f.Modes[name] = *m
	}
}

// pick_scans, wrong_pick_scans, pick_accuracy, accuracy_ok.
func (sh *Shift) accuracy(f *Figures, in []Action) {
	for _, a := range in {
		switch {
		case sh.rightPick(a):
			f.PickScans++
		case sh.wrongPick(a):
			f.PickScans++
			f.WrongPickScans++
		}
	}
	if f.PickScans > 0 {
		f.PickAccuracy = ptr(float64(f.PickScans-f.WrongPickScans) / float64(f.PickScans))
		f.AccuracyOK = ptr(1000*f.WrongPickScans <= 2*f.PickScans)
	}
}

// lines_right_first_time, line_accuracy, line_accuracy_ok: discrete
// lines closed with no wrong pick scan against them anywhere earlier in
// the shift, of the discrete lines.
func (sh *Shift) lineAccuracy(f *Figures, in []Action) {
	n := f.Modes[modeDiscrete].Lines
	for _, a := range in {
		if a.Truth.LineClosed == "" || sh.mode(a.Truth.Task, a.At) != modeDiscrete {
			continue
		}
		right := true
		for _, b := range sh.Script {
			if !b.At.Before(a.At) {
				break
			}
			if sh.wrongPick(b) && b.Truth.Task == a.Truth.Task && b.Truth.Line == a.Truth.Line {
				right = false
				break
			}
		}
		if right {
			f.LinesRightFirstTime++
		}
	}
	if n > 0 {
		f.LineAccuracy = ptr(float64(f.LinesRightFirstTime) / float64(n))
		f.LineAccuracyOK = ptr(1000*(n-f.LinesRightFirstTime) <= 2*n)
	}
}

// sequence_compliance: of the item pick scans that were right or wrong,
// the share whose mistake was not item_before_location.
func (sh *Shift) sequence(f *Figures, in []Action) {
	n, b := 0, 0
	for _, a := range in {
		t := a.Truth
		if t.ScanKind != "item" || !(sh.rightPick(a) || sh.wrongPick(a)) {
			continue
		}
		n++
		if mistake(t) == codeItemBefore {
			b++
		}
	}
	if n > 0 {
		f.SequenceCompliance = ptr(float64(n-b) / float64(n))
	}
}

// distance: every scan event by its distance class.
func distance(f *Figures, in []Action) {
	d := &f.Distance
	for _, a := range in {
		if !a.Truth.ScanEvent {
			continue
		}
		switch a.Truth.Distance {
		case distIn:
			d.In++
		case distOut:
			d.Out++
		case distNotMeasurable:
			d.NotMeasurable++
		default:
			d.Unknown++
		}
	}
	d.Total = d.In + d.Out + d.Unknown + d.NotMeasurable
	if d.Total > 0 {
		d.InShare = float64(d.In) / float64(d.Total)
		d.OutShare = float64(d.Out) / float64(d.Total)
		d.UnknownShare = float64(d.Unknown) / float64(d.Total)
		d.NotMeasurableShare = float64(d.NotMeasurable) / float64(d.Total)
	}
	if d.In+d.Out > 0 {
		d.InBandShare = ptr(float64(d.In) / float64(d.In+d.Out))
	}
}

// pack_to_outbound and stages: durations of the stages that end in the
// span, each from the latest start of the same task or parcel before it.
func (sh *Shift) durations(f *Figures, in []Action) {
	var pick, pack, out []float64
	latest := func(before time.Time, match func(Action) bool) (time.Time, bool) {
		var t time.Time
		ok := false
		for _, b := range sh.Script {
			if !b.At.Before(before) {
				break
			}
			if match(b) {
				t, ok = b.At, true
			}
		}
		return t, ok
	}
	for _, a := range in {
		t := a.Truth
		switch {
		case t.TaskCompleted != "" && sh.mode(t.TaskCompleted, a.At) == modeDiscrete:
			if start, ok := latest(a.At, func(b Action) bool { return b.Truth.TaskStarted == t.TaskCompleted }); ok {
				pick = append(pick, a.At.Sub(start).Seconds())
			}
		case t.Packed:
			if start, ok := latest(a.At, func(b Action) bool { return b.Truth.Opened && b.Truth.Order == t.Order }); ok {
				pack = append(pack, a.At.Sub(start).Seconds())
			}
		case t.Shipped:
			if packed, ok := latest(a.At, func(b Action) bool { return b.Truth.Packed && b.Truth.Order == t.Order }); ok {
				out = append(out, a.At.Sub(packed).Seconds())
			}
		}
	}
	f.Stages.Pick, f.Stages.Pack, f.Stages.Outbound = stage(pick), stage(pack), stage(out)
	o := &f.PackToOutbound
	o.Count, o.MeanS, o.P50S = len(out), mean(out), percentile(out, 50)
	o.P90S = percentile(out, 90)
	for _, d := range out {
		o.MaxS = math.Max(o.MaxS, d)
		if d <= outboundMaxS {
			o.WithinStandard++
		}
	}
	if o.Count > 0 {
		o.WithinStandardShare = ptr(float64(o.WithinStandard) / float64(o.Count))
	}
}

func stage(xs []float64) Stage {
	return Stage{Count: len(xs), MeanS: mean(xs), P50S: percentile(xs, 50), P90S: percentile(xs, 90)}
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range slices.Sorted(slices.Values(xs)) {
		sum += x
	}
	return sum / float64(len(xs))
}

// percentile is the nearest rank: the value at rank ⌈p·n/100⌉ of the
// sorted values, at least 1; 0 for none.
func percentile(xs []float64, p int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	rank := int(math.Ceil(float64(p) * float64(len(s)) / 100))
	return s[min(max(rank, 1), len(s))-1]
}

// exceptions: short picks, intercepts, label failures, and the wrong pick
// scans by where the picker was.
func (sh *Shift) exceptions(f *Figures, in []Action) {
	e := &f.Exceptions
	at := map[string]map[string]int{}
	for _, a := range in {
		t := a.Truth
		switch t.Exception {
		case "short_pick":
			e.ShortPicks++
		case "intercept":
			e.Intercepts++
		}
		if t.LabelFailed {
			e.LabelFailures++
		}
		if sh.wrongPick(a) {
			if at[t.Where] == nil {
				at[t.Where] = map[string]int{}
			}
			at[t.Where][mistake(t)]++
		}
	}
	e.WrongScansByLocation = []LocationErrors{}
	for loc, codes := range at {
		n := 0
		for _, k := range codes {
			n += k
		}
		e.WrongScansByLocation = append(e.WrongScansByLocation, LocationErrors{Location: loc, Count: n, ByCode: codes})
	}
	slices.SortFunc(e.WrongScansByLocation, func(x, y LocationErrors) int {
		if x.Count != y.Count {
			return y.Count - x.Count
		}
		return strings.Compare(x.Location, y.Location)
	})
}

func ptr[T any](v T) *T { return &v }
