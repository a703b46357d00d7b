package label

import (
	"fmt"
	"strings"

	"github.com/floorgate/floorgate"
)

// gs1Predefined is the GS1 General Specifications table of AI prefixes
// whose element strings have a predefined length (AI plus value, in
// characters): these need no FNC1 after them. Every other AI is
// variable-length and ends with FNC1 when another AI follows. The table is
// fixed by the standard and does not change with the syntax dictionary.
var gs1Predefined = map[string]int{
	"00": 20, "01": 16, "02": 16, "03": 16, "04": 18,
	"11": 8, "12": 8, "13": 8, "14": 8, "15": 8, "16": 8, "17": 8, "18": 8, "19": 8,
	"20": 4, "31": 10, "32": 10, "33": 10, "34": 10, "35": 10, "36": 10, "41": 16,
}

// GS1ElementString converts a bracketed GS1 string such as
// "(01)04006381333931(10)L42(17)261231" to the FNC1 form a GS1-128 Barcode
// carries: AIs and values run together, with GS (0x1D) after each
// variable-length value that another AI follows. It checks the predefined
// lengths and the check digit of (00), (01) and (02).
func GS1ElementString(bracketed string) (string, error) {
	s := bracketed
	if s == "" {
		return "", floorgate.FieldErrorf("", "missing")
	}
	var out strings.Builder
	for i := 0; s != ""; i++ {
		if s[0] != '(' {
			return "", floorgate.FieldErrorf("", "%q: expected ( before an AI", bracketed)
		}
		end := strings.IndexByte(s, ')')
		if end < 0 {
			return "", floorgate.FieldErrorf("", "%q: unclosed (", bracketed)
		}
		ai := s[1:end]
		if len(ai) < 2 || len(ai) > 4 || strings.Trim(ai, "0123456789") != "" {
			return "", floorgate.FieldErrorf("", "AI %q is not 2 to 4 digits", ai)
		}
		s = s[end+1:]
		next := strings.IndexByte(s, '(')
		if next < 0 {
			next = len(s)
		}
		val := s[:next]
		s = s[next:]
		if val == "" {
			return "", floorgate.FieldErrorf("", "(%s) has no value", ai)
		}
		for j := 0; j < len(val); j++ {
			if val[j] < 0x21 || val[j] > 0x7e {
				return "", floorgate.FieldErrorf("", "(%s) value %q has a character GS1 does not allow", ai, val)
			}
		}
		if n, ok := gs1Predefined[ai[:2]]; ok {
			if len(ai)+len(val) != n {
				return "", floorgate.FieldErrorf("", "(%s) value %q must be %d characters", ai, val, n-len(ai))
			}
			switch ai {
			case "00", "01", "02":
				if err := checkDigit(val); err != nil {
					return "", floorgate.FieldErrorf("", "(%s) %v", ai, err)
				}
			}
			out.WriteString(ai + val)
			continue
		}
		out.WriteString(ai + val)
		if s != "" {
			out.WriteByte(0x1d)
		}
	}
	return out.String(), nil
}

// checkDigit verifies a GS1 mod-10 check digit: weights 3,1,3,… from the
// rightmost data digit.
func checkDigit(v string) error {
	sum := 0
	for i := len(v) - 2; i >= 0; i-- {
		c := v[i]
		if c < '0' || c > '9' {
			return fmt.Errorf("%q is not all digits", v)
		}
		w := 1
		if (len(v)-2-i)%2 == 0 {
			w = 3
		}
		sum += int(c-'0') * w
	}
	want := byte('0' + (10-sum%10)%10)
	if v[len(v)-1] != want {
		return fmt.Errorf("check digit of %q is %c, want %c", v, v[len(v)-1], want)
	}
	return nil
}
