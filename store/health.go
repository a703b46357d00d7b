package store

import (
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	berrors "go.etcd.io/bbolt/errors"
)

// Why a store is full, in Health.Reason.
const (
	// FullLimit: the file reached its limit (Options.MaxSize, the
	// gateway's store.max_size_mb).
	FullLimit = "limit"
	// FullDisk: the disk (or the user's quota on it) has no room left.
	FullDisk = "disk"
)

// Health says whether the store can take writes. A full store still
// answers every read, and a write that needs no new page (a commit reusing
// pages retention freed) can still succeed, which is also how it recovers.
type Health struct {
	// Full is set when the last commit failed because the file reached its
	// limit or the disk is full; the next commit that succeeds clears it.
	Full bool `json:"full"`
	// Reason is FullLimit or FullDisk while Full, empty otherwise.
	Reason string `json:"reason,omitempty"`
	// Since is when the store became full.
	Since time.Time `json:"since,omitzero"`
	// Bytes is the database file's size; LimitBytes the most it may grow to.
	Bytes      int64 `json:"bytes"`
	LimitBytes int64 `json:"limit_bytes"`
}

// health is the outcome of the last commit that decided it: the writer
// sets it, anyone reads it.
type health struct {
	mu     sync.Mutex
	reason string // "" when the last commit succeeded
	since  time.Time
}

// noteCommit records a commit's outcome: a success that wrote pages
// clears the full state, a failure for lack of room sets it. Any other
// failure, and a commit that wrote nothing (a retention pass with nothing
// to prune), says nothing about room and leaves the state as it was.
func (db *DB) noteCommit(err error, wrotePages bool) {
	reason := fullReason(err)
	if (err != nil && reason == "") || (err == nil && !wrotePages) {
		return
	}
	h := &db.health
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case reason == "":
		if h.reason != "" {
			db.log.Info("store has room again", "was", h.reason, "since", h.since)
		}
		h.reason, h.since = "", time.Time{}
	case h.reason == "":
		db.log.Error("store full: writes fail until space is freed", "reason", reason, "err", err)
		h.reason, h.since = reason, db.clock.Now()
	default:
		h.reason = reason
	}
}

// fullReason says whether err is a commit failing for lack of room, and
// which room: FullLimit, FullDisk, or "" for anything else.
func fullReason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, berrors.ErrMaxSizeReached):
		return FullLimit
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT),
		// bbolt flattens a failed file resize into text ("file resize
		// error: %s"), so the errno survives only as its message.
		strings.Contains(err.Error(), syscall.ENOSPC.Error()), strings.Contains(err.Error(), syscall.EDQUOT.Error()):
		return FullDisk
	}
	return ""
}

// Health reports whether the store is full, with the file's size and limit.
func (db *DB) Health() Health {
	h := &db.health
	h.mu.Lock()
	out := Health{Full: h.reason != "", Reason: h.reason, Since: h.since, LimitBytes: int64(db.opts.MaxSize)}
	h.mu.Unlock()
	if fi, err := os.Stat(db.bolt.Path()); err == nil {
		out.Bytes = fi.Size()
	}
	return out
}
