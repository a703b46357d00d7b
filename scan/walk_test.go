package scan_test

import (
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// walked gives the fixture task's lines walk sequences: GREEN's bin B comes
// first on the walk, then bin A's two lines in their given order.
func walked(t *floorgate.Task) {
	t.Lines[0].WalkSeq, t.Lines[1].WalkSeq, t.Lines[2].WalkSeq = 20, 20, 10
}

// TestWalkOrder: a pick list is walked in its locations' walk sequence,
// not in the order the lines were sent; lines of one walk sequence keep
// theirs; a line skipped on the walk comes round again.
func TestWalkOrder(t *testing.T) {
	assigned := scan.Assign(floorgate.Session{Device: dev, Operator: op}, task(walked, status(floorgate.TaskPending))(), t0)
	if p := assigned.Verdict.Prompt; p.Line != 3 || p.Location != "B-02-05" {
		t.Fatalf("the first prompt is line %d at %s; want line 3 at B-02-05, first on the walk", p.Line, p.Location)
	}
	steps := []struct {
		name string
		sc   floorgate.Scan
		m    floorgate.Match
		code floorgate.Code
		line int // the next prompt's line, 1-based
		loc  string
	}{
		{"bin A is not first on the walk", read(barA, time.Second), locA, floorgate.CodeWrongLocation, 3, "B-02-05"},
		{"bin B", read(barB, 2*time.Second), locB, floorgate.CodeLocationOK, 3, "B-02-05"},
		{"five green close line 3; line 1 is next", withQty(read(barGreen, 3*time.Second), 5), itemGreen, floorgate.CodeLineDone, 1, "A-01-01"},
		{"bin A", read(barA, 4*time.Second), locA, floorgate.CodeLocationOK, 1, "A-01-01"},
		{"red", read(barRed, 5*time.Second), itemRed, floorgate.CodeItemOK, 1, "A-01-01"},
		{"red again closes line 1; blue in the same bin", read(barRed, 6*time.Second), itemRed, floorgate.CodeLineDone, 2, "A-01-01"},
		{"blue completes the task", read(barBlue, 7*time.Second), itemBlue, floorgate.CodeTaskDone, 0, ""},
	}
	st := scan.State{Policy: floorgate.DefaultPolicy(), Session: assigned.Session, Task: assigned.Task}
	for _, s := range steps {
		r := scan.Scan(st, s.sc, s.m)
		if p := r.Verdict.Prompt; r.Verdict.Code != s.code || p.Line != s.line || p.Location != s.loc {
			t.Fatalf("%s: %s, next line %d at %q; want %s, line %d at %q", s.name, r.Verdict.Code, p.Line, p.Location, s.code, s.line, s.loc)
		}
		st.Session, st.Task = r.Session, r.Task
	}

	// A short pick at bin B closes line 3 and the walk goes on to bin A;
	// a line left open behind the walk (the session pointed past it) is
	// found again from the start of the walk.
	st = scan.State{Policy: floorgate.DefaultPolicy(), Session: sess(2, true, ""), Task: task(walked)()}
	r := scan.Short(st, "short-1", 2, t0)
	if p := r.Verdict.Prompt; r.Verdict.Code != floorgate.CodeShortOK || p.Line != 1 {
		t.Fatalf("short at bin B: %s, next line %d; want short_ok, line 1", r.Verdict.Code, p.Line)
	}
	behind := task(walked, closed(1, floorgate.LineDone))()
	st = scan.State{Policy: floorgate.DefaultPolicy(), Session: sess(2, true, ""), Task: behind}
	r = scan.Scan(st, withQty(read(barGreen, time.Second), 5), itemGreen)
	if p := r.Verdict.Prompt; r.Verdict.Code != floorgate.CodeLineDone || p.Line != 1 {
		t.Fatalf("closing the walk's first stop with line 1 still open: %s, next line %d; want line_done, line 1", r.Verdict.Code, p.Line)
	}
}
