package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
)

// wallFloor puts testFloor's locations and items and the put wall W1
// (station pack-1, four slots labelled SLOT-1 … SLOT-4) in the master
// data, with a second picker, PICK2, to take the batch's pick task.
func wallFloor(t *testing.T, ts *testServer) {
	t.Helper()
	testFloor(t, ts)
	hash, err := floorgate.HashPIN(testPIN)
	if err != nil {
		t.Fatal(err)
	}
	m := store.Master{
		Walls:     []floorgate.Wall{{ID: "W1", Station: "pack-1", Slots: []string{"SLOT-1", "SLOT-2", "SLOT-3", "SLOT-4"}}},
		Operators: []floorgate.Operator{{ID: "pick2", Name: "PICK2", Badge: "PICK2", PINHash: hash, Role: floorgate.RolePicker}},
	}
	if err := ts.db.PutMaster(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

// batchOrders sends the batch B1, sorted at W1, through the ERP's
// task.create: O1 (SO-1: two SKU-1), O2 (SO-2: one SKU-1, one SKU-2) and
// O3 (SO-3: one SKU-2). PICK2 takes its pick task on pda-9 and leaves it
// unpicked: sorting does not wait for it.
func batchOrders(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	res, err := ts.db.ApplyCommand(ctx, []byte(`{"id":"c-b1","type":"task.create","data":{"batch":{"id":"B1","wall":"W1"},"tasks":[
		{"id":"O1","order":"SO-1","lines":[{"location":"A-01","sku":"SKU-1","qty":2}]},
		{"id":"O2","order":"SO-2","lines":[{"location":"A-01","sku":"SKU-1","qty":1},{"location":"A-02","sku":"SKU-2","qty":1}]},
		{"id":"O3","order":"SO-3","lines":[{"location":"A-02","sku":"SKU-2","qty":1}]}]}}`))
	if err != nil || !res.Applied {
		t.Fatalf("batch B1: %+v %v", res, err)
	}
	if _, err := ts.db.Hello(ctx, "pda-9", "test-device-token/pda-9/0123456789abcdef", "test"); err != nil {
		t.Fatal(err)
	}
	if v, err := ts.db.Login(ctx, "pda-9", "login-9", "PICK2", testPIN); err != nil || v.Prompt.Task != "B1" {
		t.Fatalf("PICK2 logs in: %+v %v; want the batch's pick task B1", v.Prompt, err)
	}
}

// wallOf decodes GET /api/v1/walls/{id}.
func wallOf(t *testing.T, sv *served, id string, header map[string]string) (store.WallView, string) {
	t.Helper()
	status, body := do(t, sv.tcp, "GET", "/api/v1/walls/"+id, "", header)
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/walls/%s: %d %s", id, status, body)
	}
	var v store.WallView
	decode(t, body, &v)
	return v, body
}

// slotState is a slot as a test states it: order, sorted/units, short,
// ready.
func slotState(s store.WallSlot) string {
	if s.Order == "" {
		return "-"
	}
	out := fmt.Sprintf("%s %d/%d", s.Order, s.Sorted, s.Units)
	if s.Short > 0 {
		out += fmt.Sprintf(" short %d", s.Short)
	}
	if s.Ready {
		out += " ready"
	}
	return out
}

// TestWallRoutes: GET /api/v1/walls and GET /api/v1/walls/{id}, read over
// the real handler table by a signed-in supervisor, follow a sorter at
// the wall from the store, step by step: the empty wall; the batch opened
// (batch and sorter named, no unit in hand); a unit scanned (its slot is
// next_slot, its order in the slot at 0 of 2); a wrong slot refused,
// changing nothing; the slot's scan (1 of 2, nothing in hand); the order
// complete (ready); the container emptied with a short (the batch's last
// open order ready with its short, the never-started one in no slot, the
// batch no longer being sorted). A read token reads the wall too (and is
// audited); nobody signed in gets 401, a picker's session 403, an unknown
// wall 404.
func TestWallRoutes(t *testing.T) {
	sv := serve(t, autoEnrol)
	wallFloor(t, sv.testServer)
	batchOrders(t, sv.testServer)
	cookie, _ := sessionOf(t, sv, "SUP1")
	read := map[string]string{"Cookie": cookie}

	for _, path := range []string{"/api/v1/walls", "/api/v1/walls/W1"} {
		if status, body := do(t, sv.tcp, "GET", path, "", nil); status != http.StatusUnauthorized {
			t.Errorf("GET %s anonymous: %d %s", path, status, body)
		}
		picker, _ := plantSession(t, sv, "PICK1")
		if status, body := do(t, sv.tcp, "GET", path, "", map[string]string{"Cookie": picker}); status != http.StatusForbidden {
			t.Errorf("GET %s as a picker: %d %s", path, status, body)
		}
	}
	if status, body := do(t, sv.tcp, "GET", "/api/v1/walls/W9", "", read); status != http.StatusNotFound || !strings.Contains(body, `"not_found"`) {
		t.Errorf("an unknown wall: %d %s", status, body)
	}
	status, body := do(t, sv.tcp, "GET", "/api/v1/walls", "", read)
	if status != http.StatusOK || strings.TrimSpace(body) != `[{"id":"W1","station":"pack-1","slots":["SLOT-1","SLOT-2","SLOT-3","SLOT-4"]}]` {
		t.Fatalf("GET /api/v1/walls: %d %s", status, body)
	}

	check := func(step string, batch string, next int, slots ...string) store.WallView {
		t.Helper()
		v, body := wallOf(t, sv, "W1", read)
		var got []string
		for _, s := range v.Slots {
			got = append(got, slotState(s))
		}
		sorter := ""
		if batch != "" {
			sorter = "pick1"
		}
		if v.Wall != "W1" || v.Station != "pack-1" || v.Batch != batch || v.Sorter != sorter || v.Next != next ||
			strings.Join(got, " | ") != strings.Join(slots, " | ") {
			t.Fatalf("%s: %s\nslots %q; want batch %q, next slot %d, slots %q", step, body, got, batch, next, slots)
		}
		for i, s := range v.Slots {
			if s.Slot != i+1 || s.Barcode != fmt.Sprintf("SLOT-%d", i+1) {
				t.Fatalf("%s: slot %d is %+v", step, i+1, s)
			}
		}
		return v
	}
	check("the empty wall", "", 0, "-", "-", "-", "-")
	_, body = wallOf(t, sv, "W1", read)
	for _, field := range []string{`"wall":"W1"`, `"station":"pack-1"`, `"slots":[{"slot":1,"barcode":"SLOT-1","sorted":0,"units":0,"ready":false}`} {
		if !strings.Contains(body, field) {
			t.Errorf("the empty wall's JSON lacks %s: %s", field, body)
		}
	}

	p := pickerOn(t, sv.testServer, "pda-1")
	p.scan("B1", floorgate.CodeBatchOpen)
	if v := check("the batch opened", "B1", 0, "-", "-", "-", "-"); v.Device != "pda-1" {
		t.Fatalf("the sorter's device %q, want pda-1", v.Device)
	}
	v := p.scan("6901234567892", floorgate.CodeSortToSlot) // SKU-1: O1, the oldest that needs it
	if v.Prompt.Slot != 1 {
		t.Fatalf("the first unit goes to slot %d, want 1", v.Prompt.Slot)
	}
	check("a unit in hand", "B1", 1, "SO-1 0/2", "-", "-", "-")
	_, body = wallOf(t, sv, "W1", read)
	for _, field := range []string{`"batch":"B1"`, `"sorter":"pick1"`, `"device":"pda-1"`, `"next_slot":1`,
		`{"slot":1,"barcode":"SLOT-1","batch":"B1","task":"O1","order":"SO-1","sorted":0,"units":2,"ready":false}`} {
		if !strings.Contains(body, field) {
			t.Errorf("the wall's JSON lacks %s: %s", field, body)
		}
	}
	p.scan("SLOT-2", floorgate.CodeWrongSlot)
	check("after a wrong slot", "B1", 1, "SO-1 0/2", "-", "-", "-")
	p.scan("SLOT-1", floorgate.CodeSortOK)
	check("the unit sorted", "B1", 0, "SO-1 1/2", "-", "-", "-")
	p.scan("6901234567892", floorgate.CodeSortToSlot)
	p.scan("SLOT-1", floorgate.CodeSlotReady)
	check("SO-1 complete", "B1", 0, "SO-1 2/2 ready", "-", "-", "-")
	v = p.scan("ITEM-2", floorgate.CodeSortToSlot) // SKU-2: O2 before O3
	if v.Prompt.Slot != 2 || v.Prompt.Order != "SO-2" {
		t.Fatalf("SKU-2 goes to %+v, want slot 2 for SO-2", v.Prompt)
	}
	p.scan("SLOT-2", floorgate.CodeSortOK)
	check("SO-2 started", "B1", 0, "SO-1 2/2 ready", "SO-2 1/2", "-", "-")

	// The container is empty: SO-2 goes one short, SO-3 wholly.
	p.n++
	ev, err := sv.db.Short(context.Background(), "pda-1", fmt.Sprint("s", p.n), 0)
	if err != nil || ev.Code != floorgate.CodeShortOK || len(ev.Shorts) != 2 {
		t.Fatalf("the container emptied: %+v %v", ev, err)
	}
	check("the batch ended", "", 0, "SO-1 2/2 ready", "SO-2 1/2 short 1 ready", "-", "-")

	// A read token reads the wall, and the read is audited.
	tok := mkToken(t, sv, "wall-screen", "read")
	if v, _ := wallOf(t, sv, "W1", map[string]string{"Authorization": "Bearer " + tok}); !v.Slots[0].Ready {
		t.Fatalf("the read token's wall: %+v", v)
	}
	if log, _ := sv.db.AuditLog(1); log[0].Actor != "token:wall-screen" || log[0].Detail != "GET /api/v1/walls/W1" {
		t.Fatalf("the token's read is not audited: %+v", log)
	}
}

// mkToken creates an API token over the local socket and returns its
// secret.
func mkToken(t *testing.T, sv *served, name, scope string) string {
	t.Helper()
	status, body := do(t, sv.socket, "POST", "/api/v1/tokens", `{"name":"`+name+`","scope":"`+scope+`"}`,
		map[string]string{"Content-Type": "application/json"})
	if status != http.StatusOK {
		t.Fatalf("create token %s: %d %s", name, status, body)
	}
	var tok struct{ Token string }
	decode(t, body, &tok)
	return tok.Token
}

// TestWallPageIsServed: /wall/{id} is the wall page's one file for any
// id, public and holding no data of the floor (which the page reads with
// a reader's credentials), under the gateway's CSP; its script and style
// come from /wall/assets/.
func TestWallPageIsServed(t *testing.T) {
	sv := serve(t)
	for _, path := range []string{"/wall/W1", "/wall/NO-SUCH-WALL"} {
		resp, err := sv.tcp.Raw(context.Background(), "GET", path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			resp.Header.Get("Content-Security-Policy") != ContentSecurityPolicy {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, resp.Header)
		}
	}
	status, page := do(t, sv.tcp, "GET", "/wall/W1", "", nil)
	if status != http.StatusOK || !strings.Contains(page, `<script src="/wall/assets/app.js"></script>`) ||
		!strings.Contains(page, `href="/wall/assets/app.css"`) || strings.Contains(page, "style=") {
		t.Fatalf("the wall page: %d %s", status, page)
	}
	for path, want := range map[string]string{"/wall/assets/app.js": "/api/v1/walls/", "/wall/assets/app.css": ".slot.ready"} {
		if status, body := do(t, sv.tcp, "GET", path, "", nil); status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d %.80q", path, status, body)
		}
	}
}
