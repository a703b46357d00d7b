package serial_test

import (
	"errors"
	"testing"

	"github.com/floorgate/floorgate/device/serial"
	"github.com/floorgate/floorgate/device/serial/serialtest"
)

func TestHoneywellSend(t *testing.T) {
	tests := []struct {
		name  string
		cmd   string
		reply string
		want  error
	}{
		{"ack", "BEPLVL3!", "BEPLVL3\x06!", nil},
		{"ack with echoed prefix", "AIMID2.", "\x16M\rAIMID2\x06.", nil},
		{"several", "BEPLVL3;BEPBEP1!", "BEPLVL3\x06;BEPBEP1\x06!", nil},
		{"nak", "BEPLVL9!", "BEPLVL9\x15!", serial.ErrNAK},
		{"enq", "XYZABC1!", "XYZABC1\x05!", serial.ErrENQ},
		{"one part unknown", "BEPLVL3;XYZ1!", "BEPLVL3\x06;XYZ1\x05!", serial.ErrENQ},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, master := openPty(t)
			h := serial.NewHoneywell(port, nil, serial.HoneywellConfig{})
			start(t, h)
			p := serialtest.Play(t, master,
				serialtest.Step{Write: []byte("\x16M\r" + tt.cmd), Reply: []byte(tt.reply)},
			)
			_, err := h.Send(t.Context(), tt.cmd)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Send(%q) = %v, want %v", tt.cmd, err, tt.want)
			}
			done(t, p)
		})
	}
}

func TestHoneywellSendTimeoutAndMalformed(t *testing.T) {
	port, master := openPty(t)
	h := serial.NewHoneywell(port, nil, serial.HoneywellConfig{Timeout: 30e6})
	start(t, h)
	p := serialtest.Play(t, master, serialtest.Step{Write: []byte("\x16M\rBEPLVL3!")})
	if _, err := h.Send(t.Context(), "BEPLVL3!"); !errors.Is(err, serial.ErrTimeout) {
		t.Errorf("Send = %v, want ErrTimeout", err)
	}
	done(t, p)
	if _, err := h.Send(t.Context(), "BEPLVL3"); !errors.Is(err, serial.ErrBadCommand) {
		t.Errorf("Send without terminator = %v, want ErrBadCommand", err)
	}
}

func TestHoneywellScansAndFeedback(t *testing.T) {
	port, master := openPty(t)
	h := serial.NewHoneywell(port, nil, serial.HoneywellConfig{})
	good, bad := []byte("\x16M\rBEPEXE1!"), []byte{0x07}
	scans, _, _ := start(t, h)
	p := serialtest.Play(t, master,
		serialtest.Step{Reply: []byte("]E05901234123457\r")},
		serialtest.Step{Write: []byte("\x16M\rBEPEXE1!"), Reply: []byte("BEPEXE1\x06!]C10109506000134352\r")},
		serialtest.Step{Write: []byte{0x07}, Reply: []byte("LOC-A-01-02\r")},
	)
	if got, want := nextScan(t, scans), (serial.Scan{Data: "5901234123457", AIM: "]E0", Symbology: "EAN-13"}); got != want {
		t.Errorf("scan = %+v, want %+v", got, want)
	}
	if err := h.Write(t.Context(), good); err != nil {
		t.Fatalf("good feedback: %v", err)
	}
	if got := nextScan(t, scans); got.AIM != "]C1" || got.Symbology != "GS1-128" || got.Data != "0109506000134352" {
		t.Errorf("scan = %+v", got)
	}
	if err := h.Write(t.Context(), bad); err != nil {
		t.Fatalf("bad feedback: %v", err)
	}
	if got := nextScan(t, scans); got != (serial.Scan{Data: "LOC-A-01-02"}) {
		t.Errorf("scan = %+v", got)
	}
	done(t, p)
}
