package gs1

import "testing"

func BenchmarkParseValidate(b *testing.B) {
	const raw = "]C1010950110153000310ABC123\x1d17251231"
	b.ReportAllocs()
	for b.Loop() {
		bc, err := Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := bc.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
