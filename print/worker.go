package print

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/failpoint"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/template"
)

// Queue is the durable print queue.
type Queue interface {
	PrintJobs() ([]floorgate.PrintJob, error)
	UpdatePrintJob(ctx context.Context, id string, fn func(*floorgate.PrintJob) error) (floorgate.PrintJob, error)
	Shipment(order string) (floorgate.Shipment, error)
	PrintWake() <-chan struct{}
}

// Printer is one configured printer.
type Printer struct {
	*printer.Printer
	DPI         int
	ResidentCJK bool
	// Stations are the pack stations (devices) it prints for; a station's
	// printers are tried in the order they are configured.
	Stations []string
}

// Options tune the worker.
type Options struct {
	// Poll is how often held and waiting jobs are looked at again.
	Poll time.Duration
	// MaxAttempts is how many transport failures end a job as failed.
	MaxAttempts int
	// Backoff is the first wait after a transport error; it doubles.
	Backoff time.Duration
	// StatusEvery is how often idle printers are asked for their state.
	StatusEvery time.Duration
	// Layouts lay out the labels.
	Layouts Layouts
}

// Worker prints the queue.
type Worker struct {
	q        Queue
	printers []*Printer
	clock    floorgate.Clock
	log      *slog.Logger
	opts     Options
	layouts  Layouts
	// templates are Layouts.Templates, or the shipped ones.
	templates *template.Set

	mu       sync.Mutex
	inflight map[string]bool
	states   map[string]PrinterState
	unserved map[string]int // station → open jobs no printer serves, as of the last dispatch
	wg       sync.WaitGroup
}

// PrinterState is what the worker last learnt of a printer.
type PrinterState struct {
	ID       string    `json:"id"`
	Dialect  string    `json:"dialect"`
	Stations []string  `json:"stations"`
	State    string    `json:"state"` // ready, or the fault: offline, paper out, head open, ribbon out, paused
	Detail   string    `json:"detail,omitempty"`
	Checked  time.Time `json:"checked,omitzero"`
}

// States reports every printer's last known state.
func (w *Worker) States() []PrinterState {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]PrinterState, 0, len(w.printers))
	for _, p := range w.printers {
		s, ok := w.states[p.ID()]
		if !ok {
			s = PrinterState{ID: p.ID(), Dialect: string(p.Dialect()), Stations: p.Stations, State: "unknown"}
		}
		out = append(out, s)
	}
	return out
}

func (w *Worker) note(p *Printer, st printer.State, err error) {
	if fe := (*printer.FaultError)(nil); errors.As(err, &fe) {
		st, err = fe.State, nil
	}
	s := PrinterState{ID: p.ID(), Dialect: string(p.Dialect()), Stations: p.Stations, State: "ready", Detail: st.Detail, Checked: w.clock.Now()}
	switch {
	case err != nil:
		s.State, s.Detail = "offline", err.Error()
	case st.Fault() != "":
		s.State = st.Fault()
	}
	w.mu.Lock()
	w.states[p.ID()] = s
	w.mu.Unlock()
}

// poll asks every printer for its state, so a fault shows before a job
// meets it. It returns when every printer has answered or timed out.
func (w *Worker) poll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range w.printers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := p.Status(ctx)
			w.note(p, st, err)
		}()
	}
	wg.Wait()
}

// New returns a worker; Run starts it.
func New(q Queue, printers []*Printer, clock floorgate.Clock, log *slog.Logger, opts Options) *Worker {
	if opts.Poll == 0 {
		opts.Poll = 2 * time.Second
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = 8
	}
	if opts.Backoff == 0 {
		opts.Backoff = time.Second
	}
	if clock == nil {
		clock = floorgate.SystemClock{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.StatusEvery == 0 {
		opts.StatusEvery = 30 * time.Second
	}
	tmpls := opts.Layouts.Templates
	if tmpls == nil {
		var err error
		if tmpls, err = template.Shipped(); err != nil {
			panic("print: the shipped templates do not load: " + err.Error()) // a build that ships a bad template
		}
	}
	return &Worker{q: q, printers: printers, clock: clock, log: log, opts: opts, layouts: opts.Layouts, templates: tmpls,
		inflight: map[string]bool{}, states: map[string]PrinterState{}}
}

// Run prints until ctx ends. A job left "printing" by a crash is not
// printed again blindly: it fails with a reason, and a person decides
// whether to reprint it.
func (w *Worker) Run(ctx context.Context) error {
	jobs, err := w.q.PrintJobs()
	if err != nil {
		return fmt.Errorf("print: %w", err)
	}
	for _, j := range jobs {
		if j.Status == floorgate.JobPrinting {
			w.q.UpdatePrintJob(ctx, j.ID, func(j *floorgate.PrintJob) error {
				j.Status, j.Reason = floorgate.JobFailed, "interrupted while printing: check whether the label came out; reprint if not"
				return nil
			})
		}
	}
	tick := time.NewTicker(w.opts.Poll)
	defer tick.Stop()
	status := time.NewTicker(w.opts.StatusEvery)
	defer status.Stop()
	w.poll(ctx)
	for {
		w.dispatch(ctx)
		select {
		case <-ctx.Done():
			w.wg.Wait()
			return nil
		case <-tick.C:
		case <-status.C:
			w.poll(ctx)
		case <-w.q.PrintWake():
		}
	}
}

// dispatch starts every open job that is due and not already in hand.
func (w *Worker) dispatch(ctx context.Context) {
	jobs, err := w.q.PrintJobs()
	if err != nil {
		w.log.Error("print queue", "err", err)
		return
	}
	slices.SortFunc(jobs, func(a, b floorgate.PrintJob) int { return a.Created.Compare(b.Created) })
	unserved := map[string]int{}
	for _, j := range jobs {
		if j.Open() && len(w.candidates(j.Station)) == 0 {
			unserved[j.Station]++
		}
	}
	w.mu.Lock()
	w.unserved = unserved
	w.mu.Unlock()
	now := w.clock.Now()
	for _, j := range jobs {
		if !j.Open() || now.Before(j.NotBefore) {
			continue
		}
		w.mu.Lock()
		busy := w.inflight[j.ID]
		w.inflight[j.ID] = true
		w.mu.Unlock()
		if busy {
			continue
		}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.print(ctx, j)
			w.mu.Lock()
			delete(w.inflight, j.ID)
			w.mu.Unlock()
		}()
	}
}

// knownFault returns p's fault when its last status answer reported one and
// is recent: younger than the idle poll's period, which refreshes it.
func (w *Worker) knownFault(p *Printer) (string, bool) {
	w.mu.Lock()
	s, ok := w.states[p.ID()]
	w.mu.Unlock()
	if !ok || s.State == "ready" || s.State == "offline" || w.clock.Now().Sub(s.Checked) >= w.opts.StatusEvery {
		return "", false
	}
	return s.State, true
}

// Unserved counts, per pack station, the open jobs that no printer serves,
// as of the worker's last look at the queue: they wait, held, until a
// printer serves the station or they move to another.
func (w *Worker) Unserved() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.unserved)
}

// NoPrinterReason is why a job for a station no printer serves is held.
func NoPrinterReason(station string) string {
	return "no printer serves station " + station + ": add a printer for it (printers[].stations) or choose another station on the PDA"
}

// candidates are the printers for a station, in order.
func (w *Worker) candidates(station string) []*Printer {
	var out []*Printer
	for _, p := range w.printers {
		if len(p.Stations) == 0 || slices.Contains(p.Stations, station) {
			out = append(out, p)
		}
	}
	return out
}

// Layouts are how the worker lays out a job's label.
type Layouts struct {
	// Templates are the site's label templates; nil: the shipped ones.
	Templates *template.Set
	// Lang is a station's label language; nil or "": the template's first.
	Lang func(station string) string
	// Media is the waybill stock loaded at a station ("100x180"); nil or
	// "": 100x180.
	Media func(station string) string
}

// DefaultMedia is the waybill stock of a station that names none.
const DefaultMedia = "100x180"

// errLanguage is a carrier's label in a language the printer does not
// speak: another printer of the station may.
var errLanguage = errors.New("printer language")

// formats are the label formats printer dialects print.
var formats = map[printer.Dialect]label.Format{printer.ZPL: label.ZPL, printer.TSPL: label.TSPL,
	printer.ESCPOS: label.ESCPOS, printer.EPL2: label.EPL2}

// Format is the label format a printer dialect prints.
func Format(d printer.Dialect) label.Format { return formats[d] }

// templateFor is the template a job's label is laid out with: the one it
// names, else the station's choice for the shipment (a job queued before
// templates named its media size only).
func (w *Worker) templateFor(j floorgate.PrintJob, s floorgate.Shipment) (*template.Template, error) {
	if j.Kind == "packing_list" {
		id := j.Template
		if id == "" {
			id = "packing-list"
		}
		if t, ok := w.templates.Get(id); ok {
			return t, nil
		}
		return nil, fmt.Errorf("no template %q", id)
	}
	if t, ok := w.templates.Get(j.Template); ok {
		return t, nil
	}
	media := j.Template // "100x180" from before templates
	if _, _, ok := floorgate.MediaMM(media); !ok {
		if j.Template != "" && !strings.HasPrefix(j.Template, "carrier:") {
			return nil, fmt.Errorf("no template %q", j.Template)
		}
		media = w.media(j.Station)
	}
	return w.templates.Waybill(s.Carrier, s.Variant, media)
}

func (w *Worker) media(station string) string {
	if w.layouts.Media != nil {
		if m := w.layouts.Media(station); m != "" {
			return m
		}
	}
	return DefaultMedia
}

// layout is a job's label: its template filled in, or the carrier's page
// as given. raw is set instead for a carrier's label in printer commands.
func (w *Worker) layout(j floorgate.PrintJob, dpi int) (l label.Label, raw *floorgate.PrintData, err error) {
	if j.Kind != "waybill" && j.Kind != "packing_list" {
		return l, nil, fmt.Errorf("unknown label kind %q", j.Kind)
	}
	s, err := w.q.Shipment(j.Order)
	if err != nil {
		return l, nil, err
	}
	if pd := s.PrintData; pd != nil && j.Kind == "waybill" {
		mw, mh, _ := floorgate.MediaMM(pd.Media)
		switch pd.Format {
		case "png":
			l, err = label.PagePNG(pd.Data, mw, mh)
		case "pdf":
			l, err = label.PagePDF(pd.Data, mw, mh, dpi)
		default:
			return l, pd, nil
		}
		return l, nil, err
	}
	t, err := w.templateFor(j, s)
	if err != nil {
		return l, nil, err
	}
	lang := ""
	if w.layouts.Lang != nil {
		lang = w.layouts.Lang(j.Station)
	}
	l, err = t.Shipment(s, lang, w.clock.Now())
	return l, nil, err
}

// render lays out and renders a job's label for p: a carrier's label in
// p's language byte for byte, a carrier's page rasterised at p's
// resolution, or the template.
func (w *Worker) render(j floorgate.PrintJob, p *Printer) ([]byte, error) {
	l, raw, err := w.layout(j, p.DPI)
	if err != nil {
		return nil, err
	}
	if raw != nil {
		if raw.Format != string(p.Dialect()) {
			return nil, fmt.Errorf("%w: the carrier's label is %s, %s prints %s", errLanguage, raw.Format, p.ID(), p.Dialect())
		}
		return raw.Data, nil
	}
	return label.Render(l, Format(p.Dialect()), label.Options{DPI: p.DPI, ResidentCJK: p.ResidentCJK})
}

// Preview is a job's label as a PNG at 203 dpi, as it prints: the
// template filled in, or the carrier's page. A carrier's label in printer
// commands is printed as given and cannot be drawn here: its preview says
// so, with its size.
func (w *Worker) Preview(j floorgate.PrintJob) ([]byte, error) {
	l, raw, err := w.layout(j, 203)
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", j.ID, err)
	}
	if raw != nil {
		mw, mh, _ := floorgate.MediaMM(raw.Media)
		l = label.Label{Name: "carrier label", WidthMM: mw, HeightMM: mh, Elements: []label.Element{
			label.Box{X: 1, Y: 1, W: mw - 2, H: mh - 2, ThickMM: 0.5},
			label.Text{X: 4, Y: mh/2 - 12, W: mw - 8, H: 24, SizeMM: 4, Align: label.AlignCenter, Fit: true,
				Text: fmt.Sprintf("承运商面单 %s，%d 字节，按原样打印 / The carrier's %s label, %d bytes, printed as sent",
					strings.ToUpper(raw.Format), len(raw.Data), strings.ToUpper(raw.Format), len(raw.Data))},
		}}
	}
	b, err := label.Render(l, label.PNG, label.Options{DPI: 203})
	if err != nil {
		return nil, fmt.Errorf("preview %s: %w", j.ID, err)
	}
	return b, nil
}

// print tries the job's printers in turn and records the outcome.
func (w *Worker) print(ctx context.Context, j floorgate.PrintJob) {
	update := func(fn func(*floorgate.PrintJob)) {
		if _, err := w.q.UpdatePrintJob(context.WithoutCancel(ctx), j.ID, func(pj *floorgate.PrintJob) error {
			fn(pj)
			return nil
		}); err != nil {
			w.log.Error("print job", "id", j.ID, "err", err)
		}
	}
	printers := w.candidates(j.Station)
	if len(printers) == 0 {
		// Held, not failed: it prints once a printer serves the station
		// (the configuration changed) or the packer's PDA chooses a
		// station that has one.
		if reason := NoPrinterReason(j.Station); j.Status != floorgate.JobHeld || j.Reason != reason {
			update(func(pj *floorgate.PrintJob) { pj.Status, pj.Reason = floorgate.JobHeld, reason })
		}
		return
	}
	var faults, transport, languages []string
	for _, p := range printers {
		// A printer known to be in a fault (from a status answer newer
		// than the idle poll's period) is passed over before the label is
		// rendered or the job touched: a held job waiting for paper costs
		// nothing until the printer says it is ready again.
		if fault, ok := w.knownFault(p); ok {
			faults = append(faults, p.ID()+": "+fault)
			continue
		}
		data, err := w.render(j, p)
		if errors.Is(err, errLanguage) {
			languages = append(languages, err.Error())
			continue
		}
		if err != nil {
			// The label cannot be made: no printer will do better.
			update(func(pj *floorgate.PrintJob) { pj.Status, pj.Reason = floorgate.JobFailed, "label: "+err.Error() })
			return
		}
		// Recorded before the first byte leaves: after a crash the job is
		// known to be in doubt rather than printed twice.
		update(func(pj *floorgate.PrintJob) { pj.Status, pj.Printer = floorgate.JobPrinting, p.ID() })
		st, err := p.Print(ctx, data)
		w.note(p, st, err)
		var fe *printer.FaultError
		switch {
		case err == nil:
			// Chaos boundary: the label is out, the job still says printing.
			failpoint.Inject("print/after-send")
			update(func(pj *floorgate.PrintJob) { pj.Status, pj.Printer, pj.Reason = floorgate.JobPrinted, p.ID(), "" })
			w.log.Info("label printed", "job", j.ID, "printer", p.ID())
			return
		case errors.As(err, &fe) && errors.Is(err, printer.ErrNotReady):
			// Refused before sending: try the station's next printer.
			faults = append(faults, p.ID()+": "+fe.Fault())
		case errors.As(err, &fe):
			// Sent, and then the printer reported a fault: the label may
			// be incomplete. Do not print it again on a guess.
			update(func(pj *floorgate.PrintJob) {
				pj.Status, pj.Reason = floorgate.JobFailed, fmt.Sprintf("%s reported %s after the job: check the label; reprint if needed", p.ID(), fe.Fault())
			})
			return
		case errors.Is(err, printer.ErrUnconfirmed):
			// Sent, and then the printer did not answer: the label may be
			// out, or come out when the printer reads again. Sending it to
			// the next printer would print the waybill twice.
			update(func(pj *floorgate.PrintJob) {
				pj.Status, pj.Reason = floorgate.JobFailed, fmt.Sprintf("%s did not answer after the job: check the label; reprint if needed", p.ID())
			})
			return
		case ctx.Err() != nil:
			update(func(pj *floorgate.PrintJob) { pj.Status = floorgate.JobQueued })
			return
		default:
			transport = append(transport, p.ID()+": "+err.Error())
		}
	}
	now := w.clock.Now()
	held := fmt.Sprint("printer not ready: ", faults)
	if len(faults) == 0 && len(transport) == 0 {
		// Only printers of another language: held until the station has
		// one of the carrier's label's (or the packer moves).
		held = fmt.Sprint("no printer of station ", j.Station, " prints the carrier's label: ", languages)
	}
	if len(transport) == 0 && j.Status == floorgate.JobHeld && j.Reason == held {
		return // still held for the same reason: nothing to record
	}
	update(func(pj *floorgate.PrintJob) {
		switch {
		case len(transport) == 0:
			// Every printer is in a fault (or of another language): held
			// until one clears.
			pj.Status, pj.Reason = floorgate.JobHeld, held
		case pj.Attempts+1 >= w.opts.MaxAttempts:
			pj.Attempts++
			pj.Status, pj.Reason = floorgate.JobFailed, fmt.Sprint("gave up after ", pj.Attempts, " attempts: ", transport, faults)
		default:
			pj.Attempts++
			pj.Status, pj.Reason = floorgate.JobQueued, fmt.Sprint("retrying: ", transport, faults)
			pj.NotBefore = now.Add(w.opts.Backoff << min(pj.Attempts-1, 6))
		}
	})
}
