package wsclient

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/floorgate/floorgate"
)

// frames the fast decoder must take, and some it must hand on.
func sampleFrames(t testing.TB) [][]byte {
	files, err := filepath.Glob("../testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("golden frames: %v %v", files, err)
	}
	var out [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	v := floorgate.NewVerdict("s-1", floorgate.CodeItemOK, floorgate.Prompt{Step: "scan_item", Task: "T1", Line: 2, Lines: 3,
		Location: "A-01", SKU: "S", ItemName: "Tea / 绿茶", Qty: 3, Picked: 1, KeyedQty: true}).WithWarning(floorgate.CodeDistance)
	vb, _ := json.Marshal(struct {
		Type string `json:"type"`
		floorgate.Verdict
	}{"verdict", v})
	out = append(out, vb,
		[]byte(`{"type":"verdict","scan_id":"a\"b","ok":true}`),                 // an escape
		[]byte(`{"type":"verdict","scan_id":null}`),                             // a null
		[]byte(`{"Type":"verdict","SCAN_ID":"x"}`),                              // keys in another case
		[]byte(`{"type":"task","id":"n1","prompt":{"step":"wait","line":1.0}}`), // a float
		[]byte(` {"type":"push","kind":"task_assigned","verdict":{"code":"location_ok","feedback":{"tone":[],"vibrate_ms":[]}}} `),
		// An object or array key given twice: encoding/json fills what
		// the first gave.
		[]byte(`{"type":"verdict","feedback":{"tone":[{"hz":1,"ms":2}],"tone":[{"hz":3}]}}`),
		[]byte(`{"type":"push","verdict":{"code":"item_ok"},"verdict":{"ok":true}}`),
	)
	return out
}

func TestFastDecoderAgreesWithEncodingJSON(t *testing.T) {
	for _, b := range sampleFrames(t) {
		var want, got frame
		werr := json.Unmarshal(b, &want)
		gerr := decodeFrame(b, &got)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s: encoding/json %v, decodeFrame %v", b, werr, gerr)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%s:\nencoding/json %+v\ndecodeFrame   %+v", b, want, got)
		}
	}
	// The frames the server writes take the fast path.
	for _, name := range []string{"verdict_scan.json", "push.json", "logged_out.json", "error_invalid.json"} {
		raw, _ := os.ReadFile(filepath.Join("../testdata", name))
		var f frame
		if err := fastFrame(raw, &f); err != nil {
			t.Errorf("%s does not take the fast path: %v", name, err)
		}
	}
}

func FuzzFastDecoder(f *testing.F) {
	for _, b := range sampleFrames(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast frame
		if fastFrame(b, &fast) != nil {
			return
		}
		var want frame
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("fast decoder took %q, encoding/json refuses it: %v", b, err)
		}
		if !reflect.DeepEqual(want, fast) {
			t.Fatalf("%q:\nencoding/json %+v\nfast          %+v", b, want, fast)
		}
	})
}

func TestScanEncodingMatchesEncodingJSON(t *testing.T) {
	for _, sc := range []floorgate.Scan{
		{ID: "s-1", Data: "6901234567892"},
		{ID: "s-2", Data: "]C1\x1d0109501101530003", AIM: "]C1", Qty: 12, DistanceMM: 72.5},
		{ID: `q"<&>`, Data: "货架 A-01", DistanceMM: 0.000001},
		{ID: "s-3", Data: "x", DistanceMM: 1e-7},
		{ID: "s-4", Data: "x", DistanceMM: 123456789012.25},
	} {
		want, err := json.Marshal(scanMsg{"scan", sc})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendScanMsg(nil, sc)
		if ok && string(got) != string(want) {
			t.Fatalf("%+v:\n got %s\nwant %s", sc, got, want)
		}
		if !ok && sc.DistanceMM >= 1e-6 {
			t.Fatalf("%+v took the slow path", sc)
		}
	}
}
