package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	berrors "go.etcd.io/bbolt/errors"
)

// emitPadded journals one event of about size bytes.
func emitPadded(db *DB, n, size int) error {
	ev := floorgate.NewEvent("scan.accepted", dayAt(1), floorgate.ScanRecord{ScanID: fmt.Sprint("pad", n), Data: strings.Repeat("x", size)})
	return db.EmitEvents(ctx, []floorgate.Event{ev})
}

// TestStoreFullAndBack fills a real 1 MiB file: the store says it is full
// (with its size and limit) while writes fail for lack of room, and says so
// no more once retention has freed pages and a commit succeeds again.
func TestStoreFullAndBack(t *testing.T) {
	const limit = 1 << 20
	clock := floorgate.NewManualClock(dayAt(1))
	db := openDB(t, filepath.Join(t.TempDir(), FileName), Options{Site: testSite, Clock: clock, MaxSize: limit})
	if h := db.Health(); h.Full || h.LimitBytes != limit || h.Bytes <= 0 {
		t.Fatalf("fresh store: %+v", h)
	}
	const pad = 64 << 10
	var err error
	n := 0
	for ; n < 100 && err == nil; n++ {
		err = emitPadded(db, n, pad)
	}
	if floorgate.ErrorCode(err) != floorgate.EUNAVAILABLE {
		t.Fatalf("filling the file: %v (code %q)", err, floorgate.ErrorCode(err))
	}
	h := db.Health()
	if !h.Full || h.Reason != FullLimit || !h.Since.Equal(clock.Now()) || h.LimitBytes != limit || h.Bytes <= 0 || h.Bytes > limit {
		t.Fatalf("after filling: %+v", h)
	}
	// Still full while writes that need room keep failing.
	if err := emitPadded(db, n, pad); err == nil || !db.Health().Full {
		t.Fatalf("a second write on a full store: %v, %+v", err, db.Health())
	}
	// A retention pass with nothing to prune commits nothing: no news
	// about room.
	if pruned, err := db.Prune(ctx, clock.Now()); err != nil || pruned != 0 || !db.Health().Full {
		t.Fatalf("an empty retention pass on a full store: %d %v, %+v", pruned, err, db.Health())
	}

	// Upstream takes the events and retention deletes them: the pages
	// come back and the same write fits again.
	ackAll(t, db)
	clock.Add(48 * time.Hour)
	if _, err := db.Prune(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := emitPadded(db, n+1, pad); err != nil {
		t.Fatalf("writing after retention: %v", err)
	}
	if h := db.Health(); h.Full || h.Reason != "" || !h.Since.IsZero() || h.LimitBytes != limit {
		t.Fatalf("after freeing space: %+v", h)
	}
}

// TestFullReason: which commit errors mean "no room", including bbolt's
// flattened resize error, and that others say nothing about room.
func TestFullReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"ok", nil, ""},
		{"max size", fmt.Errorf("commit: %w", berrors.ErrMaxSizeReached), FullLimit},
		{"write on a full disk", &fs.PathError{Op: "write", Path: "floorgate.db", Err: syscall.ENOSPC}, FullDisk},
		{"over quota", &fs.PathError{Op: "write", Path: "floorgate.db", Err: syscall.EDQUOT}, FullDisk},
		{"resize on a full disk", fmt.Errorf("file resize error: %s", syscall.ENOSPC), FullDisk},
		{"i/o error", &fs.PathError{Op: "write", Path: "floorgate.db", Err: syscall.EIO}, ""},
		{"other", errors.New("tx closed"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fullReason(tc.err); got != tc.want {
				t.Fatalf("fullReason(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}
