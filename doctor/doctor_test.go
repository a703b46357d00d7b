package doctor

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// doctorNow is the clock every doctor test reads; certificates are made
// relative to it.
var doctorNow = time.Now().UTC().Truncate(time.Second)

// doctorRun runs the doctor on a configuration file holding yaml and
// returns its lines (with the summary, from the output or the error).
func doctorRun(t *testing.T, yaml string) (lines []string, conf string, err error) {
	t.Helper()
	return doctorRunWith(t, yaml, nil)
}

// doctorRunWith is doctorRun with set changing the doctor first.
func doctorRunWith(t *testing.T, yaml string, set func(*Doctor)) (lines []string, conf string, err error) {
	t.Helper()
	conf = filepath.Join(t.TempDir(), "floorgate.yaml")
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	d := &Doctor{ConfigPath: conf, Now: func() time.Time { return doctorNow },
		NTPSynchronized: func(context.Context) (string, error) { return "yes", nil }}
	if set != nil {
		set(d)
	}
	start := time.Now()
	err = d.Run(context.Background(), &out)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("doctor took %v", took)
	}
	lines = strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if err != nil {
		lines = append(lines, err.Error())
	}
	return lines, conf, err
}

// stateDir is a fresh state directory with mode.
func stateDir(t *testing.T, mode os.FileMode) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return dir
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// baseYAML is a configuration with nothing to reach but what extra adds;
// set replaces top-level keys (tls, mqtt, listen).
func baseYAML(dir, extra string, set ...string) string {
	keys := map[string]string{"listen": "127.0.0.1:0", "tls": "{mode: 'off'}", "mqtt": "{embedded_listen: '127.0.0.1:0'}"}
	for i := 0; i+1 < len(set); i += 2 {
		keys[set[i]] = set[i+1]
	}
	return fmt.Sprintf("state_dir: %s\nstore: {max_size_mb: 16}\nlisten: %s\ntls: %s\nmqtt: %s\n%s", dir, keys["listen"], keys["tls"], keys["mqtt"], extra)
}

// assertLines compares lines with want; a want with "*" matches any text
// in its place.
func assertLines(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !lineMatches(got[i], want[i]) {
			t.Errorf("line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func lineMatches(got, want string) bool {
	parts := strings.Split(want, "*")
	if len(parts) == 1 {
		return got == want
	}
	if !strings.HasPrefix(got, parts[0]) {
		return false
	}
	got = got[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(got, p)
		if i < 0 {
			return false
		}
		got = got[i+len(p):]
	}
	return strings.HasSuffix(got, parts[len(parts)-1])
}

// linesOf are the lines of the checks whose name starts with check.
func linesOf(lines []string, check string) []string {
	var out []string
	for _, l := range lines {
		if len(l) > 5 && strings.HasPrefix(l[5:], check) {
			out = append(out, l)
		}
	}
	return out
}

func TestDoctorHealthy(t *testing.T) {
	dir := stateDir(t, 0o750)
	lbl := printertest.StartTCP(t, printer.ZPL, nil)
	broker := mqtttest.Start(t)
	listen := freeAddr(t)
	yaml := fmt.Sprintf(`state_dir: %s
listen: %s
store: {max_size_mb: 16}
tls: {mode: 'off'}
mqtt: {brokers: ['%s']}
printers:
  - {id: lbl-1, dialect: zpl, address: 'tcp://%s', dpi: 203, stations: [pack-1]}
`, dir, listen, broker.URL(), lbl.Addr())
	lines, conf, err := doctorRun(t, yaml)
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(lines, "\n"))
	}
	assertLines(t, lines, []string{
		"ok   config: " + conf + " is valid: site demo, gateway gw-1, 1 printers, 0 scanners, 1 brokers",
		"ok   device profiles: 18 profiles (shipped)",
		"ok   label templates: 9 templates (shipped); waybills on 100x180 stock in zh unless a station says otherwise",
		fmt.Sprintf("ok   state directory: %s: owner %s, mode 0750, writable by %s", dir, currentUser(), currentUser()),
		"ok   disk space: * free on the filesystem of " + dir + " (store.max_size_mb 16)",
		"ok   database: " + dir + "/floorgate.db does not exist yet (made on first start)",
		"ok   credentials: no certificate or key files configured (tls.mode off)",
		"ok   devices: no serial, usblp or USB devices configured",
		"ok   printer lbl-1: tcp://" + lbl.Addr() + " answers: ready (zpl)",
		"ok   broker " + broker.URL() + ": TCP connect ok; MQTT CONNECT accepted",
		"ok   clock: " + doctorNow.Format(time.RFC3339) + ", NTP synchronised",
		"ok   listener " + listen + ": free for the daemon",
		"ok   local socket " + dir + "/floorgate.sock: the gateway is not running; it makes the socket at start",
		"doctor: 13 ok, 0 warnings, 0 failed",
	})
}

// TestDoctorBadTemplate: a bad template in labels.templates_dir fails the
// doctor as it would fail start-up, naming the file and the field.
func TestDoctorBadTemplate(t *testing.T) {
	dir := stateDir(t, 0o750)
	tdir := t.TempDir()
	bad := filepath.Join(tdir, "ours.yaml")
	os.WriteFile(bad, []byte("id: ours\nversion: 1\ntitle: Ours\nkind: waybill\ncarriers: [SF]\nmedia: 100x150\nelements: []\n"), 0o644)
	lines, _, err := doctorRun(t, fmt.Sprintf("state_dir: %s\ntls: {mode: 'off'}\nlabels: {templates_dir: %s}\n", dir, tdir))
	if err == nil {
		t.Fatalf("doctor passed a bad template:\n%s", strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "FAIL label templates: ") && strings.Contains(l, bad) && strings.Contains(l, "elements: missing") {
			return
		}
	}
	t.Fatalf("no label templates failure naming %s:\n%s", bad, strings.Join(lines, "\n"))
}

// writeCert writes a self-signed certificate for CN floorgate valid from
// notBefore to notAfter, and its key with keyMode.
func writeCert(t *testing.T, dir string, notBefore, notAfter time.Time, keyMode os.FileMode) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "floorgate"},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), keyMode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyFile, keyMode); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestDoctorCredentials(t *testing.T) {
	day := 24 * time.Hour
	date := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	cases := []struct {
		name      string
		from, to  time.Time
		keyMode   os.FileMode
		otherKey  bool
		want      func(cert, key string) []string
		wantError bool
	}{
		{"good", doctorNow.Add(-day), doctorNow.Add(365 * day), 0o600, false, func(cert, key string) []string {
			return []string{
				"ok   credentials tls.cert_file: " + cert + ": CN=floorgate, valid until " + date(doctorNow.Add(365*day)) + ", matches tls.key_file",
				"ok   credentials tls.key_file: " + key + ": private key, mode 0600",
			}
		}, false},
		{"key readable by others", doctorNow.Add(-day), doctorNow.Add(365 * day), 0o644, false, func(cert, key string) []string {
			return []string{
				"ok   credentials tls.cert_file: " + cert + ": CN=floorgate, valid until " + date(doctorNow.Add(365*day)) + ", matches tls.key_file",
				"FAIL credentials tls.key_file: private key " + key + " is readable by group or others (mode 0644) — fix: chmod 600 " + key,
			}
		}, true},
		{"expired", doctorNow.Add(-30 * day), doctorNow.Add(-day), 0o600, false, func(cert, key string) []string {
			return []string{
				"FAIL credentials tls.cert_file: " + cert + ": CN=floorgate expired on " + date(doctorNow.Add(-day)) + " — fix: renew the certificate and replace " + cert,
				"ok   credentials tls.key_file: " + key + ": private key, mode 0600",
			}
		}, true},
		{"expiring soon", doctorNow.Add(-30 * day), doctorNow.Add(3 * day), 0o600, false, func(cert, key string) []string {
			return []string{
				"WARN credentials tls.cert_file: " + cert + ": CN=floorgate expires on " + date(doctorNow.Add(3*day)) + ", within 14 days — fix: renew the certificate and replace " + cert,
				"ok   credentials tls.key_file: " + key + ": private key, mode 0600",
			}
		}, false},
		{"key of another certificate", doctorNow.Add(-day), doctorNow.Add(365 * day), 0o600, true, func(cert, key string) []string {
			return []string{
				"FAIL credentials tls.cert_file: " + cert + " does not match tls.key_file " + key + ": tls: private key does not match public key — fix: give the key " + cert + " was issued for, or edit *",
				"ok   credentials tls.key_file: " + key + ": private key, mode 0600",
			}
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := t.TempDir()
			cert, key := writeCert(t, files, c.from, c.to, c.keyMode)
			if c.otherKey {
				_, key = writeCert(t, t.TempDir(), c.from, c.to, c.keyMode)
			}
			yaml := baseYAML(stateDir(t, 0o700), "", "tls", fmt.Sprintf("{mode: files, cert_file: %s, key_file: %s}", cert, key))
			lines, _, err := doctorRun(t, yaml)
			assertLines(t, linesOf(lines, "credentials"), c.want(cert, key))
			if (err != nil) != c.wantError {
				t.Fatalf("error %v, want one: %v", err, c.wantError)
			}
		})
	}
}

func TestDoctorPrinters(t *testing.T) {
	down := freeAddr(t)
	paperOut := printertest.StartTCP(t, printer.TSPL, []printer.State{{Online: true, PaperOut: true}})
	silent := printertest.StartTCP(t, printer.ZPL, []printer.State{{Online: false}})
	serialLbl := printertest.StartPTY(t, printer.ESCPOS, nil)
	yaml := baseYAML(stateDir(t, 0o700), fmt.Sprintf(`stations: [pack-1, pack-7]
printers:
  - {id: lbl-down, dialect: zpl, address: 'tcp://%s', dpi: 203, stations: [pack-1]}
  - {id: lbl-paper, dialect: tspl, address: 'tcp://%s', dpi: 203, stations: [pack-1]}
  - {id: lbl-silent, dialect: zpl, address: 'tcp://%s', dpi: 203, stations: [pack-1]}
  - {id: rcpt-1, dialect: escpos, address: 'serial://%s', dpi: 203, stations: [pack-1]}
`, down, paperOut.Addr(), silent.Addr(), serialLbl.Path()))
	lines, conf, err := doctorRun(t, yaml)
	assertLines(t, linesOf(lines, "printer "), []string{
		"FAIL printer lbl-down: tcp://" + down + " unreachable: * — fix: check the printer is on and connected, and its address in " + conf,
		"WARN printer lbl-paper: tcp://" + paperOut.Addr() + " answers: paper out — fix: fix the printer (paper out); jobs wait until it is ready",
		"FAIL printer lbl-silent: tcp://" + silent.Addr() + " did not answer a zpl status query — fix: check the printer is on and connected, and its address in " + conf,
		"ok   printer rcpt-1: serial://" + serialLbl.Path() + " answers: ready (escpos)",
	})
	assertLines(t, linesOf(lines, "device printer"), []string{"ok   device printer rcpt-1: " + serialLbl.Path() + " opens read-write"})
	assertLines(t, linesOf(lines, "station "), []string{
		"WARN station pack-7: no printer serves pack station pack-7: its waybills would be held, not printed — fix: add pack-7 to a printer's stations in " + conf + ", or remove it from stations",
	})
	if err == nil || err.Error() != "doctor: 13 ok, 2 warnings, 2 failed" {
		t.Fatalf("summary error: %v", err)
	}
}

func TestDoctorStateDirAndDevices(t *testing.T) {
	cases := []struct {
		name string
		mode os.FileMode
		want string
	}{
		{"world-writable", 0o777, "FAIL state directory: %[1]s is world-writable (mode 0777) — fix: chmod 750 %[1]s"},
		{"world-readable", 0o755, "WARN state directory: %[1]s is readable by others (mode 0755); the database holds PIN and token hashes — fix: chmod 750 %[1]s"},
		{"private", 0o700, "ok   state directory: %[1]s: owner *, mode 0700, writable by *"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := stateDir(t, c.mode)
			missing := filepath.Join(t.TempDir(), "ttyNOPE")
			yaml := baseYAML(dir, fmt.Sprintf("scanners:\n  - {id: s1, profile: Zebra DS2208, address: 'serial://%s', station: st-1}\n", missing))
			lines, conf, _ := doctorRun(t, yaml)
			assertLines(t, linesOf(lines, "state directory"), []string{fmt.Sprintf(c.want, dir)})
			assertLines(t, linesOf(lines, "device scanner"), []string{
				"WARN device scanner s1: " + missing + " does not exist (unplugged?) — fix: plug it in, or correct the address in " + conf + "; floorgate devices lists what is attached",
			})
		})
	}
}

func TestDoctorDatabaseInUse(t *testing.T) {
	dir := stateDir(t, 0o700)
	site, err := gateway.DefaultConfig().SiteInfo()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "floorgate.db")
	db, err := store.Open(path, store.Options{Site: site})
	if err != nil {
		t.Fatal(err)
	}
	lines, _, _ := doctorRun(t, baseYAML(dir, ""))
	assertLines(t, linesOf(lines, "database"), []string{"ok   database: " + path + ": *iB, in use by the running daemon"})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	lines, _, _ = doctorRun(t, baseYAML(dir, ""))
	assertLines(t, linesOf(lines, "database"), []string{"ok   database: " + path + ": *iB, not open: no daemon is running on it"})
}

func TestDoctorBrokers(t *testing.T) {
	down := "tcp://" + freeAddr(t)
	certs := mqtttest.NewCerts(t, t.TempDir())
	secure := mqtttest.StartTLS(t, certs)
	t.Run("down", func(t *testing.T) {
		lines, conf, err := doctorRun(t, baseYAML(stateDir(t, 0o700), "", "mqtt", "{brokers: ['"+down+"']}"))
		assertLines(t, linesOf(lines, "broker"), []string{
			"FAIL broker " + down + ": TCP connect to " + strings.TrimPrefix(down, "tcp://") + ": * — fix: check the broker is running, the address in " + conf + " and the firewall",
		})
		if err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("mutual TLS", func(t *testing.T) {
		yaml := baseYAML(stateDir(t, 0o700), "", "mqtt", fmt.Sprintf("{brokers: ['%s'], ca_file: %s, cert_file: %s, key_file: %s}",
			secure.URL(), certs.CA, certs.ClientCert, certs.ClientKey))
		lines, _, err := doctorRun(t, yaml)
		assertLines(t, linesOf(lines, "broker"), []string{
			"WARN broker " + secure.URL() + ": TLS ok: server CN=127.0.0.1, expires on " + doctorNow.Add(24*time.Hour).Format(time.DateOnly) + ", within 14 days; MQTT CONNECT accepted — fix: ask the broker's administrator to renew its certificate",
		})
		if err != nil {
			t.Fatalf("%v\n%s", err, strings.Join(lines, "\n"))
		}
	})
	t.Run("wrong CA", func(t *testing.T) {
		other := mqtttest.NewCerts(t, t.TempDir())
		yaml := baseYAML(stateDir(t, 0o700), "", "mqtt", fmt.Sprintf("{brokers: ['%s'], ca_file: %s, cert_file: %s, key_file: %s}",
			secure.URL(), other.CA, other.ClientCert, other.ClientKey))
		lines, _, _ := doctorRun(t, yaml)
		assertLines(t, linesOf(lines, "broker"), []string{
			"FAIL broker " + secure.URL() + ": TLS handshake with *: tls: failed to verify certificate: * — fix: check mqtt.ca_file is the CA that signed the broker's certificate, the clock, and the client certificate",
		})
	})
}

func TestDoctorBadConfigSkipsTheRest(t *testing.T) {
	lines, conf, err := doctorRun(t, "store:\n  max_size_mb: 1\n")
	assertLines(t, lines, []string{
		"FAIL config: config " + conf + ": store.max_size_mb: 1 is below the minimum of 16 — fix: edit " + conf,
		"skip device profiles: not checked: the configuration did not load",
		"skip state directory: not checked: the configuration did not load",
		"skip credentials: not checked: the configuration did not load",
		"skip devices: not checked: the configuration did not load",
		"skip printers: not checked: the configuration did not load",
		"skip brokers: not checked: the configuration did not load",
		"skip listener: not checked: the configuration did not load",
		"skip local socket: not checked: the configuration did not load",
		"ok   clock: " + doctorNow.Format(time.RFC3339) + ", NTP synchronised",
		"doctor: 1 ok, 0 warnings, 1 failed, 8 skipped",
	})
	if err == nil {
		t.Fatal("no error")
	}
}

func TestDoctorListener(t *testing.T) {
	t.Run("our daemon", func(t *testing.T) {
		// A running gateway: it answers on its local socket, which is open
		// to its user and group alone.
		m := startGateway(t)
		sock := m.Config.SocketPath()
		lines, _, _ := doctorRun(t, baseYAML(m.Config.StateDir, "", "listen", m.Addr()))
		assertLines(t, linesOf(lines, "listener"), []string{
			fmt.Sprintf("ok   listener %s: in use by the running floorgate (its local socket %s answers)", m.Addr(), sock)})
		assertLines(t, linesOf(lines, "local socket"), []string{
			"ok   local socket " + sock + ": mode 0660, owner *, group *: root and group * administer the gateway"})
	})
	t.Run("something else", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.NotFoundHandler()}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		addr := ln.Addr().String()
		lines, _, _ := doctorRun(t, baseYAML(stateDir(t, 0o700), "", "listen", addr))
		assertLines(t, linesOf(lines, "listener"), []string{fmt.Sprintf(
			"FAIL listener %[1]s: %[1]s is in use by a program that is not this gateway: none answers on its local socket * — fix: stop the program on %[1]s (ss -ltnp), or change listen in *", addr)})
	})
}

func TestDoctorClock(t *testing.T) {
	cases := []struct {
		name string
		now  time.Time
		ntp  string
		err  error
		want string
	}{
		{"synchronised", doctorNow, "yes", nil, "ok   clock: %s, NTP synchronised"},
		{"not synchronised", doctorNow, "no", nil, "WARN clock: %s; clock not synchronised (NTPSynchronized=no) — fix: enable systemd-timesyncd (timedatectl set-ntp true) and let it reach an NTP server"},
		{"no systemd", doctorNow, "", fmt.Errorf("timedatectl: exit status 1"), "ok   clock: %s; NTP state unknown (timedatectl: exit status 1)"},
		{"lost its time", time.Date(1970, 1, 1, 0, 0, 5, 0, time.UTC), "yes", nil, "FAIL clock: %s is before 2026-01-01: certificates and event times will be wrong — fix: set the clock (timedatectl set-time) and enable systemd-timesyncd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := clockCheck{ntp: func(context.Context) (string, error) { return c.ntp, c.err }}
			got := clock.Run(context.Background(), &Site{Now: func() time.Time { return c.now }})
			assertLines(t, []string{got[0].String()}, []string{fmt.Sprintf(c.want, c.now.Format(time.RFC3339))})
		})
	}
}

// startGateway runs a gateway on the shipped defaults (TLS on) with the
// demo site, on free loopback ports.
func startGateway(t *testing.T, mods ...func(*gateway.Config)) *gateway.Gateway {
	t.Helper()
	cfg := gateway.DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	for _, mod := range mods {
		mod(&cfg)
	}
	g := gateway.New(cfg)
	g.Demo = true
	if err := g.Start(context.Background()); err != nil {
		g.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// TestDoctorEmbeddedBroker: the embedded broker's address is free, or held
// by the running gateway's broker, which refuses clients without a
// password; anonymous access in the configuration is a warning, and a
// broker there that lets anyone in is a failure.
func TestDoctorEmbeddedBroker(t *testing.T) {
	t.Run("free", func(t *testing.T) {
		addr := freeAddr(t)
		lines, _, _ := doctorRun(t, baseYAML(stateDir(t, 0o700), "", "mqtt", "{embedded_listen: '"+addr+"'}"))
		assertLines(t, linesOf(lines, "broker"), []string{
			"ok   broker (embedded) " + addr + ": no brokers configured; the embedded broker's address is free; 0 users besides the gateway, no anonymous access"})
	})
	t.Run("anonymous allowed", func(t *testing.T) {
		addr := freeAddr(t)
		lines, _, _ := doctorRun(t, baseYAML(stateDir(t, 0o700), "", "mqtt", "{embedded_listen: '"+addr+"', embedded: {allow_anonymous: true}}"))
		assertLines(t, linesOf(lines, "broker"), []string{
			"WARN broker (embedded) " + addr + ": the address is free; anyone on this machine will read the site's events without a password — fix: set mqtt.embedded.allow_anonymous: false and give tools a user (mqtt.embedded.users)"})
	})
	t.Run("the running gateway's", func(t *testing.T) {
		g := startGateway(t)
		addr := g.Broker.Addr()
		lines, _, _ := doctorRun(t, baseYAML(g.Config.StateDir, "", "mqtt", "{embedded_listen: '"+addr+"'}", "listen", g.Addr(), "tls", "{mode: self-signed}"))
		assertLines(t, linesOf(lines, "broker"), []string{
			"ok   broker (embedded) " + addr + ": in use by the running daemon's embedded broker, which refuses clients without a password"})
	})
	t.Run("a broker that lets anyone in", func(t *testing.T) {
		g := startGateway(t, func(c *gateway.Config) { c.MQTT.Embedded.AllowAnonymous = true })
		addr := g.Broker.Addr()
		lines, _, _ := doctorRun(t, baseYAML(g.Config.StateDir, "", "mqtt", "{embedded_listen: '"+addr+"'}", "listen", g.Addr(), "tls", "{mode: self-signed}"))
		assertLines(t, linesOf(lines, "broker"), []string{
			"FAIL broker (embedded) " + addr + ": the broker on " + addr + " lets clients in without a password — fix: restart the gateway: it runs with an older configuration, or another broker holds the address"})
	})
}
