package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// track moves an order's timeline on for an event it journals: the order's
// arrival, its pick, pack, label and shipping, a short line, a
// cancellation, a presale parcel held and released. Events of other kinds
// and events read back (no value) change nothing. It runs in the
// transaction that journals the event, so a timeline never says more than
// the journal.
func (w *wtx) track(ev floorgate.Event) error {
	var order string
	var apply func(t *floorgate.OrderTimeline)
	switch r := ev.Value().(type) {
	case floorgate.TaskRecord:
		order = r.Order
		switch ev.Type {
		case floorgate.EventTaskReceived:
			apply = func(t *floorgate.OrderTimeline) {
				if !t.Released.IsZero() {
					return // a later task of the same order
				}
				t.Released = ev.Time
				if tk := w.st.open[r.Task]; tk != nil {
					if !tk.ReleasedAt.IsZero() {
						t.Released = tk.ReleasedAt
					}
					t.CutOff = tk.CutOff
					if wv := w.st.waves[tk.Wave]; t.CutOff.IsZero() && wv != nil {
						t.CutOff = wv.CutOff
					}
				}
			}
		case floorgate.EventTaskStarted:
			apply = func(t *floorgate.OrderTimeline) {
				if t.PickStarted.IsZero() {
					t.PickStarted = ev.Time
				}
				t.Holder, t.Device, t.Task = r.Operator, r.Device, r.Task
			}
		case floorgate.EventTaskCompleted:
			apply = func(t *floorgate.OrderTimeline) {
				t.Picked, t.Holder, t.Device, t.Task = ev.Time, "", "", r.Task
				if r.Short > 0 && t.Short == 0 {
					t.ShortAt = ev.Time
				}
				t.Short = max(t.Short, r.Short)
			}
		}
	case floorgate.ExceptionRecord:
		order = r.Order
		switch r.Kind {
		case floorgate.ExceptionIntercept:
			apply = func(t *floorgate.OrderTimeline) { t.Cancelled = ev.Time }
		case floorgate.ExceptionShortPick:
			apply = func(t *floorgate.OrderTimeline) {
				if t.Short == 0 || !t.ShortResolved.IsZero() {
					t.ShortAt, t.Short = ev.Time, max(t.Short, 1)
				}
				t.ShortResolved = time.Time{}
			}
		}
	case floorgate.ExceptionCase:
		order = r.Order
		switch ev.Type {
		case floorgate.EventExceptionRaised:
			apply = func(t *floorgate.OrderTimeline) { t.ExceptionsOpen++ }
		case floorgate.EventExceptionResolved:
			apply = func(t *floorgate.OrderTimeline) {
				t.ExceptionsOpen = max(t.ExceptionsOpen-1, 0)
				if t.ExceptionsOpen == 0 && t.Short > 0 {
					// Every case settled: the short is no longer at risk.
					t.ShortResolved = ev.Time
				}
			}
		}
	case floorgate.PackRecord:
		order = r.Order
		switch ev.Type {
		case floorgate.EventPackStarted:
			apply = func(t *floorgate.OrderTimeline) {
				if t.PackStarted.IsZero() {
					t.PackStarted = ev.Time
				}
				t.Holder, t.Device = r.Packer, r.Device
			}
		case floorgate.EventPackCompleted:
			apply = func(t *floorgate.OrderTimeline) {
				t.Packed, t.Held, t.Holder, t.Device = r.Packed, r.Held, "", ""
				if t.Packed.IsZero() {
					t.Packed = ev.Time
				}
			}
		case floorgate.EventShipConfirmed:
			apply = func(t *floorgate.OrderTimeline) { t.Shipped, t.Holder, t.Device = ev.Time, "", "" }
		}
	case floorgate.ReleaseRecord:
		order = r.Order
		// The final payment: the parcel's clocks start again.
		apply = func(t *floorgate.OrderTimeline) { t.Held, t.Released = false, r.Released }
	case floorgate.PrintJob:
		order = r.Order
		if ev.Type == floorgate.EventLabelPrinted && r.Kind == "waybill" {
			apply = func(t *floorgate.OrderTimeline) { t.LabelPrinted = ev.Time }
		}
	}
	if apply == nil || order == "" {
		return nil
	}
	t, err := w.timeline(order)
	if err != nil {
		return err
	}
	if t == nil {
		if ev.Type != floorgate.EventTaskReceived {
			return nil // an order the gateway never saw arrive
		}
		t = &floorgate.OrderTimeline{Order: order}
	}
	apply(t)
	if t.Open() {
		setIn(w, w.st.timelines, order, t)
	} else {
		deleteIn(w, w.st.timelines, order)
	}
	return w.put(bucketTimelines, order, t)
}

// timeline is an order's timeline: the open one from memory, else the
// file's, else nil.
func (w *wtx) timeline(order string) (*floorgate.OrderTimeline, error) {
	if t := w.st.timelines[order]; t != nil {
		c := *t
		c.Alerts = maps.Clone(t.Alerts)
		return &c, nil
	}
	raw := w.tx.Bucket(bucketTimelines).Get([]byte(order))
	if raw == nil {
		return nil, nil
	}
	t := new(floorgate.OrderTimeline)
	if err := json.Unmarshal(raw, t); err != nil {
		return nil, fmt.Errorf("timeline %q: %w", order, err)
	}
	return t, nil
}

// SLA lists the open orders at risk of missing a standard, or past it, at
// now: the most urgent first (breached before at risk, then the earliest
// due).
func (db *DB) SLA(now time.Time) []floorgate.SLAStatus {
	db.mu.RLock()
	var out []floorgate.SLAStatus
	for _, t := range db.st.timelines {
		out = append(out, t.SLA(now)...)
	}
	db.mu.RUnlock()
	rank := map[floorgate.SLAState]int{floorgate.SLABreached: 0, floorgate.SLAAtRisk: 1}
	slices.SortFunc(out, func(a, b floorgate.SLAStatus) int {
		if c := cmp.Compare(rank[a.State], rank[b.State]); c != 0 {
			return c
		}
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Order, b.Order); c != 0 {
			return c
		}
		return cmp.Compare(a.Rule, b.Rule)
	})
	return out
}

// Timeline returns an order's timeline, open or closed.
func (db *DB) Timeline(order string) (floorgate.OrderTimeline, bool, error) {
	var t floorgate.OrderTimeline
	found := false
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketTimelines).Get([]byte(order))
		if raw == nil {
			return nil
		}
		found = true
		return json.Unmarshal(raw, &t)
	})
	if err != nil {
		return t, false, fmt.Errorf("timeline %s: %w", order, err)
	}
	return t, found, nil
}

// CheckSLA sends upstream what changed on the SLA board by now: an
// sla.at_risk when an order first comes at risk under a rule, an
// sla.breached when it misses it (once each, in the commit that records
// it on the timeline). It returns how many events it sent.
func (db *DB) CheckSLA(ctx context.Context, now time.Time) (int, error) {
	db.mu.RLock()
	var due []floorgate.SLAStatus
	for _, t := range db.st.timelines {
		for _, s := range t.SLA(now) {
			if t.Alerts[s.Rule] != s.State {
				due = append(due, s)
			}
		}
	}
	db.mu.RUnlock()
	if len(due) == 0 {
		return 0, nil
	}
	slices.SortFunc(due, func(a, b floorgate.SLAStatus) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Order, b.Order); c != 0 {
			return c
		}
		return cmp.Compare(a.Rule, b.Rule)
	})
	sent := 0
	err := db.write(ctx, func(w *wtx) error {
		sent = 0
		for _, s := range due {
			t, err := w.timeline(s.Order)
			if err != nil {
				return err
			}
			if t == nil || !t.Open() || t.Alerts[s.Rule] == s.State || t.Alerts[s.Rule] == floorgate.SLABreached {
				continue // moved on, or already sent
			}
			if t.Alerts == nil {
				t.Alerts = map[floorgate.SLARule]floorgate.SLAState{}
			}
			t.Alerts[s.Rule] = s.State
			typ := floorgate.EventSLAAtRisk
			if s.State == floorgate.SLABreached {
				typ = floorgate.EventSLABreached
			}
			if err := w.emit(floorgate.NewEvent(typ, now, s)); err != nil {
				return err
			}
			setIn(w, w.st.timelines, t.Order, t)
			if err := w.put(bucketTimelines, t.Order, t); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("check sla: %w", err)
	}
	return sent, nil
}

// RunSLA checks the SLA board every period on the store's clock until ctx
// ends or the store closes.
func (db *DB) RunSLA(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := db.CheckSLA(ctx, db.clock.Now()); err != nil && ctx.Err() == nil && !db.isClosed() {
			db.log.Error("sla", "err", err)
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

// Timelines calls fn with the timelines of the orders released in [from,
// to), in order-id order, reading the file in short transactions of a
// thousand (a month of orders is not held in one read).
func (db *DB) Timelines(from, to time.Time, fn func(floorgate.OrderTimeline) error) error {
	var after []byte
	for {
		var batch []floorgate.OrderTimeline
		err := db.bolt.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketTimelines).Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if k != nil && string(k) == string(after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(batch) < 1000; k, v = c.Next() {
				var t floorgate.OrderTimeline
				if err := json.Unmarshal(v, &t); err != nil {
					return fmt.Errorf("timeline %q: %w", k, err)
				}
				after = append(after[:0], k...)
				if !t.Released.Before(from) && t.Released.Before(to) {
					batch = append(batch, t)
				}
			}
			if k == nil {
				after = nil
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("timelines: %w", err)
		}
		for _, t := range batch {
			if err := fn(t); err != nil {
				return err
			}
		}
		if after == nil {
			return nil
		}
	}
}
