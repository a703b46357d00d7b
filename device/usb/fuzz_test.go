package usb_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/floorgate/floorgate/device/usb"
)

// FuzzPOSAssembler cuts the input into reports of size bytes and checks
// that the assembler never panics, that a Scan only comes with a
// well-formed last report and never with an error, and that it holds no
// more than the length bytes since the last decode allowed.
func FuzzPOSAssembler(f *testing.F) {
	for _, name := range []string{"pos-gs1-128.txt", "pos-gs1-datamatrix.txt", "pos-ean13.txt", "pos-corrupt.txt"} {
		var b []byte
		rs := readDump(f, name)
		for _, r := range rs {
			b = append(b, r.data...)
		}
		f.Add(b, byte(len(rs[0].data)))
	}
	f.Add([]byte{0x02, 0x00, 0x00, 0x00, 0x00, 0x00}, byte(6))
	f.Add([]byte{0x02, 0xff, 0x5d, 0x43, 0x31, 0x31, 0x00}, byte(7))

	f.Fuzz(func(t *testing.T, in []byte, size byte) {
		if size == 0 {
			size = 64
		}
		var a usb.POSAssembler
		allowed := 0 // data bytes the length bytes allowed since the last decode
		for len(in) > 0 {
			n := min(int(size), len(in))
			r := in[:n]
			in = in[n:]
			if len(r) >= 6 && r[0] == usb.POSReportID {
				allowed += int(r[1])
			}
			s, done, err := a.Feed(r)
			if err != nil && !errors.Is(err, usb.ErrReportID) && !errors.Is(err, usb.ErrReportLength) && !errors.Is(err, usb.ErrDecodeTooLong) {
				t.Fatalf("unexpected error %v", err)
			}
			if !done {
				if err != nil && !errors.Is(err, usb.ErrReportID) {
					allowed = 0
				}
				continue
			}
			if err != nil {
				t.Fatalf("scan %q with error %v", s.Data, err)
			}
			if len(r) < 6 || r[0] != usb.POSReportID || int(r[1]) > len(r)-6 || r[len(r)-1]&1 != 0 {
				t.Fatalf("scan %q from malformed last report % x", s.Data, r)
			}
			if s.Data == "" || len(s.Data) > allowed || len(s.Data) > usb.MaxDecode {
				t.Fatalf("scan %+q: %d data bytes allowed", s, allowed)
			}
			allowed = 0
		}
	})
}

// FuzzKeyboardDecoder cuts the input into reports (8 bytes, or the odd
// size the first byte asks for) spaced by the second byte in
// milliseconds, and checks that the decoder never panics, that each Scan
// follows an Enter press, and that it holds only characters a key types.
func FuzzKeyboardDecoder(f *testing.F) {
	for _, name := range []string{"kbd-gs1.txt", "kbd-rollover.txt", "kbd-gap.txt"} {
		b := []byte{8, 8}
		for _, r := range readDump(f, name) {
			b = append(b, r.data...)
		}
		f.Add(b)
	}
	f.Add([]byte{8, 250, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x28, 0, 0, 0, 0, 0})
	f.Add([]byte{7, 1, 0x01, 0, 0x30, 0x28, 0x58, 0x04, 0x05, 0x06})

	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 {
			return
		}
		size, step := int(in[0]%16)+1, time.Duration(in[1])*time.Millisecond
		if size > 8 {
			size = 8
		}
		in = in[2:]
		var d usb.KeyboardDecoder
		at := time.Unix(0, 0)
		enters, scans := 0, 0
		var prev []byte
		for len(in) > 0 {
			n := min(size, len(in))
			r := in[:n]
			in = in[n:]
			at = at.Add(step)
			if len(r) == 8 {
				for _, k := range r[2:] {
					if (k == 0x28 || k == 0x58) && !bytes.Contains(prev, []byte{k}) {
						enters++
					}
				}
				prev = r[2:]
			}
			s, done, err := d.FeedAt(r, at)
			if err != nil && !errors.Is(err, usb.ErrReportLength) && !errors.Is(err, usb.ErrUnknownKey) &&
				!errors.Is(err, usb.ErrPartialDropped) && !errors.Is(err, usb.ErrDecodeTooLong) {
				t.Fatalf("unexpected error %v", err)
			}
			if !done {
				continue
			}
			scans++
			if scans > enters {
				t.Fatalf("scan %+q without an Enter", s)
			}
			if s.Data == "" || len(s.AIM)+len(s.Data) > usb.MaxDecode {
				t.Fatalf("scan %+q", s)
			}
			for _, c := range []byte(s.AIM + s.Data) {
				if (c < 0x20 || c > 0x7e) && c != '\t' && c != 0x1d {
					t.Fatalf("scan %+q has byte %#02x no key types", s, c)
				}
			}
		}
	})
}
