package store

import (
	"sync"
	"sync/atomic"

	"github.com/floorgate/floorgate"
)

// followers are the functions that hear of every committed event
// (Follow). The list is replaced whole on each change, so a commit reads
// it without a lock.
type followers struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*follower]
}

type follower struct{ fn func([]floorgate.Event) }

// Follow has fn called after every commit that journalled events, with
// those events as the journal holds them, in sequence order: from the
// call on, each committed event reaches fn exactly once, before any
// caller hears of its commit. A reader of the journal that also follows
// it therefore never needs to read it again for what it was told.
//
// fn runs on the committing goroutine, inside the writer's critical
// path: it must be quick, must not block and must not call the store.
// It may keep the slice's events but not the slice. The returned func
// stops the calls; once it returns, fn is not running and is not called
// again.
func (db *DB) Follow(fn func([]floorgate.Event)) (stop func()) {
	f := &follower{fn: fn}
	fs := &db.follow
	fs.mu.Lock()
	var list []*follower
	if old := fs.list.Load(); old != nil {
		list = append(list, *old...)
	}
	list = append(list, f)
	fs.list.Store(&list)
	fs.mu.Unlock()
	return func() {
		fs.mu.Lock()
		var list []*follower
		for _, g := range *fs.list.Load() {
			if g != f {
				list = append(list, g)
			}
		}
		fs.list.Store(&list)
		fs.mu.Unlock()
		// A commit that loaded the old list may still be calling fn:
		// the commit lock is held across the calls.
		db.mu.Lock()
		db.mu.Unlock()
	}
}

// following reports whether any follower wants a commit's events.
func (db *DB) following() bool {
	l := db.follow.list.Load()
	return l != nil && len(*l) > 0
}

// tellFollowers hands a committed batch's events to every follower. The
// caller holds db.mu.
func (db *DB) tellFollowers(evs []floorgate.Event) {
	if len(evs) == 0 {
		return
	}
	l := db.follow.list.Load()
	if l == nil {
		return
	}
	for _, f := range *l {
		f.fn(evs)
	}
}
