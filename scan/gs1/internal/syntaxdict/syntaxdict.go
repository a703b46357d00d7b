// Package syntaxdict reads GS1's Barcode Syntax Dictionary and renders it as
// the Go table of package gs1. It is used by the generator (internal/gen) and
// by gs1's freshness test; nothing in it runs on the scan path.
//
// The file format is described in the dictionary's own header: lines of
// "AIs [Flags] Specification [Attributes...] [# Title]".
package syntaxdict

import (
	"bufio"
	"bytes"
	"fmt"
	"go/format"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Component is one part of an AI's data field, e.g. "N14,csum" or "[X..17]".
type Component struct {
	Charset  byte // 'N', 'X', 'Y' or 'Z'
	Min, Max int
	Optional bool
	Linters  []string
}

// Entry is one AI (a range in the file becomes one entry per AI).
type Entry struct {
	AI           string
	Title        string
	Fixed        bool // flag "*": predefined length, no FNC1 separator
	DLAttribute  bool // flag "?": permitted as a Digital Link query attribute
	DLPrimaryKey bool
	DLQualifiers [][]string // alternatives of ordered qualifier AIs
	Components   []Component
	Requires     [][][]string // each req=: alternatives, each a group needed together
	Excludes     []string
}

// MinLength is the shortest value the components allow.
func (e Entry) MinLength() int {
	n := 0
	for _, c := range e.Components {
		if !c.Optional {
			n += c.Min
		}
	}
	return n
}

// MaxLength is the longest value the components allow.
func (e Entry) MaxLength() int {
	n := 0
	for _, c := range e.Components {
		n += c.Max
	}
	return n
}

// Dictionary is a parsed syntax dictionary.
type Dictionary struct {
	Release string
	Entries []Entry // sorted by AI
}

const flagChars = "*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~"

// Parse reads a dictionary and checks the properties package gs1 relies on:
// AIs are unique and prefix-free, the first two digits of an AI fix its
// length, only a final component varies in length, predefined-length AIs
// have a fixed length, and every AI pattern in req=, ex= and dlpkey= is
// well formed.
func Parse(r io.Reader) (*Dictionary, error) {
	d := &Dictionary{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "#") {
			if rel, ok := strings.CutPrefix(strings.TrimSpace(text[1:]), "Release:"); ok && d.Release == "" {
				d.Release = strings.TrimSpace(rel)
			}
			continue
		}
		es, err := parseLine(text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		d.Entries = append(d.Entries, es...)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if d.Release == "" {
		return nil, fmt.Errorf("no \"# Release:\" line in the header")
	}
	if len(d.Entries) == 0 {
		return nil, fmt.Errorf("no entries")
	}
	sort.Slice(d.Entries, func(i, j int) bool { return d.Entries[i].AI < d.Entries[j].AI })
	if err := check(d.Entries); err != nil {
		return nil, err
	}
	return d, nil
}

func parseLine(text string) ([]Entry, error) {
	var e Entry
	if i := strings.IndexByte(text, '#'); i >= 0 {
		e.Title = strings.TrimSpace(text[i+1:])
		text = text[:i]
	}
	f := strings.Fields(text)
	if len(f) < 2 {
		return nil, fmt.Errorf("want AIs and a specification: %q", text)
	}
	lo, hi, width, err := parseRange(f[0])
	if err != nil {
		return nil, err
	}
	f = f[1:]
	if strings.Trim(f[0], flagChars) == "" {
		e.Fixed = strings.ContainsRune(f[0], '*')
		e.DLAttribute = strings.ContainsRune(f[0], '?')
		f = f[1:]
	}
	for len(f) > 0 && isComponent(f[0]) {
		c, err := parseComponent(f[0])
		if err != nil {
			return nil, err
		}
		e.Components = append(e.Components, c)
		f = f[1:]
	}
	if len(e.Components) == 0 {
		return nil, fmt.Errorf("AI %s: no specification", f[0])
	}
	for _, a := range f {
		key, val, hasVal := strings.Cut(a, "=")
		switch key {
		case "req":
			if !hasVal || val == "" {
				return nil, fmt.Errorf("empty req=")
			}
			var alts [][]string
			for _, alt := range strings.Split(val, ",") {
				group := strings.Split(alt, "+")
				for _, p := range group {
					if !isPattern(p) {
						return nil, fmt.Errorf("req=%s: bad AI pattern %q", val, p)
					}
				}
				alts = append(alts, group)
			}
			e.Requires = append(e.Requires, alts)
		case "ex":
			if !hasVal || val == "" {
				return nil, fmt.Errorf("empty ex=")
			}
			for _, p := range strings.Split(val, ",") {
				if !isPattern(p) {
					return nil, fmt.Errorf("ex=%s: bad AI pattern %q", val, p)
				}
				e.Excludes = append(e.Excludes, p)
			}
		case "dlpkey":
			e.DLPrimaryKey = true
			if !hasVal {
				break
			}
			for _, alt := range strings.Split(val, "|") {
				q := strings.Split(alt, ",")
				for _, ai := range q {
					if !isAI(ai) {
						return nil, fmt.Errorf("dlpkey=%s: bad AI %q", val, ai)
					}
				}
				e.DLQualifiers = append(e.DLQualifiers, q)
			}
		default:
			// Attributes this generator does not know are left out of
			// the table rather than guessed at.
		}
	}
	out := make([]Entry, 0, hi-lo+1)
	for n := lo; n <= hi; n++ {
		x := e
		x.AI = fmt.Sprintf("%0*d", width, n)
		out = append(out, x)
	}
	return out, nil
}

func parseRange(s string) (lo, hi, width int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if !isRange {
		b = a
	}
	if !isAI(a) || !isAI(b) || len(a) != len(b) {
		return 0, 0, 0, fmt.Errorf("bad AI or AI range %q", s)
	}
	lo, _ = strconv.Atoi(a)
	hi, _ = strconv.Atoi(b)
	if lo > hi {
		return 0, 0, 0, fmt.Errorf("AI range %q runs backwards", s)
	}
	return lo, hi, len(a), nil
}

func isComponent(s string) bool {
	s = strings.TrimPrefix(s, "[")
	return s != "" && strings.IndexByte("NXYZ", s[0]) >= 0
}

// parseComponent reads "N14,csum,gcppos2", "X..20", "[X..17]" or
// "[N3],iso3166" (the brackets mark the component optional, wherever the
// closing one stands).
func parseComponent(s string) (Component, error) {
	var c Component
	orig := s
	if strings.HasPrefix(s, "[") {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return c, fmt.Errorf("component %q: unbalanced [", orig)
		}
		c.Optional = true
		s = s[1:i] + s[i+1:]
	}
	parts := strings.Split(s, ",")
	typ := parts[0]
	c.Charset = typ[0]
	n := typ[1:]
	variable := strings.HasPrefix(n, "..")
	n = strings.TrimPrefix(n, "..")
	max, err := strconv.Atoi(n)
	if err != nil || max < 1 || max > 99 {
		return c, fmt.Errorf("component %q: bad length", orig)
	}
	c.Max, c.Min = max, max
	if variable {
		c.Min = 1
	}
	for _, l := range parts[1:] {
		if l == "" || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			return c, fmt.Errorf("component %q: bad linter name %q", orig, l)
		}
		c.Linters = append(c.Linters, l)
	}
	return c, nil
}

func isAI(s string) bool {
	if len(s) < 2 || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isPattern: an AI where 'n' stands for any digit ("394n", "35nn").
func isPattern(s string) bool {
	if len(s) < 2 || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != 'n' {
			return false
		}
	}
	return true
}

func check(es []Entry) error {
	prefixLen := map[string]int{}
	for i, e := range es {
		if i > 0 && es[i-1].AI == e.AI {
			return fmt.Errorf("AI %s defined twice", e.AI)
		}
		if l, ok := prefixLen[e.AI[:2]]; ok && l != len(e.AI) {
			return fmt.Errorf("AI %s: AIs starting %s have different lengths", e.AI, e.AI[:2])
		}
		prefixLen[e.AI[:2]] = len(e.AI)
		for j, c := range e.Components {
			if c.Min != c.Max && j != len(e.Components)-1 {
				return fmt.Errorf("AI %s: only the last component may vary in length", e.AI)
			}
			if j > 0 && e.Components[j-1].Optional && !c.Optional {
				return fmt.Errorf("AI %s: a mandatory component follows an optional one", e.AI)
			}
		}
		if e.Fixed && e.MinLength() != e.MaxLength() {
			return fmt.Errorf("AI %s: predefined length but its length varies", e.AI)
		}
	}
	// Sorted order puts an AI right before the AIs it is a prefix of.
	for i := 1; i < len(es); i++ {
		if strings.HasPrefix(es[i].AI, es[i-1].AI) {
			return fmt.Errorf("AI %s is a prefix of AI %s", es[i-1].AI, es[i].AI)
		}
	}
	return nil
}

// Render writes the gofmt'ed Go source of gs1's table: the package gs1
// types Entry, Component and Requirement are declared by hand in that
// package; this emits only data.
func Render(d *Dictionary) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by go run ./internal/gen from the GS1 Barcode Syntax Dictionary release %s. DO NOT EDIT.\n\n", d.Release)
	b.WriteString("// The data below is derived from the GS1 Barcode Syntax Dictionary,\n")
	b.WriteString("// Copyright (c) 2021-2026 GS1 AISBL and the BWIPP and Zint projects,\n")
	b.WriteString("// licensed under the Apache License, Version 2.0.\n\n")
	b.WriteString("package gs1\n\n")
	b.WriteString("// DictionaryRelease is the release of GS1's Barcode Syntax Dictionary\n// that the AI table was generated from.\n")
	fmt.Fprintf(&b, "const DictionaryRelease = %q\n\n", d.Release)
	b.WriteString("// entryCount is the number of AIs in the table.\n")
	fmt.Fprintf(&b, "const entryCount = %d\n\n", len(d.Entries))
	b.WriteString("// entries is sorted by AI.\n")
	b.WriteString("var entries = [entryCount]Entry{\n")
	for _, e := range d.Entries {
		fmt.Fprintf(&b, "{AI: %q, Title: %q", e.AI, e.Title)
		if e.Fixed {
			b.WriteString(", Fixed: true")
		}
		if e.DLAttribute {
			b.WriteString(", DLAttribute: true")
		}
		if e.DLPrimaryKey {
			b.WriteString(", DLPrimaryKey: true")
		}
		fmt.Fprintf(&b, ", MinLength: %d, MaxLength: %d", e.MinLength(), e.MaxLength())
		b.WriteString(", Components: []Component{")
		for i, c := range e.Components {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "{Charset: %s, Min: %d, Max: %d", charsetName(c.Charset), c.Min, c.Max)
			if c.Optional {
				b.WriteString(", Optional: true")
			}
			if len(c.Linters) > 0 {
				fmt.Fprintf(&b, ", Linters: %s", strList(c.Linters))
			}
			b.WriteString("}")
		}
		b.WriteString("}")
		if len(e.Requires) > 0 {
			b.WriteString(", Requires: []Requirement{")
			for i, r := range e.Requires {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(listOfLists(r))
			}
			b.WriteString("}")
		}
		if len(e.Excludes) > 0 {
			fmt.Fprintf(&b, ", Excludes: %s", strList(e.Excludes))
		}
		if len(e.DLQualifiers) > 0 {
			fmt.Fprintf(&b, ", DLQualifiers: [][]string%s", listOfLists(e.DLQualifiers))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("format generated source: %w", err)
	}
	return src, nil
}

func charsetName(c byte) string {
	switch c {
	case 'N':
		return "Numeric"
	case 'X':
		return "CSet82"
	case 'Y':
		return "CSet39"
	case 'Z':
		return "CSet64"
	}
	return fmt.Sprintf("Charset(%q)", c)
}

func strList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

// listOfLists renders {{"a", "b"}, {"c"}} (element types elided).
func listOfLists(ls [][]string) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		q := make([]string, len(l))
		for j, s := range l {
			q[j] = strconv.Quote(s)
		}
		parts[i] = "{" + strings.Join(q, ", ") + "}"
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
