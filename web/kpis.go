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
	Follow(fn func([]floorgate.Event)) (stop func())
}

var _ kpiJournal = (*store.DB)(nil)

// kpiChunk is how many events one journal read takes: the rollup is built
// at start without holding a million events at once.
const kpiChunk = 10_000

// kpiCatchUp is how often the rollup adds what was committed since, so a
// request finds it nearly level and adds only the last moment's events.
const kpiCatchUp = time.Second

// kpiBatch is how many held events make the rollup catch up before its
// next tick: held events are live memory the collector walks on every
// cycle, so a busy floor's are added soon.
const kpiBatch = 2048

// kpiHeld bounds the committed events held for the rollup between two
// catch-ups (while it is built at start, a catch-up can be seconds away).
// Past it they are let go and the rollup reads them from the journal.
const kpiHeld = 200_000

// kpis serves the KPIs from a kpi.Rollup kept level with the journal: built
// from the whole journal at start, then fed each new event once, as the
// store commits it (store.DB.Follow), so the journal is read again only for
// what was let go. A request first adds what was committed since (so it is
// exact up to the last committed event), then adds up hours; only a window
// the rollup cannot answer exactly (kpi.ErrNeedJournal) reads the whole
// journal.
type kpis struct {
	src kpiJournal
	log *slog.Logger

	mu    sync.Mutex
	roll  *kpi.Rollup
	first uint64 // the first seq the rollup holds; 0 while it holds none
	next  uint64 // the next seq to add
	// told says the rollup is built and every event committed since is
	// held for it (or let go): a catch-up need not read the journal to
	// learn what is new.
	told bool

	// held are the events committed since the last catch-up; let says
	// some were let go (kpiHeld), to be read from the journal.
	heldMu  sync.Mutex
	held    []floorgate.Event
	spare   []floorgate.Event // the last catch-up's, emptied: held's next array
	let     bool
	maxHeld int // kpiHeld; less in tests

	built chan struct{} // closed once the rollup is built and told
	full  chan struct{} // holds a token once kpiBatch events are held
}

func newKPIs(src kpiJournal, log *slog.Logger) *kpis {
	return &kpis{src: src, log: log, roll: kpi.NewRollup(), next: 1, maxHeld: kpiHeld, built: make(chan struct{}),
		full: make(chan struct{}, 1)}
}

// committed is the store's follower: it holds evs for the next catch-up.
func (k *kpis) committed(evs []floorgate.Event) {
	k.heldMu.Lock()
	if len(k.held)+len(evs) > k.maxHeld {
		k.held, k.let = nil, true
	} else {
		k.held = append(k.held, evs...)
	}
	full := len(k.held) >= kpiBatch
	k.heldMu.Unlock()
	if full {
		select {
		case k.full <- struct{}{}:
		default:
		}
	}
}

// run builds the rollup, then keeps it level until ctx ends. The build
// takes the lock a chunk at a time: a request meanwhile waits for one
// chunk, then goes on with the build itself. What is committed from the
// start on is held for the rollup (committed), so the build reads the
// journal once, up to its end at that moment.
func (k *kpis) run(ctx context.Context) {
	defer k.src.Follow(k.committed)()
	start := time.Now()
	for {
		k.mu.Lock()
		n, err := k.addChunk(ctx)
		added := k.roll.Events()
		k.told = err == nil && n < kpiChunk
		k.mu.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				k.log.Error("kpi rollup", "err", err)
			}
			break
		}
		if n < kpiChunk {
			close(k.built)
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
		case <-k.full:
		}
		k.mu.Lock()
		err := k.catchUp(ctx)
		k.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			k.log.Warn("kpi rollup", "err", err)
		}
	}
}

// catchUp adds every event committed since: those held for it, and from
// the journal any it was not given (committed before it followed the
// store, or let go). Until the rollup is built and told of each commit,
// it reads the journal to its end. The caller holds mu.
func (k *kpis) catchUp(ctx context.Context) error {
	if err := k.retained(); err != nil {
		return err
	}
	k.heldMu.Lock()
	held, let := k.held, k.let
	k.held, k.spare, k.let = k.spare[:0], nil, false
	k.heldMu.Unlock()
	defer func() {
		clear(held)
		k.heldMu.Lock()
		k.spare = held[:0]
		k.heldMu.Unlock()
	}()
	if let || !k.told {
		// Everything let go was committed before anything held now, and
		// the journal has it all: read it to its end, then skip what it
		// already gave of the held events.
		for {
			n, err := k.addChunk(ctx)
			if err != nil {
				return err
			}
			if n < kpiChunk {
				break
			}
		}
	}
	for _, ev := range held {
		if ev.Seq < k.next {
			continue
		}
		for ev.Seq > k.next {
			// Committed before the rollup followed the store.
			n, err := k.readJournal(ctx, int(min(ev.Seq-k.next, kpiChunk)))
			if err != nil {
				return err
			}
			if n == 0 {
				// The journal no longer has them (retention): the
				// rollup holds what it was given.
				k.next = ev.Seq
			}
		}
		if ev.Seq < k.next {
			continue
		}
		k.add(ev)
	}
	return nil
}

// retained starts the rollup again from what the journal holds once
// retention has deleted events it holds, as Compute over the journal
// would. The caller holds mu.
func (k *kpis) retained() error {
	oldest, err := k.src.OldestEvent()
	if err != nil {
		return err
	}
	if k.first != 0 && oldest > k.first {
		k.roll, k.first, k.next = kpi.NewRollup(), 0, oldest
	}
	return nil
}

// addChunk adds up to kpiChunk events from the journal, from the next seq
// on, and says how many it read. The caller holds mu.
func (k *kpis) addChunk(ctx context.Context) (int, error) {
	if err := k.retained(); err != nil {
		return 0, err
	}
	return k.readJournal(ctx, kpiChunk)
}

// readJournal adds up to limit events from the journal, from the next seq
// on, and says how many it read. The caller holds mu.
func (k *kpis) readJournal(ctx context.Context, limit int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	evs, err := k.src.Journal(k.next, limit)
	if err != nil {
		return 0, err
	}
	for _, ev := range evs {
		k.add(ev)
	}
	return len(evs), nil
}

// add counts the next event. The caller holds mu.
func (k *kpis) add(ev floorgate.Event) {
	if k.first == 0 {
		k.first = ev.Seq
	}
	// A payload that does not decode stays the rollup's error, answered
	// to every window, as Compute answers it.
	if err := k.roll.Add(ev); err != nil {
		k.log.Error("kpi rollup", "err", err)
	}
	k.next = ev.Seq + 1
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

// Report is the KPI report over [from, to), as GET /api/v1/kpi answers it
// (without each person's hours): for the gateway's daily report.
func (s *Server) Report(ctx context.Context, from, to time.Time) (kpi.Report, error) {
	return s.kpis.report(ctx, from, to, s.names(), false)
}
