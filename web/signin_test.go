package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/store/storetest"
)

const testPIN = "2468"

// testServer is a status-page server on a real store with an admin
// (ADMIN1), a supervisor (SUP1), a picker (PICK1) and a packer (PACK1), all
// with testPIN, and a manual clock. Its log is kept in logs.
type testServer struct {
	s     *Server
	db    *store.DB
	clock *floorgate.ManualClock
	logs  *syncBuffer
}

// syncBuffer is a bytes.Buffer the server's log may write to from any
// goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func newTestServer(t *testing.T, mods ...func(*store.Options)) *testServer {
	t.Helper()
	ts := &testServer{clock: floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)), logs: &syncBuffer{}}
	opts := store.Options{Site: floorgate.Site{ID: "site-1", Name: "Test", Gateway: "gw-1", Policy: floorgate.DefaultPolicy()},
		Clock: ts.clock}
	for _, m := range mods {
		m(&opts)
	}
	db := storetest.Open(t, storetest.WithOptions(func(o *store.Options) { *o = opts }))
	hash, err := floorgate.HashPIN(testPIN)
	if err != nil {
		t.Fatal(err)
	}
	var m store.Master
	for _, o := range []struct {
		badge string
		role  floorgate.Role
	}{{"ADMIN1", floorgate.RoleAdmin}, {"SUP1", floorgate.RoleSupervisor}, {"PICK1", floorgate.RolePicker}, {"PACK1", floorgate.RolePacker}} {
		m.Operators = append(m.Operators, floorgate.Operator{ID: strings.ToLower(o.badge), Name: o.badge, Badge: o.badge, PINHash: hash, Role: o.role})
	}
	if err := db.PutMaster(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	ts.db = db
	ts.s = New(Options{DB: db, Clock: ts.clock, Log: slog.New(slog.NewTextHandler(ts.logs, nil))})
	return ts
}

// answer is what a client sees of a response.
type answer struct {
	status int
	body   string
	cookie bool
}

// signIn posts a sign-in from the address from.
func (ts *testServer) signIn(badge, pin, from string) answer {
	body := `{"badge": ` + jsonString(badge) + `, "pin": ` + jsonString(pin) + `}`
	r := httptest.NewRequest(http.MethodPost, "/api/v1/session", strings.NewReader(body))
	r.RemoteAddr = from + ":40000"
	w := httptest.NewRecorder()
	ts.s.handleSignIn(w, r)
	return answer{status: w.Code, body: strings.TrimSpace(w.Body.String()), cookie: len(w.Result().Cookies()) > 0}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestSignInAnswersPickersLikeWrongPINs: on the status page, an unknown
// badge and a picker's or packer's badge — even with the right PIN — get
// exactly the answer of a wrong PIN on an admin's badge: same status, same
// body, no cookie. A badge or PIN too long to be one is refused at the door
// without counting against anyone; the sixth failure from one address is
// 429.
func TestSignInAnswersPickersLikeWrongPINs(t *testing.T) {
	ts := newTestServer(t)
	want := ts.signIn("ADMIN1", "0000", "192.0.2.1")
	if want.status != http.StatusUnauthorized || want.cookie ||
		want.body != `{"code":"unauthorized","error":"badge or PIN not recognised"}` {
		t.Fatalf("admin, wrong PIN: %+v", want)
	}
	for i, c := range []struct{ name, badge, pin string }{
		{"unknown badge", "NOBODY", testPIN},
		{"picker, right PIN", "PICK1", testPIN},
		{"picker, wrong PIN", "PICK1", "0000"},
		{"packer, right PIN", "PACK1", testPIN},
		{"supervisor, wrong PIN", "SUP1", "0000"},
	} {
		if got := ts.signIn(c.badge, c.pin, "192.0.2."+string(rune('2'+i))); got != want {
			t.Errorf("%s: %+v, want %+v", c.name, got, want)
		}
	}

	for _, c := range []struct{ name, badge, pin string }{
		{"badge too long", strings.Repeat("B", store.MaxBadgeLen+1), testPIN},
		{"PIN too long", "ADMIN1", strings.Repeat("2", store.MaxPINLen+1)},
	} {
		for range 2 * maxLoginFailuresForTest {
			got := ts.signIn(c.badge, c.pin, "198.51.100.1")
			if got.status != http.StatusBadRequest || !strings.Contains(got.body, `"code":"invalid"`) {
				t.Fatalf("%s: %+v, want 400 invalid", c.name, got)
			}
		}
	}
	if got := ts.signIn("ADMIN1", testPIN, "198.51.100.1"); got.status != http.StatusOK || !got.cookie {
		t.Fatalf("admin after refusals at the door: %+v, want signed in", got)
	}

	for range maxLoginFailuresForTest {
		ts.signIn("PICK1", testPIN, "203.0.113.1")
	}
	if got := ts.signIn("ADMIN1", testPIN, "203.0.113.1"); got.status != http.StatusTooManyRequests ||
		got.body != `{"code":"login_locked","error":"too many wrong PINs: wait a minute"}` {
		t.Fatalf("after five refusals from one address: %+v, want 429", got)
	}
}

// maxLoginFailuresForTest is the store's lock-out threshold (five failures).
const maxLoginFailuresForTest = 5
