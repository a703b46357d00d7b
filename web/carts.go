package web

import (
	"net/http"

	"github.com/floorgate/floorgate/store"
)

// handleCarts: GET /api/v1/carts — the carts being picked, oldest first,
// and the totes holding orders: on a cart, or picked and waiting at
// packing.
func (s *Server) handleCarts(w http.ResponseWriter, _ *http.Request) {
	v, err := s.opts.DB.Carts()
	if err != nil {
		s.log.Error("carts", "err", err)
		writeErr(w, err)
		return
	}
	if v.Running == nil {
		// A list, even when no cart runs: readers need not tell null from [].
		v.Running = []store.CartStatus{}
	}
	writeJSON(w, http.StatusOK, v)
}
