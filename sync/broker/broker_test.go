package broker

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// wait bounds every wait on the broker: generous for a loaded CI box, and
// nothing in these tests takes more than a fraction of a second when it
// works.
const wait = 10 * time.Second

// admin may do anything under the tests' two topic trees.
var admin = User{Name: "admin", Password: "admin-secret",
	Publish: []string{"site/#", "floorgate/#"}, Subscribe: []string{"site/#", "floorgate/#"}}

// erp is the ERP connector of site SZ-01, as docs/mqtt-contract.md scopes
// it: commands down to the site's gateways, their events and status up.
var erp = User{Name: "erp-sz01", Password: "erp-secret",
	Publish:   []string{"floorgate/v1/SZ-01/+/commands"},
	Subscribe: []string{"floorgate/v1/SZ-01/+/events", "floorgate/v1/SZ-01/+/status"}}

// gatewayUser is what gateway g of site s may do, and no more.
func gatewayUser(s, g string) User {
	base := "floorgate/v1/" + s + "/" + g + "/"
	return User{Name: s + "-" + g, Password: g + "-secret",
		Publish: []string{base + "events", base + "status"}, Subscribe: []string{base + "commands"}}
}

// startBroker starts a broker on a free loopback port with its own store,
// and admin as its only user unless opts says otherwise.
func startBroker(t *testing.T, opts Options) *Broker {
	t.Helper()
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.Users == nil && !opts.AllowAnonymous {
		opts.Users = []User{admin}
	}
	if opts.StoreDir == "" {
		opts.StoreDir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
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

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// clientOptions are MQTT 3.1.1 options for a paho client of b logging in as
// u (anonymously for a zero u) that never reconnects by itself: each test
// decides when a connection comes back.
func clientOptions(b *Broker, id string, u User) *paho.ClientOptions {
	return paho.NewClientOptions().
		AddBroker(b.URL()).
		SetClientID(id).
		SetUsername(u.Name).
		SetPassword(u.Password).
		SetProtocolVersion(4).
		SetAutoReconnect(false).
		SetConnectRetry(false).
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

// refusal connects with opts and returns the CONNACK return code of the
// refusal; it fails the test if the broker lets the client in.
func refusal(t *testing.T, opts *paho.ClientOptions) byte {
	t.Helper()
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(wait) {
		t.Fatalf("connect %s: no answer within %v", opts.ClientID, wait)
	}
	if tok.Error() == nil {
		c.Disconnect(0)
		t.Fatalf("connect %s: accepted, want a refusal", opts.ClientID)
	}
	return tok.(*paho.ConnectToken).ReturnCode()
}

func await(t *testing.T, tok paho.Token, what string) {
	t.Helper()
	if !tok.WaitTimeout(wait) {
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

// expect takes the next message and checks its topic and payload.
func (in inbox) expect(t *testing.T, what, topic, payload string) paho.Message {
	t.Helper()
	m := in.next(t, what)
	if m.Topic() != topic || string(m.Payload()) != payload {
		t.Fatalf("%s: got %q on %q, want %q on %q", what, m.Payload(), m.Topic(), payload, topic)
	}
	return m
}

// subscribe subscribes at QoS 1 and fails the test unless the broker grants
// QoS 1.
func subscribe(t *testing.T, c paho.Client, filter string) inbox {
	t.Helper()
	in := newInbox()
	if code := subscribeCode(t, c, filter, 1, in.handle); code != 1 {
		t.Fatalf("subscribe %s: SUBACK return code %#x, want 1", filter, code)
	}
	return in
}

// subscribeCode subscribes and returns the SUBACK return code, 0x80 for a
// refusal.
func subscribeCode(t *testing.T, c paho.Client, filter string, qos byte, h paho.MessageHandler) byte {
	t.Helper()
	tok := c.Subscribe(filter, qos, h)
	await(t, tok, "subscribe "+filter)
	// One filter, one return code; paho keys it by the filter without a
	// "$share/group/" prefix.
	for _, code := range tok.(*paho.SubscribeToken).Result() {
		return code
	}
	t.Fatalf("subscribe %s: no return code in SUBACK", filter)
	return 0
}

func publish(t *testing.T, c paho.Client, topic string, retained bool, payload string) {
	t.Helper()
	await(t, c.Publish(topic, 1, retained, payload), "publish to "+topic)
}

// disconnect ends c with a DISCONNECT and waits until the broker has
// dropped the connection and its subscriptions. nats-server would hand a
// QoS 1 message for a persistent session to the session's connection while
// that is still closing, and send it again only when its ack wait (30 s)
// runs out (see the package doc), so a test that publishes for a session
// right after disconnecting it must wait here first.
func disconnect(t *testing.T, b *Broker, c paho.Client) {
	t.Helper()
	// nats-server drops a client from its account only after removing
	// the client's subscriptions.
	acc := b.srv.GlobalAccount()
	n := acc.NumLocalConnections()
	c.Disconnect(0)
	deadline := time.Now().Add(wait)
	for acc.NumLocalConnections() >= n {
		if time.Now().After(deadline) {
			t.Fatalf("broker still holds the connection %v after DISCONNECT", wait)
		}
		time.Sleep(time.Millisecond)
	}
}

// dialCounted makes opts dial through a net.Conn the test can close, to cut
// the connection the way a power cut does: without DISCONNECT.
func dialCounted(opts *paho.ClientOptions) <-chan net.Conn {
	conns := make(chan net.Conn, 4)
	opts.SetCustomOpenConnectionFn(func(u *url.URL, _ paho.ClientOptions) (net.Conn, error) {
		c, err := net.DialTimeout("tcp", u.Host, wait)
		if err == nil {
			conns <- c
		}
		return c, err
	})
	return conns
}

// TestQoS1PublishArrives, between a user who may only subscribe and one who
// may only publish: QoS 1 needs no permission beyond the topics.
func TestQoS1PublishArrives(t *testing.T) {
	t.Parallel()
	reader := User{Name: "reader", Password: "reader-secret", Subscribe: []string{"site/scans/+"}}
	writer := User{Name: "writer", Password: "writer-secret", Publish: []string{"site/scans/+"}}
	b := startBroker(t, Options{Users: []User{reader, writer}})
	sub := connect(t, clientOptions(b, "sub", reader))
	pub := connect(t, clientOptions(b, "pub", writer))
	in := subscribe(t, sub, "site/scans/+")

	publish(t, pub, "site/scans/dock-1", false, "4006381333931")

	m := in.expect(t, "subscriber", "site/scans/dock-1", "4006381333931")
	if m.Qos() != 1 {
		t.Errorf("got QoS %d, want 1", m.Qos())
	}
}

func TestRetainedReachesLaterSubscriber(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	pub := connect(t, clientOptions(b, "pub", admin))
	publish(t, pub, "site/devices/printer-1/state", true, "online")
	awaitRetained(t, b, admin, pub, "site/devices/+/state", "site/devices/fence/state", "site/devices/printer-1/state", "online")
}

func TestLastWillOnAbruptClose(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	sub := connect(t, clientOptions(b, "watcher", admin))
	in := subscribe(t, sub, "site/gateways/+/status")

	opts := clientOptions(b, "gateway-1", admin).SetWill("site/gateways/gateway-1/status", "offline", 1, false)
	conns := dialCounted(opts)
	connect(t, opts)

	// What a gateway losing power looks like to the broker: no DISCONNECT.
	if err := (<-conns).Close(); err != nil {
		t.Fatal(err)
	}
	in.expect(t, "watcher", "site/gateways/gateway-1/status", "offline")
}

func TestPersistentSessionGetsMessagesSentWhileAway(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	pub := connect(t, clientOptions(b, "pub", admin))

	// A new paho client has no local route for the old session's
	// subscription, so everything goes through the default handler.
	in := newInbox()
	opts := clientOptions(b, "label-station", admin).
		SetCleanSession(false).
		SetDefaultPublishHandler(in.handle)

	away := paho.NewClient(opts)
	await(t, away.Connect(), "first connect")
	await(t, away.Subscribe("site/labels/#", 1, nil), "subscribe")
	disconnect(t, b, away)

	// The PUBACK comes after JetStream has stored the message for the
	// session's consumer.
	publish(t, pub, "site/labels/print", false, "job-17")

	connect(t, opts)
	if m := in.expect(t, "reconnected station", "site/labels/print", "job-17"); m.Qos() != 1 {
		t.Errorf("got QoS %d, want 1", m.Qos())
	}
}

func TestPersistentSessionIsPresentOnReconnect(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	opts := clientOptions(b, "pda-7", admin).SetCleanSession(false)

	first := paho.NewClient(opts)
	tok := first.Connect()
	await(t, tok, "first connect")
	if tok.(*paho.ConnectToken).SessionPresent() {
		t.Error("first connect: session present, want a new session")
	}
	await(t, first.Subscribe("site/tasks/pda-7", 1, nil), "subscribe")
	disconnect(t, b, first)

	second := paho.NewClient(opts)
	tok = second.Connect()
	await(t, tok, "second connect")
	t.Cleanup(func() { second.Disconnect(0) })
	if !tok.(*paho.ConnectToken).SessionPresent() {
		t.Error("second connect: no session present, want the session kept")
	}
}

// TestStateSurvivesRestart closes the broker and starts a new one on the same
// StoreDir, as a gateway restart does: the retained status and the command
// queued for the gateway's persistent session are still there.
func TestStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gw := gatewayUser("SZ-01", "gw-1")
	users := []User{erp, gw}
	first, err := Start(Options{Listen: "127.0.0.1:0", StoreDir: dir, Users: users, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	down := clientOptions(first, "floorgate-SZ-01-gw-1-down", gw).SetCleanSession(false)
	c := paho.NewClient(down)
	await(t, c.Connect(), "gateway connect")
	await(t, c.Subscribe("floorgate/v1/SZ-01/gw-1/commands", 1, nil), "gateway subscribe")
	disconnect(t, first, c)

	up := connect(t, clientOptions(first, "floorgate-SZ-01-gw-1-up", gw))
	publish(t, up, "floorgate/v1/SZ-01/gw-1/status", true, `{"status":"online"}`)
	e := connect(t, clientOptions(first, "erp", erp))
	publish(t, e, "floorgate/v1/SZ-01/gw-1/commands", false, `{"command":"task.put"}`)

	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	second := startBroker(t, Options{StoreDir: dir, Users: users})

	in := newInbox()
	down = clientOptions(second, "floorgate-SZ-01-gw-1-down", gw).SetCleanSession(false).SetDefaultPublishHandler(in.handle)
	c = paho.NewClient(down)
	tok := c.Connect()
	await(t, tok, "gateway reconnect")
	t.Cleanup(func() { c.Disconnect(0) })
	if !tok.(*paho.ConnectToken).SessionPresent() {
		t.Error("gateway reconnect: no session present after restart")
	}
	in.expect(t, "gateway after restart", "floorgate/v1/SZ-01/gw-1/commands", `{"command":"task.put"}`)

	up = connect(t, clientOptions(second, "floorgate-SZ-01-gw-1-up", gw))
	awaitRetained(t, second, erp, up, "floorgate/v1/SZ-01/gw-1/status", "floorgate/v1/SZ-01/gw-1/status",
		"floorgate/v1/SZ-01/gw-1/status", `{"status":"online"}`)
}

// retainedNow subscribes afresh as u to filter and returns the retained
// messages the subscription gets. They come right after the SUBACK, before
// anything new, so a message that pub then publishes on fenceTopic (which
// filter must match) ends the list.
func retainedNow(t *testing.T, b *Broker, u User, pub paho.Client, filter, fenceTopic string) []paho.Message {
	t.Helper()
	// A fresh client id each time: nats-server holds back a client id that
	// reconnects in quick succession.
	c := paho.NewClient(clientOptions(b, fmt.Sprint("retained-reader-", readers.Add(1)), u))
	await(t, c.Connect(), "connect")
	defer c.Disconnect(0)
	in := subscribe(t, c, filter)
	publish(t, pub, fenceTopic, false, "fence")
	var got []paho.Message
	for {
		m := in.next(t, "retained messages or the fence")
		if !m.Retained() && m.Topic() == fenceTopic && string(m.Payload()) == "fence" {
			return got
		}
		if !m.Retained() {
			t.Fatalf("got %q on %q, not retained, before the fence", m.Payload(), m.Topic())
		}
		got = append(got, m)
	}
}

var readers atomic.Int64

// awaitRetained calls retainedNow until its list has payload on topic, and
// returns that list. nats-server stores a retained message before the
// PUBACK but indexes it for new subscriptions a moment later, from
// JetStream in the background (and after a restart reads them all back so,
// starting at the first CONNECT).
func awaitRetained(t *testing.T, b *Broker, u User, pub paho.Client, filter, fenceTopic, topic, payload string) []paho.Message {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		got := retainedNow(t, b, u, pub, filter, fenceTopic)
		for _, m := range got {
			if m.Topic() == topic && string(m.Payload()) == payload {
				return got
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retained %.40q on %s within %v; got %d others", payload, topic, wait, len(got))
		}
	}
}

// TestTemporaryStoreIsPrivate: without StoreDir, the state lives in a
// directory of its own that Close removes. Not parallel: it points TMPDIR at
// a directory of its own to find that one.
func TestTemporaryStoreIsPrivate(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	b, err := Start(Options{Listen: "127.0.0.1:0", Users: []User{admin}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pub := connect(t, clientOptions(b, "pub", admin))
	publish(t, pub, "site/state", true, "gone with Close")
	dirs, _ := filepath.Glob(filepath.Join(tmp, "floorgate-broker-*"))
	if len(dirs) != 1 {
		t.Fatalf("%d floorgate-broker-* directories in TMPDIR while the broker runs, want 1", len(dirs))
	}
	if fi, err := os.Stat(filepath.Join(dirs[0], "jetstream")); err != nil || !fi.IsDir() {
		t.Errorf("no jetstream directory in the temporary store %s (%v)", dirs[0], err)
	}
	if fi, err := os.Stat(dirs[0]); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("temporary store %s: %v, want mode 0700", dirs[0], err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dirs[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary store %s still there after Close (%v)", dirs[0], err)
	}
}

func TestStoreDirHeldByOneBroker(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	startBroker(t, Options{StoreDir: dir})
	b, err := Start(Options{Listen: "127.0.0.1:0", StoreDir: dir, Users: []User{admin}})
	if err == nil {
		b.Close()
		t.Fatal("second broker on the same StoreDir started")
	}
	if !errors.Is(err, ErrStoreDirInUse) {
		t.Errorf("got %v, want ErrStoreDirInUse", err)
	}
}

func TestAnonymousRefusedByDefault(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	if code := refusal(t, clientOptions(b, "nobody", User{})); code != 5 {
		t.Errorf("CONNACK return code %d, want 5 (not authorised)", code)
	}
}

func TestWrongPasswordRefused(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{Users: []User{admin, erp}})
	for _, u := range []User{
		{Name: admin.Name, Password: "guess"},
		{Name: admin.Name, Password: erp.Password}, // another user's password
		{Name: admin.Name},
		{Name: "stranger", Password: admin.Password},
		{Password: admin.Password},
	} {
		if code := refusal(t, clientOptions(b, "c", u)); code != 5 {
			t.Errorf("%q/%q: CONNACK return code %d, want 5 (not authorised)", u.Name, u.Password, code)
		}
	}
}

func TestBcryptPassword(t *testing.T) {
	t.Parallel()
	// bcrypt of "scan-and-go", cost 10; $2b$ is the same hash under the
	// prefix OpenBSD and most tools write today.
	const hash = "$2a$10$1R3PTJsB9hPBibM/i6IfA.I59ngt749NrTWEVRA7RgxLSQyIUIBs6"
	hashed := []User{
		{Name: "station-a", Password: hash, Subscribe: []string{"site/#"}},
		{Name: "station-b", Password: "$2b$" + strings.TrimPrefix(hash, "$2a$"), Subscribe: []string{"site/#"}},
	}
	b := startBroker(t, Options{Users: hashed})
	for _, u := range hashed {
		connect(t, clientOptions(b, u.Name, User{Name: u.Name, Password: "scan-and-go"}))
		if code := refusal(t, clientOptions(b, u.Name, User{Name: u.Name, Password: "scan-and-stop"})); code != 5 {
			t.Errorf("%s with a wrong password: CONNACK return code %d, want 5", u.Name, code)
		}
		// The hash is not a password.
		if code := refusal(t, clientOptions(b, u.Name, u)); code != 5 {
			t.Errorf("%s with the hash as password: CONNACK return code %d, want 5", u.Name, code)
		}
	}
}

// TestForbiddenPublishIsDropped: a publish outside the user's Publish
// filters is acknowledged and dropped — not delivered, not retained — and
// the client stays connected.
func TestForbiddenPublishIsDropped(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{Users: []User{admin, erp}})
	watch := subscribe(t, connect(t, clientOptions(b, "watch", admin)), "floorgate/#")

	lost := make(chan error, 1)
	e := connect(t, clientOptions(b, "erp", erp).SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err }))
	// The PUBACK comes all the same: MQTT 3.1.1 cannot say no to a publish.
	publish(t, e, "floorgate/v1/SZ-02/gw-1/commands", false, "not yours")
	publish(t, e, "floorgate/v1/SZ-02/gw-1/status", true, "not yours either")
	publish(t, e, "floorgate/v1/SZ-01/gw-1/commands", false, "fence")
	// One publisher, one subscription: had a forbidden message been
	// routed, it would arrive before the fence.
	watch.expect(t, "watcher", "floorgate/v1/SZ-01/gw-1/commands", "fence")
	if !e.IsConnectionOpen() {
		t.Error("ERP client disconnected after a forbidden publish")
	}
	select {
	case err := <-lost:
		t.Errorf("ERP connection lost: %v", err)
	default:
	}

	// Nor was the forbidden retained message kept. nats-server indexes
	// retained messages in the order it stored them, so once a retained
	// message stored after it shows, the forbidden one would show too.
	a := connect(t, clientOptions(b, "admin", admin))
	publish(t, a, "floorgate/v1/SZ-02/gw-2/status", true, "marker")
	for _, m := range awaitRetained(t, b, admin, a, "floorgate/v1/SZ-02/+/status", "floorgate/v1/SZ-02/fence/status",
		"floorgate/v1/SZ-02/gw-2/status", "marker") {
		if m.Topic() != "floorgate/v1/SZ-02/gw-2/status" {
			t.Errorf("retained %q on %q", m.Payload(), m.Topic())
		}
	}
}

// TestForbiddenSubscribeFails: a subscription the user's Subscribe filters
// do not cover gets SUBACK 0x80 and delivers nothing.
func TestForbiddenSubscribeFails(t *testing.T) {
	t.Parallel()
	sz01, sz02 := gatewayUser("SZ-01", "gw-1"), gatewayUser("SZ-02", "gw-1")
	b := startBroker(t, Options{Users: []User{erp, sz01, sz02}})

	// Subscriptions at QoS 0: nats-server queues a message on the
	// connection of every QoS 0 subscriber before it sends the publisher
	// its PUBACK, and one connection delivers in order, so the SZ-01 event
	// below is a fence for anything SZ-02's would have brought.
	in := newInbox()
	e := connect(t, clientOptions(b, "erp", erp).SetDefaultPublishHandler(in.handle))
	for _, f := range []string{
		"#",
		"floorgate/#",
		"floorgate/v1/+/+/events",
		"floorgate/v1/SZ-02/+/events",
		"floorgate/v1/SZ-02/gw-1/events",
		"floorgate/v1/SZ-01/gw-1/commands",
		"$share/erp/floorgate/v1/SZ-01/+/events",
	} {
		if code := subscribeCode(t, e, f, 0, in.handle); code != 0x80 {
			t.Errorf("subscribe %s: SUBACK return code %#x, want 0x80", f, code)
		}
	}
	if code := subscribeCode(t, e, "floorgate/v1/SZ-01/+/events", 0, in.handle); code != 0 {
		t.Fatalf("subscribe to its own site's events: SUBACK return code %#x, want 0", code)
	}

	publish(t, connect(t, clientOptions(b, "sz02", sz02)), "floorgate/v1/SZ-02/gw-1/events", false, "SZ-02 event")
	publish(t, connect(t, clientOptions(b, "sz01", sz01)), "floorgate/v1/SZ-01/gw-1/events", false, "SZ-01 event")
	in.expect(t, "ERP", "floorgate/v1/SZ-01/gw-1/events", "SZ-01 event")
}

// TestERPUser runs the ERP connector of site SZ-01 against gateways of SZ-01
// and SZ-02: it commands and hears its own site's gateways, and neither
// reaches nor hears SZ-02's.
func TestERPUser(t *testing.T) {
	t.Parallel()
	sz01, sz02 := gatewayUser("SZ-01", "gw-1"), gatewayUser("SZ-02", "gw-1")
	b := startBroker(t, Options{Users: []User{admin, erp, sz01, sz02}})

	cmd01 := subscribe(t, connect(t, clientOptions(b, "sz01-down", sz01)), "floorgate/v1/SZ-01/gw-1/commands")
	cmd02 := subscribe(t, connect(t, clientOptions(b, "sz02-down", sz02)), "floorgate/v1/SZ-02/gw-1/commands")
	e := connect(t, clientOptions(b, "erp", erp))
	events := subscribe(t, e, "floorgate/v1/SZ-01/+/events")
	if code := subscribeCode(t, e, "floorgate/v1/SZ-02/+/events", 1, events.handle); code != 0x80 {
		t.Errorf("ERP subscribing to SZ-02's events: SUBACK return code %#x, want 0x80", code)
	}

	publish(t, e, "floorgate/v1/SZ-02/gw-1/commands", false, "to SZ-02")
	publish(t, e, "floorgate/v1/SZ-01/gw-1/commands", false, "to SZ-01")
	cmd01.expect(t, "SZ-01 gateway", "floorgate/v1/SZ-01/gw-1/commands", "to SZ-01")
	// A QoS 1 message is in JetStream before its PUBACK, and a subscription
	// gets them in JetStream's order: had the ERP's command to SZ-02 been
	// taken, it would come before this one.
	publish(t, connect(t, clientOptions(b, "admin", admin)), "floorgate/v1/SZ-02/gw-1/commands", false, "fence")
	cmd02.expect(t, "SZ-02 gateway", "floorgate/v1/SZ-02/gw-1/commands", "fence")

	publish(t, connect(t, clientOptions(b, "sz02-up", sz02)), "floorgate/v1/SZ-02/gw-1/events", false, "SZ-02 event")
	publish(t, connect(t, clientOptions(b, "sz01-up", sz01)), "floorgate/v1/SZ-01/gw-1/events", false, "SZ-01 event")
	events.expect(t, "ERP", "floorgate/v1/SZ-01/gw-1/events", "SZ-01 event")
}

// TestGatewayUser runs a gateway as docs/mqtt-contract.md describes it, with
// its own user: events and a retained status up at QoS 1, commands down to a
// persistent session, and its will when it vanishes.
func TestGatewayUser(t *testing.T) {
	t.Parallel()
	gw := gatewayUser("SZ-01", "gw-1")
	b := startBroker(t, Options{Users: []User{erp, gw}})
	e := connect(t, clientOptions(b, "erp", erp))
	events := subscribe(t, e, "floorgate/v1/SZ-01/+/events")

	down := connect(t, clientOptions(b, "floorgate-SZ-01-gw-1-down", gw).SetCleanSession(false))
	commands := subscribe(t, down, "floorgate/v1/SZ-01/gw-1/commands")
	upOpts := clientOptions(b, "floorgate-SZ-01-gw-1-up", gw).
		SetWill("floorgate/v1/SZ-01/gw-1/status", `{"status":"offline","reason":"connection lost"}`, 1, true)
	conns := dialCounted(upOpts)
	up := connect(t, upOpts)
	publish(t, up, "floorgate/v1/SZ-01/gw-1/status", true, `{"status":"online"}`)
	publish(t, up, "floorgate/v1/SZ-01/gw-1/events", false, `{"seq":1}`)
	if m := events.expect(t, "ERP", "floorgate/v1/SZ-01/gw-1/events", `{"seq":1}`); m.Qos() != 1 {
		t.Errorf("event QoS %d, want 1", m.Qos())
	}

	publish(t, e, "floorgate/v1/SZ-01/gw-1/commands", false, `{"command":"task.put"}`)
	if m := commands.expect(t, "gateway", "floorgate/v1/SZ-01/gw-1/commands", `{"command":"task.put"}`); m.Qos() != 1 {
		t.Errorf("command QoS %d, want 1", m.Qos())
	}

	awaitRetained(t, b, erp, up, "floorgate/v1/SZ-01/+/status", "floorgate/v1/SZ-01/gw-1/status",
		"floorgate/v1/SZ-01/gw-1/status", `{"status":"online"}`)
	status := subscribe(t, e, "floorgate/v1/SZ-01/+/status")
	if m := status.expect(t, "ERP status", "floorgate/v1/SZ-01/gw-1/status", `{"status":"online"}`); !m.Retained() {
		t.Error("status not retained")
	}
	if err := (<-conns).Close(); err != nil {
		t.Fatal(err)
	}
	status.expect(t, "ERP status", "floorgate/v1/SZ-01/gw-1/status", `{"status":"offline","reason":"connection lost"}`)
	// The will was retained too, as the gateway asked.
	again := connect(t, clientOptions(b, "floorgate-SZ-01-gw-1-up", gw))
	awaitRetained(t, b, erp, again, "floorgate/v1/SZ-01/+/status", "floorgate/v1/SZ-01/gw-1/status",
		"floorgate/v1/SZ-01/gw-1/status", `{"status":"offline","reason":"connection lost"}`)
}

// TestDottedIDs: NATS separates subject tokens with dots and writes a dot
// inside an MQTT topic level as "//", so a site or gateway id with dots must
// stay one level in the permissions and match nothing else.
func TestDottedIDs(t *testing.T) {
	t.Parallel()
	gw := gatewayUser("SZ.01", "gw.1")
	erpDotted := User{Name: "erp-dotted", Password: "erp-dotted-secret",
		Publish: []string{"floorgate/v1/SZ.01/+/commands"}, Subscribe: []string{"floorgate/v1/SZ.01/+/events"}}
	erpSZ := User{Name: "erp-sz", Password: "erp-sz-secret",
		Publish: []string{"floorgate/v1/SZ/+/commands"}, Subscribe: []string{"floorgate/v1/SZ/#", "floorgate/v1/SZ/+/+/events"}}
	b := startBroker(t, Options{Users: []User{admin, gw, erpDotted, erpSZ}})

	watch := subscribe(t, connect(t, clientOptions(b, "watch", admin)), "floorgate/#")
	e := connect(t, clientOptions(b, "erp-dotted", erpDotted))
	events := subscribe(t, e, "floorgate/v1/SZ.01/+/events")
	commands := subscribe(t, connect(t, clientOptions(b, "gw-down", gw)), "floorgate/v1/SZ.01/gw.1/commands")
	up := connect(t, clientOptions(b, "gw-up", gw))

	publish(t, up, "floorgate/v1/SZ.01/gw.1/events", false, "dotted event")
	events.expect(t, "ERP", "floorgate/v1/SZ.01/gw.1/events", "dotted event")
	watch.expect(t, "watcher", "floorgate/v1/SZ.01/gw.1/events", "dotted event")
	publish(t, e, "floorgate/v1/SZ.01/gw.1/commands", false, "dotted command")
	commands.expect(t, "gateway", "floorgate/v1/SZ.01/gw.1/commands", "dotted command")
	watch.expect(t, "watcher", "floorgate/v1/SZ.01/gw.1/commands", "dotted command")

	// The dotted site's gateway cannot publish as if "SZ.01" were the two
	// levels "SZ" and "01", nor as gateway "gw" of site "SZ".
	publish(t, up, "floorgate/v1/SZ/01/gw.1/events", false, "split levels")
	publish(t, up, "floorgate/v1/SZ/gw/1/events", false, "split levels")
	// Site SZ's ERP neither commands nor hears site SZ.01.
	s := connect(t, clientOptions(b, "erp-sz", erpSZ))
	publish(t, s, "floorgate/v1/SZ.01/gw.1/commands", false, "wrong site")
	for _, f := range []string{"floorgate/v1/SZ.01/+/events", "floorgate/v1/+/gw.1/events"} {
		if code := subscribeCode(t, s, f, 1, nil); code != 0x80 {
			t.Errorf("erp-sz subscribing to %s: SUBACK %#x, want 0x80", f, code)
		}
	}
	publish(t, up, "floorgate/v1/SZ.01/gw.1/events", false, "fence")
	watch.expect(t, "watcher", "floorgate/v1/SZ.01/gw.1/events", "fence")
}

func TestSharedSubscriptionRefused(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	c := connect(t, clientOptions(b, "worker", admin))
	// NATS's MQTT has no shared subscriptions; it would treat the filter as
	// an ordinary topic starting with "$share", which no one publishes to.
	// Refused instead, so a consumer relying on one notices at once.
	if code := subscribeCode(t, c, "$share/pickers/site/jobs", 1, nil); code != 0x80 {
		t.Errorf("SUBACK return code %#x, want 0x80", code)
	}
}

// TestMQTT5Refused: nats-server speaks MQTT 3.1.1 only and answers an MQTT 5
// CONNECT with a 3.1.1 CONNACK, return code 1 (unacceptable protocol
// version). paho.mqtt.golang cannot speak 5, so the packet is written by
// hand.
func TestMQTT5Refused(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	c, err := net.DialTimeout("tcp", b.Addr(), wait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	// CONNECT: "MQTT", version 5, clean start, keepalive 60 s, no
	// properties, client id "v5".
	body := []byte{0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 60, 0, 0, 2, 'v', '5'}
	if _, err := c.Write(append([]byte{0x10, byte(len(body))}, body...)); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(c, ack); err != nil {
		t.Fatalf("read CONNACK: %v", err)
	}
	if !bytes.Equal(ack, []byte{0x20, 2, 0, 1}) {
		t.Errorf("got % x, want CONNACK 20 02 00 01 (unacceptable protocol version)", ack)
	}
}

func TestMessageSizeLimit(t *testing.T) {
	t.Parallel()
	const limit = 1024
	var logs lockedBuffer
	b := startBroker(t, Options{MaxMessageBytes: limit, Logger: slog.New(slog.NewTextHandler(io.MultiWriter(&logs, t.Output()), nil))})
	sub := connect(t, clientOptions(b, "sub", admin))
	in := subscribe(t, sub, "site/big")
	wills := subscribe(t, sub, "site/will")

	lost := make(chan error, 1)
	pub := connect(t, clientOptions(b, "pub", admin).
		SetWill("site/will", "pub gone", 1, false).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err }))

	// At the limit, a QoS 1 message goes through, and so does a retained one.
	atLimit := strings.Repeat("a", limit)
	publish(t, pub, "site/big", true, atLimit)
	if m := in.next(t, "at-limit message"); len(m.Payload()) != limit {
		t.Fatalf("got %d bytes, want %d", len(m.Payload()), limit)
	}
	awaitRetained(t, b, admin, pub, "site/big/#", "site/big/fence", "site/big", atLimit)

	// One byte more and the publisher is disconnected without a PUBACK.
	tok := pub.Publish("site/big", 1, false, atLimit+"b")
	select {
	case <-lost:
	case <-time.After(wait):
		t.Fatal("publisher not disconnected for an oversized message")
	}
	if !tok.WaitTimeout(wait) {
		t.Error("oversized publish token never completed after the connection was lost")
	} else if tok.Error() == nil {
		t.Error("oversized publish completed without error: want no PUBACK")
	}
	// The broker closed the connection, so the will goes out.
	in2 := wills.next(t, "will")
	if string(in2.Payload()) != "pub gone" {
		t.Errorf("will payload %q, want pub gone", in2.Payload())
	}

	// Messages to one subscription arrive in JetStream's order, so had the
	// oversized message been taken it would come before this one.
	other := connect(t, clientOptions(b, "other", admin))
	publish(t, other, "site/big", false, "after")
	if m := in.next(t, "message after the oversized one"); string(m.Payload()) != "after" {
		t.Errorf("got %d bytes, want the message after the oversized one", len(m.Payload()))
	}

	// Close waits for the server's goroutines, so the error is written.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "maximum payload exceeded") {
		t.Errorf("nothing about the oversized message in the log:\n%s", logs.String())
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

func TestCloseFreesPort(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{})
	addr := b.Addr()

	// A connection that never sends CONNECT.
	silent, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	lost := make(chan error, 1)
	c := paho.NewClient(clientOptions(b, "client", admin).SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err }))
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

func TestAnonymousOnLoopback(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{AllowAnonymous: true,
		Anonymous: User{Publish: []string{"site/dev/#"}, Subscribe: []string{"site/#"}}, Users: []User{admin}})
	watch := subscribe(t, connect(t, clientOptions(b, "watch", admin)), "site/#")
	anon := connect(t, clientOptions(b, "anon", User{}))
	in := subscribe(t, anon, "site/dev/+")
	if code := subscribeCode(t, anon, "floorgate/#", 1, nil); code != 0x80 {
		t.Errorf("anonymous subscribe outside its filters: SUBACK %#x, want 0x80", code)
	}
	publish(t, anon, "site/prod/x", false, "outside")
	publish(t, anon, "site/dev/x", false, "inside")
	in.expect(t, "anonymous subscriber", "site/dev/x", "inside")
	watch.expect(t, "watcher", "site/dev/x", "inside")
	// Credentials still count: a wrong password is not anonymous.
	if code := refusal(t, clientOptions(b, "wrong", User{Name: admin.Name, Password: "guess"})); code != 5 {
		t.Errorf("wrong password with anonymous allowed: CONNACK %d, want 5", code)
	}
	connect(t, clientOptions(b, "admin", admin))
}

func TestTLS(t *testing.T) {
	t.Parallel()
	cert, pool := selfSigned(t)
	b := startBroker(t, Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	if !strings.HasPrefix(b.URL(), "ssl://127.0.0.1:") {
		t.Fatalf("URL %q, want ssl://127.0.0.1:port", b.URL())
	}
	tlsOpts := func(id string) *paho.ClientOptions {
		return clientOptions(b, id, admin).SetTLSConfig(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	}
	sub := subscribe(t, connect(t, tlsOpts("sub")), "site/tls")
	publish(t, connect(t, tlsOpts("pub")), "site/tls", false, "encrypted")
	sub.expect(t, "TLS subscriber", "site/tls", "encrypted")

	// A plain MQTT client gets no CONNACK.
	plainOpts := clientOptions(b, "plain", admin).SetConnectTimeout(2 * time.Second)
	plainOpts.Servers = nil
	plain := paho.NewClient(plainOpts.AddBroker("tcp://" + b.Addr()))
	if tok := plain.Connect(); tok.WaitTimeout(wait) && tok.Error() == nil {
		plain.Disconnect(0)
		t.Error("plain TCP client connected to the TLS listener")
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "floorgate broker test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestStartRejects(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cert, _ := selfSigned(t)
	withCert := &tls.Config{Certificates: []tls.Certificate{cert}}
	users := []User{admin}
	anyone := User{Publish: []string{"site/#"}, Subscribe: []string{"site/#"}}

	for _, tc := range []struct {
		name string
		opts Options
		want error // nil: any error will do
	}{
		{"negative message size", Options{Listen: "127.0.0.1:0", Users: users, MaxMessageBytes: -1}, nil},
		{"message size over the limit", Options{Listen: "127.0.0.1:0", Users: users, MaxMessageBytes: MaxMessageBytesLimit + 1}, nil},
		{"address in use", Options{Listen: taken.Addr().String(), Users: users}, nil},
		{"bad address", Options{Listen: "127.0.0.1:notaport", Users: users}, nil},
		{"no port", Options{Listen: "127.0.0.1", Users: users}, nil},
		{"nobody could connect", Options{Listen: "127.0.0.1:0"}, nil},
		{"anonymous on every interface", Options{Listen: "0.0.0.0:0", Users: users, TLS: withCert, AllowAnonymous: true, Anonymous: anyone}, ErrAnonymousNotLoopback},
		{"anonymous on an empty host", Options{Listen: ":0", Users: users, TLS: withCert, AllowAnonymous: true, Anonymous: anyone}, ErrAnonymousNotLoopback},
		{"anonymous on a host name", Options{Listen: "gateway.example:0", Users: users, TLS: withCert, AllowAnonymous: true, Anonymous: anyone}, ErrAnonymousNotLoopback},
		{"network without users", Options{Listen: "0.0.0.0:0", TLS: withCert}, ErrNoUsersNotLoopback},
		{"network without TLS", Options{Listen: "192.0.2.1:0", Users: users}, ErrNoTLSNotLoopback},
		{"TLS without a certificate", Options{Listen: "127.0.0.1:0", Users: users, TLS: &tls.Config{}}, nil},
		{"user without a name", Options{Listen: "127.0.0.1:0", Users: []User{{Password: "x", Publish: []string{"site/a"}}}}, nil},
		{"user without a password", Options{Listen: "127.0.0.1:0", Users: []User{{Name: "x", Publish: []string{"site/a"}}}}, nil},
		{"user twice", Options{Listen: "127.0.0.1:0", Users: []User{admin, admin}}, nil},
		{"reserved user name", Options{Listen: "127.0.0.1:0", Users: []User{{Name: anonymousName, Password: "x"}}}, nil},
		{"bad filter", Options{Listen: "127.0.0.1:0", Users: []User{{Name: "x", Password: "x", Subscribe: []string{"site/#/x"}}}}, nil},
		{"anonymous allowed nothing", Options{Listen: "127.0.0.1:0", AllowAnonymous: true}, nil},
		{"anonymous with a password", Options{Listen: "127.0.0.1:0", AllowAnonymous: true, Anonymous: User{Password: "x", Publish: []string{"site/a"}}}, nil},
		{"anonymous bad filter", Options{Listen: "127.0.0.1:0", AllowAnonymous: true, Anonymous: User{Subscribe: []string{"#"}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.StoreDir = t.TempDir()
			b, err := Start(tc.opts)
			if err == nil {
				b.Close()
				t.Fatal("Start succeeded, want an error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
}

func TestLocalhostIsLoopback(t *testing.T) {
	t.Parallel()
	b := startBroker(t, Options{Listen: "localhost:0", AllowAnonymous: true, Anonymous: User{Subscribe: []string{"site/#"}}})
	connect(t, clientOptions(b, "anon", User{}))
}

// TestCloseEndsGoroutines runs alone (no t.Parallel), so that no other
// broker's goroutines are about: after Close, every goroutine running
// nats-server's code ends. Most have ended when Close returns; nats-server
// starts a few internal loops (a stream's send and signal loops, the system
// account's receive loops) without waiting for them in Shutdown, and those
// return right after.
func TestCloseEndsGoroutines(t *testing.T) {
	b, err := Start(Options{Listen: "127.0.0.1:0", StoreDir: t.TempDir(), Users: []User{admin}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	opts := clientOptions(b, "station", admin).SetCleanSession(false)
	c := paho.NewClient(opts)
	await(t, c.Connect(), "connect")
	subscribe(t, c, "site/labels/#")
	publish(t, c, "site/labels/print", true, "job-1")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	c.Disconnect(0)
	deadline := time.Now().Add(wait)
	for left := natsGoroutines(); len(left) > 0; left = natsGoroutines() {
		if time.Now().After(deadline) {
			t.Fatalf("%d nats-server goroutines still running %v after Close:\n%s", len(left), wait, strings.Join(left, "\n\n"))
		}
		time.Sleep(time.Millisecond)
	}
}

// natsGoroutines returns the stacks of the goroutines that are running
// nats-server's code.
func natsGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/nats-io/nats-server/") {
			gs = append(gs, g)
		}
	}
	return gs
}
