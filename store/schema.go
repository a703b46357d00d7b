package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// Bucket names. Keys are strings unless noted.
var (
	bucketMeta      = []byte("meta")      // schema version, database id, site
	bucketLocations = []byte("locations") // code → Location
	bucketItems     = []byte("items")     // sku → Item
	bucketOperators = []byte("operators") // id → Operator
	bucketDevices   = []byte("devices")   // id → Device
	bucketTasks     = []byte("tasks")     // id → Task
	bucketSessions  = []byte("sessions")  // device id → Session
	bucketScans     = []byte("scans")     // device id, 0, scan id → stored verdict
	bucketJournal   = []byte("journal")   // seq (8 bytes, big-endian) → Event
	bucketOutbox    = []byte("outbox")    // seq → empty: events not yet acknowledged upstream
	// progress holds each task line's progress apart from the task, so a
	// scan rewrites a few bytes, not the whole task: task id, 0, line
	// (2 bytes) → picked (4), status (1), closed at (8, Unix ns).
	bucketProgress = []byte("progress")
)

var (
	keySchema = []byte("schema")
	keyDBID   = []byte("db_id")
	keySite   = []byte("site")
)

// migrations bring a database from version i to i+1. They only ever get
// appended: a released migration is never edited.
var migrations = []func(tx *bolt.Tx) error{
	// 0 → 1: the initial layout.
	func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketLocations, bucketItems, bucketOperators,
			bucketDevices, bucketTasks, bucketSessions, bucketScans, bucketJournal, bucketOutbox} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	// 1 → 2: line progress kept apart from tasks.
	func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketProgress); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketProgress, err)
		}
		return nil
	},
}

// SchemaVersion is the layout version this build writes.
var SchemaVersion = uint64(len(migrations))

// migrate runs the migrations a database lacks, each in the one transaction
// given, so a failed upgrade leaves the file as it was.
func migrate(tx *bolt.Tx) (from uint64, err error) {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if v := meta.Get(keySchema); v != nil {
		if len(v) != 8 {
			return 0, fmt.Errorf("migrate: schema version is %d bytes, want 8", len(v))
		}
		from = binary.BigEndian.Uint64(v)
	}
	if from > SchemaVersion {
		return from, fmt.Errorf("migrate: database schema %d is newer than this floorgate's %d", from, SchemaVersion)
	}
	for v := from; v < SchemaVersion; v++ {
		if err := migrations[v](tx); err != nil {
			return from, fmt.Errorf("migrate %d→%d: %w", v, v+1, err)
		}
	}
	if err := tx.Bucket(bucketMeta).Put(keySchema, u64(SchemaVersion)); err != nil {
		return from, fmt.Errorf("migrate: %w", err)
	}
	return from, nil
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func progressKey(task string, line int) []byte {
	k := make([]byte, 0, len(task)+3)
	k = append(k, task...)
	return append(k, 0, byte(line>>8), byte(line))
}

var lineStatusCode = map[floorgate.LineStatus]byte{floorgate.LineOpen: 0, "": 0, floorgate.LineDone: 1, floorgate.LineShort: 2}
var lineStatusOf = [...]floorgate.LineStatus{floorgate.LineOpen, floorgate.LineDone, floorgate.LineShort}

func encodeProgress(l floorgate.TaskLine) []byte {
	b := make([]byte, 13)
	binary.BigEndian.PutUint32(b, uint32(l.Picked))
	b[4] = lineStatusCode[l.Status]
	if !l.ClosedAt.IsZero() {
		binary.BigEndian.PutUint64(b[5:], uint64(l.ClosedAt.UnixNano()))
	}
	return b
}

// applyProgress overlays the stored line progress on a task read from its
// record.
func applyProgress(tx *bolt.Tx, t *floorgate.Task) error {
	prefix := append([]byte(t.ID), 0)
	c := tx.Bucket(bucketProgress).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		i := int(binary.BigEndian.Uint16(k[len(prefix):]))
		if len(k) != len(prefix)+2 || len(v) != 13 || i >= len(t.Lines) || int(v[4]) >= len(lineStatusOf) {
			return fmt.Errorf("progress of task %q: malformed record %x", t.ID, k)
		}
		l := &t.Lines[i]
		l.Picked = int(binary.BigEndian.Uint32(v))
		l.Status = lineStatusOf[v[4]]
		l.ClosedAt = time.Time{}
		if ns := binary.BigEndian.Uint64(v[5:]); ns != 0 {
			l.ClosedAt = time.Unix(0, int64(ns)).UTC()
		}
	}
	return nil
}

func scanKey(device, scanID string) []byte {
	k := make([]byte, 0, len(device)+1+len(scanID))
	k = append(k, device...)
	k = append(k, 0)
	return append(k, scanID...)
}
