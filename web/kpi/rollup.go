package kpi

import (
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
)

// ErrNeedJournal is returned by Rollup.Report for a window it cannot answer
// exactly: one whose end falls where the journal's times go backwards (see
// Rollup). The caller computes that window with Compute over the journal.
var ErrNeedJournal = errors.New("kpi: the window's end falls where event times go backwards: compute it from the journal")

// Rollup keeps the KPIs of every clock hour (UTC) of a journal as it grows,
// so that a report over any window adds up hours instead of reading every
// event. Feed it every journal event once, in sequence order, with Add; it
// can be rebuilt at any time from the journal the same way.
//
// A report is exactly what Compute gives over the same events:
//   - each event is counted by the same code as in Compute (computer.event),
//     with the running state (open sessions, task starts, lines with a
//     wrong scan) of every event before it, into the accumulators of its
//     hour, for the site and for the person it names;
//   - the hours a window covers whole are those accumulators added up
//     (counts add; durations are kept as samples, so percentiles stay
//     nearest-rank over every sample);
//   - an hour the window cuts (a from or to not on the hour) is added up
//     from the hour's marks: what each event added, kept compactly with its
//     time, so the part inside the window is exact to the nanosecond;
//   - sessions are kept as spans (login to end) and clipped to the window
//     and split over its hours by the same code as in Compute.
//
// Compute ignores events at or after to entirely, running state included;
// the rollup has counted them all. The two agree whenever every event
// before to in time also comes before, in sequence, every event at or after
// to. Where the journal's times go backwards (a scan judged at a receive
// time a little before an event committed ahead of it), windows ending in
// that stretch are refused with ErrNeedJournal.
//
// A Rollup is not safe for concurrent use.
type Rollup struct {
	c      *computer
	hours  map[int64]*bucket // by hour number: Unix seconds / 3600
	days   map[int64]*bucket // the sums of each UTC day's hours (no marks)
	spans  []span            // ended sessions
	gaps   []gap             // where times went backwards, merged
	latest time.Time         // the latest event time so far
	err    error             // the first payload that did not decode
	n      int

	strs  []string          // interned operators, codes and locations
	index map[string]uint64 // string → its index in strs

	// What the event being added touched (computer.person).
	touched map[string]*tally
	scratch acc
}

// bucket is one hour: its accumulators, and the marks its events left.
type bucket struct {
	site   acc
	people map[string]*tally // tally.all is the person's hour
	marks  []byte
	lo, hi uint64 // the least and greatest seq of the hour's events
	// unsorted says samples were added since the hour's sample lists
	// were last sorted (in place: their order means nothing).
	unsorted bool
}

// span is one ended session.
type span struct {
	op          string
	start, stop time.Time
}

// gap is a stretch (lo, hi] of times a window must not end in.
type gap struct{ lo, hi time.Time }

// NewRollup returns an empty Rollup.
func NewRollup() *Rollup {
	r := &Rollup{hours: map[int64]*bucket{}, days: map[int64]*bucket{}, index: map[string]uint64{}, touched: map[string]*tally{}}
	r.c = newComputer(time.Time{}, time.Time{})
	r.c.roll = r
	return r
}

// Events is how many events have been added.
func (r *Rollup) Events() int { return r.n }

// Add counts the next journal event. Events must come in sequence order.
// A payload that does not decode is an error, and so is every report after
// it, as Compute over a journal holding it would be.
func (r *Rollup) Add(ev floorgate.Event) error {
	r.n++
	if ev.Time.Before(r.latest) {
		r.addGap(ev.Time, r.latest)
	} else {
		r.latest = ev.Time
	}
	b := r.bucket(ev.Time)
	if b.lo == 0 || ev.Seq < b.lo {
		b.lo = ev.Seq
	}
	b.hi = max(b.hi, ev.Seq)
	p, err := decodeOne(ev)
	if err != nil {
		if r.err == nil {
			r.err = err
		}
		return err
	}
	r.c.at = ev.Time
	r.c.event(ev, p, true)
	for op, tl := range r.touched {
		for _, pt := range []*tally{b.person(op), r.day(ev.Time).person(op)} {
			pt.picks = pt.picks || tl.picks
			pt.packs = pt.packs || tl.packs
		}
		r.scratch = acc{}
		b.marks = r.appendMark(b.marks, ev.Time, op, tl.picks, tl.packs, &r.scratch)
		delete(r.touched, op)
	}
	return nil
}

// touch is computer.person for the event being added: what it marks
// (roles) goes to the event's hour when the event is done.
func (r *Rollup) touch(op string) *tally { return tallyIn(r.touched, op) }

// add is computer.add: f goes into the accumulators of t's hour, and what
// it adds is marked.
func (r *Rollup) add(op string, t time.Time, f func(*acc)) {
	for _, b := range []*bucket{r.bucket(t), r.day(t)} {
		b.unsorted = true
		f(&b.site)
		if op != "" {
			f(&b.person(op).all)
		}
	}
	b := r.bucket(t)
	r.scratch = acc{}
	f(&r.scratch)
	b.marks = r.appendMark(b.marks, t, op, false, false, &r.scratch)
}

// span is computer.end: the session is kept whole, to be clipped to each
// window.
func (r *Rollup) span(op string, start, stop time.Time) {
	if stop.After(start) {
		r.spans = append(r.spans, span{op: op, start: start, stop: stop})
	}
}

func (r *Rollup) addGap(lo, hi time.Time) {
	if n := len(r.gaps); n > 0 {
		if g := &r.gaps[n-1]; !lo.After(g.hi) && !hi.Before(g.lo) {
			g.lo, g.hi = earlier(g.lo, lo), later(g.hi, hi)
			return
		}
	}
	r.gaps = append(r.gaps, gap{lo, hi})
}

func hourOf(t time.Time) int64 {
	s := t.Unix()
	if s < 0 && s%3600 != 0 {
		return s/3600 - 1
	}
	return s / 3600
}

func hourStart(h int64) time.Time { return time.Unix(h*3600, 0).UTC() }

// bucket is t's hour.
func (r *Rollup) bucket(t time.Time) *bucket { return get(r.hours, hourOf(t)) }

// day is t's UTC day.
func (r *Rollup) day(t time.Time) *bucket {
	h := hourOf(t)
	if h < 0 && h%24 != 0 {
		return get(r.days, h/24-1)
	}
	return get(r.days, h/24)
}

func get(m map[int64]*bucket, k int64) *bucket {
	b := m[k]
	if b == nil {
		b = &bucket{people: map[string]*tally{}}
		m[k] = b
	}
	return b
}

// sorted sorts b's sample lists in place, if samples came since the last
// time: then sorting their copies again for figures costs a look.
func (b *bucket) sorted() *bucket {
	if b.unsorted {
		b.site.sortSamples()
		for _, tl := range b.people {
			tl.all.sortSamples()
		}
		b.unsorted = false
	}
	return b
}

func (b *bucket) person(op string) *tally { return tallyIn(b.people, op) }

// tallyIn is op's tally in m, made empty if m has none yet.
func tallyIn(m map[string]*tally, op string) *tally {
	tl := m[op]
	if tl == nil {
		tl = &tally{}
		m[op] = tl
	}
	return tl
}

// SeqRange returns the least and greatest sequence number of the events
// whose time is in the hours [from, to) overlaps: every event of the window
// is between them. ok is false when there are none.
func (r *Rollup) SeqRange(from, to time.Time) (lo, hi uint64, ok bool) {
	for h := hourOf(from); hourStart(h).Before(to); h++ {
		b := r.hours[h]
		if b == nil || b.hi == 0 {
			continue
		}
		if !ok || b.lo < lo {
			lo = b.lo
		}
		hi, ok = max(hi, b.hi), true
	}
	return lo, hi, ok
}

// Report returns the KPIs of [from, to), names as for Compute: exactly
// Compute's report over the events added. A window ending where the
// journal's times go backwards is ErrNeedJournal.
func (r *Rollup) Report(from, to time.Time, names map[string]string) (Report, error) {
	return r.report(from, to, names, false)
}

// Summary is Report without each person's hours (every Person.Hours is
// empty): the site's trend and everyone's totals. A month of a floor's
// people hour by hour is tens of megabytes of JSON; this is what a
// dashboard comparing people over a month needs.
func (r *Rollup) Summary(from, to time.Time, names map[string]string) (Report, error) {
	return r.report(from, to, names, true)
}

func (r *Rollup) report(from, to time.Time, names map[string]string, siteHoursOnly bool) (Report, error) {
	if to.Before(from) || to.Sub(from) > MaxWindow {
		return Report{}, ErrWindow
	}
	if r.err != nil {
		return Report{}, r.err
	}
	for _, g := range r.gaps {
		if to.After(g.lo) && !to.After(g.hi) {
			return Report{}, ErrNeedJournal
		}
	}
	c := newComputer(from, to)
	c.siteHoursOnly = siteHoursOnly
	for h := 0; h < c.nHours; h++ {
		start := c.first.Add(time.Duration(h) * time.Hour)
		if start.Before(from) || start.Add(time.Hour).After(to) {
			if b := r.hours[hourOf(start)]; b != nil {
				r.fold(c, h, b.marks, start)
			}
			continue
		}
		// A UTC day the window covers whole adds its day's sums to the
		// window's; any other whole hour, its own.
		n := 1
		if start.Hour() == 0 && !start.Add(24*time.Hour).After(to) {
			n = 24
			if d := r.days[hourOf(start)/24]; d != nil {
				c.merge(d.sorted())
			}
		}
		for i := range n {
			b := r.hours[hourOf(start)+int64(i)]
			if b == nil {
				continue
			}
			b.sorted()
			if n == 1 {
				c.merge(b)
			}
			// A whole hour is the bucket's: its hour acc is a shallow
			// copy, which the report only reads (figures clones what it
			// keeps) and to which only the sessions' time is added.
			c.site.hours[h+i] = b.site
			if !siteHoursOnly {
				for op, tl := range b.people {
					c.person(op).hours[h+i] = tl.all
				}
			}
		}
		h += n - 1
	}
	for _, s := range r.spans {
		if s.stop.After(from) && s.start.Before(to) {
			c.sessions[""] = session{op: s.op, start: s.start}
			c.end("", s.stop)
		}
	}
	for dev, s := range r.c.sessions {
		c.sessions[dev] = s
	}
	c.endSessions()
	// A month's samples are a hundred thousand: sorted here in linear
	// time, summarise's sort of them is a look.
	c.site.all.sortSamples()
	for _, p := range c.people {
		p.all.sortSamples()
	}
	return c.report(names), nil
}

// merge adds b's sums to the window's (not to its hours).
func (c *computer) merge(b *bucket) {
	c.site.all.merge(&b.site)
	for op, tl := range b.people {
		p := c.person(op)
		p.all.merge(&tl.all)
		p.picks = p.picks || tl.picks
		p.packs = p.packs || tl.packs
	}
}

// sortSamples sorts each of a's sample lists.
func (a *acc) sortSamples() {
	for _, f := range accSamples {
		sortSeconds(*f(a))
	}
	for _, g := range a.groups {
		for _, f := range groupSamples {
			sortSeconds(*f(g))
		}
	}
}

// sortSeconds sorts xs ascending, as slices.Sort does for durations (never
// NaN), by radix on their bits: linear in len(xs).
func sortSeconds(xs []float64) {
	if len(xs) < 256 {
		slices.Sort(xs)
		return
	}
	keys, tmp := make([]uint64, len(xs)), make([]uint64, len(xs))
	for i, x := range xs {
		// Ordered as unsigned integers: negatives flipped whole, the
		// sign bit set on the rest.
		b := math.Float64bits(x)
		if b>>63 != 0 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys[i] = b
	}
	for shift := 0; shift < 64; shift += 8 {
		var count [256]int
		for _, k := range keys {
			count[k>>shift&0xff]++
		}
		if count[keys[0]>>shift&0xff] == len(keys) {
			continue // every key has this digit
		}
		sum := 0
		for d, n := range count {
			count[d], sum = sum, sum+n
		}
		for _, k := range keys {
			d := k >> shift & 0xff
			tmp[count[d]] = k
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	for i, b := range keys {
		if b>>63 != 0 {
			b &^= 1 << 63
		} else {
			b = ^b
		}
		xs[i] = math.Float64frombits(b)
	}
}

// Marks. A mark is what one call of computer.add put into an acc (or the
// roles computer.person marked), with its time and operator, encoded:
//
//	uvarint nanoseconds into the hour, uvarint operator (index + 1, 0 for
//	none), byte roles (1 picker, 2 packer), then entries, then 0.
//
// An entry is a kind byte and its fields, integers as varints, strings as
// their index in strs:
const (
	markEnd     = iota
	markInt     // field index, value
	markSample  // field index, 8 bytes of float64
	markCode    // code, count (byCode)
	markWrong   // location, code, count (wrongAt)
	markSession // nanoseconds (loggedIn)
	markReason  // reason, count (byReason)
	markGroup   // kind byte, name, groupInts' values, each groupSamples' count and values (groups)
	markDevice  // device, distance class, count (distByDev)
)

// accInts are acc's counts, accSamples its samples: merge and the marks go
// through them, so a count added to acc must be added here (TestAccMerge
// fails until it is).
var accInts = append([]func(*acc) *int{
	func(a *acc) *int { return &a.scans },
	func(a *acc) *int { return &a.accepted },
	func(a *acc) *int { return &a.rejected },
	func(a *acc) *int { return &a.lines },
	func(a *acc) *int { return &a.short },
	func(a *acc) *int { return &a.pickOK },
	func(a *acc) *int { return &a.pickWrong },
	func(a *acc) *int { return &a.linesRight },
	func(a *acc) *int { return &a.items },
	func(a *acc) *int { return &a.itemBefore },
	func(a *acc) *int { return &a.distIn },
	func(a *acc) *int { return &a.distOut },
	func(a *acc) *int { return &a.distUnk },
	func(a *acc) *int { return &a.distNM },
	func(a *acc) *int { return &a.withinStd },
	func(a *acc) *int { return &a.shortPicks },
	func(a *acc) *int { return &a.intercepts },
	func(a *acc) *int { return &a.lbl },
	func(a *acc) *int { return &a.orders },
	func(a *acc) *int { return &a.ordersExc },
	func(a *acc) *int { return &a.compliant },
}, perMode(
	func(a *acc) *[nModes]int { return &a.units },
	func(a *acc) *[nModes]int { return &a.modeLines },
	func(a *acc) *[nModes]int { return &a.puts },
	func(a *acc) *[nModes]int { return &a.wrongPuts },
)...)

func init() {
	accInts = append(accInts, perVariant(
		func(a *acc) *[nVariants]int { return &a.vPacked },
		func(a *acc) *[nVariants]int { return &a.vHeld },
		func(a *acc) *[nVariants]int { return &a.vShipped },
		func(a *acc) *[nVariants]int { return &a.vWithin },
	)...)
}

// perMode is accInts' entries for each mode of each per-mode count.
func perMode(counts ...func(*acc) *[nModes]int) []func(*acc) *int {
	var out []func(*acc) *int
	for _, f := range counts {
		for m := range nModes {
			out = append(out, func(a *acc) *int { return &f(a)[m] })
		}
	}
	return out
}

var accSamples = [...]func(*acc) *[]float64{
	func(a *acc) *[]float64 { return &a.outbound },
	func(a *acc) *[]float64 { return &a.pick },
	func(a *acc) *[]float64 { return &a.pack },
	func(a *acc) *[]float64 { return &a.resolve },
}

// merge adds b to a. b is not changed and a shares nothing with it.
func (a *acc) merge(b *acc) {
	for _, f := range accInts {
		*f(a) += *f(b)
	}
	a.loggedIn += b.loggedIn
	for _, f := range accSamples {
		if s := *f(b); len(s) > 0 {
			*f(a) = append(*f(a), s...)
		}
	}
	if len(b.byCode) > 0 {
		if a.byCode == nil {
			a.byCode = map[floorgate.Code]int{}
		}
		for k, n := range b.byCode {
			a.byCode[k] += n
		}
	}
	if len(b.byReason) > 0 {
		if a.byReason == nil {
			a.byReason = map[floorgate.ExceptionReason]int{}
		}
		for k, n := range b.byReason {
			a.byReason[k] += n
		}
	}
	for k, g := range b.groups {
		a.group(k).merge(g)
	}
	if len(b.wrongAt) > 0 {
		if a.wrongAt == nil {
			a.wrongAt = map[string]map[floorgate.Code]int{}
		}
		for loc, codes := range b.wrongAt {
			if a.wrongAt[loc] == nil {
				a.wrongAt[loc] = maps.Clone(codes)
				continue
			}
			for k, n := range codes {
				a.wrongAt[loc][k] += n
			}
		}
	}
	a.mergeDistByDev(b)
}

func (r *Rollup) intern(s string) uint64 {
	i, ok := r.index[s]
	if !ok {
		i = uint64(len(r.strs))
		r.strs = append(r.strs, s)
		r.index[s] = i
	}
	return i
}

func (r *Rollup) appendMark(m []byte, t time.Time, op string, picks, packs bool, d *acc) []byte {
	m = binary.AppendUvarint(m, uint64(t.Sub(hourStart(hourOf(t)))))
	if op == "" {
		m = append(m, 0)
	} else {
		m = binary.AppendUvarint(m, r.intern(op)+1)
	}
	var roles byte
	if picks {
		roles |= 1
	}
	if packs {
		roles |= 2
	}
	m = append(m, roles)
	for i, f := range accInts {
		if v := *f(d); v != 0 {
			m = append(m, markInt)
			m = binary.AppendUvarint(m, uint64(i))
			m = binary.AppendVarint(m, int64(v))
		}
	}
	for i, f := range accSamples {
		for _, x := range *f(d) {
			m = append(m, markSample)
			m = binary.AppendUvarint(m, uint64(i))
			m = binary.LittleEndian.AppendUint64(m, math.Float64bits(x))
		}
	}
	for k, n := range d.byCode {
		m = append(m, markCode)
		m = binary.AppendUvarint(m, r.intern(string(k)))
		m = binary.AppendVarint(m, int64(n))
	}
	for loc, codes := range d.wrongAt {
		for k, n := range codes {
			m = append(m, markWrong)
			m = binary.AppendUvarint(m, r.intern(loc))
			m = binary.AppendUvarint(m, r.intern(string(k)))
			m = binary.AppendVarint(m, int64(n))
		}
	}
	for k, n := range d.byReason {
		m = append(m, markReason)
		m = binary.AppendUvarint(m, r.intern(string(k)))
		m = binary.AppendVarint(m, int64(n))
	}
	for k, g := range d.groups {
		m = append(m, markGroup, k.kind)
		m = binary.AppendUvarint(m, r.intern(k.name))
		for _, f := range groupInts {
			m = binary.AppendVarint(m, int64(*f(g)))
		}
		for _, f := range groupSamples {
			m = binary.AppendUvarint(m, uint64(len(*f(g))))
			for _, x := range *f(g) {
				m = binary.LittleEndian.AppendUint64(m, math.Float64bits(x))
			}
		}
	}
	if d.loggedIn != 0 {
		m = append(m, markSession)
		m = binary.AppendVarint(m, int64(d.loggedIn))
	}
	m = r.appendDeviceMarks(m, d)
	return append(m, markEnd)
}

// fold adds the marks of the hour starting at start whose time is in c's
// window to hour h of c, as computer.add and computer.person would have.
func (r *Rollup) fold(c *computer, h int, m []byte, start time.Time) {
	uv := func() uint64 {
		v, n := binary.Uvarint(m)
		m = m[n:]
		return v
	}
	sv := func() int64 {
		v, n := binary.Varint(m)
		m = m[n:]
		return v
	}
	for len(m) > 0 {
		t := start.Add(time.Duration(uv()))
		op := ""
		if i := uv(); i > 0 {
			op = r.strs[i-1]
		}
		roles := m[0]
		m = m[1:]
		var d acc
		for kind := m[0]; kind != markEnd; kind = m[0] {
			m = m[1:]
			switch kind {
			case markInt:
				i := uv()
				*accInts[i](&d) += int(sv())
			case markSample:
				f := accSamples[uv()]
				*f(&d) = append(*f(&d), math.Float64frombits(binary.LittleEndian.Uint64(m)))
				m = m[8:]
			case markCode:
				k := floorgate.Code(r.strs[uv()])
				if d.byCode == nil {
					d.byCode = map[floorgate.Code]int{}
				}
				d.byCode[k] += int(sv())
			case markWrong:
				loc, k := r.strs[uv()], floorgate.Code(r.strs[uv()])
				if d.wrongAt == nil {
					d.wrongAt = map[string]map[floorgate.Code]int{}
				}
				if d.wrongAt[loc] == nil {
					d.wrongAt[loc] = map[floorgate.Code]int{}
				}
				d.wrongAt[loc][k] += int(sv())
			case markSession:
				d.loggedIn += time.Duration(sv())
			case markReason:
				k := floorgate.ExceptionReason(r.strs[uv()])
				if d.byReason == nil {
					d.byReason = map[floorgate.ExceptionReason]int{}
				}
				d.byReason[k] += int(sv())
			case markGroup:
				kind := m[0]
				m = m[1:]
				g := d.group(groupKey{kind, r.strs[uv()]})
				for _, f := range groupInts {
					*f(g) += int(sv())
				}
				for _, f := range groupSamples {
					for range uv() {
						*f(g) = append(*f(g), math.Float64frombits(binary.LittleEndian.Uint64(m)))
						m = m[8:]
					}
				}
			case markDevice:
				dev, k := r.strs[uv()], uv()
				foldDevice(&d, dev, k, sv())
			}
		}
		m = m[1:]
		if t.Before(c.from) || !t.Before(c.to) {
			continue
		}
		for _, tl := range []*tally{c.site, c.person(op)} {
			if tl != nil {
				tl.all.merge(&d)
				tl.hours[h].merge(&d)
			}
		}
		if p := c.person(op); p != nil {
			p.picks = p.picks || roles&1 != 0
			p.packs = p.packs || roles&2 != 0
		}
	}
}
