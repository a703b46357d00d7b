package printer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
)

// stateOf is the State whose flags are the low six bits of b, with a
// printer error when b's top bit is set.
func stateOf(b byte) printer.State {
	st := printer.State{Online: true, PaperOut: b&1 != 0, HeadOpen: b&2 != 0, RibbonOut: b&4 != 0,
		Paused: b&8 != 0, Printing: b&16 != 0}
	if b&0x80 != 0 {
		st.Error = "cutter fault"
	}
	return st
}

// FuzzStatusRoundTrip asserts that the status reply a printer of each
// dialect sends for a state (printertest.EncodeStatus, EncodeHQES) parses
// back to that state, as far as the dialect can say it: every flag for
// ZPL ~HS and TSPL, cover and paper for ESC/POS DLE EOT 2 and 4, every
// flag for EPL2 ^ee (paper and ribbon out share code 07), the error flags
// of ZPL ~HQES.
func FuzzStatusRoundTrip(f *testing.F) {
	for _, b := range []byte{0, 1, 2, 4, 8, 16, 0x1f, 0x80, 0x85} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b byte) {
		st := stateOf(b)
		noErr := st
		noErr.Error = ""
		for _, d := range []printer.Dialect{printer.ZPL, printer.TSPL} {
			reply := printertest.EncodeStatus(d, st, 0)
			got, err := printer.ParseStatus(d, reply)
			if err != nil || got != noErr {
				t.Errorf("%s: %+v → %q → %+v, %v", d, noErr, reply, got, err)
			}
		}
		reply := append(printertest.EncodeStatus(printer.ESCPOS, st, 2), printertest.EncodeStatus(printer.ESCPOS, st, 4)...)
		got, err := printer.ParseStatus(printer.ESCPOS, reply)
		want := printer.State{Online: true, PaperOut: st.PaperOut, HeadOpen: st.HeadOpen}
		if st.PaperOut {
			want.Detail = "" // paper end, not "near end"
		}
		if err != nil || got != want {
			t.Errorf("escpos: %+v → % x → %+v, %v", st, reply, got, err)
		}
		reply = printertest.EncodeStatus(printer.EPL2, st, 0)
		got, err = printer.ParseStatus(printer.EPL2, reply)
		want = printer.State{Online: true, PaperOut: st.PaperOut || st.RibbonOut, HeadOpen: st.HeadOpen,
			Paused: st.Paused, Printing: st.Printing}
		if want.PaperOut {
			want.Detail = "paper or ribbon empty" // one code for both
		}
		if err != nil || got != want {
			t.Errorf("epl2: %+v → %q → %+v, %v", st, reply, got, err)
		}
		hq := printertest.EncodeHQES(st)
		got, ok := printer.ParseHQES(hq)
		want = printer.State{PaperOut: st.PaperOut, RibbonOut: st.RibbonOut, HeadOpen: st.HeadOpen, Error: st.Error}
		if !ok || got != want {
			t.Errorf("~HQES: %+v → %q → %+v, %v", st, hq, got, ok)
		}
	})
}

// FuzzParseStatus feeds arbitrary replies to every dialect's parser and
// asserts that none panics; that a parsed reply is Online and carries only
// what its bytes say (a TSPL state is a function of the first byte, an
// ESC/POS one needs two real-time status bytes, a ZPL one two STX…ETX
// strings whose decisive flags are all 0 or 1, an EPL2 one a last line of
// two-digit codes); so garbage is an error,
// never a made-up "ready". ~HQES finds errors only on an ERRORS: line.
func FuzzParseStatus(f *testing.F) {
	for _, d := range []printer.Dialect{printer.ZPL, printer.TSPL, printer.EPL2} {
		for _, b := range []byte{0, 0x1f} {
			f.Add(printertest.EncodeStatus(d, stateOf(b), 0))
		}
	}
	f.Add([]byte{0x12, 0x12})
	f.Add([]byte{0x32, 0x72})
	f.Add(printertest.EncodeHQES(stateOf(0x87)))
	f.Add([]byte("\x02030,X,0\x03\x02001,0,0,0\x03"))
	f.Add([]byte("hello"))
	f.Add([]byte("11,7x\r\n"))

	f.Fuzz(func(t *testing.T, reply []byte) {
		for _, d := range []printer.Dialect{printer.ZPL, printer.TSPL, printer.ESCPOS, printer.EPL2} {
			st, err := printer.ParseStatus(d, reply)
			if err != nil {
				if st != (printer.State{}) {
					t.Fatalf("%s %q: error %v with state %+v", d, reply, err, st)
				}
				continue
			}
			if !st.Online || st.Error != "" {
				t.Fatalf("%s %q: parsed as %+v", d, reply, st)
			}
			switch d {
			case printer.TSPL:
				if len(reply) > 1 {
					if again, _ := printer.ParseStatus(d, reply[:1]); again != st {
						t.Fatalf("tspl %q: %+v, but its first byte says %+v", reply, st, again)
					}
				}
			case printer.ESCPOS:
				if len(reply) < 2 || reply[0]&0x93 != 0x12 || reply[1]&0x93 != 0x12 {
					t.Fatalf("escpos % x: not real-time status bytes, parsed as %+v", reply, st)
				}
			case printer.EPL2:
				if !epl2WellFormed(reply) {
					t.Fatalf("epl2 %q: not a line of two-digit codes, parsed as %+v", reply, st)
				}
			case printer.ZPL:
				if !zplFlagsWellFormed(reply) {
					t.Fatalf("zpl %q: flags not 0 or 1, parsed as %+v", reply, st)
				}
			}
		}
		if st, ok := printer.ParseHQES(reply); ok && !bytes.Contains(reply, []byte("ERRORS:")) {
			t.Fatalf("~HQES %q without an ERRORS: line parsed as %+v", reply, st)
		}
	})
}

// zplFlagsWellFormed reports whether reply has two STX…ETX strings whose
// paper out, pause, head up and ribbon out flags are 0 or 1.
func zplFlagsWellFormed(reply []byte) bool {
	var frames []string
	for rest := reply; ; {
		i := bytes.IndexByte(rest, 0x02)
		if i < 0 {
			break
		}
		j := bytes.IndexByte(rest[i:], 0x03)
		if j < 0 {
			break
		}
		frames = append(frames, string(rest[i+1:i+j]))
		rest = rest[i+j+1:]
	}
	if len(frames) < 2 {
		return false
	}
	f1, f2 := strings.Split(frames[0], ","), strings.Split(frames[1], ",")
	if len(f1) < 3 || len(f2) < 4 {
		return false
	}
	for _, v := range []string{f1[1], f1[2], f2[2], f2[3]} {
		if v := strings.TrimSpace(v); v != "0" && v != "1" {
			return false
		}
	}
	return true
}

// epl2WellFormed reports whether the last line of reply is two-digit codes
// separated by commas.
func epl2WellFormed(reply []byte) bool {
	lines := strings.FieldsFunc(string(reply), func(r rune) bool { return r == '\r' || r == '\n' })
	if len(lines) == 0 || !bytes.HasSuffix(bytes.TrimRight(reply, "\r\n"), []byte(lines[len(lines)-1])) {
		return false
	}
	for _, c := range strings.Split(lines[len(lines)-1], ",") {
		if len(c) != 2 || c[0] < '0' || c[0] > '9' || c[1] < '0' || c[1] > '9' {
			return false
		}
	}
	return true
}
