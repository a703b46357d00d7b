package gs1

import "strings"

// GS1 Digital Link URI Syntax (release 1.2 onwards) as the GS1 Barcode
// Syntax Engine reads it: scheme http or https (lower or upper case), a
// host, an optional path prefix, then "/{key AI}/{value}" and
// "/{qualifier AI}/{value}" pairs with the qualifiers in the order the
// key's dlpkey attribute lists them, then an optional query whose numeric
// keys are AIs (data attributes) and whose other keys are ignored.

// uriChars are the characters RFC 3986 allows in a URI, "%" included.
var uriChars = charTable("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%")

// badHostChars are URI characters a host name may not hold.
var badHostChars = charTable("_~?#@!$&'()*+,;=%")

func hasHTTPScheme(s string) bool {
	_, ok := cutScheme(s)
	return ok
}

func cutScheme(s string) (string, bool) {
	for _, p := range [...]string{"https://", "HTTPS://", "http://", "HTTP://"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest, true
		}
	}
	return s, false
}

// parseDigitalLink reads a GS1 Digital Link URI. isDL is false, with no
// error, for anything that is not one (not http(s), or no GS1 key in the
// path): a plain URL is plain data. It is an error when the path holds a
// GS1 key but the rest does not follow the syntax.
func parseDigitalLink(s string) (els []Element, isDL bool, err *Error) {
	rest, ok := cutScheme(s)
	if !ok {
		return nil, false, nil
	}
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return nil, false, nil
	}
	host := rest[:slash]
	path := rest[slash:]
	query := ""
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i]
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}

	key := findKey(path)
	if key < 0 {
		if ai := keyInPath(path); ai != "" {
			return nil, false, errorf(ai, RuleForm, "Digital Link path after %s is not AI/value pairs ending the path", label(ai))
		}
		return nil, false, nil
	}
	for i := 0; i < len(s); i++ {
		if !uriChars[s[i]] {
			return nil, true, errorf("", RuleForm, "Digital Link URI holds %q at position %d, which a URI may not", s[i], i+1)
		}
	}
	if host == "" {
		return nil, true, errorf("", RuleForm, "Digital Link URI has no host")
	}
	for i := 0; i < len(host); i++ {
		if badHostChars[host[i]] {
			return nil, true, errorf("", RuleForm, "Digital Link URI host holds %q, which a host name may not", host[i])
		}
	}

	// Every element takes at least 4 bytes: "/21/X" in the path, "91=X" and
	// a separator in the query.
	list := collector{bound: len(s)/4 + 1}
	// Path pairs from the key on: findKey checked that each pair's first
	// segment is a known AI.
	p := path[key:]
	var keyEntry *Entry
	quals := 0 // qualifiers so far
	var qualAIs [8]string
	for p != "" {
		p = p[1:]
		j := strings.IndexByte(p, '/')
		ai := p[:j]
		p = p[j+1:]
		k := strings.IndexByte(p, '/')
		if k < 0 {
			k = len(p)
		}
		raw := p[:k]
		p = p[k:]
		if raw == "" {
			return nil, true, errorf(ai, RuleLength, "%s has no value in the Digital Link path", label(ai))
		}
		val, ok := percentDecode(raw, false)
		if !ok {
			return nil, true, errorf(ai, RuleForm, "%s: the Digital Link value decodes to a NUL character", label(ai))
		}
		if keyEntry == nil {
			keyEntry = &entries[lookupIndex(ai)]
		} else {
			if quals == len(qualAIs) {
				return nil, true, qualifierError(keyEntry, ai)
			}
			qualAIs[quals] = ai
			quals++
			if !qualifiersInOrder(keyEntry, qualAIs[:quals]) {
				return nil, true, qualifierError(keyEntry, ai)
			}
		}
		list.add(Element{AI: ai, Value: val})
	}

	for query != "" {
		var param string
		param, query, _ = strings.Cut(query, "&")
		k, raw, hasValue := strings.Cut(param, "=")
		if !hasValue || k == "" || !allDigits(k) {
			continue // not an AI: other query parameters are the resolver's
		}
		idx := lookupIndex(k)
		if idx < 0 {
			return nil, true, errorf(clip(k, 8), RuleUnknownAI, "Digital Link query parameter %s is not a GS1 Application Identifier", clip(k, 8))
		}
		e := &entries[idx]
		if raw == "" {
			return nil, true, errorf(k, RuleLength, "%s has no value in the Digital Link query", label(k))
		}
		if !e.DLAttribute {
			return nil, true, errorf(k, RuleForm, "%s may not be a Digital Link query attribute", label(k))
		}
		if belongsInPath(keyEntry, qualAIs[:quals], k) {
			return nil, true, errorf(k, RuleForm, "%s qualifies %s and belongs in the Digital Link path, not the query", label(k), label(keyEntry.AI))
		}
		val, ok := percentDecode(raw, true)
		if !ok {
			return nil, true, errorf(k, RuleForm, "%s: the Digital Link value decodes to a NUL character", label(k))
		}
		// GS1's Digital Link parser pads a GTIN-8, -12 or -13 given as a
		// query attribute to GTIN-14.
		if k == "01" && (len(val) == 8 || len(val) == 12 || len(val) == 13) {
			val = "000000"[:14-len(val)] + val
		}
		list.add(Element{AI: k, Value: val})
	}
	return list.list(), true, nil
}

// findKey walks the path back from its end in "/AI/value" pairs while the
// AI segments are AIs, and returns the offset of the pair whose AI is a
// Digital Link primary key (the rightmost such), or -1. Unlike GS1's
// parser, a key whose value does not look like one ("/00/index.html") is
// not taken for a key: a plain URL stays plain data.
func findKey(path string) int {
	end := len(path)
	for {
		vs := strings.LastIndexByte(path[:end], '/')
		if vs < 0 {
			return -1
		}
		as := strings.LastIndexByte(path[:vs], '/')
		if as < 0 {
			return -1
		}
		idx := lookupIndex(path[as+1 : vs])
		if idx < 0 {
			return -1
		}
		if entries[idx].DLPrimaryKey && looksLike(&entries[idx], path[vs+1:end]) {
			return as
		}
		end = as
	}
}

// keyInPath tells a broken Digital Link from a URL that is none: it
// returns a primary-key AI in the path followed by a segment that looks
// like that key's value, or "".
func keyInPath(path string) string {
	for path != "" {
		path = path[1:]
		j := strings.IndexByte(path, '/')
		if j < 0 {
			return ""
		}
		seg, next := path[:j], path[j+1:]
		if k := strings.IndexByte(next, '/'); k >= 0 {
			next = next[:k]
		}
		if idx := lookupIndex(seg); idx >= 0 && entries[idx].DLPrimaryKey && looksLike(&entries[idx], next) {
			return seg
		}
		path = path[j:]
	}
	return ""
}

// looksLike: v could be meant as the key's value — digits for a numeric
// key, whatever their number (a wrong length is Validate's to report), or
// nothing at all (a value left out is an error, not a plain URL).
func looksLike(e *Entry, v string) bool {
	return e.Components[0].Charset != Numeric || allDigits(v)
}

// qualifiersInOrder: seq is, in order, a subsequence of one of the key's
// qualifier sequences.
func qualifiersInOrder(key *Entry, seq []string) bool {
	for _, alt := range key.DLQualifiers {
		if inOrder(alt, seq) {
			return true
		}
	}
	return false
}

func inOrder(alt, seq []string) bool {
	pos := 0
	for _, ai := range seq {
		for pos < len(alt) && alt[pos] != ai {
			pos++
		}
		if pos == len(alt) {
			return false
		}
		pos++
	}
	return true
}

// belongsInPath: ai is a qualifier of the key that could stand in the path
// with the qualifiers there, so GS1 forbids it in the query.
func belongsInPath(key *Entry, have []string, ai string) bool {
	for _, q := range have {
		if q == ai {
			return false
		}
	}
	for _, alt := range key.DLQualifiers {
		for _, q := range alt {
			if q == ai && inOrder(alt, have) {
				return true
			}
		}
	}
	return false
}

func qualifierError(key *Entry, ai string) *Error {
	for _, alt := range key.DLQualifiers {
		for _, q := range alt {
			if q == ai {
				return errorf(ai, RuleForm, "%s is out of order in the Digital Link path: after %s the qualifiers go %s", label(ai), label(key.AI), qualifierOrder(key))
			}
		}
	}
	if len(key.DLQualifiers) == 0 {
		return errorf(ai, RuleForm, "%s cannot follow %s in a Digital Link path: that key takes no qualifiers", label(ai), label(key.AI))
	}
	return errorf(ai, RuleForm, "%s is not a key qualifier of %s: in a Digital Link it belongs in the query", label(ai), label(key.AI))
}

func qualifierOrder(key *Entry) string {
	var b strings.Builder
	for i, alt := range key.DLQualifiers {
		if i > 0 {
			b.WriteString(" or ")
		}
		for j, q := range alt {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + q + ")")
		}
	}
	return b.String()
}

// percentDecode undoes percent-encoding; in a query, "+" is a space. A "%"
// not followed by two hex digits stays as it is, as in GS1's parser. ok is
// false when the value would hold a NUL.
func percentDecode(s string, query bool) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && (!query || strings.IndexByte(s, '+') < 0) {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			if c == 0 {
				return "", false
			}
			i += 2
		case c == '+' && query:
			c = ' '
		}
		b = append(b, c)
	}
	return string(b), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// charTable is a membership table of the characters in s.
func charTable(s string) (t [256]bool) {
	for i := 0; i < len(s); i++ {
		t[s[i]] = true
	}
	return t
}
