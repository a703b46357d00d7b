package scan

import (
	"fmt"
	"maps"
	"strings"
	"time"

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
// when none is open), whether its order was cancelled, and its held
// presale parcel when it has one.
type PackState struct {
	Policy    floorgate.Policy
	Session   floorgate.Session
	Shipment  *floorgate.Shipment
	Cancelled bool
	Held      *floorgate.HeldParcel
	// ExceptionOpen: the order has an exception case no supervisor has
	// resolved; it cannot be opened for packing until then.
	ExceptionOpen bool
}

// Pack judges one scan at the pack station: open a parcel by its order,
// verify every item into it (a missing, extra or wrong item keeps the
// waybill from printing), then its gifts and inserts (gift_missing until
// each is in) and, for a fragile line, its packing material
// (material_needed until scanned), then scan the printed waybill — its
// tracking number must be the order's — to confirm outbound. A
// cross-border parcel's contents must match its customs declaration. A
// presale parcel is packed and held (pack_held) with no waybill: scanning
// its order again says order_held until the ERP releases it, then opens it
// at the waybill step. A cancelled order is stopped at every step. Every
// read whose distance can be known is checked against the band as a pick
// scan is, right after the login: out of it, it is refused (the event's
// InBandCode says what the pack rules would have answered, when a
// rejection) or, in warn mode, accepted with a warning.
//
// Result.Task is always nil. The events are scan.accepted or scan.rejected
// first, then pack.started, pack.completed (the caller queues the waybill,
// or holds the parcel when the record says held) or ship.confirmed.
func Pack(st PackState, sc floorgate.Scan, m floorgate.Match) Result {
	sess := st.Session
	rec := floorgate.ScanRecord{ScanID: sc.ID, Device: sc.Device, Operator: sess.Operator, Data: sc.Data,
		AIM: sc.AIM, Kind: m.Kind, DeviceTime: sc.DeviceTime}
	recordDistance(&rec, st.Policy.Distance, sc, m)
	var warning floorgate.Code
	reject := func(code floorgate.Code) Result {
		rec.Code = code
		return Result{Session: sess, Verdict: floorgate.NewVerdict(sc.ID, code, PackPrompt(sess, st.Shipment)),
			Events: []floorgate.Event{floorgate.NewEvent(floorgate.EventScanRejected, sc.At, rec)}}
	}
	accept := func(ns floorgate.Session, code floorgate.Code, extra ...floorgate.Event) Result {
		rec.Code, rec.Warning = code, warning
		evs := append([]floorgate.Event{floorgate.NewEvent(floorgate.EventScanAccepted, sc.At, rec)}, extra...)
		v := floorgate.NewVerdict(sc.ID, code, PackPrompt(ns, st.Shipment))
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
		case st.Held != nil && st.Held.Released.IsZero():
			return reject(floorgate.CodeOrderHeld)
		case st.ExceptionOpen:
			return reject(floorgate.CodeExceptionOpen)
		}
		ns := sess
		if h := st.Held; h != nil && !h.Packed.IsZero() {
			// Released: its waybill printed at release; scan it.
			// It was packed whole: every line and extra is in it.
			extras := map[int]int{}
			for i, e := range m.Shipment.Extras {
				extras[i] = e.Qty
			}
			ns.Pack = &floorgate.PackProgress{Order: h.Order, Counts: floorgate.LineCounts(m.Shipment.Lines), Extras: extras,
				Material: fragile(m.Shipment), Waybill: true, Started: h.Started, Packed: h.Packed, Released: h.Released}
			return accept(ns, floorgate.CodePackDone)
		}
		ns.Pack = &floorgate.PackProgress{Order: m.Shipment.Order, Counts: map[string]int{}, Started: sc.At}
		return accept(ns, floorgate.CodeOrderOK, floorgate.NewEvent(floorgate.EventPackStarted, sc.At,
			floorgate.PackRecord{Order: m.Shipment.Order, Packer: sess.Operator, Device: sess.Device, Started: sc.At, Variant: variant(m.Shipment)}))
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
		from := p.Packed
		if p.Released.After(from) {
			from = p.Released // a presale parcel waits for its release, not for the floor
		}
		d := sc.At.Sub(from)
		within := d <= floorgate.OutboundStandard
		return accept(ns, floorgate.CodeShipped, floorgate.NewEvent(floorgate.EventShipConfirmed, sc.At, floorgate.PackRecord{
			Order: s.Order, Carrier: s.Carrier, Tracking: s.Tracking, Packer: sess.Operator, Device: sess.Device,
			Started: p.Started, Packed: p.Packed, Shipped: sc.At, Units: units(p.Counts), Extras: extrasIn(p),
			PackToShipS: d.Seconds(), WithinStandard: &within, Variant: variant(s), Released: p.Released}))
	}
	np := *p
	np.Counts = maps.Clone(p.Counts)
	np.Extras = maps.Clone(p.Extras)
	code := floorgate.CodePackItemOK
	want := 0
	if m.Kind == floorgate.MatchItem {
		for _, l := range s.Lines {
			if l.SKU == m.Item.SKU {
				want += l.Qty
			}
		}
	}
	switch {
	case want > 0 && p.Counts[m.Item.SKU] < want:
		np.Counts[m.Item.SKU]++
	case fragile(s) && sc.Data == s.FragileMaterial:
		np.Material, code = true, floorgate.CodeMaterialOK
	default:
		i, found := extraFor(s, sc, m, p)
		switch {
		case i >= 0:
			if np.Extras == nil {
				np.Extras = map[int]int{}
			}
			np.Extras[i]++
			code = floorgate.CodeExtraOK
		case found:
			return reject(floorgate.CodeExtraGift)
		case want > 0:
			return reject(floorgate.CodeExtraItem)
		case m.Kind == floorgate.MatchItem:
			return reject(floorgate.CodeWrongItem)
		case m.Read.Problem != "":
			return reject(floorgate.CodeInvalidBarcode)
		default:
			return reject(floorgate.CodeUnknownBarcode)
		}
	}
	ns, code, done := finish(sess, s, np, code, sc.At, preReleased(st.Held))
	if code == floorgate.CodeCustomsMismatch {
		return reject(code)
	}
	if done != nil {
		return accept(ns, code, floorgate.NewEvent(floorgate.EventPackCompleted, sc.At, *done))
	}
	return accept(ns, code)
}

// finish decides what a parcel with progress np needs after a counted scan
// whose own code is code: more items (code stands), its gifts and inserts
// (gift_missing), its fragile packing material (material_needed), or
// nothing: then it is packed — its waybill queued (pack_done) or, presale
// and not released before, held (pack_held) — and done is its
// pack.completed record. A cross-border
// parcel whose contents differ from its declaration is customs_mismatch,
// the scan refused.
func finish(sess floorgate.Session, s *floorgate.Shipment, np floorgate.PackProgress, code floorgate.Code, at time.Time, released bool) (floorgate.Session, floorgate.Code, *floorgate.PackRecord) {
	ns := sess
	ns.Pack = &np
	if !packed(s, np.Counts) {
		return ns, code, nil
	}
	switch {
	case len(missingExtras(s, &np)) > 0:
		if code == floorgate.CodePackItemOK {
			code = floorgate.CodeGiftMissing
		}
		return ns, code, nil
	case fragile(s) && !np.Material:
		if code == floorgate.CodePackItemOK || code == floorgate.CodeExtraOK {
			code = floorgate.CodeMaterialNeeded
		}
		return ns, code, nil
	}
	if s.Customs != nil && len(s.Customs.Items) > 0 && floorgate.CustomsMismatch(s.Customs.Items, verified(s, &np)) != "" {
		return sess, floorgate.CodeCustomsMismatch, nil
	}
	done := floorgate.PackRecord{Order: s.Order, Carrier: s.Carrier, Tracking: s.Tracking, Packer: sess.Operator, Device: sess.Device,
		Started: np.Started, Packed: at, Units: units(np.Counts), Extras: extrasIn(&np), Variant: variant(s)}
	if s.Variant == floorgate.VariantPreSale && !released {
		// Packed ahead: held, with no waybill, until the order is released.
		done.Held = true
		ns.Pack = nil
		return ns, floorgate.CodePackHeld, &done
	}
	np.Waybill, np.Packed = true, at
	return ns, floorgate.CodePackDone, &done
}

// preReleased reports whether a presale order was released before it was
// packed: its parcel is not held.
func preReleased(h *floorgate.HeldParcel) bool {
	return h != nil && h.Packed.IsZero() && !h.Released.IsZero()
}

// variant is the shipment's variant as events carry it: absent for normal.
func variant(s *floorgate.Shipment) floorgate.OrderVariant {
	if s == nil || s.Variant == floorgate.VariantNormal {
		return ""
	}
	return s.Variant
}

// fragile reports whether a line of the shipment is fragile.
func fragile(s *floorgate.Shipment) bool {
	for _, l := range s.Lines {
		if l.Fragile {
			return true
		}
	}
	return false
}

// extraFor finds the extra a scan verifies: by its own barcode, or by its
// SKU's. It returns the first one still short (i ≥ 0), or -1 and whether
// the scan was an extra the parcel already has enough of.
func extraFor(s *floorgate.Shipment, sc floorgate.Scan, m floorgate.Match, p *floorgate.PackProgress) (int, bool) {
	found := false
	for i, e := range s.Extras {
		if !(e.Barcode != "" && sc.Data == e.Barcode) && !(e.SKU != "" && m.Kind == floorgate.MatchItem && m.Item.SKU == e.SKU) {
			continue
		}
		found = true
		if p.Extras[i] < e.Qty {
			return i, true
		}
	}
	return -1, found
}

// verified is what the packer verified into the parcel, by SKU: the lines'
// units and the gifts and inserts scanned in that have a SKU.
func verified(s *floorgate.Shipment, p *floorgate.PackProgress) map[string]int {
	out := maps.Clone(p.Counts)
	for i, n := range p.Extras {
		if i < len(s.Extras) && s.Extras[i].SKU != "" {
			out[s.Extras[i].SKU] += n
		}
	}
	return out
}

// missingExtras names the gifts and inserts not yet in the parcel.
func missingExtras(s *floorgate.Shipment, p *floorgate.PackProgress) []string {
	var out []string
	for i, e := range s.Extras {
		if n := e.Qty - p.Extras[i]; n > 0 {
			name := e.Name
			if n > 1 {
				name = fmt.Sprintf("%s ×%d", e.Name, n)
			}
			out = append(out, name)
		}
	}
	return out
}

func extrasIn(p *floorgate.PackProgress) int {
	n := 0
	for _, c := range p.Extras {
		n += c
	}
	return n
}

// packed reports whether every line of the shipment is verified.
func packed(s *floorgate.Shipment, counts map[string]int) bool {
	return len(PackMissing(s, counts)) == 0
}

func units(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// PackPrompt tells the packer what to do next; s is the open parcel's
// shipment (nil when none is open or it is not known), whose gifts and
// inserts still missing, fragile packing material and instructions the
// prompt names.
func PackPrompt(sess floorgate.Session, s *floorgate.Shipment) floorgate.Prompt {
	switch {
	case !sess.LoggedIn():
		return floorgate.Prompt{Step: stepLogin}
	case sess.Pack == nil:
		return floorgate.Prompt{Step: stepScanOrder}
	case sess.Pack.Waybill:
		return floorgate.Prompt{Step: stepScanWaybill, Order: sess.Pack.Order}
	}
	p := floorgate.Prompt{Step: stepScanPackItem, Order: sess.Pack.Order, Picked: units(sess.Pack.Counts)}
	if s != nil && s.Order == sess.Pack.Order {
		p.Extras = missingExtras(s, sess.Pack)
		if !sess.Pack.Material {
			for _, l := range s.Lines {
				if l.Fragile {
					p.Fragile = append(p.Fragile, strings.TrimSpace(l.SKU+" "+l.Name))
				}
			}
		}
		for _, in := range s.Instructions {
			t := in.Text
			if in.Line >= 1 && in.Line <= len(s.Lines) {
				l := s.Lines[in.Line-1]
				t = strings.TrimSpace(l.SKU+" "+l.Name) + ": " + t
			}
			p.Instructions = append(p.Instructions, t)
		}
	}
	return p
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
		return Result{Session: sess, Verdict: floorgate.NewVerdict(sc.ID, code, PackPrompt(sess, st.Shipment)),
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
	events = append(events, floorgate.NewEvent(floorgate.EventPackStarted, sc.At,
		floorgate.PackRecord{Order: s.Order, Packer: sess.Operator, Device: sess.Device, Started: sc.At, Variant: variant(s)}))
	// The unit is in; a gift, an insert or a fragile wrap may still be
	// wanted, and a presale parcel is held.
	ns, code, done := finish(sess, s, floorgate.PackProgress{Order: s.Order, Counts: map[string]int{m.Item.SKU: 1}, Started: sc.At},
		floorgate.CodePackItemOK, sc.At, preReleased(st.Held))
	if code == floorgate.CodeCustomsMismatch {
		return reject(code)
	}
	if done != nil {
		events = append(events, floorgate.NewEvent(floorgate.EventPackCompleted, sc.At, *done))
	}
	rec.Code = code
	events[0] = floorgate.NewEvent(floorgate.EventScanAccepted, sc.At, rec)
	v := floorgate.NewVerdict(sc.ID, code, PackPrompt(ns, s))
	if warning != "" {
		v = v.WithWarning(warning)
	}
	return Result{Session: ns, Task: nt, TaskChanged: true, Verdict: v, Events: events}
}

// PackMissing is the units of each SKU a parcel with verified counts
// still lacks against its shipment s: what an item-missing exception at
// pack leaves out; empty when the parcel is complete.
func PackMissing(s *floorgate.Shipment, counts map[string]int) map[string]int {
	out := floorgate.LineCounts(s.Lines)
	for sku, n := range out {
		if n -= counts[sku]; n <= 0 {
			delete(out, sku)
		} else {
			out[sku] = n
		}
	}
	return out
}
