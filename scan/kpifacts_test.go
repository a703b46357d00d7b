package scan_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// The facts a scan event must carry for the KPIs to be computed from it
// alone (docs/web-api.md, KPIs). Records are read by their JSON
// fields, as the ERP and the KPIs read them.

func recJSON(t *testing.T, e floorgate.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatalf("decode %s: %v", e.Type, err)
	}
	return m
}

// TestScanRecordsWhereThePickerWas walks the fixture task and checks each
// scan record's location: the label a location barcode names, right or
// wrong, else the location last confirmed on the task, kept after a line
// closes until another is accepted.
func TestScanRecordsWhereThePickerWas(t *testing.T) {
	steps := []struct {
		name  string
		sc    floorgate.Scan
		m     floorgate.Match
		code  floorgate.Code
		where any // nil: no location
	}{
		{"an item before any location", read(barRed, 0), itemRed, floorgate.CodeItemBeforeLocation, nil},
		{"the wrong bin's label", read(barB, time.Second), locB, floorgate.CodeWrongLocation, "B-02-05"},
		{"still nowhere confirmed", read(barPink, 2*time.Second), itemPink, floorgate.CodeItemBeforeLocation, nil},
		{"bin A", read(barA, 3*time.Second), locA, floorgate.CodeLocationOK, "A-01-01"},
		{"an unknown code at A", read("NOPE", 4*time.Second), unknown, floorgate.CodeUnknownBarcode, "A-01-01"},
		{"red", read(barRed, 5*time.Second), itemRed, floorgate.CodeItemOK, "A-01-01"},
		{"red closes line 1; blue is in the same bin", read(barRed, 6*time.Second), itemRed, floorgate.CodeLineDone, "A-01-01"},
		{"blue closes line 2; green is at B", read(barBlue, 7*time.Second), itemBlue, floorgate.CodeLineDone, "A-01-01"},
		{"one blue too many, before bin B: at A", read(barBlue, 8*time.Second), itemBlue, floorgate.CodeOverPick, "A-01-01"},
		{"green before bin B: still at A", read(barGreen, 9*time.Second), itemGreen, floorgate.CodeItemBeforeLocation, "A-01-01"},
		{"bin B", read(barB, 10*time.Second), locB, floorgate.CodeLocationOK, "B-02-05"},
		{"a wrong item at B", read(barPink, 11*time.Second), itemPink, floorgate.CodeWrongItem, "B-02-05"},
		{"green finishes the task", withQty(read(barGreen, 12*time.Second), 5), itemGreen, floorgate.CodeTaskDone, "B-02-05"},
	}
	st := scan.State{Policy: floorgate.DefaultPolicy(), Session: sess(0, false, ""), Task: task()()}
	for _, s := range steps {
		r := scan.Scan(st, s.sc, s.m)
		if r.Verdict.Code != s.code {
			t.Fatalf("%s: %s, want %s", s.name, r.Verdict.Code, s.code)
		}
		if got := recJSON(t, r.Events[0])["location"]; got != s.where {
			t.Errorf("%s: location %v, want %v", s.name, got, s.where)
		}
		st.Session, st.Task = r.Session, r.Task
	}
	// A new task starts with no location confirmed.
	next := task()()
	next.ID = "T2"
	a := scan.Assign(st.Session, next, t0.Add(time.Minute))
	st.Session, st.Task = a.Session, a.Task
	r := scan.Scan(st, read(barRed, 2*time.Minute), itemRed)
	if got := recJSON(t, r.Events[0])["location"]; r.Verdict.Code != floorgate.CodeItemBeforeLocation || got != nil {
		t.Errorf("first scan of a new task: %s at %v, want item_before_location at no location", r.Verdict.Code, got)
	}
}

// TestOutOfBandKeepsTheMistake: a read out of the band is refused for its
// distance (reject mode), and its event also says what it would have been
// judged in the band when that is a rejection; a wrong read in warn mode
// gets its own rejection with distance "out". A unit's serial label is
// distance-checked too.
func TestOutOfBandKeepsTheMistake(t *testing.T) {
	serialTask := task(func(tk *floorgate.Task) { tk.Lines[0].Serial = true })
	waiting := sess(0, true, "")
	waiting.SerialFor = "RED"
	serialLabel := floorgate.Match{Read: floorgate.Read{Serial: "SN-1"}}
	cases := []struct {
		name     string
		mode     floorgate.DistanceMode
		sess     floorgate.Session
		task     func() *floorgate.Task
		sc       floorgate.Scan
		m        floorgate.Match
		code     floorgate.Code
		inBand   any // nil: absent
		distance string
	}{
		{"wrong item too far", floorgate.DistanceReject, sess(0, true, ""), task(), withMM(read(barPink, 0), 200), itemPink,
			floorgate.CodeDistance, "wrong_item", "out"},
		{"item before its location too close", floorgate.DistanceReject, sess(0, false, ""), task(), withMM(read(barRed, 0), 20), itemRed,
			floorgate.CodeDistance, "item_before_location", "out"},
		{"one too many of the line just closed, too far", floorgate.DistanceReject, sess(2, false, "BLUE"),
			task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone)), withMM(read(barBlue, 0), 150), itemBlue,
			floorgate.CodeDistance, "over_pick", "out"},
		{"the right item too far", floorgate.DistanceReject, sess(0, true, ""), task(), withMM(read(barRed, 0), 200), itemRed,
			floorgate.CodeDistance, nil, "out"},
		{"the right bin too far", floorgate.DistanceReject, sess(0, false, ""), task(), withMM(read(barA, 0), 200), locA,
			floorgate.CodeDistance, nil, "out"},
		{"warn mode: the wrong item too far is a wrong item", floorgate.DistanceWarn, sess(0, true, ""), task(), withMM(read(barPink, 0), 200), itemPink,
			floorgate.CodeWrongItem, nil, "out"},
		{"the serial label too far", floorgate.DistanceReject, waiting, serialTask, withMM(read("SN-1", 0), 200), serialLabel,
			floorgate.CodeDistance, nil, "out"},
		{"the serial label in the band", floorgate.DistanceReject, waiting, serialTask, withMM(read("SN-1", 0), 60), serialLabel,
			floorgate.CodeItemOK, nil, "in"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := scan.State{Policy: *policy(c.mode), Session: c.sess, Task: c.task()}
			r := scan.Scan(st, c.sc, c.m)
			rec := recJSON(t, r.Events[0])
			if r.Verdict.Code != c.code || rec["code"] != string(c.code) || rec["in_band_code"] != c.inBand || rec["distance"] != c.distance {
				t.Errorf("verdict %s, record code %v in_band_code %v distance %v; want %s %s %v %s",
					r.Verdict.Code, rec["code"], rec["in_band_code"], rec["distance"], c.code, c.code, c.inBand, c.distance)
			}
			if !r.Verdict.OK {
				checkUnchanged(t, st, r)
			}
		})
	}
}

// TestPackReadsAreDistanceChecked: a pack-station read whose distance is
// known is recorded with it and checked against the band like a pick
// scan, right after the login check.
func TestPackReadsAreDistanceChecked(t *testing.T) {
	open := packer()
	open.Pack = &floorgate.PackProgress{Order: "SO-9", Counts: map[string]int{}, Started: t0}
	cases := []struct {
		name     string
		mode     floorgate.DistanceMode
		sess     floorgate.Session
		sc       floorgate.Scan
		m        floorgate.Match
		code     floorgate.Code
		warning  floorgate.Code
		inBand   any
		distance string
		mm       any
	}{
		{"an item in the band", floorgate.DistanceReject, open, withMM(read(barRed, 0), 80), itemRed,
			floorgate.CodePackItemOK, "", nil, "in", 80.0},
		{"an item too far", floorgate.DistanceReject, open, withMM(read(barRed, 0), 200), itemRed,
			floorgate.CodeDistance, "", nil, "out", 200.0},
		{"a wrong item too far", floorgate.DistanceReject, open, withMM(read(barGreen, 0), 200), itemGreen,
			floorgate.CodeDistance, "", "wrong_item", "out", 200.0},
		{"the order too close", floorgate.DistanceReject, packer(), withMM(read("SO-9", 0), 20), orderMatch,
			floorgate.CodeDistance, "", nil, "out", 20.0},
		{"warn mode: an item too far counts, with a warning", floorgate.DistanceWarn, open, withMM(read(barRed, 0), 200), itemRed,
			floorgate.CodePackItemOK, floorgate.CodeDistance, nil, "out", 200.0},
		{"from the image: EAN-13 at about 72 mm", floorgate.DistanceReject, open,
			withGeom(withAIM(read(barRed, 0), "]E0"), geom(focal*31.35/72)), itemRed,
			floorgate.CodePackItemOK, "", nil, "in", 72.0},
		{"no distance", floorgate.DistanceReject, open, read(barRed, 0), itemRed,
			floorgate.CodePackItemOK, "", nil, "unknown", nil},
		{"a pack-station scanner that cannot measure", floorgate.DistanceReject, open, unmeasurable(read(barRed, 0)), itemRed,
			floorgate.CodePackItemOK, "", nil, "not_measurable", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := scan.PackState{Policy: *policy(c.mode), Session: c.sess, Shipment: shipment}
			if c.sess.Pack == nil {
				st.Shipment = nil
			}
			r := scan.Pack(st, c.sc, c.m)
			rec := recJSON(t, r.Events[0])
			mm, _ := rec["distance_mm"].(float64)
			wantMM, _ := c.mm.(float64)
			if r.Verdict.Code != c.code || r.Verdict.Warning != c.warning || rec["in_band_code"] != c.inBand ||
				rec["distance"] != c.distance || (rec["distance_mm"] == nil) != (c.mm == nil) || mm < wantMM-0.5 || mm > wantMM+0.5 {
				t.Errorf("verdict %s warning %q, record in_band_code %v distance %v distance_mm %v; want %s %q %v %s %v",
					r.Verdict.Code, r.Verdict.Warning, rec["in_band_code"], rec["distance"], rec["distance_mm"],
					c.code, c.warning, c.inBand, c.distance, c.mm)
			}
			if !r.Verdict.OK && r.Session.Pack != c.sess.Pack {
				t.Errorf("a refusal changed the parcel")
			}
		})
	}
}
