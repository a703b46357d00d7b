package store

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// sla is the board at the env's clock, as "order rule state" strings.
func (e *env) sla() map[string]bool {
	out := map[string]bool{}
	for _, s := range e.db.SLA(e.clock.Now()) {
		out[fmt.Sprintf("%s %s %s", s.Order, s.Rule, s.State)] = true
	}
	return out
}

// TestSLABoard drives orders across the floor on the injected clock: each
// comes at risk and is breached under each rule at the right minute, the
// board names who holds it, CheckSLA sends each state upstream once, and
// shipping an order takes it off the board. The ERP is not involved: the
// board is the gateway's own.
func TestSLABoard(t *testing.T) {
	e := packerEnv(t)
	t0 := e.clock.Now()
	// O1 was released by the ERP ten minutes ago, with a cut-off in an hour.
	res := e.command(fmt.Sprintf(`{"id":"c1","type":"task.create","data":{"tasks":[
		{"id":"T1","order":"O1","released_at":%q,"cutoff":%q,"lines":[{"location":"L1","sku":"S1","qty":1}]},
		{"id":"T2","order":"O2","lines":[{"location":"L2","sku":"S2","qty":1}]}]}}`,
		t0.Add(-10*time.Minute).Format(time.RFC3339), t0.Add(time.Hour).Format(time.RFC3339)))
	if !res.Applied {
		t.Fatalf("task.create: %+v", res)
	}
	e.putShipments("s1", shipmentJSON("O1", 1, ""), shipmentJSON("O2", 2, ""))
	if b := e.sla(); len(b) != 0 {
		t.Fatalf("board at the start: %v", b)
	}
	// O2 is packed at once; nobody touches O1.
	e.packSteps([2]string{"O2", "order_ok"}, [2]string{itemBarcode(2), "pack_done"})
	packed := e.clock.Now()
	at := func(d time.Duration) { e.clock.Set(packed.Add(d)) }
	want := func(when string, entries ...string) {
		t.Helper()
		got := e.sla()
		if len(got) != len(entries) {
			t.Fatalf("%s: board %v, want %v", when, got, entries)
		}
		for _, w := range entries {
			if !got[w] {
				t.Fatalf("%s: board %v lacks %q", when, got, w)
			}
		}
	}
	at(19*time.Minute + 59*time.Second)
	want("O2 packed 19:59 ago")
	at(20 * time.Minute)
	want("O2 packed 20 min ago", "O2 outbound at_risk")
	// O1's cut-off warning starts 15 minutes before it: 45 min after t0.
	e.clock.Set(t0.Add(45 * time.Minute))
	want("15 min to O1's cut-off", "O2 outbound breached", "O1 cutoff at_risk")
	if n, err := e.db.CheckSLA(ctx, e.clock.Now()); err != nil || n != 2 {
		t.Fatalf("CheckSLA sent %d, %v; want 2", n, err)
	}
	if n, _ := e.db.CheckSLA(ctx, e.clock.Now()); n != 0 {
		t.Fatalf("CheckSLA sent %d again", n)
	}
	// O1 released 10 min before t0: at risk 80 min after t0, breached at
	// 110. O2 was released when its task arrived (t0): at risk at 90.
	e.clock.Set(t0.Add(80 * time.Minute))
	want("O1 90 min after its release", "O2 outbound breached", "O1 cutoff breached", "O1 release_to_ship at_risk")
	if n, _ := e.db.CheckSLA(ctx, e.clock.Now()); n != 2 {
		t.Fatalf("CheckSLA sent %d; want 2 (O1 cutoff breached, O1 release at risk)", n)
	}
	e.clock.Set(t0.Add(110 * time.Minute))
	want("O2 90 min after its arrival", "O2 outbound breached", "O2 release_to_ship at_risk", "O1 cutoff breached", "O1 release_to_ship breached")
	// The waybill of O2 is scanned: it leaves the board.
	e.packSteps([2]string{"SF-O2", "shipped"})
	want("O2 shipped", "O1 cutoff breached", "O1 release_to_ship breached")
	if n, _ := e.db.CheckSLA(ctx, e.clock.Now()); n != 1 {
		t.Fatalf("CheckSLA sent %d; want 1 (O1 release breached)", n)
	}
	var sent []string
	for _, ev := range e.journal() {
		if ev.Type == floorgate.EventSLAAtRisk || ev.Type == floorgate.EventSLABreached {
			var s floorgate.SLAStatus
			if err := json.Unmarshal(ev.Data, &s); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, fmt.Sprintf("%s %s %s", s.Order, s.Rule, s.State))
		}
	}
	wantSent := []string{"O2 outbound breached", "O1 cutoff at_risk", "O1 cutoff breached", "O1 release_to_ship at_risk", "O1 release_to_ship breached"}
	if fmt.Sprint(sent) != fmt.Sprint(wantSent) {
		t.Fatalf("sent upstream %v\nwant %v", sent, wantSent)
	}
	tl, ok, err := e.db.Timeline("O2")
	if err != nil || !ok || tl.Packed.IsZero() || tl.Shipped.IsZero() || tl.PackStarted.IsZero() || !tl.Released.Equal(t0) {
		t.Fatalf("O2's timeline %+v %v %v", tl, ok, err)
	}
	// The board survives a restart: the open timelines are read back.
	e.reopen()
	want("after a restart", "O1 cutoff breached", "O1 release_to_ship breached")
	if n, _ := e.db.CheckSLA(ctx, e.clock.Now()); n != 0 {
		t.Fatalf("CheckSLA after a restart sent %d again", n)
	}
}

// TestTimelinesPruned: retention forgets the timelines of orders shipped
// or cancelled before its cut-off, and keeps open ones however old.
func TestTimelinesPruned(t *testing.T) {
	e := newEnv(t)
	t0 := e.clock.Now()
	var evs []floorgate.Event
	for i, end := range []string{"shipped", "cancelled", "open"} {
		o := fmt.Sprint("O", i)
		evs = append(evs, floorgate.NewEvent(floorgate.EventTaskReceived, t0, floorgate.TaskRecord{Task: "T" + o, Order: o}))
		switch end {
		case "shipped":
			evs = append(evs, floorgate.NewEvent(floorgate.EventShipConfirmed, t0.Add(time.Hour), floorgate.PackRecord{Order: o}))
		case "cancelled":
			evs = append(evs, floorgate.NewEvent(floorgate.EventPickException, t0.Add(time.Hour), floorgate.ExceptionRecord{Kind: floorgate.ExceptionIntercept, Order: o}))
		}
	}
	if err := e.db.EmitEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	st, err := e.db.PruneAll(ctx, t0.Add(2*time.Hour))
	if err != nil || st.Timelines != 2 {
		t.Fatalf("pruned %+v, %v; want the shipped and the cancelled order's timelines", st, err)
	}
	for o, want := range map[string]bool{"O0": false, "O1": false, "O2": true} {
		if _, ok, err := e.db.Timeline(o); err != nil || ok != want {
			t.Errorf("%s kept %v (%v), want %v", o, ok, err, want)
		}
	}
}
