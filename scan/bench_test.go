package scan_test

import (
	"fmt"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// BenchmarkScanItem measures the hot path: a location scan, then an item
// scan, on a 10-line task.
func BenchmarkScanItem(b *testing.B) {
	tk := &floorgate.Task{ID: "T1", Order: "SO-1001", Status: floorgate.TaskAssigned, Operator: op, Device: dev}
	for i := range 10 {
		tk.Lines = append(tk.Lines, floorgate.TaskLine{
			Location: fmt.Sprintf("A-01-%02d", i), SKU: fmt.Sprintf("SKU-%d", i), Qty: 3, Status: floorgate.LineOpen})
	}
	st := scan.State{Policy: floorgate.DefaultPolicy(), Session: sess(0, false, ""), Task: tk}
	loc := floorgate.Match{Kind: floorgate.MatchLocation,
		Location: &floorgate.Location{Code: "A-01-00", Barcode: "A-01-00", LabelXMM: 0.25}}
	it := floorgate.Match{Kind: floorgate.MatchItem, Item: &floorgate.Item{SKU: "SKU-0"}}
	scLoc := withGeom(read("A-01-00", 0), geom(focal*((11*9+13)*0.25)/75))
	scItem := withGeom(withAIM(read(barRed, 500_000_000), "]E0"), geom(700))
	b.ReportAllocs()
	for b.Loop() {
		r := scan.Scan(st, scLoc, loc)
		r = scan.Scan(scan.State{Policy: st.Policy, Session: r.Session, Task: r.Task}, scItem, it)
		if r.Verdict.Code != floorgate.CodeItemOK {
			b.Fatalf("item scan: %s", r.Verdict.Code)
		}
	}
}
