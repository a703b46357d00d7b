package fakeprinter

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/floorgate/floorgate/print/printer"
)

// event is one thing the printer-side parser found in the incoming stream.
type event struct {
	kind eventKind
	data []byte // evData: job bytes
	n    int    // evLabels: how many; evStatus: ESC/POS DLE EOT n
	err  error  // evError
}

type eventKind int

const (
	evData eventKind = iota
	evStatus
	evLabels
	evError
)

// stream parses what a printer of one dialect receives, incrementally: bytes
// may arrive split anywhere, and an incomplete command waits for more.
//
// It understands enough of each language to count labels and find status
// queries without being fooled by binary payloads it knows the length of:
//   - ZPL: ^XA … ^XZ formats, ^PQn quantity, ~HS. (^GFB binary graphics and
//     ^CC/~CC prefix changes are not understood.)
//   - TSPL: CRLF-terminated commands, PRINT m[,n] = m×n labels, BITMAP
//     binary data skipped, <ESC>!? and other <ESC>!x immediate commands.
//   - ESC/POS: DLE EOT n, GS V cuts (one label each), GS v 0 raster and
//     ESC * bit-image data skipped.
//   - EPL2: LF-terminated commands, Pp1[,p2] = p1×p2 labels, ^ee status
//     report, GW binary graphic data skipped.
type stream struct {
	d        printer.Dialect
	buf      []byte
	inFormat bool // ZPL: between ^XA and ^XZ
	qty      int  // ZPL: ^PQ of the current format
}

func (s *stream) feed(b []byte) []event {
	s.buf = append(s.buf, b...)
	var evs []event
	var used int
	switch s.d {
	case printer.ZPL:
		evs, used = s.zpl()
	case printer.TSPL:
		evs, used = s.tspl()
	case printer.ESCPOS:
		evs, used = s.escpos()
	case printer.EPL2:
		evs, used = s.epl2()
	}
	s.buf = append(s.buf[:0], s.buf[used:]...)
	return evs
}

// end reports framing errors left when the connection closes.
func (s *stream) end() []event {
	var evs []event
	if s.d == printer.ZPL && s.inFormat {
		evs = append(evs, event{kind: evError, err: errors.New("zpl: ^XA without ^XZ at end of job")})
	}
	if len(bytes.TrimSpace(s.buf)) > 0 {
		evs = append(evs, event{kind: evData, data: append([]byte(nil), s.buf...)},
			event{kind: evError, err: fmt.Errorf("%s: truncated command at end of job: %q", s.d, trunc(s.buf))})
	}
	s.buf = nil
	s.inFormat = false
	return evs
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

func dataEv(b []byte) []event {
	if len(b) == 0 {
		return nil
	}
	return []event{{kind: evData, data: append([]byte(nil), b...)}}
}

func (s *stream) zpl() ([]event, int) {
	b := s.buf
	var evs []event
	start, i := 0, 0
scan:
	for i < len(b) {
		c := b[i]
		if c != '^' && c != '~' {
			i++
			continue
		}
		if len(b)-i < 3 {
			break
		}
		cmd := strings.ToUpper(string(b[i+1 : i+3]))
		switch {
		case c == '~' && cmd == "HQ":
			// ~HQES: the extended status, answered from the state of the
			// last ~HS.
			if len(b)-i < 5 {
				break scan
			}
			if strings.ToUpper(string(b[i+3:i+5])) != "ES" {
				i++
				continue
			}
			evs = append(evs, dataEv(b[start:i])...)
			evs = append(evs, event{kind: evStatus, n: HQES})
			i += 5
			start = i
			continue
		case c == '~' && cmd == "HS":
			evs = append(evs, dataEv(b[start:i])...)
			evs = append(evs, event{kind: evStatus})
			i += 3
			start = i
			continue
		case c == '^' && cmd == "XA":
			if s.inFormat {
				evs = append(evs, event{kind: evError, err: errors.New("zpl: ^XA without ^XZ")})
			}
			s.inFormat, s.qty = true, 1
		case c == '^' && cmd == "XZ":
			if !s.inFormat {
				evs = append(evs, event{kind: evError, err: errors.New("zpl: ^XZ without ^XA")})
			} else {
				evs = append(evs, event{kind: evLabels, n: s.qty})
			}
			s.inFormat = false
		case c == '^' && cmd == "PQ":
			j := i + 3
			for j < len(b) && b[j] >= '0' && b[j] <= '9' {
				j++
			}
			if j == len(b) {
				break scan // the number may continue in the next read
			}
			if n, err := strconv.Atoi(string(b[i+3 : j])); err == nil && n > 0 {
				s.qty = n
			}
		}
		i++
	}
	evs = append(evs, dataEv(b[start:i])...)
	return evs, i
}

func (s *stream) tspl() ([]event, int) {
	b := s.buf
	var evs []event
	i := 0
	for i < len(b) {
		if b[i] == 0x1b { // immediate command <ESC>!x
			if len(b)-i < 3 {
				break
			}
			if b[i+1] == '!' && b[i+2] == '?' {
				evs = append(evs, event{kind: evStatus})
			} else {
				evs = append(evs, dataEv(b[i:i+3])...)
			}
			i += 3
			continue
		}
		line := b[i:]
		if cmd := bytes.TrimLeft(line, " \r\n"); bytes.HasPrefix(bytes.ToUpper(cmd), []byte("BITMAP")) {
			n, ok, err := bitmapLen(line)
			if err != nil {
				evs = append(evs, event{kind: evError, err: err})
			}
			if !ok {
				break
			}
			line = line[n:] // binary data skipped; the CRLF after it ends the command
			nl := bytes.IndexByte(line, '\n')
			if nl < 0 {
				break
			}
			evs = append(evs, dataEv(b[i:i+n+nl+1])...)
			i += n + nl + 1
			continue
		}
		nl := bytes.IndexByte(line, '\n')
		if nl < 0 {
			break
		}
		text := strings.TrimSpace(string(line[:nl]))
		evs = append(evs, dataEv(line[:nl+1])...)
		i += nl + 1
		if f := strings.Fields(text); len(f) > 0 && strings.EqualFold(f[0], "PRINT") {
			n, err := printCount(strings.Join(f[1:], ""))
			if err != nil {
				evs = append(evs, event{kind: evError, err: err})
				continue
			}
			evs = append(evs, event{kind: evLabels, n: n})
		}
	}
	return evs, i
}

// bitmapLen returns how many bytes "BITMAP x,y,width,height,mode," and its
// width×height data take; ok is false until all of them have arrived.
func bitmapLen(b []byte) (n int, ok bool, err error) { return graphicLen(b, 5, "tspl: BITMAP") }

// graphicLen returns how many bytes a graphic command takes: its header of
// commas fields, the third and fourth the data's bytes per row and rows,
// and that many bytes of data; ok is false until all of them have arrived.
// what names the command in errors.
func graphicLen(b []byte, commas int, what string) (n int, ok bool, err error) {
	seen, hdr := 0, -1
	for j, c := range b {
		if c == ',' {
			seen++
			if seen == commas {
				hdr = j + 1
				break
			}
		}
		if c == '\n' {
			return 0, false, fmt.Errorf("%s header cut short", what)
		}
	}
	if hdr < 0 {
		return 0, false, nil
	}
	f := strings.Split(string(b[:hdr-1]), ",")
	w, err1 := strconv.Atoi(strings.TrimSpace(f[2]))
	h, err2 := strconv.Atoi(strings.TrimSpace(f[3]))
	if err1 != nil || err2 != nil || w < 0 || h < 0 {
		return 0, false, fmt.Errorf("%s: bad header %q", what, b[:hdr])
	}
	if len(b) < hdr+w*h {
		return 0, false, nil
	}
	return hdr + w*h, true, nil
}

// printCount is the number of labels "PRINT m[,n]" prints: m sets of n copies.
func printCount(args string) (int, error) {
	parts := strings.Split(args, ",")
	m, err := strconv.Atoi(parts[0])
	if err != nil || m < 0 {
		return 0, fmt.Errorf("tspl: bad PRINT %q", args)
	}
	n := 1
	if len(parts) > 1 {
		if n, err = strconv.Atoi(parts[1]); err != nil || n < 1 {
			return 0, fmt.Errorf("tspl: bad PRINT %q", args)
		}
	}
	return m * n, nil
}

func (s *stream) escpos() ([]event, int) {
	b := s.buf
	var evs []event
	start, i := 0, 0
	for i < len(b) {
		rest := b[i:]
		need := 0 // bytes the command at i takes; 0 = not a command we track
		switch {
		case rest[0] == 0x10: // DLE EOT n
			if len(rest) < 3 {
				goto wait
			}
			if rest[1] == 0x04 {
				evs = append(evs, dataEv(b[start:i])...)
				evs = append(evs, event{kind: evStatus, n: int(rest[2])})
				i += 3
				start = i
				continue
			}
		case rest[0] == 0x1d: // GS V cut, GS v 0 raster
			if len(rest) < 3 {
				goto wait
			}
			switch rest[1] {
			case 'V':
				switch rest[2] {
				case 0, 1, 48, 49:
					need = 3
				case 65, 66, 97, 98, 103, 104:
					need = 4
				default:
					evs = append(evs, event{kind: evError, err: fmt.Errorf("escpos: bad GS V mode %d", rest[2])})
					need = 3
				}
				if len(rest) < need {
					goto wait
				}
				evs = append(evs, event{kind: evLabels, n: 1})
			case 'v':
				if len(rest) < 8 {
					goto wait
				}
				x := int(rest[4]) | int(rest[5])<<8
				y := int(rest[6]) | int(rest[7])<<8
				need = 8 + x*y
			}
		case rest[0] == 0x1b: // ESC * m nL nH bit image
			if len(rest) < 2 {
				goto wait
			}
			if rest[1] == '*' {
				if len(rest) < 5 {
					goto wait
				}
				k := int(rest[3]) | int(rest[4])<<8
				if rest[2] == 32 || rest[2] == 33 {
					k *= 3
				}
				need = 5 + k
			}
		}
		if need == 0 {
			i++
			continue
		}
		if len(rest) < need {
			goto wait
		}
		i += need
	}
wait:
	evs = append(evs, dataEv(b[start:i])...)
	return evs, i
}

// epl2 parses EPL2 (EPL2 Programmer's Manual): one command a line, ended by
// LF (a CR before it is ignored). "P" followed by a number prints: Pp1,p2
// is p1 label sets of p2 copies. "GWp1,p2,p3,p4,DATA" carries p3×p4 bytes
// of binary graphic data, skipped so that they are not read as commands.
func (s *stream) epl2() ([]event, int) {
	b := s.buf
	var evs []event
	i := 0
	for i < len(b) {
		line := b[i:]
		if cmd := bytes.TrimLeft(line, " \r\n"); bytes.HasPrefix(cmd, []byte("GW")) {
			// A bad header is reported and read as an ordinary line.
			n, ok, err := gwLen(line)
			switch {
			case err != nil:
				evs = append(evs, event{kind: evError, err: err})
			case !ok:
				return evs, i
			default:
				nl := bytes.IndexByte(line[n:], '\n')
				if nl < 0 {
					return evs, i
				}
				evs = append(evs, dataEv(b[i:i+n+nl+1])...)
				i += n + nl + 1
				continue
			}
		}
		nl := bytes.IndexByte(line, '\n')
		if nl < 0 {
			break
		}
		text := strings.TrimSpace(string(line[:nl]))
		i += nl + 1
		if text == "^ee" {
			evs = append(evs, event{kind: evStatus})
			continue
		}
		evs = append(evs, dataEv(line[:nl+1])...)
		if len(text) > 1 && text[0] == 'P' && text[1] >= '0' && text[1] <= '9' {
			n, err := printCount(text[1:])
			if err != nil {
				evs = append(evs, event{kind: evError, err: fmt.Errorf("epl2: bad P command %q", text)})
				continue
			}
			evs = append(evs, event{kind: evLabels, n: n})
		}
	}
	return evs, i
}

// gwLen returns how many bytes "GWp1,p2,p3,p4," and its p3×p4 bytes of
// data take; ok is false until all of them have arrived.
func gwLen(b []byte) (n int, ok bool, err error) { return graphicLen(b, 4, "epl2: GW") }
