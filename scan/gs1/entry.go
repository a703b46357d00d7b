package gs1

// Charset is a GS1 character set of an AI component.
type Charset byte

// The character sets of the Barcode Syntax Dictionary.
const (
	Numeric Charset = 'N' // digits 0-9
	CSet82  Charset = 'X' // GS1 AI encodable character set 82
	CSet39  Charset = 'Y' // GS1 AI encodable character set 39
	CSet64  Charset = 'Z' // GS1 AI encodable character set 64 (base64url)
)

// Component is one part of an AI's data field, e.g. N14 with the csum
// linter, or an optional X..17.
type Component struct {
	Charset  Charset
	Min, Max int
	Optional bool
	// Linters name the dictionary's content checks for the component
	// ("csum", "yymmd0", "iso3166", …). Validate runs those it knows and
	// skips the others.
	Linters []string
}

// Requirement is one req= attribute: the barcode must carry one of its
// alternatives, and an alternative is a group of AIs needed together. An AI
// in it may be a pattern where 'n' is any digit ("35nn").
type Requirement [][]string

// Entry is the dictionary entry of one AI.
type Entry struct {
	AI    string
	Title string
	// Fixed is the dictionary's "predefined length" flag: the AI's value
	// has a fixed length and needs no GS separator after it. An AI
	// without it ends with GS when another AI follows, whatever its
	// length.
	Fixed bool
	// DLAttribute: the AI may be a GS1 Digital Link query attribute.
	DLAttribute bool
	// DLPrimaryKey: the AI may start a Digital Link path; DLQualifiers
	// are the alternative ordered sequences of key qualifiers that may
	// follow it (any in-order subset of one alternative).
	DLPrimaryKey bool
	DLQualifiers [][]string
	// MinLength and MaxLength bound the value's length.
	MinLength, MaxLength int
	Components           []Component
	// Requires must all hold for the AI to be valid in a barcode.
	Requires []Requirement
	// Excludes are AIs (or patterns) that must not appear with this AI.
	Excludes []string
}
