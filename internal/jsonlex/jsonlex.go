// Package jsonlex is a small JSON reader (and string and number writer)
// for what every scan reads and writes: the PDA protocol's hot messages,
// and the events and envelopes the store journals. It takes only plain forms — known keys, no nulls, integers
// without fraction or exponent, strings without escapes, valid UTF-8 — and
// gives up on anything else, so its callers can fall back to encoding/json
// and always get what encoding/json would give. It must not grow into a
// general JSON decoder.
package jsonlex

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
)

// ErrSlowPath means the input needs the general decoder.
var ErrSlowPath = errors.New("jsonlex: needs the general decoder")

// Lexer reads one JSON value from B. The first thing it does not take sets
// Err, which then stays: Take matches nothing, Object and Array call back
// no more, and End reports it. The scalar readers (Str, Key, Int, Float,
// Bool) may still read after it; a caller throws away what it read once
// End reports an error and decodes with encoding/json instead.
type Lexer struct {
	B   []byte
	i   int
	Err error
}

// New returns a lexer over b.
func New(b []byte) *Lexer { return &Lexer{B: b} }

// End reports whether only space is left, and fails otherwise.
func (l *Lexer) End() error {
	l.space()
	if l.i != len(l.B) {
		l.Fail()
	}
	return l.Err
}

func (l *Lexer) Fail() {
	if l.Err == nil {
		l.Err = ErrSlowPath
	}
}

func (l *Lexer) space() {
	for l.i < len(l.B) {
		switch l.B[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without taking it.
func (l *Lexer) peek() byte {
	l.space()
	if l.i >= len(l.B) {
		l.Fail()
		return 0
	}
	return l.B[l.i]
}

func (l *Lexer) Take(c byte) bool {
	if l.peek() == c && l.Err == nil {
		l.i++
		return true
	}
	return false
}

func (l *Lexer) Want(c byte) {
	if !l.Take(c) {
		l.Fail()
	}
}

// str reads a string without escapes; an escape or invalid UTF-8 (which
// encoding/json replaces) sends the frame to the general decoder.
func (l *Lexer) Str() string {
	l.Want('"')
	start := l.i
	ascii := true
	for l.i < len(l.B) {
		c := l.B[l.i]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(l.B[start:l.i]) {
				l.Fail()
				return ""
			}
			s := string(l.B[start:l.i])
			l.i++
			return s
		case c >= 0x80:
			ascii = false
		case c == '\\' || c < 0x20:
			l.Fail()
			return ""
		}
		l.i++
	}
	l.Fail()
	return ""
}

// key reads an object key and the colon after it, without allocating.
func (l *Lexer) Key() []byte {
	l.Want('"')
	start := l.i
	for l.i < len(l.B) && l.B[l.i] != '"' {
		if l.B[l.i] == '\\' {
			l.Fail()
			return nil
		}
		l.i++
	}
	k := l.B[start:l.i]
	l.Want('"')
	l.Want(':')
	return k
}

// integer reads a JSON integer: -?(0|[1-9][0-9]*), no fraction or exponent.
func (l *Lexer) Int() int {
	l.space()
	start := l.i
	if l.i < len(l.B) && l.B[l.i] == '-' {
		l.i++
	}
	digits := l.i
	for l.i < len(l.B) && l.B[l.i] >= '0' && l.B[l.i] <= '9' {
		l.i++
	}
	n, err := strconv.Atoi(string(l.B[start:l.i]))
	switch {
	case err != nil, l.i == digits, l.B[digits] == '0' && l.i-digits > 1,
		l.i < len(l.B) && (l.B[l.i] == '.' || l.B[l.i] == 'e' || l.B[l.i] == 'E'):
		l.Fail()
	}
	return n
}

func (l *Lexer) Bool() bool {
	l.space()
	switch {
	case len(l.B)-l.i >= 4 && string(l.B[l.i:l.i+4]) == "true":
		l.i += 4
		return true
	case len(l.B)-l.i >= 5 && string(l.B[l.i:l.i+5]) == "false":
		l.i += 5
		return false
	}
	l.Fail()
	return false
}

// object calls field for every key of an object; field reads the value.
func (l *Lexer) Object(field func(key []byte)) {
	l.Want('{')
	if l.Take('}') {
		return
	}
	for l.Err == nil {
		field(l.Key())
		if l.Take(',') {
			continue
		}
		l.Want('}')
		return
	}
}

// array calls elem for every element of an array.
func (l *Lexer) Array(elem func()) {
	l.Want('[')
	if l.Take(']') {
		return
	}
	for l.Err == nil {
		elem()
		if l.Take(',') {
			continue
		}
		l.Want(']')
		return
	}
}

// Float reads a JSON number as encoding/json reads it into a float64.
func (l *Lexer) Float() float64 {
	l.space()
	start, b := l.i, l.B
	digits := func() int {
		n := 0
		for l.i < len(b) && b[l.i] >= '0' && b[l.i] <= '9' {
			l.i++
			n++
		}
		return n
	}
	if l.i < len(b) && b[l.i] == '-' {
		l.i++
	}
	intStart := l.i
	if n := digits(); n == 0 || n > 1 && b[intStart] == '0' {
		l.Fail()
		return 0
	}
	if l.i < len(b) && b[l.i] == '.' {
		l.i++
		if digits() == 0 {
			l.Fail()
			return 0
		}
	}
	if l.i < len(b) && (b[l.i] == 'e' || b[l.i] == 'E') {
		l.i++
		if l.i < len(b) && (b[l.i] == '+' || b[l.i] == '-') {
			l.i++
		}
		if digits() == 0 {
			l.Fail()
			return 0
		}
	}
	f, err := strconv.ParseFloat(string(b[start:l.i]), 64)
	if err != nil {
		l.Fail()
	}
	return f
}

// AppendString appends s as encoding/json quotes it. Text that needs no
// escaping is copied; anything else goes through encoding/json.
func AppendString(b []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return appendQuoted(b, s)
		case c >= 0x80:
			ascii = false
		}
	}
	if !ascii && (!utf8.ValidString(s) || containsLineSeparator(s)) {
		return appendQuoted(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// containsLineSeparator reports U+2028 or U+2029, which encoding/json escapes.
func containsLineSeparator(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == 0xE2 && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9) {
			return true
		}
	}
	return false
}

func appendQuoted(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// AppendFloat appends f as encoding/json writes a float64, and reports
// false (appending nothing) for values it writes in exponent form.
func AppendFloat(b []byte, f float64) ([]byte, bool) {
	if a := math.Abs(f); math.IsInf(f, 0) || math.IsNaN(f) || a != 0 && (a < 1e-6 || a >= 1e21) {
		return b, false
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64), true
}
