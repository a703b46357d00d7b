// Package storetest opens real stores for tests, as bbolt's
// internal/btesting does for bbolt: a store.DB on a file in the test's
// temporary directory, optionally holding the fixture floor (testfloor),
// that is closed when the test ends and then checked as `floorgate backup
// --verify` checks a backup (store.Verify: bbolt's consistency check,
// every record decoded as the gateway reads it, the gateway's own open). A
// test that leaves a file the gateway would refuse fails.
//
// It is for tests only: nothing the gateway runs may import it. Package
// store's own tests cannot import it (it imports store); they open their
// stores with a helper of their own that builds the same floor, from
// testfloor, and runs the same check.
package storetest

import (
	"context"
	"testing"

	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/store/storetest/testfloor"
)

// Site is the site the stores Open opens serve, unless an option says
// otherwise.
var Site = testfloor.Site

// PIN is the PIN of every operator of Fixture.
const PIN = testfloor.PIN

// Fixture is the fixture floor as master data: locations L1…L4 (barcodes
// LOC-1…LOC-4), items S1…S4 (barcodes testfloor.ItemBarcode(1…4)) and
// pickers op1…op3 (badges BADGE1…BADGE3, PIN).
func Fixture() store.Master {
	return store.Master{Locations: testfloor.Locations(), Items: testfloor.Items(), Operators: testfloor.Operators()}
}

// An Option changes how Open opens a store.
type Option func(*config)

type config struct {
	opts   store.Options
	master []store.Master
}

// WithOptions lets set change the store's options; they start as
// store.Options{Site: Site}.
func WithOptions(set func(*store.Options)) Option {
	return func(c *config) { set(&c.opts) }
}

// WithMaster puts m in the store once it is open (store.DB.PutMaster).
func WithMaster(m store.Master) Option {
	return func(c *config) { c.master = append(c.master, m) }
}

// WithFixture puts the fixture floor in the store: WithMaster(Fixture()).
func WithFixture() Option { return WithMaster(Fixture()) }

// Open opens a store on a new file in tb.TempDir(), with opts applied in
// order, and fails tb if it cannot. When tb ends, the store is closed (it
// may have been closed already) and the file checked with store.Verify;
// either failing fails tb.
func Open(tb testing.TB, opts ...Option) *store.DB {
	tb.Helper()
	c := config{opts: store.Options{Site: Site}}
	for _, o := range opts {
		o(&c)
	}
	path := store.PathIn(tb.TempDir())
	db, err := store.Open(path, c.opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
		if _, err := store.Verify(path); err != nil {
			tb.Errorf("the store the test leaves: %v", err)
		}
	})
	for _, m := range c.master {
		if err := db.PutMaster(context.Background(), m); err != nil {
			tb.Fatal(err)
		}
	}
	return db
}
