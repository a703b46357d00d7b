// Package mqtttest runs a real Mosquitto broker for tests: on a free port
// of the loopback interface, as a child process the test can kill, freeze
// and restart. It is test support only; nothing in floorgate's daemon
// imports it.
package mqtttest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Broker is a Mosquitto process owned by a test.
type Broker struct {
	t      testing.TB
	scheme string
	Port   int
	// WSPort is the MQTT-over-WebSockets listener's port, 0 for none; see
	// StartWebsockets.
	WSPort int
	conf   string
	log    string
	cmd    *exec.Cmd
}

// Binary finds mosquitto; make test installs it.
func Binary() (string, error) {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("mosquitto is not installed (make test installs it: apt-get install mosquitto)")
}

// Start runs a broker on a free port; it is killed when the test ends.
func Start(t testing.TB) *Broker {
	t.Helper()
	return start(t, listenerConf, "tcp", 0)
}

// StartWebsockets runs a broker like Start's that also speaks MQTT over
// WebSockets on a second free port; see WebsocketURL.
func StartWebsockets(t testing.TB) *Broker {
	t.Helper()
	wsPort := freePort(t)
	return start(t, func(port int, logFile string) string {
		return listenerConf(port, logFile) + fmt.Sprintf("listener %d 127.0.0.1\nprotocol websockets\n", wsPort)
	}, "tcp", wsPort)
}

// listenerConf is the plain part of every test broker's configuration.
func listenerConf(port int, logFile string) string {
	user := ""
	if os.Geteuid() == 0 {
		// As root, mosquitto would switch to its own user, which cannot
		// read the test's private temporary files.
		user = "user root\n"
	}
	return user + fmt.Sprintf(`listener %d 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_inflight_messages 1000
max_keepalive 600
log_dest file %s
log_type error
log_type warning
`, port, logFile)
}

// freePort is a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func start(t testing.TB, conf func(port int, logFile string) string, scheme string, wsPort int) *Broker {
	t.Helper()
	port := freePort(t)
	dir := t.TempDir()
	b := &Broker{t: t, Port: port, WSPort: wsPort, scheme: scheme, conf: filepath.Join(dir, "mosquitto.conf"), log: filepath.Join(dir, "mosquitto.log")}
	if err := os.WriteFile(b.conf, []byte(conf(port, b.log)), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Restart()
	t.Cleanup(b.Kill)
	return b
}

// URL is the broker's address for clients.
func (b *Broker) URL() string { return fmt.Sprintf("%s://127.0.0.1:%d", b.scheme, b.Port) }

// WebsocketURL is the ws:// address of the WebSockets listener, "" without
// one.
func (b *Broker) WebsocketURL() string {
	if b.WSPort == 0 {
		return ""
	}
	return fmt.Sprintf("ws://127.0.0.1:%d", b.WSPort)
}

// Restart starts the broker process (again) on the same ports and waits
// until it accepts connections on each.
func (b *Broker) Restart() {
	b.t.Helper()
	bin, err := Binary()
	if err != nil {
		b.t.Fatal(err)
	}
	b.cmd = exec.Command(bin, "-c", b.conf)
	var stderr strings.Builder
	b.cmd.Stderr = &stderr
	if err := b.cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, port := range []int{b.Port, b.WSPort} {
		if port == 0 {
			continue
		}
		for {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				raw, _ := os.ReadFile(b.log)
				b.t.Fatalf("mosquitto did not start on port %d: %v\n%s%s", port, err, raw, stderr.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Kill ends the broker with SIGKILL: everything it held in memory is gone.
func (b *Broker) Kill() {
	if b.cmd == nil || b.cmd.Process == nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGCONT)
	b.cmd.Process.Kill()
	b.cmd.Wait()
	b.cmd = nil
}

// Freeze stops the broker with SIGSTOP: connections stay open, nothing moves.
func (b *Broker) Freeze() { b.cmd.Process.Signal(syscall.SIGSTOP) }

// Thaw resumes a frozen broker.
func (b *Broker) Thaw() { b.cmd.Process.Signal(syscall.SIGCONT) }

// Watch subscribes to topic on broker and delivers each message's payload.
func Watch(t testing.TB, broker, topic string) <-chan []byte {
	t.Helper()
	ch := make(chan []byte, 64)
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprint("watch-", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("watch %s: %v", topic, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) {
		select {
		case ch <- m.Payload():
		default:
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("watch %s: %v", topic, tok.Error())
	}
	return ch
}
