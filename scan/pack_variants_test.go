package scan_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// The variant fixtures: barcodes of a gift with its own barcode, a card and
// a roll of bubble wrap, none of them an item of master data.
const (
	barCard   = "CARD-XMAS"
	barBubble = "PKG-BUBBLE"
)

// variantShipment is the base shipment (RED ×2, BLUE ×1) changed by mod.
func variantShipment(mod func(*floorgate.Shipment)) *floorgate.Shipment {
	s := *shipment
	s.Lines = append([]floorgate.ShipmentLine(nil), shipment.Lines...)
	if mod != nil {
		mod(&s)
	}
	return &s
}

// packStep is one read at the pack station and what it must answer.
type packStep struct {
	name string
	data string
	m    floorgate.Match
	code floorgate.Code
	ok   bool
	step string
}

// walkPack runs steps through scan.Pack from st, carrying the session as
// the store does, and returns the results. A refused step must leave the
// parcel as it was.
func walkPack(t *testing.T, st scan.PackState, steps []packStep) []scan.Result {
	t.Helper()
	var out []scan.Result
	for i, s := range steps {
		r := scan.Pack(st, floorgate.Scan{ID: s.name, Device: "pack-1", Data: s.data, At: t0.Add(time.Duration(i) * time.Second)}, s.m)
		if r.Verdict.Code != s.code || r.Verdict.OK != s.ok || r.Verdict.Prompt.Step != s.step {
			t.Fatalf("%s: %s ok=%v step %s; want %s ok=%v step %s", s.name, r.Verdict.Code, r.Verdict.OK, r.Verdict.Prompt.Step, s.code, s.ok, s.step)
		}
		if !r.Verdict.OK && !reflect.DeepEqual(r.Session, st.Session) {
			t.Fatalf("%s: a refusal changed the session:\n got %+v\nwant %+v", s.name, r.Session, st.Session)
		}
		out = append(out, r)
		st.Session = r.Session
	}
	return out
}

func opened(s *floorgate.Shipment) scan.PackState {
	sess := packer()
	sess.Pack = &floorgate.PackProgress{Order: s.Order, Counts: map[string]int{}, Started: t0}
	return scan.PackState{Session: sess, Shipment: s}
}

func completed(t *testing.T, r scan.Result) floorgate.PackRecord {
	t.Helper()
	for _, e := range r.Events {
		if e.Type == floorgate.EventPackCompleted {
			return decode[floorgate.PackRecord](t, e)
		}
	}
	t.Fatalf("no pack.completed in %v", types(r.Events))
	return floorgate.PackRecord{}
}

// TestPackExtras: a gift is verified by its SKU's barcode or by its own
// barcode; the last item with an extra still out is gift_missing (accepted,
// with a warning, the waybill waiting); the extra then packs the parcel;
// one too many is extra_gift.
func TestPackExtras(t *testing.T) {
	s := variantShipment(func(s *floorgate.Shipment) {
		s.Extras = []floorgate.PackExtra{
			{Kind: floorgate.ExtraGift, SKU: "GREEN", Name: "Green mug", Qty: 1},
			{Kind: floorgate.ExtraInsert, Barcode: barCard, Name: "Xmas card", Qty: 2},
		}
	})
	cardScan := floorgate.Match{} // its own barcode: not in master data
	rs := walkPack(t, opened(s), []packStep{
		{"gift by its SKU before the items", barGreen, itemGreen, floorgate.CodeExtraOK, true, "scan_pack_item"},
		{"the gift again", barGreen, itemGreen, floorgate.CodeExtraGift, false, "scan_pack_item"},
		{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
		{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
		{"blue: the items are in, the cards are not", barBlue, itemBlue, floorgate.CodeGiftMissing, true, "scan_pack_item"},
		{"first card by its own barcode", barCard, cardScan, floorgate.CodeExtraOK, true, "scan_pack_item"},
		{"second card: packed", barCard, cardScan, floorgate.CodePackDone, true, "scan_waybill"},
	})
	if w := rs[4].Verdict; w.Feedback.Kind != floorgate.Warn || !reflect.DeepEqual(w.Prompt.Extras, []string{"Xmas card ×2"}) {
		t.Errorf("gift_missing: feedback %s, prompt extras %q; want warn, [Xmas card ×2]", w.Feedback.Kind, w.Prompt.Extras)
	}
	for i, r := range rs[:6] {
		if types(r.Events)[len(r.Events)-1] == floorgate.EventPackCompleted {
			t.Fatalf("step %d completed the parcel before its extras were in", i)
		}
	}
	if got := rs[5].Verdict.Prompt.Extras; !reflect.DeepEqual(got, []string{"Xmas card"}) {
		t.Errorf("after one card the prompt names %q, want [Xmas card]", got)
	}
	if rec := completed(t, rs[6]); rec.Units != 3 || rec.Extras != 3 || rec.Held {
		t.Errorf("pack.completed %+v; want 3 units, 3 extras, not held", rec)
	}
	// A third card is one too many; an item of another order is still wrong.
	st := opened(s)
	st.Session.Pack.Extras = map[int]int{1: 2}
	if r := scan.Pack(st, floorgate.Scan{ID: "x", Data: barCard, At: t0}, cardScan); r.Verdict.Code != floorgate.CodeExtraGift {
		t.Errorf("a third card: %s, want extra_gift", r.Verdict.Code)
	}
	if r := scan.Pack(st, floorgate.Scan{ID: "y", Data: barPink, At: t0}, itemPink); r.Verdict.Code != floorgate.CodeWrongItem {
		t.Errorf("pink: %s, want wrong_item", r.Verdict.Code)
	}
}

// TestPackFragile: a fragile line asks for its packing material once the
// items are in (material_needed, warned, the prompt naming the line); the material scanned first, or
// then, confirms it; a gift still out is named before the material.
func TestPackFragile(t *testing.T) {
	s := variantShipment(func(s *floorgate.Shipment) {
		s.Lines[1].Fragile = true
		s.FragileMaterial = barBubble
	})
	t.Run("material after the items", func(t *testing.T) {
		rs := walkPack(t, opened(s), []packStep{
			{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
			{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
			{"blue, fragile", barBlue, itemBlue, floorgate.CodeMaterialNeeded, true, "scan_pack_item"},
			{"another code", "???", unknown, floorgate.CodeUnknownBarcode, false, "scan_pack_item"},
			{"the bubble wrap: packed", barBubble, unknown, floorgate.CodePackDone, true, "scan_waybill"},
		})
		if v := rs[2].Verdict; v.Feedback.Kind != floorgate.Warn || !reflect.DeepEqual(v.Prompt.Fragile, []string{"BLUE"}) {
			t.Errorf("material_needed: %s, prompt fragile %q; want warn, [BLUE]", v.Feedback.Kind, v.Prompt.Fragile)
		}
		if types(rs[2].Events)[len(rs[2].Events)-1] == floorgate.EventPackCompleted {
			t.Error("the parcel completed before its material")
		}
		completed(t, rs[4])
	})
	t.Run("material before the items", func(t *testing.T) {
		rs := walkPack(t, opened(s), []packStep{
			{"the bubble wrap", barBubble, unknown, floorgate.CodeMaterialOK, true, "scan_pack_item"},
			{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
			{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
			{"blue: packed", barBlue, itemBlue, floorgate.CodePackDone, true, "scan_waybill"},
		})
		if rs[1].Verdict.Prompt.Fragile != nil {
			t.Errorf("the prompt still names %q to wrap once the material is scanned", rs[1].Verdict.Prompt.Fragile)
		}
		completed(t, rs[3])
	})
	t.Run("not fragile: the material is no item", func(t *testing.T) {
		plain := variantShipment(func(s *floorgate.Shipment) { s.FragileMaterial = barBubble })
		walkPack(t, opened(plain), []packStep{
			{"bubble wrap", barBubble, unknown, floorgate.CodeUnknownBarcode, false, "scan_pack_item"},
		})
	})
	t.Run("gift, then material", func(t *testing.T) {
		both := variantShipment(func(s *floorgate.Shipment) {
			s.Lines[1].Fragile = true
			s.FragileMaterial = barBubble
			s.Extras = []floorgate.PackExtra{{Kind: floorgate.ExtraInsert, Barcode: barCard, Name: "Card", Qty: 1}}
		})
		walkPack(t, opened(both), []packStep{
			{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
			{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
			{"blue", barBlue, itemBlue, floorgate.CodeGiftMissing, true, "scan_pack_item"},
			{"card: now the material", barCard, unknown, floorgate.CodeMaterialNeeded, true, "scan_pack_item"},
			{"bubble wrap: packed", barBubble, unknown, floorgate.CodePackDone, true, "scan_waybill"},
		})
	})
}

// TestPackCustomsMismatch: a cross-border parcel whose verified contents
// differ from its declaration is refused at the last item, the parcel left
// as it was and no waybill; one that matches packs.
func TestPackCustomsMismatch(t *testing.T) {
	declare := func(red int) *floorgate.Shipment {
		return variantShipment(func(s *floorgate.Shipment) {
			s.Variant = floorgate.VariantCrossBorder
			s.Customs = &floorgate.Customs{Currency: "USD", DeclaredValue: "30.00", Contents: "Cables",
				Items: []floorgate.CustomsItem{
					{SKU: "RED", Description: "USB cable", HSCode: "8544422100", Qty: red, Value: "10.00", Origin: "CN"},
					{SKU: "BLUE", Description: "Adapter", HSCode: "8504403000", Qty: 1, Value: "10.00", Origin: "CN"},
				}}
		})
	}
	rs := walkPack(t, opened(declare(1)), []packStep{
		{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
		{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
		{"blue: 2 red in, 1 declared", barBlue, itemBlue, floorgate.CodeCustomsMismatch, false, "scan_pack_item"},
	})
	last := rs[2]
	checkEvents(t, last.Events, t0.Add(2*time.Second), floorgate.EventScanRejected)
	if last.Verdict.Feedback.Kind != floorgate.Bad || last.Session.Pack.Waybill || last.Session.Pack.Counts["BLUE"] != 0 {
		t.Errorf("customs_mismatch left %+v with feedback %s", last.Session.Pack, last.Verdict.Feedback.Kind)
	}
	rs = walkPack(t, opened(declare(2)), []packStep{
		{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
		{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
		{"blue: as declared", barBlue, itemBlue, floorgate.CodePackDone, true, "scan_waybill"},
	})
	if rec := completed(t, rs[2]); rec.Variant != floorgate.VariantCrossBorder {
		t.Errorf("pack.completed variant %q", rec.Variant)
	}
	// In the single-item lane too.
	one := declare(1)
	one.Lines = []floorgate.ShipmentLine{{SKU: "RED", Qty: 1}}
	one.Customs.Items = one.Customs.Items[1:] // BLUE declared, RED packed
	order := &floorgate.Task{ID: "S1", Order: one.Order, Mode: floorgate.ModeSingle, Status: floorgate.TaskPending,
		Lines: []floorgate.TaskLine{{Location: "A-01-01", SKU: "RED", Qty: 1, Status: floorgate.LineOpen}}}
	r := scan.PackSingle(scan.PackState{Session: packer(), Shipment: one}, floorgate.Scan{ID: "s", Data: barRed, At: t0}, itemRed, order)
	if r.Verdict.Code != floorgate.CodeCustomsMismatch || r.TaskChanged || r.Session.Pack != nil {
		t.Errorf("single lane, undeclared item: %s, task changed %v, parcel %+v", r.Verdict.Code, r.TaskChanged, r.Session.Pack)
	}
}

// TestPackPresale: a presale parcel packs to pack_held with no waybill (the
// record says held); its order scanned again is order_held until released,
// then opens at the waybill step; released before it was packed, it is not
// held at all.
func TestPackPresale(t *testing.T) {
	s := variantShipment(func(s *floorgate.Shipment) { s.Variant = floorgate.VariantPreSale })
	items := []packStep{
		{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
		{"red", barRed, itemRed, floorgate.CodePackItemOK, true, "scan_pack_item"},
	}
	rs := walkPack(t, opened(s), append(items, packStep{"blue: held", barBlue, itemBlue, floorgate.CodePackHeld, true, "scan_order"}))
	held := rs[2]
	if rec := completed(t, held); !rec.Held || rec.Variant != floorgate.VariantPreSale || rec.Units != 3 {
		t.Errorf("pack.completed %+v; want held presale, 3 units", rec)
	}
	if held.Session.Pack != nil {
		t.Errorf("a held parcel stays open: %+v", held.Session.Pack)
	}

	m := floorgate.Match{Kind: floorgate.MatchOrder, Shipment: s}
	hp := &floorgate.HeldParcel{Order: s.Order, Station: "pack-1", Packer: "packer-1", Started: t0, Packed: t0.Add(2 * time.Second), Units: 3}
	open := func(h *floorgate.HeldParcel) scan.Result {
		return scan.Pack(scan.PackState{Session: packer(), Held: h}, floorgate.Scan{ID: "o", Data: s.Order, At: t0.Add(time.Hour)}, m)
	}
	if r := open(hp); r.Verdict.Code != floorgate.CodeOrderHeld || r.Verdict.OK || r.Session.Pack != nil {
		t.Errorf("held, not released: %s, parcel %+v; want order_held", r.Verdict.Code, r.Session.Pack)
	}
	rel := *hp
	rel.Released = t0.Add(50 * time.Minute)
	r := open(&rel)
	if r.Verdict.Code != floorgate.CodePackDone || r.Verdict.Prompt.Step != "scan_waybill" || r.Session.Pack == nil || !r.Session.Pack.Waybill {
		t.Fatalf("released: %s %+v; want pack_done at the waybill", r.Verdict.Code, r.Verdict.Prompt)
	}
	checkEvents(t, r.Events, t0.Add(time.Hour), floorgate.EventScanAccepted) // no second pack.started
	// Its waybill: the time to outbound counts from the release.
	ship := scan.Pack(scan.PackState{Session: r.Session, Shipment: s, Held: &rel},
		floorgate.Scan{ID: "w", Data: s.Tracking, At: rel.Released.Add(10 * time.Minute)}, unknown)
	if ship.Verdict.Code != floorgate.CodeShipped {
		t.Fatalf("waybill of a released parcel: %s", ship.Verdict.Code)
	}
	rec := decode[floorgate.PackRecord](t, ship.Events[1])
	if rec.PackToShipS != 600 || !*rec.WithinStandard || !rec.Released.Equal(rel.Released) || rec.Variant != floorgate.VariantPreSale {
		t.Errorf("ship.confirmed %+v; want 600 s from the release, within the standard", rec)
	}
	if rec.Units != 3 {
		t.Errorf("ship.confirmed of a released parcel counts %d units; the parcel held %d", rec.Units, rel.Units)
	}

	// A released parcel with a gift in it ships with it counted.
	withGift := variantShipment(func(s *floorgate.Shipment) {
		s.Variant = floorgate.VariantPreSale
		s.Extras = []floorgate.PackExtra{{Kind: floorgate.ExtraInsert, Barcode: barCard, Name: "Card", Qty: 2}}
	})
	r = scan.Pack(scan.PackState{Session: packer(), Held: &rel}, floorgate.Scan{ID: "o2", Data: s.Order, At: t0.Add(time.Hour)},
		floorgate.Match{Kind: floorgate.MatchOrder, Shipment: withGift})
	ship = scan.Pack(scan.PackState{Session: r.Session, Shipment: withGift, Held: &rel},
		floorgate.Scan{ID: "w2", Data: s.Tracking, At: rel.Released.Add(time.Minute)}, unknown)
	if rec := decode[floorgate.PackRecord](t, ship.Events[1]); ship.Verdict.Code != floorgate.CodeShipped || rec.Units != 3 || rec.Extras != 2 {
		t.Errorf("ship.confirmed of a released parcel with two cards: %s %+v; want 3 units, 2 extras", ship.Verdict.Code, rec)
	}

	// Released before it was packed: opens as any order, packs to pack_done.
	pre := &floorgate.HeldParcel{Order: s.Order, Released: t0.Add(-time.Hour)}
	r = open(pre)
	if r.Verdict.Code != floorgate.CodeOrderOK {
		t.Fatalf("pre-released order: %s, want order_ok", r.Verdict.Code)
	}
	st := scan.PackState{Session: r.Session, Shipment: s, Held: pre}
	rs = walkPack(t, st, append(items, packStep{"blue: not held", barBlue, itemBlue, floorgate.CodePackDone, true, "scan_waybill"}))
	if rec := completed(t, rs[2]); rec.Held {
		t.Error("a parcel released before packing was recorded held")
	}

	// The single-item lane holds a presale parcel too.
	one := variantShipment(func(s *floorgate.Shipment) {
		s.Variant = floorgate.VariantPreSale
		s.Lines = []floorgate.ShipmentLine{{SKU: "RED", Qty: 1}}
	})
	order := &floorgate.Task{ID: "S1", Order: one.Order, Mode: floorgate.ModeSingle, Status: floorgate.TaskPending,
		Lines: []floorgate.TaskLine{{Location: "A-01-01", SKU: "RED", Qty: 1, Status: floorgate.LineOpen}}}
	r = scan.PackSingle(scan.PackState{Session: packer(), Shipment: one}, floorgate.Scan{ID: "s", Data: barRed, At: t0}, itemRed, order)
	if r.Verdict.Code != floorgate.CodePackHeld || r.Session.Pack != nil || r.Verdict.Prompt.Step != "scan_order" {
		t.Fatalf("single presale: %s %+v", r.Verdict.Code, r.Verdict.Prompt)
	}
	if rec := completed(t, r); !rec.Held {
		t.Error("single presale: pack.completed not held")
	}
	if accepted := decode[floorgate.ScanRecord](t, r.Events[0]); accepted.Code != floorgate.CodePackHeld {
		t.Errorf("single presale: scan.accepted says %s", accepted.Code)
	}
}

// TestPackSingleWithExtras: in the single-item lane the unit is in at once;
// a gift keeps the parcel open (gift_missing) and its scan then packs it; a
// fragile unit asks for its material.
func TestPackSingleWithExtras(t *testing.T) {
	order := func() *floorgate.Task {
		return &floorgate.Task{ID: "S1", Order: "SO-9", Mode: floorgate.ModeSingle, Status: floorgate.TaskPending,
			Lines: []floorgate.TaskLine{{Location: "A-01-01", SKU: "RED", Qty: 1, Status: floorgate.LineOpen}}}
	}
	gift := variantShipment(func(s *floorgate.Shipment) {
		s.Lines = []floorgate.ShipmentLine{{SKU: "RED", Qty: 1}}
		s.Extras = []floorgate.PackExtra{{Kind: floorgate.ExtraGift, Barcode: barCard, Name: "Sticker", Qty: 1}}
	})
	r := scan.PackSingle(scan.PackState{Session: packer(), Shipment: gift}, floorgate.Scan{ID: "s", Data: barRed, At: t0}, itemRed, order())
	checkEvents(t, r.Events, t0, "scan.accepted", "pick.line_confirmed", "pick.task_completed", "pack.started")
	if r.Verdict.Code != floorgate.CodeGiftMissing || !r.Verdict.OK || r.Session.Pack == nil || r.Session.Pack.Counts["RED"] != 1 ||
		!reflect.DeepEqual(r.Verdict.Prompt.Extras, []string{"Sticker"}) || !r.TaskChanged {
		t.Fatalf("single with a gift: %s %+v parcel %+v", r.Verdict.Code, r.Verdict.Prompt, r.Session.Pack)
	}
	walkPack(t, scan.PackState{Session: r.Session, Shipment: gift}, []packStep{
		{"the sticker", barCard, unknown, floorgate.CodePackDone, true, "scan_waybill"},
		{"the waybill", gift.Tracking, unknown, floorgate.CodeShipped, true, "scan_order"},
	})

	frag := variantShipment(func(s *floorgate.Shipment) {
		s.Lines = []floorgate.ShipmentLine{{SKU: "RED", Qty: 1, Fragile: true}}
		s.FragileMaterial = barBubble
	})
	r = scan.PackSingle(scan.PackState{Session: packer(), Shipment: frag}, floorgate.Scan{ID: "s", Data: barRed, At: t0}, itemRed, order())
	if r.Verdict.Code != floorgate.CodeMaterialNeeded || !reflect.DeepEqual(r.Verdict.Prompt.Fragile, []string{"RED"}) {
		t.Fatalf("single fragile: %s %+v", r.Verdict.Code, r.Verdict.Prompt)
	}
	walkPack(t, scan.PackState{Session: r.Session, Shipment: frag}, []packStep{
		{"the bubble wrap: packed", barBubble, unknown, floorgate.CodePackDone, true, "scan_waybill"},
	})
}

// TestPackPromptVariants: the prompt names what is still missing, the
// fragile lines to wrap until their material is scanned (never the
// material's barcode) and the instructions, a line's with its
// SKU and name; none of it for another order's shipment or at the waybill.
func TestPackPromptVariants(t *testing.T) {
	s := variantShipment(func(s *floorgate.Shipment) {
		s.Lines[0].Name = "Red cable"
		s.Lines[1].Fragile = true
		s.FragileMaterial = barBubble
		s.Extras = []floorgate.PackExtra{
			{Kind: floorgate.ExtraGift, SKU: "GREEN", Name: "Mug", Qty: 1},
			{Kind: floorgate.ExtraInsert, Barcode: barCard, Name: "Card", Qty: 3},
		}
		s.Instructions = []floorgate.PackInstruction{{Text: "No invoice in the box"}, {Line: 1, Text: "Coil it"}}
	})
	sess := packer()
	sess.Pack = &floorgate.PackProgress{Order: s.Order, Counts: map[string]int{}, Extras: map[int]int{1: 1}}
	p := scan.PackPrompt(sess, s)
	want := floorgate.Prompt{Step: "scan_pack_item", Order: s.Order, Extras: []string{"Mug", "Card ×2"}, Fragile: []string{"BLUE"},
		Instructions: []string{"No invoice in the box", "RED Red cable: Coil it"}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("prompt\n got %+v\nwant %+v", p, want)
	}
	sess.Pack.Material, sess.Pack.Extras = true, map[int]int{0: 1, 1: 3}
	p = scan.PackPrompt(sess, s)
	if p.Extras != nil || p.Fragile != nil || len(p.Instructions) != 2 {
		t.Errorf("everything in: %+v", p)
	}
	other := *s
	other.Order = "SO-OTHER"
	if p := scan.PackPrompt(sess, &other); p.Instructions != nil || p.Extras != nil {
		t.Errorf("another order's shipment leaked into the prompt: %+v", p)
	}
	sess.Pack.Waybill = true
	if p := scan.PackPrompt(sess, s); !reflect.DeepEqual(p, floorgate.Prompt{Step: "scan_waybill", Order: s.Order}) {
		t.Errorf("at the waybill: %+v", p)
	}
}
