package serial

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// SSI opcodes (SSI Programmer's Guide, chapter 3).
const (
	OpParamSend   byte = 0xC6
	OpCmdAck      byte = 0xD0
	OpCmdNak      byte = 0xD1
	OpBeep        byte = 0xE6
	OpLEDOn       byte = 0xE7
	OpLEDOff      byte = 0xE8
	OpScanEnable  byte = 0xE9
	OpScanDisable byte = 0xEA
	OpDecodeData  byte = 0xF3
)

// SSI message sources.
const (
	SourceDecoder byte = 0x00
	SourceHost    byte = 0x04
)

// SSI status bits.
const (
	// StatusRetransmit marks a packet sent again after a NAK or timeout.
	StatusRetransmit byte = 0x01
	// StatusContinuation marks a decode packet followed by more of the
	// same decode (long symbols are split over several packets).
	StatusContinuation byte = 0x02
	// StatusPermanent makes PARAM_SEND survive a power cycle.
	StatusPermanent byte = 0x08
)

// CMD_NAK causes (the NAK's data byte).
const (
	NakResend     byte = 0x01
	NakBadContext byte = 0x02
	NakDenied     byte = 0x06
)

// Frame is one SSI packet without its length and checksum.
type Frame struct {
	Opcode byte
	Source byte
	Status byte
	Data   []byte
}

// Frame errors from DecodeFrame.
var (
	ErrFrameShort    = errors.New("ssi frame: short")
	ErrFrameLength   = errors.New("ssi frame: bad length")
	ErrFrameChecksum = errors.New("ssi frame: bad checksum")
)

// checksum is the two's complement of the byte sum, as 16 bits.
func checksum(b []byte) uint16 {
	var sum uint16
	for _, c := range b {
		sum += uint16(c)
	}
	return -sum
}

// EncodeFrame returns f on the wire: Len, Opcode, Source, Status, Data,
// checksum (big-endian). Len counts every byte but the checksum, so Data
// may be at most 251 bytes.
func EncodeFrame(f Frame) ([]byte, error) {
	n := 4 + len(f.Data)
	if n > 0xFF {
		return nil, fmt.Errorf("encode ssi frame: %d data bytes: %w", len(f.Data), ErrFrameLength)
	}
	b := make([]byte, 0, n+2)
	b = append(b, byte(n), f.Opcode, f.Source, f.Status)
	b = append(b, f.Data...)
	c := checksum(b)
	return append(b, byte(c>>8), byte(c)), nil
}

// DecodeFrame parses the frame at the start of b and returns it with the
// number of bytes it took. With too few bytes for the frame its length
// announces it returns ErrFrameShort and consumes nothing; a length below 4
// is ErrFrameLength, a wrong checksum ErrFrameChecksum (consuming the bad
// frame).
func DecodeFrame(b []byte) (Frame, int, error) {
	if len(b) < 1 {
		return Frame{}, 0, ErrFrameShort
	}
	n := int(b[0])
	if n < 4 {
		return Frame{}, 0, ErrFrameLength
	}
	if len(b) < n+2 {
		return Frame{}, 0, ErrFrameShort
	}
	want := uint16(b[n])<<8 | uint16(b[n+1])
	if checksum(b[:n]) != want {
		return Frame{}, n + 2, ErrFrameChecksum
	}
	return Frame{
		Opcode: b[1],
		Source: b[2],
		Status: b[3],
		Data:   append([]byte(nil), b[4:n]...),
	}, n + 2, nil
}

// mustEncode is for frames whose size is known to fit.
func mustEncode(f Frame) []byte {
	b, err := EncodeFrame(f)
	if err != nil {
		panic(err)
	}
	return b
}

// ssiSymbologies names the SSI barcode types (Programmer's Guide, "Code
// Types" table) the floor meets; others are reported by number.
var ssiSymbologies = map[byte]string{
	0x01: "Code 39",
	0x02: "Codabar",
	0x03: "Code 128",
	0x04: "Discrete 2 of 5",
	0x06: "Interleaved 2 of 5",
	0x07: "Code 93",
	0x08: "UPC-A",
	0x09: "UPC-E",
	0x0A: "EAN-8",
	0x0B: "EAN-13",
	0x0E: "MSI",
	0x0F: "GS1-128",
	0x10: "UPC-E1",
	0x11: "PDF417",
	0x13: "Code 39 Full ASCII",
	0x19: "ISBT-128",
	0x1A: "MicroPDF",
	0x1B: "DataMatrix",
	0x1C: "QR Code",
	0x25: "MaxiCode",
	0x2C: "Micro QR",
	0x2D: "Aztec",
	0x30: "GS1 DataBar",
	0x31: "GS1 DataBar Limited",
	0x32: "GS1 DataBar Expanded",
}

func ssiSymbology(t byte) string {
	if s, ok := ssiSymbologies[t]; ok {
		return s
	}
	return fmt.Sprintf("SSI type 0x%02X", t)
}

// SSIConfig tunes the SSI command handshake.
type SSIConfig struct {
	// Timeout is how long a command waits for CMD_ACK before resending;
	// 500 ms when zero.
	Timeout time.Duration
	// Tries is how many times a command is sent in all; 3 when zero.
	Tries int
	// Gap is how long a partial packet waits for its next byte before it
	// is NAKed and dropped; 200 ms when zero.
	Gap time.Duration
}

// SSI drives a Zebra scanner in SSI mode with packeted decode data (the
// "Decode Data Packet Format" parameter set to packeted). Run must be
// running for commands to see their acknowledgements.
type SSI struct {
	w       writer
	port    Port
	log     *slog.Logger
	cfg     SSIConfig
	cmd     chan struct{} // one command in flight: a token
	replies chan Frame    // CMD_ACK / CMD_NAK for the command in flight
}

// NewSSI returns an SSI driver on port.
func NewSSI(port Port, log *slog.Logger, cfg SSIConfig) *SSI {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 500 * time.Millisecond
	}
	if cfg.Tries <= 0 {
		cfg.Tries = 3
	}
	if cfg.Gap <= 0 {
		cfg.Gap = defaultGap
	}
	s := &SSI{
		w:       writer{port: port},
		port:    port,
		log:     discardIfNil(log),
		cfg:     cfg,
		cmd:     make(chan struct{}, 1),
		replies: make(chan Frame, 1),
	}
	return s
}

var (
	ssiAck = mustEncode(Frame{Opcode: OpCmdAck, Source: SourceHost})
	ssiNak = mustEncode(Frame{Opcode: OpCmdNak, Source: SourceHost, Data: []byte{NakResend}})
)

// Run reads packets until ctx ends (returning ctx.Err()) or the port fails.
// Every decode packet is acknowledged, then delivered; a corrupt packet is
// NAKed (asking the scanner to resend) and dropped.
func (s *SSI) Run(ctx context.Context, deliver func(Scan)) error {
	var (
		buf     []byte
		pending []byte // decode data of a multi-packet decode so far
		pendTyp byte
		last    []byte // data of the last decode packet, to spot a resend of it
	)
	nak := func(reason string, err error) error {
		s.log.Warn("ssi: corrupt packet dropped", "reason", reason, "err", err)
		// The resend this NAK asks for is new data, even if it equals
		// the previous decode (the same item scanned twice).
		last = nil
		return s.w.write(ssiNak)
	}
	feed := func(b []byte) (bool, error) {
		buf = append(buf, b...)
		for len(buf) > 0 {
			f, n, err := DecodeFrame(buf)
			switch {
			case errors.Is(err, ErrFrameShort):
				return true, nil
			case errors.Is(err, ErrFrameLength):
				// No way to find the next frame boundary: drop
				// everything buffered; the resend starts clean.
				buf = buf[:0]
				return false, nak("length", err)
			case errors.Is(err, ErrFrameChecksum):
				buf = buf[n:]
				if err := nak("checksum", err); err != nil {
					return false, err
				}
				continue
			}
			buf = buf[n:]
			switch f.Opcode {
			case OpCmdAck, OpCmdNak:
				select {
				case s.replies <- f:
				default:
					s.log.Debug("ssi: unexpected acknowledgement", "opcode", f.Opcode)
				}
			case OpDecodeData:
				if err := s.w.write(ssiAck); err != nil {
					return false, err
				}
				if f.Status&StatusRetransmit != 0 && last != nil && string(f.Data) == string(last) {
					// Our ACK was lost and the scanner sent the same
					// packet again: already handled.
					continue
				}
				last = f.Data
				if len(f.Data) < 1 {
					s.log.Warn("ssi: empty decode packet")
					continue
				}
				if pending == nil {
					pendTyp = f.Data[0]
				}
				pending = append(pending, f.Data[1:]...)
				if f.Status&StatusContinuation != 0 {
					continue
				}
				deliver(newScan(string(pending), ssiSymbology(pendTyp)))
				pending = nil
			default:
				// Other scanner packets (events, replies to requests this
				// driver does not make) still need an ACK.
				s.log.Debug("ssi: packet ignored", "opcode", f.Opcode)
				if err := s.w.write(ssiAck); err != nil {
					return false, err
				}
			}
		}
		return false, nil
	}
	expire := func() {
		if err := nak("partial packet", ErrFrameShort); err != nil {
			s.log.Warn("ssi: nak", "err", err)
		}
		buf = buf[:0]
	}
	return readLoop(ctx, s.port, s.cfg.Gap, feed, expire)
}

// command sends a host packet and waits for CMD_ACK, resending on CMD_NAK
// (resend) or silence, up to cfg.Tries sends.
func (s *SSI) command(ctx context.Context, name string, op, status byte, data []byte) error {
	select {
	case s.cmd <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("ssi %s: %w", name, ctx.Err())
	}
	defer func() { <-s.cmd }()

	var last error
	for try := 0; try < s.cfg.Tries; try++ {
		st := status
		if try > 0 {
			st |= StatusRetransmit
		}
		b, err := EncodeFrame(Frame{Opcode: op, Source: SourceHost, Status: st, Data: data})
		if err != nil {
			return fmt.Errorf("ssi %s: %w", name, err)
		}
		select { // a late answer to an earlier try is not this try's answer
		case <-s.replies:
		default:
		}
		if err := s.w.write(b); err != nil {
			return fmt.Errorf("ssi %s: %w", name, err)
		}
		t := time.NewTimer(s.cfg.Timeout)
		select {
		case f := <-s.replies:
			t.Stop()
			if f.Opcode == OpCmdAck {
				return nil
			}
			cause := NakResend
			if len(f.Data) > 0 {
				cause = f.Data[0]
			}
			if cause == NakDenied || cause == NakBadContext {
				return fmt.Errorf("ssi %s: nak 0x%02X: %w", name, cause, ErrDenied)
			}
			last = ErrNAK
		case <-t.C:
			last = ErrTimeout
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("ssi %s: %w", name, ctx.Err())
		}
		s.log.Debug("ssi: resending", "command", name, "try", try+1, "err", last)
	}
	return fmt.Errorf("ssi %s: %d tries: %w", name, s.cfg.Tries, last)
}

// Write sends host packets as they are on the wire (one or more, each with
// its length and checksum, as profiles write their init and feedback
// commands), each waiting for its CMD_ACK with the usual retransmits.
func (s *SSI) Write(ctx context.Context, packets []byte) error {
	for len(packets) > 0 {
		f, n, err := DecodeFrame(packets)
		if err != nil {
			return fmt.Errorf("ssi write: %w", err)
		}
		if err := s.command(ctx, fmt.Sprintf("opcode 0x%02X", f.Opcode), f.Opcode, f.Status, f.Data); err != nil {
			return err
		}
		packets = packets[n:]
	}
	return nil
}

// Beep sounds one of the scanner's beep sequences (tone 0x00–0x19, SSI
// Programmer's Guide BEEP table).
func (s *SSI) Beep(ctx context.Context, tone byte) error {
	return s.command(ctx, "beep", OpBeep, 0, []byte{tone})
}

// LED turns the scanner's decode LED on or off (LED selection bit 0x01,
// green on most models).
func (s *SSI) LED(ctx context.Context, on bool) error {
	if on {
		return s.command(ctx, "led on", OpLEDOn, 0, []byte{0x01})
	}
	return s.command(ctx, "led off", OpLEDOff, 0, []byte{0x01})
}

// ScanEnable allows or forbids the scanner to read: a station that is not
// expecting a scan disables it so nothing is read by accident.
func (s *SSI) ScanEnable(ctx context.Context, on bool) error {
	if on {
		return s.command(ctx, "scan enable", OpScanEnable, 0, nil)
	}
	return s.command(ctx, "scan disable", OpScanDisable, 0, nil)
}

// Param sets parameter num (below 0xF0; extended parameters are not
// supported) to value, temporarily: the gateway pushes its settings on
// every connect, so nothing is written to the scanner's flash. The beep
// code 0xFF asks for no confirmation beep.
func (s *SSI) Param(ctx context.Context, num, value byte) error {
	if num >= 0xF0 {
		return fmt.Errorf("ssi param 0x%02X: extended parameter: %w", num, ErrBadCommand)
	}
	return s.command(ctx, fmt.Sprintf("param 0x%02X", num), OpParamSend, 0, []byte{0xFF, num, value})
}
