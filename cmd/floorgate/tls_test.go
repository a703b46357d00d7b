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
	"github.com/floorgate/floorgate/device/ws/wsclient"
)

// TestTLS: with the default tls.mode the gateway makes itself a certificate
// on first start, keeps it across restarts, serves HTTPS and WSS with it,
// and shows its fingerprint; a client pinned to another fingerprint, or
// trusting only the system's roots, is refused.
func TestTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	state := t.TempDir()
	m := startMain(t, floorgate.SystemClock{}, func(c *Config) { c.TLS.Mode = "self-signed"; c.StateDir = state })
	fp := m.Fingerprint
	if len(fp) != 95 || strings.Count(fp, ":") != 31 {
		t.Fatalf("fingerprint %q", fp)
	}
	key, err := os.Stat(filepath.Join(state, "tls", "key.pem"))
	if err != nil || key.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", key, err)
	}
	base := "https://" + m.Addr()
	pinned := &http.Client{Transport: &http.Transport{TLSClientConfig: pinnedTLS(fp)}}
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
	if _, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: pinnedTLS(wrong)}}).Get(base + "/healthz"); err == nil {
		t.Fatal("a client pinned to another fingerprint was served")
	}
	c, wel, err := wsclient.DialTLS(ctx, "wss://"+m.Addr()+"/ws/v1", "pda-tls", "token-tls", "TC21", pinnedTLS(fp))
	if err != nil || wel.Site != "demo" {
		t.Fatalf("wss with the pinned certificate: %v %+v", err, wel)
	}
	c.Close()

	// The pairing QR code carries the fingerprint.
	jar := signInHTTP(t, base, pinned, demoAdminBadge)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/devices/enrol", nil)
	req.Header.Set("X-CSRF-Token", jar)
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
	m2 := startMain(t, floorgate.SystemClock{}, func(c *Config) { c.TLS.Mode = "self-signed"; c.StateDir = state })
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
	resp, err := client.Post(base+"/api/v1/session", "application/json", strings.NewReader(`{"badge":"`+badge+`","pin":"`+demoPIN+`"}`))
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

// TestSecretsMustBePrivate: a key or a config holding a password that other
// users can read stops start-up, saying which file and how to fix it.
func TestSecretsMustBePrivate(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "gw.key")
	os.WriteFile(key, []byte("not a real key"), 0o644)
	cases := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.TLS.Mode, c.TLS.CertFile, c.TLS.KeyFile = "files", key, key },
			"config: tls.key_file: " + key + " is readable by other users (mode 0644): run chmod 600 " + key},
		{func(c *Config) { c.MQTT.KeyFile, c.MQTT.CertFile = key, key },
			"config: mqtt.key_file: " + key + " is readable by other users (mode 0644): run chmod 600 " + key},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
		c.mod(&cfg)
		m := &Main{Config: cfg}
		err := m.Run(context.Background())
		m.Close()
		if err == nil || err.Error() != c.want {
			t.Errorf("Run: %v\nwant %s", err, c.want)
		}
	}
	conf := filepath.Join(dir, "floorgate.yaml")
	os.WriteFile(conf, []byte("mqtt:\n  brokers: [\"ssl://erp.example:8883\"]\n  username: gw\n  password: s3cret\n"), 0o644)
	want := "config " + conf + ": mqtt.password: the file is readable by every user (mode 0644): run chmod 640 " + conf
	if _, err := LoadConfig(conf); err == nil || err.Error() != want {
		t.Errorf("LoadConfig: %v\nwant %s", err, want)
	}
	os.Chmod(conf, 0o640)
	if _, err := LoadConfig(conf); err != nil {
		t.Errorf("LoadConfig of a private file: %v", err)
	}
}

func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}
