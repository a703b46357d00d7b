package kpi

import (
	"slices"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
)

// Orders. The per-order figures (Figures.Orders and those after it, and
// the Report's Waves and VariantGroups) count an order when it ends: at
// its ship.confirmed. What happened to it before — exceptions, scans, the
// time of its stages — is running state kept per open order, as the other
// running state is (computer.event): every event before to changes it,
// whether in the window or not, so Compute and the Rollup agree.
//
// An order is named by the events that carry it: task.received,
// pick.task_started, pick.task_completed, pick.line_confirmed,
// pick.exception, cart.started (its slots), pick.put, sort.put name a task
// and its order; from then on a scan naming the task is against the order.
// A pack scan names no task: one on a device between the pack.started of
// an order on it and that order's ship.confirmed (or its pack.completed
// held, the next pack.started on the device, or a logout there) is against
// that order, and so is the accepted order_ok scan that opened the parcel
// (journalled just before its pack.started); the single-item lane's
// pack_done names the order's task.
//
// A cancelled order (pick.exception of kind intercept) does not end as an
// order: the customer took it back, the floor neither handled it well nor
// badly; its state is dropped there and it counts in none of the order
// figures (exceptions.intercepts counts the intercepts). An order's state
// is dropped when it ends or is cancelled: the state kept is the orders
// open on the floor (an order cancelled before any picker held it is
// journalled with no intercept and keeps its few bytes).
type order struct {
	tasks     []string // the tasks the events named it with
	wave      string
	exception bool // an exception.raised or short_pick named it
	// Its scans (every scan against it), the wrong ones (orderMistake),
	// its pick scans and the wrong ones among them (as Figures.PickScans),
	// and its reads in and out of the distance band.
	scans, wrong, pickScans, pickWrong, distIn, distOut int
	pick                                                []float64 // each discrete task's pick stage, seconds
	pack                                                float64   // its pack stage, from its last pack.completed
	packed                                              bool      // pack is set
}

// packErrors are the refusals of a pack scan that are the packer's
// mistake: an item the order does not have (or not that many), a gift or
// insert it has enough of, a barcode that is nobody's or breaks GS1's
// rules, another parcel's waybill. Refusals for the station, the order's
// state (held, intercepted), a customs mismatch, duplicates and distance
// alone are not.
var packErrors = map[floorgate.Code]bool{
	floorgate.CodeWrongItem:      true,
	floorgate.CodeExtraItem:      true,
	floorgate.CodeExtraGift:      true,
	floorgate.CodeUnknownBarcode: true,
	floorgate.CodeInvalidBarcode: true,
	floorgate.CodeWrongWaybill:   true,
}

// orderMistake reports whether a refused scan against an order was wrong:
// refused with a picker's error (PickerError), a put error, or at a wall a
// sort error; a pack scan with a pack error; or refused for its distance
// with one of these as its in-band code.
func orderMistake(r *floorgate.ScanRecord, wall, pack bool) bool {
	code := r.Code
	if code == floorgate.CodeDistance {
		code = r.InBandCode
	}
	switch {
	case wall:
		return sortErrors[code]
	case pack:
		return packErrors[code]
	}
	return PickerError(code) || putErrors[code]
}

// link records that task is order's (of wave, when the event names one).
func (c *computer) link(task, ord, wave string) {
	if ord == "" {
		return
	}
	o := c.orders[ord]
	if o == nil {
		o = &order{}
		c.orders[ord] = o
	}
	if wave != "" {
		o.wave = wave
	}
	if task != "" && !slices.Contains(o.tasks, task) {
		o.tasks = append(o.tasks, task)
		c.taskOrder[task] = ord
	}
}

// orderScan counts a scan against its order, if it is against one.
func (c *computer) orderScan(accepted bool, r *floorgate.ScanRecord, wall, lane bool) {
	var o *order
	pack := r.Task == "" || lane
	delete(c.opening, r.Device)
	if r.Task == "" && accepted && r.Code == floorgate.CodeOrderOK {
		// Opens a parcel: its order is named by the pack.started that
		// follows.
		o = &order{}
		c.opening[r.Device] = o
	} else if r.Task != "" {
		o = c.orders[c.taskOrder[r.Task]]
	} else if ord, ok := c.packing[r.Device]; ok {
		o = c.orders[ord]
	}
	if o == nil {
		return
	}
	o.scans++
	wrong := !accepted && orderMistake(r, wall, pack)
	if wrong {
		o.wrong++
	}
	if !wall && !pack && c.mode(r.Task) == discrete && (accepted || mistake(r) != "") {
		o.pickScans++
		if !accepted {
			o.pickWrong++
		}
	}
	switch r.Distance {
	case "in":
		o.distIn++
	case "out":
		o.distOut++
	}
}

// orderPack follows an order's parcel: pack.started binds the device to
// it, pack.completed times its pack stage, ship.confirmed ends it (and
// counts it, when in the window).
func (c *computer) orderPack(typ string, r *floorgate.PackRecord, t time.Time, in bool) {
	switch typ {
	case floorgate.EventPackStarted:
		c.link("", r.Order, "")
		c.packing[r.Device] = r.Order
		if o, op := c.orders[r.Order], c.opening[r.Device]; o != nil && op != nil {
			o.scans += op.scans
			o.distIn += op.distIn
			o.distOut += op.distOut
			delete(c.opening, r.Device)
		}
	case floorgate.EventPackCompleted:
		c.link("", r.Order, "")
		if o := c.orders[r.Order]; o != nil && !r.Started.IsZero() {
			packed := r.Packed
			if packed.IsZero() {
				packed = t
			}
			o.pack, o.packed = packed.Sub(r.Started).Seconds(), true
		}
		if r.Held && c.packing[r.Device] == r.Order {
			delete(c.packing, r.Device)
		}
	case floorgate.EventShipConfirmed:
		o := c.orders[r.Order]
		if o == nil {
			o = &order{}
		}
		if in {
			c.countOrder(o, r, t)
		}
		if c.packing[r.Device] == r.Order {
			delete(c.packing, r.Device)
		}
		c.dropOrder(r.Order)
	}
}

// dropOrder forgets an order that ended or was cancelled.
func (c *computer) dropOrder(ord string) {
	if o := c.orders[ord]; o != nil {
		for _, task := range o.tasks {
			if c.taskOrder[task] == ord {
				delete(c.taskOrder, task)
			}
		}
		delete(c.orders, ord)
	}
}

// countOrder counts an order shipped at t: for its packer, and (for the
// site only) in its wave's and its variant's group.
func (c *computer) countOrder(o *order, r *floorgate.PackRecord, t time.Time) {
	within := r.PackToShipS <= floorgate.OutboundStandard.Seconds()
	compliant := within && !o.exception && o.wrong == 0 && o.distOut == 0
	c.add(r.Packer, t, func(a *acc) {
		a.orders++
		if o.exception {
			a.ordersExc++
		}
		if compliant {
			a.compliant++
		}
	})
	c.add("", t, func(a *acc) {
		for _, k := range []groupKey{{waveGroup, o.wave}, {variantGroup, string(variants[variantOf(r.Variant)])}} {
			g := a.group(k)
			g.orders++
			if o.exception {
				g.withExc++
			}
			if compliant {
				g.compliant++
			}
			g.scans += o.scans
			g.wrong += o.wrong
			g.pickScans += o.pickScans
			g.pickWrong += o.pickWrong
			g.distIn += o.distIn
			g.distOut += o.distOut
			g.pick = append(g.pick, o.pick...)
			if o.packed {
				g.pack = append(g.pack, o.pack)
			}
			g.outbound = append(g.outbound, r.PackToShipS)
		}
	})
}

// Group kinds: the Report's Waves and VariantGroups.
const (
	waveGroup byte = iota
	variantGroup
)

type groupKey struct {
	kind byte
	name string
}

// group is the sums of the orders of one wave or variant that ended in a
// span.
type group struct {
	orders, withExc, compliant                          int
	scans, wrong, pickScans, pickWrong, distIn, distOut int
	pick, pack, outbound                                []float64
}

// groupInts and groupSamples are group's counts and samples: merge and
// the marks go through them.
var groupInts = [...]func(*group) *int{
	func(g *group) *int { return &g.orders },
	func(g *group) *int { return &g.withExc },
	func(g *group) *int { return &g.compliant },
	func(g *group) *int { return &g.scans },
	func(g *group) *int { return &g.wrong },
	func(g *group) *int { return &g.pickScans },
	func(g *group) *int { return &g.pickWrong },
	func(g *group) *int { return &g.distIn },
	func(g *group) *int { return &g.distOut },
}

var groupSamples = [...]func(*group) *[]float64{
	func(g *group) *[]float64 { return &g.pick },
	func(g *group) *[]float64 { return &g.pack },
	func(g *group) *[]float64 { return &g.outbound },
}

// group is a's group k, made empty if a has none yet.
func (a *acc) group(k groupKey) *group {
	if a.groups == nil {
		a.groups = map[groupKey]*group{}
	}
	g := a.groups[k]
	if g == nil {
		g = &group{}
		a.groups[k] = g
	}
	return g
}

// merge adds h to g, sharing nothing with it.
func (g *group) merge(h *group) {
	for _, f := range groupInts {
		*f(g) += *f(h)
	}
	for _, f := range groupSamples {
		if s := *f(h); len(s) > 0 {
			*f(g) = append(*f(g), s...)
		}
	}
}

// OrderGroup is the orders of one wave or one variant that ended
// (shipped) in the window, and what happened to them before.
type OrderGroup struct {
	// Group is the wave id (a Waves row; "" for orders of no wave) or the
	// variant (a VariantGroups row).
	Group string `json:"group"`
	// Orders, OrdersWithException, ExceptionRate, CompliantOrders and
	// Compliance are as in Figures, over the group's orders.
	Orders              int      `json:"orders"`
	OrdersWithException int      `json:"orders_with_exception"`
	ExceptionRate       *float64 `json:"exception_rate"`
	CompliantOrders     int      `json:"compliant_orders"`
	Compliance          *float64 `json:"compliance"`
	// Scans is every scan event against the group's orders (orders.go),
	// WrongScans the wrong ones; ErrorRate is WrongScans / Scans, null
	// when Scans is 0.
	Scans      int      `json:"scans"`
	WrongScans int      `json:"wrong_scans"`
	ErrorRate  *float64 `json:"error_rate"`
	// PickScans and WrongPickScans are the pick scans (as Figures counts
	// them) against the group's orders; PickAccuracy is (PickScans −
	// WrongPickScans) / PickScans, null when PickScans is 0.
	PickScans      int      `json:"pick_scans"`
	WrongPickScans int      `json:"wrong_pick_scans"`
	PickAccuracy   *float64 `json:"pick_accuracy"`
	// DistanceIn and DistanceOut are the scans against the orders read in
	// and out of the band; InBandShare is DistanceIn / (DistanceIn +
	// DistanceOut), null when both are 0.
	DistanceIn  int      `json:"distance_in"`
	DistanceOut int      `json:"distance_out"`
	InBandShare *float64 `json:"in_band_share"`
	// Stages is the orders' stage times: pick, each timed pick of the
	// orders' discrete tasks (as Stages.Pick times them); pack, each
	// order's last pack.completed (Started → Packed); outbound, each
	// order's pack_to_ship_s.
	Stages Stages `json:"stages"`
}

func (g *group) row(name string) OrderGroup {
	r := OrderGroup{Group: name, Orders: g.orders, OrdersWithException: g.withExc, CompliantOrders: g.compliant,
		Scans: g.scans, WrongScans: g.wrong, PickScans: g.pickScans, WrongPickScans: g.pickWrong,
		DistanceIn: g.distIn, DistanceOut: g.distOut,
		Stages: Stages{Pick: summarise(g.pick).stage(), Pack: summarise(g.pack).stage(), Outbound: summarise(g.outbound).stage()}}
	if n := g.orders; n > 0 {
		r.ExceptionRate = ptr(float64(g.withExc) / float64(n))
		r.Compliance = ptr(float64(g.compliant) / float64(n))
	}
	if n := g.scans; n > 0 {
		r.ErrorRate = ptr(float64(g.wrong) / float64(n))
	}
	if n := g.pickScans; n > 0 {
		r.PickAccuracy = ptr(float64(n-g.pickWrong) / float64(n))
	}
	if n := g.distIn + g.distOut; n > 0 {
		r.InBandShare = ptr(float64(g.distIn) / float64(n))
	}
	return r
}

// groupRows are a's waves, sorted by id, and every variant in order.
func (a *acc) groupRows() (waves, vars []OrderGroup) {
	waves = []OrderGroup{}
	for k, g := range a.groups {
		if k.kind == waveGroup {
			waves = append(waves, g.row(k.name))
		}
	}
	slices.SortFunc(waves, func(x, y OrderGroup) int { return strings.Compare(x.Group, y.Group) })
	for _, name := range variants {
		g := a.groups[groupKey{variantGroup, string(name)}]
		if g == nil {
			g = &group{}
		}
		vars = append(vars, g.row(string(name)))
	}
	return waves, vars
}
