package gateway

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/web/kpi"
)

// TestDailyReport: past reports.daily_at the day's report is written into
// state_dir/reports and report.daily goes upstream, once; before it,
// nothing is written.
func TestDailyReport(t *testing.T) {
	clock := floorgate.NewManualClock(time.Date(2026, 3, 1, 23, 50, 0, 0, time.Local))
	g := startDemo(t, clock)
	file := filepath.Join(g.Config.StateDir, "reports", "floorgate-2026-03-01.json")
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("a report before 23:55: %v", err)
	}
	clock.Set(time.Date(2026, 3, 1, 23, 56, 0, 0, time.Local))
	// What the minute's look would do, now.
	got, wrote, err := g.WriteDailyReport(context.Background(), clock.Now(), clock.Now())
	if err != nil || !wrote || got != file {
		t.Fatalf("WriteDailyReport: %s %v %v", got, wrote, err)
	}
	if _, wrote, _ := g.WriteDailyReport(context.Background(), clock.Now(), clock.Now()); wrote {
		t.Fatal("the day's report was written twice")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rep kpi.Report
	if err := json.Unmarshal(raw, &rep); err != nil || !rep.From.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.Local)) || !rep.To.Equal(clock.Now()) {
		t.Fatalf("report %v from %v to %v", err, rep.From, rep.To)
	}
	evs, err := g.DB.Journal(1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == EventReportDaily {
			var d DailyReport
			if err := json.Unmarshal(ev.Data, &d); err != nil || d.Date != "2026-03-01" || d.File != file {
				t.Fatalf("report.daily %s: %v", ev.Data, err)
			}
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d report.daily events, want 1", n)
	}
}

// TestDailyReportLoop: a gateway started after reports.daily_at writes the
// day's report by itself.
func TestDailyReportLoop(t *testing.T) {
	clock := floorgate.NewManualClock(time.Date(2026, 3, 2, 23, 58, 0, 0, time.Local))
	g := startDemo(t, clock)
	file := filepath.Join(g.Config.StateDir, "reports", "floorgate-2026-03-02.json")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(file); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no report written")
		}
		runtime.Gosched()
	}
}
