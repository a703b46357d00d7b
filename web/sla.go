package web

import (
	"net/http"
	"time"

	"github.com/floorgate/floorgate"
)

// slaBoard is GET /api/v1/sla: the open orders at risk of missing a
// standard or past it, most urgent first, on the gateway's clock.
type slaBoard struct {
	Now    time.Time                            `json:"now"`
	Orders []floorgate.SLAStatus                `json:"orders"`
	Counts map[floorgate.SLARule]map[string]int `json:"counts"`
}

func (s *Server) handleSLA(w http.ResponseWriter, _ *http.Request) {
	now := s.now()
	b := slaBoard{Now: now, Orders: s.opts.DB.SLA(now), Counts: map[floorgate.SLARule]map[string]int{}}
	if b.Orders == nil {
		b.Orders = []floorgate.SLAStatus{}
	}
	for _, r := range floorgate.SLARules() {
		b.Counts[r] = map[string]int{string(floorgate.SLAAtRisk): 0, string(floorgate.SLABreached): 0}
	}
	for _, o := range b.Orders {
		b.Counts[o.Rule][string(o.State)]++
	}
	writeJSON(w, http.StatusOK, b)
}

// handleTimeline is GET /api/v1/orders/{order}/timeline: the order's node
// times and who holds it.
func (s *Server) handleTimeline(w http.ResponseWriter, r *http.Request) {
	t, ok, err := s.opts.DB.Timeline(r.PathValue("order"))
	switch {
	case err != nil:
		writeErr(w, err)
	case !ok:
		writeErr(w, floorgate.Errorf(floorgate.ENOTFOUND, "no timeline for order %q", r.PathValue("order")))
	default:
		writeJSON(w, http.StatusOK, t)
	}
}
