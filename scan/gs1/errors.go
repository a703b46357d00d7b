package gs1

import "fmt"

// Rule names of Error. They are stable: callers may switch on them.
const (
	RuleForm       = "form"        // the scan's form cannot be read
	RuleUnknownAI  = "unknown_ai"  // an AI that GS1 does not define
	RuleMissingGS  = "missing_gs"  // a variable-length value runs past its maximum: a GS separator was lost
	RuleLength     = "length"      // a value too short or too long
	RuleCharset    = "charset"     // a character the AI's character set does not allow
	RuleCheckDigit = "check_digit" // a wrong check digit or check character pair
	RuleDate       = "date"        // not a date (month 13, day 32, day 00 where not allowed)
	RuleTime       = "time"        // not a time of day
	RuleValue      = "value"       // another content rule of the dictionary (country code, piece of total, …)
	RuleRequires   = "requires"    // an AI that another AI needs is missing
	RuleExcludes   = "excludes"    // two AIs that must not appear together
	RuleDuplicate  = "duplicate"   // one AI twice with different values
)

// Error is a precise reason a barcode is invalid.
type Error struct {
	AI     string // the AI concerned ("" for form errors)
	Rule   string // one of the Rule constants
	Reason string // plain English, naming the AI, its title and what is wrong
}

// Error implements the error interface.
func (e *Error) Error() string { return "gs1: " + e.Reason }

func errorf(ai, rule, format string, args ...any) *Error {
	return &Error{AI: ai, Rule: rule, Reason: fmt.Sprintf(format, args...)}
}

// label names an AI for a person: "(17) USE BY or EXPIRY", or "(8110)" when
// the dictionary gives no title.
func label(ai string) string {
	if i := lookupIndex(ai); i >= 0 && entries[i].Title != "" {
		return "(" + ai + ") " + entries[i].Title
	}
	return "(" + ai + ")"
}
