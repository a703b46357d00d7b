package serial

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"
)

// RawConfig describes how a scanner without a command protocol frames its
// reads.
type RawConfig struct {
	// Suffix ends each read; CR when empty. CRLF is common too.
	Suffix []byte
	// Prefix, when set, is stripped from the start of each read.
	Prefix []byte
	// Gap is how long a read missing its suffix waits before it is
	// dropped; 200 ms when zero.
	Gap time.Duration
	// Replies, when set, marks command replies framed STX … ETX (Newland's
	// serial commands answer <STX><SOH>0000#TAG<ACK>;<ETX>): they are
	// logged and dropped, never mistaken for, or glued to, a read.
	Replies bool
}

// Reply framing of scanners that answer commands in STX … ETX.
const (
	stx = 0x02
	etx = 0x03
)

// Raw reads a scanner that sends each decode as prefix, optional AIM
// identifier, data and suffix, and accepts no commands.
type Raw struct {
	port Port
	log  *slog.Logger
	cfg  RawConfig
}

// NewRaw returns a driver for a framed scanner on port.
func NewRaw(port Port, log *slog.Logger, cfg RawConfig) *Raw {
	if len(cfg.Suffix) == 0 {
		cfg.Suffix = []byte{'\r'}
	}
	if cfg.Gap <= 0 {
		cfg.Gap = defaultGap
	}
	return &Raw{port: port, log: discardIfNil(log), cfg: cfg}
}

// Run delivers each read to deliver until ctx ends (returning ctx.Err()) or
// the port fails.
func (r *Raw) Run(ctx context.Context, deliver func(Scan)) error {
	sp := &splitter{prefix: r.cfg.Prefix, suffix: r.cfg.Suffix}
	var reply func([]byte) (int, bool)
	if r.cfg.Replies {
		reply = func(buf []byte) (int, bool) {
			if buf[0] != stx {
				return 0, false
			}
			end := bytes.Index(buf, []byte{etx})
			if end < 0 {
				return 0, true // the rest of the reply is on its way
			}
			r.log.Debug("scanner command reply", "reply", fmt.Sprintf("% X", buf[:end+1]))
			return end + 1, false
		}
	}
	return sp.run(ctx, r.port, r.cfg.Gap, r.log, "raw", reply, deliver)
}
