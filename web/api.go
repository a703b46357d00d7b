package web

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/web/kpi"
)

// window reads ?from=&to= (RFC 3339); the default is today so far, in the
// gateway's time zone.
func (s *Server) window(r *http.Request) (from, to time.Time, err error) {
	now := s.now()
	y, m, d := now.Local().Date()
	from, to = time.Date(y, m, d, 0, 0, 0, 0, time.Local), now.Add(time.Second)
	if v := r.URL.Query().Get("from"); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return from, to, floorgate.Errorf(floorgate.EINVALID, "from: %q is not an RFC 3339 time", v)
		}
	}
	if v := r.URL.Query().Get("to"); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return from, to, floorgate.Errorf(floorgate.EINVALID, "to: %q is not an RFC 3339 time", v)
		}
	}
	if !from.Before(to) {
		return from, to, floorgate.Errorf(floorgate.EINVALID, "from must be before to")
	}
	if to.Sub(from) > kpi.MaxWindow {
		return from, to, floorgate.Errorf(floorgate.EINVALID, "the window is longer than %d days", int(kpi.MaxWindow.Hours()/24))
	}
	return from, to, nil
}

func (s *Server) names() map[string]string {
	out := map[string]string{}
	for _, op := range s.opts.DB.Operators() {
		out[op.ID] = op.Name
	}
	return out
}

// report returns the KPIs of the request's window, from the rollup kept
// level with the journal (kpis.go); peopleHours: with each person's hours.
func (s *Server) report(r *http.Request, peopleHours bool) (kpi.Report, error) {
	from, to, err := s.window(r)
	if err != nil {
		return kpi.Report{}, err
	}
	rep, err := s.kpis.report(r.Context(), from, to, s.names(), peopleHours)
	if err != nil {
		s.log.Error("kpi", "err", err)
	}
	return rep, err
}

// handleKPI: GET /api/v1/kpi?from=&to=&people_hours= — the KPIs for the
// site, per hour and per person; people_hours=true adds each person's
// hours (tens of megabytes for a month of a big floor, so only on request).
func (s *Server) handleKPI(w http.ResponseWriter, r *http.Request) {
	peopleHours := false
	if v := r.URL.Query().Get("people_hours"); v != "" {
		var err error
		if peopleHours, err = strconv.ParseBool(v); err != nil {
			writeErr(w, floorgate.Errorf(floorgate.EINVALID, "people_hours: %q is not true or false", v))
			return
		}
	}
	rep, err := s.report(r, peopleHours)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// deviceView is a device as the devices page shows it.
type deviceView struct {
	floorgate.Device
	Connected bool   `json:"connected"`
	Operator  string `json:"operator,omitempty"`
	Task      string `json:"task,omitempty"`
	// State is a wired scanner's supervisor state (connected,
	// initialising, error…), empty for PDAs.
	State    string    `json:"state,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	LastScan time.Time `json:"last_scan,omitzero"`
	Scanner  string    `json:"scanner,omitempty"`
	// LastSeen is when a connected PDA last sent anything.
	LastSeen time.Time `json:"last_seen,omitzero"`
}

// handleDevices: GET /api/v1/devices.
func (s *Server) handleDevices(w http.ResponseWriter, _ *http.Request) {
	live := map[string]bool{}
	for _, d := range s.opts.Connected() {
		live[d] = true
	}
	seen := map[string]time.Time{}
	if s.opts.LastSeen != nil {
		seen = s.opts.LastSeen()
	}
	sessions := map[string]floorgate.Session{}
	for _, se := range s.opts.DB.Sessions() {
		sessions[se.Device] = se
	}
	out := []deviceView{}
	byID := map[string]int{}
	for _, d := range s.opts.DB.Devices() {
		se := sessions[d.ID]
		byID[d.ID] = len(out)
		out = append(out, deviceView{Device: d, Connected: live[d.ID], Operator: se.Operator, Task: se.Task, LastSeen: seen[d.ID]})
	}
	for _, st := range s.opts.Scanners() {
		i, ok := byID[st.Station]
		if !ok {
			continue
		}
		v := &out[i]
		v.Scanner, v.State, v.Reason, v.LastScan = st.Name, string(st.Status), st.Reason, st.LastScan
		v.Connected = st.Status == "connected"
	}
	writeJSON(w, http.StatusOK, out)
}

// handleOperators: GET /api/v1/operators (no PIN hashes).
func (s *Server) handleOperators(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.opts.DB.Operators())
}

// handleTasks: GET /api/v1/tasks — the open tasks, assigned first.
func (s *Server) handleTasks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.opts.DB.OpenTasks())
}

// handleAudit: GET /api/v1/audit?limit=N — newest first.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	limit := 200
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			writeErr(w, floorgate.Errorf(floorgate.EINVALID, "limit: %q is not between 1 and 10000", v))
			return
		}
		limit = n
	}
	log, err := s.opts.DB.AuditLog(limit)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, log)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any, shape string) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeErr(w, floorgate.Errorf(floorgate.EINVALID, "body must be %s", shape))
		return false
	}
	return true
}

// handleReassign: POST /api/v1/tasks/{id}/reassign {"device": "…"}.
func (s *Server) handleReassign(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Device string `json:"device"`
	}
	if !decodeBody(w, r, &body, `{"device": "…"}`) {
		return
	}
	ctx := withDetail(r, "to "+body.Device)
	if err := s.opts.DB.ReassignTask(ctx, r.PathValue("id"), body.Device); err != nil {
		writeErr(w, err)
		return
	}
	t, _ := s.opts.DB.Task(r.PathValue("id"))
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleDisable(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.opts.DB.SetDeviceDisabled(r.Context(), r.PathValue("id"), disabled); err != nil {
			writeErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// Pairing codes.
const (
	pairingTTL   = 10 * time.Minute
	pairFailMax  = 5 // wrong codes per address per pairFailSpan
	pairFailSpan = time.Minute
	// pairFailAllMax wrong codes within pairFailSpan from all addresses
	// together revoke every outstanding code: a six-digit code must not be
	// guessable by spreading the guesses over many addresses. An admin
	// shows a new code once the guessing stops.
	pairFailAllMax = 20
	// pairFailAddrs caps how many addresses the limits remember. An
	// address is forgotten pairFailSpan after its last wrong code; while
	// this many are remembered a new one is not, and its wrong codes count
	// nowhere — but by then far more than pairFailAllMax wrong codes have
	// come within the span, so every code is revoked anyway.
	pairFailAddrs = 1024
	// pairFailNamed is how many addresses a revocation names.
	pairFailNamed = 32
)

// pairing is a code an admin showed, waiting for a PDA to type it.
type pairing struct {
	expires time.Time
	by      store.AuditEntry
}

// handleEnrol: POST /api/v1/devices/enrol — a one-time pairing code for a
// new PDA, with the address the PDA opens (also as a QR code).
func (s *Server) handleEnrol(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.ParseUint(randomHex(4), 16, 64)
	code := fmt.Sprintf("%06d", n%1000000)
	by, _ := auditOf(r)
	now := s.now()
	// The code is audited (who showed one, when); the enrolment it leads to
	// is audited again, in the admin's name, when a PDA uses it.
	if err := s.opts.DB.Audit(withDetail(r, "valid until "+now.Add(pairingTTL).Format(time.RFC3339))); err != nil {
		writeErr(w, err)
		return
	}
	s.mu.Lock()
	for c, p := range s.pairings {
		if now.After(p.expires) {
			delete(s.pairings, c)
		}
	}
	s.pairings[code] = &pairing{expires: now.Add(pairingTTL), by: by}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"code": code, "expires": now.Add(pairingTTL),
		"url": s.pairURL(r, code), "qr": "/api/v1/devices/enrol/" + code + "/qr.png", "fingerprint": s.opts.TLSFingerprint})
}

// pairURL is what the pairing QR code opens on a PDA; with TLS it carries
// the certificate's fingerprint, so the PDA can check it is talking to
// this gateway.
func (s *Server) pairURL(r *http.Request, code string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := scheme + "://" + r.Host + "/pda/?pair=" + code
	if s.opts.TLSFingerprint != "" {
		u += "&fp=" + strings.ReplaceAll(s.opts.TLSFingerprint, ":", "")
	}
	return u
}

// handleEnrolQR: the pairing URL as a QR code for the PDA's camera.
func (s *Server) handleEnrolQR(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	s.mu.Lock()
	p, ok := s.pairings[code]
	s.mu.Unlock()
	if !ok || s.now().After(p.expires) {
		writeErr(w, floorgate.Errorf(floorgate.ENOTFOUND, "no such pairing code"))
		return
	}
	png, err := label.QRPNG(s.pairURL(r, code), 240)
	if err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// handlePair: POST /api/v1/pair {"code", "device", "model"} from a PDA:
// a valid code enrols the device with a new token, returned once. Wrong
// codes are limited per address (pairFailMax a minute, then 429) and for
// the whole gateway (pairFailAllMax a minute revoke every outstanding code).
func (s *Server) handlePair(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Code   string `json:"code"`
		Device string `json:"device"`
		Model  string `json:"model"`
	}
	if !decodeBody(w, r, &body, `{"code": "…", "device": "…", "model": "…"}`) {
		return
	}
	if !deviceIDPattern.MatchString(body.Device) {
		writeErr(w, floorgate.Errorf(floorgate.EINVALID, "device id must be 1–64 letters, digits, '.', '_' or '-'"))
		return
	}
	if len(body.Model) > 128 {
		body.Model = body.Model[:128]
	}
	host, now := remoteHost(r), s.now()
	s.mu.Lock()
	fails := slices.DeleteFunc(s.pairFail[host], func(t time.Time) bool { return now.Sub(t) > pairFailSpan })
	if len(fails) == 0 {
		delete(s.pairFail, host)
	} else {
		s.pairFail[host] = fails
	}
	if len(fails) >= pairFailMax {
		s.mu.Unlock()
		writeJSON(w, http.StatusTooManyRequests, errBody{Code: "locked", Error: "too many wrong pairing codes: wait a minute"})
		return
	}
	p, ok := s.pairings[body.Code]
	if !ok || now.After(p.expires) {
		total, revoked := s.pairFailed(host, now), 0
		var hosts []string
		if total >= pairFailAllMax && len(s.pairings) > 0 {
			hosts = slices.Sorted(maps.Keys(s.pairFail))
			for c, p := range s.pairings {
				if !now.After(p.expires) {
					revoked++
				}
				delete(s.pairings, c)
			}
		}
		s.mu.Unlock()
		if revoked > 0 {
			s.pairingsRevoked(r, host, total, hosts, revoked)
		}
		writeErr(w, floorgate.Errorf(floorgate.EUNAUTHORIZED, "pairing code not recognised or expired: ask for a new one"))
		return
	}
	delete(s.pairings, body.Code) // one use
	s.mu.Unlock()
	token := randomHex(32)
	by := p.by
	by.Action, by.Target, by.Detail = "device.enrol", body.Device, "paired from "+host+", model "+body.Model
	if err := s.opts.DB.EnrolDevice(store.Audited(r.Context(), by), body.Device, body.Model, token); err != nil {
		writeErr(w, err)
		return
	}
	s.log.Info("pda paired", "device", body.Device, "model", body.Model, "by", by.Actor)
	writeJSON(w, http.StatusOK, map[string]string{"device": body.Device, "token": token})
}

// pairFailed records a wrong pairing code from host at now, and returns how
// many wrong codes came within pairFailSpan from all addresses together.
// It forgets the addresses whose wrong codes are all older. Callers hold
// s.mu.
func (s *Server) pairFailed(host string, now time.Time) (total int) {
	for h, ts := range s.pairFail {
		ts = slices.DeleteFunc(ts, func(t time.Time) bool { return now.Sub(t) > pairFailSpan })
		if len(ts) == 0 {
			delete(s.pairFail, h)
			continue
		}
		s.pairFail[h] = ts
		total += len(ts)
	}
	if _, ok := s.pairFail[host]; ok || len(s.pairFail) < pairFailAddrs {
		s.pairFail[host] = append(s.pairFail[host], now)
		total++
	}
	return total
}

// pairingsRevoked records that too many wrong pairing codes revoked every
// outstanding one: in the audit log (as the gateway's own action, from the
// address whose wrong code tipped it) and as a warning in the log, both
// naming the addresses the wrong codes came from.
func (s *Server) pairingsRevoked(r *http.Request, host string, total int, hosts []string, revoked int) {
	named := strings.Join(hosts[:min(len(hosts), pairFailNamed)], ", ")
	if len(hosts) > pairFailNamed {
		named += fmt.Sprintf(" and %d more", len(hosts)-pairFailNamed)
	}
	e := store.AuditEntry{Actor: "gateway", Role: "system", Remote: host, Action: "device.pairing_codes_revoked",
		Detail: fmt.Sprintf("%d wrong pairing codes within a minute from %s; %d outstanding code(s) revoked, show a new one",
			total, named, revoked)}
	s.log.Warn("pairing codes revoked: too many wrong codes", "wrong_codes", total, "within", pairFailSpan,
		"addresses", named, "revoked", revoked)
	// The record must not depend on the guesser waiting for the answer.
	if err := s.opts.DB.Audit(store.Audited(context.WithoutCancel(r.Context()), e)); err != nil {
		s.log.Error("audit pairing codes revoked", "err", err)
	}
}
