package gs1

// CheckDigit computes the GS1 mod-10 check digit of digits (weights 3, 1,
// 3, … from the rightmost digit) and returns it as an ASCII digit, '0' to
// '9'. It returns 0 when digits holds anything but ASCII digits, so a
// comparison with a scanned check digit fails.
func CheckDigit(digits string) byte {
	sum := 0
	for i := 0; i < len(digits); i++ {
		c := digits[len(digits)-1-i]
		if !isDigit(c) {
			return 0
		}
		d := int(c - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// validCheckDigit: s is digits ending in its GS1 check digit.
func validCheckDigit(s string) bool {
	return len(s) >= 2 && CheckDigit(s[:len(s)-1]) == s[len(s)-1]
}

// NormalizeGTIN returns the 14-digit form of an 8, 12, 13 or 14 digit GTIN
// with a valid check digit, left-padded with zeros: GS1 General
// Specifications compare GTIN-8, -12 and -13 as GTIN-14.
func NormalizeGTIN(s string) (string, bool) {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return "", false
	}
	if !validCheckDigit(s) {
		return "", false
	}
	if len(s) == 14 {
		return s, true
	}
	return "000000"[:14-len(s)] + s, true
}
