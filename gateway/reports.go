package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/web/kpi"
)

// EventReportDaily: the day's report was written into the state directory.
const EventReportDaily = "report.daily"

// DailyReport is the payload of report.daily: the day, where its report is
// kept on the gateway, and the site's figures for it (the people's are in
// the file: a floor's day of them is too large for one message).
type DailyReport struct {
	Date string      `json:"date"` // YYYY-MM-DD, the gateway's time zone
	From time.Time   `json:"from"`
	To   time.Time   `json:"to"`
	File string      `json:"file"`
	Site kpi.Figures `json:"site"`
}

// dailyAt parses reports.daily_at: "" (none) or HH:MM.
func dailyAt(s string) (time.Duration, error) {
	if s == "" {
		return -1, nil
	}
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day like 23:55", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// reportsDir is where daily reports are kept.
func (g *Gateway) reportsDir() string { return filepath.Join(g.Config.StateDir, "reports") }

// WriteDailyReport writes the report of the day holding day (the gateway's
// time zone) up to to — the day's end, or now for today — as
// reports/floorgate-YYYY-MM-DD.json in the state directory, and sends
// report.daily upstream. A day already written is left as it is.
func (g *Gateway) WriteDailyReport(ctx context.Context, day, to time.Time) (string, bool, error) {
	// One at a time: the minute's look and a caller must not both write
	// the day's report (and send it twice).
	g.reportMu.Lock()
	defer g.reportMu.Unlock()
	y, m, d := day.In(time.Local).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, time.Local)
	end := from.AddDate(0, 0, 1)
	if to.After(end) {
		to = end
	}
	date := from.Format("2006-01-02")
	file := filepath.Join(g.reportsDir(), "floorgate-"+date+".json")
	if _, err := os.Stat(file); err == nil {
		return file, false, nil
	}
	rep, err := g.Web.Report(ctx, from, to)
	if err != nil {
		return "", false, fmt.Errorf("daily report %s: %w", date, err)
	}
	raw, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		return "", false, fmt.Errorf("daily report %s: %w", date, err)
	}
	if err := os.MkdirAll(g.reportsDir(), 0o750); err != nil {
		return "", false, fmt.Errorf("daily report %s: %w", date, err)
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o640); err != nil {
		return "", false, fmt.Errorf("daily report %s: %w", date, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return "", false, fmt.Errorf("daily report %s: %w", date, err)
	}
	ev := floorgate.NewEvent(EventReportDaily, g.Clock.Now(), DailyReport{Date: date, From: from, To: to, File: file, Site: rep.Site})
	if err := g.DB.EmitEvents(ctx, []floorgate.Event{ev}); err != nil {
		return "", false, fmt.Errorf("daily report %s: %w", date, err)
	}
	return file, true, nil
}

// runDailyReports writes each day's report once its reports.daily_at has
// passed, looking every minute on the gateway's clock (a gateway started
// after that time writes the day's at once).
func (g *Gateway) runDailyReports(ctx context.Context, every time.Duration) {
	at, _ := dailyAt(g.Config.Reports.DailyAt)
	if at < 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		now := g.Clock.Now().In(time.Local)
		y, m, d := now.Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, time.Local)
		if !now.Before(today.Add(at)) {
			if _, _, err := g.WriteDailyReport(ctx, today, now); err != nil && !errors.Is(err, context.Canceled) {
				g.Log.Error("daily report", "err", err)
			}
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}
