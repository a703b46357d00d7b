package serial_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/floorgate/floorgate/device/serial"
	"github.com/floorgate/floorgate/device/serial/serialtest"
)

func TestRawScans(t *testing.T) {
	tests := []struct {
		name string
		cfg  serial.RawConfig
		sent string
		want []serial.Scan
	}{
		{"CR with AIM ids", serial.RawConfig{}, "]E05901234123457\r]d2010950600013435210AB\x1d21X\rLOC-A-01\r", []serial.Scan{
			{Data: "5901234123457", AIM: "]E0", Symbology: "EAN-13"},
			{Data: "010950600013435210AB\x1d21X", AIM: "]d2", Symbology: "GS1 DataMatrix"},
			{Data: "LOC-A-01"},
		}},
		{"CRLF with prefix", serial.RawConfig{Suffix: []byte("\r\n"), Prefix: []byte{0x02}}, "\x02]Q3https://id.gs1.org/01/09506000134352\r\n\x02]I115012345678907\r\n", []serial.Scan{
			{Data: "https://id.gs1.org/01/09506000134352", AIM: "]Q3", Symbology: "GS1 QR Code"},
			{Data: "15012345678907", AIM: "]I1", Symbology: "ITF-14"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, master := openPty(t)
			scans, _, _ := start(t, serial.NewRaw(port, nil, tt.cfg))
			// Split mid-read: framing must not depend on read boundaries.
			half := len(tt.sent) / 2
			p := serialtest.Play(t, master,
				serialtest.Step{Reply: []byte(tt.sent[:half])},
				serialtest.Step{Reply: []byte(tt.sent[half:])},
			)
			for _, w := range tt.want {
				if got := nextScan(t, scans); got != w {
					t.Errorf("scan = %+v, want %+v", got, w)
				}
			}
			done(t, p)
			noMoreScans(t, scans)
		})
	}
}

func TestRunReturnsWhenPortClosed(t *testing.T) {
	text := []serialtest.Step{{Reply: []byte("]E05901234123457\r")}}
	drivers := []struct {
		name   string
		new    func(serial.Port) runner
		script []serialtest.Step
	}{
		{"raw", func(p serial.Port) runner { return serial.NewRaw(p, nil, serial.RawConfig{}) }, text},
		{"honeywell", func(p serial.Port) runner { return serial.NewHoneywell(p, nil, serial.HoneywellConfig{}) }, text},
		{"ssi", func(p serial.Port) runner { return serial.NewSSI(p, nil, serial.SSIConfig{}) },
			[]serialtest.Step{{Reply: decode(t, 0, 0x0B, "5901234123457")}, {Write: ack}}},
	}
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			port, master := openPty(t)
			scans, errc, _ := start(t, d.new(port))
			// A read first, so Run is known to be inside its read loop.
			p := serialtest.Play(t, master, d.script...)
			nextScan(t, scans)
			done(t, p)
			port.Close()
			select {
			case err := <-errc:
				if err == nil || errors.Is(err, context.Canceled) {
					t.Fatalf("Run = %v, want a port error", err)
				}
			case <-time.After(wait):
				t.Fatal("Run did not return after the port closed")
			}
		})
	}
}

func TestRunReturnsOnCancel(t *testing.T) {
	port, _ := openPty(t)
	_, errc, cancel := start(t, serial.NewRaw(port, nil, serial.RawConfig{}))
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
	// The port stays usable: a new Run on it reads again.
	if _, err := port.Write([]byte("x")); err != nil {
		t.Fatalf("port closed by Run: %v", err)
	}
}
