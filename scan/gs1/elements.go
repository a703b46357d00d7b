package gs1

import (
	"strings"
)

// parseElementString reads GS1 element strings: AI, value, and a GS after
// each value whose AI does not have a predefined length (unless it ends the
// data). A leading GS (FNC1 in first position) and a GS after a
// predefined-length value are tolerated.
func parseElementString(d string) ([]Element, *Error) {
	if strings.Trim(d, "\x1d") == "" {
		return nil, errorf("", RuleForm, "no GS1 element strings in the data")
	}
	// Every element takes at least 3 bytes: a 2-digit AI and a value.
	els := collector{bound: len(d)/3 + 1}
	i := 0
	for i < len(d) {
		if d[i] == gs {
			i++
			continue
		}
		idx, n := aiAt(d[i:])
		switch {
		case n == 0 && isDigit(d[i]) && len(d)-i < 4 && allDigits(d[i:]):
			return nil, errorf("", RuleForm, "the data ends inside an AI (%q at position %d)", d[i:], i+1)
		case n == 0:
			return nil, errorf("", RuleForm, "expected an AI (digits) at position %d, found %q", i+1, clip(d[i:], 8))
		case idx < 0:
			return nil, errorf(d[i:i+n], RuleUnknownAI, "(%s) at position %d is not a GS1 Application Identifier", d[i:i+n], i+1)
		}
		e := &entries[idx]
		ai := d[i : i+n]
		i += n
		if e.Fixed {
			end := i + e.MaxLength
			cut := strings.IndexByte(d[i:min(end, len(d))], gs)
			if end > len(d) || cut >= 0 {
				got := len(d) - i
				if cut >= 0 {
					got = cut
				}
				return nil, errorf(ai, RuleLength, "%s: %d characters where %d are needed, the value is cut short", label(ai), got, e.MaxLength)
			}
			els.add(Element{AI: ai, Value: d[i:end]})
			i = end
			continue
		}
		end := strings.IndexByte(d[i:], gs)
		if end < 0 {
			end = len(d)
		} else {
			end += i
		}
		if end == i {
			return nil, errorf(ai, RuleLength, "%s has no value", label(ai))
		}
		if end-i > e.MaxLength {
			return nil, errorf(ai, RuleMissingGS, "%s: value longer than %d characters — a GS separator is probably missing after it", label(ai), e.MaxLength)
		}
		els.add(Element{AI: ai, Value: d[i:end]})
		i = end
	}
	return els.list(), nil
}

// parseBracketed reads the human-readable form "(01)09501101530003(10)AB".
// A "(" inside a value is written "\(" (no GS1 character set has "\", so
// the escape is unambiguous).
func parseBracketed(d string) ([]Element, *Error) {
	// Every element takes at least 5 bytes: "(", a 2-digit AI, ")", a value.
	els := collector{bound: len(d)/5 + 1}
	i := 0
	for i < len(d) {
		if d[i] != '(' {
			return nil, errorf("", RuleForm, "expected \"(\" at position %d", i+1)
		}
		j := strings.IndexByte(d[i+1:], ')')
		if j < 0 {
			return nil, errorf("", RuleForm, "unbalanced brackets: the \"(\" at position %d is never closed", i+1)
		}
		ai := d[i+1 : i+1+j]
		switch {
		case ai == "" || !allDigits(ai):
			return nil, errorf("", RuleForm, "(%s) at position %d is not an AI: an AI is 2 to 4 digits", clip(ai, 8), i+1)
		case lookupIndex(ai) < 0:
			return nil, errorf(ai, RuleUnknownAI, "(%s) is not a GS1 Application Identifier", clip(ai, 8))
		}
		v := i + 2 + j
		k, escaped := v, false
		for k < len(d) && d[k] != '(' {
			if d[k] == '\\' && k+1 < len(d) && d[k+1] == '(' {
				escaped = true
				k++
			}
			k++
		}
		val := d[v:k]
		if val == "" {
			return nil, errorf(ai, RuleLength, "%s has no value", label(ai))
		}
		if escaped {
			val = strings.ReplaceAll(val, `\(`, "(")
		}
		els.add(Element{AI: ai, Value: val})
		i = k
	}
	return els.list(), nil
}

// collector gathers elements on the stack and moves them to the heap in one
// allocation: of the exact size for a typical scan, or, past its buffer, of
// the most elements the input can hold (bound), so that no input costs
// more than one element slot per few bytes.
type collector struct {
	buf   [8]Element
	n     int
	heap  []Element
	bound int
}

func (c *collector) add(e Element) {
	switch {
	case c.heap != nil:
		c.heap = append(c.heap, e)
	case c.n < len(c.buf):
		c.buf[c.n] = e
		c.n++
	default:
		c.heap = make([]Element, c.n, max(c.bound, 2*c.n))
		copy(c.heap, c.buf[:c.n])
		c.heap = append(c.heap, e)
	}
}

func (c *collector) list() []Element {
	if c.heap != nil {
		return c.heap
	}
	out := make([]Element, c.n)
	copy(out, c.buf[:c.n])
	return out
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
