package serial

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Honeywell menu command bytes (User's Guide, "Serial Programming
// Commands").
const (
	hwSYN = 0x16
	hwACK = 0x06
	hwENQ = 0x05
	hwNAK = 0x15
)

// hwPrefix starts every menu command: SYN M CR.
var hwPrefix = []byte{hwSYN, 'M', '\r'}

// HoneywellConfig describes a Honeywell scanner's framing and feedback.
type HoneywellConfig struct {
	// Suffix ends each read; CR when empty.
	Suffix []byte
	// Prefix, when set, is stripped from the start of each read.
	Prefix []byte
	// Timeout is how long a menu command waits for its reply; 1 s when
	// zero (commands that write flash are slow).
	Timeout time.Duration
	// Gap is how long a read missing its suffix waits before it is
	// dropped; 200 ms when zero.
	Gap time.Duration
}

// Honeywell drives a Honeywell scanner in serial mode: reads framed by a
// suffix, optionally AIM-prefixed, and menu commands. Run must be running
// for Send to see replies.
type Honeywell struct {
	w       writer
	port    Port
	log     *slog.Logger
	cfg     HoneywellConfig
	cmd     chan struct{} // one command in flight: a token
	replies chan []byte
}

// NewHoneywell returns a Honeywell driver on port.
func NewHoneywell(port Port, log *slog.Logger, cfg HoneywellConfig) *Honeywell {
	if len(cfg.Suffix) == 0 {
		cfg.Suffix = []byte{'\r'}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.Gap <= 0 {
		cfg.Gap = defaultGap
	}
	return &Honeywell{
		w:       writer{port: port},
		port:    port,
		log:     discardIfNil(log),
		cfg:     cfg,
		cmd:     make(chan struct{}, 1),
		replies: make(chan []byte, 1),
	}
}

// replyEnd returns the index of the terminator of a menu command reply in
// b (a status byte followed by '!' or '.'), or -1.
func replyEnd(b []byte) int {
	for i := 1; i < len(b); i++ {
		if (b[i] == '!' || b[i] == '.') && (b[i-1] == hwACK || b[i-1] == hwENQ || b[i-1] == hwNAK) {
			return i
		}
	}
	return -1
}

// Run delivers each read to deliver and hands menu command replies to
// Send, until ctx ends (returning ctx.Err()) or the port fails.
func (h *Honeywell) Run(ctx context.Context, deliver func(Scan)) error {
	sp := &splitter{prefix: h.cfg.Prefix, suffix: h.cfg.Suffix}
	reply := func(buf []byte) (int, bool) {
		// A reply may echo the SYN M CR prefix; its CR is not a read's
		// suffix.
		if bytes.HasPrefix(buf, hwPrefix) {
			return len(hwPrefix), false
		}
		r := replyEnd(buf)
		s := bytes.Index(buf, sp.suffix)
		if r < 0 || (s >= 0 && s <= r) {
			return 0, false
		}
		rep := append([]byte(nil), buf[:r+1]...)
		select {
		case h.replies <- rep:
		default:
			h.log.Warn("honeywell: reply with no command waiting", "reply", fmt.Sprintf("%q", rep))
		}
		return r + 1, false
	}
	return sp.run(ctx, h.port, h.cfg.Gap, h.log, "honeywell", reply, deliver)
}

// Send sends a menu command — tag, subtag and data, several joined by ';',
// ending with '!' (RAM, lost at power-off) or '.' (flash) — prefixed with
// SYN M CR, and waits for the echoed reply. It returns the reply (without
// an echoed prefix), ErrNAK if any part was answered NAK (bad data), ErrENQ
// if any tag or subtag was unknown, ErrTimeout if no reply came.
func (h *Honeywell) Send(ctx context.Context, cmd string) (string, error) {
	if cmd == "" || !strings.ContainsAny(cmd[len(cmd)-1:], "!.") || strings.ContainsAny(cmd, "\r\x06\x05\x15") {
		return "", fmt.Errorf("honeywell %q: %w", cmd, ErrBadCommand)
	}
	select {
	case h.cmd <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("honeywell %q: %w", cmd, ctx.Err())
	}
	defer func() { <-h.cmd }()

	select {
	case <-h.replies:
	default:
	}
	if err := h.w.write(append(append([]byte(nil), hwPrefix...), cmd...)); err != nil {
		return "", fmt.Errorf("honeywell %q: %w", cmd, err)
	}
	t := time.NewTimer(h.cfg.Timeout)
	defer t.Stop()
	select {
	case reply := <-h.replies:
		switch {
		case bytes.IndexByte(reply, hwNAK) >= 0:
			return string(reply), fmt.Errorf("honeywell %q: %w", cmd, ErrNAK)
		case bytes.IndexByte(reply, hwENQ) >= 0:
			return string(reply), fmt.Errorf("honeywell %q: %w", cmd, ErrENQ)
		}
		return string(reply), nil
	case <-t.C:
		return "", fmt.Errorf("honeywell %q: %w", cmd, ErrTimeout)
	case <-ctx.Done():
		return "", fmt.Errorf("honeywell %q: %w", cmd, ctx.Err())
	}
}

// Write sends a host command sequence as it is on the wire: one or more
// menu commands (each SYN M CR, tag, subtag, data and ! or .), each waiting
// for its acknowledgement, or other bytes — a Host ACK beep such as ESC 7 —
// written as they are. Profiles' init and feedback sequences go this way.
func (h *Honeywell) Write(ctx context.Context, seq []byte) error {
	if !bytes.HasPrefix(seq, hwPrefix) {
		if err := h.w.write(seq); err != nil {
			return fmt.Errorf("honeywell write: %w", err)
		}
		return nil
	}
	for _, cmd := range bytes.Split(seq[len(hwPrefix):], hwPrefix) {
		if _, err := h.Send(ctx, string(cmd)); err != nil {
			return err
		}
	}
	return nil
}
