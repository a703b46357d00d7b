package wsclient

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/floorgate/floorgate"
)

// A verdict arrives for every scan, and a benchmark runs hundreds of clients
// in one process, so server frames are decoded by hand rather than by
// reflection. The fast decoder takes only the exact form the server writes
// (known keys, no nulls, integers, strings without escapes); anything else
// makes it give up, and the frame is decoded by encoding/json instead, so
// the result is always what encoding/json would give.

var errSlowPath = errors.New("frame needs the general decoder")

// decodeFrame decodes a server frame into f.
func decodeFrame(b []byte, f *frame) error {
	if fastFrame(b, f) == nil {
		return nil
	}
	*f = frame{}
	return json.Unmarshal(b, f)
}

// lexer reads the JSON the server writes.
type lexer struct {
	b   []byte
	i   int
	err error
}

func (l *lexer) fail() {
	if l.err == nil {
		l.err = errSlowPath
	}
}

func (l *lexer) space() {
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without taking it.
func (l *lexer) peek() byte {
	l.space()
	if l.i >= len(l.b) {
		l.fail()
		return 0
	}
	return l.b[l.i]
}

func (l *lexer) take(c byte) bool {
	if l.peek() == c && l.err == nil {
		l.i++
		return true
	}
	return false
}

func (l *lexer) want(c byte) {
	if !l.take(c) {
		l.fail()
	}
}

// str reads a string without escapes; an escape or invalid UTF-8 (which
// encoding/json replaces) sends the frame to the general decoder.
func (l *lexer) str() string {
	l.want('"')
	start := l.i
	ascii := true
	for l.i < len(l.b) {
		c := l.b[l.i]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(l.b[start:l.i]) {
				l.fail()
				return ""
			}
			s := string(l.b[start:l.i])
			l.i++
			return s
		case c >= 0x80:
			ascii = false
		case c == '\\' || c < 0x20:
			l.fail()
			return ""
		}
		l.i++
	}
	l.fail()
	return ""
}

// key reads an object key and the colon after it, without allocating.
func (l *lexer) key() []byte {
	l.want('"')
	start := l.i
	for l.i < len(l.b) && l.b[l.i] != '"' {
		if l.b[l.i] == '\\' {
			l.fail()
			return nil
		}
		l.i++
	}
	k := l.b[start:l.i]
	l.want('"')
	l.want(':')
	return k
}

// integer reads a JSON integer: -?(0|[1-9][0-9]*), no fraction or exponent.
func (l *lexer) integer() int {
	l.space()
	start := l.i
	if l.i < len(l.b) && l.b[l.i] == '-' {
		l.i++
	}
	digits := l.i
	for l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '9' {
		l.i++
	}
	n, err := strconv.Atoi(string(l.b[start:l.i]))
	switch {
	case err != nil, l.i == digits, l.b[digits] == '0' && l.i-digits > 1,
		l.i < len(l.b) && (l.b[l.i] == '.' || l.b[l.i] == 'e' || l.b[l.i] == 'E'):
		l.fail()
	}
	return n
}

func (l *lexer) boolean() bool {
	l.space()
	switch {
	case len(l.b)-l.i >= 4 && string(l.b[l.i:l.i+4]) == "true":
		l.i += 4
		return true
	case len(l.b)-l.i >= 5 && string(l.b[l.i:l.i+5]) == "false":
		l.i += 5
		return false
	}
	l.fail()
	return false
}

// object calls field for every key of an object; field reads the value.
func (l *lexer) object(field func(key []byte)) {
	l.want('{')
	if l.take('}') {
		return
	}
	for l.err == nil {
		field(l.key())
		if l.take(',') {
			continue
		}
		l.want('}')
		return
	}
}

// array calls elem for every element of an array.
func (l *lexer) array(elem func()) {
	l.want('[')
	if l.take(']') {
		return
	}
	for l.err == nil {
		elem()
		if l.take(',') {
			continue
		}
		l.want(']')
		return
	}
}

func fastFrame(b []byte, f *frame) error {
	l := &lexer{b: b}
	*f = frame{}
	l.object(func(k []byte) {
		switch string(k) {
		case "type":
			f.Type = l.str()
		case "protocol":
			f.Protocol = l.integer()
		case "site":
			f.Site = l.str()
		case "gateway":
			f.Gateway = l.str()
		case "operator":
			f.Operator = l.str()
		case "id":
			f.ID = l.str()
		case "kind":
			f.Kind = l.str()
		case "task":
			f.Task = l.str()
		case "verdict":
			v := new(floorgate.Verdict)
			l.object(func(k []byte) { verdictField(l, k, v) })
			f.Push = v
		default:
			verdictField(l, k, &f.Verdict)
		}
	})
	l.space()
	if l.i != len(l.b) {
		l.fail()
	}
	return l.err
}

func verdictField(l *lexer, k []byte, v *floorgate.Verdict) {
	switch string(k) {
	case "scan_id":
		v.ScanID = l.str()
	case "ok":
		v.OK = l.boolean()
	case "code":
		v.Code = floorgate.Code(l.str())
	case "warning":
		v.Warning = floorgate.Code(l.str())
	case "message":
		l.object(func(k []byte) {
			switch string(k) {
			case "en":
				v.Message.EN = l.str()
			case "zh":
				v.Message.ZH = l.str()
			default:
				l.fail()
			}
		})
	case "feedback":
		feedback(l, &v.Feedback)
	case "prompt":
		prompt(l, &v.Prompt)
	default:
		l.fail()
	}
}

func feedback(l *lexer, fb *floorgate.Feedback) {
	l.object(func(k []byte) {
		switch string(k) {
		case "kind":
			fb.Kind = floorgate.FeedbackKind(l.str())
		case "led":
			fb.LED = l.str()
		case "tone":
			fb.Tone = []floorgate.Tone{}
			l.array(func() {
				var t floorgate.Tone
				l.object(func(k []byte) {
					switch string(k) {
					case "hz":
						t.Hz = l.integer()
					case "ms":
						t.MS = l.integer()
					default:
						l.fail()
					}
				})
				fb.Tone = append(fb.Tone, t)
			})
		case "vibrate_ms":
			fb.Vibrate = []int{}
			l.array(func() { fb.Vibrate = append(fb.Vibrate, l.integer()) })
		default:
			l.fail()
		}
	})
}

func prompt(l *lexer, p *floorgate.Prompt) {
	l.object(func(k []byte) {
		switch string(k) {
		case "step":
			p.Step = l.str()
		case "task":
			p.Task = l.str()
		case "order":
			p.Order = l.str()
		case "line":
			p.Line = l.integer()
		case "lines":
			p.Lines = l.integer()
		case "location":
			p.Location = l.str()
		case "sku":
			p.SKU = l.str()
		case "item_name":
			p.ItemName = l.str()
		case "qty":
			p.Qty = l.integer()
		case "picked":
			p.Picked = l.integer()
		case "keyed_qty":
			p.KeyedQty = l.boolean()
		default:
			l.fail()
		}
	})
}
