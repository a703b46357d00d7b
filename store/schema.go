package store

import (
	"encoding/binary"
	"fmt"

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
	bucketJournal   = []byte("journal")   // seq (8 bytes, big-endian) → Event
	// outbox is the journal's tail not yet acknowledged upstream: every
	// event with a sequence number above the watermark kept here. Appending
	// to the journal is all it takes to put an event in the outbox, so a
	// scan's commit touches one tree fewer; the watermark moves only when
	// upstream acknowledges.
	bucketOutbox = []byte("outbox")
	// deadletters holds events that could not be sent: seq → deadLetter.
	bucketDeadLetters = []byte("deadletters")
	// commands remembers every command from upstream by id → its answer.
	bucketCommands = []byte("commands")
	// shipments holds the waybill data of orders: order → Shipment.
	bucketShipments = []byte("shipments")
	// serials holds the serial numbers picked: sku, 0, serial → scan.
	bucketSerials = []byte("serials")
	// intercepts holds the orders cancelled on the floor: order → reason.
	bucketIntercepts = []byte("intercepts")
	// printjobs is the print queue: job id → PrintJob.
	bucketPrintJobs = []byte("printjobs")
	// verdicts holds each device's recent verdicts, for resubmissions.
	bucketVerdicts = []byte("verdicts") // device id → recent verdicts
	// steps is the log of what commits changed in sessions, line progress
	// and verdicts since the last checkpoint (see steps.go); keys are
	// 8-byte big-endian sequence numbers.
	bucketSteps = []byte("steps")
	// audit records every admin action: 8-byte big-endian seq → AuditEntry.
	bucketAudit = []byte("audit")
	// tokens holds the API tokens (hashed): id → APIToken.
	bucketTokens = []byte("tokens")
	// waves holds every wave declared: id → Wave.
	bucketWaves = []byte("waves")
	// carts and totes are master data: id → Cart, id → Tote.
	bucketCarts = []byte("carts")
	bucketTotes = []byte("totes")
	// bindings holds every tote holding an order: tote id → ToteBinding.
	bucketBindings = []byte("bindings")
	// walls are put walls (master data): id → Wall; batches the batches
	// sorted at them: id → Batch.
	bucketWalls   = []byte("walls")
	bucketBatches = []byte("batches")
	// parcels are presale parcels packed and held, and orders released
	// before they were packed: order → HeldParcel.
	bucketParcels = []byte("parcels")
	// timelines are each order's way across the floor: order →
	// OrderTimeline, for the SLA board.
	bucketTimelines = []byte("timelines")
	// exceptions are the cases pickers and packers raised: id →
	// caseRecord.
	bucketExceptions = []byte("exceptions")
)

// appendFill is the fill percent of the append-only logs (journal, steps,
// audit): their keys only ever grow, so a page is split only when full.
// bbolt's default of one half leaves every page of such a log half empty,
// which doubles the file and the memory its mapping keeps resident.
const appendFill = 1.0

// appendOnly returns tx's bucket name set up for appending.
func appendOnly(tx *bolt.Tx, name []byte) *bolt.Bucket {
	b := tx.Bucket(name)
	b.FillPercent = appendFill
	return b
}

var (
	keyAcked  = []byte("acked") // in outbox: events up to this seq have left it
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
			bucketDevices, bucketTasks, bucketSessions, bucketVerdicts, bucketSteps, bucketJournal, bucketOutbox} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	// 1 → 2: upstream sync: dead letters, commands, shipments.
	func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketDeadLetters, bucketCommands, bucketShipments, bucketSerials,
			bucketIntercepts, bucketPrintJobs} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	// 2 → 3: the admin audit log.
	func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketAudit); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketAudit, err)
		}
		return nil
	},
	// 3 → 4: API tokens.
	func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketTokens); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketTokens, err)
		}
		return nil
	},
	// 4 → 5: waves.
	func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketWaves); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketWaves, err)
		}
		return nil
	},
	// 5 → 6: carts, totes and the totes' bindings; put walls and batches.
	func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketCarts, bucketTotes, bucketBindings, bucketWalls, bucketBatches} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	// 6 → 7: held presale parcels.
	func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketParcels); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketParcels, err)
		}
		return nil
	},
	// 7 → 8: order timelines.
	func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketTimelines); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketTimelines, err)
		}
		return nil
	},
	// 8 → 9: exception cases.
	func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketExceptions); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucketExceptions, err)
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
