package store

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// WriteFile puts the new content in place whole, with its mode; a fill or
// a check that fails leaves the file as it was and no temporary beside it.
func TestWriteFileIsWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	write := func(s string, check func(string) error) error {
		return WriteFile(path, 0o600, func(w io.Writer) error {
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
	if err := WriteFile(path, 0o600, func(w io.Writer) error {
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
