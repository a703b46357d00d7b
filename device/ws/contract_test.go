package ws_test

// The behaviours docs/pda-protocol.md promises a client that the store and
// the scan engine decide, checked here end to end: a real store in a temp
// directory behind a real Server, driven over a real WebSocket, on a manual
// clock so the double-read window is measured exactly.

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/ws"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/store/storetest"
	"github.com/gorilla/websocket"
)

const (
	contractLoc   = "A-01-03-2"
	contractItem  = "6901234567892" // SKU-7731's barcode
	contractOther = "6920000010028" // SKU-1002's barcode: a wrong item on line 1
	// contractToken is 32 bytes: the shortest token a hello is accepted with.
	contractToken = "k3v9Qe0Zr1Xw8LmN4yTb6UaH2sJd5fGc"
)

type storeEnv struct {
	db    *store.DB
	clock *floorgate.ManualClock
	url   string
}

// startStore serves a real store with one picker (badge EMP-0042, PIN
// 2468) and one waiting task T-1001 (line 1: 3 × SKU-7731 at A-01-03-2;
// line 2: 1 × SKU-1002 at B-02-01-1). Devices enrol on first contact.
func startStore(t *testing.T) *storeEnv {
	t.Helper()
	e := &storeEnv{clock: floorgate.NewManualClock(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC))}
	db := storetest.Open(t, storetest.WithOptions(func(o *store.Options) {
		*o = store.Options{Site: floorgate.Site{ID: "SZ-01", Name: "Test", Gateway: "gw-sz01-a", Policy: floorgate.DefaultPolicy()},
			Clock: e.clock, AutoEnrol: true}
	}))
	e.db = db
	pin, err := floorgate.HashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	c := context.Background()
	err = db.PutMaster(c, store.Master{
		Locations: []floorgate.Location{
			{Code: contractLoc, Zone: "Z1", Barcode: contractLoc},
			{Code: "B-02-01-1", Zone: "Z1", Barcode: "B-02-01-1"},
		},
		Items: []floorgate.Item{
			{SKU: "SKU-7731", Name: "USB-C cable 1 m", Barcodes: []string{contractItem}},
			{SKU: "SKU-1002", Name: "Phone case", Barcodes: []string{contractOther}},
		},
		Operators: []floorgate.Operator{{ID: "op-42", Name: "Picker", Badge: "EMP-0042", PINHash: pin, Role: floorgate.RolePicker}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportTasks(c, []floorgate.Task{{ID: "T-1001", Order: "SO-88120", Lines: []floorgate.TaskLine{
		{Location: contractLoc, SKU: "SKU-7731", Qty: 3},
		{Location: "B-02-01-1", SKU: "SKU-1002", Qty: 1},
	}}}); err != nil {
		t.Fatal(err)
	}
	srv := ws.NewServer(db, e.clock, slog.New(slog.DiscardHandler), ws.Options{})
	mux := http.NewServeMux()
	mux.Handle("/ws/v1", srv)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { srv.Close() })
	e.url = "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws/v1"
	return e
}

// picker connects as pda-07 and logs the picker in; the prompt is the
// task's first location.
func (e *storeEnv) picker(t *testing.T) *rawConn {
	t.Helper()
	r := dialRaw(t, e.url)
	r.hello("pda-07", contractToken)
	r.login("L-1")
	return r
}

func (r *rawConn) login(id string) {
	r.t.Helper()
	r.send(map[string]any{"type": "login", "id": id, "badge": "EMP-0042", "pin": "2468"})
	if m, b := r.read(); m["code"] != "logged_in" {
		r.t.Fatalf("login answered with %s", b)
	}
}

// scanData sends a scan and returns its verdict.
func (r *rawConn) scanData(id, data string) map[string]any {
	r.t.Helper()
	r.send(map[string]any{"type": "scan", "scan_id": id, "data": data})
	m, b := r.read()
	if m["type"] != "verdict" || m["scan_id"] != id {
		r.t.Fatalf("scan %s answered with %s", id, b)
	}
	return m
}

func prompt(m map[string]any) map[string]any {
	p, _ := m["prompt"].(map[string]any)
	return p
}

// picked is the prompt's picked count (absent: 0).
func picked(m map[string]any) int {
	n, _ := prompt(m)["picked"].(float64)
	return int(n)
}

func TestTokenLength(t *testing.T) {
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"31 bytes", contractToken[:31], false},
		{"a short test token", "tok-1", false},
		{"32 bytes", contractToken, true},
		{"pairing's 64 hex digits", strings.Repeat("0123456789abcdef", 4), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startStore(t)
			r := dialRaw(t, e.url)
			r.send(map[string]any{"type": "hello", "device": "pda-07", "token": tt.token, "protocol": 1})
			m, b := r.read()
			if tt.ok {
				if m["type"] != "welcome" {
					t.Fatalf("hello with a %d-byte token answered with %s", len(tt.token), b)
				}
				return
			}
			msg, _ := m["message"].(map[string]any)
			if m["type"] != "error" || m["code"] != floorgate.EINVALID ||
				msg["en"] != fmt.Sprintf("device token is too short: at least %d characters", store.MinTokenLen) {
				t.Fatalf("hello with a %d-byte token answered with %s", len(tt.token), b)
			}
			r.expectClose(ws.CloseInvalid, "invalid")
			// Nothing was recorded: auto-enrolment did not take the token.
			for _, d := range e.db.Devices() {
				if d.ID == "pda-07" {
					t.Fatalf("a refused hello enrolled the device")
				}
			}
			r2 := dialRaw(t, e.url)
			r2.hello("pda-07", contractToken)
		})
	}
}

func TestDoubleReadWindow(t *testing.T) {
	type step struct {
		after time.Duration // gateway time since the step before
		data  string        // "" sends logout then login instead of a scan
		code  string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"same item 299ms later", []step{{time.Second, contractItem, "item_ok"}, {299 * time.Millisecond, contractItem, "duplicate_scan"}}},
		{"exactly the window later is a new unit", []step{{time.Second, contractItem, "item_ok"}, {300 * time.Millisecond, contractItem, "item_ok"}}},
		{"a rejected read between does not end it", []step{
			{time.Second, contractItem, "item_ok"}, {100 * time.Millisecond, contractOther, "wrong_item"},
			{100 * time.Millisecond, contractItem, "duplicate_scan"}}},
		{"an accepted read between ends it", []step{
			{time.Second, contractItem, "item_ok"}, {100 * time.Millisecond, contractLoc, "location_ok"},
			{100 * time.Millisecond, contractItem, "item_ok"}}},
		{"logging out ends it", []step{
			{time.Second, contractItem, "item_ok"}, {10 * time.Millisecond, "", ""},
			// Not a double read: judged, and refused for the location.
			{10 * time.Millisecond, contractItem, "item_before_location"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startStore(t)
			r := e.picker(t)
			if v := r.scanData("s-0", contractLoc); v["code"] != "location_ok" {
				t.Fatalf("location: %v", v["code"])
			}
			for i, s := range tt.steps {
				e.clock.Add(s.after)
				if s.data == "" {
					r.send(map[string]any{"type": "logout", "id": "L-out"})
					r.read()
					r.login("L-2")
					continue
				}
				// The device's own clock says seconds apart: it plays no part.
				r.send(map[string]any{"type": "scan", "scan_id": fmt.Sprintf("s-%d", i+1), "data": s.data,
					"device_time": e.clock.Now().Add(time.Duration(i) * 5 * time.Second).Format(time.RFC3339Nano)})
				v, b := r.read()
				if v["code"] != s.code {
					t.Fatalf("step %d (%s after): %s", i+1, s.after, b)
				}
			}
		})
	}
}

func TestDoubleReadCountsOnce(t *testing.T) {
	e := startStore(t)
	r := e.picker(t)
	r.scanData("s-1", contractLoc)
	e.clock.Add(time.Second)
	if v := r.scanData("s-2", contractItem); picked(v) != 1 {
		t.Fatalf("first read: picked %d", picked(v))
	}
	e.clock.Add(100 * time.Millisecond)
	v := r.scanData("s-3", contractItem)
	if v["code"] != "duplicate_scan" || v["ok"] != false || picked(v) != 1 {
		t.Fatalf("double read: %v ok=%v picked %d, want duplicate_scan, not ok, picked 1", v["code"], v["ok"], picked(v))
	}
}

func TestNextOutsideWaitAndCancelled(t *testing.T) {
	e := startStore(t)
	r := dialRaw(t, e.url)
	r.hello("pda-07", contractToken)

	// Nobody logged in: the login prompt.
	r.send(map[string]any{"type": "next", "id": "N-1"})
	m, b := r.read()
	if m["type"] != "task" || m["id"] != "N-1" || prompt(m)["step"] != "login" || len(prompt(m)) != 1 {
		t.Fatalf("next before login answered with %s", b)
	}

	r.login("L-1")
	r.scanData("s-1", contractLoc)
	e.clock.Add(time.Second)
	v := r.scanData("s-2", contractItem)
	for _, id := range []string{"N-2", "N-3"} {
		r.send(map[string]any{"type": "next", "id": id})
		m, b := r.read()
		if m["type"] != "task" || m["id"] != id {
			t.Fatalf("next at scan_item answered with %s", b)
		}
		if got, want := fmt.Sprint(prompt(m)), fmt.Sprint(prompt(v)); got != want {
			t.Fatalf("next at scan_item: prompt %s, want the current one %s", got, want)
		}
	}
	// Nothing was skipped: the line goes on where it was.
	e.clock.Add(time.Second)
	if v := r.scanData("s-3", contractItem); v["code"] != "item_ok" || picked(v) != 2 {
		t.Fatalf("after next: %v picked %d, want item_ok picked 2", v["code"], picked(v))
	}
}

func TestRescanLocationDuringScanItem(t *testing.T) {
	e := startStore(t)
	r := e.picker(t)
	r.scanData("s-1", contractLoc)
	e.clock.Add(time.Second)
	r.scanData("s-2", contractItem)
	e.clock.Add(time.Second)
	v := r.scanData("s-3", contractLoc)
	p := prompt(v)
	if v["ok"] != true || v["code"] != "location_ok" || p["step"] != "scan_item" || picked(v) != 1 {
		t.Fatalf("location again at scan_item: ok=%v %v, prompt %v; want ok location_ok, scan_item with picked 1", v["ok"], v["code"], p)
	}
	e.clock.Add(time.Second)
	if v := r.scanData("s-4", "B-02-01-1"); v["code"] != "wrong_location" || picked(v) != 1 {
		t.Fatalf("another location at scan_item: %v picked %d", v["code"], picked(v))
	}
	e.clock.Add(time.Second)
	if v := r.scanData("s-5", contractItem); v["code"] != "item_ok" || picked(v) != 2 {
		t.Fatalf("item after the re-scan: %v picked %d, want item_ok picked 2", v["code"], picked(v))
	}
}

// promptFields are the prompt's fields in docs/pda-protocol.md §6.
var promptFields = map[string]bool{"step": true, "task": true, "order": true, "line": true, "lines": true,
	"location": true, "sku": true, "item_name": true, "qty": true, "picked": true, "keyed_qty": true,
	"cart": true, "slot": true, "slots": true, "tote": true, "wall": true, "batch": true}

func TestPromptCarriesNoItemBarcode(t *testing.T) {
	e := startStore(t)
	r := dialRaw(t, e.url)
	var prompts []map[string]any
	prompts = append(prompts, prompt(r.hello("pda-07", contractToken)))
	r.send(map[string]any{"type": "login", "id": "L-1", "badge": "EMP-0042", "pin": "2468"})
	m, _ := r.read()
	prompts = append(prompts, prompt(m))
	prompts = append(prompts, prompt(r.scanData("s-1", contractLoc)))
	e.clock.Add(time.Second)
	v := r.scanData("s-2", contractItem)
	prompts = append(prompts, prompt(v))
	for _, p := range prompts {
		for k, val := range p {
			if !promptFields[k] {
				t.Errorf("prompt field %q is not in the protocol doc: %v", k, p)
			}
			if s, _ := val.(string); s == contractItem || s == contractOther {
				t.Errorf("prompt carries an item barcode in %q: %v", k, p)
			}
		}
	}

	// The prompt's sku sent as a scan is not the item.
	e.clock.Add(time.Second)
	sku, _ := prompt(v)["sku"].(string)
	if w := r.scanData("s-3", sku); w["code"] != "unknown_barcode" || picked(w) != 1 {
		t.Fatalf("the prompt's sku %q as a scan: %v picked %d, want unknown_barcode and nothing counted", sku, w["code"], picked(w))
	}
}

// TestMessageRate pins the defaults' budget (20 a second, 40 at once, the
// hello included) and how a flood ends: the earlier answers, then close
// 1008 with no error frame.
func TestMessageRate(t *testing.T) {
	clock := floorgate.NewManualClock(testTime)
	e := start(t, ws.Options{MaxRate: 20, Now: clock.Now})
	r := dialRaw(t, e.url)
	r.hello("pda-1", "tok-1") // 1 of 40

	scan := func(id string) {
		r.send(map[string]any{"type": "scan", "scan_id": id, "data": "6901234567892"})
	}
	for i := range 39 {
		scan(fmt.Sprintf("s-%d", i))
	}
	for i := range 39 {
		if m, b := r.read(); m["type"] != "verdict" || m["scan_id"] != fmt.Sprintf("s-%d", i) {
			t.Fatalf("answer %d: %s", i, b)
		}
	}
	clock.Add(60 * time.Millisecond) // 1.2 messages at 20 a second
	scan("s-39")
	if m, b := r.read(); m["scan_id"] != "s-39" {
		t.Fatalf("answer after the refill: %s", b)
	}
	scan("s-40")
	r.expectClose(1008, "too many messages") // no error frame first
	if n := len(e.floor.recorded()); n != 40 {
		t.Fatalf("%d scans reached the floor, want 40: the overflowing one is not handled", n)
	}

	// A new connection starts with a full budget.
	r2 := dialRaw(t, e.url)
	r2.hello("pda-1", "tok-1")
	for i := range 39 {
		r2.send(map[string]any{"type": "scan", "scan_id": fmt.Sprintf("t-%d", i), "data": "6901234567892"})
	}
	for i := range 39 {
		if m, b := r2.read(); m["scan_id"] != fmt.Sprintf("t-%d", i) {
			t.Fatalf("new connection, answer %d: %s", i, b)
		}
	}
}

// TestFingerprintIsSHA256OfLeafDER computes the fingerprint as the doc
// tells a client to — SHA-256 over the DER of the leaf certificate the
// server presented, upper-case hex, colon-separated — over a real wss
// connection, and checks it is what floorgate.Fingerprint shows for the
// server's certificate.
func TestFingerprintIsSHA256OfLeafDER(t *testing.T) {
	srv := ws.NewServer(newFakeFloor(), fixedClock{}, slog.New(slog.DiscardHandler), ws.Options{})
	mux := http.NewServeMux()
	mux.Handle("/ws/v1", srv)
	ts := httptest.NewTLSServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { srv.Close() })

	var seen string
	d := websocket.Dialer{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // pinned below, as a PDA does
		VerifyConnection: func(cs tls.ConnectionState) error {
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			h := strings.ToUpper(hex.EncodeToString(sum[:]))
			var pairs []string
			for i := 0; i < len(h); i += 2 {
				pairs = append(pairs, h[i:i+2])
			}
			seen = strings.Join(pairs, ":")
			return nil
		},
	}}
	c, _, err := d.Dial("wss"+strings.TrimPrefix(ts.URL, "https")+"/ws/v1", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &rawConn{t: t, c: c}
	r.hello("pda-1", "tok-1")

	want := floorgate.Fingerprint(ts.Certificate().Raw)
	if seen != want || len(want) != 95 {
		t.Fatalf("fingerprint computed from the handshake %q, shown %q (want equal, 95 characters)", seen, want)
	}
}
