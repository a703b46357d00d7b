package web

import (
	"net/http"

	"github.com/floorgate/floorgate"
)

// handleWaves: GET /api/v1/waves — every wave, open ones first (held, then
// released, by priority and cut-off), then the completed, newest first.
func (s *Server) handleWaves(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.opts.DB.Waves())
}

// handleReleaseWave: POST /api/v1/waves/{id}/release — a supervisor sends
// a held wave's tasks to the pickers. The wave is released by "site", and
// records who as the audit log names them (released_actor): the operator's
// id for a session, token:NAME for an API token, local for the local
// socket.
func (s *Server) handleReleaseWave(w http.ResponseWriter, r *http.Request) {
	by, ok := auditOf(r)
	if !ok || by.Actor == "" {
		// The guard audits every route with an Action; without the entry
		// nobody could be named, so nothing is released.
		writeErr(w, floorgate.Errorf(floorgate.EINTERNAL, "the release has no one to name as its author"))
		return
	}
	id := r.PathValue("id")
	if err := s.opts.DB.ReleaseWave(r.Context(), id, by.Actor); err != nil {
		writeErr(w, err)
		return
	}
	wv, err := s.opts.DB.Wave(id)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wv)
}
