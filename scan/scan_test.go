package scan_test

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// focal is the PRODUCT.md example camera: 1920 px wide, 65° horizontal
// field of view.
var focal = 960 / math.Tan(32.5*math.Pi/180)

// geom is a level symbol lpx pixels wide seen by the example camera.
func geom(lpx float64) *floorgate.Geometry {
	return &floorgate.Geometry{
		Corners:    [4]floorgate.Point{{X: 100, Y: 200}, {X: 100 + lpx, Y: 200}, {X: 100 + lpx, Y: 260}, {X: 100, Y: 260}},
		ImageWidth: 1920,
		FocalPx:    focal,
	}
}

func withGeom(sc floorgate.Scan, g *floorgate.Geometry) floorgate.Scan { sc.Geometry = g; return sc }

// locAWidth is bin A's label: "LOC-A-01-01" is 11 code B characters, so
// 11·13+13 = 156 modules of 0.25 mm.
const locAWidth = 156 * 0.25

// lineWant is the expected state of one task line after a step.
type lineWant struct {
	i      int
	picked int
	status floorgate.LineStatus
}

func TestScan(t *testing.T) {
	// atA is a picker at bin A on line 1 with nothing picked.
	atA := sess(0, true, "")
	cases := []struct {
		name   string
		policy *floorgate.Policy // nil: floorgate.DefaultPolicy()
		sess   floorgate.Session
		task   func() *floorgate.Task // nil: no task
		sc     floorgate.Scan
		m      floorgate.Match

		code     floorgate.Code
		warning  floorgate.Code
		inBand   floorgate.Code // the record's InBandCode
		recTask  string
		recLine  int
		dist     string
		distMM   float64              // 0: none recorded
		wantSess *floorgate.Session   // for accepted scans
		line     *lineWant            // for accepted scans that change a line
		status   floorgate.TaskStatus // task status after, for accepted scans
		events   []string
	}{
		// Rejections, in the order the rules are checked.
		{name: "not logged in", sess: floorgate.Session{Device: dev}, sc: read(barA, 0), m: locA,
			code: floorgate.CodeNotLoggedIn, dist: "unknown"},
		{name: "not logged in wins over a bad distance", sess: floorgate.Session{Device: dev},
			sc: withMM(read(barA, 0), 300), m: locA,
			code: floorgate.CodeNotLoggedIn, dist: "out", distMM: 300},
		{name: "no task", sess: floorgate.Session{Device: dev, Operator: op}, sc: read(barA, 0), m: locA,
			code: floorgate.CodeNoTask, dist: "unknown"},
		{name: "task already done is no task", sess: sess(0, false, ""),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone), closed(2, floorgate.LineDone), status(floorgate.TaskDone)),
			sc:   read(barA, 0), m: locA, code: floorgate.CodeNoTask, dist: "unknown"},
		{name: "task with no open line is no task", sess: sess(2, true, ""),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone), closed(2, floorgate.LineShort)),
			sc:   read(barGreen, 0), m: itemGreen, code: floorgate.CodeNoTask, recTask: "T1", dist: "unknown"},
		{name: "cancelled task stops picking", sess: atA, task: task(status(floorgate.TaskCancelled)),
			sc: read(barRed, 0), m: itemRed, code: floorgate.CodeTaskCancelled, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "cancelled wins over unknown barcode", sess: atA, task: task(status(floorgate.TaskCancelled)),
			sc: read("NOPE", 0), m: unknown, code: floorgate.CodeTaskCancelled, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "unknown barcode", sess: atA, task: task(), sc: read("NOPE", 0), m: unknown,
			code: floorgate.CodeUnknownBarcode, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "location match without a location is unknown", sess: atA, task: task(), sc: read(barA, 0),
			m: floorgate.Match{Kind: floorgate.MatchLocation}, code: floorgate.CodeUnknownBarcode, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "item match without an item is unknown", sess: atA, task: task(), sc: read(barRed, 0),
			m: floorgate.Match{Kind: floorgate.MatchItem}, code: floorgate.CodeUnknownBarcode, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "duplicate inside the window",
			sess: withLast(atA, barRed, t0), task: task(picked(0, 1)), sc: read(barRed, 299*time.Millisecond), m: itemRed,
			code: floorgate.CodeDuplicateScan, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "duplicate wins over a bad distance",
			sess: withLast(atA, barRed, t0), task: task(picked(0, 1)), sc: withMM(read(barRed, 100*time.Millisecond), 20), m: itemRed,
			code: floorgate.CodeDuplicateScan, recTask: "T1", recLine: 1, dist: "out", distMM: 20},
		{name: "distance measured too close is rejected", sess: atA, task: task(), sc: withMM(read(barRed, 0), 30), m: itemRed,
			code: floorgate.CodeDistance, recTask: "T1", recLine: 1, dist: "out", distMM: 30},
		{name: "distance just below the band is rejected", sess: atA, task: task(), sc: withMM(read(barRed, 0), 49.9), m: itemRed,
			code: floorgate.CodeDistance, recTask: "T1", recLine: 1, dist: "out", distMM: 49.9},
		{name: "distance from geometry too far is rejected", sess: sess(0, false, ""), task: task(),
			sc: withGeom(read(barA, 0), geom(focal*locAWidth/150)), m: locA,
			code: floorgate.CodeDistance, recTask: "T1", recLine: 1, dist: "out", distMM: 150},
		{name: "distance wins over wrong location", sess: sess(0, false, ""), task: task(),
			sc: withMM(read(barB, 0), 200), m: locB,
			code: floorgate.CodeDistance, inBand: floorgate.CodeWrongLocation, recTask: "T1", recLine: 1, dist: "out", distMM: 200},
		{name: "warn mode: another rejection carries no warning", policy: policy(floorgate.DistanceWarn),
			sess: sess(0, false, ""), task: task(), sc: withMM(read(barB, 0), 200), m: locB,
			code: floorgate.CodeWrongLocation, recTask: "T1", recLine: 1, dist: "out", distMM: 200},
		{name: "wrong location", sess: sess(0, false, ""), task: task(), sc: read(barB, 0), m: locB,
			code: floorgate.CodeWrongLocation, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "wrong location while at the right one", sess: atA, task: task(), sc: read(barB, 0), m: locB,
			code: floorgate.CodeWrongLocation, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "the line's item before its location", sess: sess(0, false, ""), task: task(), sc: read(barRed, 0), m: itemRed,
			code: floorgate.CodeItemBeforeLocation, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "another item before the location", sess: sess(0, false, ""), task: task(), sc: read(barPink, 0), m: itemPink,
			code: floorgate.CodeItemBeforeLocation, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "wrong item", sess: atA, task: task(), sc: read(barPink, 0), m: itemPink,
			code: floorgate.CodeWrongItem, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "next line's item is a wrong item", sess: atA, task: task(), sc: read(barBlue, 0), m: itemBlue,
			code: floorgate.CodeWrongItem, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "keyed quantity on a line that counts scans", sess: atA, task: task(), sc: withQty(read(barRed, 0), 2), m: itemRed,
			code: floorgate.CodeQtyNotAllowed, recTask: "T1", recLine: 1, dist: "unknown"},
		{name: "negative quantity", sess: sess(2, true, ""), task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone)),
			sc: withQty(read(barGreen, 0), -1), m: itemGreen, code: floorgate.CodeBadScan, recTask: "T1", recLine: 3, dist: "unknown"},
		{name: "over-pick: keyed quantity above what remains", sess: sess(2, true, ""),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone), picked(2, 3)),
			sc:   withQty(read(barGreen, 0), 3), m: itemGreen, code: floorgate.CodeOverPick, recTask: "T1", recLine: 3, dist: "unknown"},
		{name: "over-pick: one more after the line closed, next line in the same bin", sess: sess(1, true, "RED"),
			task: task(closed(0, floorgate.LineDone)), sc: read(barRed, 0), m: itemRed,
			code: floorgate.CodeOverPick, recTask: "T1", recLine: 2, dist: "unknown"},
		{name: "over-pick: one more after the line closed, next bin not yet scanned", sess: sess(2, false, "BLUE"),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone)), sc: read(barBlue, 0), m: itemBlue,
			code: floorgate.CodeOverPick, recTask: "T1", recLine: 3, dist: "unknown"},

		// Accepted scans.
		{name: "location", sess: sess(0, false, ""), task: task(), sc: read(barA, 0), m: locA,
			code: floorgate.CodeLocationOK, recTask: "T1", recLine: 1, dist: "unknown",
			wantSess: ptr(withLast(atA, barA, t0)), status: floorgate.TaskAssigned},
		{name: "location again while at it changes nothing else", sess: sess(1, true, "RED"),
			task: task(closed(0, floorgate.LineDone)), sc: read(barA, time.Second), m: locA,
			code: floorgate.CodeLocationOK, recTask: "T1", recLine: 2, dist: "unknown",
			wantSess: ptr(withLast(sess(1, true, "RED"), barA, t0.Add(time.Second))), status: floorgate.TaskAssigned},
		{name: "a new location forgets the line closed at the last one", sess: sess(2, false, "BLUE"),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone)), sc: read(barB, 0), m: locB,
			code: floorgate.CodeLocationOK, recTask: "T1", recLine: 3, dist: "unknown",
			wantSess: ptr(withLast(sess(2, true, ""), barB, t0)), status: floorgate.TaskAssigned},
		{name: "a stale line index moves to the first open line", sess: sess(0, false, ""),
			task: task(closed(0, floorgate.LineDone)), sc: read(barA, 0), m: locA,
			code: floorgate.CodeLocationOK, recTask: "T1", recLine: 2, dist: "unknown",
			wantSess: ptr(withLast(sess(1, true, ""), barA, t0)), status: floorgate.TaskAssigned},
		{name: "item counts one", sess: atA, task: task(), sc: read(barRed, 0), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "unknown",
			wantSess: ptr(withLast(atA, barRed, t0)), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "same code just outside the window is a second unit",
			sess: withLast(atA, barRed, t0), task: task(), sc: read(barRed, 300*time.Millisecond), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "unknown",
			wantSess: ptr(withLast(atA, barRed, t0.Add(300*time.Millisecond))), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "no window: the same code at once is a second unit", policy: &floorgate.Policy{Distance: floorgate.DefaultPolicy().Distance},
			sess: withLast(atA, barRed, t0), task: task(), sc: read(barRed, time.Millisecond), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "unknown",
			wantSess: ptr(withLast(atA, barRed, t0.Add(time.Millisecond))), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "distance in band", sess: atA, task: task(), sc: withMM(read(barRed, 0), 75), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "in", distMM: 75,
			wantSess: ptr(withLast(atA, barRed, t0)), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "distance at the band's lower edge", sess: atA, task: task(), sc: withMM(read(barRed, 0), 50), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "in", distMM: 50,
			wantSess: ptr(withLast(atA, barRed, t0)), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "distance at the band's upper edge", sess: atA, task: task(), sc: withMM(read(barRed, 0), 100), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "in", distMM: 100,
			wantSess: ptr(withLast(atA, barRed, t0)), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "distance from geometry in band", sess: atA, task: task(),
			sc: withGeom(withAIM(read(barRed, 0), "]E0"), geom(900)), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "in", distMM: focal * 31.35 / 900,
			wantSess: ptr(withLast(atA, barRed, t0)), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "distance unknown is accepted", sess: atA, task: task(), sc: withGeom(read(barRed, 0), &floorgate.Geometry{ImageWidth: 1920}), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "unknown",
			wantSess: ptr(withLast(atA, barRed, t0)), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "a device that cannot measure: not_measurable, not unknown, and accepted", sess: atA, task: task(),
			sc: unmeasurable(read(barRed, 0)), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "not_measurable",
			wantSess: ptr(withLast(atA, barRed, t0)), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "a device that cannot measure, geometry without a focal length: not_measurable", sess: atA, task: task(),
			sc: unmeasurable(withGeom(read(barRed, 0), &floorgate.Geometry{ImageWidth: 1920})), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "not_measurable",
			wantSess: ptr(withLast(atA, barRed, t0)), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "a device that cannot measure: a rejection is not_measurable too", sess: floorgate.Session{Device: dev},
			sc: unmeasurable(read(barA, 0)), m: locA,
			code: floorgate.CodeNotLoggedIn, dist: "not_measurable"},
		{name: "a device that cannot measure: a distance it did send still counts", sess: atA, task: task(),
			sc: unmeasurable(withMM(read(barRed, 0), 150)), m: itemRed,
			code: floorgate.CodeDistance, recTask: "T1", recLine: 1, dist: "out", distMM: 150},
		{name: "a device that cannot measure, in band by a distance it sent", sess: atA, task: task(),
			sc: unmeasurable(withMM(read(barRed, 0), 70)), m: itemRed,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 1, dist: "in", distMM: 70,
			wantSess: ptr(withLast(atA, barRed, t0)), line: &lineWant{0, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "a device that cannot measure, no band set: still not_measurable",
			policy: &floorgate.Policy{Distance: floorgate.DistancePolicy{Mode: floorgate.DistanceOff}},
			sess:   sess(0, false, ""), task: task(), sc: unmeasurable(read(barA, 0)), m: locA,
			code: floorgate.CodeLocationOK, recTask: "T1", recLine: 1, dist: "not_measurable",
			wantSess: ptr(withLast(atA, barA, t0)), status: floorgate.TaskAssigned},
		{name: "warn mode: out of band accepted with a warning", policy: policy(floorgate.DistanceWarn),
			sess: sess(0, false, ""), task: task(), sc: withMM(read(barA, 0), 150), m: locA,
			code: floorgate.CodeLocationOK, warning: floorgate.CodeDistance, recTask: "T1", recLine: 1, dist: "out", distMM: 150,
			wantSess: ptr(withLast(atA, barA, t0)), status: floorgate.TaskAssigned},
		{name: "off mode: out of band accepted, still recorded out", policy: policy(floorgate.DistanceOff),
			sess: sess(0, false, ""), task: task(), sc: withMM(read(barA, 0), 150), m: locA,
			code: floorgate.CodeLocationOK, recTask: "T1", recLine: 1, dist: "out", distMM: 150,
			wantSess: ptr(withLast(atA, barA, t0)), status: floorgate.TaskAssigned},
		{name: "off mode with no band: distance kept, not classified",
			policy: &floorgate.Policy{Distance: floorgate.DistancePolicy{Mode: floorgate.DistanceOff}},
			sess:   sess(0, false, ""), task: task(), sc: withMM(read(barA, 0), 150), m: locA,
			code: floorgate.CodeLocationOK, recTask: "T1", recLine: 1, dist: "unknown", distMM: 150,
			wantSess: ptr(withLast(atA, barA, t0)), status: floorgate.TaskAssigned},
		{name: "keyed quantity", sess: sess(2, true, ""), task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone)),
			sc: withQty(read(barGreen, 0), 3), m: itemGreen,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 3, dist: "unknown",
			wantSess: ptr(withLast(sess(2, true, ""), barGreen, t0)), line: &lineWant{2, 3, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "a keyed-quantity line also counts single scans", sess: sess(2, true, ""),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone)), sc: read(barGreen, 0), m: itemGreen,
			code: floorgate.CodeItemOK, recTask: "T1", recLine: 3, dist: "unknown",
			wantSess: ptr(withLast(sess(2, true, ""), barGreen, t0)), line: &lineWant{2, 1, floorgate.LineOpen}, status: floorgate.TaskAssigned},
		{name: "the line's own item is no over-pick even when the last line had it", sess: sess(1, true, "BLUE"),
			task: task(closed(0, floorgate.LineDone)), sc: read(barBlue, 0), m: itemBlue,
			code: floorgate.CodeLineDone, recTask: "T1", recLine: 2, dist: "unknown",
			wantSess: ptr(withLast(sess(2, false, "BLUE"), barBlue, t0)), line: &lineWant{1, 1, floorgate.LineDone}, status: floorgate.TaskAssigned,
			events: []string{floorgate.EventScanAccepted, floorgate.EventLineConfirmed}},
		{name: "line done, next line in the same bin", sess: atA, task: task(picked(0, 1)), sc: read(barRed, 0), m: itemRed,
			code: floorgate.CodeLineDone, recTask: "T1", recLine: 1, dist: "unknown",
			wantSess: ptr(withLast(sess(1, true, "RED"), barRed, t0)), line: &lineWant{0, 2, floorgate.LineDone}, status: floorgate.TaskAssigned,
			events: []string{floorgate.EventScanAccepted, floorgate.EventLineConfirmed}},
		{name: "line done, next line in another bin", sess: sess(1, true, "RED"), task: task(closed(0, floorgate.LineDone)),
			sc: read(barBlue, 0), m: itemBlue,
			code: floorgate.CodeLineDone, recTask: "T1", recLine: 2, dist: "unknown",
			wantSess: ptr(withLast(sess(2, false, "BLUE"), barBlue, t0)), line: &lineWant{1, 1, floorgate.LineDone}, status: floorgate.TaskAssigned,
			events: []string{floorgate.EventScanAccepted, floorgate.EventLineConfirmed}},
		{name: "keyed quantity closes the last line: task done", sess: sess(2, true, ""),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineDone), picked(2, 3)),
			sc:   withQty(read(barGreen, 0), 2), m: itemGreen,
			code: floorgate.CodeTaskDone, recTask: "T1", recLine: 3, dist: "unknown",
			wantSess: &floorgate.Session{Device: dev, Operator: op, LastData: barGreen, LastAt: t0},
			line:     &lineWant{2, 5, floorgate.LineDone}, status: floorgate.TaskDone,
			events: []string{floorgate.EventScanAccepted, floorgate.EventLineConfirmed, floorgate.EventTaskCompleted}},
		{name: "an open line before the current one is picked after it", sess: sess(2, true, ""),
			task: task(closed(1, floorgate.LineDone), picked(2, 4)), sc: read(barGreen, 0), m: itemGreen,
			code: floorgate.CodeLineDone, recTask: "T1", recLine: 3, dist: "unknown",
			wantSess: ptr(withLast(sess(0, false, "GREEN"), barGreen, t0)), line: &lineWant{2, 5, floorgate.LineDone}, status: floorgate.TaskAssigned,
			events: []string{floorgate.EventScanAccepted, floorgate.EventLineConfirmed}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := scan.State{Policy: floorgate.DefaultPolicy(), Session: c.sess}
			if c.policy != nil {
				st.Policy = *c.policy
			}
			if c.task != nil {
				st.Task = c.task()
			}
			before := clone(st.Task)

			r := scan.Scan(st, c.sc, c.m)

			if !reflect.DeepEqual(st.Task, before) {
				t.Fatalf("input task mutated:\n got %+v\nwant %+v", st.Task, before)
			}
			v := r.Verdict
			if v.Code != c.code || v.ScanID != c.sc.ID || v.Warning != c.warning {
				t.Fatalf("verdict = %s/%s warning %q, want %s/%s warning %q", v.ScanID, v.Code, v.Warning, c.sc.ID, c.code, c.warning)
			}
			accepted := c.wantSess != nil
			if v.OK != accepted {
				t.Errorf("verdict OK = %v, want %v", v.OK, accepted)
			}
			if c.warning != "" && v.Feedback.Kind != floorgate.Warn {
				t.Errorf("warning verdict sounds %q, want warn", v.Feedback.Kind)
			}
			if want := scan.PromptFor(r.Session, r.Task); !reflect.DeepEqual(v.Prompt, want) {
				t.Errorf("prompt = %+v, want %+v", v.Prompt, want)
			}

			wantEvents := c.events
			if wantEvents == nil {
				wantEvents = []string{floorgate.EventScanRejected}
				if accepted {
					wantEvents = []string{floorgate.EventScanAccepted}
				}
			}
			checkEvents(t, r.Events, c.sc.At, wantEvents...)
			rec := decode[floorgate.ScanRecord](t, r.Events[0])
			// Where the picker was: at the label a location barcode names,
			// else where the session last confirmed.
			loc := c.sess.Location
			if c.m.Kind == floorgate.MatchLocation && c.m.Location != nil {
				loc = c.m.Location.Code
			}
			if c.recTask == "" {
				loc = ""
			}
			want := floorgate.ScanRecord{
				ScanID: c.sc.ID, Device: dev, Operator: c.sess.Operator, Task: c.recTask, Line: c.recLine, Location: loc,
				Data: c.sc.Data, AIM: c.sc.AIM, Kind: c.m.Kind, Code: c.code, Warning: c.warning, InBandCode: c.inBand, Qty: c.sc.Qty,
				Distance: c.dist, DeviceTime: c.sc.DeviceTime,
			}
			gotMM := rec.DistanceMM
			rec.DistanceMM = 0
			if !reflect.DeepEqual(rec, want) {
				t.Errorf("scan record:\n got %+v\nwant %+v", rec, want)
			}
			if (gotMM == 0) != (c.distMM == 0) || math.Abs(gotMM-c.distMM) > c.distMM*0.005 {
				t.Errorf("distance_mm = %v, want %v", gotMM, c.distMM)
			}

			if !accepted {
				checkUnchanged(t, st, r)
				return
			}
			if !reflect.DeepEqual(r.Session, *c.wantSess) {
				t.Errorf("session:\n got %+v\nwant %+v", r.Session, *c.wantSess)
			}
			if r.Task == nil || r.Task.Status != c.status {
				t.Fatalf("task after = %+v, want status %s", r.Task, c.status)
			}
			if c.line == nil {
				if r.Task != st.Task || r.TaskChanged {
					t.Errorf("a scan that changes no line returned a new task (changed=%v)", r.TaskChanged)
				}
				return
			}
			if !r.TaskChanged || r.Task == st.Task || &r.Task.Lines[0] == &st.Task.Lines[0] {
				t.Fatalf("changed task not returned as a new value with its own lines (changed=%v)", r.TaskChanged)
			}
			// Only the judged line differs; the rest of the task is as it was,
			// apart from the status and closing time of a completed task.
			wantTask := clone(before)
			l := &wantTask.Lines[c.line.i]
			l.Picked, l.Status = c.line.picked, c.line.status
			if c.line.status == floorgate.LineDone {
				l.ClosedAt = c.sc.At
			}
			if c.status == floorgate.TaskDone {
				wantTask.Status, wantTask.ClosedAt = floorgate.TaskDone, c.sc.At
			}
			if !reflect.DeepEqual(r.Task, wantTask) {
				t.Errorf("task after:\n got %+v\nwant %+v", r.Task, wantTask)
			}
		})
	}
}

func withLast(s floorgate.Session, data string, at time.Time) floorgate.Session {
	s.LastData, s.LastAt = data, at
	return s
}

func ptr[T any](v T) *T { return &v }

// TestScanEventPayloads checks the line and task events a closing scan
// emits, field by field, and their order.
func TestScanEventPayloads(t *testing.T) {
	cases := []struct {
		name  string
		sess  floorgate.Session
		task  func() *floorgate.Task
		sc    floorgate.Scan
		m     floorgate.Match
		lines floorgate.LineRecord
		done  *floorgate.TaskRecord
	}{
		{name: "line confirmed", sess: sess(0, true, ""), task: task(picked(0, 1)), sc: read(barRed, 0), m: itemRed,
			lines: floorgate.LineRecord{Task: "T1", Order: "SO-1001", Line: 1, Location: "A-01-01", SKU: "RED",
				Qty: 2, Picked: 2, Status: floorgate.LineDone, Operator: op, Device: dev}},
		{name: "task completed with a short line", sess: sess(2, true, ""),
			task: task(closed(0, floorgate.LineDone), closed(1, floorgate.LineShort)), sc: withQty(read(barGreen, 0), 5), m: itemGreen,
			lines: floorgate.LineRecord{Task: "T1", Order: "SO-1001", Line: 3, Location: "B-02-05", SKU: "GREEN",
				Qty: 5, Picked: 5, Status: floorgate.LineDone, Operator: op, Device: dev},
			done: &floorgate.TaskRecord{Task: "T1", Order: "SO-1001", Wave: "W7", Operator: op, Device: dev, Lines: 3, Short: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := scan.Scan(scan.State{Policy: floorgate.DefaultPolicy(), Session: c.sess, Task: c.task()}, c.sc, c.m)
			want := []string{floorgate.EventScanAccepted, floorgate.EventLineConfirmed}
			if c.done != nil {
				want = append(want, floorgate.EventTaskCompleted)
			}
			checkEvents(t, r.Events, c.sc.At, want...)
			if got := decode[floorgate.LineRecord](t, r.Events[1]); got != c.lines {
				t.Errorf("line record:\n got %+v\nwant %+v", got, c.lines)
			}
			if c.done != nil {
				if got := decode[floorgate.TaskRecord](t, r.Events[2]); got != *c.done {
					t.Errorf("task record:\n got %+v\nwant %+v", got, *c.done)
				}
			}
		})
	}
}

// TestPickFlow walks a whole task the way a picker does, one step feeding
// the next, with the verdict and prompt expected at each.
func TestPickFlow(t *testing.T) {
	steps := []struct {
		name   string
		sc     floorgate.Scan
		m      floorgate.Match
		code   floorgate.Code
		step   string // the next prompt's step
		line   int    // the next prompt's line, 1-based
		picked int    // the next prompt's picked count
	}{
		{"item first is refused", read(barRed, 0), itemRed, floorgate.CodeItemBeforeLocation, "scan_location", 1, 0},
		{"location A", read(barA, 1*time.Second), locA, floorgate.CodeLocationOK, "scan_item", 1, 0},
		{"first red", read(barRed, 2*time.Second), itemRed, floorgate.CodeItemOK, "scan_item", 1, 1},
		{"double read of it", read(barRed, 2*time.Second+100*time.Millisecond), itemRed, floorgate.CodeDuplicateScan, "scan_item", 1, 1},
		{"second red closes line 1, blue is in the same bin", read(barRed, 3*time.Second), itemRed, floorgate.CodeLineDone, "scan_item", 2, 0},
		{"a third red is an over-pick", read(barRed, 4*time.Second), itemRed, floorgate.CodeOverPick, "scan_item", 2, 0},
		{"blue closes line 2", read(barBlue, 5*time.Second), itemBlue, floorgate.CodeLineDone, "scan_location", 3, 0},
		{"another blue is still an over-pick", read(barBlue, 6*time.Second), itemBlue, floorgate.CodeOverPick, "scan_location", 3, 0},
		{"green before bin B", read(barGreen, 7*time.Second), itemGreen, floorgate.CodeItemBeforeLocation, "scan_location", 3, 0},
		{"bin A is the wrong bin now", read(barA, 8*time.Second), locA, floorgate.CodeWrongLocation, "scan_location", 3, 0},
		{"bin B", read(barB, 9*time.Second), locB, floorgate.CodeLocationOK, "scan_item", 3, 0},
		{"blue at bin B is a wrong item", read(barBlue, 10*time.Second), itemBlue, floorgate.CodeWrongItem, "scan_item", 3, 0},
		{"one green", read(barGreen, 11*time.Second), itemGreen, floorgate.CodeItemOK, "scan_item", 3, 1},
		{"five keyed is too many", withQty(read(barGreen, 12*time.Second), 5), itemGreen, floorgate.CodeOverPick, "scan_item", 3, 1},
		{"four keyed completes the task", withQty(read(barGreen, 13*time.Second), 4), itemGreen, floorgate.CodeTaskDone, "wait", 0, 0},
		{"nothing left", read(barGreen, 14*time.Second), itemGreen, floorgate.CodeNoTask, "wait", 0, 0},
	}
	st := scan.State{Policy: floorgate.DefaultPolicy(), Session: sess(0, false, ""), Task: task()()}
	var events []floorgate.Event
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := scan.Scan(st, s.sc, s.m)
			p := r.Verdict.Prompt
			if r.Verdict.Code != s.code || p.Step != s.step || p.Line != s.line || p.Picked != s.picked {
				t.Fatalf("got %s, prompt %s line %d picked %d; want %s, prompt %s line %d picked %d",
					r.Verdict.Code, p.Step, p.Line, p.Picked, s.code, s.step, s.line, s.picked)
			}
			st.Session, st.Task = r.Session, r.Task
			if r.Task != nil && r.Task.Status == floorgate.TaskDone {
				st.Task = nil // the store drops a finished task from the session
			}
			events = append(events, r.Events...)
		})
	}
	var accepted, rejected, lines, done int
	for _, e := range events {
		switch e.Type {
		case floorgate.EventScanAccepted:
			accepted++
		case floorgate.EventScanRejected:
			rejected++
		case floorgate.EventLineConfirmed:
			lines++
		case floorgate.EventTaskCompleted:
			done++
		}
	}
	if accepted != 7 || rejected != 9 || lines != 3 || done != 1 || len(events) != 20 {
		t.Errorf("events: %d accepted, %d rejected, %d lines, %d done, %d in all; want 7, 9, 3, 1, 20",
			accepted, rejected, lines, done, len(events))
	}
}
