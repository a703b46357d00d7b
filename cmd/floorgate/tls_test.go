package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/device/ws/wsclient"
	"github.com/floorgate/floorgate/gateway"
)

// TestTLS: with the default tls.mode the gateway makes itself a certificate
// on first start, keeps it across restarts, serves HTTPS and WSS with it,
// and shows its fingerprint; a client pinned to another fingerprint, or
// trusting only the system's roots, is refused.
func TestTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	state := t.TempDir()
	if gateway.DefaultConfig().TLS.Mode != "self-signed" {
		t.Fatalf("the default tls.mode is %q, want self-signed", gateway.DefaultConfig().TLS.Mode)
	}
	m := startMain(t, floorgate.SystemClock{}, func(c *gateway.Config) { c.StateDir = state })
	fp := m.Fingerprint
	if len(fp) != 95 || strings.Count(fp, ":") != 31 {
		t.Fatalf("fingerprint %q", fp)
	}
	key, err := os.Stat(filepath.Join(state, "tls", "key.pem"))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", key, err)
	}
	base := "https://" + m.Addr()
	pinnedTLS, err := client.PinnedTLS(fp)
	if err != nil {
		t.Fatal(err)
	}
	pinned := &http.Client{Transport: &http.Transport{TLSClientConfig: pinnedTLS}}
	// An admin signed in over HTTPS reads the status.
	csrf := signInHTTP(t, base, pinned, gateway.DemoAdminBadge)
	resp, err := pinned.Get(base + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		TLSFingerprint string `json:"tls_fingerprint"`
	}
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.TLSFingerprint != fp {
		t.Fatalf("status shows fingerprint %q, want %q", st.TLSFingerprint, fp)
	}
	if _, err := http.Get(base + "/healthz"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a client trusting the system roots: %v", err)
	}
	if r, err := http.Get("http://" + m.Addr() + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP served next to HTTPS")
		}
	}
	wrong := strings.Replace(fp, fp[:2], "00", 1)
	if fp[:2] == "00" {
		wrong = strings.Replace(fp, fp[:2], "11", 1)
	}
	wrongTLS, err := client.PinnedTLS(wrong)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: wrongTLS}}).Get(base + "/healthz"); err == nil {
		t.Fatal("a client pinned to another fingerprint was served")
	}
	c, wel, err := wsclient.DialTLS(ctx, "wss://"+m.Addr()+"/ws/v1", "pda-tls", "token-tls", "TC21", pinnedTLS)
	if err != nil || wel.Site != "demo" {
		t.Fatalf("wss with the pinned certificate: %v %+v", err, wel)
	}
	c.Close()

	// The pairing QR code carries the fingerprint.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/devices/enrol", nil)
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err = pinned.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var enrol struct{ URL, Fingerprint string }
	json.NewDecoder(resp.Body).Decode(&enrol)
	resp.Body.Close()
	if enrol.Fingerprint != fp || !strings.HasSuffix(enrol.URL, "&fp="+strings.ReplaceAll(fp, ":", "")) || !strings.HasPrefix(enrol.URL, "https://") {
		t.Fatalf("pairing %+v", enrol)
	}

	// Restarted on the same state: the same certificate.
	m.Close()
	m2 := startMain(t, floorgate.SystemClock{}, func(c *gateway.Config) { c.StateDir = state })
	if m2.Fingerprint != fp {
		t.Fatalf("fingerprint after restart %q, want %q", m2.Fingerprint, fp)
	}
}

// signInHTTP signs in on the status page through client (given a cookie jar)
// and returns the CSRF token.
func signInHTTP(t *testing.T, base string, client *http.Client, badge string) string {
	t.Helper()
	if client.Jar == nil {
		client.Jar = newJar(t)
	}
	resp, err := client.Post(base+"/api/v1/session", "application/json", strings.NewReader(`{"badge":"`+badge+`","pin":"`+gateway.DemoPIN+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s struct{ CSRF string }
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %s %v", resp.Status, err)
	}
	return s.CSRF
}

func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}
