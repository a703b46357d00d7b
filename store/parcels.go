package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// heldParcel loads an order's held presale parcel (or its release sent
// before it was packed), or nil.
func (w *wtx) heldParcel(order string) (*floorgate.HeldParcel, error) {
	raw := w.tx.Bucket(bucketParcels).Get([]byte(order))
	if raw == nil {
		return nil, nil
	}
	p := new(floorgate.HeldParcel)
	if err := json.Unmarshal(raw, p); err != nil {
		return nil, fmt.Errorf("held parcel %q: %w", order, err)
	}
	return p, nil
}

// holdParcel keeps a presale parcel packed at station, with no waybill,
// until its order is released.
func (w *wtx) holdParcel(rec floorgate.PackRecord, station string) error {
	p := floorgate.HeldParcel{Order: rec.Order, Station: station, Packer: rec.Packer, Device: rec.Device,
		Started: rec.Started, Packed: rec.Packed, Units: rec.Units, Extras: rec.Extras}
	setIn(w, w.st.shelf, p.Order, &p)
	return w.put(bucketParcels, p.Order, p)
}

// releaseOrders releases presale orders (the final payment came): a parcel
// packed and held gets its waybill queued at the station it was packed at
// (order.released); an order not packed yet is marked, so that it is not
// held when it is. Releasing again changes nothing. Every order must have a
// presale shipment; one that does not refuses the command whole.
func (w *wtx) releaseOrders(orders []string) (map[string]int, error) {
	now := w.db.clock.Now()
	summary := map[string]int{"released": 0, "printing": 0}
	for i, o := range orders {
		s, err := w.shipment(o)
		if err != nil {
			return nil, err
		}
		switch {
		case s == nil:
			return nil, floorgate.FieldErrorf(fmt.Sprintf("orders[%d]", i), "%q has no shipment (send shipment.put first)", o)
		case s.Variant != floorgate.VariantPreSale:
			return nil, floorgate.FieldErrorf(fmt.Sprintf("orders[%d]", i), "%q is not a presale order (its shipment's variant is %q)", o, string(s.Variant))
		case w.intercepted(o):
			return nil, floorgate.FieldErrorf(fmt.Sprintf("orders[%d]", i), "%q was cancelled: its parcel must not ship", o)
		}
	}
	for _, o := range orders {
		p, err := w.heldParcel(o)
		if err != nil {
			return nil, err
		}
		if p != nil && (!p.Released.IsZero() || !p.Shipped.IsZero()) {
			continue // released before, or shipped
		}
		if p == nil {
			// Paid before it was packed: it will not be held.
			if err := w.put(bucketParcels, o, floorgate.HeldParcel{Order: o, Released: now}); err != nil {
				return nil, err
			}
			summary["released"]++
			continue
		}
		p.Released = now
		setIn(w, w.st.shelf, o, p)
		if err := w.put(bucketParcels, o, *p); err != nil {
			return nil, err
		}
		job := "waybill:" + o
		if err := w.queueWaybillAt(o, p.Station, p.Packer, now); err != nil {
			return nil, err
		}
		if err := w.emit(floorgate.NewEvent(floorgate.EventOrderReleased, now,
			floorgate.ReleaseRecord{Order: o, Station: p.Station, Job: job, Released: now})); err != nil {
			return nil, err
		}
		summary["released"]++
		summary["printing"]++
	}
	return summary, nil
}

// shipParcel marks an order's held (or released before packing) parcel
// shipped: it leaves the shelf, a late release changes nothing, and
// retention forgets it.
func (w *wtx) shipParcel(order string) error {
	p, err := w.heldParcel(order)
	if err != nil || p == nil {
		return err
	}
	p.Shipped = w.db.clock.Now()
	deleteIn(w, w.st.shelf, order)
	return w.put(bucketParcels, order, *p)
}

// HeldParcels lists the presale parcels packed and held or released and
// not shipped, oldest first: the status page's presale shelf. It is read
// from memory (the status is read several times a second); whether each
// one's order was cancelled is read from the file.
func (db *DB) HeldParcels() ([]floorgate.HeldParcel, error) {
	db.mu.RLock()
	out := make([]floorgate.HeldParcel, 0, len(db.st.shelf))
	for _, p := range db.st.shelf {
		out = append(out, *p)
	}
	db.mu.RUnlock()
	if len(out) > 0 {
		err := db.bolt.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketIntercepts)
			for i := range out {
				out[i].Cancelled = b.Get([]byte(out[i].Order)) != nil
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("held parcels: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b floorgate.HeldParcel) int {
		if c := a.Packed.Compare(b.Packed); c != 0 {
			return c
		}
		return strings.Compare(a.Order, b.Order)
	})
	return out, nil
}
