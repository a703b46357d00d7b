package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/floorgate/floorgate"
)

// Label is one printed label as the status page's Labels view shows it:
// which job printed it, for what, where, and where its picture is.
type Label struct {
	Job      string    `json:"job"`
	Kind     string    `json:"kind"`
	Order    string    `json:"order,omitempty"`
	Station  string    `json:"station,omitempty"`
	Printer  string    `json:"printer,omitempty"`
	Template string    `json:"template"`
	Printed  time.Time `json:"printed"`
	// ReprintOf is the job this one reprinted, if any.
	ReprintOf string `json:"reprint_of,omitempty"`
	// Preview is the label rendered as PNG (GET, the same access).
	Preview string `json:"preview"`
}

// The Labels view's page size, and the most one request may ask for.
const (
	labelsDefault = 24
	labelsMax     = 200
)

// handleLabels: GET /api/v1/labels?limit=N — the most recently printed
// labels, newest first (24 unless limit says otherwise, at most 200).
// Only printed jobs: a held or failed job is the print queue's business.
func (s *Server) handleLabels(w http.ResponseWriter, r *http.Request) {
	limit := labelsDefault
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > labelsMax {
			writeErr(w, floorgate.Errorf(floorgate.EINVALID, "limit: %q is not between 1 and %d", v, labelsMax))
			return
		}
		limit = n
	}
	jobs, err := s.opts.DB.PrintJobs()
	if err != nil {
		writeErr(w, err)
		return
	}
	writeList(w, recentLabels(jobs, limit), nil)
}

// recentLabels are the last limit printed jobs, newest first: by the time
// they were marked printed, then by id so that equal times keep an order.
func recentLabels(jobs []floorgate.PrintJob, limit int) []Label {
	var out []Label
	for _, j := range jobs {
		if j.Status != floorgate.JobPrinted {
			continue
		}
		printed := j.Updated
		if printed.IsZero() {
			printed = j.Created
		}
		out = append(out, Label{Job: j.ID, Kind: j.Kind, Order: j.Order, Station: j.Station, Printer: j.Printer,
			Template: j.Template, Printed: printed, ReprintOf: j.ReprintOf,
			Preview: "/api/v1/printjobs/" + url.PathEscape(j.ID) + "/preview.png"})
	}
	slices.SortFunc(out, func(a, b Label) int {
		return cmp.Or(b.Printed.Compare(a.Printed), cmp.Compare(b.Job, a.Job))
	})
	return out[:min(limit, len(out))]
}
