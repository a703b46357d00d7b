package scanner_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/serial"
	"github.com/floorgate/floorgate/device/serial/serialtest"
	profiles "github.com/floorgate/floorgate/firmware-profiles"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/store/storetest"
)

// wait bounds every wait on a condition; it is never slept.
const wait = 10 * time.Second

// floor opens a real store with two locations, an item, a picker and one
// task, and the station STN-1.
func floor(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, storetest.WithOptions(func(o *store.Options) {
		o.Site = floorgate.Site{ID: "site-1", Gateway: "gw-1", Policy: floorgate.DefaultPolicy()}
	}))
	pin, err := floorgate.HashPIN("1234")
	if err != nil {
		t.Fatal(err)
	}
	err = db.PutMaster(ctx, store.Master{
		Locations: []floorgate.Location{{Code: "A-01", Barcode: "LOC-A01"}, {Code: "A-02", Barcode: "LOC-A02"}},
		Items:     []floorgate.Item{{SKU: "SKU-1", Name: "Cable", Barcodes: []string{"6901234567892"}}},
		Operators: []floorgate.Operator{{ID: "op1", Name: "Li", Badge: "BADGE-1", PINHash: pin, Role: floorgate.RolePicker}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportTasks(ctx, []floorgate.Task{{ID: "T1", Order: "SO-1",
		Lines: []floorgate.TaskLine{{Location: "A-01", SKU: "SKU-1", Qty: 2}}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureStation(ctx, "STN-1", "Zebra DS2208"); err != nil {
		t.Fatal(err)
	}
	return db
}

func profile(t *testing.T, model string) *profiles.Profile {
	t.Helper()
	set, err := profiles.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := set.Get(model)
	if !ok {
		t.Fatalf("no profile %s", model)
	}
	return p
}

func frame(t *testing.T, f serial.Frame) []byte {
	t.Helper()
	b, err := serial.EncodeFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := profiles.DecodeHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ssi builds the transcript pieces of a DS2208 in SSI mode.
type ssi struct {
	t *testing.T
	p *profiles.Profile
}

func (s ssi) ack() []byte {
	return frame(s.t, serial.Frame{Opcode: serial.OpCmdAck, Source: serial.SourceDecoder})
}

// connect is what happens on every connect: the profile's init sequence,
// then scanning switched on or off, each acknowledged.
func (s ssi) connect(enable bool) []serialtest.Step {
	var steps []serialtest.Step
	for _, cmd := range s.p.Init {
		steps = append(steps, serialtest.Step{Write: unhex(s.t, cmd), Reply: s.ack()})
	}
	return append(steps, s.enable(enable))
}

func (s ssi) enable(on bool) serialtest.Step {
	op := serial.OpScanDisable
	if on {
		op = serial.OpScanEnable
	}
	return serialtest.Step{Write: frame(s.t, serial.Frame{Opcode: op, Source: serial.SourceHost}), Reply: s.ack()}
}

// read is the scanner sending a Code 128 decode and the host's ACK.
func (s ssi) read(data string) []serialtest.Step {
	decode := frame(s.t, serial.Frame{Opcode: serial.OpDecodeData, Source: serial.SourceDecoder, Data: append([]byte{0x03}, data...)})
	hostAck := frame(s.t, serial.Frame{Opcode: serial.OpCmdAck, Source: serial.SourceHost})
	return []serialtest.Step{{Reply: decode}, {Write: hostAck}}
}

// feedback is the profile's command for a verdict, each packet
// acknowledged.
func (s ssi) feedback(kind string, code floorgate.Code) []serialtest.Step {
	b := unhex(s.t, s.p.Feedback.For(kind, string(code)))
	var steps []serialtest.Step
	for len(b) > 0 {
		_, n, err := serial.DecodeFrame(b)
		if err != nil {
			s.t.Fatal(err)
		}
		steps = append(steps, serialtest.Step{Write: b[:n], Reply: s.ack()})
		b = b[n:]
	}
	return steps
}

// gatedFloor holds back the judging of one barcode until released, so a
// test can pull the cable between the read and its verdict.
type gatedFloor struct {
	*store.DB
	data    string
	reached chan struct{}
	release chan struct{}
}

func (g *gatedFloor) gate(data string) {
	if data == g.data {
		close(g.reached)
		<-g.release
	}
}

func (g *gatedFloor) LoginBadge(ctx context.Context, station, id, badge string) (floorgate.Verdict, error) {
	g.gate(badge)
	return g.DB.LoginBadge(ctx, station, id, badge)
}

func (g *gatedFloor) Scan(ctx context.Context, sc floorgate.Scan) (floorgate.Verdict, error) {
	g.gate(sc.Data)
	return g.DB.Scan(ctx, sc)
}

// plug makes a new pseudo-terminal appear at link, as udev's by-id link
// to a replugged scanner does.
func plug(t *testing.T, link string) *os.File {
	t.Helper()
	master, slave := serialtest.Pty(t)
	os.Remove(link)
	if err := os.Symlink(slave, link); err != nil {
		t.Fatal(err)
	}
	return master
}

type verdicts struct {
	mu  sync.Mutex
	got []floorgate.Verdict
	ch  chan struct{}
}

func newVerdicts() *verdicts { return &verdicts{ch: make(chan struct{}, 64)} }

func (v *verdicts) add(x floorgate.Verdict) {
	v.mu.Lock()
	v.got = append(v.got, x)
	v.mu.Unlock()
	v.ch <- struct{}{}
}

func (v *verdicts) waitN(t *testing.T, n int) []floorgate.Code {
	t.Helper()
	deadline := time.After(wait)
	for {
		v.mu.Lock()
		var codes []floorgate.Code
		for _, x := range v.got {
			codes = append(codes, x.Code)
		}
		v.mu.Unlock()
		if len(codes) >= n {
			return codes
		}
		select {
		case <-v.ch:
		case <-deadline:
			t.Fatalf("%d verdicts, want %d: %v", len(codes), n, codes)
		}
	}
}

func run(t *testing.T, fl scanner.Floor, link string, p *profiles.Profile, login string, poll time.Duration) (*scanner.Device, *verdicts) {
	t.Helper()
	dev := scanner.NewDevice(scanner.DeviceOptions{
		Name: "cart-scanner", Model: p.Model, Address: link,
		Open: func(context.Context) (scanner.Conn, error) { return serial.OpenScanner(link, p, nil) },
	})
	vs := newVerdicts()
	st, err := scanner.NewStation(fl, dev, scanner.StationOptions{ID: "STN-1", Login: login, Poll: poll, OnVerdict: vs.add})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); dev.Run(ctx) }()
	go func() { defer wg.Done(); st.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return dev, vs
}

// TestHotplugKeepsTheReadAndReconnects pulls the scanner's cable right
// after it delivered a badge read, plugs it back under the same path, and
// checks the read was not lost, the init sequence ran again and the next
// reads are judged and answered with the profile's beeps.
func TestHotplugKeepsTheReadAndReconnects(t *testing.T) {
	db := floor(t)
	p := profile(t, "Zebra DS2208")
	s := ssi{t, p}
	link := filepath.Join(t.TempDir(), "usb-Zebra_DS2208-if00")
	gf := &gatedFloor{DB: db, data: "BADGE-1", reached: make(chan struct{}), release: make(chan struct{})}

	m1 := plug(t, link)
	dev, vs := run(t, gf, link, p, scanner.LoginBadge, 0)
	play1 := serialtest.Play(t, m1, slices.Concat(s.connect(true), s.read("BADGE-1"))...)
	select {
	case <-gf.reached:
	case <-time.After(wait):
		t.Fatal("badge read never reached the floor")
	}
	<-play1.Done()
	// The cable comes out after the scanner delivered the read, before
	// the gateway has answered it.
	play1.Unplug()
	os.Remove(link)
	poll.Eventually(t, wait, func() bool { return dev.State().Status != scanner.StatusConnected }, poll.Say("the scanner to be seen gone"))
	close(gf.release)
	if got := vs.waitN(t, 1); got[0] != floorgate.CodeLoggedIn {
		t.Fatalf("badge read while unplugging: %v, want logged_in", got)
	}
	if op := db.Session("STN-1").Operator; op != "op1" {
		t.Fatalf("operator on STN-1 = %q, want op1: the read was lost", op)
	}

	// Plugged back in under the same path.
	m2 := plug(t, link)
	replugged := time.Now()
	play2 := serialtest.Play(t, m2, slices.Concat(s.connect(true),
		s.read("LOC-A01"), s.feedback("good", floorgate.CodeLocationOK),
		s.read("LOC-A02"), s.feedback("bad", floorgate.CodeWrongLocation))...)
	poll.Eventually(t, wait, func() bool { return dev.State().Connects == 2 }, poll.Say("reconnect"))
	t.Logf("reconnected %v after the port reappeared", time.Since(replugged).Round(time.Millisecond))
	select {
	case <-play2.Done():
	case <-time.After(wait):
		t.Fatal("transcript after replug not played to the end")
	}
	got := vs.waitN(t, 3)
	want := []floorgate.Code{floorgate.CodeLoggedIn, floorgate.CodeLocationOK, floorgate.CodeWrongLocation}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("verdicts %v, want %v", got, want)
	}
	st := dev.State()
	if st.Status != scanner.StatusConnected || st.Scans != 3 || st.Station != "STN-1" || st.LastScan.IsZero() {
		t.Fatalf("state %+v", st)
	}
}

// TestStationLoginSwitchesScanning: a station whose operators log in on its
// screen keeps the scanner disabled until someone is logged in there, and
// disables it again at logout.
func TestStationLoginSwitchesScanning(t *testing.T) {
	db := floor(t)
	p := profile(t, "Zebra DS2208")
	s := ssi{t, p}
	link := filepath.Join(t.TempDir(), "ttyS0")
	m := plug(t, link)
	before := slices.Concat(s.connect(false),
		[]serialtest.Step{s.enable(true)},
		s.read("LOC-A01"), s.feedback("good", floorgate.CodeLocationOK))
	play := serialtest.Play(t, m, slices.Concat(before, []serialtest.Step{s.enable(false)})...)
	dev, vs := run(t, db, link, p, scanner.LoginStation, 10*time.Millisecond)
	poll.Eventually(t, wait, func() bool { return dev.State().Status == scanner.StatusConnected }, poll.Say("connect"))
	ctx := context.Background()
	v, err := db.Login(ctx, "STN-1", "login-1", "BADGE-1", "1234")
	if err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("login on the station's screen: %v %v", v.Code, err)
	}
	if got := vs.waitN(t, 1); got[0] != floorgate.CodeLocationOK {
		t.Fatalf("verdict %v", got)
	}
	poll.Eventually(t, wait, func() bool { return dev.State().Operator == "op1" }, poll.Say("operator shown"))
	// The verdict's beep is written after the verdict is known: the
	// logout's disable must come after it, as on the floor.
	poll.Eventually(t, wait, func() bool { return play.Played() >= len(before) }, poll.Say("the verdict's feedback written"))
	if _, err := db.Logout(ctx, "STN-1"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-play.Done():
	case <-time.After(wait):
		t.Fatal("scanner was not disabled at logout")
	}
}

// TestBadgeAgainLogsOut: at a badge station the same badge scanned again
// logs its owner out; a read by nobody is refused by the engine.
func TestBadgeAgainLogsOut(t *testing.T) {
	db := floor(t)
	p := profile(t, "Zebra DS2208")
	s := ssi{t, p}
	link := filepath.Join(t.TempDir(), "ttyS1")
	m := plug(t, link)
	play := serialtest.Play(t, m, slices.Concat(s.connect(true),
		s.read("LOC-A01"), s.feedback("bad", floorgate.CodeNotLoggedIn),
		s.read("NOBODY"), s.feedback("bad", floorgate.CodeNotLoggedIn),
		s.read("BADGE-1"), s.feedback("good", floorgate.CodeLoggedIn),
		s.read("BADGE-1"), s.feedback("good", floorgate.CodeLoggedOut))...)
	_, vs := run(t, db, link, p, scanner.LoginBadge, 0)
	select {
	case <-play.Done():
	case <-time.After(wait):
		t.Fatal("transcript not played to the end")
	}
	got := vs.waitN(t, 4)
	want := []floorgate.Code{floorgate.CodeNotLoggedIn, floorgate.CodeNotLoggedIn, floorgate.CodeLoggedIn, floorgate.CodeLoggedOut}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("verdicts %v, want %v", got, want)
	}
	if op := db.Session("STN-1").Operator; op != "" {
		t.Fatalf("still logged in: %q", op)
	}
}
