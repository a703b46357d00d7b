package serial_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/floorgate/floorgate/device/serial"
	"github.com/floorgate/floorgate/device/serial/serialtest"
)

// The frames are PRODUCT.md's examples ("Facts worth having at hand").
func TestFrameVectors(t *testing.T) {
	tests := []struct {
		name  string
		frame serial.Frame
		wire  string
	}{
		{"CMD_ACK", serial.Frame{Opcode: serial.OpCmdAck, Source: serial.SourceHost}, "04 D0 04 00 FF 28"},
		{"BEEP 0", serial.Frame{Opcode: serial.OpBeep, Source: serial.SourceHost, Data: []byte{0}}, "05 E6 04 00 00 FF 11"},
		{"LED green", serial.Frame{Opcode: serial.OpLEDOn, Source: serial.SourceHost, Data: []byte{1}}, "05 E7 04 00 01 FF 0F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := hex(t, tt.wire)
			got, err := serial.EncodeFrame(tt.frame)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("EncodeFrame = % X, %v; want % X", got, err, want)
			}
			f, n, err := serial.DecodeFrame(append(want, 0x99))
			if err != nil || n != len(want) {
				t.Fatalf("DecodeFrame: n=%d err=%v", n, err)
			}
			if f.Opcode != tt.frame.Opcode || f.Source != tt.frame.Source || f.Status != tt.frame.Status || !bytes.Equal(f.Data, tt.frame.Data) {
				t.Errorf("DecodeFrame = %+v, want %+v", f, tt.frame)
			}
		})
	}
}

func TestDecodeFrameErrors(t *testing.T) {
	tests := []struct {
		name string
		wire string
		want error
		n    int
	}{
		{"empty", "", serial.ErrFrameShort, 0},
		{"partial", "05 E6 04 00", serial.ErrFrameShort, 0},
		{"length below header", "02 D0 04 FF 2A", serial.ErrFrameLength, 0},
		{"checksum", "05 E6 04 00 00 FF 12", serial.ErrFrameChecksum, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := serial.DecodeFrame(hex(t, tt.wire))
			if !errors.Is(err, tt.want) || n != tt.n {
				t.Errorf("DecodeFrame = n %d, %v; want n %d, %v", n, err, tt.n, tt.want)
			}
		})
	}
	if _, err := serial.EncodeFrame(serial.Frame{Data: make([]byte, 252)}); !errors.Is(err, serial.ErrFrameLength) {
		t.Errorf("EncodeFrame(252 data bytes) = %v, want ErrFrameLength", err)
	}
}

func frame(t *testing.T, f serial.Frame) []byte {
	t.Helper()
	b, err := serial.EncodeFrame(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(t *testing.T, status, typ byte, data string) []byte {
	return frame(t, serial.Frame{Opcode: serial.OpDecodeData, Source: serial.SourceDecoder, Status: status, Data: append([]byte{typ}, data...)})
}

var (
	ack = []byte{0x04, 0xD0, 0x04, 0x00, 0xFF, 0x28}
	// NAK_RESEND from the host.
	hostNak = []byte{0x05, 0xD1, 0x04, 0x00, 0x01, 0xFF, 0x25}
)

func decoderAck(t *testing.T) []byte {
	return frame(t, serial.Frame{Opcode: serial.OpCmdAck, Source: serial.SourceDecoder})
}

func decoderNak(t *testing.T, cause byte) []byte {
	return frame(t, serial.Frame{Opcode: serial.OpCmdNak, Source: serial.SourceDecoder, Data: []byte{cause}})
}

func TestSSIDecodeAckedAndDelivered(t *testing.T) {
	port, master := openPty(t)
	d := serial.NewSSI(port, nil, serial.SSIConfig{})
	scans, _, _ := start(t, d)
	gs1 := "]C1" + "0109506000134352" + "10ABC\x1d" + "21X1"
	p := serialtest.Play(t, master,
		serialtest.Step{Reply: decode(t, 0, 0x0F, gs1)},
		serialtest.Step{Write: ack, Reply: decode(t, 0, 0x0B, "5901234123457")},
		serialtest.Step{Write: ack, Reply: decode(t, 0, 0x1B, "]d2010950600013435210B1")},
		serialtest.Step{Write: ack},
		// A long decode in two packets: both ACKed, one scan.
		serialtest.Step{Reply: decode(t, serial.StatusContinuation, 0x03, "PART-ONE/")},
		serialtest.Step{Write: ack, Reply: decode(t, 0, 0x03, "PART-TWO")},
		serialtest.Step{Write: ack},
	)
	want := []serial.Scan{
		{Data: "0109506000134352" + "10ABC\x1d" + "21X1", AIM: "]C1", Symbology: "GS1-128"},
		{Data: "5901234123457", Symbology: "EAN-13"},
		{Data: "010950600013435210B1", AIM: "]d2", Symbology: "GS1 DataMatrix"},
		{Data: "PART-ONE/PART-TWO", Symbology: "Code 128"},
	}
	for _, w := range want {
		if got := nextScan(t, scans); got != w {
			t.Errorf("scan = %+v, want %+v", got, w)
		}
	}
	done(t, p)
	noMoreScans(t, scans)
}

func TestSSIResentDecodeDeliveredOnce(t *testing.T) {
	port, master := openPty(t)
	scans, _, _ := start(t, serial.NewSSI(port, nil, serial.SSIConfig{}))
	p := serialtest.Play(t, master,
		serialtest.Step{Reply: decode(t, 0, 0x0B, "5901234123457")},
		// The scanner did not see our ACK and resends the same packet.
		serialtest.Step{Write: ack, Reply: decode(t, serial.StatusRetransmit, 0x0B, "5901234123457")},
		serialtest.Step{Write: ack},
	)
	nextScan(t, scans)
	done(t, p)
	noMoreScans(t, scans)
}

func TestSSICorruptFrameNAKed(t *testing.T) {
	for _, tt := range []struct {
		name    string
		corrupt []byte
	}{
		{"checksum", func() []byte {
			b := decode(t, 0, 0x0B, "5901234123457")
			b[len(b)-1] ^= 0x40
			return b
		}()},
		{"payload", func() []byte {
			b := decode(t, 0, 0x0B, "5901234123457")
			b[6] = '8' // a digit flipped on the line
			return b
		}()},
		{"length", []byte{0x02, 0xF3, 0x00, 0x00}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			port, master := openPty(t)
			scans, _, _ := start(t, serial.NewSSI(port, nil, serial.SSIConfig{}))
			p := serialtest.Play(t, master,
				serialtest.Step{Reply: tt.corrupt},
				serialtest.Step{Write: hostNak, Reply: decode(t, serial.StatusRetransmit, 0x0B, "5901234123457")},
				serialtest.Step{Write: ack},
			)
			if got := nextScan(t, scans); got.Data != "5901234123457" {
				t.Errorf("scan = %+v, want the resent decode", got)
			}
			done(t, p)
			noMoreScans(t, scans)
		})
	}
}

func TestSSIPartialFrameNAKedAfterGap(t *testing.T) {
	port, master := openPty(t)
	scans, _, _ := start(t, serial.NewSSI(port, nil, serial.SSIConfig{Gap: 20 * time.Millisecond}))
	full := decode(t, 0, 0x0B, "5901234123457")
	p := serialtest.Play(t, master,
		serialtest.Step{Reply: full[:5]}, // the rest is lost
		serialtest.Step{Write: hostNak, Reply: full},
		serialtest.Step{Write: ack},
	)
	if got := nextScan(t, scans); got.Data != "5901234123457" {
		t.Errorf("scan = %+v", got)
	}
	done(t, p)
	noMoreScans(t, scans)
}

func TestSSIBeepResentAfterNAK(t *testing.T) {
	port, master := openPty(t)
	d := serial.NewSSI(port, nil, serial.SSIConfig{})
	start(t, d)
	beep := hex(t, "05 E6 04 00 00 FF 11")
	resent := frame(t, serial.Frame{Opcode: serial.OpBeep, Source: serial.SourceHost, Status: serial.StatusRetransmit, Data: []byte{0}})
	p := serialtest.Play(t, master,
		serialtest.Step{Write: beep, Reply: decoderNak(t, serial.NakResend)},
		serialtest.Step{Write: resent, Reply: decoderAck(t)},
	)
	if err := d.Beep(t.Context(), 0); err != nil {
		t.Fatalf("Beep: %v", err)
	}
	done(t, p)
}

func TestSSICommandTimeout(t *testing.T) {
	port, master := openPty(t)
	d := serial.NewSSI(port, nil, serial.SSIConfig{Timeout: 30 * time.Millisecond})
	start(t, d)
	led := hex(t, "05 E7 04 00 01 FF 0F")
	resent := frame(t, serial.Frame{Opcode: serial.OpLEDOn, Source: serial.SourceHost, Status: serial.StatusRetransmit, Data: []byte{1}})
	p := serialtest.Play(t, master,
		serialtest.Step{Write: led},
		serialtest.Step{Write: resent},
		serialtest.Step{Write: resent},
	)
	err := d.LED(t.Context(), true)
	if !errors.Is(err, serial.ErrTimeout) {
		t.Fatalf("LED = %v, want ErrTimeout", err)
	}
	done(t, p)
}

func TestSSINakTooOften(t *testing.T) {
	port, master := openPty(t)
	d := serial.NewSSI(port, nil, serial.SSIConfig{})
	start(t, d)
	first := frame(t, serial.Frame{Opcode: serial.OpScanDisable, Source: serial.SourceHost})
	resent := frame(t, serial.Frame{Opcode: serial.OpScanDisable, Source: serial.SourceHost, Status: serial.StatusRetransmit})
	p := serialtest.Play(t, master,
		serialtest.Step{Write: first, Reply: decoderNak(t, serial.NakResend)},
		serialtest.Step{Write: resent, Reply: decoderNak(t, serial.NakResend)},
		serialtest.Step{Write: resent, Reply: decoderNak(t, serial.NakResend)},
	)
	if err := d.ScanEnable(t.Context(), false); !errors.Is(err, serial.ErrNAK) {
		t.Fatalf("ScanEnable(false) = %v, want ErrNAK", err)
	}
	done(t, p)
}

func TestSSIDeniedNotRetried(t *testing.T) {
	port, master := openPty(t)
	d := serial.NewSSI(port, nil, serial.SSIConfig{})
	start(t, d)
	param := frame(t, serial.Frame{Opcode: serial.OpParamSend, Source: serial.SourceHost, Data: []byte{0xFF, 0x2D, 0x01}})
	p := serialtest.Play(t, master,
		serialtest.Step{Write: param, Reply: decoderNak(t, serial.NakDenied)},
	)
	if err := d.Param(t.Context(), 0x2D, 1); !errors.Is(err, serial.ErrDenied) {
		t.Fatalf("Param = %v, want ErrDenied", err)
	}
	done(t, p)
}

func TestSSIScanDuringCommand(t *testing.T) {
	port, master := openPty(t)
	d := serial.NewSSI(port, nil, serial.SSIConfig{})
	scans, _, _ := start(t, d)
	enable := frame(t, serial.Frame{Opcode: serial.OpScanEnable, Source: serial.SourceHost})
	p := serialtest.Play(t, master,
		// The scanner sends a decode before it answers the command.
		serialtest.Step{Write: enable, Reply: decode(t, 0, 0x0B, "5901234123457")},
		serialtest.Step{Write: ack, Reply: decoderAck(t)},
	)
	if err := d.ScanEnable(t.Context(), true); err != nil {
		t.Fatalf("ScanEnable: %v", err)
	}
	nextScan(t, scans)
	done(t, p)
}
