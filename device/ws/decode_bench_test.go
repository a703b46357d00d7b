package ws

import (
	"encoding/json"
	"reflect"
	"testing"
)

// BenchmarkDecodeScan weighs the endpoint's request decoder (jsonlex, with
// encoding/json where it gives way) against encoding/json alone, on the
// scan frame of docs/pda-protocol.md §3: what every scan costs to read.
func BenchmarkDecodeScan(b *testing.B) {
	in := []byte(`{"type":"scan","scan_id":"pda-07-000103","data":"6901234567892","aim":"]E0","qty":0,"distance_mm":72,"device_time":"2026-03-14T17:26:58.120+08:00"}`)
	var fast, slow request
	if err := fastRequest(in, &fast); err != nil {
		b.Fatalf("the scan frame gives way: %v", err)
	}
	if err := json.Unmarshal(in, &slow); err != nil || !reflect.DeepEqual(fast, slow) {
		b.Fatalf("jsonlex %+v, encoding/json %+v (%v)", fast, slow, err)
	}
	b.Run("jsonlex", func(b *testing.B) {
		b.ReportAllocs()
		var r request
		for b.Loop() {
			if err := decodeRequest(in, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		var r request
		for b.Loop() {
			r = request{}
			if err := json.Unmarshal(in, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
