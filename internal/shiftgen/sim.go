package shiftgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Shift is a generated shift: the site, its tasks, and the script.
type Shift struct {
	Config Config
	Site   Site
	// Tasks are every task the script creates, in creation order.
	Tasks []Task
	// Batches are every batch the script creates (CreateBatch).
	Batches []Batch
	// Script is every action, in time order (times strictly increase).
	Script []Action
	// Incidents counts the incidents the script holds, by kind.
	Incidents map[string]int
}

// AllIncidents are the incidents a shift can hold. Each is placed with a
// small probability where it can happen, and more eagerly while it has not
// happened yet, so the default shifts hold every one (a test checks).
var AllIncidents = []string{
	// picking
	"item_before_location", "item_before_location_out_of_band", "wrong_location", "location_out_of_band",
	"wrong_item", "wrong_item_out_of_band", "unknown_barcode", "unknown_barcode_out_of_band",
	"duplicate_read", "item_out_of_band", "over_pick", "short_pick", "intercept", "scan_after_intercept",
	"scan_without_task", "scan_not_logged_in", "invalid_barcode", "geometry_read", "no_distance", "break",
	"device_swap", "handover", "keyed_qty_refused",
	// picking on a cart
	"cart", "cart_wrong_location", "cart_short", "wrong_tote", "tote_not_needed", "tote_expected",
	"wrong_tote_out_of_band", "tote_out_of_band",
	// packing
	"unknown_order", "intercepted_order", "pack_wrong_item", "extra_item", "pack_out_of_band",
	"wrong_waybill", "label_failure", "late_outbound",
}

// step is a few actions that happen together, at offsets from the step's
// start, after a delay: no other person acts in between.
type step struct {
	delay   time.Duration
	actions []Action
	offsets []time.Duration
	// final marks the step that ends a task (its last scan, or the next
	// after an intercept): what follows is decided when it runs.
	final bool
}

type worker struct {
	op    Operator
	ready time.Time
	seq   int
	// loggedIn, finished: where the person is in their shift.
	loggedIn, finished bool
	steps              []step
	// breakAt is when a picker takes their break (zero: none, or taken).
	breakAt time.Time
	// carts: the picker now and then takes a cart.
	carts bool
	// wall: the wall hand, who picks a batch and sorts it (wall.go).
	wall bool
}

// sim is the generator: a discrete-event simulation of the shift. The
// worker whose next step is due first runs it; a step's actions are stamped
// after every action before them, so the script's times strictly increase
// and no one acts inside another's step.
//
// The gateway decides who gets a task; the script makes that decision
// certain: a task is created only just before the picker who is to take it
// asks (their login, their last scan of the previous task, their next after
// an intercept), while every other picker is busy, so exactly one task
// waits and exactly one picker can take it. Cart orders likewise: created
// just before the picker's last scan, whose prompt is then scan_cart, and
// the cart scanned in the same step, before anyone else can be offered them.
type sim struct {
	cfg Config
	rng *rand.Rand
	// crng draws what carts decide, so a shift without carts draws from
	// rng exactly as before carts were played.
	crng    *rand.Rand
	wrng    *rand.Rand // the wall's dice
	sh      *Shift
	now     time.Time
	workers []*worker
	due     map[string]bool // incidents not placed yet
	// parcels: done orders waiting for a packer, in completion order.
	parcels     []Task
	intercepted []string
	short       map[string]bool // tasks with a line closed short
	spares      int             // spare handhelds handed out
	leftOn      string          // the station a packer left logged in
	parcelN     int
	labelFailAt int
	taskN       int
	totesUsed   int               // totes bound so far: each is used once
	toteOf      map[string]string // cart order's task → its tote's barcode
}

// Generate makes the shift of cfg. The same cfg always gives the same
// shift.
func Generate(cfg Config) *Shift {
	def := Default(cfg.Seed)
	if cfg.Start.IsZero() {
		cfg.Start = def.Start
	}
	if cfg.Length == 0 {
		cfg.Length = def.Length
	}
	if cfg.Pickers == 0 {
		cfg.Pickers = def.Pickers
	}
	if cfg.Packers == 0 {
		cfg.Packers = def.Packers
	}
	if cfg.MaxMM == 0 {
		cfg.MinMM, cfg.MaxMM = def.MinMM, def.MaxMM
	}
	if cfg.DistanceMode == "" {
		cfg.DistanceMode = def.DistanceMode
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = def.DuplicateWindow
	}
	if cfg.OutboundStandard == 0 {
		cfg.OutboundStandard = def.OutboundStandard
	}
	if cfg.PIN == "" {
		cfg.PIN = def.PIN
	}
	if cfg.CartPickers == 0 {
		cfg.CartPickers = def.CartPickers
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	s := &sim{cfg: cfg, rng: rng, sh: &Shift{Config: cfg, Incidents: map[string]int{}}, now: cfg.Start,
		due: map[string]bool{}, short: map[string]bool{}, toteOf: map[string]string{},
		crng: rand.New(rand.NewPCG(cfg.Seed, 0xca27))}
	s.sh.Site = newSite(cfg, rng)
	for _, k := range AllIncidents {
		if cfg.CartPickers > 0 || !cartIncident(k) {
			s.due[k] = true
		}
	}
	s.labelFailAt = 2 + rng.IntN(3)
	breaks, pickers := 0, 0
	for _, op := range s.sh.Site.Operators {
		w := &worker{op: op, ready: cfg.Start.Add(s.dur(0, 12*time.Minute))}
		if op.Role == RolePicker {
			pickers++
			w.carts = pickers <= cfg.CartPickers
		}
		if op.Role == RolePicker && (breaks == 0 || rng.IntN(3) == 0) {
			breaks++
			w.breakAt = cfg.Start.Add(90*time.Minute + s.dur(0, 90*time.Minute))
		}
		s.workers = append(s.workers, w)
	}
	// The wall hand comes last, with dice of their own: the rest of the
	// shift is drawn as it would be without them.
	s.wrng = newWallRng(cfg.Seed)
	addWall(&s.sh.Site)
	wop := s.sh.Site.Operators[len(s.sh.Site.Operators)-1]
	s.workers = append(s.workers, &worker{op: wop, wall: true,
		ready: cfg.Start.Add(time.Hour + time.Duration(s.wrng.Int64N(int64(time.Hour))))})
	s.run()
	return s.sh
}

// dur is a random duration in [lo, hi), to the millisecond.
func (s *sim) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)/int64(time.Millisecond)))*time.Millisecond
}

// chance is true with probability p.
func (s *sim) chance(p float64) bool { return s.rng.Float64() < p }

// incident reports whether to place incident k here: always once while it
// is due and the dice say so, otherwise with probability p.
func (s *sim) incident(k string, p float64) bool {
	if (s.due[k] && s.chance(0.35)) || s.chance(p) {
		s.place(k)
		return true
	}
	return false
}

// surely places incident k here if it has not happened yet, otherwise
// with probability p: for incidents with few chances to happen.
func (s *sim) surely(k string, p float64) bool {
	if s.due[k] || s.chance(p) {
		s.place(k)
		return true
	}
	return false
}

func (s *sim) place(k string) {
	delete(s.due, k)
	s.sh.Incidents[k]++
}

// run plays the workers in time order: the one ready first runs its next
// step; a step's actions are stamped after everything before it.
func (s *sim) run() {
	for {
		var next *worker
		for _, w := range s.workers {
			if !w.finished && (next == nil || w.due().Before(next.due())) {
				next = w
			}
		}
		if next == nil {
			return
		}
		if next.wall {
			s.wallTurn(next)
		} else if next.op.Role == RolePicker {
			s.pickerTurn(next)
		} else {
			s.packerTurn(next)
		}
	}
}

// due is when the worker's next step starts.
func (w *worker) due() time.Time {
	if len(w.steps) > 0 {
		return w.ready.Add(w.steps[0].delay)
	}
	return w.ready
}

// emit stamps a step's actions from start (at least a millisecond after
// the last action) and appends them to the script; it returns the time of
// the last one.
func (s *sim) emit(w *worker, start time.Time, st step) time.Time {
	if !start.After(s.now) {
		start = s.now.Add(time.Millisecond)
	}
	for i, a := range st.actions {
		t := start
		if i < len(st.offsets) {
			t = start.Add(st.offsets[i])
		}
		if !t.After(s.now) {
			t = s.now.Add(time.Millisecond)
		}
		a.At, s.now = t, t
		s.sh.Script = append(s.sh.Script, a)
		s.happened(a)
	}
	w.ready = s.now
	return s.now
}

// id is the worker's next request id.
func (s *sim) id(w *worker) string {
	w.seq++
	return fmt.Sprintf("%s-%06d", w.op.Device, w.seq)
}

// ---- picking ----

func site(s *sim) *Site { return &s.sh.Site }

// warn reports whether the band is in warn mode.
func (s *sim) warn() bool { return s.cfg.DistanceMode == "warn" }

func (s *sim) shiftOver(t time.Time) bool { return !t.Before(s.cfg.Start.Add(s.cfg.Length)) }

func (s *sim) pickerTurn(w *worker) {
	if !w.loggedIn {
		if s.shiftOver(w.ready) {
			w.finished = true
			return
		}
		// Arrive (or come back from the break): the ERP's next task is
		// waiting, and the login hands it out.
		var st step
		if s.surely("scan_not_logged_in", 0.1) {
			// A read before the login: nobody's, so the site's alone.
			l := site(s).Locations[s.rng.IntN(len(site(s).Locations))]
			a := s.scanAction(w, l.Barcode, "]C0", s.distClass(false), false)
			a.Operator = ""
			a.Want = Want{Code: codeNotLoggedIn, Step: stepLogin}
			a.Truth = Fact{ScanEvent: true, Code: codeNotLoggedIn, ScanKind: "location", Distance: s.classOf(a)}
			st.then(a, 0)
			w.ready = w.ready.Add(s.dur(5*time.Second, 20*time.Second))
			s.emit(w, w.ready, st)
			st = step{}
		}
		t := s.newTask()
		st = step{actions: []Action{
			{Kind: CreateTask, Task: t.ID},
			{Kind: Login, Device: w.op.Device, Operator: w.op.ID, ID: s.id(w), Badge: w.op.Badge,
				Want:  Want{Code: codeLoggedIn, Step: stepScanLocation, Task: t.ID, Line: 1},
				Truth: Fact{SessionStart: true, TaskStarted: t.ID}},
		}}
		s.emit(w, w.ready, st)
		w.loggedIn = true
		w.steps = s.planTask(w, t)
		return
	}
	st := w.steps[0]
	w.steps = w.steps[1:]
	start := w.ready.Add(st.delay)
	if !st.final {
		s.emit(w, start, st)
		return
	}
	s.finishTask(w, start, st)
}

// finishTask runs a task's last step and decides what follows: the next
// task (created just before, so the last scan's prompt is its first
// location), the break, or the end of the shift.
func (s *sim) finishTask(w *worker, start time.Time, st step) {
	last := &st.actions[len(st.actions)-1]
	if !start.After(s.now) {
		start = s.now.Add(time.Millisecond)
	}
	switch {
	case s.shiftOver(start):
		last.Want.Step, last.Want.Task, last.Want.Line = stepWait, "", 0
		if s.surely("scan_without_task", 0.3) {
			// A read with nothing to pick: no task, and no pick scan.
			it := s.sh.Site.Items[s.rng.IntN(len(s.sh.Site.Items))]
			r := read{kind: "item", target: it.SKU, dist: s.distClass(false)}
			a := s.scanAction(w, it.Barcode, "]E0", r.dist, false)
			a.Want = Want{Code: codeNoTask, Step: stepWait}
			a.Truth = Fact{ScanEvent: true, Code: codeNoTask, ScanKind: "item", Distance: r.dist}
			st.then(a, s.dur(2*time.Second, 5*time.Second))
		}
		st.then(s.logout(w), s.dur(5*time.Second, 20*time.Second))
		s.emit(w, start, st)
		w.loggedIn, w.finished = false, true
	case !w.breakAt.IsZero() && !start.Before(w.breakAt):
		s.place("break")
		last.Want.Step, last.Want.Task, last.Want.Line = stepWait, "", 0
		st.then(s.logout(w), s.dur(5*time.Second, 20*time.Second))
		end := s.emit(w, start, st)
		w.loggedIn, w.breakAt = false, time.Time{}
		w.ready = end.Add(s.dur(15*time.Minute, 30*time.Minute))
	case s.cartNext(w):
		restore := s.cartDice()
		w.steps = s.takeCart(w, &st)
		restore()
		s.emit(w, start, st)
	default:
		t := s.newTask()
		last.Want.Step, last.Want.Task, last.Want.Line, last.Want.Picked = stepScanLocation, t.ID, 1, 0
		last.Truth.TaskStarted = t.ID
		st.actions = append([]Action{{Kind: CreateTask, Task: t.ID}}, st.actions...)
		offsets := []time.Duration{0}
		for i := range st.actions[1:] {
			if i < len(st.offsets) {
				offsets = append(offsets, st.offsets[i]+time.Millisecond)
			} else {
				offsets = append(offsets, time.Millisecond)
			}
		}
		st.offsets = offsets
		s.emit(w, start, st)
		w.steps = s.planTask(w, t)
	}
}

// then appends a, d after the step's last action.
func (st *step) then(a Action, d time.Duration) {
	for len(st.offsets) < len(st.actions) {
		st.offsets = append(st.offsets, 0)
	}
	var last time.Duration
	if n := len(st.offsets); n > 0 {
		last = st.offsets[n-1]
	}
	st.actions = append(st.actions, a)
	st.offsets = append(st.offsets, last+d)
}

func (s *sim) logout(w *worker) Action {
	return Action{Kind: Logout, Device: w.op.Device, Operator: w.op.ID, ID: s.id(w),
		Want: Want{Step: stepLogin}, Truth: Fact{SessionEnd: true}}
}

// newTask makes the ERP's next task: one to four lines of distinct items,
// in bin order, one to three units each.
func (s *sim) newTask() Task {
	s.taskN++
	n := []int{1, 1, 2, 2, 2, 3, 3, 4}[s.rng.IntN(8)]
	var lines []Line
	for _, i := range s.rng.Perm(len(s.sh.Site.Items))[:n] {
		it := s.sh.Site.Items[i]
		lines = append(lines, Line{Location: it.Home, SKU: it.SKU, Qty: 1 + s.rng.IntN(3)})
	}
	slices.SortFunc(lines, func(a, b Line) int {
		switch {
		case a.Location < b.Location:
			return -1
		case a.Location > b.Location:
			return 1
		}
		return 0
	})
	t := Task{ID: fmt.Sprintf("T%04d", s.taskN), Order: fmt.Sprintf("SO%06d", 880000+s.taskN), Lines: lines,
		Tracking: fmt.Sprintf("SF%012d", 7700000000+int64(s.taskN)*7919)}
	s.sh.Tasks = append(s.sh.Tasks, t)
	return t
}

// distClass draws the distance of an ordinary read: mostly in the band,
// some with no measurement; geometry (items only) when allowed.
func (s *sim) distClass(allowGeometry bool) string {
	switch x := s.rng.IntN(100); {
	case x < 16:
		return distUnknown
	case x < 26 && allowGeometry:
		return "geometry"
	}
	return distIn
}

// scanAction is a read of data at a distance of class dist ("in", "out",
// "unknown", or "geometry": in the band, measured from the camera image).
func (s *sim) scanAction(w *worker, data, aim, dist string, geometryOK bool) Action {
	a := Action{Kind: Scan, Device: w.op.Device, Operator: w.op.ID, ID: s.id(w), Data: data, AIM: aim}
	switch dist {
	case distIn:
		switch x := s.rng.IntN(25); x {
		case 0:
			a.DistanceMM = s.cfg.MinMM // both ends are in the band
		case 1:
			a.DistanceMM = s.cfg.MaxMM
		default:
			a.DistanceMM = float64(int(s.cfg.MinMM)+1+s.rng.IntN(int(s.cfg.MaxMM-s.cfg.MinMM)-1)) + float64(s.rng.IntN(10))/10
		}
	case distOut:
		switch x := s.rng.IntN(6); x {
		case 0:
			a.DistanceMM = s.cfg.MaxMM + 0.5
		case 1:
			a.DistanceMM = s.cfg.MinMM - 1
		case 2, 3:
			a.DistanceMM = s.cfg.MaxMM + 10 + float64(s.rng.IntN(90))
		default:
			a.DistanceMM = 15 + float64(s.rng.IntN(int(s.cfg.MinMM)-20))
		}
	case "geometry":
		// An EAN-13 at X = 0.33 mm is 31.35 mm wide (§10); a symbol L
		// pixels wide through a 1507 px lens is 1507·31.35/L mm away.
		const f, w = 1507.0, 95 * 0.33
		z := 58 + float64(s.rng.IntN(35))
		l := f * w / z
		x0, y0 := 300+float64(s.rng.IntN(400)), 350+float64(s.rng.IntN(200))
		a.Geometry = &Geometry{Corners: [4][2]float64{{x0, y0}, {x0 + l, y0}, {x0 + l, y0 + 140}, {x0, y0 + 140}},
			ImageWidth: 1920, FocalPx: f}
		s.place("geometry_read")
	case distUnknown:
		s.place("no_distance")
	}
	return a
}

// pickRead is a read during picking: the action, judged against ps, with
// its truth; ps moves on when it is accepted.
func (s *sim) pickRead(w *worker, ps *pickState, r read, data, aim string) Action {
	a := s.scanAction(w, data, aim, r.dist, r.kind == "item")
	if r.dist == "geometry" {
		r.dist = distIn
	}
	v := ps.judge(r)
	line := ps.line
	where := ps.recordLocation(r)
	closed := ps.apply(r, v)
	a.Want = ps.want(v.code)
	a.Want.Warning = v.warning
	a.Truth = Fact{ScanEvent: true, Accepted: v.ok, Code: v.code, InBandCode: v.inBandCode, Pick: true,
		Task: ps.task.ID, Line: line + 1, ScanKind: r.kind, Distance: r.dist, Where: where, LineClosed: closed}
	if v.code == codeTaskDone {
		a.Truth.TaskCompleted = ps.task.ID
		a.Want.Step, a.Want.Task, a.Want.Line = stepWait, "", 0
	}
	return a
}

// want is the answer code must come with: the prompt after the state's
// last change.
func (ps *pickState) want(code string) Want {
	w := Want{Code: code, Step: ps.step(), Task: ps.task.ID}
	if ps.line < len(ps.task.Lines) {
		w.Line, w.Picked = ps.line+1, ps.picked
	}
	return w
}

// step is the prompt's step after the state's last change.
func (ps *pickState) step() string {
	switch {
	case ps.line >= len(ps.task.Lines):
		return stepWait
	case ps.at:
		return stepScanItem
	}
	return stepScanLocation
}

func one(delay time.Duration, a Action) step { return step{delay: delay, actions: []Action{a}} }

// planTask plans picking t: each line's walk, location and units, with the
// incidents the dice place on them; an intercept cuts it short.
func (s *sim) planTask(w *worker, t Task) []step {
	ps := &pickState{task: t, warn: s.warn()}
	site := &s.sh.Site
	var steps []step
	sec := func(lo, hi int) time.Duration {
		return s.dur(time.Duration(lo)*time.Second, time.Duration(hi)*time.Second)
	}
	quick := func() time.Duration { return sec(2, 6) }
	type barcode struct {
		r         read
		data, aim string
	}
	loc := func(code, dist string) barcode {
		return barcode{read{kind: "location", target: code, dist: dist}, code, "]C0"}
	}
	item := func(sku, dist string) barcode {
		return barcode{read{kind: "item", target: sku, dist: dist}, site.item(sku).Barcode, "]E0"}
	}
	add := func(delay time.Duration, b barcode) Action {
		a := s.pickRead(w, ps, b.r, b.data, b.aim)
		steps = append(steps, one(delay, a))
		return a
	}
	otherItem := func() string { // an item the task does not ask for
		for {
			it := site.Items[s.rng.IntN(len(site.Items))]
			if !slices.ContainsFunc(t.Lines, func(l Line) bool { return l.SKU == it.SKU }) {
				return it.SKU
			}
		}
	}
	interceptAt := -1
	if len(t.Lines) >= 2 && s.incident("intercept", 0.03) {
		interceptAt = 1 + s.rng.IntN(len(t.Lines)-1)
	}
	for li, l := range t.Lines {
		last := li == len(t.Lines)-1
		if li > 0 && ps.closedSKU != "" && s.incident("over_pick", 0.05) {
			// One more of the line that just closed, read before walking on.
			add(quick(), item(ps.closedSKU, s.distClass(true)))
		}
		if li == interceptAt {
			steps = append(steps, one(sec(20, 90), Action{Kind: Cancel, Task: t.ID, Device: w.op.Device, Operator: w.op.ID,
				Want:  Want{Push: codeTaskCancelled, Step: stepCancelled, Task: t.ID},
				Truth: Fact{Exception: "intercept", Task: t.ID}}))
			if s.surely("scan_after_intercept", 0.5) {
				b := loc(l.Location, distIn)
				a := s.scanAction(w, b.data, b.aim, b.r.dist, false)
				a.Want = Want{Code: codeTaskCancelled, Step: stepCancelled, Task: t.ID}
				a.Truth = Fact{ScanEvent: true, Code: codeTaskCancelled, Pick: true, Task: t.ID, Line: li + 1,
					ScanKind: "location", Distance: distIn, Where: l.Location}
				steps = append(steps, one(sec(3, 15), a))
			}
			steps = append(steps, step{delay: sec(30, 120), final: true, actions: []Action{{Kind: Next,
				Device: w.op.Device, Operator: w.op.ID, ID: s.id(w)}}})
			return steps
		}
		if li > 0 && s.incident("device_swap", 0.015) {
			// The handheld's battery is low: the picker logs in on a spare,
			// which carries the task along (with where they were), and the
			// old one is told at once.
			s.spares++
			old := w.op.Device
			w.op.Device = fmt.Sprintf("pda-spare-%d", s.spares)
			a := Action{Kind: Login, Device: w.op.Device, Operator: w.op.ID, ID: s.id(w), Badge: w.op.Badge,
				Want:  ps.want(codeLoggedIn),
				Truth: Fact{SessionStart: true}}
			a.Want.Push, a.Want.PushTo = "logged_in_elsewhere", old
			steps = append(steps, one(sec(20, 60), a))
		}
		walk := sec(120, 300)
		if li == 0 {
			walk = sec(480, 960) // dropping the last tote off, then the first bin
		}
		// Before the location is confirmed.
		if s.incident("item_before_location", 0.05) {
			add(walk, item(l.SKU, s.distClass(true)))
			walk = quick()
		}
		if s.incident("item_before_location_out_of_band", 0.02) {
			add(walk, item(l.SKU, distOut))
			walk = quick()
		}
		if s.incident("wrong_location", 0.05) {
			other := l.Location
			for other == l.Location {
				other = site.Items[s.rng.IntN(len(site.Items))].Home
			}
			add(walk, loc(other, s.distClass(false)))
			walk = quick()
		}
		if s.incident("location_out_of_band", 0.05) {
			add(walk, loc(l.Location, distOut))
			walk = quick()
		}
		add(walk, loc(l.Location, s.distClass(false)))
		// The units.
		shortAt := -1
		if !last && s.incident("short_pick", 0.04) {
			shortAt = s.rng.IntN(l.Qty)
		}
		for u := 0; u < l.Qty; u++ {
			if u == shortAt {
				// The bin is empty: the line closes short and the prompt
				// moves to the next line.
				ps.closeLine()
				steps = append(steps, one(sec(5, 20), Action{Kind: Short, Device: w.op.Device, Operator: w.op.ID, ID: s.id(w),
					Want:  ps.want(codeShortOK),
					Truth: Fact{Exception: "short_pick", Task: t.ID, Line: li + 1, LineClosed: "short"}}))
				break
			}
			if s.incident("wrong_item", 0.04) {
				add(quick(), item(otherItem(), s.distClass(true)))
			}
			if s.incident("wrong_item_out_of_band", 0.015) {
				add(quick(), item(otherItem(), distOut))
			}
			if s.incident("unknown_barcode", 0.03) {
				add(quick(), barcode{read{dist: s.distClass(false)}, unknownBarcode(s.rng), "]E0"})
			}
			if s.incident("unknown_barcode_out_of_band", 0.015) {
				add(quick(), barcode{read{dist: distOut}, unknownBarcode(s.rng), "]E0"})
			}
			if s.incident("keyed_qty_refused", 0.015) {
				// A quantity keyed in on a line that wants every unit read:
				// refused, and nobody's mistake.
				a := s.pickRead(w, ps, read{kind: "item", target: l.SKU, dist: s.distClass(false), qty: 2},
					site.item(l.SKU).Barcode, "]E0")
				a.Qty = 2
				steps = append(steps, one(quick(), a))
			}
			if s.incident("invalid_barcode", 0.015) {
				// The line's item under a GS1-128 label whose expiry has
				// month 13: GS1's rules break before the barcode is looked
				// up, so it names nothing (no kind) and is a mistake.
				it := site.item(l.SKU)
				add(quick(), barcode{read{dist: s.distClass(false), invalid: true}, "010" + it.Barcode + "17261315", "]C1"})
			}
			dist := s.distClass(true)
			if s.incident("item_out_of_band", 0.04) {
				if s.warn() {
					dist = distOut // counted, with the warning
				} else {
					add(quick(), item(l.SKU, distOut)) // refused: read again
				}
			}
			unitLast := last && u == l.Qty-1
			b := item(l.SKU, dist)
			a := s.pickRead(w, ps, b.r, b.data, b.aim)
			st := one(quick(), a)
			if !unitLast && s.incident("duplicate_read", 0.04) {
				// The engine reads the same unit twice within the window:
				// counted once, whatever the distance; judged against the
				// line open after the first read.
				d := s.scanAction(w, b.data, b.aim, s.dupDist(), false)
				d.Want = ps.want(codeDuplicate)
				d.Truth = Fact{ScanEvent: true, Code: codeDuplicate, Pick: true, Task: t.ID, Line: ps.line + 1,
					ScanKind: "item", Distance: s.classOf(d), Where: ps.where}
				st.actions = append(st.actions, d)
				st.offsets = []time.Duration{0, s.cfg.DuplicateWindow / 2}
			}
			st.final = unitLast
			steps = append(steps, st)
		}
	}
	return steps
}

// dupDist is the distance of a double read: in the band or out of it.
func (s *sim) dupDist() string {
	if s.chance(0.3) {
		return distOut
	}
	return distIn
}

// classOf is the distance class of a read already made.
func (s *sim) classOf(a Action) string {
	switch {
	case a.Geometry != nil:
		return distIn // drawn inside the band
	case a.DistanceMM == 0:
		return distUnknown
	case a.DistanceMM < s.cfg.MinMM || a.DistanceMM > s.cfg.MaxMM:
		return distOut
	}
	return distIn
}
