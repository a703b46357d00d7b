// Package atomicfile writes a file whole or not at all, and durably: after
// a crash or a power cut the file holds either what it held before or all
// of what was written, never a part. The gateway's own files (its TLS key
// and certificate) and backups are written with it.
//
// It does this for whole files that are replaced, not for files that grow
// (the database, logs): every write is a new file renamed over the old one.
// It must not import anything beyond the standard library.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write writes data to path whole and durably, with mode perm (set as
// given, whatever the umask; see WriteFunc).
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteFunc(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, nil)
}

// WriteFunc writes path whole and durably with what fill writes: fill
// writes a temporary file beside path, which is synced, checked when check
// is set (a backup is verified before it takes the name), given mode perm
// and renamed into place; then the directory is synced, so that the rename
// survives a power cut too.
//
// The temporary file is in path's directory because a rename is atomic
// only within one file system; it is named after path with a leading dot
// and is removed whatever fails. When fill or check fails, or anything
// else does, path is left as it was.
func WriteFunc(path string, perm os.FileMode, fill func(io.Writer) error, check func(tmp string) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	bw := bufio.NewWriterSize(f, 1<<20)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && check != nil {
		err = check(tmp)
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = SyncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// SyncDir flushes a directory's entries (a rename into it) to disk: what
// makes a rename survive a power cut.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
