package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/scanner"
	fgprint "github.com/floorgate/floorgate/print"
	"github.com/floorgate/floorgate/store"
)

// Session lifetimes of the status page.
const (
	sessionIdle = 30 * time.Minute // signed out after this long without a request
	sessionMax  = 12 * time.Hour   // a shift, at most
	cookieName  = "fg_session"
	csrfHeader  = "X-CSRF-Token"
)

// Options connect the status page to the rest of the gateway.
type Options struct {
	DB    *store.DB
	Clock floorgate.Clock
	Log   *slog.Logger
	// Overview returns what /api/v1/status shows; it is pushed to open
	// pages whenever it changes.
	Overview func() (any, error)
	// Connected lists the PDAs with a live connection.
	Connected func() []string
	// LastSeen tells when each connected PDA last sent a message.
	LastSeen func() map[string]time.Time
	// Scanners returns the wired scanners' states.
	Scanners func() []scanner.State
	// SecureCookies marks the session cookie Secure (the page is served
	// over TLS).
	SecureCookies bool
	// TLSFingerprint is the listener's certificate fingerprint, shown with
	// pairing codes so a PDA can pin it.
	TLSFingerprint string
	// PDA serves the PDA protocol's WebSocket (/ws/v1).
	PDA http.Handler
	// Printers returns the printers' states.
	Printers func() []fgprint.PrinterState
	// Preview draws a print job's label as PNG, as it prints.
	Preview func(floorgate.PrintJob) ([]byte, error)
	// Ready says why the gateway is not ready to serve, or nil.
	Ready func() error
	// Metrics is what /metrics serves; New has it read DB's waves and
	// carts as well.
	Metrics *Metrics
}

// Server is the status page's back end: admin and supervisor sign-in, the
// JSON API the page uses, live updates, and the admin actions, each
// audited.
type Server struct {
	opts Options
	log  *slog.Logger
	hub  *hub
	kpis *kpis

	mu       sync.Mutex
	sessions map[string]*session
	pairings map[string]*pairing
	pairFail map[string][]time.Time // client address → recent wrong pairing codes
}

// session is a signed-in admin or supervisor.
type session struct {
	op      floorgate.Operator
	csrf    string
	started time.Time
	seen    time.Time
}

// New returns the status page's server. Run must be started for live
// updates.
func New(opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = floorgate.SystemClock{}
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: log, sessions: map[string]*session{}, pairings: map[string]*pairing{},
		pairFail: map[string][]time.Time{}}
	s.hub = newHub(s)
	s.kpis = newKPIs(opts.DB, log)
	if opts.Metrics != nil && opts.DB != nil {
		// The store is here: /metrics counts its waves and carts too.
		opts.Metrics.readFloor(opts.DB, opts.Clock)
	}
	return s
}

// Run pushes live updates to open pages until ctx ends, and then ends
// their streams. Cancel ctx when the HTTP server starts shutting down
// (http.Server.RegisterOnShutdown): Shutdown waits for every stream. It
// also builds the KPI rollup from the journal and keeps it level.
func (s *Server) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() { defer close(done); s.kpis.run(ctx) }()
	s.hub.run(ctx)
	<-done
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func (s *Server) now() time.Time { return s.opts.Clock.Now() }

// current returns the request's live session.
func (s *Server) current(r *http.Request) (*session, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[c.Value]
	now := s.now()
	if !ok || now.Sub(sess.seen) > sessionIdle || now.Sub(sess.started) > sessionMax {
		delete(s.sessions, c.Value)
		return nil, false
	}
	sess.seen = now
	return sess, true
}

// canRead: admins and supervisors see the status page.
func canRead(role floorgate.Role) bool {
	return role == floorgate.RoleAdmin || role == floorgate.RoleSupervisor
}

func target(r *http.Request) string {
	for _, k := range []string{"id", "seq", "code"} {
		if v := r.PathValue(k); v != "" {
			return v
		}
	}
	return ""
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type signInReply struct {
	Operator struct {
		ID   string         `json:"id"`
		Name string         `json:"name"`
		Role floorgate.Role `json:"role"`
	} `json:"operator"`
	CSRF string `json:"csrf"`
	// Expires is when the session ends at the latest.
	Expires time.Time `json:"expires"`
}

func (s *Server) reply(sess *session) signInReply {
	var out signInReply
	out.Operator.ID, out.Operator.Name, out.Operator.Role = sess.op.ID, sess.op.Name, sess.op.Role
	out.CSRF, out.Expires = sess.csrf, sess.started.Add(sessionMax)
	return out
}

// handleSignIn: POST /api/v1/session {"badge", "pin"}.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	var body struct{ Badge, PIN string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil {
		writeErr(w, floorgate.Errorf(floorgate.EINVALID, `body must be {"badge": "…", "pin": "…"}`))
		return
	}
	if len(body.Badge) > store.MaxBadgeLen || len(body.PIN) > store.MaxPINLen {
		writeErr(w, floorgate.Errorf(floorgate.EINVALID, "a badge is at most %d characters and a PIN at most %d digits", store.MaxBadgeLen, store.MaxPINLen))
		return
	}
	// A picker's or packer's badge gets the answer of a wrong PIN, whatever
	// the PIN: the page tells nobody who is who (store.DB.Authenticate).
	op, code := s.opts.DB.Authenticate(body.Badge, body.PIN, remoteHost(r))
	switch {
	case code == floorgate.CodeLoginLocked:
		writeJSON(w, http.StatusTooManyRequests, errBody{Code: string(code), Error: "too many wrong PINs: wait a minute"})
		return
	case code != "" || !canRead(op.Role):
		writeErr(w, floorgate.Errorf(floorgate.EUNAUTHORIZED, "badge or PIN not recognised"))
		return
	}
	now := s.now()
	op.PINHash = ""
	sess := &session{op: op, csrf: randomHex(16), started: now, seen: now}
	token := randomHex(32)
	s.mu.Lock()
	for k, old := range s.sessions { // forget expired sessions
		if now.Sub(old.seen) > sessionIdle || now.Sub(old.started) > sessionMax {
			delete(s.sessions, k)
		}
	}
	s.sessions[token] = sess
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.opts.SecureCookies, MaxAge: int(sessionMax / time.Second)})
	s.log.Info("status page sign-in", "operator", op.ID, "role", op.Role, "from", remoteHost(r))
	writeJSON(w, http.StatusOK, s.reply(sess))
}

// handleWhoAmI: GET /api/v1/session.
func (s *Server) handleWhoAmI(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.current(r)
	if !ok {
		writeErr(w, floorgate.Errorf(floorgate.EUNAUTHORIZED, "not signed in"))
		return
	}
	writeJSON(w, http.StatusOK, s.reply(sess))
}

// handleSignOut: DELETE /api/v1/session (with the CSRF token).
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.current(r)
	if ok && subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(sess.csrf)) != 1 {
		writeErr(w, floorgate.Errorf(floorgate.EFORBIDDEN, "the request lacks this session's CSRF token"))
		return
	}
	if c, err := r.Cookie(cookieName); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.opts.SecureCookies, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

type errBody struct {
	Code  string `json:"code"`
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeErr answers with the error's code and plain-language message.
func writeErr(w http.ResponseWriter, err error) {
	status := map[string]int{
		floorgate.EINVALID: http.StatusBadRequest, floorgate.ENOTFOUND: http.StatusNotFound,
		floorgate.ECONFLICT: http.StatusConflict, floorgate.EUNAUTHORIZED: http.StatusUnauthorized,
		floorgate.EFORBIDDEN: http.StatusForbidden, floorgate.EUNAVAILABLE: http.StatusServiceUnavailable,
		floorgate.EUNSUPPORTED: http.StatusUnsupportedMediaType,
	}[floorgate.ErrorCode(err)]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, errBody{Code: floorgate.ErrorCode(err), Error: floorgate.ErrorMessage(err)})
}

// auditOf returns the audit entry the admin wrapper put on the request.
func auditOf(r *http.Request) (store.AuditEntry, bool) {
	return store.AuditFrom(r.Context())
}

// withDetail adds a detail to the request's audit entry.
func withDetail(r *http.Request, detail string) context.Context {
	e, ok := auditOf(r)
	if !ok {
		return r.Context()
	}
	e.Detail = detail
	return store.Audited(r.Context(), e)
}
