package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// backupTo writes a live backup of db to a new file and returns its path.
func backupTo(t *testing.T, db *DB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.Backup(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Size() != n {
		t.Fatalf("backup wrote %d bytes, the file has %d", n, fi.Size())
	}
	return path
}

// TestBackupReplaysTheStepLog takes a backup while the step log holds
// picks not yet checkpointed; the copy opens to the same sessions, task
// progress and resubmission verdicts as the live gateway.
func TestBackupReplaysTheStepLog(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 3), line("L2", "S2", 1)), task("T2", line("L3", "S3", 1))}); err != nil {
		t.Fatal(err)
	}
	e.pda("pda-1", "BADGE1")
	e.pda("pda-2", "BADGE2")
	e.scan("pda-1", "a1", "LOC-1")
	e.scan("pda-1", "a2", "6900000000014")
	e.scan("pda-2", "b1", "LOC-3")
	e.scan("pda-1", "a3", "6900000000014")

	path := backupTo(t, e.db)
	rep, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Steps == 0 {
		t.Fatalf("the step log was empty at the backup (%+v): the test proves nothing", rep)
	}
	if rep.CheckErrors != 0 || rep.Schema != SchemaVersion || rep.Site != testSite.ID || rep.LastSeq != e.db.LastSeq() {
		t.Fatalf("verify: %+v", rep)
	}

	copyDB, err := Open(path, Options{Site: testSite, Clock: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	for _, dev := range []string{"pda-1", "pda-2"} {
		if got, want := copyDB.Session(dev), e.db.Session(dev); !sameJSON(got, want) {
			t.Errorf("session %s: copy %+v, live %+v", dev, got, want)
		}
	}
	for _, id := range []string{"T1", "T2"} {
		got, err1 := copyDB.Task(id)
		want, err2 := e.db.Task(id)
		if err1 != nil || err2 != nil || !sameJSON(got, want) {
			t.Errorf("task %s: copy %+v (%v), live %+v (%v)", id, got, err1, want, err2)
		}
	}
	// The verdicts were replayed: a resubmitted scan is answered as before
	// and changes nothing.
	v, err := copyDB.Scan(ctx, floorgate.Scan{ID: "a3", Device: "pda-1", Data: "6900000000014", DistanceMM: 70, At: e.clock.Now()})
	if err != nil || v.Code != floorgate.CodeItemOK {
		t.Fatalf("resubmission on the copy: %v %s", err, v.Code)
	}
	if copyDB.LastSeq() != e.db.LastSeq() {
		t.Fatalf("the resubmission on the copy emitted events: %d vs %d", copyDB.LastSeq(), e.db.LastSeq())
	}
	// And picking goes on where it was.
	v, err = copyDB.Scan(ctx, floorgate.Scan{ID: "a4", Device: "pda-1", Data: "6900000000014", DistanceMM: 70, At: e.clock.Now().Add(time.Minute)})
	if err != nil || v.Code != floorgate.CodeLineDone {
		t.Fatalf("next pick on the copy: %v %s", err, v.Code)
	}
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestBackupDuringScans takes backups while devices pick; each copy passes
// the consistency check and holds every scan answered before it began.
func TestBackupDuringScans(t *testing.T) {
	e := newEnv(t)
	var pdas []*simPDA
	for i := range 3 {
		dev := fmt.Sprintf("pda-%d", i+1)
		e.pda(dev, fmt.Sprintf("BADGE%d", i+1))
		pdas = append(pdas, &simPDA{dev: dev})
	}
	if _, err := e.db.ImportTasks(ctx, dayTasks(1, 60)); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		answered []string // scan ids answered OK, in order
		stop     atomic.Bool
		wg       sync.WaitGroup
		errs     = make([]error, len(pdas))
	)
	for i, p := range pdas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.at = e.clock.Now()
			pr, err := e.db.Next(ctx, p.dev)
			if err != nil {
				errs[i] = err
				return
			}
			p.prompt = pr
			for !stop.Load() {
				v, err := p.step(e.db)
				if err != nil {
					if !errors.Is(err, errIdle) {
						errs[i] = err
					}
					return
				}
				mu.Lock()
				answered = append(answered, p.dev+"/"+v.ScanID)
				mu.Unlock()
			}
		}()
	}
	waitFor := func(n int) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			got := len(answered)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d scans answered, want %d", got, n)
			}
			runtime.Gosched()
		}
	}
	for round := 1; round <= 3; round++ {
		waitFor(round * 200)
		mu.Lock()
		before := slices.Clone(answered)
		mu.Unlock()
		path := backupTo(t, e.db)
		if _, err := Verify(path); err != nil {
			t.Fatal(err)
		}
		copyDB, err := Open(path, Options{Site: testSite, Clock: e.clock})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := copyDB.Journal(0, 1<<30)
		copyDB.Close()
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, ev := range evs {
			if ev.Type == floorgate.EventScanAccepted {
				var rec floorgate.ScanRecord
				if err := json.Unmarshal(ev.Data, &rec); err != nil {
					t.Fatal(err)
				}
				have[rec.Device+"/"+rec.ScanID] = true
			}
		}
		for _, id := range before {
			if !have[id] {
				t.Fatalf("round %d: scan %s was answered before the backup but is not in it", round, id)
			}
		}
		t.Logf("round %d: %d scans answered before the backup, all in it (%d events)", round, len(before), len(evs))
	}
	stop.Store(true)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// TestBackupFileOfAStoppedGateway: BackupFile refuses a database in use
// and copies one that is not, without changing it.
func TestBackupFileOfAStoppedGateway(t *testing.T) {
	e := newEnv(t)
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 10)
	if busy, err := InUse(e.path); !busy || err != nil {
		t.Fatalf("in use while open: %v %v", busy, err)
	}
	if _, err := BackupFile(e.path, &bytes.Buffer{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("backup of an open database: %v", err)
	}
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	if busy, err := InUse(e.path); busy || err != nil {
		t.Fatalf("in use after close: %v %v", busy, err)
	}
	sum := func() [32]byte {
		raw, err := os.ReadFile(e.path)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(raw)
	}
	was := sum()
	out := filepath.Join(t.TempDir(), "b.db")
	f, _ := os.Create(out)
	if _, err := BackupFile(e.path, f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if sum() != was {
		t.Fatal("BackupFile changed the database")
	}
	rep, err := Verify(out)
	if err != nil || rep.Events != 10 || rep.LastSeq != 10 {
		t.Fatalf("verify the copy: %+v %v", rep, err)
	}
	if busy, _ := InUse(filepath.Join(t.TempDir(), "none.db")); busy {
		t.Fatal("a missing file is in use")
	}
}

// TestRestore: a restore refuses a database in use, a damaged backup and
// one from a newer floorgate; otherwise it puts the backup in place and
// keeps the database it replaced.
func TestRestore(t *testing.T) {
	src := newEnv(t)
	emitAt(t, src.db, floorgate.EventScanAccepted, src.clock.Now(), 7)
	backup := backupTo(t, src.db)

	dst := newEnv(t)
	emitAt(t, dst.db, floorgate.EventScanAccepted, dst.clock.Now(), 3)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if _, err := Restore(backup, dst.path, now); !errors.Is(err, ErrInUse) {
		t.Fatalf("restore over a database in use: %v", err)
	}
	if err := dst.db.Close(); err != nil {
		t.Fatal(err)
	}

	// A damaged backup: a page in the middle overwritten.
	raw, _ := os.ReadFile(backup)
	damaged := filepath.Join(t.TempDir(), "damaged.db")
	bad := slices.Clone(raw)
	for i := 4 * 4096; i < 5*4096 && i < len(bad); i++ {
		bad[i] = 0xAB
	}
	os.WriteFile(damaged, bad, 0o600)
	if _, err := Restore(damaged, dst.path, now); err == nil {
		t.Fatal("restored a damaged backup")
	} else {
		t.Logf("damaged backup: %v", err)
	}
	// A backup from a newer floorgate.
	newer := filepath.Join(t.TempDir(), "newer.db")
	os.WriteFile(newer, raw, 0o600)
	bdb, err := bolt.Open(newer, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, u64(SchemaVersion+1)) })
	bdb.Close()
	if _, err := Restore(newer, dst.path, now); err == nil || !strings.Contains(err.Error(), "newer than this floorgate") {
		t.Fatalf("restore of a newer schema: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(dst.path)); len(ents) != 1 {
		t.Fatalf("failed restores left files: %v", ents)
	}

	res, err := Restore(backup, dst.path, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := dst.path + ".before-restore-20261201T100000Z"; res.Kept != want || res.Restored.LastSeq != 8 { // the backup's 7 and gateway.restored
		t.Fatalf("restore: %+v", res)
	}
	if rep, err := Verify(res.Kept); err != nil || rep.LastSeq != 3 {
		t.Fatalf("the kept database: %+v %v", rep, err)
	}
	db, err := Open(dst.path, Options{Site: testSite, Clock: dst.clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The backup's 7 events and the new incarnation's gateway.restored.
	if db.LastSeq() != 8 {
		t.Fatalf("restored database has last seq %d", db.LastSeq())
	}
}
