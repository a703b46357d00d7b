package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/device/ws/wsclient"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
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
	m := gatewaytest.StartDemo(t, floorgate.SystemClock{}, func(c *gateway.Config) { c.StateDir = state })
	fp := m.Fingerprint
	if len(fp) != 95 || strings.Count(fp, ":") != 31 {
		t.Fatalf("fingerprint %q", fp)
	}
	key, err := os.Stat(filepath.Join(state, "tls", "key.pem"))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", key, err)
	}
	base := "https://" + m.Addr()
	remote := func(base, fingerprint string) *client.Client {
		t.Helper()
		c, err := client.Remote(base, client.Options{Fingerprint: fingerprint})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	pinned := remote(base, fp)
	// An admin signed in over HTTPS reads the status.
	if _, err := pinned.SignIn(ctx, gateway.DemoAdminBadge, gateway.DemoPIN); err != nil {
		t.Fatal(err)
	}
	var st struct {
		TLSFingerprint string `json:"tls_fingerprint"`
	}
	if err := pinned.Get(ctx, "/api/v1/status", &st); err != nil {
		t.Fatal(err)
	}
	if st.TLSFingerprint != fp {
		t.Fatalf("status shows fingerprint %q, want %q", st.TLSFingerprint, fp)
	}
	if err := remote(base, "").Do(ctx, "GET", "/healthz", nil, nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a client trusting the system roots: %v", err)
	}
	if r, err := remote("http://"+m.Addr(), "").Raw(ctx, "GET", "/healthz", nil, nil); err == nil {
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP served next to HTTPS")
		}
	}
	wrong := strings.Replace(fp, fp[:2], "00", 1)
	if fp[:2] == "00" {
		wrong = strings.Replace(fp, fp[:2], "11", 1)
	}
	if err := remote(base, wrong).Do(ctx, "GET", "/healthz", nil, nil); err == nil {
		t.Fatal("a client pinned to another fingerprint was served")
	}
	pinnedTLS, err := client.PinnedTLS(fp)
	if err != nil {
		t.Fatal(err)
	}
	c, wel, err := wsclient.DialTLS(ctx, "wss://"+m.Addr()+"/ws/v1", "pda-tls", daemontest.DeviceToken("pda-tls"), "TC21", pinnedTLS)
	if err != nil || wel.Site != "demo" {
		t.Fatalf("wss with the pinned certificate: %v %+v", err, wel)
	}
	c.Close()

	// The pairing QR code carries the fingerprint.
	var enrol struct{ URL, Fingerprint string }
	if err := pinned.Post(ctx, "/api/v1/devices/enrol", nil, &enrol); err != nil {
		t.Fatal(err)
	}
	if enrol.Fingerprint != fp || !strings.HasSuffix(enrol.URL, "&fp="+strings.ReplaceAll(fp, ":", "")) || !strings.HasPrefix(enrol.URL, "https://") {
		t.Fatalf("pairing %+v", enrol)
	}

	// Restarted on the same state: the same certificate.
	m.Close()
	m2 := gatewaytest.StartDemo(t, floorgate.SystemClock{}, func(c *gateway.Config) { c.StateDir = state })
	if m2.Fingerprint != fp {
		t.Fatalf("fingerprint after restart %q, want %q", m2.Fingerprint, fp)
	}
}
