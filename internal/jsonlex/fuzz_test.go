package jsonlex_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/floorgate/floorgate/internal/jsonlex"
)

// The fuzz targets hold jsonlex to encoding/json on any input: whatever
// the reader takes, encoding/json takes and decodes to the same value (so
// what encoding/json refuses, the reader never takes); whatever the
// writers write is what encoding/json writes, and decodes back.

// FuzzStr reads one string value.
func FuzzStr(f *testing.F) {
	for _, s := range []string{`"pda-07-000103"`, `""`, ` "6901234567892" `, `"]E0"`,
		`"商品已计数。请在5至10厘米距离内扫描。"`, `"5–10 cm"`, "\"a\u2028b\"", `"\u001d10B1"`,
		"\"01\x1d10\"", "\"\xff\"", "\"\xed\xa0\x80\"", `"a\"b"`, `"abc`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l := jsonlex.New(b)
		got := l.Str()
		if l.End() != nil {
			return
		}
		var want string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("jsonlex took %q as %q, encoding/json refuses it: %v", b, got, err)
		}
		if got != want {
			t.Fatalf("%q: jsonlex %q, encoding/json %q", b, got, want)
		}
	})
}

// FuzzInt reads one integer into an int.
func FuzzInt(f *testing.F) {
	for _, s := range []string{`0`, `-0`, `1`, `1300`, `-3`, `9223372036854775807`, `-9223372036854775808`,
		`9223372036854775808`, `01`, `-`, `1.0`, `1e3`, `+1`, ` 7 `, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l := jsonlex.New(b)
		got := l.Int()
		if l.End() != nil {
			return
		}
		var want int
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("jsonlex took %q as %d, encoding/json refuses it: %v", b, got, err)
		}
		if got != want {
			t.Fatalf("%q: jsonlex %d, encoding/json %d", b, got, want)
		}
	})
}

// FuzzFloat reads one number into a float64.
func FuzzFloat(f *testing.F) {
	for _, s := range []string{`72`, `72.5`, `-0`, `0.1`, `132.4`, `1507.2`, `1e2`, `2E-1`, `1.5e+3`,
		`1.7976931348623157e308`, `5e-324`, `1e-400`, `1e400`, `01`, `1.`, `.5`, `1e`, `-`, `NaN`,
		`3.14159265358979323846264338327950288419716939937510`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l := jsonlex.New(b)
		got := l.Float()
		if l.End() != nil {
			return
		}
		var want float64
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("jsonlex took %q as %v, encoding/json refuses it: %v", b, got, err)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: jsonlex %v, encoding/json %v", b, got, want)
		}
	})
}

// FuzzAppendString writes any text as a string.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "pda-07-000103", "6901234567892", "]E0", "010690123456789221ABC\x1d10B1",
		"商品已计数。请在5至10厘米距离内扫描。", "5–10 cm", "<b>R&D</b>", `say "hi" \o/`, "a\u2028b\u2029",
		"\xff", "库\xe5\xba", "\xed\xa0\x80", "a\x7f", "\t\n\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := jsonlex.AppendString([]byte(prefix), s)
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(got, []byte(prefix)) || !bytes.Equal(got[len(prefix):], want) {
			t.Fatalf("%q: wrote %s, encoding/json %s", s, got, want)
		}
		out := got[len(prefix):]
		if !json.Valid(out) {
			t.Fatalf("%q: wrote invalid JSON %s", s, out)
		}
		// It decodes back to s, each invalid byte as U+FFFD.
		var back string
		if err := json.Unmarshal(out, &back); err != nil || back != string([]rune(s)) {
			t.Fatalf("%q: %s decodes to %q (%v)", s, out, back, err)
		}
	})
}

// FuzzAppendFloat writes any float64.
func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, math.Copysign(0, -1), 72, 72.5, 132.4, 73.19999999999999, 0.1, -12.5,
		1e20, math.Nextafter(1e21, 0), 1e21, 1e-6, math.Nextafter(1e-6, 0), 1e-7, 5e-324,
		math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN()} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		got, ok := jsonlex.AppendFloat([]byte(prefix), v)
		want, err := json.Marshal(v)
		exponent := err == nil && strings.ContainsAny(string(want), "eE")
		if !ok {
			if string(got) != prefix {
				t.Fatalf("%v: reported false but appended: %s", v, got)
			}
			if err == nil && !exponent {
				t.Fatalf("%v: gave way, encoding/json writes it plainly: %s", v, want)
			}
			return
		}
		out := got[len(prefix):]
		if err != nil || exponent || !bytes.Equal(out, want) {
			t.Fatalf("%v: wrote %s, encoding/json %s (%v)", v, out, want, err)
		}
		var back float64
		if err := json.Unmarshal(out, &back); err != nil || math.Float64bits(back) != math.Float64bits(v) {
			t.Fatalf("%v: %s decodes to %v (%v)", v, out, back, err)
		}
	})
}
