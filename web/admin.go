package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
)

// maxMasterBytes bounds a master data import (a big site's items fit in a
// few megabytes; split larger sets).
const maxMasterBytes = 32 << 20

// handleTokens: GET /api/v1/tokens — the API tokens, without secrets.
func (s *Server) handleTokens(w http.ResponseWriter, _ *http.Request) {
	writeList(w, s.opts.DB.Tokens(), nil)
}

// handleCreateToken: POST /api/v1/tokens {"name", "scope"} — the secret is
// in this answer and nowhere else, ever.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name  string `json:"name"`
		Scope string `json:"scope"`
	}
	if !decodeBody(w, r, &body, `{"name": "…", "scope": "read" | "admin"}`) {
		return
	}
	secret, tok, err := s.opts.DB.CreateToken(withDetail(r, body.Name+" ("+body.Scope+")"), body.Name, body.Scope)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		store.APIToken
		Token string `json:"token"`
	}{tok, secret})
}

// handleRevokeToken: POST /api/v1/tokens/{id}/revoke.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.DB.RevokeToken(r.Context(), r.PathValue("id")); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readRaw reads a bounded request body.
func readRaw(w http.ResponseWriter, r *http.Request, max int64) ([]byte, bool) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		writeErr(w, floorgate.Errorf(floorgate.EINVALID, "the body is larger than %d bytes or cut short", max))
		return nil, false
	}
	return raw, true
}

// putMaster validates master data whole and applies all of it or none.
func (s *Server) putMaster(w http.ResponseWriter, r *http.Request, raw []byte) {
	m, err := store.DecodeMaster(raw)
	if err == nil {
		ctx := withDetail(r, fmt.Sprintf("%d locations, %d items, %d operators", len(m.Locations), len(m.Items), len(m.Operators)))
		err = s.opts.DB.PutMaster(ctx, m)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"locations": len(m.Locations), "items": len(m.Items), "operators": len(m.Operators)})
}

// handleMaster: POST /api/v1/master — master data as master.put carries it.
func (s *Server) handleMaster(w http.ResponseWriter, r *http.Request) {
	if raw, ok := readRaw(w, r, maxMasterBytes); ok {
		s.putMaster(w, r, raw)
	}
}

// handlePutOperator: POST /api/v1/operators — one operator, added or
// replaced, with a pin or a pin_hash.
func (s *Server) handlePutOperator(w http.ResponseWriter, r *http.Request) {
	raw, ok := readRaw(w, r, 1<<16)
	if !ok {
		return
	}
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) || len(raw) == 0 || raw[0] != '{' {
		writeErr(w, floorgate.Errorf(floorgate.EINVALID, `body must be one operator: {"id", "name", "badge", "role", "pin" or "pin_hash"}`))
		return
	}
	s.putMaster(w, r, fmt.Appendf(nil, `{"operators": [%s]}`, raw))
}

// handleSetPIN: POST /api/v1/operators/{id}/pin {"pin"} or {"pin_hash"}.
func (s *Server) handleSetPIN(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PIN     string `json:"pin"`
		PINHash string `json:"pin_hash"`
	}
	if !decodeBody(w, r, &body, `{"pin": "…"} or {"pin_hash": "…"}`) {
		return
	}
	if err := s.opts.DB.SetOperatorPIN(r.Context(), r.PathValue("id"), body.PIN, body.PINHash); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleOperatorDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.opts.DB.SetOperatorDisabled(r.Context(), r.PathValue("id"), disabled); err != nil {
			writeErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}
