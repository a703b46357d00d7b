package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
	bolt "go.etcd.io/bbolt"
)

// UpdatePrintJob changes a job through fn and records its end upstream:
// label.printed, or label.failed (a label not printed is an exception).
func (db *DB) UpdatePrintJob(ctx context.Context, id string, fn func(*floorgate.PrintJob) error) (floorgate.PrintJob, error) {
	var out floorgate.PrintJob
	err := db.write(ctx, func(w *wtx) error {
		raw := w.tx.Bucket(bucketPrintJobs).Get([]byte(id))
		if raw == nil {
			return floorgate.Errorf(floorgate.ENOTFOUND, "no print job %q", id)
		}
		var j floorgate.PrintJob
		if err := json.Unmarshal(raw, &j); err != nil {
			return err
		}
		before := j.Status
		if err := fn(&j); err != nil {
			return err
		}
		j.Updated = w.db.clock.Now()
		if err := w.put(bucketPrintJobs, j.ID, j); err != nil {
			return err
		}
		out = j
		if j.Status == before {
			return nil
		}
		switch j.Status {
		case floorgate.JobPrinted:
			return w.emit(floorgate.NewEvent(floorgate.EventLabelPrinted, j.Updated, j))
		case floorgate.JobFailed:
			return w.emit(floorgate.NewEvent(floorgate.EventLabelFailed, j.Updated, j))
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("print job %s: %w", id, err)
	}
	return out, nil
}

// Reprint queues a job again as an explicit, audited action: a new job
// naming the original, the operator and the reason. It is never silent.
func (db *DB) Reprint(ctx context.Context, id, operator, reason string) (floorgate.PrintJob, error) {
	if reason == "" || operator == "" {
		return floorgate.PrintJob{}, floorgate.Errorf(floorgate.EINVALID, "a reprint needs the operator and a reason")
	}
	var out floorgate.PrintJob
	err := db.write(ctx, func(w *wtx) error {
		b := w.tx.Bucket(bucketPrintJobs)
		raw := b.Get([]byte(id))
		if raw == nil {
			return floorgate.Errorf(floorgate.ENOTFOUND, "no print job %q", id)
		}
		var j floorgate.PrintJob
		if err := json.Unmarshal(raw, &j); err != nil {
			return err
		}
		n := 2
		for b.Get([]byte(fmt.Sprintf("%s#%d", id, n))) != nil {
			n++
		}
		now := w.db.clock.Now()
		w.queued = true
		out = floorgate.PrintJob{ID: fmt.Sprintf("%s#%d", id, n), Kind: j.Kind, Order: j.Order, Station: j.Station, Template: j.Template,
			Status: floorgate.JobQueued, Created: now, ReprintOf: id, Operator: operator, ReprintReason: reason, Packer: j.Packer}
		if err := w.put(bucketPrintJobs, out.ID, out); err != nil {
			return err
		}
		return w.emit(floorgate.NewEvent(floorgate.EventLabelReprinted, now, out))
	})
	if err != nil {
		return out, fmt.Errorf("reprint %s: %w", id, err)
	}
	return out, nil
}

// intercepted reports whether an order was cancelled on the floor.
func (w *wtx) intercepted(order string) bool {
	return w.tx.Bucket(bucketIntercepts).Get([]byte(order)) != nil
}

// packPrompt is a packer's prompt, with the open parcel's gifts, fragile
// packing material and instructions.
func packPrompt(tx *bolt.Tx, sess floorgate.Session) (floorgate.Prompt, error) {
	if sess.Pack == nil {
		return scan.PackPrompt(sess, nil), nil
	}
	s, err := (&wtx{tx: tx}).shipment(sess.Pack.Order)
	if err != nil {
		return floorgate.Prompt{}, err
	}
	return scan.PackPrompt(sess, s), nil
}

// shipment loads an order's shipment, or nil.
func (w *wtx) shipment(order string) (*floorgate.Shipment, error) {
	raw := w.tx.Bucket(bucketShipments).Get([]byte(order))
	if raw == nil {
		return nil, nil
	}
	s := new(floorgate.Shipment)
	if err := json.Unmarshal(raw, s); err != nil {
		return nil, fmt.Errorf("shipment %q: %w", order, err)
	}
	return s, nil
}

// packScan is a scan at the pack station: the pack rules, then the
// waybill job queued in the same commit as the parcel's completion.
func (w *wtx) packScan(sc floorgate.Scan, sess floorgate.Session, v *floorgate.Verdict) error {
	st := scan.PackState{Policy: w.st.site.Policy, Session: sess}
	var m floorgate.Match
	order := sc.Data
	if o := w.st.toteOrder(sc.Data); o != "" && sess.Pack == nil {
		order = o // a cart's tote opens the order it holds
	}
	if sess.Pack == nil {
		o, err := w.slotOrder(sc.Data)
		if err != nil {
			return err
		}
		if o != "" {
			order = o // so does a put wall's slot
		}
	}
	if sess.Pack != nil {
		order = sess.Pack.Order
		m = w.st.match(sc.AIM, sc.Data)
	}
	if sess.Pack == nil && order == sc.Data {
		if m := w.st.match(sc.AIM, sc.Data); m.Kind == floorgate.MatchItem {
			// An item with no parcel open: the single-item lane.
			return w.packSingle(sc, sess, m, v)
		}
	}
	s, err := w.shipment(order)
	if err != nil {
		return err
	}
	if s != nil {
		st.Shipment, st.Cancelled = s, w.intercepted(order)
		if sess.Pack == nil {
			m = floorgate.Match{Kind: floorgate.MatchOrder, Shipment: s}
			st.ExceptionOpen = w.st.openCaseFor(order)
		}
		if st.Held, err = w.heldParcel(s.Order); err != nil {
			return err
		}
	}
	res := scan.Pack(st, sc, m)
	if err := w.apply(res); err != nil {
		return err
	}
	if err := w.afterPack(&res, s, sess, sc.At); err != nil {
		return err
	}
	*v = res.Verdict
	return w.afterStep(v, res.Session, sc.At)
}

// afterPack does what a pack verdict asks of the store: a parcel packed
// frees its tote or slot and queues its waybill (answered no_printer when
// no printer serves the station) or, presale, is held; a parcel shipped is
// no longer held.
func (w *wtx) afterPack(res *scan.Result, s *floorgate.Shipment, sess floorgate.Session, at time.Time) error {
	var done *floorgate.PackRecord
	for _, e := range res.Events {
		if r, ok := e.Value().(floorgate.PackRecord); ok && e.Type == floorgate.EventPackCompleted {
			done = &r
		}
	}
	switch {
	case res.Verdict.Code == floorgate.CodeShipped:
		return w.shipParcel(s.Order)
	case done == nil:
		return nil
	}
	// The tote it came in is empty now, free for the next cart; so is its
	// put wall slot.
	if err := w.freeOrderTote(s.Order); err != nil {
		return err
	}
	if err := w.freeSlot(s.Order); err != nil {
		return err
	}
	station := w.packStation(sess.Device)
	if len(s.Instructions)+len(s.Extras) > 0 {
		// Its instructions and extras go into the parcel on paper.
		if err := w.queueJob(floorgate.PrintJob{ID: "packing:" + s.Order, Kind: "packing_list", Order: s.Order, Packer: sess.Operator,
			Station: station, Template: "packing-list", Status: floorgate.JobQueued, Created: at}); err != nil {
			return err
		}
	}
	if done.Held {
		return w.holdParcel(*done, station)
	}
	if err := w.queueWaybill(s.Order, sess, at); err != nil {
		return err
	}
	if f := w.db.opts.PrinterServes; f != nil && !f(station) {
		res.Verdict = floorgate.NewVerdict(res.Verdict.ScanID, floorgate.CodeNoPrinter, res.Verdict.Prompt)
	}
	return nil
}

// queueWaybill queues the waybill of order at the packer's station.
func (w *wtx) queueWaybill(order string, sess floorgate.Session, at time.Time) error {
	return w.queueWaybillAt(order, w.packStation(sess.Device), sess.Operator, at)
}

// queueWaybillAt queues the waybill of order at station, with the
// template the site chooses there (Options.Waybills; the print worker
// chooses when there is none).
func (w *wtx) queueWaybillAt(order, station, packer string, at time.Time) error {
	tmpl := ""
	if wb := w.db.opts.Waybills; wb != nil {
		s, err := w.shipment(order)
		if err != nil {
			return err
		}
		if s != nil {
			tmpl = wb.Template(station, *s)
		}
	}
	return w.queueJob(floorgate.PrintJob{ID: "waybill:" + order, Kind: "waybill", Order: order, Packer: packer,
		Station: station, Template: tmpl, Status: floorgate.JobQueued, Created: at})
}

// queueJob adds a print job unless one with its id exists: asking twice
// prints once.
func (w *wtx) queueJob(j floorgate.PrintJob) error {
	b := w.tx.Bucket(bucketPrintJobs)
	if b.Get([]byte(j.ID)) != nil {
		return nil
	}
	w.queued = true
	return w.put(bucketPrintJobs, j.ID, j)
}

// PrintJobs lists the print queue.
func (db *DB) PrintJobs() ([]floorgate.PrintJob, error) {
	var out []floorgate.PrintJob
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPrintJobs).ForEach(func(_, v []byte) error {
			var j floorgate.PrintJob
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			out = append(out, j)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("print jobs: %w", err)
	}
	return out, nil
}

// PrintWake is signalled when print jobs were queued.
func (db *DB) PrintWake() <-chan struct{} { return db.printWake }

// QueuePrintJob queues a job unless one with its id exists.
func (db *DB) QueuePrintJob(ctx context.Context, j floorgate.PrintJob) error {
	if j.ID == "" || j.Status == "" {
		return floorgate.Errorf(floorgate.EINVALID, "a print job needs an id and a status")
	}
	if err := db.write(ctx, func(w *wtx) error { return w.queueJob(j) }); err != nil {
		return fmt.Errorf("queue print job %s: %w", j.ID, err)
	}
	return nil
}

// cancelJobs cancels the order's print jobs that have not printed.
func (w *wtx) cancelJobs(order, reason string) error {
	b := w.tx.Bucket(bucketPrintJobs)
	var cancel []floorgate.PrintJob
	if err := b.ForEach(func(_, v []byte) error {
		var j floorgate.PrintJob
		if err := json.Unmarshal(v, &j); err != nil {
			return err
		}
		if j.Order == order && j.Open() {
			cancel = append(cancel, j)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("cancel print jobs: %w", err)
	}
	for _, j := range cancel {
		j.Status, j.Reason, j.Updated = floorgate.JobCancelled, reason, w.db.clock.Now()
		if err := w.put(bucketPrintJobs, j.ID, j); err != nil {
			return err
		}
	}
	return nil
}
