package store

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketCommitTest = []byte("commit-test")

// commitTestBucket makes a bucket the tests' requests write to.
func commitTestBucket(t *testing.T, db *DB) {
	t.Helper()
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketCommitTest)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// putKey is a request that writes key.
func putKey(key string) func(*wtx) error {
	return func(w *wtx) error { return w.tx.Bucket(bucketCommitTest).Put([]byte(key), []byte("v")) }
}

// inFile reports whether key is in the file: committed, not just in a
// transaction that may still roll back.
func inFile(t *testing.T, db *DB, key string) bool {
	t.Helper()
	var found bool
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		found = tx.Bucket(bucketCommitTest).Get([]byte(key)) != nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return found
}

func TestLoneWriteCommitsInItsCallersGoroutine(t *testing.T) {
	e := newEnv(t)
	commitTestBucket(t, e.db)
	var stack string
	err := e.db.write(ctx, func(w *wtx) error {
		buf := make([]byte, 16<<10)
		stack = string(buf[:runtime.Stack(buf, false)])
		return putKey("lone")(w)
	})
	if err != nil {
		t.Fatal(err)
	}
	// No commit ran, so the caller commits itself: no hand-off to the
	// writer goroutine and back.
	if !strings.Contains(stack, "commitInline") || strings.Contains(stack, "store.(*DB).writer") {
		t.Fatalf("a lone request was not committed by its caller:\n%s", stack)
	}
	if !inFile(t, e.db, "lone") {
		t.Fatal("write returned before its commit")
	}
}

func TestWritesQueuedDuringACommitAreBatchedByTheWriter(t *testing.T) {
	e := newEnv(t)
	commitTestBucket(t, e.db)
	c0, r0 := e.db.Stats()
	release, blocked := blockWriter(t, e.db) // the inline commit, held
	const n = 10
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- e.db.write(ctx, putKey(fmt.Sprint("q", i))) }()
	}
	waitQueued(t, e.db, n)
	select {
	case err := <-errs:
		t.Fatalf("a write was answered while the commit before it still ran: %v", err)
	default:
	}
	close(release)
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if !inFile(t, e.db, fmt.Sprint("q", i)) {
			t.Fatalf("q%d answered but not in the file", i)
		}
	}
	c1, r1 := e.db.Stats()
	if c1-c0 != 2 || r1-r0 != n+1 {
		t.Fatalf("%d commits carried %d requests; want the held one, then one batch of %d", c1-c0, r1-r0, n)
	}
	// Idle again: the next lone request commits inline once more.
	if err := e.db.write(ctx, putKey("after")); err != nil {
		t.Fatal(err)
	}
}

// Many callers at once: each is answered only once its own change is in
// the file, whoever committed it.
func TestConcurrentWritesEachAnsweredAfterItsCommit(t *testing.T) {
	e := newEnv(t)
	commitTestBucket(t, e.db)
	const callers, each = 32, 20
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for g := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				key := fmt.Sprintf("c%d-%d", g, i)
				if err := e.db.write(ctx, putKey(key)); err != nil {
					errs <- err
					return
				}
				if !inFile(t, e.db, key) {
					errs <- fmt.Errorf("%s answered before its commit", key)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := e.db.queued(); n != 0 {
		t.Fatalf("%d requests left queued", n)
	}
}

func TestCloseWaitsForTheCommitRunningInACaller(t *testing.T) {
	e := newEnv(t)
	commitTestBucket(t, e.db)
	release, blocked := blockWriter(t, e.db)
	queued := make(chan error, 1)
	go func() { queued <- e.db.write(ctx, putKey("queued")) }()
	waitQueued(t, e.db, 1)
	closed := make(chan error, 1)
	go func() { closed <- e.db.Close() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.db.commits.mu.Lock()
		closing := e.db.commits.closing
		e.db.commits.mu.Unlock()
		if closing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer did not start stopping")
		}
		time.Sleep(time.Millisecond)
	}
	if err := e.db.write(ctx, putKey("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("a write after Close: %v, want ErrClosed", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned while a commit ran: %v", err)
	default:
	}
	close(release)
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	if err := <-queued; err != nil {
		t.Fatalf("a request queued before Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if !inFile(t, e.db, "queued") || inFile(t, e.db, "late") {
		t.Fatal("after Close the file should hold the queued write and not the late one")
	}
}
