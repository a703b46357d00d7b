package gs1

import (
	"runtime"
	"strings"
	"testing"
)

// adversarial builds inputs of about n bytes that make a parser work hard:
// many tiny elements, deep brackets, long paths, many escapes.
var adversarial = map[string]func(n int) string{
	"tiny elements":         func(n int) string { return "]C1" + strings.Repeat("91X\x1d", n/4) },
	"repeated fixed AI":     func(n int) string { return "]C1" + strings.Repeat("3103000750", n/10) },
	"bracketed tiny":        func(n int) string { return strings.Repeat("(91)X", n/5) },
	"bracketed escapes":     func(n int) string { return "(01)09501101530003(91)" + strings.Repeat(`\(`, n/2) },
	"open brackets":         func(n int) string { return "(0" + strings.Repeat("(", n) },
	"brackets never closed": func(n int) string { return strings.Repeat("(1", n/2) },
	"only GS":               func(n int) string { return strings.Repeat("\x1d", n) },
	"long variable value":   func(n int) string { return "]C191" + strings.Repeat("A", n) },
	"DL many attributes":    func(n int) string { return "https://a.example/01/09501101530003?" + strings.Repeat("91=X&", n/5) },
	"DL long path":          func(n int) string { return "https://a.example" + strings.Repeat("/91/X", n/5) + "/01/09501101530003" },
	"DL keys everywhere":    func(n int) string { return "https://a.example" + strings.Repeat("/01/1", n/5) },
	"DL percent escapes":    func(n int) string { return "https://a.example/01/09501101530003/10/" + strings.Repeat("%41", n/3) },
	"DL odd path":           func(n int) string { return "https://a.example" + strings.Repeat("/01", n/3) },
	"many exclusions":       func(n int) string { return "(01)09501101530003" + strings.Repeat("(3103)000750", n/12) },
}

// TestParseCostIsLinear: Parse and Validate allocate at most a small
// multiple of their input (no input is stored twice, every element costs
// at most its share of one slice), however the input is built.
func TestParseCostIsLinear(t *testing.T) {
	const n = 20000
	for name, gen := range adversarial {
		raw := gen(n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		const runs = 20
		for i := 0; i < runs; i++ {
			b, err := Parse(raw)
			if err == nil {
				_ = b.Validate()
			}
		}
		runtime.ReadMemStats(&after)
		perRun := float64(after.TotalAlloc-before.TotalAlloc) / runs
		t.Logf("%-22s %6.2f bytes allocated per input byte", name, perRun/float64(len(raw)))
		if limit := 16*float64(len(raw)) + 4096; perRun > limit {
			t.Errorf("%s: %.0f bytes allocated for %d input bytes (limit %.0f)", name, perRun, len(raw), limit)
		}
	}
}

// TestParseValidateAllocs: a typical scan costs one allocation (its
// elements), and validating it none.
func TestParseValidateAllocs(t *testing.T) {
	const raw = "]C1010950110153000310ABC123\x1d17251231"
	if a := testing.AllocsPerRun(100, func() { _, _ = Parse(raw) }); a > 1 {
		t.Errorf("Parse: %.0f allocations, want 1", a)
	}
	b, _ := Parse(raw)
	if a := testing.AllocsPerRun(100, func() { _ = b.Validate() }); a != 0 {
		t.Errorf("Validate: %.0f allocations, want 0", a)
	}
}

// BenchmarkAdversarial shows time per input byte holding flat as inputs
// grow (go test -bench Adversarial -run XXX).
func BenchmarkAdversarial(b *testing.B) {
	for name, gen := range adversarial {
		for _, n := range []int{1000, 32000} {
			raw := gen(n)
			b.Run(name+"/"+itoa(n), func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				for b.Loop() {
					bc, err := Parse(raw)
					if err == nil {
						_ = bc.Validate()
					}
				}
			})
		}
	}
}
