package scan

import (
	"maps"

	"github.com/floorgate/floorgate"
)

// Prompt steps at the pack station.
const (
	stepScanOrder    = "scan_order"
	stepScanPackItem = "scan_pack_item"
	stepScanWaybill  = "scan_waybill"
)

// PackState is what the pack rules need: the site's policy (the distance
// band), the packer's session, the shipment of the parcel being packed (nil
// when none is open), and whether its order was cancelled.
type PackState struct {
	Policy    floorgate.Policy
	Session   floorgate.Session
	Shipment  *floorgate.Shipment
	Cancelled bool
}

// Pack judges one scan at the pack station: open a parcel by its order,
// verify every item into it (a missing, extra or wrong item keeps the
// waybill from printing), then scan the printed waybill — its tracking
// number must be the order's — to confirm outbound. A cancelled order is
// stopped at every step. Every read whose distance can be known is checked
// against the band as a pick scan is, right after the login: out of it, it
// is refused (the event's InBandCode says what the pack rules would have
// answered, when a rejection) or, in warn mode, accepted with a warning.
//
// Result.Task is always nil. The events are scan.accepted or scan.rejected
// first, then pack.started, pack.completed (the caller queues the waybill)
// or ship.confirmed.
func Pack(st PackState, sc floorgate.Scan, m floorgate.Match) Result {
	sess := st.Session
	rec := floorgate.ScanRecord{ScanID: sc.ID, Device: sc.Device, Operator: sess.Operator, Data: sc.Data,
		AIM: sc.AIM, Kind: m.Kind, DeviceTime: sc.DeviceTime}
	recordDistance(&rec, st.Policy.Distance, sc, m)
	var warning floorgate.Code
	reject := func(code floorgate.Code) Result {
		rec.Code = code
		return Result{Session: sess, Verdict: floorgate.NewVerdict(sc.ID, code, PackPrompt(sess)),
			Events: []floorgate.Event{floorgate.NewEvent(floorgate.EventScanRejected, sc.At, rec)}}
	}
	accept := func(ns floorgate.Session, code floorgate.Code, extra ...floorgate.Event) Result {
		rec.Code, rec.Warning = code, warning
		evs := append([]floorgate.Event{floorgate.NewEvent(floorgate.EventScanAccepted, sc.At, rec)}, extra...)
		v := floorgate.NewVerdict(sc.ID, code, PackPrompt(ns))
		if warning != "" {
			v = v.WithWarning(warning)
		}
		return Result{Session: ns, Verdict: v, Events: evs}
	}
	if !sess.LoggedIn() {
		return reject(floorgate.CodeNotLoggedIn)
	}
	refuse, w := outOfBand(st.Policy.Distance.Mode, &rec, func() Result {
		inBand := st
		inBand.Policy.Distance.Mode = floorgate.DistanceOff
		return Pack(inBand, sc, m)
	})
	warning = w
	if refuse {
		return reject(floorgate.CodeDistance)
	}
	p := sess.Pack
	if p == nil {
		// Opening a parcel: the scan must name an order with a shipment.
		switch {
		case m.Kind != floorgate.MatchOrder || m.Shipment == nil:
			return reject(floorgate.CodeUnknownOrder)
		case st.Cancelled:
			return reject(floorgate.CodeOrderIntercepted)
		}
		ns := sess
		ns.Pack = &floorgate.PackProgress{Order: m.Shipment.Order, Counts: map[string]int{}, Started: sc.At}
		return accept(ns, floorgate.CodeOrderOK, floorgate.NewEvent(floorgate.EventPackStarted, sc.At,
			floorgate.PackRecord{Order: m.Shipment.Order, Packer: sess.Operator, Device: sess.Device, Started: sc.At}))
	}
	s := st.Shipment
	if st.Cancelled || s == nil {
		return reject(floorgate.CodeOrderIntercepted)
	}
	if p.Waybill {
		if sc.Data != s.Tracking {
			return reject(floorgate.CodeWrongWaybill)
		}
		ns := sess
		ns.Pack = nil
		d := sc.At.Sub(p.Packed)
		within := d <= floorgate.OutboundStandard
		return accept(ns, floorgate.CodeShipped, floorgate.NewEvent(floorgate.EventShipConfirmed, sc.At, floorgate.PackRecord{
			Order: s.Order, Carrier: s.Carrier, Tracking: s.Tracking, Packer: sess.Operator, Device: sess.Device,
			Started: p.Started, Packed: p.Packed, Shipped: sc.At, Units: units(p.Counts),
			PackToShipS: d.Seconds(), WithinStandard: &within}))
	}
	if m.Kind != floorgate.MatchItem {
		if m.Read.Problem != "" {
			return reject(floorgate.CodeInvalidBarcode)
		}
		return reject(floorgate.CodeUnknownBarcode)
	}
	want := 0
	for _, l := range s.Lines {
		if l.SKU == m.Item.SKU {
			want += l.Qty
		}
	}
	switch {
	case want == 0:
		return reject(floorgate.CodeWrongItem)
	case p.Counts[m.Item.SKU] >= want:
		return reject(floorgate.CodeExtraItem)
	}
	np := *p
	np.Counts = maps.Clone(p.Counts)
	np.Counts[m.Item.SKU]++
	ns := sess
	ns.Pack = &np
	if !packed(s, np.Counts) {
		return accept(ns, floorgate.CodePackItemOK)
	}
	np.Waybill, np.Packed = true, sc.At
	return accept(ns, floorgate.CodePackDone, floorgate.NewEvent(floorgate.EventPackCompleted, sc.At, floorgate.PackRecord{
		Order: s.Order, Carrier: s.Carrier, Tracking: s.Tracking, Packer: sess.Operator, Device: sess.Device,
		Started: np.Started, Packed: sc.At, Units: units(np.Counts)}))
}

// packed reports whether every line of the shipment is verified.
func packed(s *floorgate.Shipment, counts map[string]int) bool {
	want := map[string]int{}
	for _, l := range s.Lines {
		want[l.SKU] += l.Qty
	}
	for sku, n := range want {
		if counts[sku] < n {
			return false
		}
	}
	return true
}

func units(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// PackPrompt tells the packer what to do next.
func PackPrompt(sess floorgate.Session) floorgate.Prompt {
	switch {
	case !sess.LoggedIn():
		return floorgate.Prompt{Step: stepLogin}
	case sess.Pack == nil:
		return floorgate.Prompt{Step: stepScanOrder}
	case sess.Pack.Waybill:
		return floorgate.Prompt{Step: stepScanWaybill, Order: sess.Pack.Order}
	}
	return floorgate.Prompt{Step: stepScanPackItem, Order: sess.Pack.Order, Picked: units(sess.Pack.Counts)}
}

// PackSingle packs, in the single-item lane, the one-unit order the caller
// found for the item the packer scanned with no parcel open (order is nil
// when none waits for it: no_single_order). The unit is the order's: its
// line is counted and the order closes (pick.line_confirmed,
// pick.task_completed); its parcel is opened and verified at once
// (pack.started, pack.completed, verdict pack_done): the caller queues the
// waybill, and the prompt asks for it to be scanned, as after any parcel.
// The read is held to the distance band as every pack read is.
func PackSingle(st PackState, sc floorgate.Scan, m floorgate.Match, order *floorgate.Task) Result {
	sess := st.Session
	rec := floorgate.ScanRecord{ScanID: sc.ID, Device: sc.Device, Operator: sess.Operator, Data: sc.Data,
		AIM: sc.AIM, Kind: m.Kind, DeviceTime: sc.DeviceTime}
	recordDistance(&rec, st.Policy.Distance, sc, m)
	reject := func(code floorgate.Code) Result {
		rec.Code = code
		return Result{Session: sess, Verdict: floorgate.NewVerdict(sc.ID, code, PackPrompt(sess)),
			Events: []floorgate.Event{floorgate.NewEvent(floorgate.EventScanRejected, sc.At, rec)}}
	}
	if !sess.LoggedIn() {
		return reject(floorgate.CodeNotLoggedIn)
	}
	refuse, warning := outOfBand(st.Policy.Distance.Mode, &rec, func() Result {
		inBand := st
		inBand.Policy.Distance.Mode = floorgate.DistanceOff
		return PackSingle(inBand, sc, m, order)
	})
	switch {
	case refuse:
		return reject(floorgate.CodeDistance)
	case order == nil || m.Kind != floorgate.MatchItem:
		return reject(floorgate.CodeNoSingleOrder)
	case st.Shipment == nil:
		return reject(floorgate.CodeUnknownOrder)
	case st.Cancelled:
		return reject(floorgate.CodeOrderIntercepted)
	}
	nt := copyTask(order)
	nt.Status, nt.Operator, nt.Device, nt.AssignedAt = floorgate.TaskAssigned, sess.Operator, sess.Device, sc.At
	nt.Lines[0].Picked = 1
	rec.Task, rec.Line, rec.Code, rec.Warning = nt.ID, 1, floorgate.CodePackDone, warning
	events := []floorgate.Event{floorgate.NewEvent(floorgate.EventScanAccepted, sc.At, rec)}
	events = closeCartLine(nt, 0, sc.At, sess, events)
	s := st.Shipment
	ns := sess
	ns.Pack = &floorgate.PackProgress{Order: s.Order, Counts: map[string]int{m.Item.SKU: 1}, Waybill: true, Started: sc.At, Packed: sc.At}
	events = append(events,
		floorgate.NewEvent(floorgate.EventPackStarted, sc.At, floorgate.PackRecord{Order: s.Order, Packer: sess.Operator, Device: sess.Device, Started: sc.At}),
		floorgate.NewEvent(floorgate.EventPackCompleted, sc.At, floorgate.PackRecord{Order: s.Order, Carrier: s.Carrier, Tracking: s.Tracking,
			Packer: sess.Operator, Device: sess.Device, Started: sc.At, Packed: sc.At, Units: 1}))
	v := floorgate.NewVerdict(sc.ID, floorgate.CodePackDone, PackPrompt(ns))
	if warning != "" {
		v = v.WithWarning(warning)
	}
	return Result{Session: ns, Task: nt, TaskChanged: true, Verdict: v, Events: events}
}
