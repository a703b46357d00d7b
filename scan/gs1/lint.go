package gs1

import "fmt"

// lint runs one of the dictionary's linters on a component's data, which
// has already passed its character set and length. It returns the rule
// broken and a reason, or "" when the data passes or the linter is one this
// package does not implement (couponcode, couponposoffer, packagetype, and
// any a later dictionary adds): those are skipped, not failed.
//
// The checks follow the linter names' meaning in GS1's Barcode Syntax Tests
// and the GS1 General Specifications. Lists maintained outside GS1 (ISO 3166
// country and ISO 4217 currency codes) are not embedded: a value there is
// checked for form (three digits, two capitals) only.
func lint(name, s string) (rule, reason string) {
	switch name {
	case "csum":
		if len(s) < 2 {
			return "", ""
		}
		if want := CheckDigit(s[:len(s)-1]); want != s[len(s)-1] {
			return RuleCheckDigit, fmt.Sprintf("check digit %c is wrong, should be %c", s[len(s)-1], want)
		}
	case "csumalpha":
		return csumAlpha(s)
	case "gcppos1", "key":
		return companyPrefix(s, 0)
	case "gcppos2", "keyoff1":
		return companyPrefix(s, 1)
	case "yymmdd":
		return date(s, 2, false)
	case "yymmd0":
		return date(s, 2, true)
	case "yyyymmdd":
		return date(s, 4, false)
	case "yyyymmd0":
		return date(s, 4, true)
	case "hhmi", "hhmm":
		if len(s) != 4 {
			return RuleTime, fmt.Sprintf("time %q is not HHMM", s)
		}
		if r, why := clock(s[:2], 23, "hour"); r != "" {
			return r, why
		}
		return clock(s[2:], 59, "minute")
	case "hh":
		return clock(s, 23, "hour")
	case "mi":
		return clock(s, 59, "minute")
	case "ss":
		return clock(s, 59, "second")
	case "iso3166", "iso3166999", "iso4217":
		if len(s) != 3 || !allDigits(s) {
			return RuleValue, fmt.Sprintf("%q is not a three-digit ISO code", s)
		}
	case "iso3166alpha2":
		if len(s) != 2 || !upper(s[0]) || !upper(s[1]) {
			return RuleValue, fmt.Sprintf("%q is not a two-letter ISO 3166 country code", s)
		}
	case "nonzero":
		if allZero(s) {
			return RuleValue, fmt.Sprintf("%q must not be zero", s)
		}
	case "zero":
		if s != "0" {
			return RuleValue, fmt.Sprintf("%q must be 0", s)
		}
	case "yesno":
		if s != "0" && s != "1" {
			return RuleValue, fmt.Sprintf("%q must be 0 (no) or 1 (yes)", s)
		}
	case "winding":
		if s != "0" && s != "1" && s != "9" {
			return RuleValue, fmt.Sprintf("winding direction %q must be 0, 1 or 9", s)
		}
	case "iso5218":
		if s != "0" && s != "1" && s != "2" && s != "9" {
			return RuleValue, fmt.Sprintf("sex code %q must be 0, 1, 2 or 9 (ISO/IEC 5218)", s)
		}
	case "hyphen":
		for i := 0; i < len(s); i++ {
			if s[i] != '-' {
				return RuleValue, fmt.Sprintf("%q must be \"-\"", s)
			}
		}
	case "nozeroprefix":
		if len(s) > 1 && s[0] == '0' {
			return RuleValue, fmt.Sprintf("%q must not start with 0", s)
		}
	case "hasnondigit":
		if allDigits(s) {
			return RuleValue, fmt.Sprintf("%q must hold a character that is not a digit", s)
		}
	case "pieceoftotal":
		return pieceOfTotal(s)
	case "posinseqslash":
		return posInSeq(s)
	case "mediatype":
		if !(len(s) == 2 && allDigits(s) && (s >= "01" && s <= "10" || s >= "80")) {
			return RuleValue, fmt.Sprintf("AIDC media type %q must be 01 to 10 or 80 to 99", s)
		}
	case "importeridx":
		c := byte(0)
		if len(s) == 1 {
			c = s[0]
		}
		if !(c == '-' || c == '_' || isDigit(c) || upper(c) || c >= 'a' && c <= 'z') {
			return RuleValue, fmt.Sprintf("importer index %q must be one of 0-9, A-Z, a-z, \"-\" or \"_\"", s)
		}
	case "latitude":
		if len(s) != 10 || s > "1800000000" {
			return RuleValue, fmt.Sprintf("latitude %q is above 1800000000 (90°N)", s)
		}
	case "longitude":
		if len(s) != 10 || s > "3600000000" {
			return RuleValue, fmt.Sprintf("longitude %q is above 3600000000 (180°E)", s)
		}
	case "pcenc":
		for i := 0; i < len(s); i++ {
			if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
				return RuleValue, fmt.Sprintf("\"%%\" at position %d does not start a percent-encoded byte", i+1)
			}
		}
	case "iban":
		return iban(s)
	}
	return "", ""
}

func upper(c byte) bool { return c >= 'A' && c <= 'Z' }

func allZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// companyPrefix: a GS1 Company Prefix starts at position off, and the
// shortest one is four digits. Without GS1's prefix register that is all
// that can be checked here.
func companyPrefix(s string, off int) (string, string) {
	if len(s) < off+4 || !allDigits(s[off:off+4]) {
		return RuleValue, fmt.Sprintf("%q does not hold a GS1 Company Prefix (4 or more digits) at position %d", s, off+1)
	}
	return "", ""
}

var monthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// date checks YYMMDD (yearDigits 2) or YYYYMMDD (4). Day 00 is allowed only
// when zeroDay: GS1's "yymmd0" for a date given to the month. February 29
// needs a leap year; a two-digit year is read in GS1's window around the
// current century, where YY divisible by 4 is a leap year (2000 was one).
func date(s string, yearDigits int, zeroDay bool) (string, string) {
	if len(s) != yearDigits+4 || !allDigits(s) {
		return RuleDate, fmt.Sprintf("%q is not a date", s)
	}
	mm := s[yearDigits : yearDigits+2]
	dd := s[yearDigits+2:]
	m := int(mm[0]-'0')*10 + int(mm[1]-'0')
	d := int(dd[0]-'0')*10 + int(dd[1]-'0')
	if m < 1 || m > 12 {
		return RuleDate, fmt.Sprintf("month %s is not a month", mm)
	}
	if d == 0 {
		if zeroDay {
			return "", ""
		}
		return RuleDate, "day 00 is not a day: this AI needs an exact date"
	}
	if d > monthDays[m] {
		return RuleDate, fmt.Sprintf("day %s is not a day of month %s", dd, mm)
	}
	if m == 2 && d == 29 {
		y := 0
		for i := 0; i < yearDigits; i++ {
			y = y*10 + int(s[i]-'0')
		}
		leap := y%4 == 0
		if yearDigits == 4 {
			leap = leap && (y%100 != 0 || y%400 == 0)
		}
		if !leap {
			return RuleDate, fmt.Sprintf("day 29 is not a day of February in year %s", s[:yearDigits])
		}
	}
	return "", ""
}

func clock(s string, max int, what string) (string, string) {
	if len(s) != 2 || !allDigits(s) {
		return RuleTime, fmt.Sprintf("%s %q is not two digits", what, s)
	}
	if n := int(s[0]-'0')*10 + int(s[1]-'0'); n > max {
		article := "a"
		if what == "hour" {
			article = "an"
		}
		return RuleTime, fmt.Sprintf("%s %s is not %s %s", what, s, article, what)
	}
	return "", ""
}

// pieceOfTotal: piece number then total count, of equal width, neither
// zero, the piece not above the total.
func pieceOfTotal(s string) (string, string) {
	if len(s) == 0 || len(s)%2 != 0 || !allDigits(s) {
		return RuleValue, fmt.Sprintf("%q is not a piece number and total of equal width", s)
	}
	p, t := s[:len(s)/2], s[len(s)/2:]
	switch {
	case allZero(p):
		return RuleValue, "piece number 0 is not a piece"
	case allZero(t):
		return RuleValue, "total piece count 0 is not a count"
	case p > t:
		return RuleValue, fmt.Sprintf("piece %s is above the total of %s", p, t)
	}
	return "", ""
}

// posInSeq: "pos/end", both without leading zeros, pos not above end.
func posInSeq(s string) (string, string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	p, rest := s[:i], s[i:]
	if p == "" || len(rest) < 2 || rest[0] != '/' || !allDigits(rest[1:]) {
		return RuleValue, fmt.Sprintf("%q is not position/total", s)
	}
	e := rest[1:]
	switch {
	case p[0] == '0' || e[0] == '0':
		return RuleValue, fmt.Sprintf("%q: position and total must not start with 0", s)
	case len(p) > len(e) || len(p) == len(e) && p > e:
		return RuleValue, fmt.Sprintf("%q: the position is above the total", s)
	}
	return "", ""
}

// csumAlpha checks the check character pair of GS1 alphanumeric keys (GS1
// General Specifications, "Check character calculation (for alphanumeric
// keys)"): the data characters' values in CSET 82 order, weighted by
// successive primes from the right, summed modulo 1021; the two check
// characters are that sum's upper and lower 5 bits in CSET 32.
func csumAlpha(s string) (string, string) {
	if len(s) < 2 {
		return RuleCheckDigit, fmt.Sprintf("%q is too short for a check character pair", s)
	}
	if len(s)-2 > len(primes) {
		return "", "" // longer than any AI allows; the length rule reports it
	}
	data, pair := s[:len(s)-2], s[len(s)-2:]
	sum := 0
	for i := 0; i < len(data); i++ {
		sum += int(cset82Value[data[i]]) * primes[len(data)-1-i]
	}
	sum %= 1021
	if pair[0] != cset32[sum>>5] || pair[1] != cset32[sum&31] {
		return RuleCheckDigit, fmt.Sprintf("check characters %s are wrong, should be %c%c", pair, cset32[sum>>5], cset32[sum&31])
	}
	return "", ""
}

const cset32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// cset82Value is each CSET 82 character's position in GS1's order.
var cset82Value = func() (t [256]uint8) {
	const order = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`
	for i := 0; i < len(order); i++ {
		t[order[i]] = uint8(i)
	}
	return t
}()

// primes weights the data characters of csumalpha, from the right.
var primes = func() []int {
	var ps []int
	for n := 2; len(ps) < 97; n++ {
		prime := true
		for _, p := range ps {
			if p*p > n {
				break
			}
			if n%p == 0 {
				prime = false
				break
			}
		}
		if prime {
			ps = append(ps, n)
		}
	}
	return ps
}()

// iban checks an IBAN's form (ISO 13616): two capital letters, two check
// digits, then capitals and digits, and the mod-97 check. Per-country
// lengths are not embedded.
func iban(s string) (string, string) {
	if len(s) < 5 || !upper(s[0]) || !upper(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) {
		return RuleValue, fmt.Sprintf("%q is not an IBAN", s)
	}
	for i := 4; i < len(s); i++ {
		if !isDigit(s[i]) && !upper(s[i]) {
			return RuleValue, fmt.Sprintf("IBAN %q holds %q: only capitals and digits are allowed", s, s[i:i+1])
		}
	}
	rem := 0
	add := func(c byte) {
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A') + 10) % 97
		}
	}
	for i := 4; i < len(s); i++ {
		add(s[i])
	}
	for i := 0; i < 4; i++ {
		add(s[i])
	}
	if rem != 1 {
		return RuleCheckDigit, fmt.Sprintf("IBAN %s: check digits %s are wrong", s, s[2:4])
	}
	return "", ""
}
