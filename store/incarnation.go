package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// Incarnations.
//
// Event ids are "<incarnation>-<seq>". A restore puts the journal back to
// the backup's last seq, so the events that follow take numbers the undone
// events had; were the prefix the same, their ids would be ones the ERP has
// already seen, and it would drop them as duplicates. So every restore
// begins a new incarnation (a new random prefix), written into the copy
// before it is renamed into place, together with the incarnation's first
// event, gateway.restored, which tells the ERP where the new incarnation
// begins and what it replaced. seq carries on from the backup's: the
// journal stays one numbered log, and within an incarnation seq is
// gap-free.
//
// A database created anew (a new disk for an existing gateway id, say)
// begins an incarnation of its own at seq 1.
//
// Databases written before incarnations have none stored: their database
// id, the prefix of every id they gave, is their first incarnation, so old
// ids stay what they were and no migration is needed.

// keyIncarnation holds the current incarnation in meta, as JSON.
var keyIncarnation = []byte("incarnation")

// storedIncarnation reads meta's incarnation; ok is false when the
// database has none stored.
func storedIncarnation(meta *bolt.Bucket) (inc floorgate.Incarnation, ok bool, err error) {
	raw := meta.Get(keyIncarnation)
	if raw == nil {
		return inc, false, nil
	}
	if err := json.Unmarshal(raw, &inc); err != nil || inc.ID == "" {
		return inc, false, fmt.Errorf("stored incarnation %q: %w", raw, cmpErr(err, errors.New("no id")))
	}
	return inc, true, nil
}

// loadIncarnation returns the database's current incarnation, storing the
// first one (the database id, at seq 1) when it has none. Callers hold a
// writable transaction and have set the database id.
func loadIncarnation(meta *bolt.Bucket, dbID string) (floorgate.Incarnation, error) {
	inc, ok, err := storedIncarnation(meta)
	if err != nil || ok {
		return inc, err
	}
	inc = floorgate.Incarnation{ID: dbID, FirstSeq: 1}
	raw, _ := json.Marshal(inc)
	if err := meta.Put(keyIncarnation, raw); err != nil {
		return inc, fmt.Errorf("store incarnation: %w", err)
	}
	return inc, nil
}

// newIncarnation begins a new incarnation in the database file at path, a
// verified copy of a backup that no gateway has open, restored at now: it
// stores the incarnation and journals its first event, gateway.restored,
// at the seq after the backup's last, in one transaction. It returns the
// new incarnation.
func newIncarnation(path string, now time.Time) (floorgate.Incarnation, error) {
	var inc floorgate.Incarnation
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: probeTimeout})
	if err != nil {
		return inc, fmt.Errorf("new incarnation: %w", err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		meta, journal := tx.Bucket(bucketMeta), tx.Bucket(bucketJournal)
		if meta == nil || journal == nil {
			return errors.New("not a floorgate database")
		}
		prev, ok, err := storedIncarnation(meta)
		if err != nil {
			return err
		}
		if !ok {
			prev.ID = string(meta.Get(keyDBID))
		}
		var site floorgate.Site
		if err := json.Unmarshal(meta.Get(keySite), &site); err != nil || prev.ID == "" {
			return fmt.Errorf("not a floorgate database: no site or database id: %w", cmpErr(err, errors.New("no id")))
		}
		var last uint64
		if k, _ := journal.Cursor().Last(); k != nil {
			last = seqOf(k)
		}
		inc = floorgate.Incarnation{ID: randomHex(8), FirstSeq: last + 1, RestoredFrom: prev.ID, RestoredSeq: last, RestoredAt: now.UTC()}
		raw, _ := json.Marshal(inc)
		if err := meta.Put(keyIncarnation, raw); err != nil {
			return err
		}
		// The envelope as the store writes it (envelope needs only the
		// quoted site and gateway).
		enc := &DB{}
		enc.siteJSON, _ = json.Marshal(site.ID)
		enc.gatewayJSON, _ = json.Marshal(site.Gateway)
		ev := floorgate.NewEvent(floorgate.EventGatewayRestored, inc.RestoredAt, inc)
		ev.Seq, ev.ID, ev.Incarnation = inc.FirstSeq, eventID(inc.ID, inc.FirstSeq), inc.ID
		return appendOnly(tx, bucketJournal).Put(u64(ev.Seq), enc.envelope(ev))
	})
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return inc, fmt.Errorf("new incarnation: %w", err)
	}
	return inc, nil
}

// eventID is the id of the event seq of incarnation inc.
func eventID(inc string, seq uint64) string {
	return inc + "-" + strconv.FormatUint(seq, 10)
}

// Incarnation is the database's current incarnation.
func (db *DB) Incarnation() floorgate.Incarnation { return db.inc }

// ReadIncarnation reads the current incarnation of the database file at
// path, which no gateway may be using (ErrInUse), without writing to it.
// A file written before incarnations reports its database id as the
// incarnation.
func ReadIncarnation(path string) (floorgate.Incarnation, error) {
	bdb, err := openReadOnly(path)
	if err != nil {
		return floorgate.Incarnation{}, fmt.Errorf("read incarnation %s: %w", path, err)
	}
	defer bdb.Close()
	var inc floorgate.Incarnation
	err = bdb.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return errors.New("not a floorgate database: no meta bucket")
		}
		var ok bool
		var err error
		if inc, ok, err = storedIncarnation(meta); err != nil || ok {
			return err
		}
		inc = floorgate.Incarnation{ID: string(meta.Get(keyDBID)), FirstSeq: 1}
		return nil
	})
	if err != nil {
		return inc, fmt.Errorf("read incarnation %s: %w", path, err)
	}
	return inc, nil
}
