package ws

import (
	"encoding/json"
	"reflect"
	"testing"
)

var sampleRequests = []string{
	`{"type":"hello","device":"pda-07","token":"t0k","model":"TC21","app":"floorgate-web 1.0","protocol":1}`,
	`{"type":"login","id":"L-1","badge":"B1001","pin":"1234"}`,
	`{"type":"scan","scan_id":"pda-07-1","data":"6901234567892","aim":"]E0","distance_mm":72.5,"device_time":"2026-11-22T09:00:00+08:00"}`,
	`{"type":"scan","scan_id":"s2","data":"A-01-02-3","geometry":{"corners":[{"x":10.5,"y":20},{"x":955,"y":22.25},{"x":954,"y":300},{"x":11,"y":298}],"image_width":1920,"focal_px":1507.2}}`,
	`{"type":"scan","scan_id":"s3","data":"x","qty":12,"distance_mm":-0.0,"geometry":{"corners":[{"x":1e2,"y":2E-1}]}}`,
	`{"type":"short","scan_id":"s4","found":0}`,
	`{"type":"next","id":"n1"}`,
	`{"type":"scan","scan_id":"s5","data":"\u001dGS"}`,                       // an escape
	`{"type":"scan","scan_id":"s6","data":null}`,                             // a null
	`{"Type":"scan","SCAN_ID":"s7"}`,                                         // keys in another case
	`{"type":"scan","scan_id":"s8","qty":1.5}`,                               // a fraction for an int
	`{"type":"scan","scan_id":"s9","geometry":{"corners":[{},{},{},{},{}]}}`, // five corners
	`{"type":"scan","scan_id":"s10","distance_mm":1e400}`,                    // out of range
	`{"type":"scan" "scan_id":"s11"}`,                                        // not JSON
	// An object or array key given twice: encoding/json fills what the
	// first gave.
	`{"type":"scan","scan_id":"s12","geometry":{"image_width":1920},"geometry":{"focal_px":1507.2}}`,
	`{"type":"scan","scan_id":"s13","geometry":{"corners":[{"x":1,"y":2}],"corners":[{"x":9}]}}`,
}

func TestRequestDecoderAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range sampleRequests {
		var want, got request
		werr := json.Unmarshal([]byte(s), &want)
		gerr := decodeRequest([]byte(s), &got)
		if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(want, got) {
			t.Fatalf("%s:\nencoding/json %+v (%v)\ndecodeRequest %+v (%v)", s, want, werr, got, gerr)
		}
	}
	for _, s := range sampleRequests[:7] {
		var r request
		if err := fastRequest([]byte(s), &r); err != nil {
			t.Errorf("%s does not take the fast path: %v", s, err)
		}
	}
}

func FuzzRequestDecoder(f *testing.F) {
	for _, s := range sampleRequests {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast request
		if fastRequest(b, &fast) != nil {
			return
		}
		var want request
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("fast decoder took %q, encoding/json refuses it: %v", b, err)
		}
		if !reflect.DeepEqual(want, fast) {
			t.Fatalf("%q:\nencoding/json %+v\nfast          %+v", b, want, fast)
		}
	})
}
