package jsonlex_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/floorgate/floorgate/internal/jsonlex"
)

// The writers' contract: AppendString writes exactly what encoding/json
// writes for a string, copying text that needs no escaping; AppendFloat
// writes exactly what encoding/json writes for a float64, or nothing and
// false where encoding/json would write an exponent (or refuse the value).

const prefix = `{"k":`

func TestAppendString(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		plain bool // copied as it is, between quotes
	}{
		{"empty", "", true},
		{"device", "pda-07", true},
		{"EAN", "6901234567892", true},
		{"AIM id", "]E0", true},
		{"space and punctuation", "USB-C cable 1 m, (x2) #7 'a' ;:=?@[]^_`{|}~", true},
		{"slash", "a/b", true},
		{"DEL", "a\x7fb", true},
		{"Chinese", "商品已计数。请在5至10厘米距离内扫描。", true},
		{"en dash", "5–10 cm", true},
		{"four-byte UTF-8", "📦", true},
		{"U+FFFD itself", "\uFFFD", true},
		{"next to U+2028", "\u2027\u202a", true},
		{"E2 80 at the end", "a\u2000", true},

		{"GS1 group separator", "010690123456789221ABC\x1d10B1", false},
		{"NUL", "\x00", false},
		{"newline", "a\nb", false},
		{"tab", "\t", false},
		{"carriage return", "\r", false},
		{"unit separator", "\x1f", false},
		{"quote", `say "hi"`, false},
		{"backslash", `C:\temp`, false},
		{"less than", "a<b", false},
		{"HTML tag", "<b>", false},
		{"greater than", "a>b", false},
		{"ampersand", "R&D", false},
		{"U+2028", "a\u2028b", false},
		{"U+2029", "\u2029", false},
		{"U+2028 with Chinese", "库位\u2028A", false},
		{"invalid byte", "\xff", false},
		{"invalid after Chinese", "库\xff位", false},
		{"bare continuation", "a\x80", false},
		{"truncated sequence", "\xe5\xba", false},
		{"truncated U+2028", "\xe2\x80", false},
		{"overlong", "\xc0\xaf", false},
		{"UTF-8 of a surrogate", "\xed\xa0\x80", false},
		{"above U+10FFFF", "\xf4\x90\x80\x80", false},
		{"plain then escape", strings.Repeat("A", 100) + "\"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := jsonlex.AppendString([]byte(prefix), tt.in)
			if !bytes.HasPrefix(got, []byte(prefix)) || !bytes.Equal(got[len(prefix):], want) {
				t.Fatalf("%q: wrote %s, encoding/json %s", tt.in, got, want)
			}
			if tt.plain != (string(want) == `"`+tt.in+`"`) {
				t.Fatalf("%q: the table says plain=%v, encoding/json writes %s", tt.in, tt.plain, want)
			}
			// Plain text is copied, not handed to encoding/json.
			if tt.plain {
				buf := make([]byte, 0, len(tt.in)+2)
				if n := testing.AllocsPerRun(10, func() { buf = jsonlex.AppendString(buf[:0], tt.in) }); n != 0 {
					t.Errorf("%q: %v allocations, want it copied without any", tt.in, n)
				}
			}
		})
	}
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		ok   bool
	}{
		{"zero", 0, true},
		{"minus zero", math.Copysign(0, -1), true},
		{"distance", 72, true},
		{"fraction", 72.5, true},
		{"shortest repr", 73.19999999999999, true},
		{"tenth", 0.1, true},
		{"negative", -12.5, true},
		{"focal", 1507.2, true},
		{"large exact", 123456789.125, true},
		{"2^53+2", 9007199254740994, true},
		{"1e20", 1e20, true},
		{"just under 1e21", 999999999999999900000, true},
		{"largest below 1e21", math.Nextafter(1e21, 0), true},
		{"negative just under 1e21", -math.Nextafter(1e21, 0), true},
		{"1e-6", 1e-6, true},
		{"negative 1e-6", -1e-6, true},
		{"just over 1e-6", math.Nextafter(1e-6, 1), true},
		{"1.5e-6", 1.5e-6, true},

		{"1e21", 1e21, false},
		{"negative 1e21", -1e21, false},
		{"1e300", 1e300, false},
		{"max float64", math.MaxFloat64, false},
		{"just under 1e-6", math.Nextafter(1e-6, 0), false},
		{"1e-7", 1e-7, false},
		{"negative 5e-7", -5e-7, false},
		{"smallest denormal", math.SmallestNonzeroFloat64, false},
		{"+Inf", math.Inf(1), false},
		{"-Inf", math.Inf(-1), false},
		{"NaN", math.NaN(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := jsonlex.AppendFloat([]byte(prefix), tt.in)
			want, err := json.Marshal(tt.in)
			if ok != tt.ok {
				t.Fatalf("%v: ok %v, want %v (wrote %s; encoding/json %s, %v)", tt.in, ok, tt.ok, got, want, err)
			}
			if !ok {
				if string(got) != prefix {
					t.Fatalf("%v: reported false but appended: %s", tt.in, got)
				}
				// It gives way exactly where encoding/json refuses the
				// value or writes an exponent.
				if err == nil && !bytes.ContainsAny(want, "eE") {
					t.Fatalf("%v: gave way, encoding/json writes it plainly: %s", tt.in, want)
				}
				return
			}
			if err != nil || !bytes.Equal(got[len(prefix):], want) {
				t.Fatalf("%v: wrote %s, encoding/json %s (%v)", tt.in, got[len(prefix):], want, err)
			}
		})
	}
}
