package gs1

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Vectors follow the GS1 General Specifications (element strings, AIM
// symbology identifiers, check digits) and the GS1 Digital Link URI Syntax.
// The GTIN 09501101530003 and GLN 9501101020917 are GS1's own example keys;
// EAN-13 4006381333931, UPC-A 036000291452, EAN-8 96385074, ITF-14
// 15400141288763 and SSCC 106141412345678908 are published examples.

const gtin = "09501101530003"

func el(pairs ...string) []Element {
	out := make([]Element, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Element{AI: pairs[i], Value: pairs[i+1]})
	}
	return out
}

// problem is the Rule and AI an *Error must carry.
type problem struct{ rule, ai string }

func wantError(t *testing.T, what string, err error, want problem) {
	t.Helper()
	var ge *Error
	if !errors.As(err, &ge) {
		t.Fatalf("%s: want *Error{Rule: %q, AI: %q}, got %v", what, want.rule, want.ai, err)
	}
	if ge.Rule != want.rule || ge.AI != want.ai {
		t.Fatalf("%s: got Rule %q AI %q (%s), want Rule %q AI %q", what, ge.Rule, ge.AI, ge.Reason, want.rule, want.ai)
	}
	if ge.Reason == "" || ge.Error() == "" {
		t.Fatalf("%s: error without a reason", what)
	}
}

// TestParseValid: every form a scanner delivers, valid by GS1's rules.
func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		aim  string
		sym  string
		dl   bool
		els  []Element // nil: non-GS1 data
		gtin string    // "" when the barcode carries none
	}{
		// AIM symbology identifiers.
		{"GS1-128 with GS after a variable-length AI", "]C1010950110153000310ABC123\x1d17251231", "]C1", "GS1-128", false,
			el("01", gtin, "10", "ABC123", "17", "251231"), gtin},
		{"GS1-128 with leading FNC1 sent as GS", "]C1\x1d010950110153000310ABC123\x1d17251231", "]C1", "GS1-128", false,
			el("01", gtin, "10", "ABC123", "17", "251231"), gtin},
		{"GS1-128 variable-length AI last needs no GS", "]C10109501101530003172512311011A", "]C1", "GS1-128", false,
			el("01", gtin, "17", "251231", "10", "11A"), gtin},
		{"GS1-128 superfluous GS after a fixed-length AI", "]C10109501101530003\x1d17251231", "]C1", "GS1-128", false,
			el("01", gtin, "17", "251231"), gtin},
		{"GS1-128 SSCC", "]C100106141412345678908", "]C1", "GS1-128", false,
			el("00", "106141412345678908"), ""},
		{"GS1-128 GLN with extension", "]C14149501101020917254ROW3-BAY2", "]C1", "GS1-128", false,
			el("414", "9501101020917", "254", "ROW3-BAY2"), ""},
		{"GS1 DataMatrix", "]d201095011015300031725123110ABC123\x1d21XYZ789", "]d2", "GS1 DataMatrix", false,
			el("01", gtin, "17", "251231", "10", "ABC123", "21", "XYZ789"), gtin},
		{"GS1 QR Code", "]Q301095011015300033103000750", "]Q3", "GS1 QR Code", false,
			el("01", gtin, "3103", "000750"), gtin},
		{"GS1 DataBar", "]e0010950110153000317251231" + "10ABC", "]e0", "GS1 DataBar", false,
			el("01", gtin, "17", "251231", "10", "ABC"), gtin},
		{"GS1-128 bracketed after the AIM id", "]C1(01)09501101530003(10)ABC", "]C1", "GS1-128", false,
			el("01", gtin, "10", "ABC"), gtin},
		{"Code 128", "]C0A-01-02-03", "]C0", "Code 128", false, nil, ""},
		{"Code 128 with digits is not an EAN", "]C04006381333931", "]C0", "Code 128", false, nil, ""},
		{"Code 39", "]A0LOC-A0102", "]A0", "Code 39", false, nil, ""},
		{"Data Matrix plain text", "]d1ORDER 12345", "]d1", "Data Matrix", false, nil, ""},
		{"QR Code plain URL", "]Q1https://example.com/track?id=1", "]Q1", "QR Code", false, nil, ""},
		{"QR Code carrying a Digital Link", "]Q1https://id.gs1.org/01/09501101530003/10/ABC", "]Q1", "QR Code", true,
			el("01", gtin, "10", "ABC"), gtin},
		{"EAN-13", "]E04006381333931", "]E0", "EAN-13", false, nil, "04006381333931"},
		{"UPC-A as EAN-13 with leading 0", "]E00036000291452", "]E0", "UPC-A", false, nil, "00036000291452"},
		{"UPC-A as 12 digits", "]E0036000291452", "]E0", "UPC-A", false, nil, "00036000291452"},
		{"EAN-13 with 2-digit add-on", "]E3400638133393112", "]E3", "EAN-13", false, nil, "04006381333931"},
		{"EAN-8", "]E496385074", "]E4", "EAN-8", false, nil, "00000096385074"},
		{"ITF-14", "]I115400141288763", "]I1", "ITF-14", false, nil, "15400141288763"},
		{"ITF not 14 digits", "]I1123456", "]I1", "ITF", false, nil, ""},
		{"unknown AIM id kept", "]X0ABC", "]X0", "unknown", false, nil, ""},
		{"unknown AIM id with GS1 element strings", "]J1010950110153000310AB\x1d17251231", "]J1", "unknown", false,
			el("01", gtin, "10", "AB", "17", "251231"), gtin},

		// No AIM id: GS1 element strings.
		{"leading GS is FNC1", "\x1d010950110153000310ABC123\x1d17251231", "", "unknown", false,
			el("01", gtin, "10", "ABC123", "17", "251231"), gtin},
		{"GS between elements", "010950110153000310ABC123\x1d17251231", "", "unknown", false,
			el("01", gtin, "10", "ABC123", "17", "251231"), gtin},

		// No AIM id: bracketed.
		{"bracketed", "(01)09501101530003(10)ABC(17)251231", "", "unknown", false,
			el("01", gtin, "10", "ABC", "17", "251231"), gtin},
		{"bracketed, escaped bracket in a value", `(01)09501101530003(10)AB\(C)D`, "", "unknown", false,
			el("01", gtin, "10", "AB(C)D"), gtin},
		{"bracketed logistic label: SSCC, CONTENT, COUNT", "(00)106141412345678908(02)09501101530003(37)12", "", "unknown", false,
			el("00", "106141412345678908", "02", gtin, "37", "12"), gtin},

		// No AIM id: Digital Link.
		{"Digital Link", "https://example.com/01/09501101530003/10/ABC?17=251231", "", "GS1 Digital Link", true,
			el("01", gtin, "10", "ABC", "17", "251231"), gtin},
		{"Digital Link with path prefix and all qualifiers", "https://brand.example/shop/p/01/09501101530003/22/2A/10/ABC/21/S%2F1", "", "GS1 Digital Link", true,
			el("01", gtin, "22", "2A", "10", "ABC", "21", "S/1"), gtin},
		{"Digital Link percent-encoding and + in the query", "https://example.com/01/09501101530003/10/A%2BB%25?3103=000750&7002=BEEF%2DRIB", "", "GS1 Digital Link", true,
			el("01", gtin, "10", "A+B%", "3103", "000750", "7002", "BEEF-RIB"), gtin},
		{"Digital Link unknown query parameters ignored", "https://example.com/01/09501101530003?linkType=gs1:pip&17=251231&lang&context=dscsa", "", "GS1 Digital Link", true,
			el("01", gtin, "17", "251231"), gtin},
		{"Digital Link fragment ignored", "https://example.com/01/09501101530003?17=251231#top", "", "GS1 Digital Link", true,
			el("01", gtin, "17", "251231"), gtin},
		{"Digital Link upper-case scheme", "HTTPS://EXAMPLE.COM/01/09501101530003", "", "GS1 Digital Link", true,
			el("01", gtin), gtin},
		{"Digital Link stops at the rightmost key", "http://a/00/faux/00/106141412345678908", "", "GS1 Digital Link", true,
			el("00", "106141412345678908"), ""},
		{"Digital Link GLN with extension", "https://example.com/414/9501101020917/254/ROW3", "", "GS1 Digital Link", true,
			el("414", "9501101020917", "254", "ROW3"), ""},
		{"Digital Link ITIP", "https://example.com/8006/095011015300030102/10/L1", "", "GS1 Digital Link", true,
			el("8006", "095011015300030102", "10", "L1"), ""},

		// No AIM id: plain numbers.
		{"plain EAN-13", "4006381333931", "", "EAN-13", false, nil, "04006381333931"},
		{"plain UPC-A", "036000291452", "", "UPC-A", false, nil, "00036000291452"},
		{"plain EAN-8", "96385074", "", "EAN-8", false, nil, "00000096385074"},
		{"plain ITF-14", "15400141288763", "", "ITF-14", false, nil, "15400141288763"},
		{"plain 13 digits with a wrong check digit", "4006381333932", "", "unknown", false, nil, ""},
		{"plain text", "A-01-02", "", "unknown", false, nil, ""},
		{"plain URL without a GS1 key", "https://example.com/about/us", "", "unknown", false, nil, ""},
		{"plain URL with a GS1-looking segment", "https://example.com/00/index.html", "", "unknown", false, nil, ""},
		{"empty", "", "", "unknown", false, nil, ""},
		{"text starting with a bracket", "(see note)", "", "unknown", false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.raw, err)
			}
			if b.Raw != tt.raw || b.AIM+b.Data != tt.raw {
				t.Errorf("Raw %q, AIM %q, Data %q: do not add up to the input", b.Raw, b.AIM, b.Data)
			}
			if b.AIM != tt.aim || b.Symbology != tt.sym || b.DigitalLink != tt.dl {
				t.Errorf("got AIM %q Symbology %q DigitalLink %v, want %q %q %v", b.AIM, b.Symbology, b.DigitalLink, tt.aim, tt.sym, tt.dl)
			}
			if !reflect.DeepEqual(b.Elements, tt.els) {
				t.Errorf("Elements %q, want %q", b.Elements, tt.els)
			}
			if err := b.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			g, ok := b.GTIN()
			if g != tt.gtin || ok != (tt.gtin != "") {
				t.Errorf("GTIN() = %q, %v; want %q", g, ok, tt.gtin)
			}
		})
	}
}

// TestEquivalentForms: the bracketed form and Digital Link give the same
// elements as the element string.
func TestEquivalentForms(t *testing.T) {
	want := el("01", gtin, "10", "ABC", "17", "251231")
	for _, raw := range []string{
		"]C1010950110153000310ABC\x1d17251231",
		"(01)09501101530003(10)ABC(17)251231",
		"https://example.com/01/09501101530003/10/ABC?17=251231",
		"https://id.gs1.org/01/09501101530003/10/%41BC?17=%32%35%31%32%33%31",
	} {
		b, err := Parse(raw)
		if err != nil {
			t.Fatalf("Parse(%q): %v", raw, err)
		}
		if !reflect.DeepEqual(b.Elements, want) {
			t.Errorf("Parse(%q).Elements = %q, want %q", raw, b.Elements, want)
		}
	}
}

// TestParseErrors: forms that cannot be read.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want problem
	}{
		// A keyboard-wedge scanner dropped the GS after (10): the
		// batch swallows (17) and (21).
		{"missing GS after batch", "]C1010950110153000310ABC1234567817251231" + "21SERIAL", problem{RuleMissingGS, "10"}},
		{"missing GS after serial", "]d2010950110153000321SERIAL1234567890123410ABC", problem{RuleMissingGS, "21"}},
		{"missing GS without AIM id", "\x1d0109501101530003" + "10ABCDEFGHIJKLMNOPQRSTU", problem{RuleMissingGS, "10"}},
		{"fixed-length AI cut short", "]C1010950110153", problem{RuleLength, "01"}},
		{"fixed-length AI cut by GS", "]C1010950110\x1d153000310A", problem{RuleLength, "01"}},
		{"empty value", "]C10109501101530003" + "10\x1d17251231", problem{RuleLength, "10"}},
		{"unknown AI", "]C1" + gtinElement + "2391X", problem{RuleUnknownAI, "239"}},
		{"unassigned AI prefix", "]C10501234", problem{RuleUnknownAI, "05"}},
		{"not an AI", "]C1ABC", problem{RuleForm, ""}},
		{"data ends inside an AI", "]C1" + gtinElement + "4", problem{RuleForm, ""}},
		{"GS1 AIM id without data", "]C1", problem{RuleForm, ""}},
		{"GS1 DataMatrix holding a URL", "]d2https://example.com/01/09501101530003", problem{RuleForm, ""}},
		{"bracketed unknown AI", "(01)09501101530003(23)X", problem{RuleUnknownAI, "23"}},
		{"bracketed unbalanced", "(01)09501101530003(10ABC", problem{RuleForm, ""}},
		{"bracketed unclosed", "(01", problem{RuleForm, ""}},
		{"bracketed AI not digits", "(0A)123", problem{RuleForm, ""}},
		{"bracketed empty value", "(01)(10)ABC", problem{RuleLength, "01"}},
		{"Digital Link odd path", "https://example.com/01/09501101530003/10", problem{RuleForm, "01"}},
		{"Digital Link trailing slash", "https://example.com/01/09501101530003/", problem{RuleForm, "01"}},
		{"Digital Link qualifier out of order", "https://example.com/01/09501101530003/21/S1/10/ABC", problem{RuleForm, "10"}},
		{"Digital Link non-qualifier in the path", "https://example.com/01/09501101530003/17/251231", problem{RuleForm, "17"}},
		{"Digital Link qualifier alternatives mixed", "https://example.com/01/09501101530003/22/A/235/TPX", problem{RuleForm, "235"}},
		{"Digital Link key without qualifiers", "https://example.com/00/106141412345678908/10/ABC", problem{RuleForm, "10"}},
		{"Digital Link qualifier in the query", "https://example.com/01/09501101530003?10=ABC", problem{RuleForm, "10"}},
		{"Digital Link non-attribute in the query", "https://example.com/01/09501101530003/10/ABC?21=S1", problem{RuleForm, "21"}},
		{"Digital Link unknown numeric query key", "https://example.com/01/09501101530003?99999=1", problem{RuleUnknownAI, "99999"}},
		{"Digital Link empty path value", "https://example.com/01//10/ABC", problem{RuleLength, "01"}},
		{"Digital Link empty query value", "https://example.com/01/09501101530003?17=", problem{RuleLength, "17"}},
		{"Digital Link encoded NUL", "https://example.com/01/09501101530003/10/A%00", problem{RuleForm, "10"}},
		{"Digital Link without host", "https:///01/09501101530003", problem{RuleForm, ""}},
		{"Digital Link with a space", "https://example.com/01/09501101530003/10/A B", problem{RuleForm, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Parse(tt.raw)
			wantError(t, "Parse("+tt.raw+")", err, tt.want)
			if b.Raw != tt.raw || b.AIM+b.Data != tt.raw || b.Elements != nil {
				t.Errorf("on error: Raw %q AIM %q Data %q Elements %q", b.Raw, b.AIM, b.Data, b.Elements)
			}
		})
	}
}

const gtinElement = "01" + gtin

// TestValidate: content rules of the dictionary.
func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want *problem // nil: valid
	}{
		{"check digit", "(01)09501101530004", &problem{RuleCheckDigit, "01"}},
		{"SSCC", "(00)106141412345678908", nil},
		{"SSCC check digit", "(00)106141412345678909", &problem{RuleCheckDigit, "00"}},
		{"GLN with extension", "(414)9501101020917(254)32a", nil},
		{"GLN check digit", "(414)9501101020918(254)32a", &problem{RuleCheckDigit, "414"}},
		{"GLN extension without GLN", "(254)32a", &problem{RuleRequires, "254"}},
		{"month 13", "(01)09501101530003(17)251301", &problem{RuleDate, "17"}},
		{"day 32", "(01)09501101530003(17)250132", &problem{RuleDate, "17"}},
		{"April 31", "(01)09501101530003(17)250431", &problem{RuleDate, "17"}},
		{"February 29 in a leap year", "(01)09501101530003(17)240229", nil},
		{"February 29 otherwise", "(01)09501101530003(17)250229", &problem{RuleDate, "17"}},
		{"day 00 allowed for expiry (yymmd0)", "(01)09501101530003(17)251200", nil},
		{"day 00 allowed for production date (yymmd0 in this release)", "(01)09501101530003(11)251200", nil},
		{"day 00 not allowed for first freeze date (yymmdd)", "(01)09501101530003(7006)251200", &problem{RuleDate, "7006"}},
		{"day 00 not allowed for release date (yymmdd)", "(00)106141412345678908(4326)251200", &problem{RuleDate, "4326"}},
		{"expiry time", "(01)09501101530003(7003)2512312359", nil},
		{"expiry time minute 60", "(01)09501101530003(7003)2512312360", &problem{RuleTime, "7003"}},
		{"production time hour 24", "(01)09501101530003(8008)25123124", &problem{RuleTime, "8008"}},
		{"batch needs a GTIN", "(10)ABC", &problem{RuleRequires, "10"}},
		{"batch with ITIP", "(8006)095011015300030102(10)ABC", nil},
		{"requirement group: active potency needs GTIN with batch", "(01)09501101530003(7004)12", &problem{RuleRequires, "7004"}},
		{"requirement group met", "(01)09501101530003(10)L1(7004)12", nil},
		{"two req= both needed", "(01)09501101530003(250)SEC1", &problem{RuleRequires, "250"}},
		{"two req= met", "(01)09501101530003(21)S1(250)SEC1", nil},
		{"pattern requirement: price needs a measure", "(01)09501101530003(3922)599", &problem{RuleRequires, "3922"}},
		{"pattern requirement met by (3103)", "(01)09501101530003(3103)000750(3922)599", nil},
		{"CONTENT excludes GTIN", "(01)09501101530003(02)09501101530003", &problem{RuleExcludes, "02"}},
		{"GTIN excludes COUNT", "(01)09501101530003(37)5", &problem{RuleExcludes, "01"}},
		{"ITIP excludes GTIN", "(01)09501101530003(8006)095011015300030102", &problem{RuleExcludes, "8006"}},
		{"pattern exclusion: two net weights in kg", "(01)09501101530003(3103)000750(3102)007500", &problem{RuleExcludes, "3103"}},
		{"an AI does not exclude itself", "(01)09501101530003(3103)000750(3103)000750", nil},
		{"duplicate with different values", "(01)09501101530003(10)A(10)B", &problem{RuleDuplicate, "10"}},
		{"duplicate with the same value", "(01)09501101530003(10)A(10)A", nil},
		{"lowercase allowed in CSET 82", "(01)09501101530003(10)abc-1/2", nil},
		{"space not in CSET 82", "(01)09501101530003(10)AB C", &problem{RuleCharset, "10"}},
		{"letter in a numeric AI", "(01)0950110153000A", &problem{RuleCharset, "01"}},
		{"lowercase not in CSET 39", "(8010)9501101ab(8011)1", &problem{RuleCharset, "8010"}},
		{"CSET 39", "(8010)9501101AB-#/(8011)1", nil},
		{"fixed length too short", "(01)09501101530003(17)2512", &problem{RuleLength, "17"}},
		{"variable length too long", "(01)09501101530003(10)ABCDEFGHIJKLMNOPQRSTU", &problem{RuleLength, "10"}},
		{"optional component cut", "(01)09501101530003(423)03804", &problem{RuleLength, "423"}},
		{"optional components", "(01)09501101530003(423)380040", nil},
		{"country code form", "(00)106141412345678908(4307)us", &problem{RuleValue, "4307"}},
		{"country code", "(00)106141412345678908(4307)US", nil},
		{"piece of total", "(8006)095011015300030302", &problem{RuleValue, "8006"}},
		{"GMN check character pair", "(8013)1987654Ad4X4bL5ttr2310c2K", nil},
		{"GMN check character pair wrong", "(8013)1987654Ad4X4bL5ttr2310cXK", &problem{RuleCheckDigit, "8013"}},
		{"unknown linter skipped", "(8110)0095011015300031234567", nil},
		{"GRAI", "(8003)09501101020917ABC", nil},
		{"GRAI needs a zero", "(8003)19501101020917ABC", &problem{RuleValue, "8003"}},
		{"dimensions must not be zero", "(01)09501101530003(8001)00000123451001", &problem{RuleValue, "8001"}},
		{"IBAN", "(415)9501101020917(8020)INV1(8007)GB82WEST12345698765432", nil},
		{"IBAN check digits", "(415)9501101020917(8020)INV1(8007)GB83WEST12345698765432", &problem{RuleCheckDigit, "8007"}},
		{"digital signature base64url", "(00)106141412345678908(8030)QUJD-_x", nil},
	}
	// Vectors whose elements the bracketed oracle cannot read.
	others := []struct {
		name string
		raw  string
		els  []Element
		want *problem
	}{
		{"Digital Link content is validated", "https://example.com/01/09501101530003?17=251301", el("01", gtin, "17", "251301"), &problem{RuleDate, "17"}},
		{"Digital Link GLN extension charset", "https://example.com/414/9501101020917/254/A%20B", el("414", "9501101020917", "254", "A B"), &problem{RuleCharset, "254"}},
		{"Digital Link requirement", "https://example.com/414/9501101020917?17=251231", el("414", "9501101020917", "17", "251231"), &problem{RuleRequires, "17"}},
		{"EAN-13 symbol check digit", "]E04006381333932", nil, &problem{RuleCheckDigit, ""}},
		{"EAN-13 symbol length", "]E012345", nil, &problem{RuleLength, ""}},
		{"EAN-8 symbol not digits", "]E49638507A", nil, &problem{RuleCharset, ""}},
		{"ITF-14 symbol check digit", "]I115400141288764", nil, &problem{RuleCheckDigit, ""}},
		{"plain data is not GS1's to judge", "]C0ANYTHING at all", nil, nil},
		{"element string: GTIN excludes COUNT", "]C10109501101530003375\x1d17251231", el("01", gtin, "37", "5", "17", "251231"), &problem{RuleExcludes, "01"}},
	}
	for _, o := range others {
		tests = append(tests, struct {
			name string
			raw  string
			want *problem
		}{o.name, o.raw, o.want})
	}
	wantEls := map[string][]Element{}
	for _, o := range others {
		wantEls[o.raw] = o.els
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.raw, err)
			}
			want := wantEls[tt.raw]
			if strings.HasPrefix(tt.raw, "(") {
				want = splitBracketed(tt.raw)
			}
			if !reflect.DeepEqual(b.Elements, want) {
				t.Fatalf("Parse(%q).Elements = %q, want %q", tt.raw, b.Elements, want)
			}
			err = b.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate(%q): %v", tt.raw, err)
				}
				return
			}
			wantError(t, "Validate("+tt.raw+")", err, *tt.want)
		})
	}
}

// splitBracketed reads the bracketed form with a regular expression, an
// oracle independent of the parser (no escapes in these vectors).
func splitBracketed(s string) []Element {
	var out []Element
	for _, m := range regexp.MustCompile(`\((\d+)\)([^(]*)`).FindAllStringSubmatch(s, -1) {
		out = append(out, Element{AI: m[1], Value: m[2]})
	}
	return out
}

// TestValidateUnknownAI: an element built by hand with an AI GS1 does not
// define.
func TestValidateUnknownAI(t *testing.T) {
	b := Barcode{Elements: el("01", gtin, "239", "X")}
	wantError(t, "Validate", b.Validate(), problem{RuleUnknownAI, "239"})
}

// TestValidateManyElements takes the path for barcodes with more elements
// than Validate's stack buffer.
func TestValidateManyElements(t *testing.T) {
	els := el("01", gtin)
	for i := 0; i < 30; i++ {
		els = append(els, Element{AI: "91", Value: "X"}) // same value: fine
	}
	if err := (Barcode{Elements: els}).Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	els = append(els, Element{AI: "91", Value: "Y"})
	wantError(t, "Validate", Barcode{Elements: els}.Validate(), problem{RuleDuplicate, "91"})
}

// TestReason: the reasons a person reads name the AI, its title and the
// fault.
func TestReason(t *testing.T) {
	tests := []struct{ raw, reason string }{
		{"(01)09501101530003(17)251301", "(17) USE BY or EXPIRY: month 13 is not a month"},
		{"]C1010950110153000310ABC1234567817251231XY", "(10) BATCH/LOT: value longer than 20 characters — a GS separator is probably missing after it"},
		{"(01)09501101530004", "(01) GTIN: check digit 4 is wrong, should be 3"},
		{"(10)ABC", "(10) BATCH/LOT needs (01) GTIN, (02) CONTENT, (03) MTO GTIN, (8006) ITIP or (8026) ITIP CONTENT in the same barcode"},
		{"(01)09501101530003(10)AB C", `(10) BATCH/LOT: " " at position 3 is not allowed (GS1 AI encodable character set 82)`},
	}
	for _, tt := range tests {
		b, err := Parse(tt.raw)
		if err == nil {
			err = b.Validate()
		}
		var ge *Error
		if !errors.As(err, &ge) || ge.Reason != tt.reason {
			t.Errorf("%q: got %v, want reason %q", tt.raw, err, tt.reason)
		}
	}
}

func TestGet(t *testing.T) {
	b, err := Parse("(01)09501101530003(10)A(10)A")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := b.Get("10"); !ok || v != "A" {
		t.Errorf("Get(10) = %q, %v", v, ok)
	}
	if _, ok := b.Get("21"); ok {
		t.Error("Get(21) found an AI the barcode does not carry")
	}
}
