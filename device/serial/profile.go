package serial

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/floorgate/floorgate/device/scanner"
	profiles "github.com/floorgate/floorgate/firmware-profiles"
)

// ErrUnsupported means the scanner's dialect or profile has no such
// command. It is scanner.ErrUnsupported, so a station can tell "cannot" from
// "failed" whatever the transport.
var ErrUnsupported = scanner.ErrUnsupported

// Feedback levels, as the profile's feedback section names them.
const (
	Good = "good"
	Bad  = "bad"
	Warn = "warn"
)

// Scanner is a serial scanner driven as its firmware profile says: the
// dialect picks the driver, Init pushes the profile's init sequence, and
// Feedback sends the profile's good, bad or warn command.
type Scanner struct {
	port    Port
	profile *profiles.Profile
	log     *slog.Logger

	ssi       *SSI
	honeywell *Honeywell
	raw       *Raw
	w         writer // for dialects whose commands are written as they are
}

// OpenScanner opens the port at path with the profile's line settings and
// returns its driver. Close releases the port.
func OpenScanner(path string, p *profiles.Profile, log *slog.Logger) (*Scanner, error) {
	if p.Serial == nil {
		return nil, fmt.Errorf("open scanner %s: profile %s has no serial settings", path, p.Model)
	}
	port, err := Open(path, p.Serial.Baud)
	if err != nil {
		return nil, err
	}
	s, err := NewScanner(port, p, log)
	if err != nil {
		port.Close()
		return nil, err
	}
	return s, nil
}

// NewScanner returns the driver the profile's dialect calls for, on port.
// The scanner takes the port: Close closes it.
func NewScanner(port Port, p *profiles.Profile, log *slog.Logger) (*Scanner, error) {
	log = discardIfNil(log)
	s := &Scanner{port: port, profile: p, log: log, w: writer{port: port}}
	var prefix, suffix []byte
	if p.Framing != nil {
		prefix, _ = profiles.DecodeHex(p.Framing.Prefix)
		suffix, _ = profiles.DecodeHex(p.Framing.Suffix)
	}
	switch p.Dialect {
	case "ssi":
		s.ssi = NewSSI(port, log, SSIConfig{})
	case "honeywell":
		s.honeywell = NewHoneywell(port, log, HoneywellConfig{Prefix: prefix, Suffix: suffix})
	case "raw":
		s.raw = NewRaw(port, log, RawConfig{Prefix: prefix, Suffix: suffix})
	case "newland":
		s.raw = NewRaw(port, log, RawConfig{Prefix: prefix, Suffix: suffix, Replies: true})
	default:
		return nil, fmt.Errorf("serial scanner %s: dialect %q: %w", p.Model, p.Dialect, ErrUnsupported)
	}
	return s, nil
}

// Profile is the profile the scanner was opened with.
func (s *Scanner) Profile() *profiles.Profile { return s.profile }

// Run reads scans until ctx ends (returning ctx.Err()) or the port fails.
func (s *Scanner) Run(ctx context.Context, deliver func(Scan)) error {
	switch {
	case s.ssi != nil:
		return s.ssi.Run(ctx, deliver)
	case s.honeywell != nil:
		return s.honeywell.Run(ctx, deliver)
	default:
		return s.raw.Run(ctx, deliver)
	}
}

// Init sends the profile's init sequence, each command waiting for its
// acknowledgement where the dialect has one. Run must be running.
func (s *Scanner) Init(ctx context.Context) error {
	for i, cmd := range s.profile.InitBytes() {
		if err := s.send(ctx, cmd); err != nil {
			return fmt.Errorf("init %s: command %d: %w", s.profile.Model, i+1, err)
		}
	}
	return nil
}

// Feedback sends the profile's command for a verdict: the code's own
// (feedback.codes) when the profile has one, else the kind's (Good, Bad or
// Warn). Run must be running.
func (s *Scanner) Feedback(ctx context.Context, kind, code string) error {
	seq := s.profile.Feedback.For(kind, code)
	if seq == "" {
		return fmt.Errorf("feedback %s: %w (%w)", kind, ErrNoFeedback, ErrUnsupported)
	}
	b, err := profiles.DecodeHex(seq)
	if err != nil {
		return fmt.Errorf("feedback %s: %w", kind, err)
	}
	if err := s.send(ctx, b); err != nil {
		return fmt.Errorf("feedback %s %s: %w", kind, code, err)
	}
	return nil
}

// ScanEnable allows or forbids reading. Only SSI scanners take the command
// from the host; others answer ErrUnsupported.
func (s *Scanner) ScanEnable(ctx context.Context, on bool) error {
	if s.ssi == nil {
		return fmt.Errorf("scan enable: %s: %w", s.profile.Dialect, ErrUnsupported)
	}
	return s.ssi.ScanEnable(ctx, on)
}

// Close closes the port; a running Run returns.
func (s *Scanner) Close() error { return s.port.Close() }

// send sends one profile command (possibly several packets or menu
// commands back to back) as the dialect wants it.
func (s *Scanner) send(ctx context.Context, b []byte) error {
	switch {
	case s.ssi != nil:
		return s.ssi.Write(ctx, b)
	case s.honeywell != nil:
		return s.honeywell.Write(ctx, b)
	default:
		return s.w.write(b)
	}
}
