package store

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the database's file in a gateway's state directory.
const FileName = "floorgate.db"

// PathIn is the database's path in the state directory dir.
func PathIn(dir string) string { return filepath.Join(dir, FileName) }

// DefaultMaxSize caps the database file so a full disk becomes an error
// the gateway reports, never a crash.
const DefaultMaxSize = 4 << 30

// Options configure Open.
type Options struct {
	// Site is the site and gateway identity stamped on every event. It is
	// stored on first open; a later open with another site id is refused.
	Site floorgate.Site
	// MaxSize is the largest the file may grow to (bytes); 0 means
	// DefaultMaxSize.
	MaxSize int
	// MaxTaskLines caps the lines of one task (import, task.create,
	// task.update); 0 means DefaultMaxTaskLines.
	MaxTaskLines int
	// AutoEnrol lets an unknown device enrol itself on its first hello
	// (demo sites); otherwise devices must be enrolled first.
	AutoEnrol bool
	// OpenTimeout bounds the wait for the file lock held by another process.
	OpenTimeout time.Duration
	Clock       floorgate.Clock
	Logger      *slog.Logger
	// OnNotice is called after a commit with each notice it produced (a
	// task cancelled, a task assigned). It must not block.
	OnNotice func(floorgate.Notice)
	// Present reports whether a device is connected now. A task that
	// arrives is pushed only to an idle picker whose device is; one on a
	// device that is away gets it when it asks (its next login or next).
	// Nil: every device counts as present. It must not block.
	Present func(device string) bool

	// FocalPx gives a device model's camera focal length in pixels (from
	// its profile), for the distance from a scan's geometry; 0 when
	// unknown. Nil means unknown for every model.
	FocalPx func(model string) float64
	// CannotMeasure reports whether a PDA model can never know how far
	// its scans were read from (its profile's distance is none): its
	// scans are judged as floorgate.Scan.Unmeasurable, recorded
	// not_measurable instead of unknown when they carry no distance.
	// Nil: every model can. Wired scanners say it on their scans
	// themselves (their station's id may be a PDA's).
	CannotMeasure func(model string) bool

	// Stations are the site's pack stations by name, offered to devices to
	// choose from (Hello) and the only names SetStation accepts.
	Stations []string
	// Modes are the site's rules for tasks that arrive without a mode.
	Modes ModeRules
	// PrinterServes reports whether a configured printer serves the pack
	// station. A parcel packed at a station none serves is answered
	// no_printer instead of pack_done (its waybill is queued and held all
	// the same). Nil: every station is served. It must not block.
	PrinterServes func(station string) bool
	// Waybills checks shipments against the waybill templates they could
	// print with, and chooses a station's template. Nil: the shipment's
	// own checks only, and the printer chooses.
	Waybills Waybills

	// checkpointAt overrides checkpointBytes (tests).
	checkpointAt int
	// ackWriteAfter overrides ackWriteAfter (tests).
	ackWriteAfter time.Duration
}

// Waybills is what the store asks of the site's label templates.
type Waybills interface {
	// Check refuses a shipment a template it could print with cannot
	// print, naming the field (a *floorgate.FieldError).
	Check(s floorgate.Shipment) error
	// Template is the id of the waybill template for s at station.
	Template(station string, s floorgate.Shipment) string
}

// DB is an open floorgate database.
type DB struct {
	bolt  *bolt.DB
	opts  Options
	clock floorgate.Clock
	log   *slog.Logger
	dbID  string
	inc   floorgate.Incarnation // the current incarnation (incarnation.go)

	// mu guards st. The committer holds it while it runs and commits a batch;
	// readers take it shared.
	mu sync.RWMutex
	st *state

	commits committer // who commits, and what waits (commit.go)
	stop    chan struct{}
	stopped chan struct{}
	closeMu sync.Mutex
	closed  bool

	logins loginGuard
	stats  commitStats
	health health // whether the last commit found room (health.go)

	siteJSON, gatewayJSON []byte
	// stepBytes is the size of the step log since the last checkpoint;
	// only the committer (who set commits.busy) touches it.
	stepBytes    int
	checkpointAt int

	newEvents chan struct{}
	replays   chan floorgate.Replay
	printWake chan struct{}
	ackWrite  lazyWatermark     // when the outbox watermark goes to disk (outbox.go)
	follow    followers         // who hears of every committed event (follow.go)
	arena     []byte            // the committer's reused buffer (wtx.arena)
	events    []floorgate.Event // and its reused list of events (wtx.events)
}

// ErrClosed is returned for requests made after Close.
var ErrClosed = floorgate.Errorf(floorgate.EUNAVAILABLE, "the gateway is shutting down")

// ErrLocked is returned by Open when another process holds the database.
var ErrLocked = errors.New("database is in use by another process (is the floorgate daemon running?)")

// Open opens or creates the database at path, runs pending migrations, loads
// the working state into memory and starts the writer.
func Open(path string, opts Options) (*DB, error) {
	if opts.Clock == nil {
		opts.Clock = floorgate.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.OpenTimeout == 0 {
		opts.OpenTimeout = 2 * time.Second
	}
	if opts.Site.ID == "" || opts.Site.Gateway == "" {
		return nil, fmt.Errorf("open store: site id and gateway id are required")
	}
	bdb, err := bolt.Open(path, 0o600, BoltOptions(opts.MaxSize, opts.OpenTimeout))
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db := &DB{bolt: bdb, opts: opts, clock: opts.Clock, log: opts.Logger,
		commits: committer{wake: make(chan struct{}, 1)}, stop: make(chan struct{}), stopped: make(chan struct{}),
		checkpointAt: cmp.Or(opts.checkpointAt, checkpointBytes), newEvents: make(chan struct{}, 1), printWake: make(chan struct{}, 1), replays: make(chan floorgate.Replay, 64)}
	db.logins.init(opts.Clock)
	db.ackWrite.after = cmp.Or(opts.ackWriteAfter, ackWriteAfter)
	db.siteJSON, _ = json.Marshal(opts.Site.ID)
	db.gatewayJSON, _ = json.Marshal(opts.Site.Gateway)
	if err := db.init(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Start with an empty step log: whatever was replayed is written home.
	if err := db.checkpoint(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	go db.writer()
	return db, nil
}

// BoltOptions are the options every store file is opened with (and the
// storebench baseline's, so it measures the same commits).
func BoltOptions(maxSize int, timeout time.Duration) *bolt.Options {
	return &bolt.Options{
		Timeout: timeout,
		MaxSize: maxSize,
		// The freelist is rebuilt on open instead of written on every
		// commit: fewer pages per commit on the scan path.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		// Map the file's whole room up front: a commit that grows the
		// file past the mapping must remap, and a remap waits for every
		// read transaction — a slow GET /api/v1/backup would stop every
		// scan until the copy ends (TestChaosLongReadTx).
		InitialMmapSize: min(maxSize, 1<<30),
	}
}

func (db *DB) init() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		from, err := migrate(tx)
		if err != nil {
			return err
		}
		if from != SchemaVersion {
			db.log.Info("store schema migrated", "from", from, "to", SchemaVersion)
		}
		meta := tx.Bucket(bucketMeta)
		id := meta.Get(keyDBID)
		if id == nil {
			id = []byte(randomHex(8))
			if err := meta.Put(keyDBID, id); err != nil {
				return err
			}
		}
		db.dbID = string(id)
		if db.inc, err = loadIncarnation(meta, db.dbID); err != nil {
			return err
		}
		if raw := meta.Get(keySite); raw != nil {
			var stored floorgate.Site
			if err := json.Unmarshal(raw, &stored); err != nil {
				return fmt.Errorf("stored site: %w", err)
			}
			if stored.ID != db.opts.Site.ID || stored.Gateway != db.opts.Site.Gateway {
				return fmt.Errorf("this database belongs to site %q gateway %q, not site %q gateway %q",
					stored.ID, stored.Gateway, db.opts.Site.ID, db.opts.Site.Gateway)
			}
		}
		// The configured site (name, policy) is authoritative for this run.
		raw, _ := json.Marshal(db.opts.Site)
		if err := meta.Put(keySite, raw); err != nil {
			return err
		}
		st, err := load(tx)
		if err != nil {
			return err
		}
		st.site = db.opts.Site
		db.st = st
		return nil
	})
}

// Close stops taking requests, lets every request already queued finish
// and commit, and closes the file.
func (db *DB) Close() error {
	db.closeMu.Lock()
	if db.closed {
		db.closeMu.Unlock()
		return nil
	}
	db.closed = true
	close(db.stop)
	db.closeMu.Unlock()
	<-db.stopped
	db.mu.Lock()
	cerr := db.checkpoint()
	db.mu.Unlock()
	if cerr != nil {
		db.log.Error("checkpoint at close; the step log is replayed at the next start", "err", cerr)
	}
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Path is the database file's path.
func (db *DB) Path() string { return db.bolt.Path() }

// Site is the site this database serves.
func (db *DB) Site() floorgate.Site { return db.opts.Site }

func seqOf(k []byte) uint64 { return binary.BigEndian.Uint64(k) }
