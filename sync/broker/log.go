package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
)

// natsLog routes nats-server's logger into slog. Its notices — a thirty-line
// banner at every start, JetStream's recovery counts — go to Debug, because
// Start and Close log what an operator needs at Info. Warnings and errors keep
// their level; client failures (a wrong password, a permission violation, an
// oversized message) are among nats-server's errors. Its traces, which would
// carry every message's payload, are never enabled.
//
// nats-server calls Fatalf when it cannot start a listener or JetStream and
// then carries on without it; natsLog keeps the first such error for Start,
// which then shuts the server down instead of exiting the process.
type natsLog struct {
	log *slog.Logger

	mu    sync.Mutex
	fatal error
	// leaf is the last warning or error about the leaf link, for
	// LeafState.LastError.
	leaf string
}

var _ server.Logger = (*natsLog)(nil)

func (l *natsLog) Noticef(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }
func (l *natsLog) Warnf(format string, v ...any) {
	level := slog.LevelWarn
	if strings.HasPrefix(format, "Plaintext passwords detected") {
		// Plain passwords are the gateway's own (made at each start, held
		// in memory only) or a site's in a configuration file whose mode
		// floorgate checks: nothing for an operator to act on.
		level = slog.LevelDebug
	}
	l.emit(level, format, v)
}
func (l *natsLog) Errorf(format string, v ...any) { l.emit(slog.LevelError, format, v) }
func (l *natsLog) Debugf(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }
func (l *natsLog) Tracef(string, ...any)          {}

func (l *natsLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	if l.fatal == nil {
		l.fatal = errors.New(msg)
	}
	l.mu.Unlock()
	l.log.Error(msg)
}

func (l *natsLog) emit(level slog.Level, format string, v []any) {
	enabled := l.log.Enabled(context.Background(), level)
	if !enabled && level < slog.LevelWarn {
		return
	}
	msg := fmt.Sprintf(format, v...)
	// A leaf connection's messages carry "lid:"; others name the leafnode.
	if level >= slog.LevelWarn && (strings.Contains(msg, "lid:") || strings.Contains(strings.ToLower(msg), "leafnode")) {
		l.mu.Lock()
		l.leaf = msg
		l.mu.Unlock()
	}
	if enabled {
		l.log.Log(context.Background(), level, msg)
	}
}

// leafError is the last warning or error about the leaf link; clear
// forgets it.
func (l *natsLog) leafError(clear bool) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.leaf
	if clear {
		l.leaf = ""
	}
	return e
}

// err is the first fatal error nats-server reported, or nil.
func (l *natsLog) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fatal
}
