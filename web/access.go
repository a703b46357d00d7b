package web

import (
	"context"
	"crypto/subtle"
	"fmt"
	"mime"
	"net"
	"net/http"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
)

// Access is who may use a route.
//
// Nobody is trusted for the address a request comes from. A request is
// from one of three callers: a person signed in on the status page (a
// session cookie; a change also needs the session's CSRF token and a
// same-origin request), a program holding an API token (Authorization:
// Bearer), or a local administrator on the gateway machine, over the local
// API socket, whose file permissions say who may connect.
type Access int

// The access levels.
const (
	// Public routes need no credentials: the pages, sign-in, pairing
	// (which needs a code an admin showed), health and readiness.
	Public Access = iota
	// Read routes need a signed-in admin or supervisor, a read or admin
	// API token, or the local socket.
	Read
	// Supervise routes are the floor's running changes a supervisor may
	// make (releasing a held wave): a signed-in supervisor or admin with
	// the session's CSRF token, an admin API token, or the local socket.
	Supervise
	// Admin routes change the gateway: a signed-in admin with the
	// session's CSRF token, an admin API token, or the local socket.
	Admin
)

func (a Access) String() string {
	return [...]string{"public", "read", "supervise", "admin"}[a]
}

// callerKind is how a request proved who it is.
type callerKind int

const (
	anonymous callerKind = iota
	viaSession
	viaToken
	viaSocket
)

// caller is who made a request.
type caller struct {
	kind  callerKind
	sess  *session
	token store.APIToken
	peer  Peer
}

// Peer is the process at the other end of the local socket, from the
// kernel (SO_PEERCRED): who did it, for the audit log.
type Peer struct {
	PID, UID, GID int
}

func (p Peer) String() string {
	name := strconv.Itoa(p.UID)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username + "(" + name + ")"
	}
	return fmt.Sprintf("uid %s pid %d", name, p.PID)
}

type peerKey struct{}

// LocalConnContext marks every request on a local-socket connection with
// the peer's credentials. Set it as the ConnContext of the http.Server
// that serves the local socket, and only of that one: a request is
// trusted as a local administrator's exactly when it carries them.
func LocalConnContext(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	p := Peer{PID: -1, UID: -1, GID: -1}
	if raw, err := uc.SyscallConn(); err == nil {
		raw.Control(func(fd uintptr) {
			if cred, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED); err == nil {
				p = Peer{PID: int(cred.Pid), UID: int(cred.Uid), GID: int(cred.Gid)}
			}
		})
	}
	return context.WithValue(ctx, peerKey{}, p)
}

func peerOf(r *http.Request) (Peer, bool) {
	p, ok := r.Context().Value(peerKey{}).(Peer)
	return p, ok
}

// identify finds out who made the request. A request that presents a
// credential that does not hold (an unknown or revoked token) is refused
// rather than treated as anonymous.
func (s *Server) identify(r *http.Request) (caller, error) {
	if p, ok := peerOf(r); ok {
		return caller{kind: viaSocket, peer: p}, nil
	}
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return caller{}, floorgate.Errorf(floorgate.EUNAUTHORIZED, "Authorization must be \"Bearer TOKEN\"")
		}
		tok, ok := s.opts.DB.CheckToken(strings.TrimSpace(secret))
		if !ok {
			return caller{}, floorgate.Errorf(floorgate.EUNAUTHORIZED, "API token not recognised or revoked")
		}
		return caller{kind: viaToken, token: tok}, nil
	}
	if sess, ok := s.current(r); ok {
		return caller{kind: viaSession, sess: sess}, nil
	}
	return caller{}, nil
}

// may reports whether c may use a route of level a; a refusal says why.
func (c caller) may(a Access, r *http.Request) error {
	if a == Public || c.kind == viaSocket {
		return nil
	}
	switch c.kind {
	case viaToken:
		if (a == Supervise || a == Admin) && c.token.Scope != store.ScopeAdmin {
			return floorgate.Errorf(floorgate.EFORBIDDEN, "this API token may only read")
		}
		return nil
	case viaSession:
		role := c.sess.op.Role
		if !canRead(role) {
			return floorgate.Errorf(floorgate.EFORBIDDEN, "the status page is for admins and supervisors")
		}
		if a == Read {
			return nil
		}
		// A supervise route is any signed-in reader's: canRead above let
		// through admins and supervisors only.
		if a == Admin && role != floorgate.RoleAdmin {
			return floorgate.Errorf(floorgate.EFORBIDDEN, "only an admin may do this")
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(c.sess.csrf)) != 1 {
			return floorgate.Errorf(floorgate.EFORBIDDEN, "the request lacks this session's CSRF token; reload the page")
		}
		return nil
	}
	return floorgate.Errorf(floorgate.EUNAUTHORIZED, "sign in on the status page, or use an API token")
}

// audit is the audit entry of c doing action.
func (c caller) audit(r *http.Request, action string) store.AuditEntry {
	e := store.AuditEntry{Remote: remoteHost(r), Action: action, Target: target(r)}
	switch c.kind {
	case viaSocket:
		e.Actor, e.Role, e.Remote = "local", "local", "local socket, "+c.peer.String()
	case viaToken:
		e.Actor, e.Role = "token:"+c.token.Name, "token-"+c.token.Scope
	case viaSession:
		e.Actor, e.Role = c.sess.op.ID, string(c.sess.op.Role)
	}
	return e
}

// guard wraps a route's handler with its access check. A change (an
// action) is audited in the transaction that makes it; a read with an API
// token is audited too, so every use of a token leaves a trace.
func (s *Server) guard(rt Route) http.HandlerFunc {
	h := rt.handler
	return func(w http.ResponseWriter, r *http.Request) {
		if rt.Access == Public {
			h(w, r)
			return
		}
		c, err := s.identify(r)
		if err == nil {
			err = c.may(rt.Access, r)
		}
		if err != nil {
			writeErr(w, err)
			return
		}
		if err := jsonBody(r); err != nil {
			writeErr(w, err)
			return
		}
		switch {
		case rt.Action != "":
			r = r.WithContext(store.Audited(r.Context(), c.audit(r, rt.Action)))
		case c.kind == viaToken:
			e := c.audit(r, "api.read")
			e.Detail = r.Method + " " + r.URL.Path
			if err := s.opts.DB.Audit(store.Audited(r.Context(), e)); err != nil {
				writeErr(w, err)
				return
			}
		}
		h(w, r)
	}
}

// jsonBody refuses a request body that is not JSON: a browser can send
// text/plain or a form to another site without asking first, never JSON.
func jsonBody(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.ContentLength == 0 {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return floorgate.Errorf(floorgate.EUNSUPPORTED, "the body must be JSON (Content-Type: application/json)")
	}
	return nil
}
