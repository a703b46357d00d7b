package store

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/floorgate/floorgate"
)

// raise raises r on dev with request id id and wants code.
func (e *env) raise(dev, id string, r floorgate.Raise, code floorgate.Code) floorgate.Verdict {
	e.t.Helper()
	v, err := e.db.Raise(ctx, dev, id, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if v.Code != code {
		e.t.Fatalf("raise %s %+v: %s, want %s", id, r, v.Code, code)
	}
	return v
}

// cases are the store's cases by id.
func (e *env) cases(open bool) map[string]floorgate.ExceptionCase {
	e.t.Helper()
	cs, err := e.db.Exceptions(ExceptionFilter{Open: open})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]floorgate.ExceptionCase{}
	for _, c := range cs {
		out[c.ID] = c
	}
	return out
}

// exceptionEnv has orders O1 (2×S1 at L1, 1×S2 at L2) and O2 (1×S3 at L3)
// with their shipments, picker op1 on pda-1 and packer pk1 on pack-1.
func exceptionEnv(t *testing.T) *env {
	t.Helper()
	e := packerEnv(t)
	res := e.command(`{"id":"c1","type":"task.create","data":{"tasks":[
		{"id":"T1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":2},{"location":"L2","sku":"S2","qty":1}]},
		{"id":"T2","order":"O2","lines":[{"location":"L3","sku":"S3","qty":1}]}]}}`)
	if !res.Applied {
		t.Fatalf("task.create: %+v", res)
	}
	e.putShipments("s1",
		`{"order":"O1","carrier":"SF","tracking":"SF-O1","recipient":{"name":"Li","phone":"13800000000","address":"Shenzhen"},`+
			`"sender":{"name":"SZ-01","phone":"0755-86000000","address":"Shenzhen"},"lines":[{"sku":"S1","qty":2},{"sku":"S2","qty":1}]}`,
		shipmentJSON("O2", 3, ""))
	e.pda("pda-1", "BADGE1")
	return e
}

// TestRaiseAtPick: a reason raised at a pick line closes it short (short_ok)
// and opens a case for the shortfall, linked from pick.exception; the
// reasons of the pack station and unknown ones are refused and change
// nothing; the request is idempotent by its id.
func TestRaiseAtPick(t *testing.T) {
	e := exceptionEnv(t)
	if v := e.scan("pda-1", "a1", "LOC-1"); v.Code != floorgate.CodeLocationOK {
		t.Fatalf("location: %s", v.Code)
	}
	before := len(e.journal())
	e.raise("pda-1", "r0", floorgate.Raise{Reason: "bin_on_fire"}, floorgate.CodeReasonUnknown)
	e.raise("pda-1", "r1", floorgate.Raise{Reason: floorgate.ReasonMissingAtPack}, floorgate.CodeReasonNotHere)
	if n := len(e.journal()); n != before || len(e.cases(false)) != 0 {
		t.Fatalf("refused raises changed something: %d events (was %d), %d cases", n, before, len(e.cases(false)))
	}
	// One unit is in the bin; the other is damaged.
	v := e.raise("pda-1", "r2", floorgate.Raise{Reason: floorgate.ReasonDamaged, Found: 1, Note: "crushed box"}, floorgate.CodeShortOK)
	if v.Prompt.Location != "L2" {
		t.Fatalf("after the short the picker goes on to L2: %+v", v.Prompt)
	}
	e.raise("pda-1", "r2", floorgate.Raise{Reason: floorgate.ReasonDamaged, Found: 1}, floorgate.CodeShortOK) // again: the same answer
	cs := e.cases(true)
	c, ok := cs["X1"]
	if len(cs) != 1 || !ok {
		t.Fatalf("open cases: %+v", cs)
	}
	want := floorgate.ExceptionCase{ID: "X1", Reason: floorgate.ReasonDamaged, Stage: floorgate.StagePick, Order: "O1", Task: "T1", Line: 1,
		SKU: "S1", Location: "L1", Qty: 1, Note: "crushed box", Operator: "op1", Device: "pda-1", RaisedAt: c.RaisedAt, Status: floorgate.ExceptionOpen}
	if c != want || c.RaisedAt.IsZero() {
		t.Fatalf("case:\n got %+v\nwant %+v", c, want)
	}
	short := e.eventsOf(floorgate.EventPickException)
	raised := e.eventsOf(floorgate.EventExceptionRaised)
	if len(short) != 1 || len(raised) != 1 {
		t.Fatalf("events: %d pick.exception, %d exception.raised", len(short), len(raised))
	}
	var rec floorgate.ExceptionRecord
	decode(t, short[0], &rec)
	if rec.Reason != "damaged" || rec.Exception != "X1" || rec.Kind != floorgate.ExceptionShortPick || rec.Found != 1 {
		t.Fatalf("pick.exception: %+v", rec)
	}
	var ev floorgate.ExceptionCase
	decode(t, raised[0], &ev)
	if ev != want {
		t.Fatalf("exception.raised:\n got %+v\nwant %+v", ev, want)
	}
	// The next line: the bin holds another item.
	e.scan("pda-1", "a2", "LOC-2")
	e.raise("pda-1", "r3", floorgate.Raise{Reason: floorgate.ReasonWrongItemInBin}, floorgate.CodeShortOK)
	if c := e.cases(true)["X2"]; c.Reason != floorgate.ReasonWrongItemInBin || c.Qty != 1 || c.SKU != "S2" {
		t.Fatalf("second case: %+v", c)
	}
	// The picker's next task; a plain short is a bin found empty.
	e.scan("pda-1", "a3", "LOC-3")
	e.raise("pda-1", "r4x", floorgate.Raise{}, floorgate.CodeReasonUnknown) // an exception must name its reason
	e.raise("pda-1", "r4", floorgate.Raise{Plain: true}, floorgate.CodeShortOK)
	if c := e.cases(true)["X3"]; c.Reason != floorgate.ReasonShortBinEmpty || c.Order != "O2" {
		t.Fatalf("plain short's case: %+v", c)
	}
	// Cases survive a restart.
	e.reopen()
	if n := len(e.cases(true)); n != 3 {
		t.Fatalf("open cases after reopening: %d", n)
	}
}

// TestRaiseAtPack: at the pack station, item missing opens a case per SKU
// still missing and sets the parcel aside; the order is refused
// (exception_open) until every case is resolved; then a cancel_line lets it
// pack with the units there are. A pick reason at pack is refused, so is an
// item that is not the parcel's.
func TestRaiseAtPack(t *testing.T) {
	e := exceptionEnv(t)
	e.packSteps([2]string{"O1", "order_ok"}, [2]string{itemBarcode(1), "pack_item_ok"})
	e.raise("pack-1", "p1", floorgate.Raise{Reason: floorgate.ReasonShortBinEmpty}, floorgate.CodeReasonNotHere)
	e.raise("pack-1", "p2", floorgate.Raise{Reason: floorgate.ReasonDamaged, Data: itemBarcode(4)}, floorgate.CodeWrongItem)
	if n := len(e.cases(false)); n != 0 {
		t.Fatalf("refused raises opened %d cases", n)
	}
	v := e.raise("pack-1", "p3", floorgate.Raise{Reason: floorgate.ReasonMissingAtPack}, floorgate.CodeExceptionRaised)
	if v.Prompt.Step != "scan_order" {
		t.Fatalf("the parcel is set aside: prompt %+v", v.Prompt)
	}
	cs := e.cases(true)
	if len(cs) != 2 || cs["X1"].SKU != "S1" || cs["X1"].Qty != 1 || cs["X2"].SKU != "S2" || cs["X2"].Qty != 1 ||
		cs["X1"].Stage != floorgate.StagePack || cs["X1"].Operator != "pk1" {
		t.Fatalf("cases: %+v", cs)
	}
	e.packSteps([2]string{"O1", "exception_open"})
	// Nothing to raise on without a parcel.
	e.raise("pack-1", "p4", floorgate.Raise{Reason: floorgate.ReasonDamaged}, floorgate.CodeNoTask)

	if _, err := e.db.Resolve(ctx, "X1", floorgate.Resolution{Action: floorgate.ResolveCancelLine, By: "sup1"}); err != nil {
		t.Fatal(err)
	}
	e.packSteps([2]string{"O1", "exception_open"}) // X2 is still open
	if _, err := e.db.Resolve(ctx, "X2", floorgate.Resolution{Action: floorgate.ResolveCancelLine, By: "sup1"}); err != nil {
		t.Fatal(err)
	}
	s, err := e.db.Shipment("O1")
	if err != nil || len(s.Lines) != 1 || s.Lines[0].SKU != "S1" || s.Lines[0].Qty != 1 {
		t.Fatalf("shipment after two cancelled lines: %+v %v", s.Lines, err)
	}
	e.packSteps([2]string{"O1", "order_ok"}, [2]string{itemBarcode(1), "pack_done"})
}

// TestResolve: each resolution does what it says on the floor in the
// commit that resolves, is journalled with its times and author, and a
// bad one is refused whole: unknown case, a case resolved already, an
// unknown location or SKU, a substitute that is the missing item.
func TestResolve(t *testing.T) {
	e := exceptionEnv(t)
	e.scan("pda-1", "a1", "LOC-1")
	e.raise("pda-1", "r1", floorgate.Raise{Reason: floorgate.ReasonShortBinEmpty}, floorgate.CodeShortOK) // X1: 2×S1
	e.scan("pda-1", "a2", "LOC-2")
	e.raise("pda-1", "r2", floorgate.Raise{Reason: floorgate.ReasonLabelUnreadable}, floorgate.CodeShortOK) // X2: 1×S2
	e.scan("pda-1", "a3", "LOC-3")
	e.raise("pda-1", "r3", floorgate.Raise{Reason: floorgate.ReasonShortCountWrong}, floorgate.CodeShortOK) // X3: 1×S3 of O2
	raisedAt := e.cases(true)["X1"].RaisedAt
	e.clock.Add(25 * 60e9)

	journal := len(e.journal())
	for _, bad := range []struct {
		id  string
		res floorgate.Resolution
		err string
	}{
		{"X9", floorgate.Resolution{Action: floorgate.ResolveSendToERP}, floorgate.ENOTFOUND},
		{"X1", floorgate.Resolution{Action: "shrug"}, floorgate.EINVALID},
		{"X1", floorgate.Resolution{Action: floorgate.ResolveRepick}, floorgate.EINVALID},
		{"X1", floorgate.Resolution{Action: floorgate.ResolveRepick, Location: "L99"}, floorgate.EINVALID},
		{"X1", floorgate.Resolution{Action: floorgate.ResolveSubstitute, Location: "L4", SKU: "S1"}, floorgate.EINVALID},
		{"X1", floorgate.Resolution{Action: floorgate.ResolveSubstitute, Location: "L4", SKU: "S99"}, floorgate.EINVALID},
	} {
		if _, err := e.db.Resolve(ctx, bad.id, bad.res); floorgate.ErrorCode(err) != bad.err {
			t.Errorf("resolve %s %+v: %v, want %s", bad.id, bad.res, err, bad.err)
		}
	}
	if n := len(e.journal()); n != journal || len(e.cases(true)) != 3 {
		t.Fatalf("refused resolutions changed something: %d events (was %d)", n, journal)
	}

	// X1: re-pick the two units of S1 from L4, ahead of the queue.
	c, err := e.db.Resolve(ctx, "X1", floorgate.Resolution{Action: floorgate.ResolveRepick, Location: "L4", By: "sup1", Note: "spare stock"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != floorgate.ExceptionResolved || c.Resolution.Task != "X1-O1" || c.Resolution.By != "sup1" ||
		c.Resolution.ResolveS != e.clock.Now().Sub(raisedAt).Seconds() {
		t.Fatalf("resolved: %+v %+v", c, c.Resolution)
	}
	if _, err := e.db.Resolve(ctx, "X1", floorgate.Resolution{Action: floorgate.ResolveSendToERP}); floorgate.ErrorCode(err) != floorgate.ECONFLICT {
		t.Fatalf("resolving twice: %v", err)
	}
	tk, err := e.db.Task("X1-O1")
	if err != nil || tk.Order != "O1" || len(tk.Lines) != 1 || tk.Lines[0] != (floorgate.TaskLine{Location: "L4", SKU: "S1", Qty: 2, Status: floorgate.LineOpen, WalkSeq: tk.Lines[0].WalkSeq}) ||
		tk.Priority != repickPriority {
		t.Fatalf("repick task: %+v %v", tk, err)
	}
	// X2: substitute S4 for S2: the parcel expects S4.
	if _, err := e.db.Resolve(ctx, "X2", floorgate.Resolution{Action: floorgate.ResolveSubstitute, Location: "L4", SKU: "S4", By: "sup1"}); err != nil {
		t.Fatal(err)
	}
	s, _ := e.db.Shipment("O1")
	if len(s.Lines) != 2 || s.Lines[0] != (floorgate.ShipmentLine{SKU: "S1", Qty: 2}) || s.Lines[1].SKU != "S4" || s.Lines[1].Qty != 1 {
		t.Fatalf("shipment after the substitute: %+v", s.Lines)
	}
	// X3: the ERP decides.
	if _, err := e.db.Resolve(ctx, "X3", floorgate.Resolution{Action: floorgate.ResolveSendToERP, By: "sup1"}); err != nil {
		t.Fatal(err)
	}
	resolved := e.eventsOf(floorgate.EventExceptionResolved)
	if len(resolved) != 3 {
		t.Fatalf("exception.resolved events: %d", len(resolved))
	}
	var ev floorgate.ExceptionCase
	decode(t, resolved[2], &ev)
	if ev.ID != "X3" || ev.Resolution == nil || ev.Resolution.Action != floorgate.ResolveSendToERP || ev.Resolution.By != "sup1" || ev.Status != "resolved" {
		t.Fatalf("exception.resolved: %+v", ev)
	}
	if n := len(e.cases(true)); n != 0 {
		t.Fatalf("open after resolving all: %d", n)
	}
	e.checkGapFree()
}

// TestExceptionUpstreamTime: a case learns when upstream acknowledged its
// exception.raised, and only then.
func TestExceptionUpstreamTime(t *testing.T) {
	e := exceptionEnv(t)
	e.scan("pda-1", "a1", "LOC-1")
	e.raise("pda-1", "r1", floorgate.Raise{Reason: floorgate.ReasonShortBinEmpty}, floorgate.CodeShortOK)
	var seq, other []uint64
	for _, ev := range e.journal() {
		if ev.Type == floorgate.EventExceptionRaised {
			seq = append(seq, ev.Seq)
		} else {
			other = append(other, ev.Seq)
		}
	}
	e.clock.Add(42e9)
	if err := e.db.Ack(ctx, other); err != nil {
		t.Fatal(err)
	}
	if c := e.cases(true)["X1"]; !c.UpstreamAt.IsZero() {
		t.Fatalf("upstream before its event was acked: %v", c.UpstreamAt)
	}
	if err := e.db.Ack(ctx, seq); err != nil {
		t.Fatal(err)
	}
	c := e.cases(true)["X1"]
	if d := c.UpstreamAt.Sub(c.RaisedAt); d != 42e9 {
		t.Fatalf("raise to upstream: %v (upstream %v)", d, c.UpstreamAt)
	}
	e.reopen()
	if c := e.cases(false)["X1"]; c.UpstreamAt.IsZero() {
		t.Fatal("upstream time lost on reopening")
	}
}

// TestShortSLAClearsOnResolution: an order short is on the SLA board until
// its cases are resolved.
func TestShortSLAClearsOnResolution(t *testing.T) {
	e := exceptionEnv(t)
	e.scan("pda-1", "a1", "LOC-3")
	e.scan("pda-1", "a2", "LOC-1")
	e.raise("pda-1", "r1", floorgate.Raise{Reason: floorgate.ReasonShortBinEmpty}, floorgate.CodeShortOK)
	if !e.sla()["O1 short_pick at_risk"] {
		t.Fatalf("board after the short: %v", e.sla())
	}
	if _, err := e.db.Resolve(ctx, "X1", floorgate.Resolution{Action: floorgate.ResolveCancelLine, By: "sup1"}); err != nil {
		t.Fatal(err)
	}
	if e.sla()["O1 short_pick at_risk"] {
		t.Fatalf("board after the resolution: %v", e.sla())
	}
}

func decode(t *testing.T, ev floorgate.Event, v any) {
	t.Helper()
	if err := json.Unmarshal(ev.Data, v); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", ev.Type, err))
	}
}
