package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/store"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// clock moves one second per read, so every scan is a fresh read.
type clock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

var site = floorgate.Site{ID: "SZ-01", Name: "Test", Gateway: "gw-1", Policy: floorgate.DefaultPolicy()}

// floor is a gateway's store with one picker on a long task.
type floor struct {
	t     *testing.T
	db    *store.DB
	path  string
	clock *clock
	mu    gosync.Mutex
	ok    []string // scan ids answered OK
	n     int
}

func openFloor(t *testing.T, s floorgate.Site) *floor {
	t.Helper()
	f := &floor{t: t, path: filepath.Join(t.TempDir(), "floorgate.db"), clock: &clock{t: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}}
	f.open(s)
	ctx := context.Background()
	h, _ := floorgate.HashPIN("2468")
	if err := f.db.PutMaster(ctx, store.Master{
		Locations: []floorgate.Location{{Code: "L1", Barcode: "LOC-1"}, {Code: "L2", Barcode: "LOC-2"}},
		Items:     []floorgate.Item{{SKU: "S1", Name: "Tea", Barcodes: []string{"6901234567892"}}, {SKU: "S2", Name: "Mug", Barcodes: []string{"6901234567908"}}},
		Operators: []floorgate.Operator{{ID: "op1", Name: "P", Badge: "B1", PINHash: h, Role: floorgate.RolePicker}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ImportTasks(ctx, []floorgate.Task{{ID: "T-long", Order: "SO-1",
		Lines: []floorgate.TaskLine{{Location: "L1", SKU: "S1", Qty: 100000}}}}); err != nil {
		t.Fatal(err)
	}
	f.db.Hello(ctx, "pda-1", "test-device-token/pda-1/0123456789abcdef", "test")
	if v, err := f.db.Login(ctx, "pda-1", "l", "B1", "2468"); err != nil || !v.OK {
		t.Fatalf("login: %v %+v", err, v)
	}
	f.scan("LOC-1")
	return f
}

func (f *floor) open(s floorgate.Site) {
	db, err := store.Open(f.path, store.Options{Site: s, Clock: f.clock, AutoEnrol: true})
	if err != nil {
		f.t.Fatal(err)
	}
	f.db = db
	f.t.Cleanup(func() { db.Close() })
}

func (f *floor) scan(data string) {
	f.mu.Lock()
	f.n++
	id := fmt.Sprint("s", f.n)
	f.mu.Unlock()
	v, err := f.db.Scan(context.Background(), floorgate.Scan{ID: id, Device: "pda-1", Data: data, DistanceMM: 70})
	if err != nil {
		f.t.Error(err)
		return
	}
	if v.OK {
		f.mu.Lock()
		f.ok = append(f.ok, id)
		f.mu.Unlock()
	}
}

// pick scans n units.
func (f *floor) pick(n int) {
	for range n {
		f.scan("6901234567892")
	}
}

// acceptedIDs are the event ids of every scan that got an OK verdict.
func (f *floor) acceptedIDs() map[string]string {
	f.t.Helper()
	f.mu.Lock()
	ok := map[string]bool{}
	for _, id := range f.ok {
		ok[id] = true
	}
	f.mu.Unlock()
	evs, err := f.db.Journal(0, 1<<30)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]string{}
	for _, ev := range evs {
		if ev.Type != floorgate.EventScanAccepted {
			continue
		}
		var rec floorgate.ScanRecord
		json.Unmarshal(ev.Data, &rec)
		if ok[rec.ScanID] {
			out[rec.ScanID] = ev.ID
		}
	}
	if len(out) != len(ok) {
		f.t.Fatalf("%d OK scans, %d of them in the journal", len(ok), len(out))
	}
	return out
}

func (f *floor) lastSeq() uint64 { return f.db.Counts().LastSeq }

// link runs the gateway's MQTT link until the test ends or stop is called.
func link(t *testing.T, f *floor, broker string, mod ...func(*fgsync.Config)) (*fgsync.Gateway, func()) {
	t.Helper()
	cfg := fgsync.Config{Brokers: []string{broker}, Site: site.ID, Gateway: site.Gateway, Version: "test",
		Keepalive: 2 * time.Second, ConnectTimeout: 2 * time.Second, BackoffMin: 50 * time.Millisecond, BackoffMax: 500 * time.Millisecond, StatusEvery: 300 * time.Millisecond}
	for _, m := range mod {
		m(&cfg)
	}
	g, err := fgsync.New(cfg, f.db, f.db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.Run(ctx)
	}()
	var once gosync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return g, stop
}

func tail(t *testing.T, broker string, replay bool) *fgsync.Tail {
	t.Helper()
	tl := fgsync.NewTail(fgsync.TailConfig{Broker: broker, ClientID: fmt.Sprint("erp-", time.Now().UnixNano()), Replay: replay, GapGrace: 500 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	if err := tl.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); tl.Close() })
	return tl
}

// complete waits until the consumer holds every event of an OK scan and
// every sequence number up to the last, and reports the duplicates.
func complete(t *testing.T, f *floor, tl *fgsync.Tail) {
	t.Helper()
	last := f.lastSeq()
	key := site.ID + "/" + site.Gateway
	poll.Eventually(t, 60*time.Second, func() bool {
		s := tl.Stats()
		return s.Contiguous[key] >= last && len(s.Gaps[key]) == 0
	}, func() string {
		s := tl.Stats()
		return fmt.Sprintf("consumer has seq ≤ %d contiguous of %d, gaps %v", s.Contiguous[key], last, s.Gaps[key])
	})
	for scan, id := range f.acceptedIDs() {
		if !tl.Has(id) {
			t.Fatalf("scan %s was answered OK; its event %s never reached the consumer", scan, id)
		}
	}
	s := tl.Stats()
	t.Logf("events %d, received %d, duplicates %d", last, s.Received, s.Duplicates)
}

func TestNormalFlow(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	tl := tail(t, b.URL(), false)
	g, _ := link(t, f, b.URL())
	f.pick(500)
	complete(t, f, tl)
	poll.Eventually(t, 10*time.Second, func() bool {
		ob, _ := f.db.Outbox()
		return ob.Depth == 0
	}, func() string { ob, _ := f.db.Outbox(); return fmt.Sprintf("outbox still %+v", ob) })
	// The counters follow the commits of the acknowledgements.
	poll.Eventually(t, 10*time.Second, func() bool {
		s := g.Status()
		return s.Connected && !s.LastPubAck.IsZero() && s.Acknowledged >= 500
	}, func() string { return fmt.Sprintf("status %+v", g.Status()) })
}

func TestBrokerKilledMidStream(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	tl := tail(t, b.URL(), true)
	link(t, f, b.URL())
	done := make(chan struct{})
	go func() { defer close(done); f.pick(3000) }()
	poll.Eventually(t, 30*time.Second, func() bool { return tl.Stats().Unique > 500 }, func() string { return "no events flowed" })
	b.Kill()
	f.pick(200) // the floor keeps working while the broker is gone
	b.Restart()
	<-done
	complete(t, f, tl)
}

func TestBrokerFrozenPastKeepalive(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	tl := tail(t, b.URL(), true)
	g, _ := link(t, f, b.URL(), func(c *fgsync.Config) { c.Keepalive = time.Second })
	f.pick(300)
	poll.Eventually(t, 30*time.Second, func() bool { return tl.Stats().Unique > 100 }, func() string { return "no events flowed" })
	b.Freeze()
	f.pick(300)
	poll.Eventually(t, 30*time.Second, func() bool { return !g.Status().Connected }, func() string { return "frozen broker not noticed" })
	b.Thaw()
	f.pick(100)
	complete(t, f, tl)
}

func TestDisconnectWithThousandsInFlight(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	f.pick(6000) // a backlog, as after a WAN outage
	tl := tail(t, b.URL(), true)
	g, _ := link(t, f, b.URL(), func(c *fgsync.Config) { c.Window = 4000 })
	poll.Eventually(t, 30*time.Second, func() bool {
		s := g.Status()
		return s.Published-s.Acknowledged >= 1000
	}, func() string { return fmt.Sprintf("never 1000 in flight: %+v", g.Status()) })
	inflight := g.Status().Published - g.Status().Acknowledged
	b.Kill()
	b.Restart()
	complete(t, f, tl)
	t.Logf("%d events were in flight at the disconnect", inflight)
}

func TestOversizedEventIsDeadLettered(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	tl := tail(t, b.URL(), false)
	g, stop := link(t, f, b.URL(), func(c *fgsync.Config) { c.MaxMessageBytes = 300 })
	f.pick(20) // scan.accepted events are larger than 300 bytes
	poll.Eventually(t, 10*time.Second, func() bool { ob, _ := f.db.Outbox(); return ob.Depth == 0 && ob.DeadLetters > 0 }, func() string { ob, _ := f.db.Outbox(); return fmt.Sprintf("outbox %+v", ob) })
	dl, _ := f.db.DeadLetters()
	if len(dl) == 0 || dl[0].Reason == "" || g.Status().DeadLettered == 0 {
		t.Fatalf("dead letters %+v status %+v", dl, g.Status())
	}
	// Nothing silently dropped: the consumer sees the gaps where they are.
	if s := tl.Stats(); len(s.Gaps[site.ID+"/"+site.Gateway]) == 0 && s.Unique >= int(f.lastSeq()) {
		t.Fatalf("dead letters reached the consumer: %+v", s)
	}
	// The broker's limit is raised; an admin retries the dead letters and
	// they go through, leaving the list.
	stop()
	for _, d := range dl {
		if err := f.db.RetryDeadLetter(context.Background(), d.Seq); err != nil {
			t.Fatal(err)
		}
	}
	link(t, f, b.URL())
	complete(t, f, tl)
	poll.Eventually(t, 10*time.Second, func() bool { left, _ := f.db.DeadLetters(); return len(left) == 0 }, func() string {
		left, _ := f.db.DeadLetters()
		return fmt.Sprintf("%d dead letters left after the retry", len(left))
	})
}

// subscribed waits until the gateway listens for commands.
func subscribed(t *testing.T, g *fgsync.Gateway) {
	t.Helper()
	poll.Eventually(t, 10*time.Second, func() bool { return g.Status().DownConnected }, func() string { return "commands never subscribed" })
}

// command publishes a command for the gateway, as the ERP would.
func command(t *testing.T, broker, raw string) {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprint("erp-cmd-", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("erp connect: %v", tok.Error())
	}
	defer c.Disconnect(100)
	if tok := c.Publish(fgsync.TopicsFor(site.ID, site.Gateway).Commands, 1, false, raw); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("erp publish: %v", tok.Error())
	}
}

func TestCommandWhileGatewayDown(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	g, stop := link(t, f, b.URL())
	subscribed(t, g)
	stop()
	command(t, b.URL(), `{"id":"c-1","type":"task.create","data":{"tasks":[{"id":"T-new","order":"SO-9","lines":[{"location":"L2","sku":"S2","qty":1}]}]}}`)
	link(t, f, b.URL())
	poll.Eventually(t, 15*time.Second, func() bool { _, err := f.db.Task("T-new"); return err == nil }, func() string { return "task sent while the gateway was down never arrived" })
}

func TestCancelCommandIntercepts(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	g, _ := link(t, f, b.URL())
	subscribed(t, g)
	f.pick(3)
	command(t, b.URL(), `{"id":"c-2","type":"task.cancel","data":{"task":"T-long","reason":"customer cancelled"}}`)
	poll.Eventually(t, 15*time.Second, func() bool { tk, _ := f.db.Task("T-long"); return tk.Status == floorgate.TaskCancelled }, func() string { return "cancel never applied" })
	v, _ := f.db.Scan(context.Background(), floorgate.Scan{ID: "after", Device: "pda-1", Data: "6901234567892"})
	if v.Code != floorgate.CodeTaskCancelled {
		t.Fatalf("scan after the intercept: %s", v.Code)
	}
}

func TestMalformedCommandIsRejected(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	tl := tail(t, b.URL(), false)
	g, _ := link(t, f, b.URL())
	subscribed(t, g)
	before := f.db.Counts()
	command(t, b.URL(), `{"id":"c-3","type":"task.create","data":{"tasks":[{"id":"T-bad","order":"SO","lines":[{"location":"L9","sku":"S1","qty":1}]}]}}`)
	var rec floorgate.CommandRecord
	poll.Eventually(t, 15*time.Second, func() bool {
		for {
			select {
			case ev := <-tl.Events():
				if ev.Type == floorgate.EventCommandRejected {
					json.Unmarshal(ev.Data, &rec)
					return true
				}
			default:
				return false
			}
		}
	}, func() string { return "no command.rejected" })
	if rec.CommandID != "c-3" || rec.Field != "data.tasks[0].lines[0].location" || rec.Reason != `unknown location "L9"` {
		t.Fatalf("rejection %+v", rec)
	}
	if after := f.db.Counts(); after.PendingTasks != before.PendingTasks {
		t.Fatal("a rejected command changed the tasks")
	}
}

// status subscribes to the gateway's status topic.
func statusWatch(t *testing.T, broker string) <-chan fgsync.StatusMessage {
	t.Helper()
	ch := make(chan fgsync.StatusMessage, 16)
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprint("watch-", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("watch connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	c.Subscribe(fgsync.TopicsFor(site.ID, site.Gateway).Status, 1, func(_ mqtt.Client, m mqtt.Message) {
		var s fgsync.StatusMessage
		if json.Unmarshal(m.Payload(), &s) == nil {
			select {
			case ch <- s:
			default:
			}
		}
	}).WaitTimeout(5 * time.Second)
	return ch
}

func waitStatus(t *testing.T, ch <-chan fgsync.StatusMessage, state, reason string) fgsync.StatusMessage {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case s := <-ch:
			if s.State == state && s.Reason == reason {
				return s
			}
		case <-deadline:
			t.Fatalf("no status %s %q", state, reason)
		}
	}
}

// TestStatus covers online, shutdown and the retained state; the last will
// of a killed gateway is covered by the gateway-process test in cmd.
func TestStatus(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	watch := statusWatch(t, b.URL())
	_, stop := link(t, f, b.URL())
	if s := waitStatus(t, watch, "online", ""); s.LastSeq != f.lastSeq() || s.Version != "test" {
		t.Fatalf("online status %+v, last seq %d", s, f.lastSeq())
	}
	stop()
	waitStatus(t, watch, "offline", "shutdown")

	link(t, f, b.URL())
	waitStatus(t, watch, "online", "")
	// A retained status reaches a consumer that subscribes later.
	late := statusWatch(t, b.URL())
	waitStatus(t, late, "online", "")
}

func TestMutualTLS(t *testing.T) {
	certs := mqtttest.NewCerts(t, t.TempDir())
	b := mqtttest.StartTLS(t, certs)
	f := openFloor(t, site)
	// Without the gateway's own certificate the broker refuses it.
	g, stop := link(t, f, b.URL(), func(c *fgsync.Config) { c.CAFile = certs.CA })
	poll.Eventually(t, 15*time.Second, func() bool { return g.Status().LastError != "" }, func() string { return fmt.Sprintf("no refusal without a client certificate: %+v", g.Status()) })
	if g.Status().Connected {
		t.Fatal("connected without a client certificate")
	}
	stop()
	g, _ = link(t, f, b.URL(), func(c *fgsync.Config) {
		c.CAFile, c.CertFile, c.KeyFile = certs.CA, certs.ClientCert, certs.ClientKey
	})
	f.pick(50)
	poll.Eventually(t, 15*time.Second, func() bool { ob, _ := f.db.Outbox(); return ob.Depth == 0 }, func() string { return fmt.Sprintf("outbox not drained over TLS: %+v", g.Status()) })
	poll.Eventually(t, 10*time.Second, func() bool { s := g.Status(); return s.Connected && s.Acknowledged >= 50 }, func() string { return fmt.Sprintf("status over TLS: %+v", g.Status()) })
}

// TestOverWebSockets links over ws://, to Mosquitto's WebSockets listener,
// while the consumer reads over plain MQTT from the same broker.
func TestOverWebSockets(t *testing.T) {
	b := mqtttest.StartWebsockets(t)
	f := openFloor(t, site)
	tl := tail(t, b.URL(), false)
	g, _ := link(t, f, b.WebsocketURL())
	f.pick(30)
	poll.Eventually(t, 15*time.Second, func() bool { ob, _ := f.db.Outbox(); return ob.Depth == 0 }, func() string { return fmt.Sprintf("outbox not drained over WebSockets: %+v", g.Status()) })
	if s := g.Status(); !s.Connected || !strings.HasPrefix(s.Broker, "ws://") {
		t.Fatalf("status: %+v", s)
	}
	complete(t, f, tl)
}
