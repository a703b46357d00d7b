package shiftgen

import (
	"fmt"
	"time"
)

// happened keeps the floor's shared state as the script unfolds: orders
// picked whole wait for a packer; intercepted orders are remembered.
func (s *sim) happened(a Action) {
	switch {
	case a.Kind == Short:
		s.short[a.Truth.Task] = true
	case a.Kind == Cancel:
		for _, t := range s.sh.Tasks {
			if t.ID == a.Task {
				s.intercepted = append(s.intercepted, t.Order)
			}
		}
	case a.Truth.TaskCompleted != "" && !s.short[a.Truth.TaskCompleted]:
		for _, t := range s.sh.Tasks {
			if t.ID == a.Truth.TaskCompleted {
				s.parcels = append(s.parcels, t)
			}
		}
	}
}

// pickersDone reports whether every picker has gone home.
func (s *sim) pickersDone() bool {
	for _, w := range s.workers {
		if w.op.Role == RolePicker && !w.finished {
			return false
		}
	}
	return true
}

// packerTurn runs a packer's next step: the login, the next scan of the
// parcel in hand, taking the oldest parcel waiting, or going home when
// the pickers have and nothing waits (or the shift ran long).
func (s *sim) packerTurn(w *worker) {
	if !w.loggedIn {
		s.emit(w, w.ready, one(0, Action{Kind: Login, Device: w.op.Device, Operator: w.op.ID, ID: s.id(w), Badge: w.op.Badge,
			Want: Want{Code: codeLoggedIn, Step: stepScanOrder}, Truth: Fact{SessionStart: true}}))
		w.loggedIn = true
		return
	}
	if len(w.steps) > 0 {
		st := w.steps[0]
		w.steps = w.steps[1:]
		s.emit(w, w.ready.Add(st.delay), st)
		return
	}
	if w.ready.Before(s.now) {
		w.ready = s.now
	}
	late := !w.ready.Before(s.cfg.Start.Add(s.cfg.Length + 80*time.Minute))
	switch {
	case len(s.parcels) > 0 && !late:
		t := s.parcels[0]
		s.parcels = s.parcels[1:]
		w.steps = s.planParcel(w, t)
	case (s.pickersDone() && len(s.parcels) == 0) || late:
		s.packerLeaves(w)
	default:
		w.ready = w.ready.Add(s.dur(90*time.Second, 4*time.Minute))
	}
}

// planParcel plans packing t's order: open it, verify every unit, let the
// waybill print, and scan it, with the incidents the dice place.
func (s *sim) planParcel(w *worker, t Task) []step {
	site := &s.sh.Site
	s.parcelN++
	var steps []step
	sec := func(lo, hi int) time.Duration {
		return s.dur(time.Duration(lo)*time.Second, time.Duration(hi)*time.Second)
	}
	scan := func(delay time.Duration, data, aim, dist, kind, code string, ok bool, step string) *Action {
		a := s.scanAction(w, data, aim, dist, false)
		a.Want = Want{Code: code, Step: step}
		if ok && dist == distOut {
			a.Want.Warning = codeDistance
		}
		a.Truth = Fact{ScanEvent: true, Accepted: ok, Code: code, ScanKind: kind, Distance: dist, Order: t.Order}
		steps = append(steps, one(delay, a))
		return &steps[len(steps)-1].actions[0]
	}
	wait := sec(20, 90)
	if s.incident("unknown_order", 0.05) {
		scan(wait, fmt.Sprintf("SO%06d", 990000+s.rng.IntN(9999)), "]C0", s.distClass(false), "", codeUnknownOrder, false, stepScanOrder)
		wait = sec(3, 10)
	}
	if len(s.intercepted) > 0 && s.incident("intercepted_order", 0.1) {
		o := s.intercepted[s.rng.IntN(len(s.intercepted))]
		scan(wait, o, "]C0", s.distClass(false), "order", codeIntercepted, false, stepScanOrder)
		wait = sec(3, 10)
	}
	open := t.Order
	if tote := s.toteOf[t.ID]; tote != "" {
		open = tote // a cart order's tote opens it, as its label would (§12)
	}
	scan(wait, open, "]C0", s.distClass(false), "order", codeOrderOK, true, stepScanPackItem).Truth.Opened = true

	want := map[string]int{}
	var units []string
	for _, l := range t.Lines {
		want[l.SKU] += l.Qty
		for range l.Qty {
			units = append(units, l.SKU)
		}
	}
	s.rng.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
	counts := map[string]int{}
	for i, sku := range units {
		quick := sec(3, 9)
		if s.incident("pack_wrong_item", 0.04) {
			other := t.Lines[0].SKU
			for want[other] > 0 {
				other = site.Items[s.rng.IntN(len(site.Items))].SKU
			}
			scan(quick, site.item(other).Barcode, "]E0", s.distClass(false), "item", codeWrongItem, false, stepScanPackItem)
			quick = sec(3, 9)
		}
		for _, l := range t.Lines {
			if counts[l.SKU] == want[l.SKU] && s.incident("extra_item", 0.08) {
				scan(quick, site.item(l.SKU).Barcode, "]E0", s.distClass(false), "item", codeExtraItem, false, stepScanPackItem)
				quick = sec(3, 9)
				break
			}
		}
		dist := s.distClass(false)
		if s.incident("pack_out_of_band", 0.04) {
			if s.warn() {
				dist = distOut // verified, with the warning
			} else {
				scan(quick, site.item(sku).Barcode, "]E0", distOut, "item", codeDistance, false, stepScanPackItem)
				quick = sec(3, 9)
			}
		}
		counts[sku]++
		if i < len(units)-1 {
			scan(quick, site.item(sku).Barcode, "]E0", dist, "item", codePackItemOK, true, stepScanPackItem)
			continue
		}
		a := scan(quick, site.item(sku).Barcode, "]E0", dist, "item", codePackDone, true, stepScanWaybill)
		a.Truth.Packed = true
		if s.parcelN >= s.labelFailAt && s.due["label_failure"] {
			s.place("label_failure")
			a.FailLabel, a.Truth.LabelFailed = true, true
		}
	}
	// The waybill prints; the parcel waits for the carrier's cage.
	out := s.dur(40*time.Second, 12*time.Minute)
	switch {
	case s.incident("late_outbound", 0.1):
		out = s.dur(31*time.Minute, 45*time.Minute)
	case s.chance(0.25):
		out = s.dur(12*time.Minute, 29*time.Minute)
	}
	if s.incident("wrong_waybill", 0.06) {
		other := fmt.Sprintf("SF%012d", 5500000000+s.rng.Int64N(1e9))
		scan(out, other, "]C0", s.distClass(false), "", codeWrongWaybill, false, stepScanWaybill)
		out = sec(5, 20)
	}
	scan(out, t.Tracking, "]C0", s.distClass(false), "", codeShipped, true, stepScanOrder).Truth.Shipped = true
	return steps
}

// packerLeaves ends a packer's shift. The first packer to go forgets to
// log out; the last one, leaving, logs in on that station — which ends
// both the forgotten session (another operator on the device) and their
// own on their station (one operator, one device; that handheld is told)
// — and logs out there.
func (s *sim) packerLeaves(w *worker) {
	w.finished = true
	others := false
	for _, o := range s.workers {
		others = others || (o.op.Role == RolePacker && !o.finished)
	}
	if others && s.leftOn == "" {
		s.leftOn = w.op.Device
		s.place("handover")
		return
	}
	st := step{}
	if s.leftOn != "" && s.leftOn != w.op.Device {
		own := w.op.Device
		w.op.Device = s.leftOn
		st.then(Action{Kind: Login, Device: w.op.Device, Operator: w.op.ID, ID: s.id(w), Badge: w.op.Badge,
			Want:  Want{Code: codeLoggedIn, Step: stepScanOrder, Push: "logged_in_elsewhere", PushTo: own},
			Truth: Fact{SessionStart: true}}, 0)
	}
	st.then(s.logout(w), s.dur(10*time.Second, 40*time.Second))
	s.emit(w, w.ready.Add(s.dur(30*time.Second, 3*time.Minute)), st)
	w.loggedIn = false
}
