package sync_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/poll"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// probe runs fgsync.Probe under a test deadline at clock's time.
func probe(t *testing.T, cfg fgsync.Config, clock floorgate.Clock, broker string) fgsync.ProbeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return fgsync.Probe(ctx, cfg, clock, broker, "floorgate-probe-test")
}

// startPasswordBroker runs Mosquitto on a free loopback port, letting in
// only user with password; it is killed when the test ends.
func startPasswordBroker(t *testing.T, user, password string) string {
	t.Helper()
	bin, err := mqtttest.Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	if out, err := exec.Command("mosquitto_passwd", "-b", "-c", passwd, user, password).CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd (make test installs mosquitto): %v\n%s", err, out)
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	conf := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous false\npassword_file %s\npersistence false\nlog_dest file %s\n",
		port, passwd, filepath.Join(dir, "mosquitto.log"))
	if os.Geteuid() == 0 {
		conf = "user root\n" + conf // as mqtttest does: mosquitto's own user cannot read the test's files
	}
	confFile := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", confFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	poll.Eventually(t, 10*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, poll.Say("mosquitto listening on "+addr))
	return "tcp://" + addr
}

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestProbeRefused: nothing listens, so the probe stops at TCP and says
// where it dialed.
func TestProbeRefused(t *testing.T) {
	addr := freeAddr(t)
	r := probe(t, fgsync.Config{}, nil, "tcp://"+addr)
	if r.Addr != addr || r.DialErr == nil || !strings.Contains(r.DialErr.Error(), "connection refused") {
		t.Fatalf("addr %q, dial error %v; want %s refused", r.Addr, r.DialErr, addr)
	}
	if r.Remote != "" || r.TLS || r.MQTT {
		t.Errorf("went past TCP: %+v", r)
	}
	if err := r.Err(); err == nil || !strings.HasPrefix(err.Error(), "tcp connect to "+addr+": ") {
		t.Errorf("Err: %v", err)
	}
	// A URL without a port is dialed on its scheme's default port.
	if r := probe(t, fgsync.Config{}, nil, "tcp://127.0.0.1"); r.Addr != "127.0.0.1:1883" {
		t.Errorf("tcp://127.0.0.1 dialed %s", r.Addr)
	}
}

// TestProbePassword: a broker that wants a password answers the CONNECT
// with the configured username and password, and the probe reads its
// verdict from the CONNACK.
func TestProbePassword(t *testing.T) {
	broker := startPasswordBroker(t, "gw", "right")
	cases := []struct {
		name, user, password string
		refused              bool
	}{
		{"right password", "gw", "right", false},
		{"wrong password", "gw", "wrong", true},
		{"anonymous", "", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := probe(t, fgsync.Config{Username: c.user, Password: c.password}, nil, broker)
			if r.DialErr != nil || r.TLS || !r.MQTT || r.SendErr != nil || r.ConnackErr != nil {
				t.Fatalf("no CONNACK: %+v (%v)", r, r.Err())
			}
			if r.Remote != strings.TrimPrefix(broker, "tcp://") {
				t.Errorf("remote %s", r.Remote)
			}
			switch {
			case !c.refused && r.Code != packets.Accepted:
				t.Errorf("CONNACK code %d, want accepted", r.Code)
			case c.refused && r.Code != packets.ErrRefusedBadUsernameOrPassword && r.Code != packets.ErrRefusedNotAuthorised:
				t.Errorf("CONNACK code %d, want 4 or 5", r.Code)
			}
			if (r.Err() != nil) != c.refused {
				t.Errorf("Err: %v", r.Err())
			}
		})
	}
}

// TestProbeTLS: mutual TLS with the configured files, the broker's
// certificate in the result, and its validity judged at the given clock's
// time.
func TestProbeTLS(t *testing.T) {
	certs := mqtttest.NewCerts(t, t.TempDir())
	b := mqtttest.StartTLS(t, certs)
	mutual := fgsync.Config{CAFile: certs.CA, CertFile: certs.ClientCert, KeyFile: certs.ClientKey}

	r := probe(t, mutual, nil, b.URL())
	if !r.TLS || r.TLSErr != nil || r.Leaf == nil || r.Leaf.Subject.CommonName != "127.0.0.1" {
		t.Fatalf("TLS: %+v (%v)", r, r.Err())
	}
	if !r.MQTT || r.ConnackErr != nil || r.Code != packets.Accepted {
		t.Fatalf("MQTT over TLS: %+v (%v)", r, r.Err())
	}

	// Over wss:// the handshake is the same, and no CONNECT follows.
	r = probe(t, mutual, nil, strings.Replace(b.URL(), "ssl://", "wss://", 1))
	if !r.TLS || r.TLSErr != nil || r.Leaf == nil || r.MQTT || r.Err() != nil {
		t.Errorf("wss://: %+v (%v)", r, r.Err())
	}

	other := mqtttest.NewCerts(t, t.TempDir())
	r = probe(t, fgsync.Config{CAFile: other.CA, CertFile: other.ClientCert, KeyFile: other.ClientKey}, nil, b.URL())
	if !r.TLS || r.TLSErr == nil || !strings.HasPrefix(r.TLSErr.Error(), "tls: failed to verify certificate: ") || r.Leaf != nil || r.MQTT {
		t.Errorf("a CA that did not sign the broker: %+v (%v)", r, r.TLSErr)
	}

	// The test certificates last a day: two days on, the broker's has expired.
	later := floorgate.NewManualClock(time.Now().Add(48 * time.Hour))
	r = probe(t, mutual, later, b.URL())
	if r.TLSErr == nil || !strings.Contains(r.TLSErr.Error(), "expired") {
		t.Errorf("at %s: %+v (%v)", later.Now(), r, r.TLSErr)
	}

	r = probe(t, fgsync.Config{CAFile: filepath.Join(t.TempDir(), "nosuch.pem")}, nil, b.URL())
	if r.DialErr != nil || !r.TLS || r.TLSConfigErr == nil || r.TLSErr != nil || r.MQTT {
		t.Errorf("unreadable CA file: %+v", r)
	}
}

// TestProbeNotMQTT: a listener that is not an MQTT broker gives no
// CONNACK; over WebSocket no CONNECT is tried.
func TestProbeNotMQTT(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			c.Close()
		}
	}()
	r := probe(t, fgsync.Config{}, nil, "tcp://"+ln.Addr().String())
	if r.DialErr != nil || !r.MQTT || r.ConnackErr == nil {
		t.Errorf("an HTTP server: %+v", r)
	}
	if err := r.Err(); err == nil || !strings.HasPrefix(err.Error(), "read CONNACK: ") {
		t.Errorf("Err: %v", err)
	}

	ws := mqtttest.StartWebsockets(t)
	r = probe(t, fgsync.Config{}, nil, ws.WebsocketURL())
	if r.DialErr != nil || r.TLS || r.MQTT || r.Err() != nil {
		t.Errorf("ws://: %+v", r)
	}
}
