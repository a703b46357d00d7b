package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/floorgate/floorgate/internal/atomicfile"
	"github.com/floorgate/floorgate/store"
)

// Backup and restore of the gateway's database.
//
// A running gateway holds the database file's lock, so "floorgate backup"
// asks it for a copy over its local socket (GET /api/v1/backup, an
// admin's); with the gateway stopped it copies the file itself, read-only.
// Either way the copy is written to a temporary file, synced, verified
// (store.Verify: its pages, every record, and that the gateway opens it)
// and renamed into place; a copy that fails is removed. "floorgate
// restore" refuses while a gateway holds the database, and refuses any
// file that verify refuses.

func backupCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", "FILE", "Write a consistent, verified copy of the gateway's database to FILE: from the running gateway over its\n"+
		"local socket (or --addr with an admin API token), or straight from the file of a stopped one.\n"+
		"With --verify, only check an existing backup FILE. A backup holds PIN hashes: keep it like a password.", stdout, stderr)
	t := targetFlags(fs)
	verifyOnly := fs.Bool("verify", false, "only check an existing backup FILE")
	if err := fs.ParseArgs(args, 1); err != nil {
		return err
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
	cfg, err := loadConfig(*t.config)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if *t.stateDir != "" {
		cfg.StateDir = *t.stateDir
	}
	dbPath := store.PathIn(cfg.StateDir)
	start := time.Now()
	// A stopped gateway's file is copied directly; a running one (or one
	// elsewhere, --addr) is asked for a copy.
	source := "file " + dbPath
	copyFn := func(w io.Writer) (int64, error) { return store.BackupFile(dbPath, w) }
	if busy, err := store.InUse(dbPath); *t.addr != "" || busy || err != nil || !exists(dbPath) {
		c, err := t.client()
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		source = "the running gateway"
		copyFn = func(w io.Writer) (int64, error) {
			n, err := c.Backup(ctx, w)
			if err != nil {
				return n, explainDial(err, t)
			}
			return n, nil
		}
	}
	n, rep, err := writeVerified(out, copyFn)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup of %s written to %s: %d bytes in %v\n", source, out, n, time.Since(start).Round(time.Millisecond))
	printReport(stdout, rep)
	return nil
}

func printReport(w io.Writer, r store.FileReport) {
	fmt.Fprintf(w, "  consistency check: ok (%d problems), schema %d, site %s gateway %s, database %s, incarnation %s\n",
		r.CheckErrors, r.Schema, r.Site, r.Gateway, r.DBID, r.Incarnation)
	fmt.Fprintf(w, "  journal: %d events (seq %d…%d), acknowledged upstream up to %d; step log: %d records\n",
		r.Events, r.FirstSeq, r.LastSeq, r.Acked, r.Steps)
	fmt.Fprintf(w, "  records: %d, each decoded as the gateway reads it, references between them checked (%d problems); the gateway opens it\n",
		r.Records, r.Problems)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writeVerified writes a backup with fill to a temporary file beside path,
// syncs it, verifies it and renames it into place.
func writeVerified(path string, fill func(io.Writer) (int64, error)) (int64, store.FileReport, error) {
	var n int64
	var rep store.FileReport
	err := atomicfile.WriteFunc(path, 0o600, func(w io.Writer) error {
		var err error
		n, err = fill(w)
		return err
	}, func(tmp string) error {
		var err error
		if rep, err = store.Verify(tmp); err != nil {
			// Name the backup being written, not its temporary file
			// (gone by the time anyone reads this).
			return fmt.Errorf("verify the copy for %s: %w", path, errors.Unwrap(err))
		}
		return nil
	})
	rep.Path = path
	return n, rep, err
}

func restoreCommand(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("restore", "FILE", "Put a verified backup in place of a stopped gateway's database; the one it replaces is kept beside it.", stdout, stderr)
	configPath := configFlag(fs)
	stateDir := fs.String("state-dir", "", "directory of the database (overrides the config)")
	if err := fs.ParseArgs(args, 1); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if *stateDir != "" {
		cfg.StateDir = *stateDir
	}
	dbPath := store.PathIn(cfg.StateDir)
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
	if inc, err := store.ReadIncarnation(dbPath); err == nil {
		fmt.Fprintf(stdout, "  new incarnation %s: event ids now begin with it, from seq %d (gateway.restored: restored from %s at seq %d)\n",
			inc.ID, inc.FirstSeq, inc.RestoredFrom, inc.RestoredSeq)
	}
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
