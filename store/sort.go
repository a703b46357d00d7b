package store

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
	bolt "go.etcd.io/bbolt"
)

// checkBatch refuses a batch declaration that cannot be sorted: an id in
// use, a wall the site lacks, more orders than the wall has slots.
func (w *wtx) checkBatch(b floorgate.BatchDefinition, tasks []floorgate.Task) error {
	if err := validID("id", b.ID); err != nil {
		return floorgate.FieldErrorf("id", "%s", floorgate.ErrorMessage(err))
	}
	wall := w.st.walls[b.Wall]
	switch {
	case b.Wall == "":
		// The single-item lane: any number of one-unit orders.
	case wall == nil:
		return floorgate.FieldErrorf("wall", "unknown wall %q (send it with master.put)", b.Wall)
	case len(tasks) > len(wall.Slots):
		return floorgate.FieldErrorf("", "%d orders: wall %s has %d slots, one order each", len(tasks), b.Wall, len(wall.Slots))
	}
	if old := w.st.batches[b.ID]; old != nil {
		ids := make([]string, len(tasks))
		for i, t := range tasks {
			ids[i] = t.ID
		}
		if !slices.Equal(old.Orders, ids) || old.Wall != b.Wall {
			return floorgate.FieldErrorf("id", "batch %q exists with other orders or another wall", b.ID)
		}
		return nil // a repeat: its tasks repeat too
	}
	if m, ok := w.st.barcodes[barcodeKey(b.ID)]; ok {
		return floorgate.FieldErrorf("id", "%q is the barcode of a %s: the container's label would name that instead", b.ID, m.Kind)
	}
	if t, err := w.st.task(w.tx, b.ID); err != nil {
		return err
	} else if t != nil {
		return floorgate.FieldErrorf("id", "%q is a task's id: the batch's pick task takes the batch's id", b.ID)
	}
	return nil
}

// addBatch stores the batch of the orders arriving and returns its pick
// task: the orders' lines summed by location and item, picked into the
// batch's container by one picker, as any task is.
func (w *wtx) addBatch(b floorgate.BatchDefinition, orders []*floorgate.Task, now time.Time) (*floorgate.Task, error) {
	if w.st.batches[b.ID] != nil {
		return nil, floorgate.FieldErrorf("id", "batch %q exists: send new orders in a new batch", b.ID)
	}
	pick := &floorgate.Task{ID: b.ID, Order: b.ID, Wave: orders[0].Wave, Status: floorgate.TaskPending, Mode: floorgate.ModeDiscrete,
		Variant: floorgate.VariantNormal, Created: now}
	at := map[[2]string]int{} // location, SKU → line
	for _, o := range orders {
		if o.Wave != pick.Wave {
			return nil, floorgate.FieldErrorf("", "orders %s and %s are in different waves: a batch is picked in one", orders[0].ID, o.ID)
		}
		pick.Priority = max(pick.Priority, o.Priority)
		for _, l := range o.Lines {
			k := [2]string{l.Location, l.SKU}
			i, ok := at[k]
			if !ok {
				at[k] = len(pick.Lines)
				pick.Lines = append(pick.Lines, floorgate.TaskLine{Location: l.Location, SKU: l.SKU, Batch: l.Batch,
					ExpiryFrom: l.ExpiryFrom, Serial: l.Serial, WalkSeq: l.WalkSeq, Status: floorgate.LineOpen})
				i = len(pick.Lines) - 1
			}
			pl := &pick.Lines[i]
			if pl.Batch != l.Batch || pl.ExpiryFrom != l.ExpiryFrom || pl.Serial != l.Serial {
				return nil, floorgate.FieldErrorf("", "order %s's %s at %s asks for another batch, expiry or serial rule than another order's: they cannot be picked as one", o.ID, l.SKU, l.Location)
			}
			pl.Qty += l.Qty
		}
	}
	if err := w.db.checkTaskLines(*pick); err != nil {
		return nil, err
	}
	rec := &floorgate.Batch{ID: b.ID, Wall: b.Wall, Created: now}
	for _, o := range orders {
		rec.Orders = append(rec.Orders, o.ID)
	}
	if err := w.putBatch(rec); err != nil {
		return nil, err
	}
	return pick, nil
}

// putBatch stores a batch and keeps it in memory.
func (w *wtx) putBatch(b *floorgate.Batch) error {
	setIn(w, w.st.batches, b.ID, b)
	return w.put(bucketBatches, b.ID, b)
}

// onSort reports whether a scan by sess, read as m, is for a put wall: the
// device sorts a batch, or scans a batch's container label with nothing
// else in hand.
func onSort(sess floorgate.Session, m floorgate.Match) bool {
	return sess.Sort != nil || (m.Kind == floorgate.MatchBatch && m.Batch.Wall != "" && sess.Task == "" && sess.Cart == nil && sess.Pack == nil)
}

// sortState is what the put wall rules need for sess and m.
func (w *wtx) sortState(sess floorgate.Session, m floorgate.Match) (scan.SortState, error) {
	st := scan.SortState{Policy: w.st.site.Policy, Session: sess}
	id := ""
	switch {
	case sess.Sort != nil:
		id = sess.Sort.Batch
	case m.Kind == floorgate.MatchBatch && m.Batch != nil:
		id = m.Batch.ID
	}
	b := w.st.batches[id]
	if b == nil {
		return st, nil
	}
	st.Batch, st.Wall = b, w.st.walls[b.Wall]
	for _, other := range w.st.batches {
		if other.ID != b.ID && other.Wall == b.Wall {
			for _, slot := range other.SlotOf {
				if st.Held == nil {
					st.Held = map[int]bool{}
				}
				st.Held[slot] = true
			}
		}
	}
	for _, tid := range b.Orders {
		t, err := w.st.task(w.tx, tid)
		if err != nil {
			return st, err
		}
		if t == nil {
			t = &floorgate.Task{ID: tid, Status: floorgate.TaskCancelled} // pruned
		}
		st.Orders = append(st.Orders, t)
	}
	scan.SortOrders(st.Orders)
	return st, nil
}

// sortScan is a scan at a put wall.
func (w *wtx) sortScan(sc floorgate.Scan, sess floorgate.Session, m floorgate.Match, v *floorgate.Verdict) error {
	if m.Kind == floorgate.MatchBatch && m.Batch != nil {
		for d, s := range w.st.sessions {
			if s.Sort != nil && s.Sort.Wall == m.Batch.Wall {
				m.WallBusy = d
				break
			}
		}
	}
	st, err := w.sortState(sess, m)
	if err != nil {
		return err
	}
	res := scan.SortScan(st, sc, m)
	if err := w.applySort(res); err != nil {
		return err
	}
	w.packerBack(&res)
	*v = res.Verdict
	return w.afterStep(v, res.Session, sc.At)
}

// packerBack gives a packer whose batch is sorted their pack station's
// prompt again.
func (w *wtx) packerBack(res *scan.SortResult) {
	if res.Session.Sort == nil && w.db.packer(res.Session) {
		res.Verdict.Prompt = scan.PackPrompt(res.Session, nil)
	}
}

// applySort stores what a put wall step produced.
func (w *wtx) applySort(res scan.SortResult) error {
	if res.BatchChanged && res.Batch != nil {
		if err := w.putBatch(res.Batch); err != nil {
			return err
		}
	}
	return w.applyStep(res.Session, res.Events, res.Changed...)
}

// sortEnd ends sorting when the batch's container is empty.
func (w *wtx) sortEnd(sess floorgate.Session, scanID string, now time.Time, v *floorgate.Verdict) error {
	st, err := w.sortState(sess, floorgate.Match{})
	if err != nil {
		return err
	}
	res := scan.SortEnd(st, scanID, now)
	if err := w.applySort(res); err != nil {
		return err
	}
	w.packerBack(&res)
	*v = res.Verdict
	return w.afterStep(v, res.Session, now)
}

// slotOrder is the order the wall slot with this label holds, "" when the
// label is no slot's or the slot is free.
func (w *wtx) slotOrder(data string) (string, error) {
	m, ok := w.st.barcodes[barcodeKey(data)]
	if !ok || m.Kind != floorgate.MatchSlot {
		return "", nil
	}
	for _, b := range w.st.batches {
		if b.Wall != m.Wall.ID {
			continue
		}
		for tid, s := range b.SlotOf {
			if s != m.Slot {
				continue
			}
			t, err := w.st.task(w.tx, tid)
			if err != nil || t == nil {
				return "", err
			}
			return t.Order, nil
		}
	}
	return "", nil
}

// freeSlot empties the wall slot holding task's order: it was packed.
func (w *wtx) freeSlot(order string) error {
	for _, b := range w.st.batches {
		for tid := range b.SlotOf {
			t, err := w.st.task(w.tx, tid)
			if err != nil {
				return err
			}
			if t != nil && t.Order == order {
				nb := *b
				nb.SlotOf = make(map[string]int, len(b.SlotOf))
				for k, v := range b.SlotOf {
					if k != tid {
						nb.SlotOf[k] = v
					}
				}
				if len(nb.SlotOf) == 0 && !nb.Sorted.IsZero() {
					// Sorted and every slot packed: nothing of the batch
					// is left at the wall, so it is forgotten.
					deleteIn(w, w.st.batches, b.ID)
					return w.tx.Bucket(bucketBatches).Delete([]byte(b.ID))
				}
				return w.putBatch(&nb)
			}
		}
	}
	return nil
}

// WallView is a put wall as its page shows it: each slot with the order it
// holds and how far that order is sorted, the batch being sorted there, and
// the slot the unit in hand goes to.
type WallView struct {
	Wall    string     `json:"wall"`
	Station string     `json:"station,omitempty"`
	Batch   string     `json:"batch,omitempty"`  // the batch being sorted, "" when none
	Sorter  string     `json:"sorter,omitempty"` // who sorts it
	Device  string     `json:"device,omitempty"`
	Next    int        `json:"next_slot,omitempty"` // the slot the scanned unit goes to
	Slots   []WallSlot `json:"slots"`
}

// WallSlot is one slot of a wall.
type WallSlot struct {
	Slot    int    `json:"slot"`
	Barcode string `json:"barcode"`
	Batch   string `json:"batch,omitempty"`
	Task    string `json:"task,omitempty"`
	Order   string `json:"order,omitempty"`
	Sorted  int    `json:"sorted"` // units put into the slot
	Units   int    `json:"units"`  // units the order asks for
	Short   int    `json:"short,omitempty"`
	// Ready: the order is complete (or closed short): pack it.
	Ready bool `json:"ready"`
}

// Wall reports a put wall's slots as they are now.
func (db *DB) Wall(id string) (WallView, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	wl := db.st.walls[id]
	if wl == nil || id == "" {
		return WallView{}, floorgate.Errorf(floorgate.ENOTFOUND, "no put wall %q", id)
	}
	v := WallView{Wall: wl.ID, Station: wl.Station, Slots: make([]WallSlot, len(wl.Slots))}
	for i, code := range wl.Slots {
		v.Slots[i] = WallSlot{Slot: i + 1, Barcode: code}
	}
	for d, s := range db.st.sessions {
		if s.Sort != nil && s.Sort.Wall == id {
			v.Batch, v.Sorter, v.Device = s.Sort.Batch, s.Operator, d
			if s.Sort.Put != nil {
				v.Next = s.Sort.Put.Slot
			}
		}
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, b := range db.st.batches {
			if b.Wall != id {
				continue
			}
			for tid, slot := range b.SlotOf {
				if slot < 1 || slot > len(v.Slots) {
					continue
				}
				t, err := db.st.task(tx, tid)
				if err != nil {
					return err
				}
				if t == nil {
					continue
				}
				ws := &v.Slots[slot-1]
				ws.Batch, ws.Task, ws.Order = b.ID, t.ID, t.Order
				for _, l := range t.Lines {
					ws.Sorted += l.Picked
					ws.Units += l.Qty
					ws.Short += l.Short
				}
				ws.Ready = !t.Open()
			}
		}
		return nil
	})
	if err != nil {
		return v, fmt.Errorf("wall %s: %w", id, err)
	}
	return v, nil
}

// Walls lists the put walls' ids.
func (db *DB) Walls() []floorgate.Wall {
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := make([]floorgate.Wall, 0, len(db.st.walls))
	for _, wl := range db.st.walls {
		out = append(out, *wl)
	}
	slices.SortFunc(out, func(a, b floorgate.Wall) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// packSingle packs the next single-item order that waits for the item
// scanned (the oldest with a shipment, not cancelled) and queues its
// waybill.
func (w *wtx) packSingle(sc floorgate.Scan, sess floorgate.Session, m floorgate.Match, v *floorgate.Verdict) error {
	var next *floorgate.Task
	for _, t := range w.st.open {
		if t.Mode != floorgate.ModeSingle || t.Status != floorgate.TaskPending || t.Lines[0].SKU != m.Item.SKU || w.intercepted(t.Order) {
			continue
		}
		if next != nil && (t.Created.After(next.Created) || (t.Created.Equal(next.Created) && t.ID > next.ID)) {
			continue
		}
		if s, err := w.shipment(t.Order); err != nil {
			return err
		} else if s != nil {
			next = t
		}
	}
	st := scan.PackState{Policy: w.st.site.Policy, Session: sess}
	if next != nil {
		s, err := w.shipment(next.Order)
		if err != nil {
			return err
		}
		st.Shipment = s
	}
	if st.Shipment != nil {
		var err error
		if st.Held, err = w.heldParcel(st.Shipment.Order); err != nil {
			return err
		}
	}
	res := scan.PackSingle(st, sc, m, next)
	if err := w.apply(res); err != nil {
		return err
	}
	if err := w.afterPack(&res, st.Shipment, sess, sc.At); err != nil {
		return err
	}
	*v = res.Verdict
	return w.afterStep(v, res.Session, sc.At)
}

// ModeRules applies a site's rules to the tasks of an arrival (a wave
// declared by def, a batch or none) that name no mode.
type ModeRules floorgate.ModeRules

// apply returns the tasks with the modes the rules give them, and the
// batch they arrive in: a declared wave of one-unit orders becomes a batch
// of the single-item lane. Tasks that name a mode, or arrive in a batch
// the ERP declared, are left as they are.
func (r ModeRules) apply(tasks []floorgate.Task, def *floorgate.WaveDefinition, batch *floorgate.BatchDefinition) ([]floorgate.Task, *floorgate.BatchDefinition) {
	if batch != nil || len(tasks) == 0 {
		return tasks, batch
	}
	single := r.SingleUnitWaves && def != nil
	for _, t := range tasks {
		if t.Mode != "" || len(t.Lines) != 1 || t.Lines[0].Qty != 1 {
			single = false
		}
	}
	if single {
		return tasks, &floorgate.BatchDefinition{ID: def.ID + floorgate.SingleBatchSuffix}
	}
	if r.ClusterUpToUnits <= 0 {
		return tasks, nil
	}
	out := slices.Clone(tasks)
	for i := range out {
		if out[i].Mode != "" {
			continue
		}
		units := 0
		for _, l := range out[i].Lines {
			units += l.Qty
		}
		if units <= r.ClusterUpToUnits {
			out[i].Mode = floorgate.ModeCluster
		}
	}
	return out, nil
}
