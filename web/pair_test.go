package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate/store"
)

// enrol shows a pairing code as the admin adm1 would (the request carries
// the audit entry the admin access check puts on it).
func (ts *testServer) enrol(t *testing.T) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/api/v1/devices/enrol", nil)
	r = r.WithContext(store.Audited(r.Context(), store.AuditEntry{Actor: "admin1", Role: "admin", Remote: "192.0.2.100",
		Action: "device.pairing_code"}))
	w := httptest.NewRecorder()
	ts.s.handleEnrol(w, r)
	var out struct{ Code string }
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &out) != nil || out.Code == "" {
		t.Fatalf("pairing code: %d %s", w.Code, w.Body)
	}
	return out.Code
}

// pair posts a pairing code from the address from.
func (ts *testServer) pair(code, device, from string) answer {
	body := fmt.Sprintf(`{"code": %q, "device": %q, "model": "TC21"}`, code, device)
	r := httptest.NewRequest(http.MethodPost, "/api/v1/pair", strings.NewReader(body))
	r.RemoteAddr = from + ":40000"
	w := httptest.NewRecorder()
	ts.s.handlePair(w, r)
	return answer{status: w.Code, body: strings.TrimSpace(w.Body.String())}
}

// wrongCode is a six-digit code that is not code.
func wrongCode(code string, i int) string {
	var n int
	fmt.Sscanf(code, "%d", &n)
	return fmt.Sprintf("%06d", (n+1+i)%1000000)
}

// TestPairingGuessesFromManyAddressesRevokeCodes: 160 wrong codes from 40
// addresses — four each, under the per-address limit — used to leave the
// real code working. Now the twentieth wrong code within a minute revokes
// every outstanding code: the real one is refused, the revocation is in the
// audit log and in the log as a warning naming the addresses, and a code
// the admin shows once the guessing has stopped pairs.
func TestPairingGuessesFromManyAddressesRevokeCodes(t *testing.T) {
	ts := newTestServer(t)
	code := ts.enrol(t)
	for i := range 160 {
		from := fmt.Sprintf("10.9.0.%d", i%40)
		got := ts.pair(wrongCode(code, i), "pda-x", from)
		if got.status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d from %s: %+v, want 401", i, from, got)
		}
	}
	if got := ts.pair(code, "pda-x", "10.9.1.1"); got.status != http.StatusUnauthorized {
		t.Fatalf("the real code after 160 wrong ones: %+v, want 401", got)
	}
	if _, ok := deviceByID(ts.db, "pda-x"); ok {
		t.Fatal("pda-x was enrolled")
	}

	log, err := ts.db.AuditLog(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Action != "device.pairing_codes_revoked" || log[0].Actor != "gateway" ||
		!strings.Contains(log[0].Detail, "20 wrong pairing codes within a minute from 10.9.0.0, 10.9.0.1, ") ||
		!strings.Contains(log[0].Detail, "1 outstanding code(s) revoked") || log[1].Action != "device.pairing_code" {
		t.Fatalf("audit log %+v, want the code and its revocation", log)
	}
	if logs := ts.logs.String(); !strings.Contains(logs, "level=WARN msg=\"pairing codes revoked: too many wrong codes\"") ||
		!strings.Contains(logs, "10.9.0.19") {
		t.Fatalf("log:\n%s\nwant a warning naming the addresses", logs)
	}

	// While wrong codes keep coming, a new code is revoked too; a minute
	// after they stop, a new one pairs.
	code = ts.enrol(t)
	ts.pair(wrongCode(code, 0), "pda-x", "10.9.1.3")
	if got := ts.pair(code, "pda-x", "10.9.1.2"); got.status != http.StatusUnauthorized {
		t.Fatalf("a new code while the guessing goes on: %+v, want 401", got)
	}
	ts.clock.Add(time.Minute + time.Second)
	code = ts.enrol(t)
	if got := ts.pair(code, "pda-x", "10.9.1.2"); got.status != http.StatusOK || !strings.Contains(got.body, `"device":"pda-x"`) {
		t.Fatalf("a new code after the guessing stopped: %+v", got)
	}
	if _, ok := deviceByID(ts.db, "pda-x"); !ok {
		t.Fatal("pda-x was not enrolled")
	}
}

// TestPairingLimitsStayPerAddressToo: five wrong codes from one address
// still lock that address for a minute (429), the right code included,
// and fewer than twenty wrong codes revoke nothing.
func TestPairingLimitsStayPerAddressToo(t *testing.T) {
	ts := newTestServer(t)
	code := ts.enrol(t)
	for i := range pairFailMax {
		ts.pair(wrongCode(code, i), "pda-y", "10.9.2.1")
	}
	if got := ts.pair(code, "pda-y", "10.9.2.1"); got.status != http.StatusTooManyRequests {
		t.Fatalf("the right code from a locked address: %+v, want 429", got)
	}
	if got := ts.pair(code, "pda-y", "10.9.2.2"); got.status != http.StatusOK {
		t.Fatalf("the right code from another address: %+v, want 200", got)
	}
}

// TestPairingFailuresStayBounded: wrong codes from ten thousand addresses
// leave at most pairFailAddrs addresses remembered, and they are forgotten
// a minute later.
func TestPairingFailuresStayBounded(t *testing.T) {
	ts := newTestServer(t)
	for i := range 10_000 {
		ts.pair("000000", "pda-z", fmt.Sprintf("10.%d.%d.%d", 100+(i>>16), (i>>8)&255, i&255))
	}
	ts.s.mu.Lock()
	n := len(ts.s.pairFail)
	ts.s.mu.Unlock()
	if n > pairFailAddrs {
		t.Fatalf("%d addresses remembered, want at most %d", n, pairFailAddrs)
	}
	ts.clock.Add(time.Minute + time.Second)
	ts.pair("000000", "pda-z", "10.9.3.1")
	ts.s.mu.Lock()
	n = len(ts.s.pairFail)
	ts.s.mu.Unlock()
	if n != 1 {
		t.Fatalf("a minute later %d addresses remembered, want 1", n)
	}
}

func deviceByID(db *store.DB, id string) (any, bool) {
	for _, d := range db.Devices() {
		if d.ID == id {
			return d, true
		}
	}
	return nil, false
}
