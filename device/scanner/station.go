package scanner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/floorgate/floorgate"
)

// Floor is what a station needs of the gateway: the same scan engine the
// PDAs use, and badge logins for a station with no keypad.
type Floor interface {
	Scan(ctx context.Context, sc floorgate.Scan) (floorgate.Verdict, error)
	LoginBadge(ctx context.Context, station, requestID, badge string) (floorgate.Verdict, error)
	Logout(ctx context.Context, device string) (floorgate.Prompt, error)
	Session(device string) floorgate.Session
	BadgeOperator(data string) (operator string, ok bool)
}

// Login modes of a station.
const (
	// LoginBadge: a badge scanned on the scanner logs its owner in (and
	// scanned again, out); the scanner always reads.
	LoginBadge = "badge"
	// LoginStation: the operator logs in on the station's screen (a PDA
	// or the web app with the station's device id); the scanner is
	// disabled while nobody is logged in, so nothing is read by accident.
	LoginStation = "station"
)

// StationOptions bind one scanner to a station.
type StationOptions struct {
	// ID is the station's device id: scans are made as this device, so
	// they join the session of whoever is logged in there.
	ID string
	// Login is LoginBadge (default) or LoginStation.
	Login string
	// Poll is how often a LoginStation station looks for a login or
	// logout made elsewhere, to switch the scanner on or off (1 s).
	Poll time.Duration
	// FeedbackTimeout bounds sending a verdict's feedback (2 s).
	FeedbackTimeout time.Duration
	Clock           floorgate.Clock
	Logger          *slog.Logger
	// OnVerdict, when set, sees every verdict the station's scanner got.
	OnVerdict func(floorgate.Verdict)
	// CannotMeasure says the scanner can never know how far it read from
	// (its profile's distance is none, as for every hardware scanner):
	// its scans go to the floor as floorgate.Scan.Unmeasurable, so they
	// are recorded not_measurable, not unknown. It is the station's and
	// not the device record's, as a PDA may share the station's id.
	CannotMeasure bool
}

// Station judges a scanner's reads as scans of the station it is bound to,
// and answers each with the scanner's feedback for the verdict.
type Station struct {
	opts  StationOptions
	floor Floor
	dev   *Device
	log   *slog.Logger

	boot    string // distinguishes this process's scan ids from an earlier one's
	counter atomic.Uint64
	enabled atomic.Int32 // -1 unknown, 0 off, 1 on
}

// NewStation binds dev to the station opts.ID on floor. Call it before
// dev.Run: it sets the device's Ready hook.
func NewStation(floor Floor, dev *Device, opts StationOptions) (*Station, error) {
	switch opts.Login {
	case "":
		opts.Login = LoginBadge
	case LoginBadge, LoginStation:
	default:
		return nil, fmt.Errorf("station %s: login %q: must be %q or %q", opts.ID, opts.Login, LoginBadge, LoginStation)
	}
	if opts.ID == "" {
		return nil, errors.New("station: id is missing")
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.FeedbackTimeout <= 0 {
		opts.FeedbackTimeout = 2 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = floorgate.SystemClock{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := &Station{opts: opts, floor: floor, dev: dev, log: log.With("station", opts.ID, "scanner", dev.opts.Name),
		boot: strconv.FormatInt(opts.Clock.Now().UnixNano(), 36)}
	st.enabled.Store(-1)
	dev.opts.Ready = st.ready
	dev.update(func(s *State) { s.Station = opts.ID })
	return st, nil
}

// ready pushes whether the scanner may read, on every connect.
func (st *Station) ready(ctx context.Context, c Conn) error {
	on := st.wantEnabled()
	if err := Enable(ctx, c, on); err != nil {
		return err
	}
	st.enabled.Store(b2i(on))
	return nil
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func (st *Station) operator() string { return st.floor.Session(st.opts.ID).Operator }

func (st *Station) wantEnabled() bool {
	return st.opts.Login == LoginBadge || st.operator() != ""
}

// Run judges the scanner's reads until ctx ends. Reads already received
// are judged even if the scanner has gone away since.
func (st *Station) Run(ctx context.Context) {
	tick := time.NewTicker(st.opts.Poll)
	defer tick.Stop()
	st.noteOperator()
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-st.dev.Scans():
			st.handle(ctx, r)
		case <-tick.C:
			st.syncEnabled(ctx)
		}
	}
}

// noteOperator shows the station's operator in the device state.
func (st *Station) noteOperator() {
	op := st.operator()
	st.dev.update(func(s *State) { s.Operator = op })
}

// syncEnabled switches reading to match whether someone is logged in.
func (st *Station) syncEnabled(ctx context.Context) {
	st.noteOperator()
	want := st.wantEnabled()
	switch st.enabled.Load() {
	case -1:
		// Not connected yet: the connect pushes the state itself (ready),
		// in its place in the scanner's set-up; a command now would cut
		// into that sequence.
		return
	case b2i(want):
		return
	}
	ctx, cancel := context.WithTimeout(ctx, st.opts.FeedbackTimeout)
	defer cancel()
	if err := st.dev.SetEnabled(ctx, want); err != nil {
		st.log.Warn("scan enable", "on", want, "err", err)
		return
	}
	if st.dev.Conn() != nil {
		st.enabled.Store(b2i(want))
	}
}

func (st *Station) scanID() string {
	return "w" + st.boot + "-" + strconv.FormatUint(st.counter.Add(1), 10)
}

// handle judges one read and answers it on the scanner.
func (st *Station) handle(ctx context.Context, r Received) {
	id := st.scanID()
	v, err := st.judge(ctx, id, r)
	if err != nil {
		// The scan engine always answers; an error here is the gateway
		// failing to record the scan. The operator hears "scan again".
		st.log.Error("scan not recorded", "data", r.Data, "err", err)
		v = floorgate.NewVerdict(id, floorgate.CodeUnavailable, floorgate.Prompt{})
	}
	if st.opts.OnVerdict != nil {
		st.opts.OnVerdict(v)
	}
	st.syncEnabled(ctx)
	fctx, cancel := context.WithTimeout(ctx, st.opts.FeedbackTimeout)
	defer cancel()
	if err := st.dev.Feedback(fctx, string(v.Feedback.Kind), string(v.Code)); err != nil && !errors.Is(err, ErrUnsupported) {
		st.log.Warn("verdict feedback not sent", "code", v.Code, "err", err)
	}
}

func (st *Station) judge(ctx context.Context, id string, r Received) (floorgate.Verdict, error) {
	if op, isBadge := st.floor.BadgeOperator(r.Data); isBadge && st.opts.Login == LoginBadge {
		if st.operator() == op {
			if _, err := st.floor.Logout(ctx, st.opts.ID); err != nil {
				return floorgate.Verdict{}, err
			}
			return floorgate.NewVerdict(id, floorgate.CodeLoggedOut, floorgate.Prompt{Step: "login"}), nil
		}
		return st.floor.LoginBadge(ctx, st.opts.ID, id, r.Data)
	}
	return st.floor.Scan(ctx, floorgate.Scan{ID: id, Device: st.opts.ID, Data: r.Data, AIM: r.AIM, At: r.At,
		Unmeasurable: st.opts.CannotMeasure})
}
