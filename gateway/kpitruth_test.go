package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/device/ws/wsclient"
	"github.com/floorgate/floorgate/internal/shiftgen"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
	"github.com/floorgate/floorgate/store"
)

// TestKPITruth plays a generated shift (internal/shiftgen: pickers and
// packers, tasks picked alone and orders picked on carts, every incident
// kind, distances in, out and unknown, packing and shipping, a waybill the
// printer fails) against a real gateway — the
// sample configuration, TLS on, PDAs over WebSockets, a printer on a TCP
// socket, a manual clock moved to each action's time, a restart halfway —
// checks every verdict and push, then reads /api/v1/kpi for the whole shift and for a window
// that starts and ends off the hour, and compares every figure, for the
// site and each person, over the window and each hour, with the figures
// the generator computed from its own ground truth.
//
// The seeds play the sample's reject mode; the first also plays warn mode
// (a read out of the band judged as in it, with the warning).
// FLOORGATE_KPI_SEEDS=7,8,9 plays other seeds than shiftgen.TruthSeeds.
func TestKPITruth(t *testing.T) {
	if testing.Short() {
		t.Skip("plays four shifts of a few hundred scans each")
	}
	seeds := shiftgen.TruthSeeds
	if env := os.Getenv("FLOORGATE_KPI_SEEDS"); env != "" {
		seeds = nil
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				t.Fatalf("FLOORGATE_KPI_SEEDS: %v", err)
			}
			seeds = append(seeds, n)
		}
	}
	var shifts []shiftgen.Config
	for _, seed := range seeds {
		shifts = append(shifts, shiftgen.Default(seed))
	}
	warn := shiftgen.Default(seeds[0])
	warn.DistanceMode = "warn"
	shifts = append(shifts, warn)
	for _, cfg := range shifts {
		t.Run(fmt.Sprintf("%s/seed=%d", cfg.DistanceMode, cfg.Seed), func(t *testing.T) {
			t.Parallel() // each plays its own gateway; most of the time is fsync
			playTruth(t, cfg)
		})
	}
}

func playTruth(t *testing.T, gen shiftgen.Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sh := shiftgen.Generate(gen)
	cfg, seed := sh.Config, gen.Seed
	lbl := startFaultyZPL(t)
	clock := floorgate.NewManualClock(cfg.Start.Add(-10 * time.Minute))
	state := t.TempDir()
	g := startTruthGateway(t, clock, lbl.addr, sh, state)
	if d := g.Config.Standards.Distance; d.MinMM != cfg.MinMM || d.MaxMM != cfg.MaxMM || d.Mode != cfg.DistanceMode ||
		g.Config.Standards.DuplicateWindow != cfg.DuplicateWindow.String() {
		t.Fatalf("the gateway's standards %+v are not the generator's %+v", g.Config.Standards, cfg)
	}
	tc, err := client.PinnedTLS(g.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}

	// The site, as the ERP's master data brings it; the devices, paired.
	m := store.Master{}
	for _, l := range sh.Site.Locations {
		m.Locations = append(m.Locations, floorgate.Location{Code: l.Code, Zone: l.Zone, Barcode: l.Barcode, LabelXMM: l.LabelXMM})
	}
	for _, it := range sh.Site.Items {
		m.Items = append(m.Items, floorgate.Item{SKU: it.SKU, Name: it.Name, Barcodes: []string{it.Barcode}})
	}
	for _, c := range sh.Site.Carts {
		m.Carts = append(m.Carts, floorgate.Cart{ID: c.ID, Barcode: c.Barcode, Slots: c.Slots})
	}
	for _, tt := range sh.Site.Totes {
		m.Totes = append(m.Totes, floorgate.Tote{ID: tt.ID, Barcode: tt.Barcode})
	}
	for _, w := range sh.Site.Walls {
		m.Walls = append(m.Walls, floorgate.Wall{ID: w.ID, Slots: w.Slots})
	}
	hash, err := floorgate.HashPIN(cfg.PIN)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range sh.Site.Operators {
		m.Operators = append(m.Operators, floorgate.Operator{ID: op.ID, Name: op.Name, Badge: op.Badge,
			Role: floorgate.Role(op.Role), PINHash: hash})
	}
	if err := g.DB.PutMaster(ctx, m); err != nil {
		t.Fatal(err)
	}
	token := func(dev string) string { return "truth-token-" + dev + "-0123456789abcdef0123456789" }
	dial := func(g *Gateway) map[string]*wsclient.Client {
		pdas := map[string]*wsclient.Client{}
		for _, a := range sh.Script {
			if a.Device == "" || pdas[a.Device] != nil {
				continue
			}
			c, _, err := wsclient.DialTLS(ctx, "wss://"+g.Addr()+"/ws/v1", a.Device, token(a.Device), "truth-test", tc)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			pdas[a.Device] = c
		}
		return pdas
	}
	for _, a := range sh.Script {
		if a.Device != "" {
			if err := g.DB.EnrolDevice(ctx, a.Device, "truth-test", token(a.Device)); err != nil {
				t.Fatal(err)
			}
		}
	}
	pdas := dial(g)
	tasks := map[string]shiftgen.Task{}
	for _, tk := range sh.Tasks {
		tasks[tk.ID] = tk
	}

	// The shift.
	p := &player{t: t, ctx: ctx, g: g, clock: clock, pdas: pdas, tasks: tasks, sh: sh, lbl: lbl}
	start := time.Now()
	for i, a := range sh.Script {
		if i == len(sh.Script)/2 {
			// Halfway through, the gateway restarts: the KPIs it keeps
			// are built again from the journal, and the floor carries on
			// (logins and tasks survive; the PDAs reconnect).
			for dev, c := range p.pdas {
				p.noPush(dev, c)
				c.Close()
			}
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
			g = startTruthGateway(t, clock, lbl.addr, sh, state)
			p.g, p.pdas = g, dial(g)
		}
		p.play(i, a)
	}
	for dev, c := range p.pdas {
		p.noPush(dev, c)
	}
	played := time.Since(start)
	if len(p.wrong) > 0 {
		t.Errorf("%s seed %d: %d of %d actions got another answer than the generator's:\n%s", cfg.DistanceMode, seed, len(p.wrong),
			len(sh.Script), strings.Join(p.wrong[:min(len(p.wrong), 40)], "\n"))
	}

	// The KPIs.
	tok, _, err := g.DB.CreateToken(ctx, "kpi-truth", store.ScopeRead)
	if err != nil {
		t.Fatal(err)
	}
	api, err := client.Remote("https://"+g.Addr(), client.Options{Fingerprint: g.Fingerprint, Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	last := sh.Script[len(sh.Script)-1].At
	windows := []struct {
		name     string
		from, to time.Time
	}{
		{"shift", cfg.Start, last.Add(5 * time.Minute)},
		{"sub-window", cfg.Start.Add(83*time.Minute + 17250*time.Millisecond), cfg.Start.Add(221*time.Minute + 9500*time.Millisecond)},
	}
	var diffs []string
	for _, w := range windows {
		var got json.RawMessage
		q := url.Values{"from": {w.from.Format(time.RFC3339Nano)}, "to": {w.to.Format(time.RFC3339Nano)}, "people_hours": {"true"}}
		if err := api.Get(ctx, "/api/v1/kpi?"+q.Encode(), &got); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		want := sh.Expected(w.from, w.to)
		t.Logf("%s [%s, %s): %d people, %d hours, %d bytes; site %d scans, %d pick scans, %d wrong, %d lines", w.name,
			w.from.Format(time.RFC3339Nano), w.to.Format(time.RFC3339Nano), len(want.People), len(want.Hours), len(got),
			want.Site.Scans, want.Site.PickScans, want.Site.WrongPickScans, want.Site.Lines)
		for _, d := range shiftgen.Compare(want, got) {
			diffs = append(diffs, fmt.Sprintf("%s seed %d %s: %s", cfg.DistanceMode, seed, w.name, d))
		}
		// The exceptions page sums up the same window.
		var exc struct {
			Items []struct {
				Type string `json:"type"`
				Data struct {
					Kind      string `json:"kind"`
					ID        string `json:"id"`
					Exception string `json:"exception"`
				} `json:"data"`
			} `json:"items"`
			Summary json.RawMessage `json:"summary"`
		}
		if err := api.Get(ctx, "/api/v1/exceptions?"+q.Encode(), &exc); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		for _, d := range shiftgen.Compare(want.Site.Exceptions, exc.Summary) {
			diffs = append(diffs, fmt.Sprintf("%s seed %d %s: /api/v1/exceptions summary.%s", cfg.DistanceMode, seed, w.name, d))
		}
		// Every pick.exception and label.failed is an item; so is the
		// exception.raised of each case a short opened, in the same commit.
		floor, cases, raised := 0, map[string]bool{}, map[string]bool{}
		for _, it := range exc.Items {
			switch it.Type {
			case floorgate.EventPickException, floorgate.EventLabelFailed:
				floor++
				if it.Data.Exception != "" {
					cases[it.Data.Exception] = true
				}
			case floorgate.EventExceptionRaised:
				raised[it.Data.ID] = true
			}
		}
		if e := want.Site.Exceptions; floor != e.ShortPicks+e.Intercepts+e.LabelFailures {
			diffs = append(diffs, fmt.Sprintf("%s seed %d %s: /api/v1/exceptions items: want %d, got %d", cfg.DistanceMode, seed, w.name,
				e.ShortPicks+e.Intercepts+e.LabelFailures, floor))
		}
		if !maps.Equal(cases, raised) {
			diffs = append(diffs, fmt.Sprintf("%s seed %d %s: short picks' cases %v, exception.raised items %v", cfg.DistanceMode, seed, w.name, cases, raised))
		}
	}
	if len(diffs) > 0 {
		shown := diffs[:min(len(diffs), 300)]
		if len(shown) < len(diffs) {
			shown = append(shown, fmt.Sprintf("… and %d more", len(diffs)-len(shown)))
		}
		t.Errorf("%d figures differ from the truth (want is the generator's, got the gateway's):\n%s", len(diffs),
			strings.Join(shown, "\n"))
	}
	t.Logf("%s seed %d: %d actions played in %v", cfg.DistanceMode, seed, len(sh.Script), played.Round(time.Millisecond))
}

// startTruthGateway starts a gateway with the sample configuration (TLS
// self-signed, the 5–10 cm band in reject mode, the 300 ms double-read
// window) and one ZPL printer for both pack stations.
func startTruthGateway(t *testing.T, clock floorgate.Clock, printerAddr string, sh *shiftgen.Shift, state string) *Gateway {
	t.Helper()
	cfg := DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = state, "127.0.0.1:0", "127.0.0.1:0"
	// The one change to the sample: hours of scanning are replayed in
	// seconds of wall clock, which the message rate limit goes by.
	cfg.Devices.MaxMessagesPerS = 1 << 20
	cfg.Standards.Distance.Mode = sh.Config.DistanceMode // the sample's reject, or warn
	var stations []string
	for _, op := range sh.Site.Operators {
		if op.Role == shiftgen.RolePacker {
			stations = append(stations, op.Device)
		}
	}
	cfg.Printers = []PrinterConfig{{ID: "lbl-1", Dialect: "zpl", Address: "tcp://" + printerAddr, DPI: 203,
		ResidentCJK: true, Stations: stations}}
	g := New(cfg)
	g.Clock = clock
	if err := g.Start(context.Background()); err != nil {
		g.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// player plays a script's actions and notes every answer that is not the
// one the generator expects.
type player struct {
	t     *testing.T
	ctx   context.Context
	g     *Gateway
	clock *floorgate.ManualClock
	pdas  map[string]*wsclient.Client
	tasks map[string]shiftgen.Task
	sh    *shiftgen.Shift
	lbl   *faultyZPL
	wrong []string
}

func (p *player) miss(i int, a shiftgen.Action, format string, args ...any) {
	p.wrong = append(p.wrong, fmt.Sprintf("  #%d %s %s %s %q: %s", i, a.At.Format("15:04:05.000"), a.Device, a.Kind, a.Data,
		fmt.Sprintf(format, args...)))
}

func (p *player) play(i int, a shiftgen.Action) {
	t, ctx := p.t, p.ctx
	p.clock.Set(a.At)
	c := p.pdas[a.Device]
	switch a.Kind {
	case shiftgen.CreateTask:
		tk := p.tasks[a.Task]
		task := floorgate.Task{ID: tk.ID, Order: tk.Order, Created: a.At, Mode: floorgate.TaskMode(tk.Mode)}
		ship := floorgate.Shipment{Order: tk.Order, Carrier: "顺丰速运 SF Express", Tracking: tk.Tracking,
			Recipient: floorgate.Party{Name: "李雷", Phone: "13800001111", Address: "广东省深圳市南山区科技园南路88号"},
			Sender:    floorgate.Party{Name: "floorgate 测试仓", Phone: "075512345678", Address: "广东省深圳市宝安区福永物流园3号库"}}
		for _, l := range tk.Lines {
			task.Lines = append(task.Lines, floorgate.TaskLine{Location: l.Location, SKU: l.SKU, Qty: l.Qty})
			ship.Lines = append(ship.Lines, floorgate.ShipmentLine{SKU: l.SKU, Name: l.SKU, Qty: l.Qty})
		}
		if err := p.g.DB.PutShipments(ctx, []floorgate.Shipment{ship}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.g.DB.ImportTasks(ctx, []floorgate.Task{task}); err != nil {
			t.Fatal(err)
		}
	case shiftgen.CreateBatch:
		i := slices.IndexFunc(p.sh.Batches, func(b shiftgen.Batch) bool { return b.ID == a.Task })
		b := p.sh.Batches[i]
		var orders []floorgate.Task
		for _, tk := range b.Orders {
			task := floorgate.Task{ID: tk.ID, Order: tk.Order, Created: a.At}
			for _, l := range tk.Lines {
				task.Lines = append(task.Lines, floorgate.TaskLine{Location: l.Location, SKU: l.SKU, Qty: l.Qty})
			}
			orders = append(orders, task)
		}
		if _, err := p.g.DB.ImportBatch(ctx, floorgate.BatchDefinition{ID: b.ID, Wall: b.Wall}, orders); err != nil {
			t.Fatal(err)
		}
	case shiftgen.Cancel:
		if err := p.g.DB.CancelTask(ctx, a.Task, "order cancelled by the customer"); err != nil {
			t.Fatal(err)
		}
	case shiftgen.Login:
		v, err := c.Login(ctx, a.ID, a.Badge, p.sh.Config.PIN)
		if err != nil {
			t.Fatal(err)
		}
		p.verdict(i, a, v)
	case shiftgen.Logout:
		pr, err := c.Logout(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.prompt(i, a, pr)
	case shiftgen.Next:
		pr, err := c.Next(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		p.prompt(i, a, pr)
	case shiftgen.Short:
		v, err := c.Short(ctx, a.ID, a.Found)
		if err != nil {
			t.Fatal(err)
		}
		p.verdict(i, a, v)
	case shiftgen.Scan:
		sc := floorgate.Scan{ID: a.ID, Data: a.Data, AIM: a.AIM, Qty: a.Qty, DistanceMM: a.DistanceMM}
		if g := a.Geometry; g != nil {
			sc.Geometry = &floorgate.Geometry{ImageWidth: g.ImageWidth, FocalPx: g.FocalPx}
			for k, pt := range g.Corners {
				sc.Geometry.Corners[k] = floorgate.Point{X: pt[0], Y: pt[1]}
			}
		}
		if a.FailLabel {
			p.lbl.failNext()
		}
		v, err := c.Scan(ctx, sc)
		if err != nil {
			t.Fatal(err)
		}
		p.verdict(i, a, v)
		if v.Code == floorgate.CodePackDone {
			p.waitLabel(i, a)
		}
	default:
		t.Fatalf("action %d: unknown kind %q", i, a.Kind)
	}
	if a.Want.Push != "" {
		p.push(i, a)
	}
	if c != nil {
		p.noPush(a.Device, c)
	}
}

// push waits for the push the action must cause.
func (p *player) push(i int, a shiftgen.Action) {
	dev := a.Device
	if a.Want.PushTo != "" {
		dev = a.Want.PushTo
	}
	want := "login"
	if a.Kind == shiftgen.Cancel {
		want = a.Want.Step
	}
	select {
	case n := <-p.pdas[dev].Pushes():
		if n.Kind != a.Want.Push || n.Verdict.Prompt.Step != want {
			p.miss(i, a, "push to %s: %s %s step %s, want %s step %s", dev, n.Kind, n.Task, n.Verdict.Prompt.Step, a.Want.Push, want)
		}
	case <-time.After(10 * time.Second):
		p.miss(i, a, "no push to %s, want %s", dev, a.Want.Push)
	}
}

// verdict checks a verdict's code and the prompt that follows.
func (p *player) verdict(i int, a shiftgen.Action, v floorgate.Verdict) {
	if string(v.Code) != a.Want.Code || string(v.Warning) != a.Want.Warning {
		p.miss(i, a, "verdict %s (warning %q), want %s (warning %q)", v.Code, v.Warning, a.Want.Code, a.Want.Warning)
		return
	}
	p.prompt(i, a, v.Prompt)
}

func (p *player) prompt(i int, a shiftgen.Action, pr floorgate.Prompt) {
	if pr.Step != a.Want.Step || (a.Want.Task != "" && pr.Task != a.Want.Task) ||
		(a.Want.Line != 0 && (pr.Line != a.Want.Line || pr.Picked != a.Want.Picked)) {
		p.miss(i, a, "prompt %s %s line %d picked %d, want %s %s line %d picked %d", pr.Step, pr.Task, pr.Line, pr.Picked,
			a.Want.Step, a.Want.Task, a.Want.Line, a.Want.Picked)
	}
}

// noPush notes a push the generator did not expect.
func (p *player) noPush(dev string, c *wsclient.Client) {
	for {
		select {
		case n, ok := <-c.Pushes():
			if !ok {
				return
			}
			p.wrong = append(p.wrong, fmt.Sprintf("  %s: unexpected push %s %s (prompt %s %s)", dev, n.Kind, n.Task,
				n.Verdict.Prompt.Step, n.Verdict.Prompt.Task))
		default:
			return
		}
	}
}

// waitLabel waits, with the clock stopped, until the parcel's waybill is
// printed or has failed, and checks which.
func (p *player) waitLabel(i int, a shiftgen.Action) {
	order := a.Truth.Order
	want := floorgate.JobPrinted
	if a.FailLabel {
		want = floorgate.JobFailed
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		jobs, err := p.g.DB.PrintJobs()
		if err != nil {
			p.t.Fatal(err)
		}
		for _, j := range jobs {
			if j.Order != order || j.ReprintOf != "" {
				continue
			}
			switch j.Status {
			case floorgate.JobPrinted, floorgate.JobFailed:
				if j.Status != want {
					p.miss(i, a, "waybill %s %s (%s), want %s", j.ID, j.Status, j.Reason, want)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			p.miss(i, a, "waybill of %s neither printed nor failed: %+v", order, jobs)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// faultyZPL is a ZPL printer on a real TCP socket that prints every label,
// except that after a job it was told to fail it reports paper out — the
// label came out incomplete, and the gateway must not print it again on a
// guess (a label.failed). Its status replies are the printer's own
// (printertest.EncodeStatus, EncodeHQES).
type faultyZPL struct {
	addr string
	mu   sync.Mutex
	fail bool // the next job fails
	now  bool // the next status query reports the fault
	last printer.State
}

func startFaultyZPL(t *testing.T) *faultyZPL {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &faultyZPL{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				f.serve(conn)
			}()
		}
	}()
	return f
}

func (f *faultyZPL) failNext() {
	f.mu.Lock()
	f.fail = true
	f.mu.Unlock()
}

// serve reads commands and answers ~HS and ~HQES; ^XZ ends a label.
func (f *faultyZPL) serve(conn net.Conn) {
	var buf []byte
	tmp := make([]byte, 64<<10)
	for {
		n, err := conn.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:n]...)
		for {
			i, cmd := -1, ""
			for _, c := range []string{"~HQES", "~HS", "^XZ"} {
				if j := bytes.Index(buf, []byte(c)); j >= 0 && (i < 0 || j < i) {
					i, cmd = j, c
				}
			}
			if i < 0 {
				if len(buf) > 4 {
					buf = buf[len(buf)-4:]
				}
				break
			}
			buf = buf[i+len(cmd):]
			f.mu.Lock()
			var reply []byte
			switch cmd {
			case "^XZ":
				if f.fail {
					f.fail, f.now = false, true
				}
			case "~HS":
				f.last = printertest.Ready
				if f.now {
					f.last = printer.State{Online: true, PaperOut: true}
				}
				reply = printertest.EncodeStatus(printer.ZPL, f.last, 0)
			case "~HQES":
				reply = printertest.EncodeHQES(f.last)
				f.now = false
			}
			f.mu.Unlock()
			if reply != nil {
				if _, err := conn.Write(reply); err != nil {
					return
				}
			}
		}
	}
}
