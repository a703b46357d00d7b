package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
)

// ErrUnsupported is what a driver answers for a command its device does not
// take (feedback on a keyboard-emulation scanner, scan enable on a raw one).
var ErrUnsupported = errors.New("not supported by this scanner")

// Conn is an opened scanner. Run reads until ctx ends or the device fails;
// Close releases it and makes a running Run return.
type Conn interface {
	Run(ctx context.Context, deliver func(Scan)) error
	Close() error
}

// Initialiser is a Conn that takes an init sequence once Run is running.
type Initialiser interface {
	Init(ctx context.Context) error
}

// FeedbackSender is a Conn that can signal a verdict: kind is "good",
// "bad" or "warn", code the verdict's code, for devices that give some
// verdicts a signal of their own.
type FeedbackSender interface {
	Feedback(ctx context.Context, kind, code string) error
}

// Enabler is a Conn whose reading the host can switch on and off.
type Enabler interface {
	ScanEnable(ctx context.Context, on bool) error
}

// Status is where a supervised device is in its life.
type Status string

// Device statuses.
const (
	StatusConnecting   Status = "connecting"   // not open yet, or waiting to reopen
	StatusInitialising Status = "initialising" // open; init sequence being sent
	StatusConnected    Status = "connected"    // reading scans
	StatusError        Status = "error"        // open or init failed, or the device went away; Reason says why
	StatusStopped      Status = "stopped"      // the gateway is shutting down
)

// State is what the rest of floorgate may know of a device.
type State struct {
	Name     string    `json:"name"`
	Model    string    `json:"model,omitempty"`
	Address  string    `json:"address,omitempty"`
	Station  string    `json:"station,omitempty"`
	Operator string    `json:"operator,omitempty"`
	Status   Status    `json:"status"`
	Reason   string    `json:"reason,omitempty"`
	Since    time.Time `json:"since"`
	LastScan time.Time `json:"last_scan,omitzero"`
	Scans    uint64    `json:"scans"`
	// Connects counts successful opens; more than one means the device
	// was reconnected.
	Connects uint64 `json:"connects"`
}

// Received is a scan as the supervisor took it from the driver, with when.
type Received struct {
	Scan
	At time.Time
}

// DeviceOptions describe one supervised device.
type DeviceOptions struct {
	// Name identifies the device in logs and the status page.
	Name    string
	Model   string
	Address string
	// Open opens the device. It is called again after every failure, so
	// it must find the device afresh (a replugged scanner may come back
	// under another name).
	Open func(ctx context.Context) (Conn, error)
	// Ready, when set, is called after the init sequence on every connect,
	// before the device counts as connected (a station uses it to push
	// whether scanning is enabled).
	Ready func(ctx context.Context, c Conn) error
	// MinBackoff and MaxBackoff bound the wait between attempts to reopen:
	// it doubles from MinBackoff (100 ms) up to MaxBackoff (1 s), so a
	// replugged scanner is back within about a second.
	MinBackoff, MaxBackoff time.Duration
	// InitTimeout bounds the init sequence (10 s).
	InitTimeout time.Duration
	// Queue is how many received scans may wait for the station (64).
	Queue  int
	Clock  floorgate.Clock
	Logger *slog.Logger
}

// Device keeps one scanner open: it opens it, starts reading, pushes the
// init sequence, and when the device fails or vanishes closes it, waits,
// and opens it again for as long as Run's context lasts. Scans it received
// are queued for the station, so a device that vanishes right after a read
// loses nothing it delivered.
type Device struct {
	opts  DeviceOptions
	log   *slog.Logger
	scans chan Received

	mu    sync.Mutex
	state State
	conn  Conn // the connected conn, nil when not connected
}

// NewDevice returns a supervisor for the device opts describe. Run starts it.
func NewDevice(opts DeviceOptions) *Device {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(time.Second, opts.MinBackoff)
	}
	if opts.InitTimeout <= 0 {
		opts.InitTimeout = 10 * time.Second
	}
	if opts.Queue <= 0 {
		opts.Queue = 64
	}
	if opts.Clock == nil {
		opts.Clock = floorgate.SystemClock{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Device{opts: opts, log: log.With("scanner", opts.Name), scans: make(chan Received, opts.Queue)}
	d.state = State{Name: opts.Name, Model: opts.Model, Address: opts.Address, Status: StatusConnecting, Since: opts.Clock.Now()}
	return d
}

// Scans delivers what the device read, in order. It is never closed.
func (d *Device) Scans() <-chan Received { return d.scans }

// State returns the device's current state.
func (d *Device) State() State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state
}

// Conn returns the open device (connected or still initialising), or nil
// while it is not open.
func (d *Device) Conn() Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conn
}

func (d *Device) update(fn func(*State)) {
	d.mu.Lock()
	fn(&d.state)
	d.mu.Unlock()
}

func (d *Device) setStatus(s Status, reason string) {
	d.update(func(st *State) {
		if st.Status != s || st.Reason != reason {
			st.Status, st.Reason, st.Since = s, reason, d.opts.Clock.Now()
		}
	})
}

// Run supervises the device until ctx ends.
func (d *Device) Run(ctx context.Context) {
	backoff := d.opts.MinBackoff
	for ctx.Err() == nil {
		connected, err := d.session(ctx)
		if ctx.Err() != nil {
			break
		}
		if connected {
			backoff = d.opts.MinBackoff
		}
		d.setStatus(StatusError, err.Error())
		d.log.Warn("scanner unavailable", "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		backoff = min(backoff*2, d.opts.MaxBackoff)
	}
	d.setStatus(StatusStopped, "")
}

// session opens the device once and runs it until it fails. It reports
// whether the device got as far as connected.
func (d *Device) session(ctx context.Context) (connected bool, err error) {
	d.setStatus(StatusConnecting, d.State().Reason)
	c, err := d.opts.Open(ctx)
	if err != nil {
		return false, fmt.Errorf("open: %w", err)
	}
	d.setStatus(StatusInitialising, "")
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- c.Run(runCtx, d.deliver) }()
	// The device is answerable from now on: a read it sends while the
	// init sequence is still going gets its verdict's feedback too.
	d.mu.Lock()
	d.conn = c
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.conn = nil
		d.mu.Unlock()
		// Run returns before the device is closed: a USB device must not
		// be freed under a read in flight.
		stop()
		<-ran
		c.Close()
	}()

	ready := make(chan error, 1)
	go func() {
		ictx, cancel := context.WithTimeout(runCtx, d.opts.InitTimeout)
		defer cancel()
		if in, ok := c.(Initialiser); ok {
			if err := in.Init(ictx); err != nil {
				ready <- fmt.Errorf("init: %w", err)
				return
			}
		}
		if d.opts.Ready != nil {
			if err := d.opts.Ready(ictx, c); err != nil {
				ready <- fmt.Errorf("ready: %w", err)
				return
			}
		}
		ready <- nil
	}()
	select {
	case err := <-ready:
		if err != nil {
			return false, err
		}
	case err := <-ran:
		ran <- err // for the deferred wait
		return false, runError(err)
	}
	d.update(func(st *State) {
		st.Status, st.Reason, st.Since = StatusConnected, "", d.opts.Clock.Now()
		st.Connects++
	})
	d.log.Info("scanner connected")
	err = <-ran
	ran <- err
	return true, runError(err)
}

func runError(err error) error {
	if err == nil {
		return errors.New("device stopped reading")
	}
	return fmt.Errorf("read: %w", err)
}

// deliver queues a scan for the station. It blocks while the queue is
// full rather than drop a read the scanner already acknowledged.
func (d *Device) deliver(s Scan) {
	now := d.opts.Clock.Now()
	d.update(func(st *State) {
		st.LastScan = now
		st.Scans++
	})
	d.scans <- Received{Scan: s, At: now}
}

// Feedback signals a verdict on the connected device, if it can.
func (d *Device) Feedback(ctx context.Context, kind, code string) error {
	c := d.Conn()
	if c == nil {
		return fmt.Errorf("feedback %s: %s is not connected", code, d.opts.Name)
	}
	fs, ok := c.(FeedbackSender)
	if !ok {
		return nil
	}
	return fs.Feedback(ctx, kind, code)
}

// SetEnabled switches reading on or off on the connected device, if it
// takes the command.
func (d *Device) SetEnabled(ctx context.Context, on bool) error {
	c := d.Conn()
	if c == nil {
		return nil // Ready pushes the state on connect
	}
	return Enable(ctx, c, on)
}

// Enable switches reading on c on or off if c takes the command.
func Enable(ctx context.Context, c Conn, on bool) error {
	e, ok := c.(Enabler)
	if !ok {
		return nil
	}
	if err := e.ScanEnable(ctx, on); err != nil && !errors.Is(err, ErrUnsupported) {
		return err
	}
	return nil
}
