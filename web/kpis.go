package web

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/web/kpi"
)

// kpiJournal is what the KPIs read of the store.
type kpiJournal interface {
	Journal(from uint64, limit int) ([]floorgate.Event, error)
	OldestEvent() (uint64, error)
}

var _ kpiJournal = (*store.DB)(nil)

// kpiChunk is how many events one catch-up read takes: the rollup is built
// at start without holding a million events at once.
const kpiChunk = 10_000

// kpiCatchUp is how often the rollup reads what was journalled since, so a
// request finds it nearly level and adds only the last moment's events.
const kpiCatchUp = time.Second

// kpis serves the KPIs from a kpi.Rollup kept level with the journal: built
// from the whole journal at start, then fed each new event once. A request
// first adds what was journalled since (so it is exact up to the last
// committed event), then adds up hours; only a window the rollup cannot
// answer exactly (kpi.ErrNeedJournal) reads the whole journal.
type kpis struct {
	src kpiJournal
	log *slog.Logger

	mu    sync.Mutex
	roll  *kpi.Rollup
	first uint64 // the first seq the rollup holds; 0 while it holds none
	next  uint64 // the next seq to add
}

func newKPIs(src kpiJournal, log *slog.Logger) *kpis {
	return &kpis{src: src, log: log, roll: kpi.NewRollup(), next: 1}
}

// run builds the rollup, then keeps it level until ctx ends. The build
// takes the lock a chunk at a time: a request meanwhile waits for one
// chunk, then goes on with the build itself.
func (k *kpis) run(ctx context.Context) {
	start := time.Now()
	for {
		k.mu.Lock()
		n, err := k.addChunk(ctx)
		added := k.roll.Events()
		k.mu.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				k.log.Error("kpi rollup", "err", err)
			}
			break
		}
		if n < kpiChunk {
			k.log.Info("kpi rollup built", "events", added, "took", time.Since(start).Round(time.Millisecond))
			break
		}
	}
	t := time.NewTicker(kpiCatchUp)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			k.mu.Lock()
			err := k.catchUp(ctx)
			k.mu.Unlock()
			if err != nil && ctx.Err() == nil {
				k.log.Warn("kpi rollup", "err", err)
			}
		}
	}
}

// catchUp adds every event journalled since. The caller holds mu.
func (k *kpis) catchUp(ctx context.Context) error {
	for {
		n, err := k.addChunk(ctx)
		if err != nil || n < kpiChunk {
			return err
		}
	}
}

// addChunk adds up to kpiChunk events journalled since, and says how many
// it read. Once retention has deleted events the rollup holds, it starts
// again from what is left, as Compute over the journal would. The caller
// holds mu.
func (k *kpis) addChunk(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	oldest, err := k.src.OldestEvent()
	if err != nil {
		return 0, err
	}
	if k.first != 0 && oldest > k.first {
		k.roll, k.first, k.next = kpi.NewRollup(), 0, oldest
	}
	evs, err := k.src.Journal(k.next, kpiChunk)
	if err != nil {
		return 0, err
	}
	for _, ev := range evs {
		if k.first == 0 {
			k.first = ev.Seq
		}
		// A payload that does not decode stays the rollup's error,
		// answered to every window, as Compute answers it.
		if err := k.roll.Add(ev); err != nil {
			k.log.Error("kpi rollup", "err", err)
		}
		k.next = ev.Seq + 1
	}
	return len(evs), nil
}

// report returns the KPIs of [from, to) over the journal as it is now;
// peopleHours: with each person's hours (without: kpi.Rollup.Summary).
func (k *kpis) report(ctx context.Context, from, to time.Time, names map[string]string, peopleHours bool) (kpi.Report, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.catchUp(ctx); err != nil {
		return kpi.Report{}, err
	}
	var rep kpi.Report
	var err error
	if peopleHours {
		rep, err = k.roll.Report(from, to, names)
	} else {
		rep, err = k.roll.Summary(from, to, names)
	}
	if !errors.Is(err, kpi.ErrNeedJournal) {
		return rep, err
	}
	evs, err := k.src.Journal(1, int(k.next))
	if err != nil {
		return kpi.Report{}, err
	}
	rep, err = kpi.Compute(evs, from, to, names)
	if !peopleHours {
		for i := range rep.People {
			rep.People[i].Hours = []kpi.Hour{}
		}
	}
	return rep, err
}

// events returns the journalled events whose time is in [from, to), in
// sequence order, reading only the stretch of the journal those hours
// were journalled in.
func (k *kpis) events(from, to time.Time) ([]floorgate.Event, error) {
	k.mu.Lock()
	lo, hi, ok := k.roll.SeqRange(from, to)
	k.mu.Unlock()
	if !ok {
		return nil, nil
	}
	evs, err := k.src.Journal(lo, int(hi-lo+1))
	if err != nil {
		return nil, err
	}
	out := evs[:0]
	for _, ev := range evs {
		if !ev.Time.Before(from) && ev.Time.Before(to) && ev.Seq <= hi {
			out = append(out, ev)
		}
	}
	return out, nil
}
