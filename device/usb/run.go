package usb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/floorgate/floorgate/device/scanner"
)

// Mode says how a HID scanner delivers its decodes.
type Mode string

// The modes a scanner can be configured for.
const (
	// ModePOS is HID POS (usage page 0x8C): scanned-data reports with
	// the AIM identifier in a header.
	ModePOS Mode = "hid-pos"
	// ModeKeyboard is keyboard emulation: boot keyboard reports, one key
	// press per character, Enter after each decode.
	ModeKeyboard Mode = "hid-keyboard"
)

// DefaultReportSize is the read buffer when none is given: the usual
// interrupt endpoint size of HID POS scanners.
const DefaultReportSize = 64

// Reports is where input reports come from: one report per read. A gousb
// *gousb.InEndpoint is one; tests play back recorded reports.
type Reports interface {
	ReadContext(ctx context.Context, p []byte) (int, error)
}

// ScannerConfig configures a Scanner.
type ScannerConfig struct {
	// Mode selects the decoder; it must be ModePOS or ModeKeyboard.
	Mode Mode
	// ReportSize is the read buffer, the endpoint's maximum packet size;
	// DefaultReportSize when zero.
	ReportSize int
	// Gap is how long a keyboard line waits for its Enter; DefaultGap
	// when zero.
	Gap time.Duration
	// Now reads the clock that times keyboard reports; time.Now when nil.
	Now func() time.Time
}

// Scanner reads input reports from a Reports source and delivers the
// decodes. It is not safe for concurrent use: one Run at a time.
type Scanner struct {
	src  Reports
	log  *slog.Logger
	cfg  ScannerConfig
	feed func(report []byte, at time.Time) (scanner.Scan, bool, error)
}

// NewScanner returns a Scanner reading src in the mode cfg names. log may
// be nil. The error wraps ErrMode for an unknown mode.
func NewScanner(src Reports, log *slog.Logger, cfg ScannerConfig) (*Scanner, error) {
	if cfg.ReportSize <= 0 {
		cfg.ReportSize = DefaultReportSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Scanner{src: src, log: discardIfNil(log), cfg: cfg}
	switch cfg.Mode {
	case ModePOS:
		a := &POSAssembler{}
		s.feed = func(r []byte, _ time.Time) (scanner.Scan, bool, error) { return a.Feed(r) }
	case ModeKeyboard:
		d := &KeyboardDecoder{Gap: cfg.Gap}
		s.feed = d.FeedAt
	default:
		return nil, fmt.Errorf("new usb scanner: mode %q: %w", cfg.Mode, ErrMode)
	}
	return s, nil
}

// Run delivers each decode to deliver until ctx ends, returning ctx.Err(),
// or the source fails (the device was unplugged), returning the read error
// wrapped. Bad reports are logged and skipped. A decode in progress when
// Run returns is lost with the device; a new Run starts afresh.
func (s *Scanner) Run(ctx context.Context, deliver func(scanner.Scan)) error {
	buf := make([]byte, s.cfg.ReportSize)
	for {
		n, err := s.src.ReadContext(ctx, buf)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if n > 0 {
			scan, done, ferr := s.feed(buf[:n], s.cfg.Now())
			if ferr != nil {
				s.logReportError(ferr, buf[:n])
			}
			if done {
				deliver(scan)
			}
		}
		if err != nil {
			return fmt.Errorf("read hid report: %w", err)
		}
	}
}

func (s *Scanner) logReportError(err error, report []byte) {
	msg := "hid report skipped"
	if errors.Is(err, ErrPartialDropped) || errors.Is(err, ErrDecodeTooLong) ||
		s.cfg.Mode == ModePOS && errors.Is(err, ErrReportLength) {
		msg = "hid decode dropped"
	}
	s.log.Warn(msg, "mode", s.cfg.Mode, "err", err, "report", fmt.Sprintf("% x", report))
}

func discardIfNil(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
