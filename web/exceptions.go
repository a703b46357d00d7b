package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/web/kpi"
)

// exceptionItem is an exception event as GET /api/v1/exceptions lists it.
type exceptionItem struct {
	Seq  uint64          `json:"seq"`
	Time time.Time       `json:"time"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// exceptionsView is GET /api/v1/exceptions.
type exceptionsView struct {
	// Now is the gateway's clock, to age the open cases by.
	Now time.Time `json:"now"`
	// Items are the window's exception events (pick.exception,
	// exception.raised, exception.resolved, label.failed), newest first.
	Items []exceptionItem `json:"items"`
	// Summary is the KPI report's exceptions figures for the window.
	Summary kpi.Exceptions `json:"summary"`
	// Cases are the cases raised in the window and every case still open,
	// newest first.
	Cases []floorgate.ExceptionCase `json:"cases"`
	// Timing is how fast the window's cases reached upstream and were
	// resolved.
	Timing caseTiming `json:"timing"`
	// Reasons and Actions are the codes a case may have, with their text.
	Reasons []reasonView              `json:"reasons"`
	Actions []floorgate.ResolveAction `json:"actions"`
}

type reasonView struct {
	Code   floorgate.ExceptionReason `json:"code"`
	Text   floorgate.Text            `json:"text"`
	Stages []string                  `json:"stages"`
}

// caseTiming measures the window's cases against the standard: an
// exception found on the floor reaches customer service within an hour.
type caseTiming struct {
	// Open is the cases not resolved now; WaitingUpstream those whose
	// exception.raised has not been acknowledged by upstream yet.
	Open            int `json:"open"`
	WaitingUpstream int `json:"waiting_upstream"`
	// ToUpstream is raised_at → upstream_at of the cases that reached
	// upstream; Late counts, besides, the cases still waiting for longer
	// than the standard.
	ToUpstream durations `json:"to_upstream"`
	// ToResolution is raised_at → resolved_at of the resolved cases.
	ToResolution durations `json:"to_resolution"`
	StandardS    float64   `json:"standard_s"` // 3600
}

// durations sums up a set of durations in seconds.
type durations struct {
	Count int     `json:"count"`
	MeanS float64 `json:"mean_s"`
	P90S  float64 `json:"p90_s"` // nearest rank
	MaxS  float64 `json:"max_s"`
	// WithinStandard counts those ≤ the standard; Late the cases over it
	// (for to_upstream, with those still waiting past it).
	WithinStandard int `json:"within_standard"`
	Late           int `json:"late"`
}

func summarise(ds []float64, lateWaiting int) durations {
	out := durations{Count: len(ds), Late: lateWaiting}
	if len(ds) == 0 {
		return out
	}
	slices.Sort(ds)
	sum := 0.0
	for _, d := range ds {
		sum += d
		if d <= floorgate.ExceptionToCustomerService.Seconds() {
			out.WithinStandard++
		} else {
			out.Late++
		}
	}
	out.MeanS, out.P90S, out.MaxS = sum/float64(len(ds)), kpi.Percentile(ds, 90), ds[len(ds)-1]
	return out
}

// handleExceptions: GET /api/v1/exceptions?from=&to= — the window's
// exception events and cases (with every open case), their timings, and
// the reason codes.
func (s *Server) handleExceptions(w http.ResponseWriter, r *http.Request) {
	rep, err := s.report(r, false)
	if err != nil {
		writeErr(w, err)
		return
	}
	evs, err := s.kpis.events(rep.From, rep.To)
	if err != nil {
		writeErr(w, err)
		return
	}
	v := exceptionsView{Now: s.now(), Items: []exceptionItem{}, Summary: rep.Site.Exceptions, Actions: floorgate.ResolveActions()}
	for _, ev := range evs {
		switch ev.Type {
		case floorgate.EventPickException, floorgate.EventLabelFailed, floorgate.EventExceptionRaised, floorgate.EventExceptionResolved:
			v.Items = append(v.Items, exceptionItem{Seq: ev.Seq, Time: ev.Time, Type: ev.Type, Data: ev.Data})
		}
	}
	slices.Reverse(v.Items)
	inWindow, err := s.opts.DB.Exceptions(store.ExceptionFilter{From: rep.From, To: rep.To, Limit: 5000})
	if err != nil {
		writeErr(w, err)
		return
	}
	open, err := s.opts.DB.Exceptions(store.ExceptionFilter{Open: true, Limit: 5000})
	if err != nil {
		writeErr(w, err)
		return
	}
	seen := map[string]bool{}
	for _, c := range append(open, inWindow...) {
		if !seen[c.ID] {
			seen[c.ID] = true
			v.Cases = append(v.Cases, c)
		}
	}
	slices.SortStableFunc(v.Cases, func(a, b floorgate.ExceptionCase) int { return b.RaisedAt.Compare(a.RaisedAt) })
	if v.Cases == nil {
		v.Cases = []floorgate.ExceptionCase{}
	}
	v.Timing = timing(v.Cases, s.now())
	for _, code := range floorgate.Reasons() {
		t, _ := floorgate.ReasonText(code)
		rv := reasonView{Code: code, Text: t}
		for _, st := range []string{floorgate.StagePick, floorgate.StagePack} {
			if floorgate.ReasonAt(code, st) {
				rv.Stages = append(rv.Stages, st)
			}
		}
		v.Reasons = append(v.Reasons, rv)
	}
	writeJSON(w, http.StatusOK, v)
}

// timing measures cases at now.
func timing(cases []floorgate.ExceptionCase, now time.Time) caseTiming {
	t := caseTiming{StandardS: floorgate.ExceptionToCustomerService.Seconds()}
	var up, res []float64
	lateWaiting := 0
	for _, c := range cases {
		if c.Status == floorgate.ExceptionOpen {
			t.Open++
		}
		switch {
		case !c.UpstreamAt.IsZero():
			up = append(up, c.UpstreamAt.Sub(c.RaisedAt).Seconds())
		default:
			t.WaitingUpstream++
			if now.Sub(c.RaisedAt) > floorgate.ExceptionToCustomerService {
				lateWaiting++
			}
		}
		if c.Resolution != nil {
			res = append(res, c.Resolution.ResolveS)
		}
	}
	t.ToUpstream, t.ToResolution = summarise(up, lateWaiting), summarise(res, 0)
	return t
}

// handleException: GET /api/v1/exceptions/{id}.
func (s *Server) handleException(w http.ResponseWriter, r *http.Request) {
	c, err := s.opts.DB.Exception(r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// handleResolve: POST /api/v1/exceptions/{id}/resolve {"action", "location",
// "sku", "note"} — a supervisor settles a case; the resolution names them
// as the audit log does.
func (s *Server) handleResolve(w http.ResponseWriter, r *http.Request) {
	by, ok := auditOf(r)
	if !ok || by.Actor == "" {
		writeErr(w, floorgate.Errorf(floorgate.EINTERNAL, "the resolution has no one to name as its author"))
		return
	}
	var body struct {
		Action   floorgate.ResolveAction `json:"action"`
		Location string                  `json:"location"`
		SKU      string                  `json:"sku"`
		Note     string                  `json:"note"`
	}
	if !decodeBody(w, r, &body, `{"action": "repick|substitute|cancel_line|send_to_erp", "location": "…", "sku": "…", "note": "…"}`) {
		return
	}
	ctx := withDetail(r, string(body.Action))
	c, err := s.opts.DB.Resolve(ctx, r.PathValue("id"), floorgate.Resolution{Action: body.Action, Location: body.Location,
		SKU: body.SKU, Note: body.Note, By: by.Actor})
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
