package sim

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/device/ws/wsclient"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/cmdline"
)

// Picker is one simulated picker on a PDA: it follows the gateway's prompts
// and scans what they ask for, now and then scanning the wrong thing on
// purpose, and checks that every verdict is the one the floor standard
// demands.
type Picker struct {
	demo   *gateway.Demo
	c      *wsclient.Client
	tls    *tls.Config // for wss://; nil: the system roots or plain ws://
	device string
	prompt floorgate.Prompt
	rng    *rand.Rand
	wrong  float64
	n      int
	// unanswered is the scan sent last whose verdict has not arrived.
	unanswered *floorgate.Scan
	wantOK     bool
	// pace is the least time between two reads of the same code: a person
	// needs that long to present the next unit. Zero sends at once.
	pace time.Duration
	// lastData is the last code the gateway accepted, sent at lastAt.
	lastData string
	lastAt   time.Time
	sentAt   time.Time // when the last scan went, paced at MinGap

	// On a cart: the cart tried next (an index into the demo's carts),
	// the tote bound to each slot, and where free totes come from.
	cart     int
	totes    map[int]string
	freeTote func() (string, bool)

	// At a put wall or the single-item lane (packers): where the units
	// come from, the batch label to open, and the waybills' tracking
	// numbers by order.
	units    *unitQueue
	batch    string // the batch label to open at the wall, once
	lane     bool   // packs the single-item lane
	tracking map[string]string
}

// unitQueue hands out the units of a batch's container (or the single-item
// lane's shelf) to simulated packers, each once.
type unitQueue struct {
	mu    sync.Mutex
	codes []string
}

func (q *unitQueue) next() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.codes) == 0 {
		return "", false
	}
	c := q.codes[0]
	q.codes = q.codes[1:]
	return c, true
}

// Outcome is what one step got.
type Outcome struct {
	Verdict floorgate.Verdict
	// Expected is false when the verdict is not what the scan deserved.
	Expected bool
	Latency  time.Duration // from the scan sent to its verdict
	ScanID   string
}

// ErrNoTask is Step's answer when the picker has nothing to do.
var ErrNoTask = errors.New("no task")

// HumanPace is how soon a simulated picker presents the next unit of the
// same item: longer than the double-read window of the default standard.
const HumanPace = 400 * time.Millisecond

// MinGap is the least time between two scans of a paced simulated picker:
// a person scans a few times a second, and a PDA's connection may send 20
// messages a second (docs/pda-protocol.md, "Message rate").
const MinGap = 60 * time.Millisecond

// simToken is the device token a simulated PDA says hello with: the same for
// a device every run, and long enough (64 hex digits) for store.MinTokenLen.
func simToken(device string) string {
	sum := sha256.Sum256([]byte("floorgate-sim/" + device))
	return hex.EncodeToString(sum[:])
}

// DialPicker connects a simulated PDA to the gateway at url (ws:// or
// wss:// with tc) as device and logs badge in, unless the gateway still
// has someone logged in there. wrong is how often it scans the wrong
// thing on purpose; seed makes its choices repeatable.
func DialPicker(ctx context.Context, url string, tc *tls.Config, demo *gateway.Demo, device, badge string, wrong float64, seed uint64) (*Picker, error) {
	c, wel, err := wsclient.DialTLS(ctx, url, device, simToken(device), "sim", tc)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", device, err)
	}
	p := &Picker{demo: demo, c: c, tls: tc, device: device, prompt: wel.Prompt, rng: rand.New(rand.NewPCG(seed, 7)), wrong: wrong}
	if wel.Operator == "" {
		v, err := c.Login(ctx, "login-"+device, badge, gateway.DemoPIN)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("login %s: %w", device, err)
		}
		if !v.OK {
			c.Close()
			return nil, fmt.Errorf("login %s with %s: %s", device, badge, v.Code)
		}
		p.prompt = v.Prompt
	}
	return p, nil
}

// Client is the picker's PDA connection.
func (p *Picker) Client() *wsclient.Client { return p.c }

// Device is the picker's PDA.
func (p *Picker) Device() string { return p.device }

// Prompt is what the gateway last asked the picker to do.
func (p *Picker) Prompt() floorgate.Prompt { return p.prompt }

// SetPrompt takes a prompt the gateway sent outside a verdict (the next
// task asked for).
func (p *Picker) SetPrompt(pr floorgate.Prompt) { p.prompt = pr }

// StartIDsAt makes the picker's next message ids follow n: a scan id is
// the device's and unique, and a gateway answers one it has seen again
// without counting it.
func (p *Picker) StartIDsAt(n int) { p.n = n }

// NextID is a new message id of the picker's, device-n.
func (p *Picker) NextID() string {
	p.n++
	return fmt.Sprintf("%s-%d", p.device, p.n)
}

// Close hangs up the picker's PDA.
func (p *Picker) Close() error { return p.c.Close() }

// Unanswered is the scan sent last whose verdict has not arrived (Send
// sends it again, with the same id), or nil.
func (p *Picker) Unanswered() *floorgate.Scan { return p.unanswered }

// LastData is the data of the last scan the gateway accepted.
func (p *Picker) LastData() string { return p.lastData }

// SetPace sets the least time between two reads of the same code (zero:
// at once); HumanPace is a person's.
func (p *Picker) SetPace(d time.Duration) { p.pace = d }

// NextCart makes the picker try the demo's next cart (another took the
// one it tried).
func (p *Picker) NextCart() { p.cart++ }

// AtWall makes the picker a packer sorting at a put wall, its units from
// an empty container until OpenBatch fills it.
func (p *Picker) AtWall() { p.units = &unitQueue{} }

// OpenBatch gives the packer batch's label to open and its units, in the
// order they come out of the container.
func (p *Picker) OpenBatch(batch string, units []string) {
	p.units.mu.Lock()
	defer p.units.mu.Unlock()
	p.batch, p.units.codes = batch, append([]string(nil), units...)
}

// Batch is the batch label the packer opens (or opened).
func (p *Picker) Batch() string { return p.batch }

// UnitsLeft is how many units are still in the packer's container.
func (p *Picker) UnitsLeft() int {
	p.units.mu.Lock()
	defer p.units.mu.Unlock()
	return len(p.units.codes)
}

// SetWall makes the wall the picker sorts at have slots (the picker's own
// copy of the demo).
func (p *Picker) SetWall(w floorgate.Wall) { p.demo.Master.Walls = []floorgate.Wall{w} }

// OnCart makes the picker take cart (an index into demo's carts) when a
// prompt asks for one, and bind the totes freeTote hands out.
func (p *Picker) OnCart(demo *gateway.Demo, cart int, freeTote func() (string, bool)) {
	p.demo, p.cart, p.totes, p.freeTote = demo, cart, map[int]string{}, freeTote
}

// Step makes the scan the prompt asks for (or, with probability wrong, a
// wrong one) and returns the verdict. It returns ErrNoTask when there is
// nothing to pick.
func (p *Picker) Step(ctx context.Context) (Outcome, error) {
	var data string
	wantOK := true
	wrong := p.rng.Float64() < p.wrong
	switch p.prompt.Step {
	case "scan_location":
		data = p.demo.LocationBarcode[p.prompt.Location]
		if wrong {
			for data == p.demo.LocationBarcode[p.prompt.Location] {
				data = p.demo.Master.Locations[p.rng.IntN(len(p.demo.Master.Locations))].Barcode
			}
			wantOK = false
		}
	case "scan_item":
		data = p.demo.ItemBarcode[p.prompt.SKU]
		if wrong {
			for data == p.demo.ItemBarcode[p.prompt.SKU] {
				data = p.demo.Master.Items[p.rng.IntN(len(p.demo.Master.Items))].Barcodes[0]
			}
			wantOK = false
		}
	case "scan_cart":
		// Not a read that can be wrong: a cart another picker has is
		// refused, and the next one is tried.
		data, wrong = p.demo.Master.Carts[p.cart%len(p.demo.Master.Carts)].Barcode, false
		p.totes = map[int]string{}
	case "bind_tote":
		data = p.prompt.Tote
		if data == "" && p.freeTote == nil {
			return Outcome{}, ErrNoTask // a picker without totes to hand
		}
		if data == "" {
			var ok bool
			if data, ok = p.freeTote(); !ok {
				return Outcome{}, ErrNoTask // every tote holds an order: packing must catch up
			}
		}
		p.totes[p.prompt.Slot] = data
		wrong = false
	case "scan_tote":
		data = p.totes[p.prompt.Slot]
		if wrong {
			for slot, tote := range p.totes {
				if slot != p.prompt.Slot {
					data = tote
					break
				}
			}
			wantOK = data == p.totes[p.prompt.Slot]
		}
	case "scan_order":
		// A packer: at the wall, the batch's container label opens it;
		// in the single-item lane, an item packs the next order.
		switch {
		case p.units == nil:
			return Outcome{}, ErrNoTask
		case p.batch != "":
			data, wrong, p.batch = p.batch, false, ""
		case !p.lane:
			return Outcome{}, ErrNoTask // the batch is sorted
		default:
			var ok bool
			if data, ok = p.units.next(); !ok {
				return Outcome{}, ErrNoTask
			}
			wrong = false
		}
	case "sort_item":
		var ok bool
		if p.units == nil {
			return Outcome{}, ErrNoTask
		}
		if data, ok = p.units.next(); !ok {
			return Outcome{}, ErrNoTask
		}
		wrong = false
	case "scan_slot":
		slots := p.demo.Master.Walls[0].Slots
		data = slots[p.prompt.Slot-1]
		if wrong {
			data, wantOK = slots[p.prompt.Slot%len(slots)], false
		}
	case "scan_waybill":
		data = p.tracking[p.prompt.Order]
		if wrong {
			data, wantOK = "SF000000000000", false
		}
	default:
		return Outcome{}, ErrNoTask
	}
	if p.pace > 0 && data == p.lastData {
		time.Sleep(time.Until(p.lastAt.Add(p.pace)))
	}
	if p.pace > 0 {
		// Within the connection's message budget (20 a second).
		time.Sleep(time.Until(p.sentAt.Add(MinGap)))
		p.sentAt = time.Now()
	}
	p.n++
	sc := floorgate.Scan{ID: p.device + "-" + strconv.Itoa(p.n), Data: data, AIM: "]E0",
		DistanceMM: 60 + float64(p.rng.IntN(30))}
	if p.prompt.Step == "scan_location" {
		sc.AIM = "]C0"
	}
	p.unanswered, p.wantOK = &sc, wantOK
	step := p.prompt.Step
	o, err := p.Send(ctx)
	switch {
	case err != nil:
	case step == "scan_cart":
		o.Expected = o.Verdict.OK || o.Verdict.Code == floorgate.CodeCartInUse
		if !o.Verdict.OK {
			p.cart++
		}
	case step == "bind_tote" && o.Verdict.Code == floorgate.CodeToteOtherCart:
		o.Expected = true // another picker took it between: the next tote
	}
	return o, err
}

// Send sends the unanswered scan and waits for its verdict. After a lost
// connection the same scan goes again with the same id.
func (p *Picker) Send(ctx context.Context) (Outcome, error) {
	sc := *p.unanswered
	start := time.Now()
	v, err := p.c.Scan(ctx, sc)
	if err != nil {
		return Outcome{}, fmt.Errorf("scan %s: %w", sc.ID, err)
	}
	lat := time.Since(start)
	p.unanswered = nil
	if v.OK {
		// The gateway times the next read of a code from the last read
		// it accepted (a rejected one changes nothing), and from when it
		// arrived: a scan resent after a lost connection arrived now.
		p.lastData, p.lastAt = sc.Data, start
	}
	if v.Prompt.Step != "" {
		p.prompt = v.Prompt
	}
	return Outcome{Verdict: v, Expected: v.OK == p.wantOK, Latency: lat, ScanID: sc.ID}, nil
}

func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cmdline.NewFlags("floorgate", "sim", "", "Drive a demo gateway with simulated PDAs (one picker each) and report the verdicts.", stdout, stderr)
	pdas := fs.Int("pdas", 4, "number of simulated PDAs (one picker each)")
	addr := fs.String("addr", "wss://127.0.0.1:8080/ws/v1", "the gateway's PDA endpoint (ws:// when its tls.mode is off)")
	fingerprint := fs.String("fingerprint", "", "the gateway certificate's SHA-256 fingerprint, as it prints at start (needed for a gateway on another machine)")
	wrong := fs.Float64("wrong", 0.03, "share of deliberately wrong scans (0–1)")
	maxScans := fs.Int("scans", 200, "scans per PDA at most")
	mode := fs.String("mode", "", "work only in this mode: discrete (one order a trip), cluster (a cart of totes), batch (one packer sorts the demo's batch at its put wall) or single (packers pack the single-item lane); release the demo's peak wave first for the last three (floorgate waves release ID); default: whatever the gateway gives")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	if *pdas < 1 || *pdas > gateway.DemoOperators {
		return fmt.Errorf("sim: --pdas must be 1 to %d (the demo site's pickers)", gateway.DemoOperators)
	}
	if *wrong < 0 || *wrong > 1 {
		return fmt.Errorf("sim: --wrong must be between 0 and 1")
	}
	switch *mode {
	case "", string(floorgate.ModeDiscrete), string(floorgate.ModeCluster):
	case string(floorgate.ModeBatch):
		*pdas = 1 // one sorter at the demo's wall
	case string(floorgate.ModeSingle):
		*pdas = min(*pdas, gateway.DemoPackers)
	default:
		return cmdline.Usagef("sim: --mode must be discrete, cluster, batch or single, not %q", *mode)
	}
	var tlsConf *tls.Config
	if strings.HasPrefix(*addr, "wss:") {
		if *fingerprint == "" {
			return cmdline.Usagef("sim: a wss:// gateway needs --fingerprint (it prints it at start)")
		}
		var err error
		if tlsConf, err = client.PinnedTLS(*fingerprint); err != nil {
			return cmdline.UsageError{Err: err}
		}
	}
	rep, err := simulate(ctx, *addr, tlsConf, *pdas, *wrong, *maxScans, floorgate.TaskMode(*mode))
	if err != nil {
		return err
	}
	rep.print(stdout)
	if rep.scans == 0 && *mode != "" && *mode != string(floorgate.ModeDiscrete) {
		return fmt.Errorf("sim: no cart orders to pick: release a wave of cart orders first (floorgate waves list; floorgate waves release ID)")
	}
	if rep.unexpected > 0 {
		return fmt.Errorf("sim: %d verdicts were not what the floor standard demands", rep.unexpected)
	}
	return nil
}

// simReport sums what the simulated pickers saw.
type simReport struct {
	mu         sync.Mutex
	codes      map[floorgate.Code]int
	scans      int
	unexpected int
	lat        []time.Duration
}

func (r *simReport) add(o Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.codes[o.Verdict.Code]++
	r.scans++
	if !o.Expected {
		r.unexpected++
	}
	r.lat = append(r.lat, o.Latency)
}

func (r *simReport) print(w io.Writer) {
	fmt.Fprintf(w, "scans: %d   unexpected verdicts: %d\n", r.scans, r.unexpected)
	codes := make([]floorgate.Code, 0, len(r.codes))
	for c := range r.codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "  %-22s %6d\n", c, r.codes[c])
	}
	if len(r.lat) > 0 {
		slices.Sort(r.lat)
		fmt.Fprintf(w, "verdict latency: p50 %v  p99 %v\n", r.lat[len(r.lat)/2], r.lat[len(r.lat)*99/100])
	}
}

func simulate(ctx context.Context, addr string, tc *tls.Config, pdas int, wrong float64, maxScans int, mode floorgate.TaskMode) (*simReport, error) {
	demo := gateway.NewDemo()
	rep := &simReport{codes: map[floorgate.Code]int{}}
	totes := &toteRack{demo: demo}
	// The units packers handle: the batch's container for the wall, the
	// single-item orders' items for the lane.
	units := &unitQueue{}
	tracking := map[string]string{}
	for _, s := range demo.Shipments() {
		tracking[s.Order] = s.Tracking
	}
	var source []floorgate.Task
	switch mode {
	case floorgate.ModeBatch:
		source = demo.BatchTasks
	case floorgate.ModeSingle:
		source = demo.SinglesTasks
	}
	for _, t := range source {
		for _, l := range t.Lines {
			for range l.Qty {
				units.codes = append(units.codes, demo.ItemBarcode[l.SKU])
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, pdas)
	for i := range pdas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			device, badge := fmt.Sprintf("sim-pda-%02d", i+1), demo.Badges[i]
			if packs(mode) {
				device, badge = fmt.Sprintf("sim-pack-%02d", i+1), demo.PackerBadges[i]
			}
			p, err := DialPicker(ctx, addr, tc, demo, device, badge, wrong, uint64(i+1))
			if err != nil {
				errs <- err
				return
			}
			p.cart, p.freeTote = i, totes.next
			p.units, p.tracking = units, tracking
			switch mode {
			case floorgate.ModeBatch:
				p.batch = demo.Batch.ID
			case floorgate.ModeSingle:
				p.lane = true
			}
			defer p.c.Close()
			p.pace = HumanPace
			if !p.inMode(mode) {
				// Left on work of another mode by an earlier run: sign
				// out (it goes back to the queue) and in again.
				if err := p.Relogin(ctx, badge); err != nil {
					errs <- err
					return
				}
			}
			for range maxScans {
				if !p.inMode(mode) {
					return
				}
				o, err := p.Step(ctx)
				if errors.Is(err, ErrNoTask) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				rep.add(o)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return rep, fmt.Errorf("sim: %w", err)
	}
	return rep, nil
}

// packs reports whether mode is packers' work: sorting at the wall, the
// single-item lane.
func packs(mode floorgate.TaskMode) bool {
	return mode == floorgate.ModeBatch || mode == floorgate.ModeSingle
}

// inMode reports whether the picker's next step is in mode ("" for any):
// a cart's step for cluster, a task's alone for discrete; a packer's for
// the wall and the lane.
func (p *Picker) inMode(mode floorgate.TaskMode) bool {
	if packs(mode) {
		return true
	}
	onCart := p.prompt.Cart != "" || p.prompt.Step == "scan_cart"
	switch mode {
	case floorgate.ModeCluster:
		return onCart
	case floorgate.ModeDiscrete:
		return !onCart
	}
	return true
}

// relogin signs the picker out and in again, taking the prompt the
// gateway gives.
func (p *Picker) Relogin(ctx context.Context, badge string) error {
	if _, err := p.c.Logout(ctx, "logout-"+p.device); err != nil {
		return fmt.Errorf("logout %s: %w", p.device, err)
	}
	v, err := p.c.Login(ctx, "relogin-"+p.device, badge, gateway.DemoPIN)
	if err != nil {
		return fmt.Errorf("login %s: %w", p.device, err)
	}
	if !v.OK {
		return fmt.Errorf("login %s with %s: %s", p.device, badge, v.Code)
	}
	p.prompt = v.Prompt
	return nil
}

// toteRack hands the demo's totes to simulated pickers, each once.
type toteRack struct {
	mu   sync.Mutex
	demo *gateway.Demo
	n    int
}

// next is a tote no simulated picker has taken yet.
func (r *toteRack) next() (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n >= len(r.demo.Master.Totes) {
		return "", false
	}
	r.n++
	return r.demo.Master.Totes[r.n-1].Barcode, true
}

// reconnect dials the gateway again as the same device and resumes where
// the gateway says the picker is.
func (p *Picker) Reconnect(ctx context.Context, url string) error {
	if p.c != nil {
		p.c.Close()
	}
	c, wel, err := wsclient.DialTLS(ctx, url, p.device, simToken(p.device), "sim", p.tls)
	if err != nil {
		return fmt.Errorf("redial %s: %w", p.device, err)
	}
	p.c, p.prompt = c, wel.Prompt
	return nil
}
