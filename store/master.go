package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
)

// Master is a set of master data to add or replace: locations, items with
// their barcodes, and operators (with PINs already hashed).
type Master struct {
	Locations []floorgate.Location `json:"locations,omitempty"`
	Items     []floorgate.Item     `json:"items,omitempty"`
	Operators []floorgate.Operator `json:"operators,omitempty"`
}

// PutMaster validates the whole set against itself and what is stored, and
// applies all of it or none of it.
func (db *DB) PutMaster(ctx context.Context, m Master) error {
	err := db.write(ctx, func(w *wtx) error {
		if err := w.checkMaster(m); err != nil {
			return err
		}
		for i := range m.Locations {
			l := &m.Locations[i]
			if old := w.st.locations[l.Code]; old != nil && old.Barcode != l.Barcode {
				deleteIn(w, w.st.barcodes, old.Barcode)
			}
			setIn(w, w.st.locations, l.Code, l)
			setIn(w, w.st.barcodes, l.Barcode, floorgate.Match{Kind: floorgate.MatchLocation, Location: l})
			if err := w.put(bucketLocations, l.Code, l); err != nil {
				return err
			}
		}
		for i := range m.Items {
			it := &m.Items[i]
			if old := w.st.items[it.SKU]; old != nil {
				for _, b := range old.Barcodes {
					deleteIn(w, w.st.barcodes, b)
				}
			}
			setIn(w, w.st.items, it.SKU, it)
			for _, b := range it.Barcodes {
				setIn(w, w.st.barcodes, b, floorgate.Match{Kind: floorgate.MatchItem, Item: it})
			}
			if err := w.put(bucketItems, it.SKU, it); err != nil {
				return err
			}
		}
		for i := range m.Operators {
			o := &m.Operators[i]
			if old := w.st.operators[o.ID]; old != nil {
				deleteIn(w, w.st.badges, old.Badge)
			}
			setIn(w, w.st.operators, o.ID, o)
			setIn(w, w.st.badges, o.Badge, o.ID)
			if err := w.put(bucketOperators, o.ID, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put master data: %w", err)
	}
	return nil
}

// checkMaster refuses the set if any record is incomplete or a barcode
// would mean two things.
func (w *wtx) checkMaster(m Master) error {
	owner := map[string]string{} // barcode → who claims it in this set
	claim := func(code, who string) error {
		if code == "" {
			return floorgate.Errorf(floorgate.EINVALID, "%s: barcode is empty", who)
		}
		if prev, dup := owner[code]; dup {
			return floorgate.Errorf(floorgate.EINVALID, "%s: barcode %q is also %s", who, code, prev)
		}
		owner[code] = who
		return nil
	}
	for i, l := range m.Locations {
		who := fmt.Sprintf("locations[%d] (%s)", i, l.Code)
		if err := validID(fmt.Sprintf("locations[%d].code", i), l.Code); err != nil {
			return err
		}
		if l.LabelXMM < 0 || l.LabelXMM > 2 {
			return floorgate.Errorf(floorgate.EINVALID, "%s: label_x_mm %v is not between 0 and 2", who, l.LabelXMM)
		}
		if err := claim(l.Barcode, who); err != nil {
			return err
		}
	}
	for i, it := range m.Items {
		who := fmt.Sprintf("items[%d] (%s)", i, it.SKU)
		if err := validID(fmt.Sprintf("items[%d].sku", i), it.SKU); err != nil {
			return err
		}
		if it.Name == "" {
			return floorgate.Errorf(floorgate.EINVALID, "%s: name is missing", who)
		}
		if len(it.Barcodes) == 0 {
			return floorgate.Errorf(floorgate.EINVALID, "%s: barcodes: an item needs at least one", who)
		}
		for _, b := range it.Barcodes {
			if err := claim(b, who); err != nil {
				return err
			}
		}
	}
	// A barcode kept by stored master data that this set does not replace
	// must not be claimed by something else.
	replacedLocations := make(map[string]bool, len(m.Locations))
	for _, l := range m.Locations {
		replacedLocations[l.Code] = true
	}
	replacedItems := make(map[string]bool, len(m.Items))
	for _, it := range m.Items {
		replacedItems[it.SKU] = true
	}
	for code, who := range owner {
		existing, ok := w.st.barcodes[code]
		if !ok {
			continue
		}
		switch existing.Kind {
		case floorgate.MatchLocation:
			if !replacedLocations[existing.Location.Code] {
				return floorgate.Errorf(floorgate.EINVALID, "%s: barcode %q already belongs to location %s", who, code, existing.Location.Code)
			}
		case floorgate.MatchItem:
			if !replacedItems[existing.Item.SKU] {
				return floorgate.Errorf(floorgate.EINVALID, "%s: barcode %q already belongs to item %s", who, code, existing.Item.SKU)
			}
		}
	}
	badges := map[string]bool{}
	for i, o := range m.Operators {
		who := fmt.Sprintf("operators[%d] (%s)", i, o.ID)
		if err := validID(fmt.Sprintf("operators[%d].id", i), o.ID); err != nil {
			return err
		}
		if o.Badge == "" || badges[o.Badge] {
			return floorgate.Errorf(floorgate.EINVALID, "%s: badge is empty or used twice", who)
		}
		badges[o.Badge] = true
		if id, ok := w.st.badges[o.Badge]; ok && id != o.ID {
			return floorgate.Errorf(floorgate.EINVALID, "%s: badge %q already belongs to operator %s", who, o.Badge, id)
		}
		if !floorgate.ValidPINHash(o.PINHash) {
			return floorgate.Errorf(floorgate.EINVALID, "%s: pin_hash is not a PIN hash", who)
		}
		switch o.Role {
		case floorgate.RolePicker, floorgate.RolePacker, floorgate.RoleSupervisor, floorgate.RoleAdmin:
		default:
			return floorgate.Errorf(floorgate.EINVALID, "%s: role %q is not one of picker, packer, supervisor, admin", who, o.Role)
		}
	}
	return nil
}

// ImportTasks validates every task and stores them all, or none. A task
// whose id is already stored with the same content is skipped (an import
// may be repeated); with different content it is refused. Pickers waiting
// for work are given the new tasks at once.
func (db *DB) ImportTasks(ctx context.Context, tasks []floorgate.Task) (added int, err error) {
	err = db.write(ctx, func(w *wtx) error {
		added = 0
		now := db.clock.Now()
		seen := map[string]bool{}
		var fresh []*floorgate.Task
		for i := range tasks {
			t := tasks[i]
			who := fmt.Sprintf("tasks[%d] (id %q)", i, t.ID)
			if err := t.Validate(); err != nil {
				return floorgate.Errorf(floorgate.EINVALID, "%s: %v", who, err)
			}
			if seen[t.ID] {
				return floorgate.Errorf(floorgate.EINVALID, "%s: id appears twice in this import", who)
			}
			seen[t.ID] = true
			for j, l := range t.Lines {
				if w.st.locations[l.Location] == nil {
					return floorgate.Errorf(floorgate.EINVALID, "%s: lines[%d].location: unknown location %q", who, j, l.Location)
				}
				if w.st.items[l.SKU] == nil {
					return floorgate.Errorf(floorgate.EINVALID, "%s: lines[%d].sku: unknown SKU %q", who, j, l.SKU)
				}
			}
			old, err := w.st.task(w.tx, t.ID)
			if err != nil {
				return err
			}
			if old != nil {
				if !sameTask(*old, t) {
					return floorgate.Errorf(floorgate.ECONFLICT, "%s: a different task with this id exists (status %s)", who, old.Status)
				}
				continue
			}
			t.Status = floorgate.TaskPending
			t.Operator, t.Device, t.Cancel = "", "", ""
			if t.Variant == "" {
				t.Variant = floorgate.VariantNormal
			}
			if t.Created.IsZero() {
				t.Created = now
			}
			t.Lines = slices.Clone(t.Lines)
			for j := range t.Lines {
				t.Lines[j].Status = floorgate.LineOpen
			}
			fresh = append(fresh, &t)
		}
		for _, t := range fresh {
			if err := w.putTask(t); err != nil {
				return err
			}
			if err := w.emit(floorgate.NewEvent(floorgate.EventTaskReceived, now, floorgate.TaskRecord{
				Task: t.ID, Order: t.Order, Wave: t.Wave, Lines: len(t.Lines)})); err != nil {
				return err
			}
		}
		added = len(fresh)
		return w.assignIdle(now)
	})
	if err != nil {
		return 0, fmt.Errorf("import tasks: %w", err)
	}
	return added, nil
}

// sameTask reports whether an incoming task repeats a stored one.
func sameTask(old, in floorgate.Task) bool {
	if old.Order != in.Order || old.Wave != in.Wave || old.Priority != in.Priority || len(old.Lines) != len(in.Lines) {
		return false
	}
	for i, l := range in.Lines {
		o := old.Lines[i]
		if o.Location != l.Location || o.SKU != l.SKU || o.Qty != l.Qty || o.KeyedQty != l.KeyedQty {
			return false
		}
	}
	return true
}

// assignIdle gives waiting tasks to logged-in pickers who have none and
// tells their devices.
func (w *wtx) assignIdle(now time.Time) error {
	devices := make([]string, 0)
	for d, s := range w.st.sessions {
		if s.Operator != "" && s.Task == "" {
			devices = append(devices, d)
		}
	}
	slices.Sort(devices)
	for _, d := range devices {
		res, assigned, err := w.assignIfIdle(w.st.sessions[d], now)
		if err != nil {
			return err
		}
		if !assigned {
			break
		}
		p := res.Verdict.Prompt
		w.db.fillPrompt(&p)
		w.notify(floorgate.Notice{Device: d, Kind: floorgate.NoticeTaskAssigned, Task: res.Session.Task,
			Verdict: floorgate.NewVerdict("", floorgate.CodeLocationOK, p)})
	}
	return nil
}

// CancelTask intercepts a task: picking stops at once. A picker on it gets
// told now and every further scan of theirs is refused as cancelled until
// they move on.
func (db *DB) CancelTask(ctx context.Context, id, reason string) error {
	err := db.write(ctx, func(w *wtx) error {
		t, err := w.st.task(w.tx, id)
		if err != nil {
			return err
		}
		switch {
		case t == nil:
			return floorgate.Errorf(floorgate.ENOTFOUND, "task %q does not exist", id)
		case t.Status == floorgate.TaskCancelled:
			return nil
		case t.Status == floorgate.TaskDone:
			return floorgate.Errorf(floorgate.ECONFLICT, "task %q is already picked; intercept it at packing", id)
		}
		now := db.clock.Now()
		ct, evs := scan.Cancel(t, reason, now)
		if err := w.putTask(&ct); err != nil {
			return err
		}
		if err := w.emit(evs...); err != nil {
			return err
		}
		if t.Device != "" {
			if sess, ok := w.st.sessions[t.Device]; ok && sess.Task == id {
				w.notify(floorgate.Notice{Device: t.Device, Kind: floorgate.NoticeTaskCancelled, Task: id,
					Verdict: floorgate.NewVerdict("", floorgate.CodeTaskCancelled, scan.PromptFor(sess, &ct))})
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cancel task %s: %w", id, err)
	}
	return nil
}
