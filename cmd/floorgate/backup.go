package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
)

// Backup and restore of the gateway's database, and its retention.
//
// A running gateway holds the database file's lock, so "floorgate backup"
// asks it for a copy over HTTP (GET /api/v1/backup, loopback only); with
// the gateway stopped it copies the file itself, read-only. Either way the
// copy is written to a temporary file, synced, checked with bbolt's
// consistency check and renamed into place. "floorgate restore" refuses
// while a gateway holds the database.

// backupBytesTrailer carries the size of a backup served over HTTP, so the
// client can tell a whole copy from one cut short.
const backupBytesTrailer = "Floorgate-Backup-Bytes"

// retentionEvery is how often the gateway prunes what retention allows.
const retentionEvery = time.Hour

// startRetention prunes the journal, command ids and finished print jobs
// older than store.retention_days, at once and then hourly, until the
// database closes. Run calls it once the store is open.
func (m *Main) startRetention() {
	keep := time.Duration(m.Config.Store.RetentionDays) * 24 * time.Hour
	go m.DB.RunRetention(context.Background(), retentionEvery, keep)
}

// handleBackup: GET /api/v1/backup — a consistent copy of the live
// database, streamed as it is read. Register it loopback-only.
func (m *Main) handleBackup(w http.ResponseWriter, r *http.Request) {
	s := m.DB.Site()
	name := fmt.Sprintf("floorgate-%s-%s-%s.db", s.ID, s.Gateway, m.Clock.Now().UTC().Format("20060102T150405Z"))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Trailer", backupBytesTrailer)
	start := time.Now()
	n, err := m.DB.Backup(w)
	if err != nil {
		m.Log.Error("backup", "err", err, "bytes", n, "remote", r.RemoteAddr)
		if n == 0 {
			writeError(w, floorgate.Errorf(floorgate.EUNAVAILABLE, "backup failed: %v", err))
			return
		}
		// Part of it went out: break the connection so the client sees
		// a cut stream, never a short file that looks whole.
		panic(http.ErrAbortHandler)
	}
	w.Header().Set(backupBytesTrailer, strconv.FormatInt(n, 10))
	m.Log.Info("backup served", "bytes", n, "took", time.Since(start).Round(time.Millisecond), "remote", r.RemoteAddr)
}

func backupCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: floorgate backup [--config FILE] [--state-dir DIR] [--addr URL] FILE\n       floorgate backup --verify FILE")
		fs.PrintDefaults()
	}
	configPath := fs.String("config", "", "configuration file (for the state dir and listen address)")
	stateDir := fs.String("state-dir", "", "directory of the database (overrides the config)")
	addr := fs.String("addr", "", "the running gateway (default: the config's listen port on 127.0.0.1)")
	verifyOnly := fs.Bool("verify", false, "only check an existing backup FILE")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("backup: want one FILE")
	}
	out := fs.Arg(0)
	if *verifyOnly {
		rep, err := store.Verify(out)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		printReport(stdout, rep)
		return nil
	}
	cfg, err := LoadConfig(*configPath)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if *stateDir != "" {
		cfg.StateDir = *stateDir
	}
	if *addr == "" {
		*addr = localURL(cfg.Listen)
	}
	dbPath := filepath.Join(cfg.StateDir, "floorgate.db")
	start := time.Now()
	// A stopped gateway's file is copied directly; a running gateway (or a
	// file this user cannot open) is asked over HTTP.
	source := "file " + dbPath
	copyFn := func(w io.Writer) (int64, error) { return store.BackupFile(dbPath, w) }
	if busy, err := store.InUse(dbPath); busy || err != nil || !exists(dbPath) {
		source = "gateway " + *addr
		copyFn = func(w io.Writer) (int64, error) { return fetchBackup(ctx, *addr, w) }
	}
	n, rep, err := writeVerified(out, copyFn)
	if err != nil {
		if strings.HasPrefix(source, "gateway") && !exists(dbPath) {
			return fmt.Errorf("backup: %w (no database at %s either: --state-dir?)", err, dbPath)
		}
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup of %s written to %s: %d bytes in %v\n", source, out, n, time.Since(start).Round(time.Millisecond))
	printReport(stdout, rep)
	return nil
}

func printReport(w io.Writer, r store.FileReport) {
	fmt.Fprintf(w, "  consistency check: ok (%d problems), schema %d, site %s gateway %s, database %s\n",
		r.CheckErrors, r.Schema, r.Site, r.Gateway, r.DBID)
	fmt.Fprintf(w, "  journal: %d events (seq %d…%d), acknowledged upstream up to %d; step log: %d records\n",
		r.Events, r.FirstSeq, r.LastSeq, r.Acked, r.Steps)
}

// localURL is the gateway's address on this machine from its listen
// address.
func localURL(listen string) string {
	_, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" || port == "0" {
		port = "8080"
	}
	return "http://" + net.JoinHostPort("127.0.0.1", port)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// fetchBackup streams GET /api/v1/backup into w.
func fetchBackup(ctx context.Context, addr string, w io.Writer) (int64, error) {
	url := strings.TrimSuffix(addr, "/") + "/api/v1/backup"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("gateway not reachable (is it running? --addr): %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		var e struct{ Code, Error string }
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return 0, fmt.Errorf("%s: %s (%s)", url, e.Error, e.Code)
		}
		return 0, fmt.Errorf("%s: %s", url, resp.Status)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("%s: cut short after %d bytes: %w", url, n, err)
	}
	if want := resp.Trailer.Get(backupBytesTrailer); want != strconv.FormatInt(n, 10) {
		return n, fmt.Errorf("%s: received %d bytes, the gateway sent %q", url, n, want)
	}
	return n, nil
}

// writeVerified writes a backup with fill to a temporary file beside path,
// syncs it, verifies it and renames it into place.
func writeVerified(path string, fill func(io.Writer) (int64, error)) (int64, store.FileReport, error) {
	var n int64
	var rep store.FileReport
	err := store.WriteFile(path, 0o600, func(w io.Writer) error {
		var err error
		n, err = fill(w)
		return err
	}, func(tmp string) error {
		var err error
		rep, err = store.Verify(tmp)
		return err
	})
	rep.Path = path
	return n, rep, err
}

func restoreCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration file (for the state dir)")
	stateDir := fs.String("state-dir", "", "directory of the database (overrides the config)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("restore: want one backup FILE")
	}
	cfg, err := LoadConfig(*configPath)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if *stateDir != "" {
		cfg.StateDir = *stateDir
	}
	dbPath := filepath.Join(cfg.StateDir, "floorgate.db")
	res, err := store.Restore(fs.Arg(0), dbPath, time.Now())
	if errors.Is(err, store.ErrInUse) {
		who := "a running floorgate"
		if pid := lockHolder(dbPath); pid > 0 {
			who = fmt.Sprintf("a running floorgate (pid %d?)", pid)
		}
		return fmt.Errorf("restore: the database %s is in use by %s; stop the service first: systemctl stop floorgate", dbPath, who)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s to %s\n", fs.Arg(0), dbPath)
	printReport(stdout, res.Restored)
	if res.Kept != "" {
		fmt.Fprintf(stdout, "  the database it replaced is kept as %s\n", res.Kept)
	}
	if res.Restored.Site != cfg.Site.ID || res.Restored.Gateway != cfg.Site.Gateway {
		fmt.Fprintf(stdout, "  note: the backup is of site %s gateway %s; the configuration names site %s gateway %s, and the gateway opens only its own\n",
			res.Restored.Site, res.Restored.Gateway, cfg.Site.ID, cfg.Site.Gateway)
	}
	return nil
}

// lockHolder is the pid holding a flock on path, from /proc/locks; 0 when
// it cannot tell.
func lockHolder(path string) int {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	raw, err := os.ReadFile("/proc/locks")
	if err != nil {
		return 0
	}
	ino := strconv.FormatUint(st.Ino, 10)
	// 1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[1] != "FLOCK" || f[3] != "WRITE" {
			continue
		}
		if id := f[5]; id[strings.LastIndexByte(id, ':')+1:] == ino {
			pid, _ := strconv.Atoi(f[4])
			return pid
		}
	}
	return 0
}
