package gs1

import "testing"

func TestCheckDigit(t *testing.T) {
	tests := []struct {
		digits string
		want   byte
	}{
		{"400638133393", '1'},      // EAN-13 4006381333931
		{"03600029145", '2'},       // UPC-A 036000291452
		{"9638507", '4'},           // EAN-8 96385074
		{"1540014128876", '3'},     // ITF-14 15400141288763
		{"0950110153000", '3'},     // GTIN 09501101530003
		{"10614141234567890", '8'}, // SSCC 106141412345678908
		{"950110102091", '7'},      // GLN 9501101020917
		{"", '0'},
		{"12a4", 0},
	}
	for _, tt := range tests {
		if got := CheckDigit(tt.digits); got != tt.want {
			t.Errorf("CheckDigit(%q) = %q, want %q", tt.digits, got, tt.want)
		}
	}
}

func TestNormalizeGTIN(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"4006381333931", "04006381333931", true}, // EAN-13
		{"036000291452", "00036000291452", true},  // UPC-A
		{"96385074", "00000096385074", true},      // EAN-8
		{"15400141288763", "15400141288763", true},
		{"04006381333931", "04006381333931", true},
		{"4006381333932", "", false}, // check digit
		{"400638133393", "", false},  // 12 digits, wrong check digit
		{"40063813339311", "", false},
		{"1234567", "", false},
		{"400638133393A", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeGTIN(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeGTIN(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestGTINForms: one product, however it is printed, has one GTIN.
func TestGTINForms(t *testing.T) {
	for _, raw := range []string{
		"4006381333931",
		"]E04006381333931",
		"04006381333931",
		"(01)04006381333931",
		"]C10104006381333931",
		"https://example.com/01/04006381333931",
		"https://example.com/414/9501101020917?01=4006381333931", // query 01 padded to GTIN-14, as GS1's parser does
	} {
		b, err := Parse(raw)
		if err != nil {
			t.Fatalf("Parse(%q): %v", raw, err)
		}
		if g, ok := b.GTIN(); !ok || g != "04006381333931" {
			t.Errorf("GTIN of %q = %q, %v", raw, g, ok)
		}
	}
	for _, raw := range []string{"(01)09501101530004", "(00)106141412345678908", "]C0ABC", "(01)0950110153000"} {
		b, _ := Parse(raw)
		if g, ok := b.GTIN(); ok {
			t.Errorf("GTIN of %q = %q, want none", raw, g)
		}
	}
}
