package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/floorgate/floorgate/web"
)

// SocketMode is the local socket's file mode: the daemon's user and group
// may connect, nobody else. Who may administer a gateway is decided by who
// is in its group (the .deb makes a floorgate group), as for any other
// file on the machine.
const SocketMode = 0o660

// maxSocketPath is the longest path a Unix socket may have (sun_path).
const maxSocketPath = 107

// SocketPath is the local administration socket the configuration names:
// local_socket, or floorgate.sock in the state directory (make run). The
// installed configuration names /run/floorgate/floorgate.sock, in the
// directory systemd makes for the service (RuntimeDirectory=floorgate).
func (c Config) SocketPath() string {
	if c.LocalSocket != "" {
		return c.LocalSocket
	}
	return filepath.Join(c.StateDir, "floorgate.sock")
}

// serveLocal serves the handler table on the local socket. A socket file
// left by a gateway that did not stop cleanly is replaced; one that a
// running gateway answers on is not.
func (g *Gateway) serveLocal(h http.Handler) error {
	path := g.Config.SocketPath()
	if len(path) > maxSocketPath {
		return fmt.Errorf("local socket %s: the path is longer than %d bytes: set local_socket to a shorter one", path, maxSocketPath)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("local socket: %w", err)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("local socket %s: another floorgate answers on it", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("local socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("local socket: %w", err)
	}
	// The directory (the state directory, 0750, or systemd's
	// RuntimeDirectory) keeps others out until the mode is set.
	if err := os.Chmod(path, SocketMode); err != nil {
		ln.Close()
		return fmt.Errorf("local socket: %w", err)
	}
	g.localLn = ln
	g.local = &http.Server{Handler: h, ConnContext: web.LocalConnContext, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(g.Log.Handler(), slog.LevelWarn)}
	g.localServed = make(chan error, 1)
	go func() { g.localServed <- g.local.Serve(ln) }()
	return nil
}
