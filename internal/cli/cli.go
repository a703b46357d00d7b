package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/cmdline"
)

// prog is the program's name, as usages show it.
const prog = "floorgate"

// newFlags returns the flag set of "floorgate name", whose arguments are
// args (shown in the usage) and whose one-line description is summary.
func newFlags(name, args, summary string, stdout, stderr io.Writer) *cmdline.Flags {
	return cmdline.NewFlags(prog, name, args, summary, stdout, stderr)
}

// defaultConfig is where an installed gateway's configuration lives.
const defaultConfig = "/etc/floorgate/floorgate.yaml"

// configFile is the configuration a command reads: --config, else
// $FLOORGATE_CONFIG, else the installed one when it exists, else none
// (the built-in defaults).
func configFile(flagValue string) string {
	switch {
	case flagValue != "":
		return flagValue
	case os.Getenv("FLOORGATE_CONFIG") != "":
		return os.Getenv("FLOORGATE_CONFIG")
	}
	if _, err := os.Stat(defaultConfig); err == nil {
		return defaultConfig
	}
	return ""
}

// configFlag adds --config.
func configFlag(f *cmdline.Flags) *string {
	return f.String("config", "", "configuration file (default $FLOORGATE_CONFIG, else "+defaultConfig+" when it exists)")
}

// loadConfig reads the configuration a command was pointed at.
func loadConfig(flagValue string) (gateway.Config, error) {
	return gateway.LoadConfig(configFile(flagValue))
}

// target is how a command reaches a running gateway: the local socket
// (the default: whoever may open it administers the gateway), or the
// network with an API token.
type target struct {
	config, socket, stateDir, addr, fingerprint, token *string
}

// targetFlags adds the flags that choose the gateway.
func targetFlags(f *cmdline.Flags) *target {
	return &target{
		config:      configFlag(f),
		socket:      f.String("socket", "", "the gateway's local socket (default $FLOORGATE_SOCKET, else floorgate.sock in --state-dir, else the config's local_socket)"),
		stateDir:    f.String("state-dir", "", "the gateway's state directory, where its socket is by default (overrides the config)"),
		addr:        f.String("addr", "", "a gateway over the network instead, https://host:port (needs --token)"),
		fingerprint: f.String("fingerprint", "", "with --addr: the SHA-256 of the gateway's certificate, as it prints it"),
		token:       f.String("token", "", "with --addr: an API token (default $FLOORGATE_TOKEN)"),
	}
}

// client connects to the chosen gateway.
func (t *target) client() (*client.Client, error) {
	if *t.addr != "" {
		tok := *t.token
		if tok == "" {
			tok = os.Getenv("FLOORGATE_TOKEN")
		}
		if tok == "" {
			return nil, cmdline.Usagef("--addr needs an API token (--token or $FLOORGATE_TOKEN): floorgate tokens create")
		}
		return client.Remote(*t.addr, client.Options{Fingerprint: *t.fingerprint, Token: tok})
	}
	path, err := t.socketPath()
	if err != nil {
		return nil, err
	}
	return client.Local(path), nil
}

// socketPath is the local socket the flags, the environment or the
// configuration name.
func (t *target) socketPath() (string, error) {
	if *t.socket != "" {
		return *t.socket, nil
	}
	if p := os.Getenv("FLOORGATE_SOCKET"); p != "" {
		return p, nil
	}
	cfg, err := loadConfig(*t.config)
	if err != nil {
		if *t.stateDir != "" {
			// No configuration to read: a gateway started with only
			// --state-dir keeps its socket there.
			return filepath.Join(*t.stateDir, "floorgate.sock"), nil
		}
		return "", err
	}
	// As the daemon decides it: local_socket, else the state dir's.
	if *t.stateDir != "" {
		cfg.StateDir = *t.stateDir
	}
	return cfg.SocketPath(), nil
}

// explain turns a failure to reach the local socket into what to do.
func explainDial(err error, t *target) error {
	if *t.addr != "" || !errors.Is(err, os.ErrPermission) && !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "connection refused") {
		return err
	}
	path, _ := t.socketPath()
	switch {
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w: only the floorgate group may use %s (sudo, or: usermod -aG floorgate $USER)", err, path)
	default:
		return fmt.Errorf("%w: is the gateway running? (its local socket %s; --socket or --state-dir to choose another)", err, path)
	}
}

// withClient runs fn with a client of the chosen gateway.
func (t *target) withClient(ctx context.Context, fn func(*client.Client) error) error {
	c, err := t.client()
	if err != nil {
		return err
	}
	if err := fn(c); err != nil {
		return explainDial(err, t)
	}
	return nil
}
