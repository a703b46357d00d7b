package web

import (
	"io/fs"
	"net/http"

	"github.com/floorgate/floorgate/store"
)

// handleWalls: GET /api/v1/walls — the put walls of the master data, by
// id: each with its station and its slots' labels.
func (s *Server) handleWalls(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.opts.DB.Walls())
}

// handleWall: GET /api/v1/walls/{id} — one wall as its screen shows it
// (store.WallView): each slot's order and progress, the batch being
// sorted there and the slot the unit in hand goes to.
func (s *Server) handleWall(w http.ResponseWriter, r *http.Request) {
	v, err := s.opts.DB.Wall(r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	if v.Slots == nil {
		v.Slots = []store.WallSlot{}
	}
	writeJSON(w, http.StatusOK, v)
}

// wallPage serves the put wall's page at /wall/{id}: the same file for
// every id, holding nothing of the floor. The page reads its wall through
// GET /api/v1/walls/{id}, which needs a reader's credentials.
func wallPage() http.HandlerFunc {
	page, err := fs.ReadFile(sub("wall"), "index.html")
	if err != nil {
		panic("web: embedded wall page: " + err.Error()) // compiled in
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(page)
	}
}

// wallAssets serves the wall page's script and style at /wall/assets/.
func wallAssets() http.Handler {
	return noCache(http.StripPrefix("/wall/assets/", http.FileServerFS(sub("wall"))))
}
