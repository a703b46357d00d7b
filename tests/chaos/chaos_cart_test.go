//go:build chaos

package chaos

// The cart chaos scenario: pickers work carts (docs/pda-protocol.md §12)
// against the failpoints build of floorgate while it is killed with
// SIGKILL, round after round, at the three moments a cart can be caught
// in: binding its totes, walking to a stop, with a unit scanned and
// waiting for its tote, and right after a commit, before its verdicts go
// out. It ends in the standard CHAOS line with the cart's
// own fields:
//
//	CHAOS name=cart rounds=… puts=… carts=… acked=… received=… lost=… dup=… gaps=… doubled=… stray_totes=… result=…
//
// puts counts put_ok and cart_done verdicts the pickers got, carts the
// carts completed (cart.completed); lost adds to the standard count the
// puts a picker was told of with no pick.put in the journal and the units
// put whose count the order line does not hold; doubled, pick.put events
// for one scan and units counted beyond the puts (or beyond the line's
// quantity); stray_totes, totes whose binding in the store disagrees with
// the last tote.bound the journal holds for it, with what a picker was told,
// or with a cart's totes.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/sim"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// The moments of a cart a kill is aimed at: by the prompt a picker is
// about to answer, or, for momentCommit, the store's failpoint right after
// a commit, before its verdicts are sent (every scan of the batch is then
// recorded and unanswered: its resend must get the verdict kept).
const (
	momentBind   = "binding" // bind_tote: a tote for the next slot
	momentWalk   = "walk"    // scan_location, scan_item: on the way to a stop
	momentPut    = "put"     // scan_tote: a unit waits for its tote
	momentCommit = "commit"  // store/after-commit: recorded, not answered
)

var cartMoments = []string{momentBind, momentWalk, momentPut, momentCommit}

// momentOf is the cart moment of a prompt step, "" for any other.
func momentOf(step string) string {
	switch step {
	case "bind_tote":
		return momentBind
	case "scan_location", "scan_item":
		return momentWalk
	case "scan_tote":
		return momentPut
	}
	return ""
}

// cartLedger is what the pickers on carts were told, by scan id.
type cartLedger struct {
	mu sync.Mutex
	// puts are the scans answered put_ok or cart_done, with the tote
	// label scanned.
	puts map[string]string
	// binds are the scans answered tote_bound or cart_ready, with the
	// tote label scanned.
	binds map[string]string
	// taken counts the orders each cart_started verdict gave its picker.
	taken map[string]int
	// fired counts the kills that hit each moment; fallback those that
	// came with no picker at the moment aimed at; resent the scans left
	// unanswered by a kill, by the moment they were sent in.
	fired, resent map[string]int
	fallback      int
	// lostSessions are pickers the gateway no longer knew after a restart;
	// crashes the ends of the logs of gateways that died unbidden.
	lostSessions, crashes []string
}

func newCartLedger() *cartLedger {
	return &cartLedger{puts: map[string]string{}, binds: map[string]string{}, taken: map[string]int{},
		fired: map[string]int{}, resent: map[string]int{}}
}

// record notes a verdict p got; p.lastData is the data of the scan an OK
// verdict answered.
func (c *cartLedger) record(p *sim.Picker, o sim.Outcome) {
	if !o.Verdict.OK {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch o.Verdict.Code {
	case floorgate.CodePutOK, floorgate.CodeCartDone:
		c.puts[o.ScanID] = p.LastData()
	case floorgate.CodeToteBound, floorgate.CodeCartReady:
		c.binds[o.ScanID] = p.LastData()
	case floorgate.CodeCartStarted:
		c.taken[o.ScanID] = o.Verdict.Prompt.Slots
	}
}

func (c *cartLedger) ordersTaken() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.taken {
		n += s
	}
	return n
}

// toteSupply hands out totes, each once, and grows as totes are added to
// master data.
type toteSupply struct {
	mu    sync.Mutex
	totes []floorgate.Tote
	n     int
}

func (s *toteSupply) next() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n >= len(s.totes) {
		return "", false
	}
	s.n++
	return s.totes[s.n-1].Barcode, true
}

func (s *toteSupply) add(ts ...floorgate.Tote) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.totes = append(s.totes, ts...)
}

func (s *toteSupply) all() []floorgate.Tote {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]floorgate.Tote(nil), s.totes...)
}

// chaosCartFloor is a floor whose pickers work carts only.
type chaosCartFloor struct {
	*floor
	cl    *cartLedger
	totes *toteSupply
	// orders are the cart orders given to the gateway, in batches.
	orders  []floorgate.Task
	batches int
	pdas    int
	rng     *rand.Rand
}

// newChaosCartFloor starts a broker, the consumer and the gateway, gives it
// cart orders and logs in pdas pickers (at most one per demo cart), each
// starting at its own cart. The demo's held peak wave stays held: what it
// holds besides cart orders (a put wall's batch, single-item orders) would
// go ahead of cart orders of no wave, and the pickers here work carts
// only, so the demo's own orders are cancelled.
func newChaosCartFloor(t *testing.T, ctx context.Context, pdas int) *chaosCartFloor {
	t.Helper()
	f := &floor{t: t, ctx: ctx, b: mqtttest.Start(t), demo: gateway.NewDemo(), l: newLedger()}
	f.tl = startTail(t, f.b.URL(), "", true)
	f.gw = chaosGateway{broker: f.b.URL(), stateDir: t.TempDir(), gateway: "gw-cart"}
	f.d = f.gw.start(t)
	cf := &chaosCartFloor{floor: f, cl: newCartLedger(), totes: &toteSupply{}, pdas: pdas,
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 12))}
	cf.totes.add(f.demo.Master.Totes...)
	// The demo's single orders would go to a picker whose cart ends when
	// the cart orders run out between two supplies: this floor picks
	// carts only.
	for _, tk := range f.demo.Tasks {
		if err := f.d.Local().Post(ctx, "/api/v1/tasks/"+url.PathEscape(tk.ID)+"/cancel", map[string]string{"reason": "a floor of carts"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	cf.supply()
	for i := range pdas {
		p, err := sim.DialPicker(ctx, f.d.URL(), f.d.TLS, f.demo, fmt.Sprintf("cart-pda-%d", i), f.demo.Badges[i], 0, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if p.Prompt().Step != "scan_cart" {
			t.Fatalf("%s logged in with cart orders waiting: prompt %+v, want scan_cart", p.Device(), p.Prompt())
		}
		p.OnCart(f.demo, i, cf.totes.next)
		f.pickers = append(f.pickers, p)
	}
	return cf
}

// cartPriority puts the scenario's cart orders ahead of the demo's own.
const cartPriority = 50

// supply keeps two cartloads of orders waiting for every picker, and a
// tote in master data for each order: cart orders of one to three lines
// of one or two units, with as many new totes.
func (cf *chaosCartFloor) supply() {
	t := cf.t
	t.Helper()
	want := 2 * cf.pdas * gateway.DemoCartSlots
	waiting := len(cf.orders) - cf.cl.ordersTaken()
	if waiting >= want {
		return
	}
	n := want - waiting + gateway.DemoCartSlots
	cf.batches++
	prefix := fmt.Sprintf("CK%d-", cf.batches)
	tasks := cf.demo.MoreTasks(rand.New(rand.NewPCG(uint64(cf.batches), 13)), prefix, n, 1, 3, 2)
	totes := make([]floorgate.Tote, n)
	for i := range tasks {
		tasks[i].Mode, tasks[i].Priority = floorgate.ModeCluster, cartPriority
		totes[i] = floorgate.Tote{ID: fmt.Sprintf("CT%d-%03d", cf.batches, i+1), Barcode: fmt.Sprintf("CTOTE-%d-%03d", cf.batches, i+1)}
	}
	if err := cf.d.Local().Post(cf.ctx, "/api/v1/master", map[string]any{"totes": totes}, nil); err != nil {
		t.Fatalf("add totes: %v", err)
	}
	if err := cf.d.Local().Post(cf.ctx, "/api/v1/tasks", map[string]any{"tasks": tasks}, nil); err != nil {
		t.Fatalf("add cart orders: %v", err)
	}
	cf.totes.add(totes...)
	cf.orders = append(cf.orders, tasks...)
}

// record notes an outcome in both ledgers.
func (cf *chaosCartFloor) record(p *sim.Picker, o sim.Outcome) {
	cf.l.record(o)
	cf.cl.record(p, o)
}

// work has p follow its prompts until stop is closed, its connection
// dies, it has nothing to do or it made n scans (n < 0: no limit); before
// each scan it calls before with the scan's moment.
func (cf *chaosCartFloor) work(p *sim.Picker, stop <-chan struct{}, n int, before func(moment string)) {
	for i := 0; n < 0 || i < n; i++ {
		select {
		case <-stop:
			return
		default:
		}
		if p.Prompt().Cart == "" && p.Prompt().Step != "scan_cart" && p.Prompt().Step != "wait" {
			cf.t.Errorf("%s was given work off the carts: %+v", p.Device(), p.Prompt())
			return
		}
		if before != nil {
			before(momentOf(p.Prompt().Step))
		}
		o, err := p.Step(cf.ctx)
		if err != nil {
			if errors.Is(err, sim.ErrNoTask) && p.Prompt().Step != "wait" {
				cf.t.Errorf("%s has nothing to scan at prompt %+v", p.Device(), p.Prompt())
			}
			return
		}
		cf.record(p, o)
	}
}

// round has the pickers work until the gateway is killed at moment (see
// chaosKill). With momentCommit the gateway was started with the
// failpoint and kills itself.
func (cf *chaosCartFloor) round(moment string) {
	exited := func() bool {
		if moment == momentCommit && strings.Contains(cf.d.log(), "failpoint store/after-commit fired") {
			return true
		}
		log := cf.d.log()
		cf.cl.mu.Lock()
		cf.cl.crashes = append(cf.cl.crashes, log[max(0, len(log)-2000):])
		cf.cl.mu.Unlock()
		return false
	}
	fired := chaosKill(cf.t, cf.rng, cf.d, moment, moment == momentCommit, exited, func(stop <-chan struct{}, before func(string)) {
		var wg sync.WaitGroup
		for _, p := range cf.pickers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cf.work(p, stop, -1, before)
			}()
		}
		wg.Wait()
	})
	cf.cl.mu.Lock()
	if fired {
		cf.cl.fired[moment]++
	} else {
		cf.cl.fallback++
	}
	cf.cl.mu.Unlock()
}

// chaosKill runs one chaos round: work has the floor's devices scan until
// stop is closed, calling before with each scan's moment first; once armed
// (a random while into the round) the first scan of the moment aimed at
// kills the gateway a few milliseconds later — before the scan reaches it,
// while it is committed, or after. With selfKill the gateway kills itself
// (its failpoint). A gateway that exits on its own asks exited whether
// that was the kill aimed at. It reports whether the kill came at the
// moment aimed at (else it came after a while, as a fallback).
func chaosKill(t testing.TB, rng *rand.Rand, d *chaosProc, moment string, selfKill bool, exited func() bool,
	work func(stop <-chan struct{}, before func(string))) bool {
	t.Helper()
	armAfter := time.Duration(rng.IntN(300)) * time.Millisecond
	jitter := time.Duration(rng.IntN(4000)) * time.Microsecond
	start := time.Now()
	hit := make(chan struct{})
	var once sync.Once
	var armed atomic.Bool
	tm := time.AfterFunc(armAfter, func() { armed.Store(true) })
	defer tm.Stop()
	if selfKill {
		hit = nil // the gateway's own failpoint is the hit
	}
	stop := make(chan struct{})
	idle := make(chan struct{}) // the devices stopped before the kill: out of work
	fired := make(chan bool, 1)
	go func() {
		f := true
		select {
		case <-hit:
			time.Sleep(jitter)
		case <-idle:
			// A gateway that died (by its failpoint, say) ends the
			// devices' connections first.
			select {
			case <-d.Exited():
				f = exited()
			case <-time.After(time.Second):
				f = false
			}
		case <-d.Exited():
			f = exited()
		case <-time.After(armAfter + 5*time.Second):
			f = false
		}
		d.kill()
		close(stop)
		fired <- f
	}()
	work(stop, func(m string) {
		if m == moment && armed.Load() && hit != nil {
			once.Do(func() { close(hit) })
		}
	})
	close(idle)
	f := <-fired
	t.Logf("round aimed at %s: killed after %v", moment, time.Since(start).Round(time.Millisecond))
	return f
}

// restart starts the gateway again, with the failpoints fp, and brings
// every picker back to where the gateway's welcome says it is, resending
// the scan it got no verdict for with the same id.
func (cf *chaosCartFloor) restart(fp string) {
	cf.t.Helper()
	gw := cf.gw
	gw.failpoints = fp
	cf.d = gw.start(cf.t)
	for _, p := range cf.pickers {
		step := p.Prompt().Step // what the unanswered scan, if any, answered
		if p.Unanswered() != nil {
			cf.cl.mu.Lock()
			cf.cl.resent[momentOf(step)]++
			cf.cl.mu.Unlock()
		}
		if err := p.Reconnect(cf.ctx, cf.d.URL()); err != nil {
			cf.t.Fatal(err)
		}
		if p.Prompt().Step == "login" {
			// Sessions are stored: a restart must not sign anyone out.
			cf.cl.mu.Lock()
			cf.cl.lostSessions = append(cf.cl.lostSessions, p.Device())
			cf.cl.mu.Unlock()
			if err := p.Relogin(cf.ctx, cf.demo.Badges[slices.Index(cf.pickers, p)]); err != nil {
				cf.t.Fatal(err)
			}
		}
		if p.Unanswered() == nil {
			continue
		}
		o, err := p.Send(cf.ctx)
		if err != nil {
			cf.t.Fatalf("%s resend: %v", p.Device(), err)
		}
		if step == "scan_cart" && o.Verdict.Code == floorgate.CodeCartInUse {
			o.Expected = true // another picker took it meanwhile: the next cart
			p.NextCart()
		}
		cf.record(p, o)
	}
}

// TestChaosCart kills floorgate with SIGKILL while pickers work carts —
// each round aimed in turn at a cart being bound, a walk between stops, a
// unit scanned and waiting for its tote, and (by the store's failpoint)
// scans recorded but not yet answered — restarts it, and has the pickers
// resume from the gateway's welcome, resending their unanswered scan.
// Then, from the stopped gateway's journal and store: every put a picker
// was told of has exactly one pick.put, every order line counts exactly
// the units put into its tote (never above its quantity), and every tote
// holds the order its last tote.bound names — the one its picker was told
// of — on the cart and slot its session shows.
func TestChaosCart(t *testing.T) {
	start := time.Now()
	rounds := chaosRounds(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rounds)*8*time.Second+3*time.Minute)
	defer cancel()
	cf := newChaosCartFloor(t, ctx, 3)
	for r := range rounds {
		moment := cartMoments[r%len(cartMoments)]
		if r > 0 {
			fp := ""
			if moment == momentCommit {
				// Some way into the round's scans (a start commits a few
				// times before the pickers are back).
				fp = fmt.Sprintf("store/after-commit=%d*kill", 20+cf.rng.IntN(150))
			}
			cf.restart(fp)
		}
		cf.supply()
		cf.round(moment)
	}
	cf.restart("")
	cf.supply()
	var wg sync.WaitGroup
	for _, p := range cf.pickers {
		wg.Add(1)
		go func() { defer wg.Done(); cf.work(p, nil, 30, nil) }()
	}
	wg.Wait()
	for _, p := range cf.pickers {
		p.Close()
	}
	cf.d.drained(t, cf.tl, "demo/"+cf.gw.gateway, time.Minute)
	cf.d.stop(t)

	var extra []string
	cf.cl.mu.Lock()
	t.Logf("kills: %v at the moment aimed at, %d with none; unanswered scans resent by moment: %v", cf.cl.fired, cf.cl.fallback, cf.cl.resent)
	if rounds >= len(cartMoments) {
		for _, m := range cartMoments {
			if cf.cl.fired[m] == 0 {
				extra = append(extra, fmt.Sprintf("no kill hit a cart at %s: the scenario did not happen", m))
			}
		}
	}
	for _, d := range cf.cl.lostSessions {
		extra = append(extra, fmt.Sprintf("%s was signed out by a restart", d))
	}
	for _, l := range cf.cl.crashes {
		extra = append(extra, "the gateway died unbidden:\n"+l)
	}
	cf.cl.mu.Unlock()
	if len(cf.cl.puts) < rounds {
		extra = append(extra, fmt.Sprintf("only %d puts over %d rounds: the kills found little to break", len(cf.cl.puts), rounds))
	}
	// The standard report first: the cart checks write to the database
	// (they open each tote at a pack station).
	out := captureStdout(t, func() { chaosReport(t, "cart", cf.l, cf.tl, cf.gw.stateDir, cf.gw.gateway, extra...) })
	c := cf.check()
	for _, p := range c.problems {
		t.Error(p)
	}
	line := cartLine(strings.TrimSpace(out), rounds, len(cf.cl.puts), c)
	fmt.Println(line)
	if strings.HasSuffix(line, "result=FAIL") || strings.Contains(line, "result=FAIL ") {
		t.Error(line)
	}
	t.Logf("%d rounds, %d puts, %d carts, %d cart orders, %d totes; %v", rounds, len(cf.cl.puts), c.carts, len(cf.orders), len(cf.totes.all()), time.Since(start).Round(time.Millisecond))
}

// cartLine is the standard CHAOS line std of the cart scenario with the
// carts' figures.
func cartLine(std string, rounds, puts int, c cartCheck) string {
	return floorLine(std, "cart", fmt.Sprintf("rounds=%d puts=%d carts=%d", rounds, puts, c.carts), c.floorCheck, "stray_totes")
}

// floorLine is the standard CHAOS line std of scenario name with a floor
// process's figures after the name, its losses added to lost, and its
// doubled and stray counts (under strayKey) before the result, which fails
// when any of them is not zero.
func floorLine(std, name, figures string, c floorCheck, strayKey string) string {
	lostRE := regexp.MustCompile(` lost=(\d+)`)
	m := lostRE.FindStringSubmatch(std)
	if m == nil {
		return fmt.Sprintf("CHAOS name=%s %s lost=%d doubled=%d %s=%d result=FAIL (no standard line: %q)",
			name, figures, c.lost, c.doubled, strayKey, c.stray, std)
	}
	lost, _ := strconv.Atoi(m[1])
	line := lostRE.ReplaceAllString(std, fmt.Sprintf(" lost=%d", lost+c.lost))
	line = strings.Replace(line, "name="+name+" ", "name="+name+" "+figures+" ", 1)
	head, result, _ := strings.Cut(line, " result=")
	if c.lost+c.doubled+c.stray > 0 {
		result = "FAIL"
	}
	return fmt.Sprintf("%s doubled=%d %s=%d result=%s", head, c.doubled, strayKey, c.stray, result)
}

// cartCheck is what the stopped gateway's journal and store say of the
// carts.
type cartCheck struct {
	carts int
	floorCheck
}

// floorCheck counts what a chaos scenario found wrong with a floor
// process, by kind, and describes the first few.
type floorCheck struct {
	lost, doubled, stray int
	problems             []string
}

func (c *floorCheck) problem(n *int, format string, args ...any) {
	*n++
	if len(c.problems) < 20 {
		c.problems = append(c.problems, fmt.Sprintf(format, args...))
	}
}

// check reads the stopped gateway's database: the journal, then the
// orders' lines, the sessions' carts and the totes' bindings.
func (cf *chaosCartFloor) check() cartCheck {
	t := cf.t
	t.Helper()
	var c cartCheck
	db := openState(t, cf.gw.stateDir, cf.gw.gateway)
	defer db.Close()
	evs, err := db.Journal(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	toteID := map[string]string{} // label → tote
	for _, tt := range cf.totes.all() {
		toteID[tt.Barcode] = tt.ID
	}
	type lineKey struct {
		task string
		line int
	}
	last := map[string]floorgate.ScanRecord{} // device → its last accepted scan before the event
	putsOf := map[string]int{}                // scan id → its pick.put events
	putUnits := map[lineKey]int{}
	boundBy := map[string]floorgate.ToteBinding{} // scan id → the tote.bound it made
	bound := map[string]floorgate.ToteBinding{}   // tote → its last tote.bound
	for _, ev := range evs {
		switch ev.Type {
		case floorgate.EventScanAccepted:
			var rec floorgate.ScanRecord
			if err := json.Unmarshal(ev.Data, &rec); err != nil {
				t.Fatal(err)
			}
			last[rec.Device] = rec
		case floorgate.EventPickPut:
			var put floorgate.PutRecord
			if err := json.Unmarshal(ev.Data, &put); err != nil {
				t.Fatal(err)
			}
			rec := last[put.Device]
			if rec.Code != floorgate.CodePutOK && rec.Code != floorgate.CodeCartDone {
				c.problem(&c.doubled, "pick.put %d (%s line %d) follows no put scan of %s (last: %s %s)", ev.Seq, put.Order, put.Line, put.Device, rec.ScanID, rec.Code)
				continue
			}
			if toteID[rec.Data] != put.Tote {
				c.problem(&c.stray, "pick.put %d puts into tote %s; scan %s read %s", ev.Seq, put.Tote, rec.ScanID, rec.Data)
			}
			putsOf[rec.ScanID]++
			putUnits[lineKey{put.Task, put.Line}] += put.Qty
		case floorgate.EventToteBound:
			var b floorgate.ToteBinding
			if err := json.Unmarshal(ev.Data, &b); err != nil {
				t.Fatal(err)
			}
			rec := last[b.Device]
			if rec.Code != floorgate.CodeToteBound && rec.Code != floorgate.CodeCartReady || toteID[rec.Data] != b.Tote {
				c.problem(&c.stray, "tote.bound %d (%s to %s) follows no binding scan of it by %s (last: %s %s %s)", ev.Seq, b.Tote, b.Order, b.Device, rec.ScanID, rec.Code, rec.Data)
			}
			boundBy[rec.ScanID] = b
			bound[b.Tote] = b
		case floorgate.EventCartCompleted:
			c.carts++
		}
	}
	for id, n := range putsOf {
		if n > 1 {
			c.problem(&c.doubled, "scan %s made %d pick.put events", id, n)
		}
	}

	// What the pickers were told.
	cf.cl.mu.Lock()
	for id, tote := range cf.cl.puts {
		if putsOf[id] == 0 {
			c.problem(&c.lost, "scan %s (tote %s) was answered as a put; the journal has no pick.put for it", id, tote)
		}
	}
	for id, label := range cf.cl.binds {
		b, ok := boundBy[id]
		switch {
		case !ok:
			c.problem(&c.stray, "scan %s was answered as binding %s; the journal has no tote.bound for it", id, label)
		case bound[b.Tote] != b:
			c.problem(&c.stray, "tote %s was bound to %s (scan %s), then to %s on %s slot %d, never freed", b.Tote, b.Order, id, bound[b.Tote].Order, bound[b.Tote].Cart, bound[b.Tote].Slot)
		}
	}
	cf.cl.mu.Unlock()

	// Every order line counts the units put into its tote, no more.
	for _, o := range cf.orders {
		tk, err := db.Task(o.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range tk.Lines {
			put := putUnits[lineKey{o.ID, i + 1}]
			switch {
			case l.Picked > l.Qty:
				c.problem(&c.doubled, "%s line %d: %d of %d units picked", o.Order, i+1, l.Picked, l.Qty)
			case l.Picked > put:
				c.problem(&c.doubled, "%s line %d: %d units counted, %d put (pick.put)", o.Order, i+1, l.Picked, put)
			case l.Picked < put:
				c.problem(&c.lost, "%s line %d: %d units put (pick.put), %d counted", o.Order, i+1, put, l.Picked)
			}
		}
	}

	// Each running cart's totes are the ones bound to its slots, and
	// every tote bound to an order on a running cart is on it.
	sessions := db.Sessions()
	for _, s := range sessions {
		if s.Cart == nil {
			continue
		}
		for i, task := range s.Cart.Tasks {
			if i >= len(s.Cart.Totes) || s.Cart.Totes[i] == "" {
				continue
			}
			tote := s.Cart.Totes[i]
			if b := bound[tote]; b.Task != task || b.Cart != s.Cart.Cart || b.Slot != i+1 {
				c.problem(&c.stray, "%s's cart %s has tote %s in slot %d for %s; its last tote.bound says %s slot %d for %s", s.Device, s.Cart.Cart, tote, i+1, task, b.Cart, b.Slot, b.Task)
			}
		}
		for _, b := range bound {
			if b.Cart == s.Cart.Cart && onCartTask(s.Cart, b.Task) && (b.Slot > len(s.Cart.Totes) || s.Cart.Totes[b.Slot-1] != b.Tote) {
				c.problem(&c.stray, "tote %s was bound to %s slot %d (%s); the cart does not carry it there", b.Tote, b.Cart, b.Slot, b.Order)
			}
		}
	}
	view, err := db.Carts()
	if err != nil {
		t.Fatal(err)
	}
	if view.TotesHeld != len(bound) {
		c.problem(&c.stray, "the store holds %d totes bound, the journal %d (no order was packed or cancelled)", view.TotesHeld, len(bound))
	}

	// The store's bindings, read as the floor reads them: a tote scanned
	// at a pack station opens the order it holds. Last, as it writes.
	began := time.Now()
	held := cf.probeTotes(db)
	t.Logf("%d totes opened at a pack station in %v", len(held), time.Since(began).Round(time.Millisecond))
	for _, tt := range cf.totes.all() {
		if want := bound[tt.ID].Order; held[tt.ID] != want {
			c.problem(&c.stray, "tote %s holds %q in the store; its last tote.bound says %q", tt.ID, held[tt.ID], want)
		}
	}
	order := map[string]string{} // task → order
	for _, o := range cf.orders {
		order[o.ID] = o.Order
	}
	for _, s := range sessions {
		if s.Cart == nil {
			continue
		}
		for i, tote := range s.Cart.Totes {
			if tote != "" && held[tote] != order[s.Cart.Tasks[i]] {
				c.problem(&c.stray, "%s's cart %s has tote %s in slot %d for %s; the store binds it to %q", s.Device, s.Cart.Cart, tote, i+1, order[s.Cart.Tasks[i]], held[tote])
			}
		}
	}
	return c
}

// onCartTask reports whether task is one of run's orders.
func onCartTask(run *floorgate.CartRun, task string) bool {
	for _, id := range run.Tasks {
		if id == task {
			return true
		}
	}
	return false
}

// probeTotes opens, at a pack station of the stopped gateway's database
// (opened here), the order each tote holds: tote → order, "" for a free
// tote. Every cart order gets a shipment first so that it can be opened.
// No read of the store or the API names a tote's binding (GET
// /api/v1/carts counts them); the pack station is where the floor reads it.
func (cf *chaosCartFloor) probeTotes(db *store.DB) map[string]string {
	t := cf.t
	t.Helper()
	ctx := cf.ctx
	var ships []floorgate.Shipment
	for _, o := range cf.orders {
		s := floorgate.Shipment{Order: o.Order, Carrier: "SF", Tracking: "SF" + o.ID,
			Service: "顺丰标快", SortCode: "755W-NS01",
			Recipient: floorgate.Party{Name: "Li", Phone: "13800000000", Address: "Shenzhen"},
			Sender:    floorgate.Party{Name: "Demo", Phone: "0755-86000000", Address: "Shenzhen"}}
		for _, l := range o.Lines {
			s.Lines = append(s.Lines, floorgate.ShipmentLine{SKU: l.SKU, Qty: l.Qty})
		}
		ships = append(ships, s)
	}
	if err := db.PutShipments(ctx, ships); err != nil {
		t.Fatal(err)
	}
	// A wired scanner's station: its packer signs in with the badge alone
	// (no PIN to hash), and out again after each tote, which closes the
	// parcel the tote opened.
	const dev = "cart-probe"
	if err := db.EnsureStation(ctx, dev, "wired"); err != nil {
		t.Fatal(err)
	}
	held := map[string]string{}
	for i, tt := range cf.totes.all() {
		v, err := db.LoginBadge(ctx, dev, fmt.Sprint("probe-login-", i), cf.demo.PackerBadges[0])
		if err != nil || !v.OK {
			t.Fatalf("probe login: %v %s", err, v.Code)
		}
		v, err = db.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("probe-", i), Device: dev, Data: tt.Barcode, DistanceMM: 70})
		if err != nil {
			t.Fatal(err)
		}
		switch v.Code {
		case floorgate.CodeOrderOK:
			held[tt.ID] = v.Prompt.Order
		case floorgate.CodeUnknownOrder:
		default:
			t.Fatalf("tote %s at the pack station: %s", tt.ID, v.Code)
		}
		if _, err := db.Logout(ctx, dev); err != nil {
			t.Fatal(err)
		}
	}
	return held
}
