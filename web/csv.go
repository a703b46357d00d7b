package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/web/kpi"
)

// csvTables are the tables GET /api/v1/kpi.csv exports.
var csvTables = []string{"site", "hours", "days", "people", "people_days", "waves", "variants"}

// figureColumns are the figures every KPI table has, in its columns' order:
// the same definitions as GET /api/v1/kpi (docs/web-api.md).
var figureColumns = []struct {
	name string
	val  func(f *kpi.Figures) string
}{
	{"scans", func(f *kpi.Figures) string { return itoa(f.Scans) }},
	{"accepted", func(f *kpi.Figures) string { return itoa(f.Accepted) }},
	{"rejected", func(f *kpi.Figures) string { return itoa(f.Rejected) }},
	{"lines", func(f *kpi.Figures) string { return itoa(f.Lines) }},
	{"short_lines", func(f *kpi.Figures) string { return itoa(f.ShortLines) }},
	{"hours_logged_in", func(f *kpi.Figures) string { return ftoa(f.HoursLoggedIn) }},
	{"lines_per_hour", func(f *kpi.Figures) string { return ftoa(f.LinesPerHour) }},
	{"units_discrete", func(f *kpi.Figures) string { return itoa(f.Modes[floorgate.ModeDiscrete].Units) }},
	{"units_cluster", func(f *kpi.Figures) string { return itoa(f.Modes[floorgate.ModeCluster].Units) }},
	{"units_batch", func(f *kpi.Figures) string { return itoa(f.Modes[floorgate.ModeBatch].Units) }},
	{"pick_scans", func(f *kpi.Figures) string { return itoa(f.PickScans) }},
	{"wrong_pick_scans", func(f *kpi.Figures) string { return itoa(f.WrongPickScans) }},
	{"pick_accuracy", func(f *kpi.Figures) string { return ptoa(f.PickAccuracy) }},
	{"line_accuracy", func(f *kpi.Figures) string { return ptoa(f.LineAccuracy) }},
	{"sequence_compliance", func(f *kpi.Figures) string { return ptoa(f.SequenceCompliance) }},
	{"distance_in", func(f *kpi.Figures) string { return itoa(f.Distance.In) }},
	{"distance_out", func(f *kpi.Figures) string { return itoa(f.Distance.Out) }},
	{"distance_unknown", func(f *kpi.Figures) string { return itoa(f.Distance.Unknown) }},
	{"distance_not_measurable", func(f *kpi.Figures) string { return itoa(f.Distance.NotMeasurable) }},
	{"distance_in_band_share", func(f *kpi.Figures) string { return ptoa(f.Distance.InBandShare) }},
	{"pick_count", func(f *kpi.Figures) string { return itoa(f.Stages.Pick.Count) }},
	{"pick_mean_s", func(f *kpi.Figures) string { return ftoa(f.Stages.Pick.MeanS) }},
	{"pack_count", func(f *kpi.Figures) string { return itoa(f.Stages.Pack.Count) }},
	{"pack_mean_s", func(f *kpi.Figures) string { return ftoa(f.Stages.Pack.MeanS) }},
	{"outbound_count", func(f *kpi.Figures) string { return itoa(f.PackToOutbound.Count) }},
	{"outbound_mean_s", func(f *kpi.Figures) string { return ftoa(f.PackToOutbound.MeanS) }},
	{"outbound_p90_s", func(f *kpi.Figures) string { return ftoa(f.PackToOutbound.P90S) }},
	{"outbound_within_standard", func(f *kpi.Figures) string { return itoa(f.PackToOutbound.WithinStandard) }},
	{"short_picks", func(f *kpi.Figures) string { return itoa(f.Exceptions.ShortPicks) }},
	{"intercepts", func(f *kpi.Figures) string { return itoa(f.Exceptions.Intercepts) }},
	{"label_failures", func(f *kpi.Figures) string { return itoa(f.Exceptions.LabelFailures) }},
	{"parcels_packed", func(f *kpi.Figures) string {
		return itoa(sumVariants(f, func(v kpi.VariantFigures) int { return v.Packed }))
	}},
	{"parcels_shipped", func(f *kpi.Figures) string {
		return itoa(sumVariants(f, func(v kpi.VariantFigures) int { return v.Shipped }))
	}},
	{"orders", func(f *kpi.Figures) string { return itoa(f.Orders) }},
	{"orders_with_exception", func(f *kpi.Figures) string { return itoa(f.OrdersWithException) }},
	{"exception_rate", func(f *kpi.Figures) string { return ptoa(f.ExceptionRate) }},
	{"compliant_orders", func(f *kpi.Figures) string { return itoa(f.CompliantOrders) }},
	{"compliance", func(f *kpi.Figures) string { return ptoa(f.Compliance) }},
}

// groupColumns are the columns of the waves and variants tables, one row
// per Report.Waves or Report.VariantGroups entry (docs/web-api.md).
var groupColumns = []struct {
	name string
	val  func(g *kpi.OrderGroup) string
}{
	{"orders", func(g *kpi.OrderGroup) string { return itoa(g.Orders) }},
	{"orders_with_exception", func(g *kpi.OrderGroup) string { return itoa(g.OrdersWithException) }},
	{"exception_rate", func(g *kpi.OrderGroup) string { return ptoa(g.ExceptionRate) }},
	{"compliant_orders", func(g *kpi.OrderGroup) string { return itoa(g.CompliantOrders) }},
	{"compliance", func(g *kpi.OrderGroup) string { return ptoa(g.Compliance) }},
	{"scans", func(g *kpi.OrderGroup) string { return itoa(g.Scans) }},
	{"wrong_scans", func(g *kpi.OrderGroup) string { return itoa(g.WrongScans) }},
	{"error_rate", func(g *kpi.OrderGroup) string { return ptoa(g.ErrorRate) }},
	{"pick_scans", func(g *kpi.OrderGroup) string { return itoa(g.PickScans) }},
	{"wrong_pick_scans", func(g *kpi.OrderGroup) string { return itoa(g.WrongPickScans) }},
	{"pick_accuracy", func(g *kpi.OrderGroup) string { return ptoa(g.PickAccuracy) }},
	{"distance_in", func(g *kpi.OrderGroup) string { return itoa(g.DistanceIn) }},
	{"distance_out", func(g *kpi.OrderGroup) string { return itoa(g.DistanceOut) }},
	{"in_band_share", func(g *kpi.OrderGroup) string { return ptoa(g.InBandShare) }},
	{"pick_count", func(g *kpi.OrderGroup) string { return itoa(g.Stages.Pick.Count) }},
	{"pick_mean_s", func(g *kpi.OrderGroup) string { return ftoa(g.Stages.Pick.MeanS) }},
	{"pick_p90_s", func(g *kpi.OrderGroup) string { return ftoa(g.Stages.Pick.P90S) }},
	{"pack_count", func(g *kpi.OrderGroup) string { return itoa(g.Stages.Pack.Count) }},
	{"pack_mean_s", func(g *kpi.OrderGroup) string { return ftoa(g.Stages.Pack.MeanS) }},
	{"pack_p90_s", func(g *kpi.OrderGroup) string { return ftoa(g.Stages.Pack.P90S) }},
	{"outbound_count", func(g *kpi.OrderGroup) string { return itoa(g.Stages.Outbound.Count) }},
	{"outbound_mean_s", func(g *kpi.OrderGroup) string { return ftoa(g.Stages.Outbound.MeanS) }},
	{"outbound_p90_s", func(g *kpi.OrderGroup) string { return ftoa(g.Stages.Outbound.P90S) }},
}

func itoa(n int) string { return strconv.Itoa(n) }
func ftoa(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}
func ptoa(f *float64) string {
	if f == nil {
		return ""
	}
	return ftoa(*f)
}
func sumVariants(f *kpi.Figures, get func(kpi.VariantFigures) int) int {
	n := 0
	for _, v := range f.Variants {
		n += get(v)
	}
	return n
}

// handleKPICSV: GET /api/v1/kpi.csv?table=&from=&to= — a KPI table as CSV,
// written row by row as it is computed: site (one row for the window),
// hours (the site per clock hour), days (the site per day, in the
// gateway's time zone), people (each person over the window), people_days
// (each person per day), waves (each wave's orders over the window:
// Report.Waves), variants (each variant's: Report.VariantGroups). Every
// row has the same figures as GET /api/v1/kpi over the same span.
func (s *Server) handleKPICSV(w http.ResponseWriter, r *http.Request) {
	table := r.URL.Query().Get("table")
	if table == "" {
		table = "people"
	}
	known := false
	for _, t := range csvTables {
		known = known || t == table
	}
	if !known {
		writeErr(w, floorgate.Errorf(floorgate.EINVALID, "table: %q is not one of %v", table, csvTables))
		return
	}
	from, to, err := s.window(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	var spans [][2]time.Time
	switch table {
	case "days", "people_days":
		for d := dayStart(from); d.Before(to); d = d.AddDate(0, 0, 1) {
			spans = append(spans, [2]time.Time{maxTime(d, from), minTime(d.AddDate(0, 0, 1), to)})
		}
	default:
		spans = [][2]time.Time{{from, to}}
	}
	names := s.names()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"floorgate-kpi-%s-%s.csv\"", table, from.Format("20060102")))
	cw := csv.NewWriter(w)
	head := []string{"from", "to"}
	groups := table == "waves" || table == "variants"
	switch {
	case table == "people" || table == "people_days":
		head = append(head, "operator", "name", "role")
	case groups:
		head = append(head, strings.TrimSuffix(table, "s"))
	}
	if groups {
		for _, c := range groupColumns {
			head = append(head, c.name)
		}
	} else {
		for _, c := range figureColumns {
			head = append(head, c.name)
		}
	}
	cw.Write(head)
	groupRow := func(a, b time.Time, g *kpi.OrderGroup) {
		rec := []string{a.Format(time.RFC3339), b.Format(time.RFC3339), g.Group}
		for _, c := range groupColumns {
			rec = append(rec, c.val(g))
		}
		cw.Write(rec)
	}
	row := func(a, b time.Time, who []string, f *kpi.Figures) {
		rec := append([]string{a.Format(time.RFC3339), b.Format(time.RFC3339)}, who...)
		for _, c := range figureColumns {
			rec = append(rec, c.val(f))
		}
		cw.Write(rec)
	}
	for _, sp := range spans {
		rep, err := s.kpis.report(r.Context(), sp[0], sp[1], names, false)
		if err != nil {
			// The header is sent: say so in the table, where a reader sees it.
			cw.Write([]string{"error", err.Error()})
			break
		}
		switch table {
		case "site", "days":
			row(sp[0], sp[1], nil, &rep.Site)
		case "waves":
			for i := range rep.Waves {
				groupRow(sp[0], sp[1], &rep.Waves[i])
			}
		case "variants":
			for i := range rep.VariantGroups {
				groupRow(sp[0], sp[1], &rep.VariantGroups[i])
			}
		case "hours":
			for i := range rep.Hours {
				h := &rep.Hours[i]
				row(maxTime(h.Start, sp[0]), minTime(h.Start.Add(time.Hour), sp[1]), nil, &h.Figures)
			}
		default:
			for i := range rep.People {
				p := &rep.People[i]
				row(sp[0], sp[1], []string{p.Operator, p.Name, p.Role}, &p.Figures)
			}
		}
		cw.Flush()
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	cw.Flush()
}

func dayStart(t time.Time) time.Time {
	y, m, d := t.Local().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.Local)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// timelineColumns are the columns of GET /api/v1/timelines.csv.
var timelineColumns = []string{"order", "released", "cutoff", "pick_started", "picked", "pack_started", "packed",
	"label_printed", "shipped", "cancelled", "held", "short_lines", "pick_s", "pack_s", "outbound_s", "release_to_ship_s", "alerts"}

// handleTimelinesCSV: GET /api/v1/timelines.csv?from=&to= — every order
// released in the window, one row each with its node times and the time
// each stage took, streamed as it is read.
func (s *Server) handleTimelinesCSV(w http.ResponseWriter, r *http.Request) {
	from, to, err := s.window(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"floorgate-timelines-%s.csv\"", from.Format("20060102")))
	cw := csv.NewWriter(w)
	cw.Write(timelineColumns)
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	secs := func(a, b time.Time) string {
		if a.IsZero() || b.IsZero() {
			return ""
		}
		return ftoa(b.Sub(a).Seconds())
	}
	rows := 0
	err = s.opts.DB.Timelines(from, to, func(t floorgate.OrderTimeline) error {
		var alerts []string
		for _, rule := range floorgate.SLARules() {
			if st, ok := t.Alerts[rule]; ok {
				alerts = append(alerts, string(rule)+":"+string(st))
			}
		}
		held := ""
		if t.Held {
			held = "true"
		}
		cw.Write([]string{t.Order, at(t.Released), at(t.CutOff), at(t.PickStarted), at(t.Picked), at(t.PackStarted), at(t.Packed),
			at(t.LabelPrinted), at(t.Shipped), at(t.Cancelled), held, itoa(t.Short),
			secs(t.PickStarted, t.Picked), secs(t.PackStarted, t.Packed), secs(t.Packed, t.Shipped), secs(t.Released, t.Shipped),
			strings.Join(alerts, " ")})
		if rows++; rows%1000 == 0 {
			cw.Flush()
		}
		return cw.Error()
	})
	if err != nil {
		cw.Write([]string{"error", err.Error()})
	}
	cw.Flush()
}
