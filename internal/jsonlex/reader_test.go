package jsonlex_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/floorgate/floorgate/internal/jsonlex"
)

// The reader's contract: it takes only plain forms and gives way
// (ErrSlowPath) on anything else; whatever it takes, encoding/json takes
// too and decodes to the same value. Each table lists inputs with
// fast=true where the reader must take them itself, fast=false where it
// must give way.

// checkScalar holds one read of a lone value (read, then End) to the
// contract: fast inputs are taken and decode as encoding/json decodes them
// into the same Go type; the rest give way with ErrSlowPath.
func checkScalar[T any](t *testing.T, in string, fast bool, read func(*jsonlex.Lexer) T, same func(a, b T) bool) {
	t.Helper()
	l := jsonlex.New([]byte(in))
	got := read(l)
	err := l.End()
	if !fast {
		if !errors.Is(err, jsonlex.ErrSlowPath) {
			t.Fatalf("%q: took %v (err %v), want ErrSlowPath", in, got, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: gave way (%v), want it taken", in, err)
	}
	var want T
	if err := json.Unmarshal([]byte(in), &want); err != nil {
		t.Fatalf("%q: taken as %v, encoding/json refuses it: %v", in, got, err)
	}
	if !same(got, want) {
		t.Fatalf("%q: got %#v, encoding/json %#v", in, got, want)
	}
}

func equal[T comparable](a, b T) bool { return a == b }

// sameFloat tells -0 from 0.
func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func TestStr(t *testing.T) {
	tests := []struct {
		name string
		in   string
		fast bool
	}{
		{"plain", `"pda-07-000103"`, true},
		{"empty", `""`, true},
		{"space around", " \t\r\n\"6901234567892\" \n", true},
		{"AIM id", `"]E0"`, true},
		{"Chinese", `"商品已计数。请在5至10厘米距离内扫描。"`, true},
		{"en dash", `"Scan from 5–10 cm away."`, true},
		{"four-byte UTF-8", `"📦 A-01"`, true},
		{"DEL is not a control character", "\"a\x7fb\"", true},
		{"HTML specials are plain when read", `"<b>&amp;</b>"`, true},
		{"slash", `"a/b"`, true},
		{"raw U+2028", "\"a\u2028b\"", true},
		{"U+FFFD itself", "\"\uFFFD\"", true},

		{"escaped quote", `"a\"b"`, false},
		{"escaped backslash", `"a\\b"`, false},
		{"escaped slash", `"a\/b"`, false},
		{"escaped newline", `"a\nb"`, false},
		{"unicode escape", `"\u0041"`, false},
		{"GS as escape", `"\u001d10B1"`, false},
		{"surrogate pair escape", `"\ud83d\udce6"`, false},
		{"lone surrogate escape", `"\ud83d"`, false},
		{"bad escape", `"\x"`, false},
		{"raw GS", "\"01\x1d10\"", false},
		{"raw tab", "\"a\tb\"", false},
		{"raw newline", "\"a\nb\"", false},
		{"raw NUL", "\"\x00\"", false},
		{"invalid byte", "\"\xff\"", false},
		{"bare continuation byte", "\"a\x80\"", false},
		{"truncated sequence", "\"\xe5\xba\"", false},
		{"overlong slash", "\"\xc0\xaf\"", false},
		{"UTF-8 of a surrogate", "\"\xed\xa0\x80\"", false},
		{"above U+10FFFF", "\"\xf4\x90\x80\x80\"", false},
		{"null", `null`, false},
		{"number", `12`, false},
		{"bool", `true`, false},
		{"single quotes", `'a'`, false},
		{"unterminated", `"abc`, false},
		{"quote only", `"`, false},
		{"empty input", ``, false},
		{"space only", ` `, false},
		{"two strings", `"a" "b"`, false},
		{"trailing junk", `"a"x`, false},
		{"trailing comma", `"a",`, false},
		{"form feed is not space", "\f\"a\"", false},
		{"NBSP is not space", "\u00a0\"a\"", false},
		{"BOM", "\ufeff\"a\"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkScalar(t, tt.in, tt.fast, (*jsonlex.Lexer).Str, equal[string])
		})
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		name string
		in   string
		fast bool
	}{
		{"zero", `0`, true},
		{"minus zero", `-0`, true},
		{"one", `1`, true},
		{"qty", `12`, true},
		{"negative", `-3`, true},
		{"hz", ` 1300 `, true},
		{"max int64", `9223372036854775807`, true},
		{"min int64", `-9223372036854775808`, true},

		{"over max int64", `9223372036854775808`, false},
		{"under min int64", `-9223372036854775809`, false},
		{"twenty digits", `18446744073709551616`, false},
		{"leading zero", `01`, false},
		{"leading zeros", `007`, false},
		{"double zero", `00`, false},
		{"negative leading zero", `-01`, false},
		{"fraction", `1.5`, false},
		{"zero fraction", `1.0`, false},
		{"exponent", `1e3`, false},
		{"capital exponent", `1E3`, false},
		{"zero exponent", `0e0`, false},
		{"minus only", `-`, false},
		{"minus space", `- 1`, false},
		{"plus", `+1`, false},
		{"hex", `0x10`, false},
		{"underscore", `1_000`, false},
		{"dot first", `.5`, false},
		{"dot last", `1.`, false},
		{"quoted", `"1"`, false},
		{"null", `null`, false},
		{"true", `true`, false},
		{"empty input", ``, false},
		{"two numbers", `1 2`, false},
		{"trailing junk", `1x`, false},
		{"NaN", `NaN`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkScalar(t, tt.in, tt.fast, (*jsonlex.Lexer).Int, equal[int])
		})
	}
}

func TestFloat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		fast bool
	}{
		{"zero", `0`, true},
		{"minus zero", `-0`, true},
		{"minus zero fraction", `-0.0`, true},
		{"distance", `72`, true},
		{"fraction", `72.5`, true},
		{"negative", `-12.25`, true},
		{"tenth", `0.1`, true},
		{"exponent", `1e2`, true},
		{"capital exponent", `2E-1`, true},
		{"plus exponent", `1.5e+3`, true},
		{"zero exponent", `0e0`, true},
		{"exponent leading zeros", `1e007`, true},
		{"long mantissa", `3.14159265358979323846264338327950288419716939937510`, true},
		{"many digits", `123456789012345678901234567890`, true},
		{"halfway rounding", `9007199254740993`, true},
		{"max float64", `1.7976931348623157e308`, true},
		{"smallest denormal", `5e-324`, true},
		{"underflow to zero", `1e-400`, true},
		{"negative underflow", `-1e-400`, true},
		{"focal", ` 1507.2 `, true},

		{"overflow", `1e400`, false},
		{"negative overflow", `-1e400`, false},
		{"just over max", `1.7976931348623159e308`, false},
		{"leading zero", `01`, false},
		{"leading zero fraction", `01.5`, false},
		{"negative leading zero", `-01`, false},
		{"dot first", `.5`, false},
		{"minus dot", `-.5`, false},
		{"dot last", `1.`, false},
		{"dot exponent", `1.e3`, false},
		{"exponent without digits", `1e`, false},
		{"exponent sign only", `1e+`, false},
		{"exponent minus only", `1E-`, false},
		{"two dots", `1.5.2`, false},
		{"two exponents", `1e2e3`, false},
		{"minus only", `-`, false},
		{"plus", `+1`, false},
		{"hex float", `0x1p3`, false},
		{"underscore", `1_000.5`, false},
		{"NaN", `NaN`, false},
		{"Infinity", `Infinity`, false},
		{"quoted", `"72.5"`, false},
		{"null", `null`, false},
		{"empty input", ``, false},
		{"trailing junk", `72mm`, false},
		{"comma decimal", `72,5`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkScalar(t, tt.in, tt.fast, (*jsonlex.Lexer).Float, sameFloat)
		})
	}
}

func TestBool(t *testing.T) {
	tests := []struct {
		name string
		in   string
		fast bool
	}{
		{"true", `true`, true},
		{"false", `false`, true},
		{"space around", "\n\ttrue ", true},

		{"capital", `True`, false},
		{"upper", `FALSE`, false},
		{"truncated true", `tru`, false},
		{"truncated false", `fals`, false},
		{"longer word", `truex`, false},
		{"misspelt true", `trve`, false},
		{"misspelt false", `fa1se`, false},
		{"falsey", `falsey`, false},
		{"number", `1`, false},
		{"zero", `0`, false},
		{"quoted", `"true"`, false},
		{"null", `null`, false},
		{"empty input", ``, false},
		{"two bools", `true false`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkScalar(t, tt.in, tt.fast, (*jsonlex.Lexer).Bool, equal[bool])
		})
	}
}

// TestObjectAndKey reads objects of strings, taking any key, so Key and
// Object are tested on their own: they must read the keys and values
// encoding/json reads, in order, and give way on anything but the plain
// form.
func TestObjectAndKey(t *testing.T) {
	type kv struct{ K, V string }
	tests := []struct {
		name string
		in   string
		want []kv // nil: must give way
	}{
		{"empty", `{}`, []kv{}},
		{"empty with space", "{ \t\r\n}", []kv{}},
		{"one", `{"type":"next"}`, []kv{{"type", "next"}}},
		{"two", `{"type":"next","id":"N-0003"}`, []kv{{"type", "next"}, {"id", "N-0003"}}},
		{"space everywhere", " { \"type\" :\t\"next\" ,\r\n\"id\" : \"N-1\" } ", []kv{{"type", "next"}, {"id", "N-1"}}},
		{"duplicate keys in order", `{"id":"a","id":"b"}`, []kv{{"id", "a"}, {"id", "b"}}},
		{"empty key", `{"":"x"}`, []kv{{"", "x"}}},
		{"Chinese key", `{"库位":"A-01"}`, []kv{{"库位", "A-01"}}},

		{"escaped key", `{"\u0074ype":"next"}`, nil},
		{"escaped quote in key", `{"a\"b":"x"}`, nil},
		{"key without quotes", `{type:"next"}`, nil},
		{"number key", `{1:"x"}`, nil},
		{"missing colon", `{"type" "next"}`, nil},
		{"equals for colon", `{"type"="next"}`, nil},
		{"missing value", `{"type":}`, nil},
		{"missing comma", `{"a":"1" "b":"2"}`, nil},
		{"trailing comma", `{"a":"1",}`, nil},
		{"leading comma", `{,"a":"1"}`, nil},
		{"double comma", `{"a":"1",,"b":"2"}`, nil},
		{"lone comma", `{,}`, nil},
		{"semicolon", `{"a":"1";"b":"2"}`, nil},
		{"unclosed", `{"a":"1"`, nil},
		{"unclosed after comma", `{"a":"1",`, nil},
		{"unterminated key", `{"a`, nil},
		{"open brace only", `{`, nil},
		{"close brace only", `}`, nil},
		{"array", `["a"]`, nil},
		{"null", `null`, nil},
		{"two objects", `{}{}`, nil},
		{"trailing junk", `{"a":"1"}x`, nil},
		{"escaped value", `{"a":"\n"}`, nil},
		{"null value", `{"a":null}`, nil},
		{"vertical tab", "{\v}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := jsonlex.New([]byte(tt.in))
			got := []kv{}
			l.Object(func(k []byte) { got = append(got, kv{string(k), l.Str()}) })
			err := l.End()
			if tt.want == nil {
				if !errors.Is(err, jsonlex.ErrSlowPath) {
					t.Fatalf("%q: took %v, want ErrSlowPath", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("%q: gave way (%v)", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("%q: read %v, want %v", tt.in, got, tt.want)
			}
			// encoding/json reads the same pairs (the last of a repeated key).
			var m map[string]string
			if err := json.Unmarshal([]byte(tt.in), &m); err != nil {
				t.Fatalf("%q: encoding/json refuses it: %v", tt.in, err)
			}
			last := map[string]string{}
			for _, p := range got {
				last[p.K] = p.V
			}
			if !reflect.DeepEqual(last, m) {
				t.Fatalf("%q: read %v, encoding/json %v", tt.in, last, m)
			}
		})
	}
}

func TestArray(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []int // nil: must give way
	}{
		{"empty", `[]`, []int{}},
		{"empty with space", "[ \n ]", []int{}},
		{"one", `[200]`, []int{200}},
		{"vibrate", `[200,100,200]`, []int{200, 100, 200}},
		{"space everywhere", " [ 600 ,\t100 ,\r\n600 ] ", []int{600, 100, 600}},

		{"trailing comma", `[1,]`, nil},
		{"leading comma", `[,1]`, nil},
		{"double comma", `[1,,2]`, nil},
		{"lone comma", `[,]`, nil},
		{"missing comma", `[1 2]`, nil},
		{"unclosed", `[1`, nil},
		{"unclosed after comma", `[1,`, nil},
		{"open bracket only", `[`, nil},
		{"object", `{}`, nil},
		{"null element", `[null]`, nil},
		{"fraction element", `[1.5]`, nil},
		{"two arrays", `[][]`, nil},
		{"wrong close", `[1}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := jsonlex.New([]byte(tt.in))
			got := []int{}
			l.Array(func() { got = append(got, l.Int()) })
			err := l.End()
			if tt.want == nil {
				if !errors.Is(err, jsonlex.ErrSlowPath) {
					t.Fatalf("%q: took %v, want ErrSlowPath", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("%q: gave way (%v)", tt.in, err)
			}
			var want []int
			if err := json.Unmarshal([]byte(tt.in), &want); err != nil {
				t.Fatalf("%q: encoding/json refuses it: %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) || !slices.Equal(got, want) {
				t.Fatalf("%q: read %v, want %v (encoding/json %v)", tt.in, got, tt.want, want)
			}
		})
	}
}

// TestTakeAndWant: Take takes the byte only when it is next (after
// space), Want gives way when it is not.
func TestTakeAndWant(t *testing.T) {
	l := jsonlex.New([]byte(" \t,x"))
	if l.Take('x') {
		t.Fatal("took x before the comma")
	}
	if !l.Take(',') {
		t.Fatal("did not take the comma after space")
	}
	if l.Err != nil {
		t.Fatalf("a Take that does not match failed the lexer: %v", l.Err)
	}
	l.Want(',')
	if !errors.Is(l.Err, jsonlex.ErrSlowPath) {
		t.Fatalf("Want(',') before x: err %v, want ErrSlowPath", l.Err)
	}
}

// Once the lexer has given way it stays so: the error sticks, no Take
// matches, Object and Array call nothing, and End reports it even when
// the rest of the input would have been fine.
func TestGivingWayIsFinal(t *testing.T) {
	l := jsonlex.New([]byte(`x {"a":"b"} [1] , `))
	l.Want('{')
	if !errors.Is(l.Err, jsonlex.ErrSlowPath) {
		t.Fatalf("Want('{') on x: err %v", l.Err)
	}
	calls := 0
	l.Object(func([]byte) { calls++ })
	l.Array(func() { calls++ })
	if calls != 0 {
		t.Errorf("Object or Array called back %d times after giving way", calls)
	}
	if l.Take('x') || l.Take('{') || l.Take(',') {
		t.Error("Take matched after giving way")
	}
	if err := l.End(); !errors.Is(err, jsonlex.ErrSlowPath) {
		t.Errorf("End after giving way: %v, want ErrSlowPath", err)
	}

	// Fail keeps the first error.
	first := errors.New("first")
	l = jsonlex.New([]byte(`{}`))
	l.Err = first
	l.Fail()
	if l.Err != first {
		t.Errorf("Fail replaced %v with %v", first, l.Err)
	}
}
