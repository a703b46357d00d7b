package kpi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
)

// Errors of Compute's arguments.
var (
	// ErrWindow is returned for a window that ends before it starts or is
	// longer than MaxWindow.
	ErrWindow = errors.New("kpi: window must not end before it starts or be longer than 31 days")
)

// Compute returns the KPIs of the events whose Time is in [from, to).
//
// events are journal events in sequence order; names maps operator id to
// display name and may be nil. Events outside the window are ignored, with
// exceptions that only ever add what happened inside it: logins before
// from count for the time logged in within the window (sessions are clipped
// to it), and earlier events supply a stage's start (pick.task_started),
// whether a line confirmed in the window had a wrong scan against it,
// which tasks a cart took (cart.started: the task's mode), and which
// devices sort at a put wall and which orders they sorted (sort.started,
// sort.put, batch.sorted: the batch mode, modes.go). Events
// at or after to are ignored entirely (but their payloads are still
// checked). Every figure is a sum over single events, each read alone, plus
// that running state, which only earlier events change: the definitions are
// in docs/web-api.md.
//
// A payload of a type Compute reads that does not decode is an error naming
// the event's sequence number and type: a figure computed around a broken
// event would not be exact. Types Compute does not read are ignored.
func Compute(events []floorgate.Event, from, to time.Time, names map[string]string) (Report, error) {
	if to.Before(from) || to.Sub(from) > MaxWindow {
		return Report{}, ErrWindow
	}
	payloads, err := decodeAll(events)
	if err != nil {
		return Report{}, err
	}
	c := newComputer(from, to)
	for i, ev := range events {
		if !ev.Time.Before(to) {
			continue
		}
		c.event(ev, payloads[i], !ev.Time.Before(from))
	}
	c.endSessions()
	return c.report(names), nil
}

// decodeAll decodes the payload of every event of a type Compute reads;
// others are left nil.
func decodeAll(events []floorgate.Event) ([]any, error) {
	out := make([]any, len(events))
	for i, ev := range events {
		p, err := decodeOne(ev)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// records are the payload types of the events the KPIs read, by event
// type.
var records = map[string]reflect.Type{
	floorgate.EventScanAccepted:      reflect.TypeFor[floorgate.ScanRecord](),
	floorgate.EventScanRejected:      reflect.TypeFor[floorgate.ScanRecord](),
	floorgate.EventLineConfirmed:     reflect.TypeFor[floorgate.LineRecord](),
	floorgate.EventTaskStarted:       reflect.TypeFor[floorgate.TaskRecord](),
	floorgate.EventTaskCompleted:     reflect.TypeFor[floorgate.TaskRecord](),
	floorgate.EventPickException:     reflect.TypeFor[floorgate.ExceptionRecord](),
	floorgate.EventOperatorLoggedIn:  reflect.TypeFor[floorgate.OperatorRecord](),
	floorgate.EventOperatorLoggedOut: reflect.TypeFor[floorgate.OperatorRecord](),
	floorgate.EventPackStarted:       reflect.TypeFor[floorgate.PackRecord](),
	floorgate.EventPackCompleted:     reflect.TypeFor[floorgate.PackRecord](),
	floorgate.EventShipConfirmed:     reflect.TypeFor[floorgate.PackRecord](),
	floorgate.EventLabelFailed:       reflect.TypeFor[floorgate.PrintJob](),
	floorgate.EventCartStarted:       reflect.TypeFor[floorgate.CartRecord](),
	floorgate.EventPickPut:           reflect.TypeFor[floorgate.PutRecord](),
	floorgate.EventSortStarted:       reflect.TypeFor[floorgate.BatchRecord](),
	floorgate.EventBatchSorted:       reflect.TypeFor[floorgate.BatchRecord](),
	floorgate.EventSortPut:           reflect.TypeFor[floorgate.SortRecord](),
	floorgate.EventTaskReceived:      reflect.TypeFor[floorgate.TaskRecord](),
	floorgate.EventExceptionRaised:   reflect.TypeFor[floorgate.ExceptionCase](),
	floorgate.EventExceptionResolved: reflect.TypeFor[floorgate.ExceptionCase](),
}

// decodeOne is ev's payload as decodeAll gives it: a pointer to its record,
// or nil for a type the KPIs do not read. An event made in this process
// is taken from the value it was encoded from (Event.Value).
func decodeOne(ev floorgate.Event) (any, error) {
	t, ok := records[ev.Type]
	if !ok {
		return nil, nil
	}
	if v, ok := decoded(ev.Value()); ok && reflect.TypeOf(v).Elem() == t {
		return v, nil
	}
	p := reflect.New(t).Interface()
	if err := json.Unmarshal(ev.Data, p); err != nil {
		return nil, fmt.Errorf("kpi: decode event seq %d (%s): %w", ev.Seq, ev.Type, err)
	}
	return p, nil
}

// decoded is an event's payload as made in this process (Event.Value), as
// decodeAll would decode it: a pointer to a copy. Only plain records are
// taken (no slices or maps shared with whoever made them).
func decoded(v any) (any, bool) {
	switch r := v.(type) {
	case floorgate.ScanRecord:
		return &r, true
	case floorgate.LineRecord:
		return &r, true
	case floorgate.TaskRecord:
		return &r, true
	case floorgate.ExceptionRecord:
		return &r, true
	case floorgate.OperatorRecord:
		return &r, true
	case floorgate.PutRecord:
		return &r, true
	case floorgate.BatchRecord:
		return &r, true
	case floorgate.SortRecord:
		return &r, true
	}
	return nil, false
}

// acc is what one population over one span adds up, before ratios.
type acc struct {
	scans, accepted, rejected   int
	byCode                      map[floorgate.Code]int
	lines, short                int
	loggedIn                    time.Duration
	pickOK, pickWrong           int
	linesRight                  int // lines confirmed with no wrong scan against them
	items, itemBefore           int // item scans judged at a line; of them, before the location
	distIn, distOut, distUnk    int
	outbound, pick, pack        []float64 // seconds
	withinStd                   int
	shortPicks, intercepts, lbl int
	wrongAt                     map[string]map[floorgate.Code]int

	// By picking mode (modes): units picked (sorted, at a wall), lines
	// confirmed, put scans (sort scans, at a wall) and the wrong ones
	// among them.
	units, modeLines, puts, wrongPuts [nModes]int
	// Orders ended (shipped), those with an exception, those handled
	// entirely by the standard flow (orders.go).
	orders, ordersExc, compliant int
	// exception.raised by reason; exception.resolved's resolve_s.
	byReason map[floorgate.ExceptionReason]int
	resolve  []float64
	// The orders ended, by wave and by variant: only the site's accs have
	// them (computer.countOrder).
	groups map[groupKey]*group

	// By order variant (variants): parcels packed, held, shipped, and
	// shipped within the outbound standard.
	vPacked, vHeld, vShipped, vWithin [nVariants]int

	// Scans of devices that cannot measure their distance
	// (not_measurable), and every device's scans by distance class
	// (devices.go).
	distNM    int
	distByDev map[string]distCounts
}

// tally is one population's accumulators: the whole window and each hour.
type tally struct {
	all          acc
	hours        []acc
	picks, packs bool
}

type lineKey struct {
	task string
	line int
}

type session struct {
	op    string
	start time.Time
}

type computer struct {
	from, to time.Time
	first    time.Time // the first hour's start
	nHours   int
	site     *tally
	people   map[string]*tally
	wrong    map[lineKey]bool     // open lines with a wrong pick scan against them
	started  map[string]time.Time // task → its latest pick.task_started
	taskMode map[string]mode      // task → its mode, for tasks not discrete
	sessions map[string]session   // device → who is logged in since when
	sorting  map[string]string    // device → who sorts a batch on it at a wall
	lane     map[string]bool      // tasks packed in the single-item lane, until completed

	// Open orders (orders.go): each order's state, each of their tasks'
	// order, and the order each pack station device is packing.
	orders    map[string]*order
	taskOrder map[string]string
	packing   map[string]string
	opening   map[string]*order // device → its order_ok scan, until pack.started names the order

	// roll, when set, makes this a Rollup's computer: what events add goes
	// to roll by absolute hour, and ended sessions become roll's spans,
	// instead of the window's tallies (rollup.go). at is the time of the
	// event being counted.
	roll *Rollup
	at   time.Time
	// siteHoursOnly leaves each person's hours out of the report
	// (Rollup.Summary): people's tallies then share one hours slice that
	// is written to and never read.
	siteHoursOnly bool
	unread        []acc
}

func newComputer(from, to time.Time) *computer {
	c := &computer{from: from, to: to, first: from.UTC().Truncate(time.Hour),
		people: map[string]*tally{}, wrong: map[lineKey]bool{},
		started: map[string]time.Time{}, taskMode: map[string]mode{}, sessions: map[string]session{},
		sorting: map[string]string{}, lane: map[string]bool{},
		orders: map[string]*order{}, taskOrder: map[string]string{}, packing: map[string]string{},
		opening: map[string]*order{}}
	if to.After(from) {
		c.nHours = int((to.Sub(c.first) + time.Hour - 1) / time.Hour)
	}
	c.site = c.newTally()
	return c
}

func (c *computer) newTally() *tally {
	if c.siteHoursOnly {
		if c.unread == nil {
			c.unread = make([]acc, c.nHours)
		}
		return &tally{hours: c.unread}
	}
	return &tally{hours: make([]acc, c.nHours)}
}

// person is op's tally, created on first use; nil for no operator.
func (c *computer) person(op string) *tally {
	if op == "" {
		return nil
	}
	if c.roll != nil {
		return c.roll.touch(op)
	}
	p := c.people[op]
	if p == nil {
		p = c.newTally()
		c.people[op] = p
	}
	return p
}

// add applies f to the site's and op's accumulators for the window and for
// the hour of t, which is in the window.
func (c *computer) add(op string, t time.Time, f func(*acc)) {
	if c.roll != nil {
		c.roll.add(op, t, f)
		return
	}
	h := int(t.Sub(c.first) / time.Hour)
	for _, tl := range []*tally{c.site, c.person(op)} {
		if tl != nil {
			f(&tl.all)
			f(&tl.hours[h])
		}
	}
}

// event counts one event before to; in says whether it is in the window.
func (c *computer) event(ev floorgate.Event, payload any, in bool) {
	t := ev.Time
	switch p := payload.(type) {
	case *floorgate.OperatorRecord:
		if ev.Type == floorgate.EventOperatorLoggedIn {
			c.login(p.Operator, p.Device, t)
			if op, ok := c.sorting[p.Device]; ok && op != p.Operator {
				delete(c.sorting, p.Device) // another's session: the run is gone
			}
		} else {
			c.logout(p.Operator, p.Device, t)
			delete(c.sorting, p.Device) // a logout ends the device's session, its run too
			delete(c.packing, p.Device) // and the parcel it was packing
		}
		return
	case *floorgate.BatchRecord:
		// sort.started: the device sorts at a wall until batch.sorted
		// (or a logout); its scans and lines there are the batch's.
		if ev.Type == floorgate.EventSortStarted {
			c.sorting[p.Device] = p.Operator
		} else {
			delete(c.sorting, p.Device)
		}
		return
	case *floorgate.SortRecord: // sort.put: a unit counted into its order's slot
		c.taskMode[p.Task] = batch
		c.link(p.Task, p.Order, "")
		if in {
			c.add(p.Operator, t, func(a *acc) { a.units[batch] += p.Qty })
		}
		return
	case *floorgate.CartRecord: // cart.started: its orders are picked on the cart
		for _, o := range p.Orders {
			c.taskMode[o.Task] = cluster
			c.link(o.Task, o.Order, "")
		}
		return
	case *floorgate.TaskRecord:
		c.link(p.Task, p.Order, p.Wave)
		switch ev.Type {
		case floorgate.EventTaskReceived:
			return
		case floorgate.EventTaskStarted:
			c.started[p.Task] = t
			return
		}
		// pick.task_completed: its order's pick stage, timed as
		// Stages.Pick times it (below), in or out of the window.
		if start, ok := c.started[p.Task]; ok && !c.lane[p.Task] && c.mode(p.Task) == discrete {
			if o := c.orders[c.taskOrder[p.Task]]; o != nil {
				o.pick = append(o.pick, t.Sub(start).Seconds())
			}
		}
	case *floorgate.ExceptionCase:
		if ev.Type == floorgate.EventExceptionRaised {
			// (A resolution names the order too, often after it shipped:
			// it must not open it again.)
			c.link(p.Task, p.Order, "")
			if o := c.orders[cmp.Or(p.Order, c.taskOrder[p.Task])]; o != nil {
				o.exception = true
			}
			if in {
				c.add(p.Operator, t, func(a *acc) {
					if a.byReason == nil {
						a.byReason = map[floorgate.ExceptionReason]int{}
					}
					a.byReason[p.Reason]++
				})
			}
		} else if in && p.Resolution != nil {
			d := p.Resolution.ResolveS
			c.add("", t, func(a *acc) { a.resolve = append(a.resolve, d) })
		}
		return
	case *floorgate.ExceptionRecord:
		c.link(p.Task, p.Order, "")
		switch p.Kind {
		case floorgate.ExceptionShortPick:
			if o := c.orders[cmp.Or(p.Order, c.taskOrder[p.Task])]; o != nil {
				o.exception = true
			}
		case floorgate.ExceptionIntercept:
			c.dropOrder(cmp.Or(p.Order, c.taskOrder[p.Task]))
		}
	case *floorgate.PackRecord:
		c.orderPack(ev.Type, p, t, in)
	case *floorgate.PutRecord:
		c.link(p.Task, p.Order, "")
	case *floorgate.ScanRecord:
		wall, lane := c.atWall(p), packLane(p)
		switch {
		case wall && p.Task != "":
			// An order's first unit is given its slot before any
			// sort.put names the order.
			c.taskMode[p.Task] = batch
		case lane:
			c.lane[p.Task] = true
		}
		// A wrong scan before the window still means the line it was
		// against was not picked right the first time.
		if !wall && !lane && p.Task != "" && p.Line > 0 && c.mode(p.Task) == discrete && mistake(p) != "" {
			c.wrong[lineKey{p.Task, p.Line}] = true
		}
		c.orderScan(ev.Type == floorgate.EventScanAccepted, p, wall, lane)
		if in {
			c.scan(ev.Type == floorgate.EventScanAccepted, p, t, wall, lane)
		}
		return
	case *floorgate.LineRecord:
		c.link(p.Task, p.Order, "")
		if c.lane[p.Task] {
			// Closed at the pack station: its unit was picked, and
			// its line counted, in the batch's pick task.
			return
		}
		if _, ok := c.sorting[p.Device]; ok {
			c.taskMode[p.Task] = batch // closed at a wall (short, too)
		}
		k := lineKey{p.Task, p.Line}
		m := c.mode(p.Task)
		// Only a discrete line can be picked right the first time: the
		// scans on a cart are not pick scans.
		right := m == discrete && !c.wrong[k]
		delete(c.wrong, k)
		if in {
			c.add(p.Operator, t, func(a *acc) {
				a.lines++
				a.modeLines[m]++
				if p.Status == floorgate.LineShort {
					a.short++
				}
				if right {
					a.linesRight++
				}
			})
		}
		return
	}
	if !in {
		return
	}
	switch p := payload.(type) {
	case *floorgate.TaskRecord: // pick.task_completed
		start, ok := c.started[p.Task]
		if c.lane[p.Task] {
			delete(c.lane, p.Task)
			return
		}
		if !ok || c.mode(p.Task) != discrete {
			// A cart's orders are all started with the cart: each
			// would be timed as the whole walk. A batch's order is
			// started at its first sort: that is sorting, not picking.
			return
		}
		d := t.Sub(start).Seconds()
		c.add(p.Operator, t, func(a *acc) { a.pick = append(a.pick, d) })
	case *floorgate.ExceptionRecord:
		c.add(p.Operator, t, func(a *acc) {
			switch p.Kind {
			case floorgate.ExceptionShortPick:
				a.shortPicks++
			case floorgate.ExceptionIntercept:
				a.intercepts++
			}
		})
	case *floorgate.PackRecord:
		c.pack(ev.Type, p, t)
	case *floorgate.PrintJob: // label.failed
		c.person(p.Packer).markPacks()
		c.add(p.Packer, t, func(a *acc) { a.lbl++ })
	case *floorgate.PutRecord: // pick.put: units into an order's tote on a cart
		c.add(p.Operator, t, func(a *acc) { a.units[cluster] += p.Qty })
	}
}

// mistake is the picker's mistake a scan record shows: its code when that
// is a picker's error, or, for a read refused for its distance, the
// rejection it would have had in the band when that is one; "" for none.
func mistake(r *floorgate.ScanRecord) floorgate.Code {
	switch {
	case PickerError(r.Code):
		return r.Code
	case r.Code == floorgate.CodeDistance && PickerError(r.InBandCode):
		return r.InBandCode
	}
	return ""
}

// scan counts one scan event in the window; wall says it is a scan at a
// put wall (atWall), lane the single-item lane's pack scan (packLane).
func (c *computer) scan(accepted bool, r *floorgate.ScanRecord, t time.Time, wall, lane bool) {
	m := c.mode(r.Task)
	if wall {
		m = batch // a wall scan naming no task is the sorter's too
	}
	// A pick scan is a discrete task's: a scan on a cart steps through
	// totes as well as items, and is counted by its puts instead; a scan
	// at a wall, by its sorts.
	pick := r.Task != "" && !wall && !lane && m == discrete
	put := r.Task != "" && !wall && !lane && isPut(accepted, r)
	var wrong, wrongPut floorgate.Code
	if r.Task != "" && !lane {
		c.person(r.Operator).markPicks()
	}
	// Each device's distance counts are the site's only (DistanceByDevice).
	c.add("", t, func(a *acc) { a.countDevice(r.Device, r.Distance) })
	if pick {
		wrong = mistake(r)
	}
	if put && !accepted {
		wrongPut = putMistake(r)
	}
	if wall {
		// A sort is counted as a put is: right when it counted its unit,
		// wrong when refused for a sorter's mistake.
		put = accepted && sortCodes[r.Code]
		if !accepted {
			wrongPut = sortMistake(r)
			put = wrongPut != ""
		}
	}
	c.add(r.Operator, t, func(a *acc) {
		a.scans++
		if accepted {
			a.accepted++
		} else {
			a.rejected++
			if a.byCode == nil {
				a.byCode = map[floorgate.Code]int{}
			}
			a.byCode[r.Code]++
		}
		a.countDistance(r.Distance)
		if put && (accepted || wrongPut != "") {
			a.puts[m]++
			if !accepted {
				a.wrongPuts[m]++
			}
		}
		if !pick {
			return
		}
		if accepted && countsUnits[r.Code] {
			a.units[m] += max(r.Qty, 1)
		}
		switch {
		case accepted:
			a.pickOK++
			if r.Kind == floorgate.MatchItem {
				a.items++
			}
		case wrong != "":
			a.pickWrong++
			if r.Kind == floorgate.MatchItem {
				a.items++
				if wrong == floorgate.CodeItemBeforeLocation {
					a.itemBefore++
				}
			}
			if a.wrongAt == nil {
				a.wrongAt = map[string]map[floorgate.Code]int{}
			}
			if a.wrongAt[r.Location] == nil {
				a.wrongAt[r.Location] = map[floorgate.Code]int{}
			}
			a.wrongAt[r.Location][wrong]++
		}
	})
}

func (tl *tally) markPicks() {
	if tl != nil {
		tl.picks = true
	}
}

func (tl *tally) markPacks() {
	if tl != nil {
		tl.packs = true
	}
}

func (c *computer) pack(typ string, r *floorgate.PackRecord, t time.Time) {
	c.person(r.Packer).markPacks()
	switch typ {
	case floorgate.EventPackCompleted:
		if r.Started.IsZero() {
			return
		}
		packed := r.Packed
		if packed.IsZero() {
			packed = t
		}
		d := packed.Sub(r.Started).Seconds()
		v := variantOf(r.Variant)
		c.add(r.Packer, t, func(a *acc) {
			a.pack = append(a.pack, d)
			a.vPacked[v]++
			if r.Held {
				a.vHeld[v]++
			}
		})
	case floorgate.EventShipConfirmed:
		d := r.PackToShipS
		v := variantOf(r.Variant)
		c.add(r.Packer, t, func(a *acc) {
			a.outbound = append(a.outbound, d)
			a.vShipped[v]++
			if d <= floorgate.OutboundStandard.Seconds() {
				a.withinStd++
				a.vWithin[v]++
			}
		})
	default:
		// pack.started only marks the role; a person with nothing else in
		// the window still appears.
		c.add(r.Packer, t, func(*acc) {})
	}
}

// login opens op's session on dev at t. A session of op on another device
// ends (the store also journals that logout), and so does another
// operator's on dev; the same operator logging in again on dev keeps the
// session they have.
func (c *computer) login(op, dev string, t time.Time) {
	if op == "" {
		return // names nobody: no session to open or end
	}
	for d, s := range c.sessions {
		if s.op == op && d != dev {
			c.end(d, t)
		}
	}
	if s, ok := c.sessions[dev]; ok {
		if s.op == op {
			return
		}
		c.end(dev, t)
	}
	c.sessions[dev] = session{op: op, start: t}
}

// logout ends op's session on dev, if op is who is logged in there.
func (c *computer) logout(op, dev string, t time.Time) {
	if s, ok := c.sessions[dev]; ok && s.op == op {
		c.end(dev, t)
	}
}

// endSessions ends every open session at the window's end.
func (c *computer) endSessions() {
	for _, dev := range slices.Sorted(maps.Keys(c.sessions)) {
		c.end(dev, c.to)
	}
}

// end closes the session on dev at t and credits its time inside the
// window, hour by hour.
func (c *computer) end(dev string, t time.Time) {
	s := c.sessions[dev]
	delete(c.sessions, dev)
	if c.roll != nil {
		c.roll.span(s.op, s.start, t)
		return
	}
	start, stop := later(s.start, c.from), earlier(t, c.to)
	if !stop.After(start) {
		return
	}
	p := c.person(s.op)
	p.all.loggedIn += stop.Sub(start)
	c.site.all.loggedIn += stop.Sub(start)
	for h := int(start.Sub(c.first) / time.Hour); h < c.nHours; h++ {
		hs := c.first.Add(time.Duration(h) * time.Hour)
		a, b := later(start, hs), earlier(stop, hs.Add(time.Hour))
		if !b.After(a) {
			break
		}
		p.hours[h].loggedIn += b.Sub(a)
		c.site.hours[h].loggedIn += b.Sub(a)
	}
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

// standards are the targets every report states.
var standards = Standards{AccuracyMin: AccuracyMin, OutboundMaxS: floorgate.OutboundStandard.Seconds(),
	ExceptionRateMax: ExceptionRateMax, ComplianceMin: ComplianceMin}

func (c *computer) report(names map[string]string) Report {
	r := Report{
		From:      c.from,
		To:        c.to,
		Standards: standards,
		Site:      c.site.all.figures(),
		People:    []Person{},
		Hours:     c.hours(c.site),
	}
	r.Waves, r.VariantGroups = c.site.all.groupRows()
	r.DistanceByDevice = c.site.all.distanceByDevice()
	for _, op := range slices.Sorted(maps.Keys(c.people)) {
		tl := c.people[op]
		var roles []string
		if tl.picks {
			roles = append(roles, "picker")
		}
		if tl.packs {
			roles = append(roles, "packer")
		}
		r.People = append(r.People, Person{Operator: op, Name: names[op], Role: strings.Join(roles, ","),
			Figures: tl.all.figures(), Hours: c.hours(tl)})
	}
	return r
}

func (c *computer) hours(tl *tally) []Hour {
	if c.siteHoursOnly && tl != c.site {
		return []Hour{}
	}
	out := make([]Hour, c.nHours)
	for h := range out {
		out[h] = Hour{Start: c.first.Add(time.Duration(h) * time.Hour), Figures: tl.hours[h].figures()}
	}
	return out
}

// figures turns the sums into the published figures.
func (a *acc) figures() Figures {
	f := Figures{
		Scans:          a.scans,
		Accepted:       a.accepted,
		Rejected:       a.rejected,
		RejectedByCode: maps.Clone(a.byCode),
		Lines:          a.lines,
		ShortLines:     a.short,
		HoursLoggedIn:  a.loggedIn.Hours(),
		PickScans:      a.pickOK + a.pickWrong,
		WrongPickScans: a.pickWrong,
	}
	if f.RejectedByCode == nil {
		f.RejectedByCode = map[floorgate.Code]int{}
	}
	if f.HoursLoggedIn > 0 {
		f.LinesPerHour = float64(a.lines) / f.HoursLoggedIn
	}
	f.Modes = a.modeFigures(f.HoursLoggedIn)
	f.Variants = a.variantFigures()
	if n := f.PickScans; n > 0 {
		f.PickAccuracy = ptr(float64(a.pickOK) / float64(n))
		// accuracy ≥ 0.998 ⇔ wrong/n ≤ 2/1000, exactly in integers.
		f.AccuracyOK = ptr(1000*a.pickWrong <= 2*n)
	}
	f.LinesRightFirstTime = a.linesRight
	// Only discrete lines can be right the first time (see event).
	if n := a.modeLines[discrete]; n > 0 {
		f.LineAccuracy = ptr(float64(a.linesRight) / float64(n))
		f.LineAccuracyOK = ptr(1000*(n-a.linesRight) <= 2*n)
	}
	f.Orders, f.OrdersWithException, f.CompliantOrders = a.orders, a.ordersExc, a.compliant
	if n := a.orders; n > 0 {
		f.ExceptionRate = ptr(float64(a.ordersExc) / float64(n))
		// rate ≤ 1/100 and share ≥ 98/100, exactly in integers.
		f.ExceptionRateOK = ptr(100*a.ordersExc <= n)
		f.Compliance = ptr(float64(a.compliant) / float64(n))
		f.ComplianceOK = ptr(100*a.compliant >= 98*n)
	}
	if n := a.items; n > 0 {
		f.SequenceCompliance = ptr(float64(n-a.itemBefore) / float64(n))
	}

	d := &f.Distance
	d.In, d.Out, d.Unknown, d.NotMeasurable = a.distIn, a.distOut, a.distUnk, a.distNM
	d.Total = d.In + d.Out + d.Unknown + d.NotMeasurable
	if d.Total > 0 {
		d.InShare = float64(d.In) / float64(d.Total)
		d.OutShare = float64(d.Out) / float64(d.Total)
		d.UnknownShare = float64(d.Unknown) / float64(d.Total)
		d.NotMeasurableShare = float64(d.NotMeasurable) / float64(d.Total)
	}
	if n := d.In + d.Out; n > 0 {
		d.InBandShare = ptr(float64(d.In) / float64(n))
	}

	s := summarise(a.outbound)
	f.PackToOutbound = Outbound{Count: s.n, MeanS: s.mean, P50S: s.p50, P90S: s.p90, MaxS: s.max,
		WithinStandard: a.withinStd}
	if s.n > 0 {
		f.PackToOutbound.WithinStandardShare = ptr(float64(a.withinStd) / float64(s.n))
	}
	f.Stages = Stages{Pick: summarise(a.pick).stage(), Pack: summarise(a.pack).stage(), Outbound: s.stage()}

	f.Exceptions = Exceptions{ShortPicks: a.shortPicks, Intercepts: a.intercepts, LabelFailures: a.lbl,
		WrongScansByLocation: []LocationErrors{}, ByReason: maps.Clone(a.byReason)}
	if f.Exceptions.ByReason == nil {
		f.Exceptions.ByReason = map[floorgate.ExceptionReason]int{}
	}
	if rs := summarise(a.resolve); rs.n > 0 {
		f.Exceptions.Resolution = Resolution{Count: rs.n, MeanS: rs.mean, P90S: rs.p90}
	}
	for loc, codes := range a.wrongAt {
		n := 0
		for _, k := range codes {
			n += k
		}
		f.Exceptions.WrongScansByLocation = append(f.Exceptions.WrongScansByLocation,
			LocationErrors{Location: loc, Count: n, ByCode: maps.Clone(codes)})
	}
	slices.SortFunc(f.Exceptions.WrongScansByLocation, func(x, y LocationErrors) int {
		if x.Count != y.Count {
			return y.Count - x.Count
		}
		return strings.Compare(x.Location, y.Location)
	})
	return f
}

func ptr[T any](v T) *T { return &v }

// summary is a set of durations in seconds.
type summary struct {
	n                   int
	mean, p50, p90, max float64
}

func summarise(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return summary{n: len(s), mean: sum / float64(len(s)), p50: Percentile(s, 50), p90: Percentile(s, 90),
		max: s[len(s)-1]}
}

func (s summary) stage() Stage { return Stage{Count: s.n, MeanS: s.mean, P50S: s.p50, P90S: s.p90} }

// Percentile is the p-th percentile (0 < p ≤ 100) of sorted (ascending) by
// nearest rank: the value at rank ⌈p·n/100⌉ (1-based, at least 1). It is
// always one of the values, never an interpolation; 0 for no values.
func Percentile(sorted []float64, p int) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := (p*n + 99) / 100
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}
