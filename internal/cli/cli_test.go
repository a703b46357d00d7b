package cli

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"golang.org/x/sys/unix"
)

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// runBinary runs the floorgate binary and returns its exit code, standard
// output and standard error.
func runBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	bin, err := daemontest.Binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestCommandLine: every command describes itself in help, prints its
// usage on -h and --help and exits 0, exits 2 with the usage on an unknown
// flag or a wrong number of arguments, and --version works.
func TestCommandLine(t *testing.T) {
	code, help, _ := runBinary(t, nil, "help")
	if code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	for _, c := range commands() {
		if !strings.Contains(help, "  "+c.name+" ") || c.summary == "" {
			t.Errorf("help has no line for %s", c.name)
		}
		if c.run == nil {
			continue
		}
		for _, h := range []string{"-h", "--help"} {
			code, out, errOut := runBinary(t, nil, c.name, h)
			if code != 0 || !strings.Contains(out, "Usage: floorgate "+c.name) || errOut != "" {
				t.Errorf("floorgate %s %s: exit %d, stdout %.80q, stderr %.80q", c.name, h, code, out, errOut)
			}
		}
		code, _, errOut := runBinary(t, nil, c.name, "--no-such-flag")
		if code != 2 || !strings.Contains(errOut, "Usage: floorgate "+c.name) {
			t.Errorf("floorgate %s --no-such-flag: exit %d, stderr %.120q", c.name, code, errOut)
		}
	}
	for _, sub := range [][]string{{"tasks", "import"}, {"operators", "add"}, {"tokens", "create"}, {"profiles", "validate"}, {"backup"}} {
		code, out, _ := runBinary(t, nil, append(sub, "-h")...)
		if code != 0 || !strings.Contains(out, "Usage: floorgate "+strings.Join(sub, " ")) {
			t.Errorf("floorgate %s -h: exit %d %.80q", strings.Join(sub, " "), code, out)
		}
	}
	if code, _, errOut := runBinary(t, nil, "tokens", "create"); code != 2 || !strings.Contains(errOut, "want 1 argument") {
		t.Errorf("tokens create without a name: exit %d %q", code, errOut)
	}
	if code, _, errOut := runBinary(t, nil, "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("an unknown command: exit %d %q", code, errOut)
	}
	if code, out, _ := runBinary(t, nil, "--version"); code != 0 || !strings.HasPrefix(out, "floorgate ") {
		t.Errorf("--version: exit %d %q", code, out)
	}
	// Flags after the arguments are flags too.
	if code, _, errOut := runBinary(t, nil, "tokens", "create", "x", "--socket", "/nonexistent/fg.sock"); code != 1 || !strings.Contains(errOut, "is the gateway running?") {
		t.Errorf("a flag after the argument: exit %d %q", code, errOut)
	}
}

// TestCommandsReadTheConfig: with no --config, a command reads
// $FLOORGATE_CONFIG, so plain `floorgate doctor` checks the site's own
// settings; its exit status says whether a check failed.
func TestCommandsReadTheConfig(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "floorgate.yaml")
	if err := os.WriteFile(conf, []byte("store:\n  max_size_mb: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBinary(t, []string{"FLOORGATE_CONFIG=" + conf}, "doctor")
	if code != 1 || !strings.Contains(out, "FAIL config: config "+conf+": store.max_size_mb") || !strings.Contains(errOut, "doctor: ") {
		t.Fatalf("doctor with $FLOORGATE_CONFIG: exit %d\n%s\n%s", code, out, errOut)
	}
	sock := filepath.Join(t.TempDir(), "fg.sock")
	code, _, errOut = runBinary(t, []string{"FLOORGATE_CONFIG=" + conf}, "status", "--socket", sock)
	if code != 1 || !strings.Contains(errOut, "store.max_size_mb") && !strings.Contains(errOut, sock) {
		t.Fatalf("status: exit %d %q", code, errOut)
	}
}

// TestPINIsNotEchoed: at a terminal, operators add reads the PIN without
// showing it, and the operator can sign in with it.
func TestPINIsNotEchoed(t *testing.T) {
	m := gatewaytest.StartDemo(t, floorgate.SystemClock{})
	bin, err := daemontest.Binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "operators", "add", "--socket", m.Config.SocketPath(), "--id", "adm9", "--name", "Admin", "--badge", "B9909", "--role", "admin")
	// The command gets the terminal's other end, so the test can see when
	// it has switched echo off, as a person sees the prompt before typing.
	tty, term, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = term, term, term
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	term.Close() // the command holds it now
	chunks := make(chan string, 64)
	go func() {
		defer close(chunks)
		buf := make([]byte, 256)
		for {
			n, err := tty.Read(buf)
			if n > 0 {
				chunks <- string(buf[:n])
			}
			if err != nil { // EIO once the command has ended
				return
			}
		}
	}()
	var out strings.Builder
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), "PIN for adm9") { // the prompt, then the PIN
		select {
		case c, ok := <-chunks:
			if !ok {
				t.Fatalf("no prompt: %q", out.String())
			}
			out.WriteString(c)
		case <-deadline:
			t.Fatalf("no prompt: %q", out.String())
		}
	}
	// Type only once the command reads without echo (term.ReadPassword
	// turns it off just after printing the prompt).
	for deadline := time.Now().Add(30 * time.Second); ; runtime.Gosched() {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminal still echoes: the PIN would be shown")
		}
	}
	tty.Write([]byte("86420\r"))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("operators add: %v\n%s", err, out.String())
	}
	for c := range chunks {
		out.WriteString(c)
	}
	if strings.Contains(out.String(), "86420") {
		t.Fatalf("the PIN was shown: %q", out.String())
	}
	if op, code := m.DB.Authenticate("B9909", "86420", "192.0.2.1"); code != "" || op.ID != "adm9" {
		t.Fatalf("sign in with the PIN typed: %s", code)
	}
}

// TestStateDirKeepsTheConfiguredSocket: --state-dir moves the database, not
// a local_socket the configuration sets — the CLI looks where the daemon
// started with the same flags listens (the sample config's /run path).
func TestStateDirKeepsTheConfiguredSocket(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "floorgate.yaml")
	if err := os.WriteFile(cfg, []byte("local_socket: /run/floorgate/floorgate.sock\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		config, want string
	}{
		{cfg, "/run/floorgate/floorgate.sock"},
		{filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "state", "floorgate.sock")},
	} {
		t.Setenv("FLOORGATE_SOCKET", "")
		fs := newFlags("status", "", "", io.Discard, io.Discard)
		tg := targetFlags(fs)
		if err := fs.ParseArgs([]string{"--config", tt.config, "--state-dir", filepath.Join(dir, "state")}, 0); err != nil {
			t.Fatal(err)
		}
		if got, err := tg.socketPath(); err != nil || got != tt.want {
			t.Errorf("--config %s --state-dir: socket %q (%v), want %q", tt.config, got, err, tt.want)
		}
	}
}
