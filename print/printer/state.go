package printer

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// State is what a printer reported about itself in its last status reply.
type State struct {
	// Error is a fault the printer reports beyond the fields below
	// (ZPL ~HQES: cutter fault, printhead over temperature, ...).
	Error     string
	Online    bool // the printer answered a status query
	PaperOut  bool // media out (ZPL/TSPL) or paper end (ESC/POS); a TSPL paper jam also sets it
	HeadOpen  bool // print head up (ZPL), head open (TSPL), cover open (ESC/POS)
	RibbonOut bool
	Paused    bool
	Printing  bool   // labels or formats still queued in the printer
	Detail    string // anything else the reply said that a person may want to see
}

// Fault returns "" when the printer is ready for a job, otherwise the first of
// "offline", "paper out", "head open", "ribbon out", "paused".
func (s State) Fault() string {
	switch {
	case !s.Online:
		return "offline"
	case s.Error != "":
		return s.Error
	case s.PaperOut:
		return "paper out"
	case s.HeadOpen:
		return "head open"
	case s.RibbonOut:
		return "ribbon out"
	case s.Paused:
		return "paused"
	}
	return ""
}

// Dialect is a printer command language.
type Dialect string

// The printer languages whose status this package can read.
const (
	ZPL    Dialect = "zpl"
	TSPL   Dialect = "tspl"
	ESCPOS Dialect = "escpos"
	EPL2   Dialect = "epl2"
)

// StatusQuery returns the bytes that ask a printer of this dialect for its
// status. ESC/POS asks two questions (DLE EOT 2, DLE EOT 4) and gets two bytes.
func (d Dialect) StatusQuery() []byte {
	switch d {
	case ZPL:
		return []byte("~HS")
	case TSPL:
		return []byte{0x1b, '!', '?'}
	case ESCPOS:
		return []byte{0x10, 0x04, 0x02, 0x10, 0x04, 0x04}
	case EPL2:
		// The manual's ^ee must end with a line feed to be executed.
		return []byte("^ee\r\n")
	}
	return nil
}

// Valid reports whether d is a dialect this package knows.
func (d Dialect) Valid() bool { return d.StatusQuery() != nil }

// replyComplete reports whether buf holds a whole status reply for d.
func (d Dialect) replyComplete(buf []byte) bool {
	switch d {
	case ZPL:
		return bytes.Count(buf, []byte{0x03}) >= 3
	case TSPL:
		return len(buf) >= 1
	case ESCPOS:
		return len(buf) >= 2
	case EPL2:
		return bytes.IndexByte(buf, '\n') >= 0
	}
	return false
}

// ParseStatus decodes a status reply of dialect d. A reply that parses always
// yields Online: the printer answered.
func ParseStatus(d Dialect, reply []byte) (State, error) {
	switch d {
	case ZPL:
		return parseZPL(reply)
	case TSPL:
		return parseTSPL(reply)
	case ESCPOS:
		return parseESCPOS(reply)
	case EPL2:
		return parseEPL2(reply)
	}
	return State{}, fmt.Errorf("parse status: unknown dialect %q", d)
}

// parseZPL decodes the three ~HS strings (ZPL II Programming Guide, ~HS):
//
//	String 1: <STX>aaa,b,c,dddd,eee,f,g,h,iii,j,k,l<ETX><CR><LF>
//	  aaa communication settings, b paper out, c pause, dddd label length,
//	  eee formats in receive buffer, f buffer full, g comm diagnostic mode,
//	  h partial format, iii unused, j corrupt RAM, k under temp, l over temp
//	String 2: <STX>mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www<ETX><CR><LF>
//	  mmm function settings, n unused, o head up, p ribbon out,
//	  q thermal transfer mode, r print mode, s print width mode,
//	  t label waiting, uuuuuuuu labels remaining in batch,
//	  v format while printing, www graphics stored
//	String 3: <STX>xxxx,y<ETX><CR><LF>  password, static RAM installed
//
// Bytes outside STX…ETX (the CR LF, or leftovers of an earlier reply) are
// ignored.
func parseZPL(reply []byte) (State, error) {
	var frames [][]byte
	rest := reply
	for {
		i := bytes.IndexByte(rest, 0x02)
		if i < 0 {
			break
		}
		j := bytes.IndexByte(rest[i:], 0x03)
		if j < 0 {
			break
		}
		frames = append(frames, rest[i+1:i+j])
		rest = rest[i+j+1:]
	}
	if len(frames) < 2 {
		return State{}, fmt.Errorf("parse zpl ~HS: want 3 STX…ETX strings, got %d in %q", len(frames), reply)
	}
	f1 := strings.Split(string(frames[0]), ",")
	f2 := strings.Split(string(frames[1]), ",")
	// Fields 1-3 of string 1 and 1-4 of string 2 are what decides readiness;
	// the rest is optional so older firmware with shorter strings still parses.
	if len(f1) < 3 || len(f2) < 4 {
		return State{}, fmt.Errorf("parse zpl ~HS: short strings %q", reply)
	}
	field := func(fs []string, i int) string {
		if i < len(fs) {
			return strings.TrimSpace(fs[i])
		}
		return ""
	}
	flag := func(fs []string, i int) bool { return field(fs, i) == "1" }
	// A garbled reply must not read as ready: the flags that decide it are
	// 0 or 1, or the reply is refused.
	for _, v := range []string{field(f1, 1), field(f1, 2), field(f2, 2), field(f2, 3)} {
		if v != "0" && v != "1" {
			return State{}, fmt.Errorf("parse zpl ~HS: flag %q is not 0 or 1 in %q", v, reply)
		}
	}
	num := func(fs []string, i int) int { n, _ := strconv.Atoi(field(fs, i)); return n }
	st := State{
		Online:    true,
		PaperOut:  flag(f1, 1),
		Paused:    flag(f1, 2),
		HeadOpen:  flag(f2, 2),
		RibbonOut: flag(f2, 3),
		Printing:  num(f1, 4) > 0 || num(f2, 8) > 0,
	}
	var detail []string
	for _, d := range []struct {
		i    int
		text string
	}{{5, "receive buffer full"}, {7, "partial format in progress"}, {9, "corrupt RAM"}, {10, "head under temperature"}, {11, "head over temperature"}} {
		if flag(f1, d.i) {
			detail = append(detail, d.text)
		}
	}
	st.Detail = strings.Join(detail, "; ")
	return st, nil
}

// parseTSPL decodes the <ESC>!? status byte (TSPL/TSPL2 Programming Manual):
// bit0 head opened, bit1 paper jam, bit2 out of paper, bit3 out of ribbon,
// bit4 pause, bit5 printing, bit7 other error. State has no jam field; a jam
// stops the printer like an empty roll, so it sets PaperOut with Detail
// "paper jam".
func parseTSPL(reply []byte) (State, error) {
	if len(reply) < 1 {
		return State{}, errors.New("parse tspl status: empty reply")
	}
	b := reply[0]
	st := State{
		Online:    true,
		HeadOpen:  b&0x01 != 0,
		PaperOut:  b&0x06 != 0,
		RibbonOut: b&0x08 != 0,
		Paused:    b&0x10 != 0,
		Printing:  b&0x20 != 0,
	}
	var detail []string
	if b&0x02 != 0 {
		detail = append(detail, "paper jam")
	}
	if b&0x80 != 0 {
		detail = append(detail, "other error")
	}
	st.Detail = strings.Join(detail, "; ")
	return st, nil
}

// parseESCPOS decodes the replies to DLE EOT 2 and DLE EOT 4 (ESC/POS
// Application Programming Guide, DLE EOT). Every real-time status byte has
// bit1 and bit4 set and bit0 and bit7 clear, which is checked to catch a
// printer that is not speaking ESC/POS.
//
//	n=2: bit2 cover open, bit3 paper fed by button, bit5 printing stopped by paper end, bit6 error
//	n=4: bits2-3 (0x0C) paper near end, bits5-6 (0x60) paper end
func parseESCPOS(reply []byte) (State, error) {
	if len(reply) < 2 {
		return State{}, fmt.Errorf("parse escpos status: want 2 bytes, got %d", len(reply))
	}
	for _, b := range reply[:2] {
		if b&0x93 != 0x12 {
			return State{}, fmt.Errorf("parse escpos status: % x is not a real-time status byte", b)
		}
	}
	n2, n4 := reply[0], reply[1]
	st := State{
		Online:   true,
		HeadOpen: n2&0x04 != 0,
		PaperOut: n2&0x20 != 0 || n4&0x60 == 0x60,
	}
	var detail []string
	if n2&0x08 != 0 {
		detail = append(detail, "paper being fed by button")
	}
	if n2&0x40 != 0 {
		detail = append(detail, "error occurred")
	}
	if n4&0x0c == 0x0c && n4&0x60 != 0x60 {
		detail = append(detail, "paper near end")
	}
	st.Detail = strings.Join(detail, "; ")
	return st, nil
}

// EPL2 error/status codes of the ^ee reply (EPL2 Programmer's Manual,
// ^ee "Error Report" and its error/status code table, also used by eR mode
// 2). The codes that decide readiness set State's fields; the others are
// reported in Detail: they describe the last command or form (a syntax
// error, an object outside the label), not a printer that cannot print.
const (
	epl2PaperOrRibbonEmpty = 7
	epl2HeadOpen           = 11
	epl2Paused             = 12
	epl2Busy               = 50
)

var epl2Codes = map[int]string{
	1: "syntax error", 2: "object exceeded label border", 3: "bar code data length error",
	4: "insufficient memory to store data", 5: "memory configuration error", 6: "RS-232 interface error",
	epl2PaperOrRibbonEmpty: "paper or ribbon empty", 8: "duplicate name", 9: "name not found",
	10: "not in data entry mode", epl2HeadOpen: "print head up (open)", epl2Paused: "pause mode",
	epl2Busy: "busy processing a print job",
}

// parseEPL2 decodes the reply to ^ee (EPL2 Programmer's Manual, ^ee): one
// line of two-digit codes, "00" when there is nothing to report, else
// "XX" or "XX,YY,…", ended by CR LF. The line is the last complete one in
// reply, so a stale line before it does not count. EPL2 has one code for
// "paper or ribbon empty": it sets PaperOut, with Detail saying so.
func parseEPL2(reply []byte) (State, error) {
	text := strings.TrimRight(string(reply), "\r\n")
	if i := strings.LastIndexAny(text, "\r\n"); i >= 0 {
		text = text[i+1:]
	}
	if text == "" {
		return State{}, fmt.Errorf("parse epl2 ^ee: empty reply %q", reply)
	}
	st := State{Online: true}
	var detail []string
	for _, f := range strings.Split(text, ",") {
		if len(f) != 2 || f[0] < '0' || f[0] > '9' || f[1] < '0' || f[1] > '9' {
			return State{}, fmt.Errorf("parse epl2 ^ee: %q is not a two-digit code in %q", f, reply)
		}
		code := int(f[0]-'0')*10 + int(f[1]-'0')
		switch code {
		case 0:
			continue
		case epl2PaperOrRibbonEmpty:
			st.PaperOut = true
		case epl2HeadOpen:
			st.HeadOpen = true
			continue
		case epl2Paused:
			st.Paused = true
			continue
		case epl2Busy:
			st.Printing = true
			continue
		}
		if text, ok := epl2Codes[code]; ok {
			detail = append(detail, text)
		} else {
			detail = append(detail, "error "+f)
		}
	}
	st.Detail = strings.Join(detail, "; ")
	return st, nil
}

// ZPL extended status (~HQES, ZPL II Programming Guide): the error flags of
// the second group.
var hqesErrors = []struct {
	bit  uint32
	text string
}{
	{0x1, "media out"}, {0x2, "ribbon out"}, {0x4, "head open"}, {0x8, "cutter fault"},
	{0x10, "printhead over temperature"}, {0x20, "motor over temperature"},
	{0x40, "bad printhead element"}, {0x80, "printhead detection error"},
}

// hqesQuery asks a ZPL printer for its extended status.
var hqesQuery = []byte("~HQES")

// parseHQES reads the ERRORS line of a ~HQES reply into st: media out,
// ribbon out and head open set their fields; any other error is the
// printer's Error. ok is false when the reply has no ERRORS line.
func parseHQES(reply []byte, st *State) (ok bool) {
	i := bytes.Index(reply, []byte("ERRORS:"))
	if i < 0 {
		return false
	}
	line := reply[i+len("ERRORS:"):]
	if j := bytes.IndexAny(line, "\r\n"); j >= 0 {
		line = line[:j]
	}
	f := strings.Fields(string(line))
	if len(f) != 3 {
		return false
	}
	flags, err := strconv.ParseUint(f[2], 16, 32)
	if err != nil {
		return false
	}
	for _, e := range hqesErrors {
		if uint32(flags)&e.bit == 0 {
			continue
		}
		switch e.bit {
		case 0x1:
			st.PaperOut = true
		case 0x2:
			st.RibbonOut = true
		case 0x4:
			st.HeadOpen = true
		default:
			if st.Error == "" {
				st.Error = e.text
			}
		}
	}
	return true
}
