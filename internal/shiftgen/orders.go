package shiftgen

import (
	"slices"
	"strings"
	"time"
)

// The order standards (web-api.md, KPIs: orders).
const (
	exceptionRateMax = 0.01
	complianceMin    = 0.98
)

// Resolution is the time exceptions took to be resolved.
type Resolution struct {
	Count int     `json:"count"`
	MeanS float64 `json:"mean_s"`
	P90S  float64 `json:"p90_s"`
}

// OrderGroup is one wave's or variant's orders shipped in the window.
type OrderGroup struct {
	Group               string   `json:"group"`
	Orders              int      `json:"orders"`
	OrdersWithException int      `json:"orders_with_exception"`
	ExceptionRate       *float64 `json:"exception_rate"`
	CompliantOrders     int      `json:"compliant_orders"`
	Compliance          *float64 `json:"compliance"`
	Scans               int      `json:"scans"`
	WrongScans          int      `json:"wrong_scans"`
	ErrorRate           *float64 `json:"error_rate"`
	PickScans           int      `json:"pick_scans"`
	WrongPickScans      int      `json:"wrong_pick_scans"`
	PickAccuracy        *float64 `json:"pick_accuracy"`
	DistanceIn          int      `json:"distance_in"`
	DistanceOut         int      `json:"distance_out"`
	InBandShare         *float64 `json:"in_band_share"`
	Stages              Stages   `json:"stages"`

	pick, pack, out []float64
}

// packMistakes are the refusals of a pack scan that are the packer's
// mistake (web-api.md, Terms: wrong scans against an order).
var packMistakes = map[string]bool{
	"wrong_item": true, "extra_item": true, "extra_gift": true, "unknown_barcode": true, "invalid_barcode": true,
	"wrong_waybill": true,
}

// orderTruth is what the definitions say of one order shipped at a.
type orderTruth struct {
	exception, compliant                                bool
	scans, wrong, pickScans, pickWrong, distIn, distOut int
	pick                                                []float64
	pack, out                                           float64
	packed                                              bool
}

// taskOrder is the order of each task the script creates.
func (sh *Shift) taskOrder() map[string]string {
	m := map[string]string{}
	for _, t := range sh.Tasks {
		m[t.ID] = t.Order
	}
	return m
}

// order is the truth of the order shipped at a (a.Truth.Shipped), from
// every action before it: its exceptions (a short pick of one of its
// tasks), the scans against it — those naming one of its tasks, and its
// parcel's from the scan that opened it — which of them were wrong or out
// of the band, its tasks' pick times, its pack and outbound times.
func (sh *Shift) order(a Action, tasks map[string]string) orderTruth {
	ord := a.Truth.Order
	var o orderTruth
	opened := false
	var openAt, packedAt time.Time
	for _, b := range sh.Script {
		if b.At.After(a.At) {
			break // times strictly increase: a is the last
		}
		t := b.Truth
		mine := t.Task != "" && tasks[t.Task] == ord
		if t.Exception == "short_pick" && mine {
			o.exception = true
		}
		if t.Opened && t.Order == ord {
			opened, openAt = true, b.At
		}
		if t.Packed && t.Order == ord {
			packedAt = b.At
			o.pack, o.packed = b.At.Sub(openAt).Seconds(), true
		}
		if t.TaskCompleted != "" && tasks[t.TaskCompleted] == ord && sh.mode(t.TaskCompleted, b.At) == modeDiscrete {
			var start time.Time
			ok := false
			for _, c := range sh.Script {
				if !c.At.Before(b.At) {
					break
				}
				if c.Truth.TaskStarted == t.TaskCompleted {
					start, ok = c.At, true
				}
			}
			if ok {
				o.pick = append(o.pick, b.At.Sub(start).Seconds())
			}
		}
		pack := t.Task == "" && opened && t.Order == ord
		if !t.ScanEvent || !(mine || pack) {
			continue
		}
		o.scans++
		code := t.Code
		if code == codeDistance {
			code = t.InBandCode
		}
		switch {
		case t.Accepted:
		case t.Wall:
			o.wrong += b2i(sortMistakes[code])
		case pack:
			o.wrong += b2i(packMistakes[code])
		default:
			o.wrong += b2i(pickerMistakes[code] || putMistakes[code])
		}
		if !pack && (sh.rightPick(b) || sh.wrongPick(b)) {
			o.pickScans++
			o.pickWrong += b2i(sh.wrongPick(b))
		}
		switch t.Distance {
		case distIn:
			o.distIn++
		case distOut:
			o.distOut++
		}
	}
	o.out = a.At.Sub(packedAt).Seconds()
	o.compliant = !o.exception && o.wrong == 0 && o.distOut == 0 && o.out <= outboundMaxS
	return o
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// orders: orders, orders_with_exception, exception_rate(_ok),
// compliant_orders, compliance(_ok): the orders shipped in the span, for
// their packer. by_reason: every short pick at a handheld or on a cart
// raises a case of reason short_bin_empty (no reason given), for its
// picker; a batch closed short at its wall raises none. No case is
// resolved in a generated shift.
func (sh *Shift) orders(f *Figures, in []Action, tasks map[string]string) {
	for _, a := range in {
		t := a.Truth
		if t.Exception == "short_pick" && sh.mode(t.Task, a.At) != modeBatch {
			f.Exceptions.ByReason["short_bin_empty"]++
		}
		if !t.Shipped {
			continue
		}
		o := sh.order(a, tasks)
		f.Orders++
		f.OrdersWithException += b2i(o.exception)
		f.CompliantOrders += b2i(o.compliant)
	}
	if n := f.Orders; n > 0 {
		f.ExceptionRate = ptr(float64(f.OrdersWithException) / float64(n))
		f.ExceptionRateOK = ptr(float64(f.OrdersWithException)/float64(n) <= exceptionRateMax)
		f.Compliance = ptr(float64(f.CompliantOrders) / float64(n))
		f.ComplianceOK = ptr(float64(f.CompliantOrders)/float64(n) >= complianceMin)
	}
}

// groups are the window's waves and variants: every order of a generated
// shift is a normal one of the one wave its gateway gives tasks that name
// none (wave).
func (sh *Shift) groups(win span, wave string) (waves, variants []OrderGroup) {
	tasks := sh.taskOrder()
	w := OrderGroup{Group: wave}
	for _, a := range sh.Script {
		if !a.Truth.Shipped || !win.has(a.At) {
			continue
		}
		o := sh.order(a, tasks)
		w.Orders++
		w.OrdersWithException += b2i(o.exception)
		w.CompliantOrders += b2i(o.compliant)
		w.Scans += o.scans
		w.WrongScans += o.wrong
		w.PickScans += o.pickScans
		w.WrongPickScans += o.pickWrong
		w.DistanceIn += o.distIn
		w.DistanceOut += o.distOut
		w.pick = append(w.pick, o.pick...)
		if o.packed {
			w.pack = append(w.pack, o.pack)
		}
		w.out = append(w.out, o.out)
	}
	finish := func(g OrderGroup) OrderGroup {
		if n := g.Orders; n > 0 {
			g.ExceptionRate = ptr(float64(g.OrdersWithException) / float64(n))
			g.Compliance = ptr(float64(g.CompliantOrders) / float64(n))
		}
		if g.Scans > 0 {
			g.ErrorRate = ptr(float64(g.WrongScans) / float64(g.Scans))
		}
		if g.PickScans > 0 {
			g.PickAccuracy = ptr(float64(g.PickScans-g.WrongPickScans) / float64(g.PickScans))
		}
		if n := g.DistanceIn + g.DistanceOut; n > 0 {
			g.InBandShare = ptr(float64(g.DistanceIn) / float64(n))
		}
		g.Stages = Stages{Pick: stage(g.pick), Pack: stage(g.pack), Outbound: stage(g.out)}
		return g
	}
	waves = []OrderGroup{}
	if w.Orders > 0 {
		waves = append(waves, finish(w))
	}
	for _, v := range []string{"normal", "presale", "crossborder", "peak"} {
		g := OrderGroup{Group: v}
		if v == "normal" {
			g = w
			g.Group = v
		}
		variants = append(variants, finish(g))
	}
	slices.SortFunc(waves, func(x, y OrderGroup) int { return strings.Compare(x.Group, y.Group) })
	return waves, variants
}
