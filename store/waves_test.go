package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// eventsOf is the types of the journal's events after seq from.
func (e *env) eventsAfter(from int) []string {
	e.t.Helper()
	var out []string
	for _, ev := range e.journal()[from:] {
		out = append(out, ev.Type)
	}
	return out
}

// pickTask picks every line of the task on dev's prompt v, one unit a
// scan (the fixture's location and item barcodes), until the prompt moves
// to another task or waits; it returns the last verdict.
func (e *env) pickTask(dev string, v floorgate.Verdict) floorgate.Verdict {
	e.t.Helper()
	task := v.Prompt.Task
	for n := 0; v.Prompt.Step != "wait" && v.Prompt.Task == task; n++ {
		if n > 100 {
			e.t.Fatalf("no end to the picking: %+v", v.Prompt)
		}
		p := v.Prompt
		if v = e.scan(dev, fmt.Sprintf("%s-%d-loc", p.Task, n), "LOC-"+strings.TrimPrefix(p.Location, "L")); v.Code != floorgate.CodeLocationOK {
			e.t.Fatalf("location %s: %s", p.Location, v.Code)
		}
		v = e.scan(dev, fmt.Sprintf("%s-%d-item", p.Task, n), itemBarcode(int(p.SKU[1]-'0')))
		if !v.OK {
			e.t.Fatalf("item %s: %s", p.SKU, v.Code)
		}
	}
	return v
}

// TestHeldWaveIsReleasedThenCompletes: a held wave's tasks are never handed
// out; the ERP's wave.release hands them out before a lower-priority wave's
// (and plain tasks, wave priority 0); the wave completes with its last task,
// after that task's own events, and all of it survives a restart.
func TestHeldWaveIsReleasedThenCompletes(t *testing.T) {
	e := newEnv(t)
	if r := e.command(`{"id":"c1","type":"task.create","data":{"tasks":[{"id":"PLAIN","order":"O0","lines":[{"location":"L4","sku":"S4","qty":1}]}]}}`); !r.Applied {
		t.Fatalf("plain task: %+v", r)
	}
	cutoff := e.clock.Now().Add(3 * time.Hour).Format(time.RFC3339)
	r := e.command(`{"id":"c2","type":"task.create","data":{"wave":{"id":"PEAK-1","hold":true,"priority":9,"cutoff":"` + cutoff + `"},
		"tasks":[{"id":"W1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":1}]},
		         {"id":"W2","order":"O2","wave":"PEAK-1","lines":[{"location":"L2","sku":"S2","qty":1}]}]}}`)
	if !r.Applied {
		t.Fatalf("wave: %+v", r)
	}
	for _, id := range []string{"W1", "W2"} {
		if tk, _ := e.db.Task(id); tk.Status != floorgate.TaskHeld || tk.Wave != "PEAK-1" {
			t.Fatalf("task %s arrived %s in wave %q; want held in PEAK-1", id, tk.Status, tk.Wave)
		}
	}
	// The picker gets the plain task; the held wave waits behind it.
	if v := e.pda("pda-1", "BADGE1"); v.Prompt.Task != "PLAIN" {
		t.Fatalf("first task %q; want PLAIN, the only one not held", v.Prompt.Task)
	}
	if v := e.pickTask("pda-1", e.scan("pda-1", "noop", "LOC-9")); v.Prompt.Task != "" {
		t.Fatalf("after PLAIN the picker was given %q from a held wave", v.Prompt.Task)
	}
	e.reopen() // held stays held
	if wv, _ := e.db.Wave("PEAK-1"); wv.Status != floorgate.WaveHeld || wv.Tasks != 2 {
		t.Fatalf("after a restart: %+v; want held with 2 tasks", wv)
	}
	e.pda("pda-1", "BADGE1")

	before := len(e.journal())
	e.notices = nil
	if r := e.command(`{"id":"c3","type":"wave.release","data":{"wave":"PEAK-1"}}`); !r.Applied {
		t.Fatalf("release: %+v", r)
	}
	if got, want := e.eventsAfter(before), []string{"wave.released", "pick.task_started", "command.applied"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("release events %v; want %v", got, want)
	}
	if len(e.notices) != 1 || e.notices[0].Task != "W1" {
		t.Fatalf("the idle picker was told %+v; want W1 assigned", e.notices)
	}
	var rel floorgate.WaveRecord
	json.Unmarshal(e.journal()[before].Data, &rel)
	if rel.Wave != "PEAK-1" || rel.Tasks != 2 || rel.Priority != 9 || rel.ReleasedBy != floorgate.ReleasedByERP || rel.CutOff.Format(time.RFC3339) != cutoff {
		t.Fatalf("wave.released %+v", rel)
	}
	if r := e.command(`{"id":"c4","type":"wave.release","data":{"wave":"PEAK-1"}}`); r.Applied || !strings.Contains(r.Reason, "already released") {
		t.Fatalf("a second release: %+v; want refused, already released", r)
	}

	// A plain task arriving now waits behind the released wave's W2.
	e.command(`{"id":"c5","type":"task.create","data":{"tasks":[{"id":"LATE","order":"O9","priority":50,"lines":[{"location":"L3","sku":"S3","qty":1}]}]}}`)
	e.pickTask("pda-1", floorgate.Verdict{Prompt: floorgate.Prompt{Step: "scan_location", Task: "W1", Location: "L1", SKU: "S1"}})
	w2 := len(e.journal())
	if tk, _ := e.db.Task("W2"); tk.Status != floorgate.TaskAssigned {
		t.Fatalf("after W1 the picker was not given W2 (wave priority 9 over a task priority 50): W2 is %s", tk.Status)
	}
	e.pickTask("pda-1", floorgate.Verdict{Prompt: floorgate.Prompt{Step: "scan_location", Task: "W2", Location: "L2", SKU: "S2"}})
	got := e.eventsAfter(w2)
	want := []string{"scan.accepted", "scan.accepted", "pick.line_confirmed", "pick.task_completed", "wave.completed", "pick.task_started"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the wave's last task: %v; want %v", got, want)
	}
	wv, _ := e.db.Wave("PEAK-1")
	if wv.Status != floorgate.WaveCompleted || wv.Done != 2 || wv.Open() != 0 {
		t.Fatalf("after its last task: %+v", wv)
	}
	e.reopen()
	if wv, _ := e.db.Wave("PEAK-1"); wv.Status != floorgate.WaveCompleted {
		t.Fatalf("after a restart: %+v", wv)
	}
	if r := e.command(`{"id":"c6","type":"task.create","data":{"tasks":[{"id":"W3","order":"O3","wave":"PEAK-1","lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`); r.Applied || r.Field != "data.wave" || !strings.Contains(r.Reason, "completed") {
		t.Fatalf("a task for a completed wave: %+v; want refused in data.wave", r)
	}
	e.checkGapFree()
	e.verify()
}

// verify closes the store and checks its file as floorgate verify does.
func (e *env) verify() {
	e.t.Helper()
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
	if rep, err := Verify(e.path); err != nil || rep.Problems > 0 {
		e.t.Fatalf("verify: %+v %v", rep, err)
	}
}

// TestWaveReleaseTime: a held wave with a release time is released by
// ReleaseDue once the store's clock reaches it, not before.
func TestWaveReleaseTime(t *testing.T) {
	e := newEnv(t)
	at := e.clock.Now().Add(30 * time.Minute)
	r := e.command(`{"id":"c1","type":"task.create","data":{"wave":{"id":"NOON","hold":true,"release_at":"` + at.Format(time.RFC3339) + `"},
		"tasks":[{"id":"N1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`)
	if !r.Applied {
		t.Fatalf("%+v", r)
	}
	e.pda("pda-1", "BADGE1")
	e.clock.Add(29 * time.Minute)
	if ids, err := e.db.ReleaseDue(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("a minute early: released %v %v", ids, err)
	}
	e.clock.Add(time.Minute)
	if ids, err := e.db.ReleaseDue(ctx); err != nil || fmt.Sprint(ids) != "[NOON]" {
		t.Fatalf("at the time: released %v %v; want [NOON]", ids, err)
	}
	wv, _ := e.db.Wave("NOON")
	if tk, _ := e.db.Task("N1"); wv.Status != floorgate.WaveReleased || wv.ReleasedBy != floorgate.ReleasedBySchedule || tk.Status != floorgate.TaskAssigned {
		t.Fatalf("wave %+v, task %s; want released by schedule and N1 given to the idle picker", wv, tk.Status)
	}
}

// TestWaveRefusals: a wave is refused at the door, whole, naming the field.
func TestWaveRefusals(t *testing.T) {
	e := newEnv(t)
	e.command(`{"id":"ok","type":"task.create","data":{"wave":{"id":"W","hold":true,"priority":3},"tasks":[{"id":"T1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`)
	e.command(`{"id":"label","type":"task.create","data":{"tasks":[{"id":"T9","order":"O9","wave":"LBL","lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`)
	cases := []struct {
		name, data, field, why string
	}{
		{"task in another wave", `{"wave":{"id":"W","hold":true,"priority":3},"tasks":[{"id":"T2","order":"O2","wave":"X","lines":[{"location":"L1","sku":"S1","qty":1}]}]}`, "data.tasks[0].wave", `"X" is not the command's wave "W"`},
		{"priority changed", `{"wave":{"id":"W","hold":true,"priority":4},"tasks":[{"id":"T2","order":"O2","lines":[{"location":"L1","sku":"S1","qty":1}]}]}`, "data.wave.priority", "4 differs from the wave's 3"},
		{"hold dropped", `{"wave":{"id":"W","priority":3},"tasks":[{"id":"T2","order":"O2","lines":[{"location":"L1","sku":"S1","qty":1}]}]}`, "data.wave.hold", "differs"},
		{"release time without hold", `{"wave":{"id":"V","release_at":"2026-11-22T10:00:00Z"},"tasks":[{"id":"T2","order":"O2","lines":[{"location":"L1","sku":"S1","qty":1}]}]}`, "data.wave.release_at", "needs \"hold\": true"},
		{"priority out of range", `{"wave":{"id":"V","priority":5000},"tasks":[{"id":"T2","order":"O2","lines":[{"location":"L1","sku":"S1","qty":1}]}]}`, "data.wave.priority", "5000 is not between -1000 and 1000"},
		{"cut-off before release", `{"wave":{"id":"V","hold":true,"release_at":"2026-11-22T10:00:00Z","cutoff":"2026-11-22T09:30:00Z"},"tasks":[{"id":"T2","order":"O2","lines":[{"location":"L1","sku":"S1","qty":1}]}]}`, "data.wave.cutoff", "before the release time"},
		{"a label already in use", `{"wave":{"id":"LBL"},"tasks":[{"id":"T2","order":"O2","lines":[{"location":"L1","sku":"S1","qty":1}]}]}`, "data.wave.id", "already the wave label of open task T9"},
		{"walk sequence sent", `{"tasks":[{"id":"T2","order":"O2","lines":[{"location":"L1","sku":"S1","qty":1,"walk_seq":4}]}]}`, "data.tasks[0].lines[0].walk_seq", "from master data"},
	}
	for i, c := range cases {
		r := e.command(fmt.Sprintf(`{"id":"bad%d","type":"task.create","data":%s}`, i, c.data))
		if r.Applied || r.Field != c.field || !strings.Contains(r.Reason, c.why) {
			t.Errorf("%s: %+v; want refused in %s: %s", c.name, r, c.field, c.why)
		}
	}
	for i, c := range []struct{ data, why string }{
		{`{"wave":"NOPE"}`, `no wave "NOPE"`},
		{`{}`, "missing"},
	} {
		if r := e.command(fmt.Sprintf(`{"id":"rel-%d","type":"wave.release","data":%s}`, i, c.data)); r.Applied || r.Field != "data.wave" || !strings.Contains(r.Reason, c.why) {
			t.Errorf("release %s: %+v; want refused in data.wave: %s", c.data, r, c.why)
		}
	}
	if tk, _ := e.db.Task("T2"); tk != nil {
		t.Fatalf("a refused command left task T2 behind: %+v", tk)
	}
	if wv, _ := e.db.Wave("W"); wv.Tasks != 1 {
		t.Fatalf("refused commands counted tasks into wave W: %+v", wv)
	}
	if _, err := e.db.Wave("V"); err == nil {
		t.Fatal("a refused command left wave V behind")
	}
	// Repeating the first command's definition with another task joins it.
	if r := e.command(`{"id":"more","type":"task.create","data":{"wave":{"id":"W","hold":true,"priority":3},"tasks":[{"id":"T3","order":"O3","lines":[{"location":"L2","sku":"S2","qty":1}]}]}}`); !r.Applied {
		t.Fatalf("more of the wave: %+v", r)
	}
	if wv, _ := e.db.Wave("W"); wv.Tasks != 2 {
		t.Fatalf("wave W after more tasks: %+v; want 2 tasks", wv)
	}
}

// TestCancelledWaveCompletes: a held wave whose every task is cancelled is
// completed, with its tasks counted as cancelled.
func TestCancelledWaveCompletes(t *testing.T) {
	e := newEnv(t)
	e.command(`{"id":"c1","type":"task.create","data":{"wave":{"id":"W","hold":true},"tasks":[
		{"id":"T1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":1}]},
		{"id":"T2","order":"O2","lines":[{"location":"L2","sku":"S2","qty":1}]}]}}`)
	e.command(`{"id":"c2","type":"task.cancel","data":{"task":"T1","reason":"refund"}}`)
	if wv, _ := e.db.Wave("W"); wv.Status != floorgate.WaveHeld || wv.Cancelled != 1 {
		t.Fatalf("one cancelled: %+v", wv)
	}
	before := len(e.journal())
	e.command(`{"id":"c3","type":"task.cancel","data":{"task":"T2","reason":"refund"}}`)
	if got := e.eventsAfter(before); fmt.Sprint(got) != "[wave.completed command.applied]" {
		t.Fatalf("the last cancel: %v", got)
	}
	var rec floorgate.WaveRecord
	json.Unmarshal(e.journal()[before].Data, &rec)
	if rec.Cancelled != 2 || rec.Done != 0 || rec.Tasks != 2 {
		t.Fatalf("wave.completed %+v; want 2 of 2 cancelled", rec)
	}
	e.verify()
}

// TestZonesAndWalkOrder: a picker limited to zones is given only tasks
// whose every location is in them, even when another task is first in the
// queue; a task's lines are walked in their locations' walk sequence.
func TestZonesAndWalkOrder(t *testing.T) {
	e := newEnv(t)
	m := fixture()
	for i := range m.Locations {
		m.Locations[i].Zone = []string{"AMB", "AMB", "COLD", "COLD"}[i]
		m.Locations[i].WalkSeq = []int{40, 30, 20, 10}[i]
	}
	m.Operators[1].Zones = []string{"COLD"}
	if err := e.db.PutMaster(ctx, m); err != nil {
		t.Fatal(err)
	}
	bad := m
	bad.Operators = []floorgate.Operator{m.Operators[0]}
	bad.Operators[0].Zones = []string{"FROZEN"}
	if err := e.db.PutMaster(ctx, bad); err == nil || !strings.Contains(err.Error(), `zones[0]: no location is in zone "FROZEN"`) {
		t.Fatalf("a zone no location is in: %v", err)
	}
	mixed := task("MIXED", line("L1", "S1", 1), line("L3", "S3", 1))
	mixed.Priority = 5 // first in the queue
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{mixed, task("COLD", line("L3", "S3", 1), line("L4", "S4", 1))}); err != nil {
		t.Fatal(err)
	}
	if v := e.pda("pda-2", "BADGE2"); v.Prompt.Task != "COLD" || v.Prompt.Location != "L4" || v.Prompt.Line != 2 {
		t.Fatalf("the cold-zone picker's prompt: %+v; want task COLD, line 2 at L4 (first on the walk)", v.Prompt)
	}
	if v := e.pda("pda-1", "BADGE1"); v.Prompt.Task != "MIXED" || v.Prompt.Location != "L3" {
		t.Fatalf("the picker of every zone: %+v; want MIXED at L3 (walk 20 before L1's 40)", v.Prompt)
	}
}

// TestWaveWithoutHold: a wave declared without a hold is released as it
// arrives (wave.released, by arrival, after its tasks' task.received) and
// its tasks are handed out at once.
func TestWaveWithoutHold(t *testing.T) {
	e := newEnv(t)
	e.pda("pda-1", "BADGE1")
	before := len(e.journal())
	e.command(`{"id":"c1","type":"task.create","data":{"wave":{"id":"NOW","priority":2},"tasks":[{"id":"T1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`)
	if got := e.eventsAfter(before); fmt.Sprint(got) != "[task.received wave.released pick.task_started command.applied]" {
		t.Fatalf("events %v", got)
	}
	if wv, _ := e.db.Wave("NOW"); wv.Status != floorgate.WaveReleased || wv.ReleasedBy != floorgate.ReleasedOnArrival {
		t.Fatalf("%+v; want released on arrival", wv)
	}
}

// TestCompletedWavesAreForgotten: retention forgets a wave completed
// before the cut, and keeps open waves and recent ones.
func TestCompletedWavesAreForgotten(t *testing.T) {
	e := newEnv(t)
	e.command(`{"id":"c1","type":"task.create","data":{"wave":{"id":"OLD","hold":true},"tasks":[{"id":"T1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`)
	e.command(`{"id":"c2","type":"task.create","data":{"wave":{"id":"OPEN","hold":true},"tasks":[{"id":"T2","order":"O2","lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`)
	e.command(`{"id":"c3","type":"task.cancel","data":{"task":"T1","reason":"refund"}}`)
	e.clock.Add(8 * 24 * time.Hour)
	st, err := e.db.PruneAll(ctx, e.clock.Now().Add(-7*24*time.Hour))
	if err != nil || st.Waves != 1 {
		t.Fatalf("prune: %+v %v; want one wave forgotten", st, err)
	}
	if _, err := e.db.Wave("OLD"); err == nil {
		t.Fatal("the completed wave is still kept")
	}
	if wv, err := e.db.Wave("OPEN"); err != nil || wv.Status != floorgate.WaveHeld {
		t.Fatalf("the open wave: %+v %v", wv, err)
	}
	e.reopen()
	if _, err := e.db.Wave("OLD"); err == nil {
		t.Fatal("the completed wave is back after a restart")
	}
}
