package doctor

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// What the checks say of this machine's files and users, for a person.

// existingParent is path or its nearest ancestor that exists.
func existingParent(path string) string {
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil || p == filepath.Dir(p) {
			return p
		}
	}
}

// currentUser names the user the doctor runs as.
func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "uid " + strconv.Itoa(os.Geteuid())
}

// ownerOf names a file's owner.
func ownerOf(st os.FileInfo) string {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return "?"
	}
	id := strconv.Itoa(int(sys.Uid))
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return "uid " + id
}

// groupOf names a file's group, the one a user needs to open it.
func groupOf(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "dialout"
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return "dialout"
	}
	id := strconv.Itoa(int(sys.Gid))
	if g, err := user.LookupGroupId(id); err == nil {
		return g.Name
	}
	return "gid " + id
}

// fmtMiB formats a byte count for a person.
func fmtMiB(n int64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
