package gs1

import (
	"strings"
)

// Validate checks every element against GS1's Barcode Syntax Dictionary —
// length, character set, check digits (csum, csumalpha), dates (yymmdd;
// yymmd0 allows day 00), times and the other linters the dictionary names
// (those this package does not implement are skipped, not failed) — then
// duplicates (one AI twice with different values), the ex= exclusions and
// the req= requirements. The first problem found, in scan order, is returned
// as an *Error.
//
// A barcode without elements is checked as what it is: an EAN-13, UPC-A,
// EAN-8 or ITF-14 symbol must be digits of the right length with a valid
// check digit; other plain data is not GS1's to judge and passes.
//
// Validate is linear in the number of elements and does not allocate unless
// it finds a problem (or the barcode has more than 16 elements).
func (b Barcode) Validate() error {
	if b.Elements == nil {
		if err := b.validateSymbol(); err != nil {
			return err
		}
		return nil
	}
	var small [16]uint16
	idx := small[:0]
	if len(b.Elements) > len(small) {
		idx = make([]uint16, 0, len(b.Elements))
	}
	var present aiSet
	var first []int32 // entry → first element with it; only for many elements
	for i, el := range b.Elements {
		x := lookupIndex(el.AI)
		if x < 0 {
			return errorf(el.AI, RuleUnknownAI, "(%s) is not a GS1 Application Identifier", clip(el.AI, 8))
		}
		if err := checkValue(&entries[x], el.Value); err != nil {
			return err
		}
		if present.has(x) {
			prev := -1
			if first != nil {
				prev = int(first[x])
			} else {
				for j := 0; j < i; j++ {
					if int(idx[j]) == x {
						prev = j
						break
					}
				}
			}
			if b.Elements[prev].Value != el.Value {
				return errorf(el.AI, RuleDuplicate, "%s appears twice with different values (%q and %q)", label(el.AI), clip(b.Elements[prev].Value, 30), clip(el.Value, 30))
			}
		} else if len(b.Elements) > len(small) {
			if first == nil {
				first = make([]int32, entryCount)
			}
			first[x] = int32(i)
		}
		present.add(x)
		idx = append(idx, uint16(x))
	}
	for i, el := range b.Elements {
		x := int(idx[i])
		r := &ruleSets[x]
		for _, p := range r.excludes {
			// An AI does not exclude itself, even when it matches.
			s := &patternSets[p]
			if !s.meetsExcept(&present, x) {
				continue
			}
			for _, y := range idx {
				if int(y) != x && s.has(int(y)) {
					return errorf(el.AI, RuleExcludes, "%s must not appear together with %s", label(el.AI), label(entries[y].AI))
				}
			}
		}
		for k, req := range r.requires {
			if !satisfied(req, &present) {
				return errorf(el.AI, RuleRequires, "%s needs %s in the same barcode", label(el.AI), describeRequirement(entries[x].Requires[k]))
			}
		}
	}
	return nil
}

// satisfied: some alternative of the requirement has all its AIs present.
func satisfied(req [][]uint16, present *aiSet) bool {
	for _, group := range req {
		all := true
		for _, p := range group {
			if !patternSets[p].meets(present) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// describeRequirement: "(01) GTIN, (02) CONTENT or (8006) ITIP"; a group
// reads "(01) GTIN with (21) SERIAL"; a pattern "(31nn)".
func describeRequirement(r Requirement) string {
	var b strings.Builder
	for i, group := range r {
		switch {
		case i == 0:
		case i == len(r)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		for j, ai := range group {
			if j > 0 {
				b.WriteString(" with ")
			}
			b.WriteString(label(ai))
		}
	}
	return b.String()
}

// checkValue checks a value against the entry's components: each component
// consumes its length from the front of the value, the last one the rest;
// optional components may be left out once the value is used up.
func checkValue(e *Entry, v string) *Error {
	if len(v) < e.MinLength || len(v) > e.MaxLength {
		return lengthError(e, v)
	}
	pos := 0
	for _, c := range e.Components {
		if pos == len(v) && c.Optional {
			break
		}
		n := c.Max
		if c.Min != c.Max {
			n = len(v) - pos
		}
		if n < c.Min || pos+n > len(v) {
			return lengthError(e, v)
		}
		part := v[pos : pos+n]
		if i := badChar(c.Charset, part); i >= 0 {
			return charsetError(e, c.Charset, v, pos+i)
		}
		for _, l := range c.Linters {
			if rule, reason := lint(l, part); rule != "" {
				return errorf(e.AI, rule, "%s: %s", label(e.AI), reason)
			}
		}
		pos += n
	}
	if pos != len(v) {
		return lengthError(e, v)
	}
	return nil
}

func lengthError(e *Entry, v string) *Error {
	unit := "characters"
	if len(e.Components) > 0 && e.Components[0].Charset == Numeric {
		unit = "digits"
	}
	switch {
	case len(e.Components) > 1 && len(v) >= e.MinLength && len(v) <= e.MaxLength:
		return errorf(e.AI, RuleLength, "%s: %d characters do not fit its format %s", label(e.AI), len(v), format(e))
	case e.MinLength == e.MaxLength:
		return errorf(e.AI, RuleLength, "%s: %d characters, must be %d %s", label(e.AI), len(v), e.MaxLength, unit)
	case len(v) < e.MinLength:
		return errorf(e.AI, RuleLength, "%s: %d characters, must be at least %d", label(e.AI), len(v), e.MinLength)
	}
	return errorf(e.AI, RuleLength, "%s: %d characters, must be at most %d", label(e.AI), len(v), e.MaxLength)
}

// format writes the entry's components as the dictionary does: "N3 [N3]".
func format(e *Entry) string {
	var b strings.Builder
	for i, c := range e.Components {
		if i > 0 {
			b.WriteByte(' ')
		}
		if c.Optional {
			b.WriteByte('[')
		}
		b.WriteByte(byte(c.Charset))
		if c.Min != c.Max {
			b.WriteString("..")
		}
		b.WriteString(itoa(c.Max))
		if c.Optional {
			b.WriteByte(']')
		}
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

var (
	cset82 = charTable(`!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`)
	cset39 = charTable("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	cset64 = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
)

// badChar is the position of the first character of s outside the
// character set, or -1.
func badChar(cs Charset, s string) int {
	switch cs {
	case Numeric:
		for i := 0; i < len(s); i++ {
			if !isDigit(s[i]) {
				return i
			}
		}
	case CSet82:
		return firstNotIn(&cset82, s)
	case CSet39:
		return firstNotIn(&cset39, s)
	case CSet64:
		// Up to two "=" may pad the end, as in GS1's cset64 linter.
		n := len(s)
		for n > 0 && s[n-1] == '=' {
			n--
		}
		if pads := len(s) - n; pads > 2 || (pads > 0 && len(s)%3 != 0) {
			return n
		}
		return firstNotIn(&cset64, s[:n])
	}
	return -1
}

func firstNotIn(t *[256]bool, s string) int {
	for i := 0; i < len(s); i++ {
		if !t[s[i]] {
			return i
		}
	}
	return -1
}

func charsetError(e *Entry, cs Charset, v string, pos int) *Error {
	c := v[pos : pos+1]
	switch {
	case cs == Numeric:
		return errorf(e.AI, RuleCharset, "%s: %q at position %d is not a digit", label(e.AI), c, pos+1)
	case cs == CSet64 && c == "=":
		return errorf(e.AI, RuleCharset, "%s: the \"=\" padding from position %d is not valid base64url padding", label(e.AI), pos+1)
	}
	name := map[Charset]string{CSet82: "82", CSet39: "39", CSet64: "64"}[cs]
	return errorf(e.AI, RuleCharset, "%s: %q at position %d is not allowed (GS1 AI encodable character set %s)", label(e.AI), c, pos+1, name)
}

// validateSymbol checks an EAN/UPC/ITF-14 symbol's number.
func (b Barcode) validateSymbol() *Error {
	s, ok := b.symbolNumber()
	if !ok {
		return nil
	}
	if i := badChar(Numeric, s); i >= 0 {
		return errorf("", RuleCharset, "%s data holds %q at position %d: it must be digits only", b.Symbology, s[i], i+1)
	}
	var okLen bool
	var want string
	switch b.Symbology {
	case symEAN13:
		okLen, want = len(s) == 13, "13"
	case symUPCA:
		okLen, want = len(s) == 12 || len(s) == 13 && s[0] == '0', "12 (or 13 with a leading 0)"
	case symEAN8:
		okLen, want = len(s) == 8, "8"
	case symITF14:
		okLen, want = len(s) == 14, "14"
	}
	if !okLen {
		return errorf("", RuleLength, "%s data is %d digits, must be %s", b.Symbology, len(s), want)
	}
	if !validCheckDigit(s) {
		return errorf("", RuleCheckDigit, "%s %s: check digit %c is wrong, should be %c", b.Symbology, s, s[len(s)-1], CheckDigit(s[:len(s)-1]))
	}
	return nil
}
