package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
)

// Waves returns every wave the gateway knows: open ones first (held, then
// released), by priority and cut-off, then the completed, newest first.
func (db *DB) Waves() []floorgate.Wave {
	db.mu.RLock()
	out := make([]floorgate.Wave, 0, len(db.st.waves))
	for _, wv := range db.st.waves {
		out = append(out, *wv)
	}
	db.mu.RUnlock()
	rank := map[floorgate.WaveStatus]int{floorgate.WaveHeld: 0, floorgate.WaveReleased: 1, floorgate.WaveCompleted: 2}
	slices.SortFunc(out, func(a, b floorgate.Wave) int {
		if c := cmp.Compare(rank[a.Status], rank[b.Status]); c != 0 {
			return c
		}
		if a.Status == floorgate.WaveCompleted {
			return b.CompletedAt.Compare(a.CompletedAt)
		}
		if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
			return c
		}
		if c := cutOffOrder(a.CutOff, b.CutOff); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// cutOffOrder puts the earlier cut-off first and a wave without one last.
func cutOffOrder(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

// Wave returns one wave.
func (db *DB) Wave(id string) (floorgate.Wave, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	wv := db.st.waves[id]
	if wv == nil || id == "" {
		return floorgate.Wave{}, floorgate.Errorf(floorgate.ENOTFOUND, "no wave %q", id)
	}
	return *wv, nil
}

// ReleaseWave releases a held wave from the site: its tasks go to the
// pickers, before those of lower-priority waves, and wave.released is sent
// upstream. actor is who released it, as the audit log names them.
func (db *DB) ReleaseWave(ctx context.Context, id, actor string) error {
	if err := db.write(ctx, func(w *wtx) error { return w.releaseWave(id, floorgate.ReleasedOnSite, actor) }); err != nil {
		return fmt.Errorf("release wave %s: %w", id, err)
	}
	return nil
}

// ReleaseDue releases every held wave whose release time has come, on the
// store's clock, and returns their ids.
func (db *DB) ReleaseDue(ctx context.Context) ([]string, error) {
	var released []string
	err := db.write(ctx, func(w *wtx) error {
		released = released[:0]
		now := db.clock.Now()
		due := make([]*floorgate.Wave, 0)
		for _, wv := range w.st.waves {
			if wv.Status == floorgate.WaveHeld && !wv.ReleaseAt.IsZero() && !wv.ReleaseAt.After(now) {
				due = append(due, wv)
			}
		}
		// The same order a supervisor sees, so the events are in it too.
		slices.SortFunc(due, func(a, b *floorgate.Wave) int {
			if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
				return c
			}
			return cmp.Compare(a.ID, b.ID)
		})
		for _, wv := range due {
			if err := w.releaseWave(wv.ID, floorgate.ReleasedBySchedule, ""); err != nil {
				return err
			}
			released = append(released, wv.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("release due waves: %w", err)
	}
	return released, nil
}

// releaseWave releases a held wave, by one of the floorgate.Released*
// ways; actor names who, for a release on site.
func (w *wtx) releaseWave(id, by, actor string) error {
	old := w.st.waves[id]
	switch {
	case old == nil || id == "":
		return floorgate.Errorf(floorgate.ENOTFOUND, "no wave %q", id)
	case old.Status == floorgate.WaveCompleted:
		return floorgate.Errorf(floorgate.ECONFLICT, "wave %q is already completed", id)
	case old.Status == floorgate.WaveReleased:
		who := old.ReleasedBy
		if old.ReleasedActor != "" {
			who += " (" + old.ReleasedActor + ")"
		}
		return floorgate.Errorf(floorgate.ECONFLICT, "wave %q was already released at %s by %s",
			id, old.ReleasedAt.UTC().Format(time.RFC3339), who)
	}
	now := w.db.clock.Now()
	wv := *old
	wv.Status, wv.ReleasedAt, wv.ReleasedBy, wv.ReleasedActor = floorgate.WaveReleased, now, by, actor
	if err := w.putWave(&wv); err != nil {
		return err
	}
	held := make([]*floorgate.Task, 0, wv.Open())
	for _, t := range w.st.open {
		if t.Wave == id && t.Status == floorgate.TaskHeld {
			held = append(held, t)
		}
	}
	slices.SortFunc(held, func(a, b *floorgate.Task) int { return cmpQueued(w.st.queuedOf(a), w.st.queuedOf(b)) })
	for _, t := range held {
		nt := *t // the lines are not changed, so they may be shared
		nt.Status = floorgate.TaskPending
		if err := w.putTask(&nt); err != nil {
			return err
		}
	}
	if err := w.emit(floorgate.NewEvent(floorgate.EventWaveReleased, now, waveRecord(&wv))); err != nil {
		return err
	}
	return w.assignIdle(now)
}

// waveRecord is the payload of a wave's events.
func waveRecord(wv *floorgate.Wave) floorgate.WaveRecord {
	r := floorgate.WaveRecord{Wave: wv.ID, Priority: wv.Priority, CutOff: wv.CutOff, Tasks: wv.Tasks, ReleasedBy: wv.ReleasedBy, ReleasedActor: wv.ReleasedActor}
	if wv.Status == floorgate.WaveCompleted {
		r.Done, r.Cancelled = wv.Done, wv.Cancelled
		r.Late = !wv.CutOff.IsZero() && wv.CompletedAt.After(wv.CutOff)
	}
	return r
}

// putWave stores a wave and keeps it in memory.
func (w *wtx) putWave(wv *floorgate.Wave) error {
	setIn(w, w.st.waves, wv.ID, wv)
	return w.put(bucketWaves, wv.ID, wv)
}

// joinWave files n arriving tasks under their wave: the wave declared by
// def, created on its first declaration, or, with def nil, the stored wave
// id when there is one. It returns the status the tasks arrive in: held
// while the wave is, otherwise pending. A refusal names the field.
func (w *wtx) joinWave(def *floorgate.WaveDefinition, id string, n int, now time.Time) (floorgate.TaskStatus, error) {
	if def != nil {
		id = def.ID
	}
	old := w.st.waves[id]
	switch {
	case id == "":
		return floorgate.TaskPending, nil
	case old == nil && def == nil:
		// A wave named by its tasks alone is a label, as it always was.
		return floorgate.TaskPending, nil
	case old != nil && old.Status == floorgate.WaveCompleted:
		return "", floorgate.FieldErrorf("wave", "wave %q was completed at %s: send the tasks in a new wave",
			id, old.CompletedAt.UTC().Format(time.RFC3339))
	case old != nil && def != nil:
		if err := old.Matches(*def); err != nil {
			return "", floorgate.InField("wave", err)
		}
	}
	var wv floorgate.Wave
	if old != nil {
		wv = *old
	} else {
		if n == 0 {
			// Every task repeated one already stored: nothing arrives.
			return floorgate.TaskPending, nil
		}
		// The wave's priority places its tasks in the queue: a label
		// already on open tasks, queued without it, cannot become a wave.
		for _, t := range w.st.open {
			if t.Wave == id {
				return "", floorgate.FieldErrorf("wave.id", "%q is already the wave label of open task %s, which arrived without a wave definition: declare the wave under a new id", id, t.ID)
			}
		}
		wv = floorgate.Wave{ID: def.ID, Priority: def.Priority, CutOff: def.CutOff.UTC(), ReleaseAt: def.ReleaseAt.UTC(),
			Status: floorgate.WaveHeld, Created: now}
		if def.CutOff.IsZero() {
			wv.CutOff = time.Time{}
		}
		if def.ReleaseAt.IsZero() {
			wv.ReleaseAt = time.Time{}
		}
		if !def.Hold {
			wv.Status, wv.ReleasedAt, wv.ReleasedBy = floorgate.WaveReleased, now, floorgate.ReleasedOnArrival
		}
	}
	wv.Tasks += n
	if err := w.putWave(&wv); err != nil {
		return "", err
	}
	if wv.Status == floorgate.WaveHeld {
		return floorgate.TaskHeld, nil
	}
	return floorgate.TaskPending, nil
}

// closeInWave counts a task that closed (done or cancelled) in its wave;
// the wave completes when it was the last one open.
func (w *wtx) closeInWave(t *floorgate.Task) error {
	old := w.st.waves[t.Wave]
	if old == nil || t.Wave == "" || old.Status == floorgate.WaveCompleted {
		return nil
	}
	wv := *old
	if t.Status == floorgate.TaskCancelled {
		wv.Cancelled++
	} else {
		wv.Done++
	}
	if wv.Open() <= 0 {
		wv.Status, wv.CompletedAt = floorgate.WaveCompleted, w.db.clock.Now()
		w.wavesDone = append(w.wavesDone, wv.ID)
	}
	return w.putWave(&wv)
}

// completeWaves sends wave.completed for the waves the request just
// finished, after the request's own events.
func (w *wtx) completeWaves() error {
	for _, id := range w.wavesDone {
		wv := w.st.waves[id]
		if err := w.emit(floorgate.NewEvent(floorgate.EventWaveCompleted, wv.CompletedAt, waveRecord(wv))); err != nil {
			return err
		}
	}
	w.wavesDone = w.wavesDone[:0]
	return nil
}

// RunWaveReleases releases held waves as their release times come (see
// ReleaseDue), looking every interval, until ctx ends or the store closes.
func (db *DB) RunWaveReleases(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ids, err := db.ReleaseDue(ctx)
		switch {
		case err != nil && (ctx.Err() != nil || db.isClosed()):
			return
		case err != nil:
			db.log.Error("release due waves", "err", err)
		case len(ids) > 0:
			db.log.Info("waves released at their release time", "waves", ids)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		case <-db.stop:
			return
		}
	}
}
