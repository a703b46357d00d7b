package usb

import (
	"context"
	"errors"
	"testing"

	"github.com/google/gousb"
)

// hidSetting describes an interface setting with the given endpoints.
func hidSetting(num int, class gousb.Class, sub gousb.Class, proto gousb.Protocol, eps ...gousb.EndpointDesc) gousb.InterfaceDesc {
	m := map[gousb.EndpointAddress]gousb.EndpointDesc{}
	for _, e := range eps {
		m[e.Address] = e
	}
	return gousb.InterfaceDesc{Number: num, AltSettings: []gousb.InterfaceSetting{{
		Number: num, Class: class, SubClass: sub, Protocol: proto, Endpoints: m,
	}}}
}

func endpoint(addr uint8, tt gousb.TransferType, size int) gousb.EndpointDesc {
	dir := gousb.EndpointDirectionOut
	if addr&0x80 != 0 {
		dir = gousb.EndpointDirectionIn
	}
	return gousb.EndpointDesc{Address: gousb.EndpointAddress(addr), Number: int(addr & 0x0f), Direction: dir, TransferType: tt, MaxPacketSize: size}
}

// TestPickInterface runs the interface choice over descriptors shaped like
// real scanners': gousb's own descriptor types, filled by hand because no
// device is attached here.
func TestPickInterface(t *testing.T) {
	intr, bulk := gousb.TransferTypeInterrupt, gousb.TransferTypeBulk
	posOnly := gousb.ConfigDesc{Number: 1, Interfaces: []gousb.InterfaceDesc{
		hidSetting(0, gousb.ClassHID, 0, 0, endpoint(0x81, intr, 64), endpoint(0x02, intr, 64)),
	}}
	composite := gousb.ConfigDesc{Number: 1, Interfaces: []gousb.InterfaceDesc{
		hidSetting(0, gousb.ClassHID, 1, 1, endpoint(0x81, intr, 8)),
		hidSetting(1, gousb.ClassHID, 0, 0, endpoint(0x84, intr, 64), endpoint(0x83, intr, 32)),
		hidSetting(2, gousb.ClassComm, 2, 1, endpoint(0x85, intr, 16)),
	}}
	noInterrupt := gousb.ConfigDesc{Number: 2, Interfaces: []gousb.InterfaceDesc{
		hidSetting(0, gousb.ClassHID, 1, 1, endpoint(0x01, intr, 8), endpoint(0x82, bulk, 64)),
		hidSetting(1, gousb.ClassVendorSpec, 0, 0, endpoint(0x83, intr, 64)),
	}}
	tests := []struct {
		name string
		cfg  gousb.ConfigDesc
		mode Mode
		want hidPick
		err  string
	}{
		{name: "hid pos device", cfg: posOnly, mode: ModePOS, want: hidPick{intf: 0, endpoint: 1, maxPacket: 64}},
		{name: "hid pos device in keyboard mode", cfg: posOnly, mode: ModeKeyboard, err: "hid-keyboard in config 1: no usable hid interface"},
		{name: "composite, pos", cfg: composite, mode: ModePOS, want: hidPick{intf: 1, endpoint: 3, maxPacket: 32}},
		{name: "composite, keyboard", cfg: composite, mode: ModeKeyboard, want: hidPick{intf: 0, endpoint: 1, maxPacket: 8}},
		{name: "no interrupt in endpoint", cfg: noInterrupt, mode: ModeKeyboard, err: "hid-keyboard in config 2: no usable hid interface"},
		{name: "vendor interface is not hid", cfg: noInterrupt, mode: ModePOS, err: "hid-pos in config 2: no usable hid interface"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickInterface(tt.cfg, tt.mode)
			if tt.err != "" {
				if !errors.Is(err, ErrNoInterface) || err.Error() != tt.err {
					t.Errorf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("pickInterface = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestDeviceClosed checks Close's once-only release and use after Close on
// a Device whose parts were never opened.
func TestDeviceClosed(t *testing.T) {
	d := &Device{info: Info{VID: 0x05e0, PID: 0x1200, Bus: 1, Address: 4}}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	err := d.Run(context.Background(), nil)
	if want := "run usb 05e0:1200 at 001.004: usb device closed"; !errors.Is(err, ErrClosed) || err.Error() != want {
		t.Errorf("Run after Close = %v, want %s", err, want)
	}
}
