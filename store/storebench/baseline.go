// Package storebench is the store's yardstick for the benches: what this
// disk makes a bare bbolt commit cost, on a file opened with the store's
// own options, so a bench can say how far the gateway's commits are from
// the raw floor.
package storebench

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/floorgate/floorgate/store"
	bolt "go.etcd.io/bbolt"
)

// Commits measures what this disk makes a commit cost, as the
// yardstick for the gateway's own figures: n goroutines each commit one
// small Put per transaction, for d, on a fresh file at path opened with the
// same options as the store (fsync on every commit, as the store's). It
// returns the commit latencies.
func Commits(path string, n int, d time.Duration) ([]time.Duration, error) {
	db, err := openBaseline(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var (
		mu   sync.Mutex
		lats []time.Duration
		wg   sync.WaitGroup
		errs = make(chan error, n)
	)
	deadline := time.Now().Add(d)
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			key := make([]byte, 16)
			value := baselineValue
			for i := 0; time.Now().Before(deadline); i++ {
				binary.BigEndian.PutUint64(key, uint64(g))
				binary.BigEndian.PutUint64(key[8:], uint64(i))
				start := time.Now()
				err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(baselineBucket).Put(key, value) })
				if err != nil {
					errs <- err
					return
				}
				local = append(local, time.Since(start))
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return lats, nil
}

// The baseline's bucket, and the value each of its commits puts.
var (
	baselineBucket = []byte("baseline")
	baselineValue  = []byte("a small value, like one scan")
)

// openBaseline opens (or creates) the baseline's file at path with the
// store's options, its bucket made.
func openBaseline(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, store.BoltOptions(store.DefaultMaxSize, time.Second))
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(baselineBucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return db, nil
}
