package ws_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/ws"
	"github.com/floorgate/floorgate/device/ws/wsbare"
	"github.com/floorgate/floorgate/device/ws/wsclient"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/gorilla/websocket"
)

func TestHelloWelcome(t *testing.T) {
	e := start(t, ws.Options{})

	r := dialRaw(t, e.url)
	r.send(map[string]any{"type": "hello", "device": "pda-1", "token": "tok-1", "model": "TC21", "app": "test", "protocol": 1})
	m, raw := r.read()
	golden(t, "welcome", raw)
	if m["type"] != "welcome" || m["protocol"] != float64(1) || m["site"] != "SZ-01" || m["gateway"] != "gw-sz01-a" {
		t.Errorf("welcome = %s", raw)
	}
	if m["server_time"] != testTime.Format(time.RFC3339Nano) {
		t.Errorf("server_time = %v, want the injected clock's %v", m["server_time"], testTime)
	}
	if got := e.srv.Connected(); !slices.Equal(got, []string{"pda-1"}) {
		t.Errorf("Connected() = %v", got)
	}

	// After a login the welcome tells a reconnecting device where it was.
	c, w, err := wsclient.Dial(ctx(t), e.url, "pda-2", "tok-2", "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := floorgate.Welcome{Site: "SZ-01", Gateway: "gw-sz01-a", Prompt: floorgate.Prompt{Step: "login"}}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("welcome = %+v, want %+v", w, want)
	}
	if _, err := c.Login(ctx(t), "login-1", "EMP-0042", "2468"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c2, w, err := wsclient.Dial(ctx(t), e.url, "pda-2", "tok-2", "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	want = floorgate.Welcome{Site: "SZ-01", Gateway: "gw-sz01-a", Operator: "op-42", Prompt: locationPrompt}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("welcome after reconnect = %+v, want %+v", w, want)
	}
	if got := e.srv.Connected(); !slices.Equal(got, []string{"pda-1", "pda-2"}) {
		t.Errorf("Connected() = %v", got)
	}
}

func TestHelloFatal(t *testing.T) {
	tests := []struct {
		name         string
		send         func(r *rawConn)
		close        int
		helloTimeout time.Duration
	}{
		{"scan before hello", func(r *rawConn) {
			r.sendText(`{"type":"scan","scan_id":"s1","data":"LOC-A"}`)
		}, ws.CloseInvalid, 0},
		{"bad json", func(r *rawConn) { r.sendText(`{"type":"hello",`) }, ws.CloseInvalid, 0},
		{"binary frame", func(r *rawConn) {
			r.c.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"hello"}`))
		}, ws.CloseInvalid, 0},
		{"no token", func(r *rawConn) {
			r.sendText(`{"type":"hello","device":"pda-1","protocol":1}`)
		}, ws.CloseInvalid, 0},
		{"no device", func(r *rawConn) {
			r.sendText(`{"type":"hello","token":"tok-1","protocol":1}`)
		}, ws.CloseInvalid, 0},
		{"no protocol", func(r *rawConn) {
			r.sendText(`{"type":"hello","device":"pda-1","token":"tok-1"}`)
		}, ws.CloseUnsupportedProtocol, 0},
		{"protocol 2", func(r *rawConn) {
			r.sendText(`{"type":"hello","device":"pda-1","token":"tok-1","protocol":2}`)
		}, ws.CloseUnsupportedProtocol, 0},
		{"silence", func(r *rawConn) {}, ws.CloseInvalid, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, ws.Options{HelloTimeout: tt.helloTimeout})
			r := dialRaw(t, e.url)
			tt.send(r)
			m, raw := r.read()
			if m["type"] != "error" || m["code"] != floorgate.EINVALID {
				t.Errorf("got %s, want an invalid error", raw)
			}
			if msg, _ := m["message"].(map[string]any); msg["en"] == "" || msg["zh"] == "" {
				t.Errorf("error without a message in both languages: %s", raw)
			}
			r.expectClose(tt.close, "")
			if got := e.srv.Connected(); len(got) != 0 {
				t.Errorf("Connected() = %v after a refused hello", got)
			}
		})
	}
}

func TestHelloRefused(t *testing.T) {
	tests := []struct {
		name     string
		token    string
		helloErr error
		code     string
		close    int
		en       string
	}{
		{"wrong token", "tok-9", nil, floorgate.EUNAUTHORIZED, ws.CloseUnauthorized, "Device pda-1 is not enrolled here."},
		{"floor fault", "tok-1", fmt.Errorf("load device: %w", errors.New("bbolt: database not open")),
			floorgate.EINTERNAL, websocket.CloseTryAgainLater, "The gateway had a problem. Try again shortly."},
		{"floor unavailable", "tok-1", floorgate.Errorf(floorgate.EUNAVAILABLE, "could not save: %v", errors.New("bbolt: database not open")),
			floorgate.EUNAVAILABLE, websocket.CloseTryAgainLater, "The gateway is not available. Try again shortly."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, ws.Options{})
			e.floor.helloErr = tt.helloErr

			r := dialRaw(t, e.url)
			r.send(map[string]any{"type": "hello", "device": "pda-1", "token": tt.token, "protocol": 1})
			m, raw := r.read()
			msg, _ := m["message"].(map[string]any)
			if m["type"] != "error" || m["code"] != tt.code || msg["en"] != tt.en || msg["zh"] == "" {
				t.Errorf("got %s, want error %s %q", raw, tt.code, tt.en)
			}
			if strings.Contains(string(raw), "bbolt") || strings.Contains(string(raw), tt.token) {
				t.Errorf("frame shows internals: %s", raw)
			}
			if tt.name == "wrong token" {
				golden(t, "error_unauthorized", raw)
			}
			r.expectClose(tt.close, "")

			_, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", tt.token, "TC21")
			var ce *wsclient.CloseError
			var fe *floorgate.Error
			if !errors.As(err, &ce) || ce.Code != tt.close || !errors.As(err, &fe) || fe.Code != tt.code {
				t.Errorf("Dial error = %v, want close %d with code %s", err, tt.close, tt.code)
			}
			if len(e.srv.Connected()) != 0 {
				t.Errorf("Connected() = %v", e.srv.Connected())
			}
		})
	}
}

func TestLogin(t *testing.T) {
	e := start(t, ws.Options{})
	c, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", "tok-1", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	v, err := c.Login(ctx(t), "login-1", "EMP-0042", "0000")
	if err != nil {
		t.Fatal(err)
	}
	if want := floorgate.NewVerdict("login-1", floorgate.CodeBadLogin, floorgate.Prompt{Step: "login"}); !reflect.DeepEqual(v, want) {
		t.Errorf("bad PIN: verdict = %+v, want %+v", v, want)
	}

	r := dialRaw(t, e.url)
	r.hello("pda-2", "tok-2")
	r.sendText(`{"type":"login","id":"login-7","badge":"EMP-0042","pin":"2468"}`)
	m, raw := r.read()
	golden(t, "verdict_login", raw)
	if m["type"] != "verdict" || m["scan_id"] != "login-7" || m["code"] != string(floorgate.CodeLoggedIn) || m["ok"] != true {
		t.Errorf("login answered with %s", raw)
	}

	r.sendText(`{"type":"logout","id":"logout-1"}`)
	m, raw = r.read()
	golden(t, "logged_out", raw)
	if m["type"] != "logged_out" || m["id"] != "logout-1" {
		t.Errorf("logout answered with %s", raw)
	}

	p, err := c.Logout(ctx(t), "logout-2")
	if err != nil || p.Step != "login" {
		t.Errorf("Logout = %+v, %v", p, err)
	}
}

func TestScanRoundTrip(t *testing.T) {
	e := start(t, ws.Options{})
	c, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", "tok-1", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	deviceTime := time.Date(2026, 3, 14, 17, 26, 53, 120000000, time.FixedZone("CST", 8*3600))
	sent := floorgate.Scan{
		ID:         "pda-1-000042",
		Device:     "ignored",
		Data:       "6901234567892",
		AIM:        "]E0",
		Qty:        2,
		DistanceMM: 140,
		Geometry: &floorgate.Geometry{
			Corners:    [4]floorgate.Point{{X: 610.5, Y: 402}, {X: 1310, Y: 398.25}, {X: 1312, Y: 611}, {X: 608, Y: 615}},
			ImageWidth: 1920,
			FocalPx:    1507.3,
		},
		DeviceTime: deviceTime,
		At:         time.Unix(1, 0),
	}
	v, err := c.Scan(ctx(t), sent)
	if err != nil {
		t.Fatal(err)
	}
	want := floorgate.NewVerdict(sent.ID, floorgate.CodeItemOK, itemPrompt).WithWarning(floorgate.CodeDistance)
	if !reflect.DeepEqual(v, want) {
		t.Errorf("verdict =\n%+v\nwant\n%+v", v, want)
	}
	if len(v.Feedback.Tone) == 0 || len(v.Feedback.Vibrate) == 0 || v.Warning == "" || v.Prompt.ItemName == "" {
		t.Errorf("verdict lost fields: %+v", v)
	}

	got := e.floor.recorded()
	if len(got) != 1 {
		t.Fatalf("floor saw %d scans, want 1", len(got))
	}
	sc := got[0]
	if !sc.DeviceTime.Equal(deviceTime) {
		t.Errorf("device_time = %v, want %v", sc.DeviceTime, deviceTime)
	}
	wantScan := sent
	wantScan.Device = "pda-1" // from the hello, not from the client
	wantScan.At = testTime    // the gateway's clock at receipt
	sc.DeviceTime, wantScan.DeviceTime = time.Time{}, time.Time{}
	if !reflect.DeepEqual(sc, wantScan) {
		t.Errorf("floor got\n%+v\nwant\n%+v", sc, wantScan)
	}

	// The same verdict byte for byte, as a PDA sees it.
	r := dialRaw(t, e.url)
	r.hello("pda-2", "tok-2")
	r.sendText(`{"type":"scan","scan_id":"pda-2-000007","data":"6901234567892","aim":"]E0","distance_mm":140,"device_time":"2026-03-14T17:26:53.12+08:00"}`)
	_, raw := r.read()
	golden(t, "verdict_scan", raw)

	r.sendText(`{"type":"short","scan_id":"pda-2-000008","found":1}`)
	m, raw := r.read()
	if m["type"] != "verdict" || m["scan_id"] != "pda-2-000008" || m["code"] != string(floorgate.CodeShortOK) || m["ok"] != true {
		t.Errorf("short answered with %s", raw)
	}
	sv, err := c.Short(ctx(t), "pda-1-000043", 0)
	if err != nil || sv.Code != floorgate.CodeShortOK || sv.ScanID != "pda-1-000043" {
		t.Errorf("Short = %+v, %v", sv, err)
	}
}

func TestFloorFaultIsUnavailable(t *testing.T) {
	e := start(t, ws.Options{})
	r := dialRaw(t, e.url)
	r.hello("pda-1", "tok-1")
	secret := "write /var/lib/floorgate/floor.db: no space left on device"
	e.floor.setFail(fmt.Errorf("commit scan: %w", errors.New(secret)))

	for _, msg := range []string{
		`{"type":"scan","scan_id":"s-1","data":"LOC-A-01"}`,
		`{"type":"login","id":"l-1","badge":"EMP-0042","pin":"2468"}`,
		`{"type":"short","scan_id":"s-2","found":0}`,
		`{"type":"logout","id":"o-1"}`,
	} {
		r.sendText(msg)
		m, raw := r.read()
		if m["type"] != "verdict" || m["code"] != string(floorgate.CodeUnavailable) || m["ok"] != false {
			t.Errorf("%s answered with %s, want an unavailable verdict", msg, raw)
		}
		for _, leak := range []string{"floor.db", "no space", "commit scan", "/var/lib"} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("frame shows the Go error (%q): %s", leak, raw)
			}
		}
		if msg == `{"type":"scan","scan_id":"s-1","data":"LOC-A-01"}` {
			golden(t, "verdict_unavailable", raw)
		}
	}
	if !strings.Contains(e.log.String(), "no space left on device") {
		t.Errorf("the real error was not logged; log:\n%s", e.log.String())
	}

	// The connection survives the fault.
	e.floor.setFail(nil)
	r.sendText(`{"type":"scan","scan_id":"s-1","data":"LOC-A-01"}`)
	if m, raw := r.read(); m["code"] != string(floorgate.CodeLocationOK) {
		t.Errorf("after the fault: %s", raw)
	}
}

func TestOversizedMessage(t *testing.T) {
	e := start(t, ws.Options{})
	const limit = 64 << 10

	r := dialRaw(t, e.url)
	r.hello("pda-1", "tok-1")
	// Exactly at the limit is fine (padding is JSON whitespace).
	msg := `{"type":"scan","scan_id":"s-1","data":"LOC-A-01"}`
	r.sendText(msg + strings.Repeat(" ", limit-len(msg)))
	if m, raw := r.read(); m["code"] != string(floorgate.CodeLocationOK) {
		t.Fatalf("message at the limit answered with %s", raw)
	}
	r.sendText(msg + strings.Repeat(" ", limit-len(msg)+1))
	r.expectClose(websocket.CloseMessageTooBig, "")
	poll.Eventually(t, 5*time.Second, func() bool { return len(e.srv.Connected()) == 0 }, poll.Say("the device to be disconnected"))
}

func TestMalformedIsNotFatal(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		id   string // "": an error frame; else a bad_scan verdict for this id
	}{
		{"bad json", `{"type":"scan",`, ""},
		{"not an object", `[1,2,3]`, ""},
		{"wrong field type", `{"type":"scan","scan_id":"s-1","data":"X","qty":"two"}`, "s-1"},
		{"unknown type", `{"type":"dance"}`, ""},
		{"unknown type with id", `{"type":"dance","id":"r-1"}`, "r-1"},
		{"no type", `{"scan_id":"s-2","data":"X"}`, "s-2"},
		{"scan without scan_id", `{"type":"scan","data":"X"}`, ""},
		{"scan without data", `{"type":"scan","scan_id":"s-3"}`, "s-3"},
		{"data too long", `{"type":"scan","scan_id":"s-4","data":"` + strings.Repeat("9", ws.MaxDataLen+1) + `"}`, "s-4"},
		{"scan_id too long", `{"type":"scan","scan_id":"` + strings.Repeat("s", ws.MaxIDLen+1) + `","data":"X"}`, strings.Repeat("s", ws.MaxIDLen+1)},
		{"bad device_time", `{"type":"scan","scan_id":"s-5","data":"X","device_time":"yesterday"}`, "s-5"},
		{"negative qty", `{"type":"scan","scan_id":"s-6","data":"X","qty":-1}`, "s-6"},
		{"negative distance", `{"type":"scan","scan_id":"s-7","data":"X","distance_mm":-5}`, "s-7"},
		{"short without scan_id", `{"type":"short","found":0}`, ""},
		{"negative found", `{"type":"short","scan_id":"s-8","found":-1}`, "s-8"},
		{"login without id", `{"type":"login","badge":"EMP-0042","pin":"2468"}`, ""},
		{"logout without id", `{"type":"logout"}`, ""},
		{"second hello", `{"type":"hello","device":"pda-1","token":"tok-1","protocol":1}`, ""},
	}
	e := start(t, ws.Options{})
	r := dialRaw(t, e.url)
	r.hello("pda-1", "tok-1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.t = t
			r.sendText(tt.msg)
			m, raw := r.read()
			if tt.id == "" {
				if m["type"] != "error" || m["code"] != floorgate.EINVALID {
					t.Errorf("got %s, want an invalid error", raw)
				}
				if tt.name == "unknown type" {
					golden(t, "error_invalid", raw)
				}
				return
			}
			if m["type"] != "verdict" || m["code"] != string(floorgate.CodeBadScan) || m["scan_id"] != tt.id || m["ok"] != false {
				t.Errorf("got %s, want a bad_scan verdict for %s", raw, tt.id)
			}
		})
	}
	r.t = t
	r.c.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"scan"}`))
	if m, raw := r.read(); m["type"] != "error" {
		t.Errorf("binary frame answered with %s", raw)
	}

	// Still connected, and the Floor never saw the malformed messages.
	r.sendText(`{"type":"scan","scan_id":"s-9","data":"` + strings.Repeat("9", ws.MaxDataLen) + `"}`)
	if m, raw := r.read(); m["code"] != string(floorgate.CodeItemOK) {
		t.Errorf("valid scan after the malformed ones answered with %s", raw)
	}
	if n := len(e.floor.recorded()); n != 1 {
		t.Errorf("floor saw %d scans, want 1", n)
	}
}

func TestNotify(t *testing.T) {
	e := start(t, ws.Options{})
	a, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", "tok-1", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, _, err := wsclient.Dial(ctx(t), e.url, "pda-2", "tok-2", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	n := floorgate.Notice{
		Device:  "pda-1",
		Kind:    floorgate.NoticeTaskCancelled,
		Task:    "T-1001",
		Verdict: floorgate.NewVerdict("", floorgate.CodeTaskCancelled, floorgate.Prompt{Step: "cancelled", Task: "T-1001", Order: "SO-88120"}),
	}
	e.srv.Notify(n)
	e.srv.Notify(floorgate.Notice{Device: "pda-9", Kind: floorgate.NoticeTaskAssigned}) // not connected: nothing happens

	select {
	case got := <-a.Pushes():
		if !reflect.DeepEqual(got, n) {
			t.Errorf("push =\n%+v\nwant\n%+v", got, n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no push arrived")
	}
	// A push to b would have been queued before this verdict, so b's
	// channel would hold it by the time Scan returns.
	if _, err := b.Scan(ctx(t), floorgate.Scan{ID: "b-1", Data: "LOC-A-01"}); err != nil {
		t.Fatal(err)
	}
	if len(b.Pushes()) != 0 {
		t.Errorf("pda-2 got a push meant for pda-1: %+v", <-b.Pushes())
	}

	// The push as a PDA sees it.
	r := dialRaw(t, e.url)
	r.hello("pda-3", "tok-3")
	e.srv.Notify(floorgate.Notice{
		Device:  "pda-3",
		Kind:    floorgate.NoticeTaskAssigned,
		Task:    "T-1002",
		Verdict: floorgate.NewVerdict("", floorgate.CodeLocationOK, floorgate.Prompt{Step: "scan_location", Task: "T-1002", Order: "SO-88121", Line: 1, Lines: 1, Location: "B-02-01-1", SKU: "SKU-1002", ItemName: "Phone case", Qty: 1}),
	})
	m, raw := r.read()
	golden(t, "push", raw)
	if m["type"] != "push" || m["kind"] != floorgate.NoticeTaskAssigned {
		t.Errorf("push frame = %s", raw)
	}
}

// A push raised while the device's hello is at the Floor may be missing from
// the welcome, so it is delivered right after it.
func TestPushDuringHelloFollowsWelcome(t *testing.T) {
	e := start(t, ws.Options{})
	e.floor.helloGate = make(chan struct{})
	type dialed struct {
		c   *wsclient.Client
		err error
	}
	done := make(chan dialed, 1)
	go func() {
		c, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", "tok-1", "TC21")
		done <- dialed{c, err}
	}()
	select {
	case <-e.floor.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the hello did not reach the floor")
	}
	e.srv.Notify(floorgate.Notice{Device: "pda-1", Kind: floorgate.NoticeTaskAssigned, Task: "T-9"})
	close(e.floor.helloGate)
	d := <-done
	if d.err != nil {
		t.Fatal(d.err)
	}
	defer d.c.Close()
	select {
	case n := <-d.c.Pushes():
		if n.Task != "T-9" || n.Device != "pda-1" {
			t.Errorf("push = %+v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the push raised during the hello was lost")
	}
}

func TestSecondConnectionReplacesFirst(t *testing.T) {
	e := start(t, ws.Options{})
	first, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", "tok-1", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", "tok-1", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()

	select {
	case <-first.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first connection is still open")
	}
	var ce *wsclient.CloseError
	if err := first.Err(); !errors.As(err, &ce) || ce.Code != ws.CloseReplaced || ce.Reason != "replaced" {
		t.Errorf("first connection ended with %v, want close %d replaced", err, ws.CloseReplaced)
	}
	if _, err := first.Scan(ctx(t), floorgate.Scan{ID: "x-1", Data: "LOC-A-01"}); err == nil {
		t.Error("scan on the replaced connection succeeded")
	}

	if got := e.srv.Connected(); !slices.Equal(got, []string{"pda-1"}) {
		t.Errorf("Connected() = %v", got)
	}
	if v, err := second.Scan(ctx(t), floorgate.Scan{ID: "x-2", Data: "LOC-A-01"}); err != nil || v.Code != floorgate.CodeLocationOK {
		t.Errorf("scan on the new connection: %+v, %v", v, err)
	}
	e.srv.Notify(floorgate.Notice{Device: "pda-1", Kind: floorgate.NoticeTaskAssigned, Task: "T-7"})
	select {
	case n := <-second.Pushes():
		if n.Task != "T-7" {
			t.Errorf("push = %+v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the push did not reach the new connection")
	}
}

func TestShutdown(t *testing.T) {
	e := start(t, ws.Options{})
	var clients []*wsclient.Client
	for _, d := range []string{"pda-1", "pda-2", "pda-3"} {
		c, _, err := wsclient.Dial(ctx(t), e.url, d, "tok-"+strings.TrimPrefix(d, "pda-"), "TC21")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	idle := dialRaw(t, e.url) // upgraded, no hello yet

	if err := e.srv.Shutdown(ctx(t)); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, c := range clients {
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s still open after Shutdown", c.Device())
		}
		var ce *wsclient.CloseError
		if err := c.Err(); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("%s ended with %v, want 1001", c.Device(), err)
		}
	}
	idle.expectClose(websocket.CloseGoingAway, "")
	if got := e.srv.Connected(); len(got) != 0 {
		t.Errorf("Connected() = %v after Shutdown", got)
	}
	_, resp, err := websocket.DefaultDialer.Dial(e.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Shutdown: %v, %v", resp, err)
	}
}

func TestCloseCancelsFloorCalls(t *testing.T) {
	e := start(t, ws.Options{})
	c, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", "tok-1", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	scanErr := make(chan error, 1)
	go func() {
		_, err := c.Scan(ctx(t), floorgate.Scan{ID: "s-1", Data: "BLOCK"})
		scanErr <- err
	}()
	select {
	case <-e.floor.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the scan did not reach the floor")
	}
	closed := make(chan error, 1)
	go func() { closed <- e.srv.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while a Floor call hung")
	}
	select {
	case err := <-scanErr:
		var ce *wsclient.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("pending scan ended with %v, want 1001", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pending scan never returned")
	}
}

func TestPingsKeepIdleConnectionAlive(t *testing.T) {
	const interval = 100 * time.Millisecond // the server drops a silent peer after 250ms
	e := start(t, ws.Options{PingInterval: interval})
	r := dialRaw(t, e.url)
	r.hello("pda-1", "tok-1")

	pings := make(chan struct{}, 100)
	r.c.SetPingHandler(func(app string) error {
		pings <- struct{}{}
		return r.c.WriteControl(websocket.PongMessage, []byte(app), time.Now().Add(time.Second))
	})
	frames := make(chan error, 1)
	go func() {
		// Control frames are only handled while reading.
		_, _, err := r.c.ReadMessage()
		frames <- err
	}()
	// Six pings span more than twice the pong wait: only the pongs kept
	// the connection open that long.
	deadline := time.After(5 * time.Second)
	for i := 0; i < 6; i++ {
		select {
		case <-pings:
		case err := <-frames:
			t.Fatalf("connection ended while idle: %v", err)
		case <-deadline:
			t.Fatalf("only %d pings arrived", i)
		}
	}
	r.sendText(`{"type":"scan","scan_id":"s-1","data":"LOC-A-01"}`)
	select {
	case err := <-frames:
		if err != nil {
			t.Fatalf("after idling: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no verdict after idling")
	}
}

func TestSilentPeerIsDropped(t *testing.T) {
	e := start(t, ws.Options{PingInterval: 40 * time.Millisecond})
	r := dialRaw(t, e.url)
	r.hello("pda-1", "tok-1")
	r.c.SetPingHandler(func(string) error { return nil }) // never answers

	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := r.c.ReadMessage()
	var ne interface{ Timeout() bool }
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("silent peer was not dropped: %v", err)
	}
	poll.Eventually(t, 5*time.Second, func() bool { return len(e.srv.Connected()) == 0 }, poll.Say("the device to be disconnected"))
	if !strings.Contains(e.log.String(), "no message or pong") {
		t.Errorf("the drop was not logged with its reason:\n%s", e.log.String())
	}
}

func TestCheckOrigin(t *testing.T) {
	e := start(t, ws.Options{CheckOrigin: func(r *http.Request) bool {
		return r.Header.Get("Origin") == "" || r.Header.Get("Origin") == "http://gw.local"
	}})
	_, resp, err := websocket.DefaultDialer.Dial(e.url, http.Header{"Origin": {"http://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %v, %v", resp, err)
	}
	dialRaw(t, e.url).hello("pda-1", "tok-1") // native app: no Origin
}

func TestManyClients(t *testing.T) {
	e := start(t, ws.Options{})
	const devices, scans = 3, 200
	var wg sync.WaitGroup
	for d := 1; d <= devices; d++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := wsclient.Dial(context.Background(), e.url, fmt.Sprintf("pda-%d", d), fmt.Sprintf("tok-%d", d), "TC21")
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			ctx := ctx(t)
			for i := range scans {
				id := fmt.Sprintf("pda-%d-%06d", d, i)
				v, err := c.Scan(ctx, floorgate.Scan{ID: id, Data: "LOC-A-01"})
				if err != nil || v.ScanID != id || v.Code != floorgate.CodeLocationOK {
					t.Errorf("scan %s: %+v, %v", id, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(e.floor.recorded()); n != devices*scans {
		t.Errorf("floor saw %d scans, want %d", n, devices*scans)
	}
}

// An idle connection costs its reader goroutine and nothing more: the writer
// that sent its last answer has ended.
func TestIdleConnectionHoldsOneGoroutine(t *testing.T) {
	e := start(t, ws.Options{})
	const devices = 40
	enrolDevices(e, devices)
	base := runtime.NumGoroutine()
	connectIdle(t, e, devices)
	// The test's raw connections run no goroutines of their own.
	poll.Eventually(t, 5*time.Second, func() bool {
		return runtime.NumGoroutine()-base <= devices+2
	}, poll.Say("one goroutine per idle connection"))
	if got := len(e.srv.Connected()); got != devices {
		t.Errorf("%d devices connected, want %d", got, devices)
	}
}

// An idle connection's reader keeps a stack no bigger than a bare
// gorilla/websocket echo connection's: hello and scans are answered on a
// goroutine of their own, so the reader never grows the stack answering
// needs (a parked goroutine keeps what it grew). Stacks are measured in a
// child process, where no goroutine of another test comes or goes.
func TestIdleReaderStackStaysSmall(t *testing.T) {
	if os.Getenv("FLOORGATE_STACK_CHILD") == "1" {
		ours, bare := measureIdleStacks(t)
		fmt.Printf("STACKS ours=%d bare=%d\n", ours, bare)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleReaderStackStaysSmall$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FLOORGATE_STACK_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var ours, bare int64
	for l := range strings.Lines(string(out)) {
		if _, err := fmt.Sscanf(l, "STACKS ours=%d bare=%d", &ours, &bare); err == nil {
			break
		}
	}
	if bare == 0 {
		t.Fatalf("child measured nothing:\n%s", out)
	}
	t.Logf("stack per idle connection: %d bytes; a bare one's: %d", ours, bare)
	if ours > bare*5/4 {
		t.Errorf("%d bytes of stack per idle connection, a bare one holds %d", ours, bare)
	}
}

// measureIdleStacks returns the stack bytes per idle connection: of the
// endpoint's after a hello and a scan, and of a bare echo connection's
// after one exchange.
func measureIdleStacks(t *testing.T) (ours, bare int64) {
	const devices = 200
	stacks := func() int64 {
		runtime.GC()
		runtime.GC() // a collection shrinks a stack by half at most
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.StackInuse)
	}
	waitIdle := func(base int) {
		poll.Eventually(t, 5*time.Second, func() bool { return runtime.NumGoroutine() <= base+devices }, poll.Say("only the readers to be left"))
	}

	srv := httptest.NewServer(wsbare.Handler())
	defer srv.Close()
	g, base := runtime.NumGoroutine(), stacks()
	for range devices {
		c, err := wsbare.Dial(ctx(t), "ws"+strings.TrimPrefix(srv.URL, "http")+"/")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Exchange([]byte(`{"type":"scan","scan_id":"s-1","data":"LOC-A-01"}`)); err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(g)
	bare = (stacks() - base) / devices

	e := start(t, ws.Options{})
	enrolDevices(e, devices)
	g, base = runtime.NumGoroutine(), stacks()
	connectIdle(t, e, devices)
	waitIdle(g)
	return (stacks() - base) / devices, bare
}

// enrolDevices gives devices pda-0 … pda-(n-1) the tokens tok-0 … .
func enrolDevices(e *env, n int) {
	e.floor.mu.Lock()
	defer e.floor.mu.Unlock()
	for d := range n {
		e.floor.tokens[fmt.Sprintf("pda-%d", d)] = fmt.Sprintf("tok-%d", d)
	}
}

// connectIdle connects devices pda-0 … pda-(n-1), each saying hello and
// scanning once, and leaves them idle.
func connectIdle(t *testing.T, e *env, n int) {
	t.Helper()
	for d := range n {
		r := dialRaw(t, e.url)
		r.hello(fmt.Sprintf("pda-%d", d), fmt.Sprintf("tok-%d", d))
		r.sendText(fmt.Sprintf(`{"type":"scan","scan_id":"s-%d","data":"LOC-A-01"}`, d))
		if m, raw := r.read(); m["type"] != "verdict" {
			t.Fatalf("scan answered with %s", raw)
		}
	}
}

// TestStation: a device chooses its pack station by name; the answer is a
// station frame, a name the site does not have is unknown_station, and a
// Floor that cannot record it is unavailable.
func TestStation(t *testing.T) {
	e := start(t, ws.Options{})
	r := dialRaw(t, e.url)
	r.hello("pda-1", "tok-1")
	r.sendText(`{"type":"station","id":"st-1","station":"pack-2"}`)
	m, raw := r.read()
	golden(t, "station", raw)
	if m["type"] != "station" || m["id"] != "st-1" || m["station"] != "pack-2" {
		t.Errorf("station answered with %s", raw)
	}
	if got := e.floor.stations["pda-1"]; got != "pack-2" {
		t.Errorf("the Floor was told station %q, want pack-2", got)
	}
	r.sendText(`{"type":"station","id":"st-2","station":"pack-9"}`)
	if m, raw := r.read(); m["type"] != "verdict" || m["scan_id"] != "st-2" || m["code"] != string(floorgate.CodeUnknownStation) || m["ok"] != false {
		t.Errorf("unknown station answered with %s", raw)
	}
	e.floor.setFail(errors.New("disk full"))
	r.sendText(`{"type":"station","id":"st-3","station":"pack-1"}`)
	if m, raw := r.read(); m["type"] != "verdict" || m["code"] != string(floorgate.CodeUnavailable) {
		t.Errorf("a Floor fault answered with %s", raw)
	}
	e.floor.setFail(nil)

	c, _, err := wsclient.Dial(ctx(t), e.url, "pda-2", "tok-2", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetStation(ctx(t), "s1", "pack-1"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetStation(ctx(t), "s2", "pack-9"); floorgate.ErrorCode(err) != floorgate.ENOTFOUND {
		t.Errorf("SetStation of an unknown station: %v, want not_found", err)
	}
}

// An answer is written by the handler itself when nothing is owed before
// it (no writer to start), while pushes from other goroutines and pings
// go through the writer: the two never write at once (gorilla/websocket
// panics on concurrent writes; -race watches the rest), and every answer
// arrives.
func TestInlineAnswersShareTheConnectionWithPushesAndPings(t *testing.T) {
	e := start(t, ws.Options{PingInterval: 5 * time.Millisecond})
	c, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", "tok-1", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const scans, pushes = 300, 300
	stop := make(chan struct{})
	pushed := make(chan struct{})
	go func() {
		defer close(pushed)
		for i := range pushes {
			select {
			case <-stop:
				return
			default:
			}
			e.srv.Notify(floorgate.Notice{Device: "pda-1", Kind: floorgate.NoticeTaskAssigned, Task: fmt.Sprint("T-", i)})
			runtime.Gosched()
		}
	}()
	got := 0
	drain := func() {
		for {
			select {
			case <-c.Pushes():
				got++
			default:
				return
			}
		}
	}
	for i := range scans {
		id := fmt.Sprintf("s-%04d", i)
		v, err := c.Scan(ctx(t), floorgate.Scan{ID: id, Data: "LOC-A-01"})
		if err != nil || v.ScanID != id || v.Code != floorgate.CodeLocationOK {
			t.Fatalf("scan %s: %+v, %v", id, v, err)
		}
		drain()
	}
	close(stop)
	<-pushed
	// A push may be dropped on a full queue (by design), but they flow.
	poll.Eventually(t, 5*time.Second, func() bool { drain(); return got > 0 }, poll.Say("the pushes"))
}
