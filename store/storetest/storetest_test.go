package storetest_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/store/storetest"
)

// recorder is a testing.TB whose cleanups run when the test says and whose
// errors are kept, so that a test can watch Open's cleanup fail.
type recorder struct {
	testing.TB
	cleanups []func()
	errs     []string
}

func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *recorder) Error(args ...any) { r.errs = append(r.errs, fmt.Sprint(args...)) }

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// end runs the cleanups as the end of a test would, the last first.
func (r *recorder) end() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

// TestOpen: a store opened with the fixture holds its floor and takes its
// pickers' logins; at the end of the test it is closed and checked, which
// passes for the file the store wrote and fails for a damaged one.
func TestOpen(t *testing.T) {
	t.Run("fixture", func(t *testing.T) {
		db := storetest.Open(t, storetest.WithFixture(), storetest.WithOptions(func(o *store.Options) { o.AutoEnrol = true }))
		if c := db.Counts(); c.Locations != 4 || c.Items != 4 || c.Operators != 3 {
			t.Fatalf("counts %+v, want the fixture's 4 locations, 4 items and 3 operators", c)
		}
		ctx := context.Background()
		token := "storetest-device-token-0123456789abcdef"
		if _, err := db.Hello(ctx, "pda-1", token, "test"); err != nil {
			t.Fatal(err)
		}
		if v, err := db.Login(ctx, "pda-1", "login-1", "BADGE2", storetest.PIN); err != nil || v.Code != floorgate.CodeLoggedIn {
			t.Fatalf("login: %v %+v", err, v)
		}
		if db.Site() != storetest.Site {
			t.Errorf("site %+v, want storetest.Site", db.Site())
		}
	})
	t.Run("checked at the end", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			// closed: the test closes the store itself.
			closed bool
			// damage, when set, damages the closed file.
			damage func(t *testing.T, path string)
			want   string // in the error; empty: none
		}{
			{"sound", false, nil, ""},
			{"closed by the test", true, nil, ""},
			{"damaged", true, func(t *testing.T, path string) {
				// Both meta pages (bbolt's pages are the OS's), where
				// bbolt finds everything else.
				f, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := f.WriteAt(make([]byte, 2*os.Getpagesize()), 0); err != nil {
					t.Fatal(err)
				}
			}, "the store the test leaves: verify "},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := &recorder{TB: t}
				db := storetest.Open(r, storetest.WithFixture())
				path := db.Path()
				if tc.closed {
					if err := db.Close(); err != nil {
						t.Fatal(err)
					}
				}
				if tc.damage != nil {
					tc.damage(t, path)
				}
				r.end()
				switch {
				case tc.want == "" && len(r.errs) != 0:
					t.Errorf("errors %q, want none", r.errs)
				case tc.want != "" && (len(r.errs) != 1 || !strings.Contains(r.errs[0], tc.want)):
					t.Errorf("errors %q, want one with %q", r.errs, tc.want)
				}
			})
		}
	})
}
