package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
	bolt "go.etcd.io/bbolt"
)

// PrintJob is a label waiting to be printed, or printed. Its id is
// idempotent: the same request twice is one job.
type PrintJob struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"` // waybill, …
	Order    string    `json:"order,omitempty"`
	Station  string    `json:"station,omitempty"` // the pack station (device) it is for
	Template string    `json:"template"`
	Status   string    `json:"status"` // queued, printed, failed, cancelled
	Created  time.Time `json:"created"`
}

// intercepted reports whether an order was cancelled on the floor.
func (w *wtx) intercepted(order string) bool {
	return w.tx.Bucket(bucketIntercepts).Get([]byte(order)) != nil
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
	st := scan.PackState{Session: sess}
	var m floorgate.Match
	order := sc.Data
	if sess.Pack != nil {
		order = sess.Pack.Order
		m = w.st.match(sc.AIM, sc.Data)
	}
	s, err := w.shipment(order)
	if err != nil {
		return err
	}
	if s != nil {
		st.Shipment, st.Cancelled = s, w.intercepted(order)
		if sess.Pack == nil {
			m = floorgate.Match{Kind: floorgate.MatchOrder, Shipment: s}
		}
	}
	res := scan.Pack(st, sc, m)
	if err := w.apply(res); err != nil {
		return err
	}
	if res.Verdict.Code == floorgate.CodePackDone {
		if err := w.queueJob(PrintJob{ID: "waybill:" + s.Order, Kind: "waybill", Order: s.Order,
			Station: sess.Device, Template: "100x180", Status: "queued", Created: sc.At}); err != nil {
			return err
		}
	}
	*v = res.Verdict
	return w.afterStep(v, res.Session, sc.At)
}

// queueJob adds a print job unless one with its id exists: asking twice
// prints once.
func (w *wtx) queueJob(j PrintJob) error {
	b := w.tx.Bucket(bucketPrintJobs)
	if b.Get([]byte(j.ID)) != nil {
		return nil
	}
	return w.put(bucketPrintJobs, j.ID, j)
}

// PrintJobs lists the print queue.
func (db *DB) PrintJobs() ([]PrintJob, error) {
	var out []PrintJob
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPrintJobs).ForEach(func(_, v []byte) error {
			var j PrintJob
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
