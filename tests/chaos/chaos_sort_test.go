//go:build chaos

package chaos

// The put wall chaos scenario: a packer sorts batches at put walls
// (docs/pda-protocol.md §13) against the failpoints build of floorgate
// while it is killed with SIGKILL, round after round, at the moments a
// sort can be caught in: opening a batch, scanning a unit, with a unit
// given its slot and waiting for the slot's scan, and right after a
// commit, before its verdict goes out. It ends in the standard CHAOS
// line with the wall's own fields:
//
//	CHAOS name=sort rounds=… sorts=… batches=… acked=… received=… lost=… dup=… gaps=… doubled=… stray_slots=… result=…
//
// sorts counts the sort_ok, slot_ready and batch_sorted verdicts the
// packer got, batches the batches sorted (batch.sorted); lost adds to the
// standard count the sorts the packer was told of with no sort.put in the
// journal and the units sorted whose count the order line does not hold;
// doubled, sort.put events for one scan, units counted beyond the sorts
// (or the line's quantity) and a batch sorted twice; stray_slots, orders
// whose slot in the store is not the one their first sort.put (and the
// packer's prompt) gave them, slots holding two orders and sort.put events
// into a slot other than the one scanned.
//
// Each batch gets a wall of its own (master.put) so that no slot has to
// be packed free; the walls and batches are given to the store between
// kills, while the gateway is down, by the command path the ERP's
// task.create and master.put take (store.DB.ApplyCommand): the local API's
// task import takes no batch declaration.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/sim"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// The moments of sorting a kill is aimed at: by the prompt the packer is
// about to answer, or, for sortMomentCommit, the store's failpoint right
// after a commit, before its verdict is sent.
const (
	sortMomentOpen   = "open"   // scan_order: the batch's container label
	sortMomentItem   = "item"   // sort_item: a unit from the container
	sortMomentSlot   = "slot"   // scan_slot: a unit waits for its slot
	sortMomentCommit = "commit" // store/after-commit: recorded, not answered
)

// sortMoments are the rounds' aims in turn; a unit waiting for its slot
// is the moment most worth breaking, so it comes twice. Round 0 runs on
// the first start, without the failpoint, so it is not the commit.
var sortMoments = []string{sortMomentSlot, sortMomentItem, sortMomentCommit, sortMomentSlot, sortMomentOpen, sortMomentCommit}

// sortMomentOf is the sorting moment of a prompt step, "" for any other.
func sortMomentOf(step string) string {
	switch step {
	case "scan_order":
		return sortMomentOpen
	case "sort_item":
		return sortMomentItem
	case "scan_slot":
		return sortMomentSlot
	}
	return ""
}

// sortBatch is a batch given to the gateway: its own wall, its orders and
// the units in its container.
type sortBatch struct {
	id, wall string
	orders   []floorgate.Task
	units    []string
}

// sortTold is a sort_to_slot verdict: the order and slot a unit was given.
type sortTold struct {
	task, wall string
	slot       int
}

// sortLedger is what the packer was told, by scan id.
type sortLedger struct {
	mu sync.Mutex
	// sorts are the scans answered sort_ok, slot_ready or batch_sorted,
	// with the slot label scanned; told those answered sort_to_slot.
	sorts map[string]string
	told  map[string]sortTold
	// fired counts the kills that hit each moment; fallback those that
	// came with the packer not at the moment aimed at; resent the scans
	// left unanswered by a kill, by the moment they were sent in.
	fired, resent map[string]int
	fallback      int
	// problems are what the packer met that no journal shows: a batch
	// sorted with units left in its container, a container empty with
	// the batch open, a restart that signed it out, a gateway that died
	// unbidden.
	problems []string
}

func newSortLedger() *sortLedger {
	return &sortLedger{sorts: map[string]string{}, told: map[string]sortTold{},
		fired: map[string]int{}, resent: map[string]int{}}
}

func (s *sortLedger) problem(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.problems = append(s.problems, fmt.Sprintf(format, args...))
}

// chaosSortFloor is a floor whose one device is a packer at the walls.
type chaosSortFloor struct {
	*floor
	sl     *sortLedger
	packer *sim.Picker
	// walls are the slot labels of each wall given; batches every batch
	// given, queue those not opened yet.
	walls   map[string][]string
	batches []sortBatch
	queue   []sortBatch
	rng     *rand.Rand
}

// sortBatchOrders is the orders of each batch, hence its wall's slots.
const sortBatchOrders = 16

// sortQueued is how many batches wait to be opened at each start: more
// than a packer scanning as fast as verdicts come sorts in a round.
const sortQueued = 6

// sortPacker is the device that sorts.
const sortPacker = "sort-pack-0"

// newChaosSortFloor starts a broker, the consumer and the gateway, gives
// it batches (stopping it for that once) and logs the packer in.
func newChaosSortFloor(t *testing.T, ctx context.Context) *chaosSortFloor {
	t.Helper()
	f := &floor{t: t, ctx: ctx, b: mqtttest.Start(t), demo: gateway.NewDemo(), l: newLedger()}
	f.tl = startTail(t, f.b.URL(), "", true)
	f.gw = chaosGateway{broker: f.b.URL(), stateDir: t.TempDir(), gateway: "gw-sort"}
	sf := &chaosSortFloor{floor: f, sl: newSortLedger(), walls: map[string][]string{},
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 14))}
	// The first start seeds the demo site; the batches go in while it is
	// down, as they do between kills.
	f.d = f.gw.start(t)
	f.d.stop(t)
	sf.supply()
	f.d = f.gw.start(t)
	// The packer's own copy of the demo: the simulated packer scans the
	// slots of the demo's first wall, which is made the wall it sorts at
	// before each scan.
	demo := *f.demo
	p, err := sim.DialPicker(ctx, f.d.URL(), f.d.TLS, &demo, sortPacker, f.demo.PackerBadges[0], 0.05, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Prompt().Step != "scan_order" {
		t.Fatalf("the packer logged in at %+v, want scan_order", p.Prompt())
	}
	p.AtWall()
	sf.packer = p
	f.pickers = []*sim.Picker{p}
	return sf
}

// supply keeps sortQueued batches waiting to be opened, each of
// sortBatchOrders orders of one or two lines of one to three units, on a
// wall of its own. The gateway must be down: the store is opened here.
func (sf *chaosSortFloor) supply() {
	t := sf.t
	t.Helper()
	if len(sf.queue) >= sortQueued {
		return
	}
	db := openState(t, sf.gw.stateDir, sf.gw.gateway)
	defer db.Close()
	apply := func(id, typ string, data any) {
		raw, err := json.Marshal(map[string]any{"id": id, "type": typ, "data": data})
		if err != nil {
			t.Fatal(err)
		}
		res, err := db.ApplyCommand(sf.ctx, raw)
		if err != nil || !res.Applied {
			t.Fatalf("%s %s: %+v %v", typ, id, res, err)
		}
	}
	for len(sf.queue) < sortQueued {
		n := len(sf.batches) + 1
		b := sortBatch{id: fmt.Sprintf("SBATCH-%d", n), wall: fmt.Sprintf("SW%d", n)}
		wall := floorgate.Wall{ID: b.wall, Station: "pack-1"}
		for i := range sortBatchOrders {
			wall.Slots = append(wall.Slots, fmt.Sprintf("SW%d-%02d", n, i+1))
		}
		b.orders = sf.demo.MoreTasks(rand.New(rand.NewPCG(uint64(n), 15)), fmt.Sprintf("SB%d-", n), sortBatchOrders, 1, 2, 3)
		for _, o := range b.orders {
			for _, l := range o.Lines {
				for range l.Qty {
					b.units = append(b.units, sf.demo.ItemBarcode[l.SKU])
				}
			}
		}
		// The units come out of the container in any order.
		sf.rng.Shuffle(len(b.units), func(i, j int) { b.units[i], b.units[j] = b.units[j], b.units[i] })
		apply(fmt.Sprintf("sort-wall-%d", n), floorgate.CommandMasterPut, map[string]any{"walls": []floorgate.Wall{wall}})
		apply(fmt.Sprintf("sort-batch-%d", n), floorgate.CommandTaskCreate, map[string]any{
			"batch": floorgate.BatchDefinition{ID: b.id, Wall: b.wall}, "tasks": b.orders})
		sf.walls[b.wall] = wall.Slots
		sf.batches = append(sf.batches, b)
		sf.queue = append(sf.queue, b)
	}
}

// ready prepares the packer for the scan its prompt asks for: the next
// batch's label and units at scan_order, the wall's slots at the wall.
func (sf *chaosSortFloor) ready() {
	p := sf.packer
	switch p.Prompt().Step {
	case "scan_order":
		if p.Batch() != "" || len(sf.queue) == 0 {
			return
		}
		if left := p.UnitsLeft(); left > 0 {
			sf.sl.problem("the packer is back at scan_order with %d units left in its container", left)
		}
		b := sf.queue[0]
		sf.queue = sf.queue[1:]
		p.OpenBatch(b.id, b.units)
	case "sort_item", "scan_slot":
		p.SetWall(floorgate.Wall{ID: p.Prompt().Wall, Slots: sf.walls[p.Prompt().Wall]})
	}
}

// record notes an outcome in both ledgers; p.lastData is the data of the
// scan an OK verdict answered.
func (sf *chaosSortFloor) record(o sim.Outcome) {
	sf.l.record(o)
	if !o.Verdict.OK {
		return
	}
	p := sf.packer
	sf.sl.mu.Lock()
	defer sf.sl.mu.Unlock()
	switch o.Verdict.Code {
	case floorgate.CodeSortOK, floorgate.CodeSlotReady, floorgate.CodeBatchSorted:
		sf.sl.sorts[o.ScanID] = p.LastData()
		if o.Verdict.Code == floorgate.CodeBatchSorted && p.UnitsLeft() > 0 {
			sf.sl.problems = append(sf.sl.problems, fmt.Sprintf("scan %s: batch sorted with %d units left in its container", o.ScanID, p.UnitsLeft()))
		}
	case floorgate.CodeSortToSlot:
		sf.sl.told[o.ScanID] = sortTold{task: o.Verdict.Prompt.Task, wall: o.Verdict.Prompt.Wall, slot: o.Verdict.Prompt.Slot}
	}
}

// work has the packer follow its prompts until stop is closed, its
// connection dies, it has nothing to do or it made n scans (n < 0: no
// limit); before each scan it calls before with the scan's moment.
func (sf *chaosSortFloor) work(stop <-chan struct{}, n int, before func(moment string)) {
	p := sf.packer
	for i := 0; n < 0 || i < n; i++ {
		select {
		case <-stop:
			return
		default:
		}
		sf.ready()
		if before != nil {
			before(sortMomentOf(p.Prompt().Step))
		}
		o, err := p.Step(sf.ctx)
		if err != nil {
			if errors.Is(err, sim.ErrNoTask) && !(p.Prompt().Step == "scan_order" && len(sf.queue) == 0) {
				sf.sl.problem("the packer has nothing to scan at prompt %+v (container empty, batch open)", p.Prompt())
			}
			return
		}
		sf.record(o)
	}
}

// round has the packer sort until the gateway is killed at moment (see
// chaosKill). With sortMomentCommit the gateway was started with the
// failpoint and kills itself.
func (sf *chaosSortFloor) round(moment string) {
	fired := chaosKill(sf.t, sf.rng, sf.d, moment, moment == sortMomentCommit, func() bool { return sf.exited(moment) },
		func(stop <-chan struct{}, before func(string)) { sf.work(stop, -1, before) })
	sf.sl.mu.Lock()
	if fired {
		sf.sl.fired[moment]++
	} else {
		sf.sl.fallback++
	}
	sf.sl.mu.Unlock()
}

// exited reports whether the gateway, found dead in a round aimed at
// moment, was killed by the failpoint aimed at; a gateway that died
// unbidden is a problem.
func (sf *chaosSortFloor) exited(moment string) bool {
	log := sf.d.log()
	if moment == sortMomentCommit && strings.Contains(log, "failpoint store/after-commit fired") {
		return true
	}
	sf.sl.problem("the gateway died unbidden:\n%s", log[max(0, len(log)-2000):])
	return false
}

// restart gives the store more batches, starts the gateway again with
// the failpoints fp, and brings the packer back to where the gateway's
// welcome says it is, resending the scan it got no verdict for with the
// same id. When the failpoint fires before the packer is back (on the
// resend's own commit, say) that is a kill of its moment: it starts again.
func (sf *chaosSortFloor) restart(fp string) {
	t := sf.t
	t.Helper()
	sf.supply()
	p := sf.packer
	step := p.Prompt().Step // what the unanswered scan, if any, answered
	if p.Unanswered() != nil {
		sf.sl.mu.Lock()
		sf.sl.resent[sortMomentOf(step)]++
		sf.sl.mu.Unlock()
	}
	for try := 0; ; try++ {
		err := sf.resume(fp)
		if err == nil {
			return
		}
		select {
		case <-sf.d.Exited():
		case <-time.After(5 * time.Second):
			t.Fatal(err)
		}
		if try == 3 || !strings.Contains(sf.d.log(), "failpoint store/after-commit fired") {
			log := sf.d.log()
			t.Fatalf("%v; the gateway's log ends:\n%s", err, log[max(0, len(log)-2000):])
		}
		sf.sl.mu.Lock()
		sf.sl.fired[sortMomentCommit]++
		sf.sl.mu.Unlock()
		sf.d.kill()
	}
}

// resume starts the gateway with the failpoints fp and has the packer
// reconnect and resend its unanswered scan.
func (sf *chaosSortFloor) resume(fp string) error {
	gw := sf.gw
	gw.failpoints = fp
	sf.d = gw.start(sf.t)
	p := sf.packer
	if err := p.Reconnect(sf.ctx, sf.d.URL()); err != nil {
		return err
	}
	if p.Prompt().Step == "login" {
		// Sessions are stored: a restart must not sign anyone out.
		sf.sl.problem("%s was signed out by a restart", p.Device())
		if err := p.Relogin(sf.ctx, sf.demo.PackerBadges[0]); err != nil {
			return err
		}
	}
	if p.Unanswered() == nil {
		return nil
	}
	o, err := p.Send(sf.ctx)
	if err != nil {
		return fmt.Errorf("%s resend: %w", p.Device(), err)
	}
	sf.record(o)
	return nil
}

// TestChaosSort kills floorgate with SIGKILL while a packer sorts batches
// at put walls — each round aimed in turn at a unit waiting for its slot,
// a unit's scan, a batch being opened and (by the store's failpoint) a
// scan recorded but not yet answered — restarts it, and has the packer
// resume from the gateway's welcome, resending its unanswered scan. Then,
// from the stopped gateway's journal and store: every sort the packer was
// told of has exactly one sort.put, every order line counts exactly the
// units sorted into its slot (never above its quantity), and every order
// keeps the slot its first sort.put (and the packer's prompt) gave it,
// one order a slot.
func TestChaosSort(t *testing.T) {
	start := time.Now()
	rounds := chaosRounds(t, len(sortMoments))
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rounds)*8*time.Second+3*time.Minute)
	defer cancel()
	sf := newChaosSortFloor(t, ctx)
	for r := range rounds {
		moment := sortMoments[r%len(sortMoments)]
		if r > 0 {
			fp := ""
			if moment == sortMomentCommit {
				// Some way into the round's scans (a start commits a few
				// times before the packer is back).
				fp = fmt.Sprintf("store/after-commit=%d*kill", 10+sf.rng.IntN(40))
			}
			sf.restart(fp)
		}
		sf.round(moment)
	}
	sf.restart("")
	sf.work(nil, 40, nil)
	sf.packer.Close()
	sf.d.drained(t, sf.tl, "demo/"+sf.gw.gateway, time.Minute)
	sf.d.stop(t)

	var extra []string
	sf.sl.mu.Lock()
	t.Logf("kills: %v at the moment aimed at, %d with none; unanswered scans resent by moment: %v", sf.sl.fired, sf.sl.fallback, sf.sl.resent)
	if rounds >= len(sortMoments) {
		for _, m := range sortMoments {
			if sf.sl.fired[m] == 0 {
				extra = append(extra, fmt.Sprintf("no kill hit the wall at %s: the scenario did not happen", m))
			}
		}
	}
	extra = append(extra, sf.sl.problems...)
	sorts := len(sf.sl.sorts)
	sf.sl.mu.Unlock()
	if sorts < rounds {
		extra = append(extra, fmt.Sprintf("only %d sorts over %d rounds: the kills found little to break", sorts, rounds))
	}
	out := captureStdout(t, func() { chaosReport(t, "sort", sf.l, sf.tl, sf.gw.stateDir, sf.gw.gateway, extra...) })
	c := sf.check()
	for _, p := range c.problems {
		t.Error(p)
	}
	line := sortLine(strings.TrimSpace(out), rounds, sorts, c)
	fmt.Println(line)
	if strings.HasSuffix(line, "result=FAIL") || strings.Contains(line, "result=FAIL ") {
		t.Error(line)
	}
	t.Logf("%d rounds, %d sorts, %d of %d batches sorted; %v", rounds, sorts, c.batches, len(sf.batches), time.Since(start).Round(time.Millisecond))
}

// sortLine is the standard CHAOS line std of the sort scenario with the
// walls' figures.
func sortLine(std string, rounds, sorts int, c sortCheck) string {
	return floorLine(std, "sort", fmt.Sprintf("rounds=%d sorts=%d batches=%d", rounds, sorts, c.batches), c.floorCheck, "stray_slots")
}

// sortCheck is what the stopped gateway's journal and store say of the
// walls.
type sortCheck struct {
	batches int
	floorCheck
}

// check reads the stopped gateway's database: the journal, then the
// orders' lines and the walls' slots.
func (sf *chaosSortFloor) check() sortCheck {
	t := sf.t
	t.Helper()
	var c sortCheck
	db := openState(t, sf.gw.stateDir, sf.gw.gateway)
	defer db.Close()
	evs, err := db.Journal(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	type lineKey struct {
		task string
		line int
	}
	type place struct {
		wall string
		slot int
	}
	last := map[string]floorgate.ScanRecord{} // device → its last accepted scan before the event
	putsOf := map[string]int{}                // scan id → its sort.put events
	units := map[lineKey]int{}
	slotOf := map[string]place{} // task → the slot of its first sort.put
	sorted := map[string]int{}   // batch → its batch.sorted events
	for _, ev := range evs {
		switch ev.Type {
		case floorgate.EventScanAccepted:
			var rec floorgate.ScanRecord
			if err := json.Unmarshal(ev.Data, &rec); err != nil {
				t.Fatal(err)
			}
			last[rec.Device] = rec
		case floorgate.EventSortPut:
			var put floorgate.SortRecord
			if err := json.Unmarshal(ev.Data, &put); err != nil {
				t.Fatal(err)
			}
			rec := last[put.Device]
			switch rec.Code {
			case floorgate.CodeSortOK, floorgate.CodeSlotReady, floorgate.CodeBatchSorted:
			default:
				c.problem(&c.doubled, "sort.put %d (%s line %d) follows no slot scan of %s (last: %s %s)", ev.Seq, put.Order, put.Line, put.Device, rec.ScanID, rec.Code)
				continue
			}
			if slots := sf.walls[put.Wall]; put.Slot < 1 || put.Slot > len(slots) || slots[put.Slot-1] != rec.Data {
				c.problem(&c.stray, "sort.put %d puts into %s slot %d; scan %s read %s", ev.Seq, put.Wall, put.Slot, rec.ScanID, rec.Data)
			}
			putsOf[rec.ScanID]++
			units[lineKey{put.Task, put.Line}] += put.Qty
			at := place{put.Wall, put.Slot}
			if first, ok := slotOf[put.Task]; !ok {
				slotOf[put.Task] = at
			} else if first != at {
				c.problem(&c.stray, "sort.put %d puts %s into %s slot %d; its first went to %s slot %d", ev.Seq, put.Order, at.wall, at.slot, first.wall, first.slot)
			}
		case floorgate.EventBatchSorted:
			var b floorgate.BatchRecord
			if err := json.Unmarshal(ev.Data, &b); err != nil {
				t.Fatal(err)
			}
			sorted[b.Batch]++
		}
	}
	for id, n := range putsOf {
		if n > 1 {
			c.problem(&c.doubled, "scan %s made %d sort.put events", id, n)
		}
	}
	for id, n := range sorted {
		if n > 1 {
			c.problem(&c.doubled, "batch %s sorted %d times", id, n)
		}
	}
	c.batches = len(sorted)

	// What the packer was told.
	sf.sl.mu.Lock()
	for id, label := range sf.sl.sorts {
		if putsOf[id] == 0 {
			c.problem(&c.lost, "scan %s (slot %s) was answered as a sort; the journal has no sort.put for it", id, label)
		}
	}
	for id, told := range sf.sl.told {
		if at, ok := slotOf[told.task]; ok && at != (place{told.wall, told.slot}) {
			c.problem(&c.stray, "scan %s gave a unit of %s to %s slot %d; its sort.put events went to %s slot %d", id, told.task, told.wall, told.slot, at.wall, at.slot)
		}
	}
	sf.sl.mu.Unlock()

	// Every order line counts the units sorted into its slot, no more;
	// every batch whose orders are all complete is sorted.
	for _, b := range sf.batches {
		complete := true
		for _, o := range b.orders {
			tk, err := db.Task(o.ID)
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range tk.Lines {
				put := units[lineKey{o.ID, i + 1}]
				switch {
				case l.Picked > l.Qty:
					c.problem(&c.doubled, "%s line %d: %d of %d units sorted", o.Order, i+1, l.Picked, l.Qty)
				case l.Picked > put:
					c.problem(&c.doubled, "%s line %d: %d units counted, %d sorted (sort.put)", o.Order, i+1, l.Picked, put)
				case l.Picked < put:
					c.problem(&c.lost, "%s line %d: %d units sorted (sort.put), %d counted", o.Order, i+1, put, l.Picked)
				}
				complete = complete && l.Picked == l.Qty
			}
		}
		if complete && sorted[b.id] == 0 {
			c.problem(&c.lost, "batch %s: every order is complete; the journal has no batch.sorted", b.id)
		}
	}

	// No order was packed: every order sorted into keeps the slot its
	// first sort.put gave it, and a slot holds one order.
	held := map[place][]string{}
	for task, at := range slotOf {
		held[at] = append(held[at], task)
	}
	for at, tasks := range held {
		if len(tasks) > 1 {
			c.problem(&c.stray, "%s slot %d took units of %d orders: %v", at.wall, at.slot, len(tasks), tasks)
		}
	}
	// An order is given its slot with its first unit, before the slot's
	// scan: one whose unit waits (or never went) holds the slot the
	// packer was told of.
	type told1 struct {
		task string
		at   place
	}
	told := map[told1]bool{}
	sf.sl.mu.Lock()
	for _, tl := range sf.sl.told {
		if _, ok := slotOf[tl.task]; !ok {
			told[told1{tl.task, place{tl.wall, tl.slot}}] = true
		}
	}
	sf.sl.mu.Unlock()
	for wall := range sf.walls {
		v, err := db.Wall(wall)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range v.Slots {
			at := place{wall, s.Slot}
			switch {
			case s.Task == "" && len(held[at]) > 0:
				c.problem(&c.stray, "%s slot %d holds no order in the store; %v were sorted into it", wall, s.Slot, held[at])
			case s.Task != "" && !told[told1{s.Task, at}] && slotOf[s.Task] != at:
				c.problem(&c.stray, "%s slot %d holds %s in the store; its sort.put events went to %s slot %d", wall, s.Slot, s.Task, slotOf[s.Task].wall, slotOf[s.Task].slot)
			}
		}
	}
	return c
}
