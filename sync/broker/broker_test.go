package broker

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// wait bounds every wait on the broker: generous for a loaded CI box, and
// nothing in these tests takes more than milliseconds when it works.
const wait = 10 * time.Second

func startBroker(t *testing.T, opts Options) *Broker {
	t.Helper()
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	b, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// clientOptions are MQTT 3.1.1 options for a paho client of b that never
// reconnects by itself: each test decides when a connection comes back.
func clientOptions(b *Broker, id string) *paho.ClientOptions {
	return paho.NewClientOptions().
		AddBroker(b.URL()).
		SetClientID(id).
		SetProtocolVersion(4).
		SetAutoReconnect(false).
		SetConnectTimeout(wait).
		SetWriteTimeout(wait).
		SetOrderMatters(false)
}

func connect(t *testing.T, opts *paho.ClientOptions) paho.Client {
	t.Helper()
	c := paho.NewClient(opts)
	await(t, c.Connect(), "connect "+opts.ClientID)
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

func await(t *testing.T, tok paho.Token, what string) {
	t.Helper()
	select {
	case <-tok.Done():
	case <-time.After(wait):
		t.Fatalf("%s: no answer within %v", what, wait)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// inbox collects messages delivered to a client.
type inbox chan paho.Message

func newInbox() inbox { return make(inbox, 256) }

func (in inbox) handle(_ paho.Client, m paho.Message) { in <- m }

func (in inbox) next(t *testing.T, what string) paho.Message {
	t.Helper()
	select {
	case m := <-in:
		return m
	case <-time.After(wait):
		t.Fatalf("%s: no message within %v", what, wait)
		return nil
	}
}

func subscribe(t *testing.T, c paho.Client, filter string) inbox {
	t.Helper()
	in := newInbox()
	await(t, c.Subscribe(filter, 1, in.handle), "subscribe "+filter)
	return in
}

func publish(t *testing.T, c paho.Client, topic string, retained bool, payload string) {
	t.Helper()
	await(t, c.Publish(topic, 1, retained, payload), "publish to "+topic)
}

func TestQoS1PublishArrives(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	sub := connect(t, clientOptions(b, "sub"))
	pub := connect(t, clientOptions(b, "pub"))
	in := subscribe(t, sub, "site/scans/+")

	publish(t, pub, "site/scans/dock-1", false, "4006381333931")

	m := in.next(t, "subscriber")
	if m.Topic() != "site/scans/dock-1" || string(m.Payload()) != "4006381333931" || m.Qos() != 1 {
		t.Errorf("got topic %q payload %q qos %d, want site/scans/dock-1 4006381333931 qos 1", m.Topic(), m.Payload(), m.Qos())
	}
}

func TestRetainedReachesLaterSubscriber(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	pub := connect(t, clientOptions(b, "pub"))
	// PUBACK comes after mochi has stored the retained message.
	publish(t, pub, "site/devices/printer-1/state", true, "online")

	sub := connect(t, clientOptions(b, "late-sub"))
	in := subscribe(t, sub, "site/devices/+/state")

	m := in.next(t, "late subscriber")
	if string(m.Payload()) != "online" || !m.Retained() {
		t.Errorf("got payload %q retained %v, want online retained", m.Payload(), m.Retained())
	}
}

func TestLastWillOnAbruptClose(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	sub := connect(t, clientOptions(b, "watcher"))
	in := subscribe(t, sub, "site/gateways/+/status")

	conns := make(chan net.Conn, 1)
	opts := clientOptions(b, "gateway-1").
		SetWill("site/gateways/gateway-1/status", "offline", 1, false).
		SetCustomOpenConnectionFn(func(u *url.URL, _ paho.ClientOptions) (net.Conn, error) {
			c, err := net.DialTimeout("tcp", u.Host, wait)
			if err == nil {
				conns <- c
			}
			return c, err
		})
	connect(t, opts)
	conn := <-conns

	// What a gateway losing power looks like to the broker: no DISCONNECT.
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}

	m := in.next(t, "watcher")
	if m.Topic() != "site/gateways/gateway-1/status" || string(m.Payload()) != "offline" {
		t.Errorf("got %q on %q, want the will offline on site/gateways/gateway-1/status", m.Payload(), m.Topic())
	}
}

func TestPersistentSessionGetsMessagesSentWhileAway(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	pub := connect(t, clientOptions(b, "pub"))

	// A new paho client has no local route for the old session's
	// subscription, so everything goes through the default handler.
	in := newInbox()
	opts := clientOptions(b, "label-station").
		SetCleanSession(false).
		SetDefaultPublishHandler(in.handle)

	away := paho.NewClient(opts)
	await(t, away.Connect(), "first connect")
	await(t, away.Subscribe("site/labels/#", 1, nil), "subscribe")
	away.Disconnect(0)

	publish(t, pub, "site/labels/print", false, "job-17")
	// mochi sends PUBACK before it routes the message; the PUBACK for a
	// second message from the same connection means the first is routed,
	// since mochi handles one connection's packets in order. The second goes
	// to a topic the station does not subscribe to.
	publish(t, pub, "site/elsewhere", false, "fence")

	connect(t, opts)

	m := in.next(t, "reconnected station")
	if m.Topic() != "site/labels/print" || string(m.Payload()) != "job-17" || m.Qos() != 1 {
		t.Errorf("got %q on %q qos %d, want job-17 on site/labels/print qos 1", m.Payload(), m.Topic(), m.Qos())
	}
}

func TestPersistentSessionIsPresentOnReconnect(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	opts := clientOptions(b, "pda-7").SetCleanSession(false)

	first := paho.NewClient(opts)
	tok := first.Connect()
	await(t, tok, "first connect")
	if tok.(*paho.ConnectToken).SessionPresent() {
		t.Error("first connect: session present, want a new session")
	}
	await(t, first.Subscribe("site/tasks/pda-7", 1, nil), "subscribe")
	first.Disconnect(0)

	second := paho.NewClient(opts)
	tok = second.Connect()
	await(t, tok, "second connect")
	t.Cleanup(func() { second.Disconnect(0) })
	if !tok.(*paho.ConnectToken).SessionPresent() {
		t.Error("second connect: no session present, want the session kept")
	}
}

func TestSharedSubscriptionSplitsMessages(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	in := newInbox()
	got := map[string][]string{} // worker -> payloads
	var mu sync.Mutex
	for _, worker := range []string{"worker-a", "worker-b"} {
		c := connect(t, clientOptions(b, worker))
		await(t, c.Subscribe("$share/pickers/site/jobs", 1, func(_ paho.Client, m paho.Message) {
			mu.Lock()
			got[worker] = append(got[worker], string(m.Payload()))
			mu.Unlock()
			in <- m
		}), "subscribe "+worker)
	}
	pub := connect(t, clientOptions(b, "dispatcher"))

	const n = 40
	want := map[string]bool{}
	for i := range n {
		p := fmt.Sprintf("job-%02d", i)
		want[p] = true
		publish(t, pub, "site/jobs", false, p)
	}
	seen := map[string]bool{}
	for range n {
		m := in.next(t, "shared group")
		p := string(m.Payload())
		if seen[p] {
			t.Errorf("%s delivered twice", p)
		}
		seen[p] = true
	}
	for p := range want {
		if !seen[p] {
			t.Errorf("%s never delivered", p)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	// mochi picks a group member at random, so one worker getting all 40
	// would happen once in 2^39 runs.
	if len(got["worker-a"]) == 0 || len(got["worker-b"]) == 0 {
		t.Errorf("worker-a got %d, worker-b got %d: want both to get some", len(got["worker-a"]), len(got["worker-b"]))
	}
}

func TestCloseFreesPort(t *testing.T) {
	t.Parallel()
	b, err := Start(Options{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()

	// A connection that never sends CONNECT: mochi alone would wait on it
	// forever when closing.
	silent, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	lost := make(chan error, 1)
	c := paho.NewClient(clientOptions(b, "client").SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err }))
	await(t, c.Connect(), "connect")
	defer c.Disconnect(0)

	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(wait):
		t.Fatalf("Close did not return within %v", wait)
	}

	select {
	case <-lost:
	case <-time.After(wait):
		t.Errorf("client not disconnected within %v of Close", wait)
	}
	if err := silent.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	// EOF or a reset: anything but data or the deadline.
	if _, err := silent.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("silent connection still open after Close (read: %v)", err)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("port not free after Close: %v", err)
	}
	ln.Close()

	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestOversizedPublishDropsConnection(t *testing.T) {
	t.Parallel()
	const limit = 1024
	var logs lockedBuffer
	b := startBroker(t, Options{MaxMessageBytes: limit, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	sub := connect(t, clientOptions(b, "sub"))
	in := subscribe(t, sub, "site/big")
	wills := subscribe(t, sub, "site/will")

	lost := make(chan error, 1)
	pub := connect(t, clientOptions(b, "pub").
		SetWill("site/will", "pub gone", 1, false).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err }))

	// A QoS 1 PUBLISH from paho is 1 fixed-header byte, 2 length bytes,
	// 2+len(topic) topic bytes, 2 packet-id bytes and the payload: exactly
	// the limit here.
	atLimit := strings.Repeat("a", limit-(1+2+2+len("site/big")+2))
	publish(t, pub, "site/big", false, atLimit)
	if m := in.next(t, "at-limit message"); len(m.Payload()) != len(atLimit) {
		t.Fatalf("got %d bytes, want %d", len(m.Payload()), len(atLimit))
	}

	tok := pub.Publish("site/big", 1, false, strings.Repeat("b", 2*limit))
	select {
	case <-lost:
	case <-time.After(wait):
		t.Fatal("publisher not disconnected for an oversized message")
	}
	select {
	case <-tok.Done():
		if tok.Error() == nil {
			t.Error("oversized publish completed without error: want no PUBACK")
		}
	case <-time.After(wait):
		t.Error("oversized publish token never completed after the connection was lost")
	}
	// mochi treats it as an abnormal disconnect, so the will goes out.
	if m := wills.next(t, "will"); string(m.Payload()) != "pub gone" {
		t.Errorf("will payload %q, want pub gone", m.Payload())
	}

	// Messages from one connection arrive in order, so if the oversized
	// message had been routed it would come before this one.
	other := connect(t, clientOptions(b, "other"))
	publish(t, other, "site/big", false, "after")
	if m := in.next(t, "message after the oversized one"); string(m.Payload()) != "after" {
		t.Errorf("got %d bytes, want the message after the oversized one", len(m.Payload()))
	}

	// Close waits for the connection goroutines, so the warning is written.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "over the size limit") {
		t.Errorf("no warning about the oversized packet in the log:\n%s", logs.String())
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestStartRejects(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"negative message size", Options{Listen: "127.0.0.1:0", MaxMessageBytes: -1}},
		{"address in use", Options{Listen: taken.Addr().String()}},
		{"bad address", Options{Listen: "127.0.0.1:notaport"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Start(tc.opts)
			if err == nil {
				b.Close()
				t.Fatal("Start succeeded, want an error")
			}
		})
	}
}

// TestMQTT5Client speaks MQTT 5 by hand (paho.mqtt.golang is 3.1.1 only): the
// CONNACK carries the broker's limits, and QoS 1 flows both ways between a 5
// client and a 3.1.1 client.
func TestMQTT5Client(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	v5 := dialV5(t, b, "v5-client")

	ack := v5.read(t)
	if ack.typ != 0x20 || len(ack.body) < 2 || ack.body[1] != 0 {
		t.Fatalf("CONNACK: got type %#x body %x, want success", ack.typ, ack.body)
	}
	props := parseProps(t, ack.body[2:])
	if got := binary.BigEndian.Uint16(props[0x21]); got != receiveMaximum {
		t.Errorf("CONNACK receive maximum %d, want %d", got, receiveMaximum)
	}
	if p, ok := props[0x27]; !ok || binary.BigEndian.Uint32(p) != DefaultMaxMessageBytes {
		t.Errorf("CONNACK maximum packet size %x, want %d", p, DefaultMaxMessageBytes)
	}

	// SUBSCRIBE id 1, no properties, site/v5/in at QoS 1.
	v5.write(t, 0x82, cat([]byte{0, 1, 0}, str("site/v5/in"), []byte{1}))
	suback := v5.read(t)
	if suback.typ != 0x90 || !bytes.Equal(suback.body, []byte{0, 1, 0, 1}) {
		t.Fatalf("SUBACK: got type %#x body %x, want id 1 granted QoS 1", suback.typ, suback.body)
	}

	v3 := connect(t, clientOptions(b, "v3-client"))
	in := subscribe(t, v3, "site/v5/out")

	publish(t, v3, "site/v5/in", false, "to v5")
	pk := v5.read(t)
	if pk.typ != 0x30 || pk.flags&0x06 != 0x02 {
		t.Fatalf("got type %#x flags %#x, want a QoS 1 PUBLISH", pk.typ, pk.flags)
	}
	topic, rest := readStr(t, pk.body)
	id, rest := rest[:2], rest[2:]
	propLen, n := binary.Uvarint(rest)
	payload := rest[n+int(propLen):]
	if topic != "site/v5/in" || string(payload) != "to v5" {
		t.Errorf("v5 client got %q on %q, want to v5 on site/v5/in", payload, topic)
	}
	v5.write(t, 0x40, id)

	// PUBLISH QoS 1 id 9, no properties.
	v5.write(t, 0x32, cat(str("site/v5/out"), []byte{0, 9, 0}, []byte("from v5")))
	puback := v5.read(t)
	if puback.typ != 0x40 || !bytes.Equal(puback.body[:2], []byte{0, 9}) || (len(puback.body) > 2 && puback.body[2] != 0) {
		t.Fatalf("PUBACK: got type %#x body %x, want id 9 success", puback.typ, puback.body)
	}
	if m := in.next(t, "v3 client"); string(m.Payload()) != "from v5" {
		t.Errorf("v3 client got %q, want from v5", m.Payload())
	}
}

// v5Conn is a bare MQTT 5 connection for TestMQTT5Client.
type v5Conn struct {
	c net.Conn
	r *bufio.Reader
}

type v5Packet struct {
	typ, flags byte
	body       []byte
}

func dialV5(t *testing.T, b *Broker, id string) *v5Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", b.Addr(), wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	v := &v5Conn{c: c, r: bufio.NewReader(c)}
	// CONNECT: "MQTT", version 5, clean start, keepalive 60 s, no properties.
	v.write(t, 0x10, cat(str("MQTT"), []byte{5, 0x02, 0, 60, 0}, str(id)))
	return v
}

func (v *v5Conn) write(t *testing.T, header byte, body []byte) {
	t.Helper()
	pk := append([]byte{header}, binary.AppendUvarint(nil, uint64(len(body)))...)
	if _, err := v.c.Write(append(pk, body...)); err != nil {
		t.Fatalf("write %#x: %v", header, err)
	}
}

func (v *v5Conn) read(t *testing.T) v5Packet {
	t.Helper()
	h, err := v.r.ReadByte()
	if err != nil {
		t.Fatalf("read packet: %v", err)
	}
	n, err := binary.ReadUvarint(v.r)
	if err != nil {
		t.Fatalf("read length: %v", err)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(v.r, body); err != nil {
		t.Fatalf("read body: %v", err)
	}
	return v5Packet{typ: h & 0xf0, flags: h & 0x0f, body: body}
}

// parseProps splits an MQTT 5 property block (length first) into values by
// property id (MQTT 5.0 section 2.2.2.2).
func parseProps(t *testing.T, b []byte) map[byte][]byte {
	t.Helper()
	n, k := binary.Uvarint(b)
	b = b[k : k+int(n)]
	props := map[byte][]byte{}
	for len(b) > 0 {
		id := b[0]
		b = b[1:]
		var size int
		switch id {
		case 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2a:
			size = 1
		case 0x13, 0x21, 0x22, 0x23:
			size = 2
		case 0x02, 0x11, 0x18, 0x27:
			size = 4
		case 0x0b:
			_, size = binary.Uvarint(b)
		case 0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1a, 0x1c, 0x1f:
			size = 2 + int(binary.BigEndian.Uint16(b))
		case 0x26:
			k := 2 + int(binary.BigEndian.Uint16(b))
			size = k + 2 + int(binary.BigEndian.Uint16(b[k:]))
		default:
			t.Fatalf("unknown property %#x", id)
		}
		props[id] = b[:size]
		b = b[size:]
	}
	return props
}

func str(s string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(s))), s...)
}

func readStr(t *testing.T, b []byte) (string, []byte) {
	t.Helper()
	n := int(binary.BigEndian.Uint16(b))
	return string(b[2 : 2+n]), b[2+n:]
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
