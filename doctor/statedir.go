package doctor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/floorgate/floorgate/store"
)

// minFreeMargin is the free space the database needs beyond its size now:
// bbolt grows its file in steps, and a full disk stops every scan.
const minFreeMargin = 256 << 20

// boltMagic starts every bbolt meta page (bbolt internal/common/types.go).
const boltMagic = 0xED0CDAED

// stateDirCheck checks the state directory's permissions, the free space
// on its filesystem and the database file, which it never opens for
// writing. It tells the checks after it whether a daemon runs on the
// database (Site.DaemonRunning).
type stateDirCheck struct{}

var _ Check = stateDirCheck{}

func (stateDirCheck) Name() string { return "state directory" }

func (c stateDirCheck) Run(_ context.Context, s *Site) []Finding {
	dir := s.Config.StateDir
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return []Finding{missingStateDir(dir), freeSpace(s, dir, 0)}
	}
	if err != nil {
		return []Finding{failed(c.Name(), "check the path and its parents' permissions", "%s: %v", dir, err)}
	}
	out := []Finding{stateDirMode(dir, st)}
	dbf, size := database(s, store.PathIn(dir))
	return append(out, freeSpace(s, dir, size), dbf)
}

// missingStateDir: the daemon creates the state directory on first start
// if its parent lets it.
func missingStateDir(dir string) Finding {
	const check = "state directory"
	parent := existingParent(dir)
	if err := syscall.Access(parent, 0o3); err != nil { // W_OK|X_OK
		return failed(check, fmt.Sprintf("mkdir -p %s && chown floorgate: %s && chmod 750 %s (or StateDirectory= in the unit)", dir, dir, dir),
			"%s does not exist and %s is not writable by %s", dir, parent, currentUser())
	}
	return passed(check, "%s does not exist yet; floorgate run creates it (%s is writable)", dir, parent)
}

// stateDirMode checks an existing state directory's type, owner and mode.
func stateDirMode(dir string, st os.FileInfo) Finding {
	const check = "state directory"
	mode := st.Mode().Perm()
	switch {
	case !st.IsDir():
		return failed(check, "set state_dir to a directory", "%s is not a directory", dir)
	case syscall.Access(dir, 0o3) != nil:
		return failed(check, fmt.Sprintf("chown floorgate: %s (run the doctor as the daemon's user)", dir),
			"%s is not writable by %s (owner %s, mode %04o)", dir, currentUser(), ownerOf(st), mode)
	case mode&0o002 != 0:
		return failed(check, "chmod 750 "+dir, "%s is world-writable (mode %04o)", dir, mode)
	case mode&0o004 != 0:
		return warned(check, "chmod 750 "+dir, "%s is readable by others (mode %04o); the database holds PIN and token hashes", dir, mode)
	}
	return passed(check, "%s: owner %s, mode %04o, writable by %s", dir, ownerOf(st), mode, currentUser())
}

// freeSpace: FAIL below the database's size plus a margin (the next
// growth step would fail), WARN below store.max_size_mb (the database
// cannot reach the cap it is allowed).
func freeSpace(s *Site, dir string, dbSize int64) Finding {
	const check = "disk space"
	var fs syscall.Statfs_t
	where := existingParent(dir)
	if err := syscall.Statfs(where, &fs); err != nil {
		return failed(check, "check the state directory's filesystem is mounted", "statfs %s: %v", where, err)
	}
	free := int64(fs.Bavail) * fs.Bsize
	capBytes := int64(s.Config.Store.MaxSizeMB) << 20
	switch {
	case free < dbSize+minFreeMargin:
		return failed(check, "free space on that filesystem or move state_dir",
			"%s free on the filesystem of %s; the database (%s) needs %s more to grow", fmtMiB(free), where, fmtMiB(dbSize), fmtMiB(minFreeMargin))
	case free < capBytes:
		return warned(check, "free space or lower store.max_size_mb in "+s.configName(),
			"%s free on the filesystem of %s, below store.max_size_mb (%d MiB)", fmtMiB(free), where, s.Config.Store.MaxSizeMB)
	}
	return passed(check, "%s free on the filesystem of %s (store.max_size_mb %d)", fmtMiB(free), where, s.Config.Store.MaxSizeMB)
}

// database reports the database file's size and mode and whether a
// daemon has it open, without opening it as a database: a shared flock
// that cannot be taken means bbolt's exclusive lock is held.
func database(s *Site, path string) (Finding, int64) {
	const check = "database"
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return passed(check, "%s does not exist yet (made on first start)", path), 0
	}
	if err != nil {
		return failed(check, "chown floorgate: "+path+" && chmod 600 "+path, "%s: %v", path, err), 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return failed(check, "check the file system", "stat %s: %v", path, err), 0
	}
	size := st.Size()
	head := make([]byte, 20)
	if _, err := io.ReadFull(f, head); err != nil || binary.LittleEndian.Uint32(head[16:]) != boltMagic {
		return failed(check, "move it aside; floorgate run makes a new one (events not yet sent upstream are lost)",
			"%s (%s) is not a floorgate database", path, fmtMiB(size)), size
	}
	inUse := "not open: no daemon is running on it"
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); {
	case errors.Is(err, syscall.EWOULDBLOCK):
		s.DaemonRunning = true
		inUse = "in use by the running daemon"
	case err == nil:
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	default:
		inUse = fmt.Sprintf("lock state unknown: %v", err)
	}
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		return warned(check, "chmod 600 "+path, "%s (%s, %s) is readable by group or others (mode %04o); it holds PIN and token hashes",
			path, fmtMiB(size), inUse, mode), size
	}
	return passed(check, "%s: %s, %s", path, fmtMiB(size), inUse), size
}
