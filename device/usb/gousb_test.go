package usb_test

import (
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/floorgate/floorgate/device/usb"
)

// noBus reports whether this machine has no USB bus at all: no usbfs
// device nodes and no USB devices in sysfs, as in the build container.
// There libusb initialises and enumerates nothing.
func noBus() bool {
	_, errDev := os.Stat("/dev/bus/usb")
	_, errSys := os.Stat("/sys/bus/usb/devices")
	return errors.Is(errDev, os.ErrNotExist) && errors.Is(errSys, os.ErrNotExist)
}

// noLeak fails the test if f leaves goroutines behind: each libusb
// context runs an event goroutine until it is closed.
func noLeak(t *testing.T, f func()) {
	t.Helper()
	before := runtime.NumGoroutine()
	f()
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
		}
		runtime.Gosched()
	}
}

func TestList(t *testing.T) {
	noLeak(t, func() {
		for range 3 { // a context left open would show up as goroutines
			infos, err := usb.List()
			if noBus() {
				// Observed here: libusb 1.0.26 initialises without
				// usbfs or sysfs and enumerates no device.
				if err != nil || len(infos) != 0 {
					t.Fatalf("List = %v, %v; want no devices and no error on a machine without USB", infos, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			for i, in := range infos {
				if in.Bus == 0 || in.Address == 0 || in.VID == 0 && in.PID == 0 {
					t.Errorf("device %d: %+v", i, in)
				}
				if i > 0 && (infos[i-1].Bus > in.Bus || infos[i-1].Bus == in.Bus && infos[i-1].Address >= in.Address) {
					t.Errorf("not sorted by bus and address: %v before %v", infos[i-1], in)
				}
			}
		}
	})
}

// TestOpenAbsent opens a vid:pid that is not attached (f1f1 is not an
// assigned vendor ID). Observed here: libusb initialises, enumerates no
// device, and Open returns ErrNotFound naming the IDs; no libusb error
// comes with it.
func TestOpenAbsent(t *testing.T) {
	tests := []struct {
		name string
		opts usb.OpenOptions
		want string
	}{
		{
			name: "hid pos",
			opts: usb.OpenOptions{VID: 0xf1f1, PID: 0x0001, Mode: usb.ModePOS},
			want: "open usb f1f1:0001: usb device not found",
		},
		{
			name: "keyboard with serial",
			opts: usb.OpenOptions{VID: 0xf1f1, PID: 0xabcd, Mode: usb.ModeKeyboard, Serial: "S1234"},
			want: "open usb f1f1:abcd: usb device not found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeak(t, func() {
				d, err := usb.Open(tt.opts)
				if d != nil {
					d.Close()
					t.Fatalf("Open returned a device")
				}
				if !errors.Is(err, usb.ErrNotFound) || err.Error() != tt.want {
					t.Errorf("Open = %v, want %s", err, tt.want)
				}
			})
		})
	}
}

func TestOpenMode(t *testing.T) {
	d, err := usb.Open(usb.OpenOptions{VID: 0x05e0, PID: 0x1200, Mode: "hid"})
	if want := `open usb 05e0:1200: mode "hid": unknown hid mode`; d != nil || !errors.Is(err, usb.ErrMode) || err.Error() != want {
		t.Errorf("Open = %v, %v; want %s", d, err, want)
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		in   string
		want uint16
		err  bool
	}{
		{in: "05e0", want: 0x05e0},
		{in: "0x05E0", want: 0x05e0},
		{in: "0X0c2e", want: 0x0c2e},
		{in: " 1eab ", want: 0x1eab},
		{in: "ffff", want: 0xffff},
		{in: "5", want: 5},
		{in: "", err: true},
		{in: "0x", err: true},
		{in: "10000", err: true},
		{in: "05g0", err: true},
		{in: "-1", err: true},
	}
	for _, tt := range tests {
		got, err := usb.ParseID(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseID(%q) = %#04x, %v; want %#04x, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
