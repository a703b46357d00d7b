package ws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/ws"
	"github.com/gorilla/websocket"
)

var update = flag.Bool("update", false, "rewrite the golden frames in testdata/")

// The floor these tests run against. The real Floor is the store, tested
// with its own files; here only the wire is under test.
var (
	testTime = time.Date(2026, 3, 14, 9, 26, 53, 589000000, time.UTC)

	itemPrompt = floorgate.Prompt{
		Step: "scan_item", Task: "T-1001", Order: "SO-88120", Line: 2, Lines: 3,
		Location: "A-01-03-2", SKU: "SKU-7731", ItemName: "USB-C cable 1 m", Qty: 3, Picked: 1,
	}
	locationPrompt = floorgate.Prompt{
		Step: "scan_location", Task: "T-1001", Order: "SO-88120", Line: 2, Lines: 3,
		Location: "A-01-03-2", SKU: "SKU-7731", ItemName: "USB-C cable 1 m", Qty: 3,
	}
)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return testTime }

type fakeFloor struct {
	mu        sync.Mutex
	tokens    map[string]string // device → token
	operators map[string]string // device → operator logged in
	scans     []floorgate.Scan
	raises    []floorgate.Raise
	fail      error // every call after the hello fails with it
	helloErr  error // Hello fails with it
	entered   chan struct{}
	// helloGate, when set, holds every Hello until it is closed.
	helloGate chan struct{}
	// hold holds a scan of "HOLD" until it receives.
	hold     chan struct{}
	stations map[string]string // device → pack station set
}

var _ ws.Floor = (*fakeFloor)(nil)

func newFakeFloor() *fakeFloor {
	return &fakeFloor{
		tokens:    map[string]string{"pda-1": "tok-1", "pda-2": "tok-2", "pda-3": "tok-3"},
		operators: map[string]string{},
		stations:  map[string]string{},
		entered:   make(chan struct{}, 1),
		hold:      make(chan struct{}),
	}
}

func (f *fakeFloor) setFail(err error) {
	f.mu.Lock()
	f.fail = err
	f.mu.Unlock()
}

func (f *fakeFloor) Hello(ctx context.Context, device, token, model string) (floorgate.Welcome, error) {
	if f.helloGate != nil {
		f.entered <- struct{}{}
		<-f.helloGate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.helloErr != nil {
		return floorgate.Welcome{}, f.helloErr
	}
	if want, ok := f.tokens[device]; !ok || want != token {
		return floorgate.Welcome{}, floorgate.Errorf(floorgate.EUNAUTHORIZED, "Device %s is not enrolled here.", device)
	}
	op := f.operators[device]
	p := floorgate.Prompt{Step: "login"}
	if op != "" {
		p = locationPrompt
	}
	return floorgate.Welcome{Site: "SZ-01", Gateway: "gw-sz01-a", Operator: op, Prompt: p}, nil
}

func (f *fakeFloor) Login(ctx context.Context, device, requestID, badge, pin string) (floorgate.Verdict, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return floorgate.Verdict{}, f.fail
	}
	if badge != "EMP-0042" || pin != "2468" {
		return floorgate.NewVerdict(requestID, floorgate.CodeBadLogin, floorgate.Prompt{Step: "login"}), nil
	}
	f.operators[device] = "op-42"
	return floorgate.NewVerdict(requestID, floorgate.CodeLoggedIn, locationPrompt), nil
}

func (f *fakeFloor) Logout(ctx context.Context, device string) (floorgate.Prompt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return floorgate.Prompt{}, f.fail
	}
	delete(f.operators, device)
	return floorgate.Prompt{Step: "login"}, nil
}

func (f *fakeFloor) Next(ctx context.Context, device string) (floorgate.Prompt, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return floorgate.Prompt{}, f.fail
	}
	return floorgate.Prompt{Step: "scan_location", Task: "T-next", Location: "A-01"}, nil
}

func (f *fakeFloor) Scan(ctx context.Context, sc floorgate.Scan) (floorgate.Verdict, error) {
	if sc.Data == "BLOCK" {
		// Stands for a Floor call that hangs (a stuck disk): it only ends
		// when the endpoint cancels it.
		f.entered <- struct{}{}
		<-ctx.Done()
		return floorgate.Verdict{}, ctx.Err()
	}
	if sc.Data == "HOLD" {
		f.entered <- struct{}{}
		<-f.hold
		return floorgate.NewVerdict(sc.ID, floorgate.CodeItemOK, itemPrompt), nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return floorgate.Verdict{}, f.fail
	}
	f.scans = append(f.scans, sc)
	if strings.HasPrefix(sc.Data, "LOC-") {
		return floorgate.NewVerdict(sc.ID, floorgate.CodeLocationOK, itemPrompt), nil
	}
	v := floorgate.NewVerdict(sc.ID, floorgate.CodeItemOK, itemPrompt)
	if sc.DistanceMM > 100 {
		v = v.WithWarning(floorgate.CodeDistance)
	}
	return v, nil
}

func (f *fakeFloor) Raise(ctx context.Context, device, scanID string, r floorgate.Raise) (floorgate.Verdict, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return floorgate.Verdict{}, f.fail
	}
	f.raises = append(f.raises, r)
	if r.Data != "" {
		return floorgate.NewVerdict(scanID, floorgate.CodeExceptionRaised, floorgate.Prompt{Step: "scan_order"}), nil
	}
	return floorgate.NewVerdict(scanID, floorgate.CodeShortOK, floorgate.Prompt{Step: "done", Task: "T-1001"}), nil
}

func (f *fakeFloor) recorded() []floorgate.Scan {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]floorgate.Scan(nil), f.scans...)
}

// SetStation knows the pack stations pack-1 and pack-2.
func (f *fakeFloor) SetStation(ctx context.Context, device, station string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if station != "" && station != "pack-1" && station != "pack-2" {
		return floorgate.Errorf(floorgate.ENOTFOUND, "no pack station %q", station)
	}
	f.stations[device] = station
	return nil
}

// logBuffer collects the server's log so tests can see what was logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type env struct {
	srv   *ws.Server
	floor *fakeFloor
	url   string
	log   *logBuffer
}

// start runs a Server on a real listener (httptest, 127.0.0.1) at /ws/v1.
func start(t *testing.T, opts ws.Options) *env {
	t.Helper()
	e := &env{floor: newFakeFloor(), log: &logBuffer{}}
	logger := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.srv = ws.NewServer(e.floor, fixedClock{}, logger, opts)
	mux := http.NewServeMux()
	mux.Handle("/ws/v1", e.srv)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		if err := e.srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	e.url = "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws/v1"
	return e
}

// ctx is a context that ends the test's wait for any one answer.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

// rawConn is a device speaking the protocol by hand, to send what a
// well-behaved client never would and to see frames byte for byte.
type rawConn struct {
	t *testing.T
	c *websocket.Conn
}

func dialRaw(t *testing.T, url string) *rawConn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c}
}

func (r *rawConn) sendText(s string) {
	r.t.Helper()
	r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := r.c.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

func (r *rawConn) send(v any) {
	r.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		r.t.Fatal(err)
	}
	r.sendText(string(b))
}

// read returns the next message, decoded and raw.
func (r *rawConn) read() (map[string]any, []byte) {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	mt, b, err := r.c.ReadMessage()
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	if mt != websocket.TextMessage {
		r.t.Fatalf("read: message type %d, want text", mt)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		r.t.Fatalf("read: %v in %s", err, b)
	}
	return m, b
}

func (r *rawConn) hello(device, token string) map[string]any {
	r.t.Helper()
	r.send(map[string]any{"type": "hello", "device": device, "token": token, "model": "TC21", "app": "test", "protocol": 1})
	m, b := r.read()
	if m["type"] != "welcome" {
		r.t.Fatalf("hello answered with %s", b)
	}
	return m
}

// expectClose reads until the server's close frame and checks its code.
func (r *rawConn) expectClose(code int, reason string) {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, b, err := r.c.ReadMessage()
		if err == nil {
			r.t.Fatalf("want close %d, got message %s", code, b)
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			r.t.Fatalf("want close %d, got %v", code, err)
		}
		if ce.Code != code || (reason != "" && ce.Text != reason) {
			r.t.Fatalf("closed with %d %q, want %d %q", ce.Code, ce.Text, code, reason)
		}
		return
	}
}

// golden compares a frame with testdata/name.json (indented), or writes it
// with -update. The files double as the examples in docs/pda-protocol.md.
func golden(t *testing.T, name string, frame []byte) {
	t.Helper()
	var got bytes.Buffer
	if err := json.Indent(&got, frame, "", "  "); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got.WriteByte('\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s frame differs from %s:\ngot:\n%s\nwant:\n%s", name, path, got.Bytes(), want)
	}
}
