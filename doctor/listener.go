package doctor

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"

	"github.com/floorgate/floorgate/client"
)

// listenerCheck: listen must be free, or held by a running floorgate
// (its /healthz answers on the local socket).
type listenerCheck struct{}

var _ Check = listenerCheck{}

func (listenerCheck) Name() string { return "listener" }

func (listenerCheck) Run(ctx context.Context, s *Site) []Finding {
	addr := s.Config.Listen
	check := "listener " + addr
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		return []Finding{passed(check, "free for the daemon")}
	}
	sock := s.Config.SocketPath()
	err = client.Local(sock).Do(ctx, http.MethodGet, "/healthz", nil, nil)
	switch {
	case err == nil:
		return []Finding{passed(check, "in use by the running floorgate (its local socket %s answers)", sock)}
	case errors.Is(err, os.ErrPermission):
		return []Finding{warned(check, "run doctor as root or as a member of group floorgate",
			"%s is in use; the local socket %s, which would say whether it is floorgate, is not open to %s", addr, sock, currentUser())}
	}
	return []Finding{failed(check, "stop the program on "+addr+" (ss -ltnp), or change listen in "+s.configName(),
		"%s is in use by a program that is not this gateway: none answers on its local socket %s", addr, sock)}
}
