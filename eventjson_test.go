package floorgate

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// randomText is a string from pieces a payload can hold: plain codes,
// GS1's FNC1, quotes, HTML's specials, Chinese, invalid UTF-8, U+2028.
func randomText(r *rand.Rand) string {
	pieces := []string{"", "A-01-03", "6901234567892", "\x1d", `"`, `\`, "<b>", "&", "库位", "\xff", "\u2028", "\n", "\t", "picker 7", "]C1"}
	var s string
	for range r.IntN(4) {
		s += pieces[r.IntN(len(pieces))]
	}
	return s
}

func randomScanRecord(r *rand.Rand) ScanRecord {
	floats := []float64{0, 70, 73.19999999999999, 1e-7, 1e21, 5e-6, math.Inf(1), math.NaN(), -12.5, 123456789.125}
	times := []time.Time{{}, time.Date(2026, 12, 5, 9, 30, 0, 123456789, time.UTC),
		time.Date(2026, 12, 5, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("odd", 25*3600))}
	return ScanRecord{ScanID: randomText(r), Device: randomText(r), Operator: randomText(r), Task: randomText(r),
		Line: r.IntN(3) - 1, Location: randomText(r), Data: randomText(r), AIM: randomText(r), Kind: MatchKind(randomText(r)),
		Code: Code(randomText(r)), Warning: Code(randomText(r)), InBandCode: Code(randomText(r)), Qty: r.IntN(3) * 7,
		DistanceMM: floats[r.IntN(len(floats))], Distance: randomText(r), DeviceTime: times[r.IntN(len(times))],
		Batch: randomText(r), Serial: randomText(r), Expiry: randomText(r), Problem: randomText(r)}
}

// NewEvent's own encoders for the payloads of every scan write what
// encoding/json writes, byte for byte, and give way to it for what they
// do not write themselves (a distance needing an exponent or not finite, a
// device time it refuses).
func TestPayloadEncodersAreEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fellBack := 0
	for i := range 20000 {
		rec := randomScanRecord(r)
		want, werr := json.Marshal(rec)
		got, ok := appendScanRecord(nil, rec)
		if !ok {
			fellBack++
			continue
		}
		if werr != nil {
			t.Fatalf("record %d: encoding/json refuses it (%v), the encoder wrote %s", i, werr, got)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want)
		}
		line := LineRecord{Task: randomText(r), Order: randomText(r), Line: r.IntN(30), Location: randomText(r), SKU: randomText(r),
			Qty: r.IntN(5), Picked: r.IntN(5), Status: LineStatus(randomText(r)), Operator: randomText(r), Device: randomText(r)}
		want, _ = json.Marshal(line)
		if got := appendLineRecord(nil, line); !bytes.Equal(got, want) {
			t.Fatalf("line %d:\n got %s\nwant %s", i, got, want)
		}
	}
	if fellBack == 0 || fellBack > 15000 {
		t.Errorf("%d of 20000 records fell back to encoding/json", fellBack)
	}
	// What falls back still encodes as encoding/json does.
	rec := ScanRecord{ScanID: "s1", DistanceMM: 1e-7, Distance: "out"}
	ev := NewEvent(EventScanAccepted, time.Now(), rec)
	want, _ := json.Marshal(rec)
	if !bytes.Equal(ev.Data, want) {
		t.Errorf("fallback: %s, want %s", ev.Data, want)
	}
}

// FuzzScanRecordJSON holds the scan record's encoder to encoding/json for
// any text in its string fields.
func FuzzScanRecordJSON(f *testing.F) {
	f.Add("s1", "pda-1", "010690123456789221ABC\x1d10B1", "库位 A", 70.5)
	f.Fuzz(func(t *testing.T, id, device, data, loc string, dist float64) {
		rec := ScanRecord{ScanID: id, Device: device, Data: data, Location: loc, DistanceMM: dist, Code: CodeItemOK, Distance: "in"}
		got, ok := appendScanRecord(nil, rec)
		want, err := json.Marshal(rec)
		if !ok {
			return
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %s, want %s (%v)", got, want, err)
		}
	})
}

// BenchmarkEncodeScanAccepted weighs the payload encoder (jsonlex's
// writers, with encoding/json for anything else) against encoding/json
// alone, on the scan.accepted payload of docs/mqtt-contract.md (an item
// scan with a warning and a distance): what every accepted scan costs to
// journal.
func BenchmarkEncodeScanAccepted(b *testing.B) {
	rec := ScanRecord{ScanID: "pda-07-000103", Device: "pda-07", Operator: "op-42", Task: "T-1001", Line: 1,
		Location: "A-01-03-2", Data: "6901234567892", AIM: "]E0", Kind: "item", Code: CodeItemOK,
		Warning: "distance_out_of_band", DistanceMM: 132.4, Distance: "out",
		DeviceTime: time.Date(2026, 11, 22, 17, 1, 2, 150_000_000, time.FixedZone("CST", 8*3600))}
	fast, err := encodePayload(rec)
	slow, jerr := json.Marshal(rec)
	if err != nil || jerr != nil || !bytes.Equal(fast, slow) {
		b.Fatalf("jsonlex %s (%v), encoding/json %s (%v)", fast, err, slow, jerr)
	}
	b.Run("jsonlex", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodePayload(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(rec); err != nil {
				b.Fatal(err)
			}
		}
	})
}
