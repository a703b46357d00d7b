package doctor

import (
	"context"
	"errors"
	"os"
)

// localSocketCheck: the running gateway's local socket is there, a
// socket, and open only to its owner and group.
type localSocketCheck struct{}

var _ Check = localSocketCheck{}

func (localSocketCheck) Name() string { return "local socket" }

func (localSocketCheck) Run(_ context.Context, s *Site) []Finding {
	path := s.Config.SocketPath()
	check := "local socket " + path
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && !s.DaemonRunning:
		return []Finding{passed(check, "the gateway is not running; it makes the socket at start")}
	case err != nil:
		return []Finding{failed(check, "restart the gateway (systemctl restart floorgate)", "%v", err)}
	case fi.Mode().Type() != os.ModeSocket:
		return []Finding{failed(check, "remove it; the gateway makes its socket at start", "%s is not a socket (%s)", path, fi.Mode())}
	case fi.Mode().Perm()&0o007 != 0:
		return []Finding{failed(check, "restart the gateway, which sets mode 0660; check local_socket's directory", "anyone on this machine may administer the gateway: mode %04o", fi.Mode().Perm())}
	}
	return []Finding{passed(check, "mode %04o, owner %s, group %s: root and group %s administer the gateway", fi.Mode().Perm(), ownerOf(fi), groupOf(path), groupOf(path))}
}
