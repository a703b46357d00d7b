package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/floorgate/floorgate/internal/atomicfile"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Backups and restores.
//
// A backup is one bbolt read transaction written out whole (tx.WriteTo,
// bbolt's hot-backup method): it holds exactly what was committed when the
// transaction began. That includes the step log (see steps.go) as it stood
// then, so opening the copy loads the buckets and replays the log just as a
// restart after a crash would. Acks above the outbox watermark live only in
// memory and are not in a copy: after a restore those events go upstream
// again — a duplicate, never a loss.

// probeTimeout is how long a backup or a restore waits for the file lock
// before deciding that a running gateway holds it.
const probeTimeout = 100 * time.Millisecond

// ErrInUse is returned by BackupFile and Restore when a running gateway
// holds the database file.
var ErrInUse = errors.New("the database is in use by a running floorgate")

// Backup writes a consistent copy of the open database to w while the
// gateway keeps running, and returns the bytes written. It holds one read
// transaction for the copy: writers go on committing, but a commit that
// needs to grow the file waits until the copy is done.
func (db *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// BackupFile writes a copy of the database file at path, which no gateway
// may be using, to w. It opens the file read-only: it never migrates,
// checkpoints or otherwise writes it, and it holds only a shared lock while
// it copies. It returns ErrInUse when a gateway holds the file; ask that
// gateway for the backup instead.
func BackupFile(path string, w io.Writer) (int64, error) {
	bdb, err := openReadOnly(path)
	if err != nil {
		return 0, fmt.Errorf("backup %s: %w", path, err)
	}
	defer bdb.Close()
	var n int64
	err = bdb.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", path, err)
	}
	return n, nil
}

// openReadOnly opens a database file read-only, waiting probeTimeout for
// the lock; a timeout means a gateway holds it (ErrInUse).
func openReadOnly(path string) (*bolt.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: probeTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, ErrInUse
	}
	return bdb, err
}

// InUse reports whether a running gateway holds the database file at
// path. A file that does not exist is not in use.
func InUse(path string) (bool, error) {
	bdb, err := openReadOnly(path)
	switch {
	case errors.Is(err, ErrInUse):
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("probe %s: %w", path, err)
	}
	if err := bdb.Close(); err != nil {
		return false, fmt.Errorf("probe %s: %w", path, err)
	}
	return false, nil
}

// FileReport describes a database file as Verify found it.
type FileReport struct {
	Path string `json:"path"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
	// Schema is the layout version the file was written with.
	Schema uint64 `json:"schema"`
	DBID   string `json:"db_id"`
	// Incarnation is the file's incarnation: its events' ids begin with
	// it (a restore of this file starts a new one).
	Incarnation string `json:"incarnation"`
	Site        string `json:"site"`
	Gateway     string `json:"gateway"`
	// Events is the number of events in the journal, FirstSeq and LastSeq
	// their range, Acked the outbox watermark.
	Events   int    `json:"events"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
	Acked    uint64 `json:"acked"`
	// Steps is the number of step-log records an open replays.
	Steps int `json:"steps"`
	// CheckErrors is the number of problems bbolt's consistency check
	// found; 0 for a sound file.
	CheckErrors int `json:"check_errors"`
	// Records is the number of records decoded, Problems the number of
	// records that would not decode or that the gateway could not use;
	// 0 for a sound file.
	Records  int `json:"records"`
	Problems int `json:"problems"`
}

// maxCheckErrors bounds the problems Verify lists in its error.
const maxCheckErrors = 10

// Verify checks a database file before it is kept as a backup or put in
// place (verify.go): its layout and every page, with plain reads before
// bbolt maps it, so a truncated or damaged file is an error and never a
// SIGBUS; bbolt's consistency check; every record of every bucket decoded
// as the gateway reads it, and the references between them; and that the
// gateway's own Open succeeds on a throwaway copy. It fails when the file
// is not a floorgate database or was written by a newer floorgate than
// this one (whose schema this build cannot read). It never writes the file
// and leaves nothing behind.
func Verify(path string) (FileReport, error) {
	r, err := verify(path)
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", path, err)
	}
	return r, nil
}

// RestoreResult says what Restore did.
type RestoreResult struct {
	// Restored describes the file now in place.
	Restored FileReport
	// Kept is where the file it replaced was kept; empty when there was
	// none.
	Kept string
}

// Restore puts the backup at src in place of the database at path, which
// no gateway may be using (ErrInUse otherwise). It copies src to a
// temporary file beside path, syncs it, verifies the copy (Verify), keeps
// the database it replaces as path.before-restore-<time>, renames the copy
// into place and syncs the directory: at every moment path is either the
// old database or the whole new one.
//
// A gateway started between the check and the rename would open the old
// file; stop the service first (systemctl stop floorgate).
func Restore(src, path string, now time.Time) (RestoreResult, error) {
	var res RestoreResult
	fail := func(err error) (RestoreResult, error) { return res, fmt.Errorf("restore: %w", err) }
	busy, err := InUse(path)
	if err != nil {
		return fail(err)
	}
	if busy {
		return fail(ErrInUse)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fail(err)
	}
	tmp, err := copyToTemp(src, dir)
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp) // a no-op once renamed
	rep, err := verify(tmp)
	if err != nil {
		return fail(fmt.Errorf("backup %s: %w", src, err))
	}
	// A new incarnation, so events after the restore never reuse the ids
	// of the events it undoes (incarnation.go).
	inc, err := newIncarnation(tmp, now)
	if err != nil {
		return fail(err)
	}
	// The file in place holds one event more: gateway.restored.
	rep.Incarnation, rep.LastSeq, rep.Events = inc.ID, inc.FirstSeq, rep.Events+1
	rep.Path = path
	res.Restored = rep
	// Check again: the copy may have taken a while.
	if busy, err := InUse(path); err != nil || busy {
		return fail(cmpErr(err, ErrInUse))
	}
	if _, err := os.Stat(path); err == nil {
		kept := path + ".before-restore-" + now.UTC().Format("20060102T150405Z")
		if err := os.Link(path, kept); err != nil {
			return fail(fmt.Errorf("keep the current database: %w", err))
		}
		res.Kept = kept
	} else if !errors.Is(err, os.ErrNotExist) {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		// The database stays as it was: its second name goes too.
		if res.Kept != "" {
			os.Remove(res.Kept)
			res.Kept = ""
		}
		return fail(err)
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return fail(err)
	}
	return res, nil
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// copyToTemp copies src to a new temporary file in dir, synced to disk,
// and returns its name.
func copyToTemp(src, dir string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, ".floorgate.db.restore-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Name(), nil
}
