package scan_test

import (
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// withRead is an item match whose barcode said r.
func withRead(m floorgate.Match, r floorgate.Read) floorgate.Match {
	m.Read = r
	return m
}

func day(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// TestGS1LineRules covers what a line may ask of a unit's GS1 data: the
// allocated batch, an expiry no earlier than a date (FEFO), a serial number
// picked once per site, a case count from AI 30/37, and GS1 data that
// breaks GS1's own rules.
func TestGS1LineRules(t *testing.T) {
	batchLine := func(tk *floorgate.Task) { tk.Lines[0].Batch = "L42" }
	fefoLine := func(tk *floorgate.Task) { tk.Lines[0].ExpiryFrom = "2026-06-01" }
	serialLine := func(tk *floorgate.Task) { tk.Lines[0].Serial = true }
	keyed := func(tk *floorgate.Task) { tk.Lines[0].KeyedQty = true; tk.Lines[0].Qty = 24 }
	cases := []struct {
		name   string
		task   func() *floorgate.Task
		match  floorgate.Match
		code   floorgate.Code
		picked int // line 0 after the scan
	}{
		{"batch matches", task(batchLine), withRead(itemRed, floorgate.Read{Batch: "L42"}), floorgate.CodeItemOK, 1},
		{"wrong batch", task(batchLine), withRead(itemRed, floorgate.Read{Batch: "L41"}), floorgate.CodeWrongBatch, 0},
		{"batch missing", task(batchLine), itemRed, floorgate.CodeBatchMissing, 0},
		{"no batch asked, any batch", task(), withRead(itemRed, floorgate.Read{Batch: "L41"}), floorgate.CodeItemOK, 1},
		{"expiry on the date", task(fefoLine), withRead(itemRed, floorgate.Read{Expiry: day("2026-06-01")}), floorgate.CodeItemOK, 1},
		{"expiry later", task(fefoLine), withRead(itemRed, floorgate.Read{Expiry: day("2027-01-31")}), floorgate.CodeItemOK, 1},
		{"expiry too soon", task(fefoLine), withRead(itemRed, floorgate.Read{Expiry: day("2026-05-31")}), floorgate.CodeExpiryTooSoon, 0},
		{"expiry missing", task(fefoLine), itemRed, floorgate.CodeExpiryMissing, 0},
		{"serial given", task(serialLine), withRead(itemRed, floorgate.Read{Serial: "SN1"}), floorgate.CodeItemOK, 1},
		{"no serial on the item label: scan the serial next", task(serialLine), itemRed, floorgate.CodeSerialNext, 0},
		{"serial picked before", task(serialLine), func() floorgate.Match {
			m := withRead(itemRed, floorgate.Read{Serial: "SN1"})
			m.SerialTaken = true
			return m
		}(), floorgate.CodeDuplicateSerial, 0},
		{"a unit scanned twice by serial, even unasked", task(), func() floorgate.Match {
			m := withRead(itemRed, floorgate.Read{Serial: "SN1"})
			m.SerialTaken = true
			return m
		}(), floorgate.CodeDuplicateSerial, 0},
		{"case count from AI 30", task(keyed), withRead(itemRed, floorgate.Read{Qty: 12}), floorgate.CodeItemOK, 12},
		{"case count where units must be scanned", task(), withRead(itemRed, floorgate.Read{Qty: 12}), floorgate.CodeQtyNotAllowed, 0},
		{"case count over the line", task(keyed), withRead(itemRed, floorgate.Read{Qty: 25}), floorgate.CodeOverPick, 0},
		{"invalid GS1 data", task(), withRead(itemRed, floorgate.Read{Problem: "(17) USE BY: month 13", ProblemAI: "17", ProblemRule: "date"}), floorgate.CodeInvalidBarcode, 0},
		{"invalid GS1 data of an unknown item", task(), withRead(unknown, floorgate.Read{Problem: "(01) GTIN: check digit"}), floorgate.CodeInvalidBarcode, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := scan.State{Policy: floorgate.DefaultPolicy(), Session: sess(0, true, ""), Task: c.task()}
			before := clone(st.Task)
			r := scan.Scan(st, read(barRed, time.Second), c.match)
			if r.Verdict.Code != c.code {
				t.Fatalf("code %s, want %s", r.Verdict.Code, c.code)
			}
			if got := r.Task.Lines[0].Picked; got != c.picked {
				t.Fatalf("picked %d, want %d", got, c.picked)
			}
			if !r.Verdict.OK && (r.TaskChanged || r.Session != st.Session) {
				t.Fatal("a rejection changed state")
			}
			if st.Task.Lines[0] != before.Lines[0] {
				t.Fatal("the input task was changed")
			}
			rec := decode[floorgate.ScanRecord](t, r.Events[0])
			if rec.Batch != c.match.Read.Batch || rec.Serial != c.match.Read.Serial || rec.Problem != c.match.Read.Problem {
				t.Fatalf("scan record does not carry the GS1 data: %+v", rec)
			}
			if !c.match.Read.Expiry.IsZero() && rec.Expiry != c.match.Read.Expiry.Format(time.DateOnly) {
				t.Fatalf("scan record expiry %q", rec.Expiry)
			}
		})
	}
}

func TestLineGS1FieldsAreValidated(t *testing.T) {
	tk := floorgate.Task{ID: "T", Order: "O", Lines: []floorgate.TaskLine{{Location: "L", SKU: "S", Qty: 1, ExpiryFrom: "31/12/2026"}}}
	if err := tk.Validate(); err == nil || err.Error() != `lines[0].expiry_from: "31/12/2026" is not a date like 2026-12-31` {
		t.Fatalf("bad expiry_from: %v", err)
	}
	tk.Lines[0].ExpiryFrom, tk.Lines[0].Batch = "", "123456789012345678901"
	if err := tk.Validate(); err == nil || err.Error() != "lines[0].batch: longer than 20 characters (GS1 AI 10)" {
		t.Fatalf("long batch: %v", err)
	}
}

// TestSerialAsASeparateScan: on a line that needs serial numbers, an item
// label without one is followed by the unit's serial label, and only then
// is the unit counted.
func TestSerialAsASeparateScan(t *testing.T) {
	serialLine := func(tk *floorgate.Task) { tk.Lines[0].Serial = true }
	serialLabel := func(sn string, taken bool) floorgate.Match {
		return floorgate.Match{Read: floorgate.Read{Serial: sn}, SerialTaken: taken}
	}
	st := scan.State{Policy: floorgate.DefaultPolicy(), Session: sess(0, true, ""), Task: task(serialLine)()}
	r := scan.Scan(st, read(barRed, time.Second), itemRed)
	if r.Verdict.Code != floorgate.CodeSerialNext || r.Session.SerialFor != "RED" || r.Verdict.Prompt.Step != "scan_serial" || r.TaskChanged {
		t.Fatalf("item without serial: %s %+v", r.Verdict.Code, r.Session)
	}
	waiting := scan.State{Policy: st.Policy, Session: r.Session, Task: r.Task}
	cases := []struct {
		name   string
		match  floorgate.Match
		code   floorgate.Code
		picked int
	}{
		{"a location instead", locA, floorgate.CodeSerialMissing, 0},
		{"another item", withRead(itemBlue, floorgate.Read{Serial: "SN9"}), floorgate.CodeSerialMissing, 0},
		{"the item again, still without serial", itemRed, floorgate.CodeSerialMissing, 0},
		{"a serial already picked", serialLabel("SN1", true), floorgate.CodeDuplicateSerial, 0},
		{"the serial label", serialLabel("SN1", false), floorgate.CodeItemOK, 1},
		{"the item label with its serial", withRead(itemRed, floorgate.Read{Serial: "SN2"}), floorgate.CodeItemOK, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := scan.Scan(waiting, read("SN-LABEL", 2*time.Second), c.match)
			if r.Verdict.Code != c.code || r.Task.Lines[0].Picked != c.picked {
				t.Fatalf("%s picked %d, want %s %d", r.Verdict.Code, r.Task.Lines[0].Picked, c.code, c.picked)
			}
			if r.Verdict.OK && (r.Session.SerialFor != "" || r.Verdict.Prompt.Step != "scan_item") {
				t.Fatalf("after the serial: %+v %s", r.Session, r.Verdict.Prompt.Step)
			}
			if !r.Verdict.OK && r.Session != waiting.Session {
				t.Fatal("a refused serial scan changed the session")
			}
		})
	}
	// A serial label when no unit waits for one names nothing.
	if r := scan.Scan(st, read("SN-LABEL", 3*time.Second), serialLabel("SN3", false)); r.Verdict.Code != floorgate.CodeUnknownBarcode {
		t.Fatalf("serial label out of turn: %s", r.Verdict.Code)
	}
}
