package ws

import (
	"encoding/json"
	"testing"

	"github.com/floorgate/floorgate"
)

// verdictMsg is the frame appendVerdictMsg writes, as encoding/json sees it.
type verdictMsg struct {
	Type string `json:"type"`
	floorgate.Verdict
}

func TestVerdictEncodingMatchesEncodingJSON(t *testing.T) {
	prompts := []floorgate.Prompt{
		{},
		{Step: "login"},
		{Step: "scan_item", Task: "T1", Order: "SO-1", Line: 2, Lines: 5, Location: "A-01-02-3", SKU: "SKU-1",
			ItemName: "Green tea 250 g / 绿茶250克", Qty: 3, Picked: 1, KeyedQty: true},
		{Step: "scan_location", Task: `quote" back\ <tag> & amp`, Location: "tab\tnewline\n", ItemName: "bad \xff utf8", SKU: "line\u2028sep"},
		{Step: "wait", Line: -1, Qty: 1 << 40},
		{Step: "scan_tote", Task: "K1", Order: "SO-9", Line: 1, Lines: 2, Location: "A-01-01-1", SKU: "SKU-1", Qty: 1,
			Cart: "C1", Slot: 7, Slots: 12, Tote: "TOTE-7"},
		{Step: "scan_slot", Task: "O1", Order: "SO-1", SKU: "SKU-1", Qty: 1, Slot: 3, Wall: "WALL-1", Batch: "BATCH-0001"},
		{Step: "scan_pack_item", Order: "SO-2", Picked: 3, Extras: []string{"新年贺卡", `card "2" ×2`}, Fragile: []string{"A-1001 保温杯 500ml"},
			Instructions: []string{"易碎品：单独包装", "B-2: tab\there"}},
		{Step: "scan_pack_item", Order: "SO-3", Extras: []string{}, Instructions: []string{""}},
	}
	var n int
	for _, code := range floorgate.Codes() {
		for _, warn := range []floorgate.Code{"", floorgate.CodeDistance} {
			for _, p := range prompts {
				v := floorgate.NewVerdict("scan-"+string(code), code, p)
				if warn != "" {
					v = v.WithWarning(warn)
				}
				if code == floorgate.CodeShortOK && p.Cart != "" {
					v.Shorts = []floorgate.ShortOrder{{Slot: 3, Task: "K3", Order: `SO "3"`, Missing: 2}, {Slot: 5, Task: "K5", Order: "SO-5", Missing: 1}}
				}
				want, err := json.Marshal(verdictMsg{Type: typeVerdict, Verdict: wireVerdict(v)})
				if err != nil {
					t.Fatal(err)
				}
				if got := appendVerdictMsg(nil, v); string(got) != string(want) {
					t.Fatalf("%s/%s:\n got %s\nwant %s", code, warn, got, want)
				}
				n++
			}
		}
	}
	// A verdict with no feedback arrays still sends [].
	want, _ := json.Marshal(verdictMsg{Type: typeVerdict, Verdict: wireVerdict(floorgate.Verdict{ScanID: "x"})})
	if got := appendVerdictMsg(nil, floorgate.Verdict{ScanID: "x"}); string(got) != string(want) {
		t.Fatalf("empty verdict:\n got %s\nwant %s", got, want)
	}
	if n < 100 {
		t.Fatalf("only %d verdicts compared", n)
	}
}
