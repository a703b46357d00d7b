package label

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkWaybillZPL renders a Chinese 100×150 waybill (the parcel
// fixture) to ZPL with the text as ^GFA bitmaps; it reports the 99th
// percentile too (target: ≤ 5 ms).
func BenchmarkWaybillZPL(b *testing.B) { benchWaybill(b, ZPL) }

// BenchmarkWaybillPNG renders the same waybill as a PNG.
func BenchmarkWaybillPNG(b *testing.B) { benchWaybill(b, PNG) }

func benchWaybill(b *testing.B, f Format) {
	o := Options{DPI: 203, Font: testFont(b)}
	l := fixtures()["parcel"]
	if _, err := Render(l, f, o); err != nil { // warm the glyph cache
		b.Fatal(err)
	}
	times := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := Render(l, f, o); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds()), "p99-ns")
}
