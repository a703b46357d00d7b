package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// entries names what dir holds.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestWrite writes a file and overwrites it: each time the file holds the
// new content with the mode asked for, whatever the umask, and nothing is
// left beside it.
func TestWrite(t *testing.T) {
	// The umask would take 0o044 off a file created with 0o644.
	defer syscall.Umask(syscall.Umask(0o077))
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.crt")
	for _, w := range []struct {
		name string
		data string
		perm os.FileMode
	}{
		{"create", "first", 0o600},
		{"overwrite, wider mode", "second, longer than the first", 0o644},
		{"overwrite, shorter, narrower mode", "3rd", 0o600},
		{"overwrite with nothing", "", 0o640},
	} {
		if err := Write(path, []byte(w.data), w.perm); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != w.data {
			t.Errorf("%s: file holds %q, %v; want %q", w.name, b, err, w.data)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode() != w.perm {
			t.Errorf("%s: mode %v, %v; want %v", w.name, fi.Mode(), err, w.perm)
		}
		if got := entries(t, dir); !slices.Equal(got, []string{"gateway.crt"}) {
			t.Errorf("%s: directory holds %q, want the file alone", w.name, got)
		}
	}
}

// TestWriteIsWholeOrNothing: WriteFunc puts the new content in place
// whole, with its mode; a fill or a check that fails leaves the file as it
// was and no temporary beside it.
func TestWriteIsWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	write := func(s string, check func(string) error) error {
		return WriteFunc(path, 0o600, func(w io.Writer) error {
			_, err := io.WriteString(w, s)
			return err
		}, check)
	}
	if err := write("first", nil); err != nil {
		t.Fatal(err)
	}
	bad := errors.New("not a database")
	var checked string
	err := write("second", func(tmp string) error {
		b, _ := os.ReadFile(tmp)
		checked = string(b)
		return bad
	})
	if !errors.Is(err, bad) {
		t.Fatalf("failed check: %v", err)
	}
	if checked != "second" {
		t.Errorf("check saw %q, want the synced temporary file", checked)
	}
	if err := write("third", func(string) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := WriteFunc(path, 0o600, func(w io.Writer) error {
		io.WriteString(w, "half")
		return bad
	}, nil); !errors.Is(err, bad) {
		t.Fatalf("failed fill: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "third" {
		t.Fatalf("file holds %q, %v; want the last whole write", b, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want the file alone", len(ents))
	}
}

// TestWriteFailsCleanly: a write that cannot be done is an error naming the
// file, and leaves no temporary file behind, whether it failed before the
// temporary file was made (no directory) or after (the rename).
func TestWriteFailsCleanly(t *testing.T) {
	for _, tc := range []struct {
		name string
		// path is where to write, in dir.
		path func(t *testing.T, dir string) string
		want error
	}{
		{"no directory", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "missing", "gateway.key")
		}, fs.ErrNotExist},
		{"a directory in the way", func(t *testing.T, dir string) string {
			// The temporary file cannot be renamed over a directory.
			path := filepath.Join(dir, "gateway.key")
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
			return path
		}, fs.ErrExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tc.path(t, dir)
			before := entries(t, dir)
			err := Write(path, []byte("secret"), 0o600)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Write: %v; want %v naming %s", err, tc.want, path)
			}
			if got := entries(t, dir); !slices.Equal(got, before) {
				t.Errorf("directory holds %q after the failure, want %q", got, before)
			}
		})
	}
}
