package usb_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/gousb"

	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/usb"
)

const (
	gs1128 = "0109506000134352" + "10ABC123\x1d" + "21SN0001"
	gs1DM  = "0109506000134352" + "17261231" + "10ABC123\x1d" + "21SN0001\x1d" +
		"400ORDER-2026-000123-WAVE07\x1d" + "91XXXXXXXXXXYYYYYYYYYY\x1d" +
		"92" + "01234567890123456789012345678901234567890123456789"
	ean13 = "4006381333931"
)

// TestRunDumps plays each recorded dump through Run until the source fails
// as an unplugged device does, and checks every scan that came out, the
// error Run returned and what it logged.
func TestRunDumps(t *testing.T) {
	tests := []struct {
		name  string
		dump  string
		mode  usb.Mode
		want  []scanner.Scan
		warns []string // substrings of the warnings logged, in order
	}{
		{
			name: "hid pos gs1-128 over two 32-byte reports",
			dump: "pos-gs1-128.txt", mode: usb.ModePOS,
			want: []scanner.Scan{{Data: gs1128, AIM: "]C1", Symbology: "GS1-128"}},
		},
		{
			name: "hid pos gs1 datamatrix over three 64-byte reports",
			dump: "pos-gs1-datamatrix.txt", mode: usb.ModePOS,
			want: []scanner.Scan{{Data: gs1DM, AIM: "]d2", Symbology: "GS1 DataMatrix"}},
		},
		{
			name: "hid pos ean-13 in one report",
			dump: "pos-ean13.txt", mode: usb.ModePOS,
			want: []scanner.Scan{{Data: ean13, AIM: "]E0", Symbology: "EAN-13"}},
		},
		{
			name: "hid pos corrupt report between good decodes",
			dump: "pos-corrupt.txt", mode: usb.ModePOS,
			want: []scanner.Scan{
				{Data: ean13, AIM: "]E0", Symbology: "EAN-13"},
				{Data: "PALLET-0042", AIM: "]A0", Symbology: "Code 39"},
				{Data: "TOTE-17"},
			},
			warns: []string{
				`msg="hid decode dropped" mode=hid-pos err="hid pos report: length 127, room for 58: bad report length"`,
				`msg="hid report skipped" mode=hid-pos err="hid pos report: id 0x04: unexpected report id"`,
			},
		},
		{
			name: "keyboard gs1 with shift and ctrl+]",
			dump: "kbd-gs1.txt", mode: usb.ModeKeyboard,
			want: []scanner.Scan{{Data: gs1128, AIM: "]C1", Symbology: "GS1-128"}},
		},
		{
			name: "keyboard rollover, keypad and an unknown key",
			dump: "kbd-rollover.txt", mode: usb.ModeKeyboard,
			want: []scanner.Scan{
				{Data: ean13, AIM: "]E0", Symbology: "EAN-13"},
				{Data: "B-07"},
			},
			warns: []string{`msg="hid report skipped" mode=hid-keyboard err="keyboard report: usage 0x3a: unknown key usage"`},
		},
		{
			name: "keyboard partial line dropped after the gap",
			// 508 ms: the last key press, 8 ms, the release, 500 ms.
			dump: "kbd-gap.txt", mode: usb.ModeKeyboard,
			want:  []scanner.Scan{{Data: ean13, AIM: "]E0", Symbology: "EAN-13"}},
			warns: []string{`msg="hid decode dropped" mode=hid-keyboard err="keyboard line: 4 characters, no Enter for 508ms: partial line dropped"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logged bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{
				ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
					if a.Key == slog.TimeKey {
						return slog.Attr{}
					}
					return a
				},
			}))
			src := newPlayback(readDump(t, tt.dump), gousb.TransferNoDevice)
			s, err := usb.NewScanner(src, log, usb.ScannerConfig{Mode: tt.mode, Now: src.Now})
			if err != nil {
				t.Fatalf("NewScanner: %v", err)
			}
			var got []scanner.Scan
			err = s.Run(context.Background(), func(sc scanner.Scan) { got = append(got, sc) })
			if !errors.Is(err, gousb.TransferNoDevice) || !strings.HasPrefix(err.Error(), "read hid report: ") {
				t.Errorf("Run = %v, want read hid report: %v", err, gousb.TransferNoDevice)
			}
			if src.left() != 0 {
				t.Errorf("%d reports not read", src.left())
			}
			assertScans(t, got, tt.want)

			var warns []string
			for _, l := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
				if l != "" {
					warns = append(warns, l)
				}
			}
			if len(warns) != len(tt.warns) {
				t.Fatalf("logged %d lines, want %d:\n%s", len(warns), len(tt.warns), logged.String())
			}
			for i, w := range tt.warns {
				if !strings.HasPrefix(warns[i], "level=WARN ") || !strings.Contains(warns[i], w) {
					t.Errorf("log line %d = %s\nwant WARN with %s", i, warns[i], w)
				}
			}
		})
	}
}

// TestRunCancel checks that Run returns ctx.Err() when its context ends
// while it waits for a report, after delivering what it had.
func TestRunCancel(t *testing.T) {
	src := newPlayback(readDump(t, "pos-ean13.txt"), nil)
	s, err := usb.NewScanner(src, nil, usb.ScannerConfig{Mode: usb.ModePOS})
	if err != nil {
		t.Fatalf("NewScanner: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []scanner.Scan
	err = s.Run(ctx, func(sc scanner.Scan) {
		got = append(got, sc)
		cancel() // the last scan of the dump: stop
	})
	if !errors.Is(err, context.Canceled) || err != ctx.Err() {
		t.Errorf("Run = %v, want %v", err, context.Canceled)
	}
	assertScans(t, got, []scanner.Scan{{Data: ean13, AIM: "]E0", Symbology: "EAN-13"}})
}

// TestRunReportTooBig checks that a report larger than the configured size
// ends Run with the source's error: the endpoint was sized wrong.
func TestRunReportTooBig(t *testing.T) {
	src := newPlayback(readDump(t, "pos-ean13.txt"), nil)
	s, err := usb.NewScanner(src, nil, usb.ScannerConfig{Mode: usb.ModePOS, ReportSize: 32})
	if err != nil {
		t.Fatalf("NewScanner: %v", err)
	}
	err = s.Run(context.Background(), func(sc scanner.Scan) { t.Errorf("unexpected scan %+v", sc) })
	if !errors.Is(err, gousb.TransferOverflow) {
		t.Errorf("Run = %v, want %v", err, gousb.TransferOverflow)
	}
}

func TestNewScannerMode(t *testing.T) {
	for _, m := range []usb.Mode{"", "hid", "HID-POS", "serial"} {
		_, err := usb.NewScanner(newPlayback(nil, nil), nil, usb.ScannerConfig{Mode: m})
		if !errors.Is(err, usb.ErrMode) {
			t.Errorf("NewScanner(mode %q) = %v, want %v", m, err, usb.ErrMode)
		}
	}
}

func assertScans(t *testing.T, got, want []scanner.Scan) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d scans, want %d:\n got %q\nwant %q", len(got), len(want), got, want)
		return
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("scan %d = %+q, want %+q", i, got[i], want[i])
		}
	}
}
