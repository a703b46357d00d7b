package web

import (
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// TestRecentLabels: only printed jobs, newest first by the time they were
// printed (created when never updated), ties by id, cut at the limit, each
// with its preview's path.
func TestRecentLabels(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	jobs := []floorgate.PrintJob{
		{ID: "waybill:A", Order: "A", Status: floorgate.JobPrinted, Created: t0, Updated: t0.Add(3 * time.Minute)},
		{ID: "waybill:B", Order: "B", Status: floorgate.JobHeld, Created: t0.Add(time.Hour)},
		{ID: "waybill:C", Order: "C", Status: floorgate.JobPrinted, Created: t0.Add(5 * time.Minute)},
		{ID: "waybill:D", Order: "D", Status: floorgate.JobFailed, Created: t0.Add(time.Hour)},
		{ID: "waybill:E", Order: "E", Status: floorgate.JobPrinted, Created: t0, Updated: t0.Add(3 * time.Minute), ReprintOf: "waybill:A"},
		{ID: "waybill:F/1", Order: "F", Status: floorgate.JobPrinted, Created: t0},
	}
	tests := []struct {
		name  string
		limit int
		want  string
	}{
		{"all printed", 24, "waybill:C waybill:E waybill:A waybill:F/1"},
		{"cut at the limit", 2, "waybill:C waybill:E"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := recentLabels(jobs, tt.limit)
			var ids []string
			for _, l := range got {
				ids = append(ids, l.Job)
			}
			if strings.Join(ids, " ") != tt.want {
				t.Fatalf("labels %v, want %s", ids, tt.want)
			}
		})
	}
	all := recentLabels(jobs, 24)
	if all[1].ReprintOf != "waybill:A" || !all[0].Printed.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("labels %+v", all[:2])
	}
	if p := all[3].Preview; p != "/api/v1/printjobs/waybill:F%2F1/preview.png" {
		t.Errorf("preview %q", p)
	}
}
