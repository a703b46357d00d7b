package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// sampleBackup is a backup of a gateway that has master data, tasks (one
// being picked, so the step log has records), sessions and a few hundred
// events, so its file has many pages of several kinds.
func sampleBackup(t *testing.T) []byte {
	t.Helper()
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 3), line("L2", "S2", 1)), task("T2", line("L3", "S3", 1))}); err != nil {
		t.Fatal(err)
	}
	e.pda("pda-1", "BADGE1")
	e.scan("pda-1", "a1", "LOC-1")
	e.scan("pda-1", "a2", itemBarcode(1))
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 300)
	raw, err := os.ReadFile(backupTo(t, e.db))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// restoreTarget is a stopped gateway's state dir to restore into; check
// asserts that a refused restore left it exactly as it was.
func restoreTarget(t *testing.T) (path string, check func()) {
	t.Helper()
	dst := newEnv(t)
	emitAt(t, dst.db, floorgate.EventScanAccepted, dst.clock.Now(), 3)
	if err := dst.db.Close(); err != nil {
		t.Fatal(err)
	}
	was, err := os.ReadFile(dst.path)
	if err != nil {
		t.Fatal(err)
	}
	return dst.path, func() {
		t.Helper()
		ents, _ := os.ReadDir(filepath.Dir(dst.path))
		if len(ents) != 1 || ents[0].Name() != filepath.Base(dst.path) {
			t.Errorf("a refused restore left files in the state dir: %v", ents)
		}
		if now, _ := os.ReadFile(dst.path); !bytes.Equal(now, was) {
			t.Error("a refused restore changed the database")
		}
	}
}

// writeAlone writes raw as the only file of a new directory.
func writeAlone(t *testing.T, raw []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// refused asserts that Verify and Restore both refuse the file at path
// with an error containing want, and leave nothing behind.
func refused(t *testing.T, path, want string) {
	t.Helper()
	_, err := Verify(path)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("verify: %v, want an error containing %q", err, want)
	}
	t.Logf("verify: %v", err)
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("verify left files beside the backup: %v", ents)
	}
	dst, check := restoreTarget(t)
	if _, err := Restore(path, dst, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("restore: %v, want an error containing %q", err, want)
	}
	check()
}

// TestVerifyRefusesTruncatedBackups cuts a backup short at points across
// it: each is refused with the size it has and the size it needs, before
// bbolt maps it (a mapped file cut short ends the process with SIGBUS),
// and a refused restore leaves no temporary file and the database as it
// was.
func TestVerifyRefusesTruncatedBackups(t *testing.T) {
	raw := sampleBackup(t)
	page := os.Getpagesize() // the page size bbolt gives a new file
	if len(raw) < 8*page {
		t.Fatalf("the sample backup is %d bytes: too small to cut in many places", len(raw))
	}
	for _, cut := range []struct {
		name string
		size int
	}{
		{"inside the first meta page's header", 40},
		{"after the first meta page's header", 100},
		{"after the first meta page", page},
		{"after both meta pages", 2 * page},
		{"mid-page", len(raw)/2 + 123},
		{"just before the last page", len(raw) - page},
		{"one byte short", len(raw) - 1},
	} {
		t.Run(cut.name, func(t *testing.T) {
			path := writeAlone(t, raw[:cut.size])
			refused(t, path, fmt.Sprintf("truncated: %d bytes", cut.size))
		})
	}
}

// TestVerifyRefusesWhatIsNoBackup: an empty file, random bytes and a text
// file are refused as no backup.
func TestVerifyRefusesWhatIsNoBackup(t *testing.T) {
	rnd := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	for _, c := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"empty", nil, "the file is empty (0 bytes): not a floorgate backup"},
		{"random bytes", rnd, "not a floorgate backup"},
		{"text", bytes.Repeat([]byte("floorgate\n"), 1000), "not a floorgate backup"},
	} {
		t.Run(c.name, func(t *testing.T) {
			refused(t, writeAlone(t, c.raw), c.want)
		})
	}
}

// TestVerifyDecodesEveryRecord changes one byte inside a JSON record, as a
// bad disk sector or a stray edit would: bbolt's page checks cannot see
// it, the gateway would refuse to start on it (or lose the record), so
// verify and restore refuse it, naming the bucket and key.
func TestVerifyDecodesEveryRecord(t *testing.T) {
	raw := sampleBackup(t)
	for _, c := range []struct {
		name, within, want string
	}{
		{"operator", `"badge":"BADGE2"`, `bucket operators, key "op2"`},
		{"item", `"sku":"S4"`, `bucket items, key "S4"`},
		{"location", `"code":"L4"`, `bucket locations, key "L4"`},
		{"task", `"id":"T2","order":"SO-T2"`, `bucket tasks, key "T2"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Freed pages may hold old copies of the record too: the
			// byte changes in each.
			if !bytes.Contains(raw, []byte(c.within)) {
				t.Fatalf("%s is not in the backup", c.within)
			}
			colon := bytes.IndexByte([]byte(c.within), ':')
			semi := []byte(c.within)
			semi[colon] = ';' // "badge";"BADGE2": no longer JSON
			bad := bytes.ReplaceAll(raw, []byte(c.within), semi)
			refused(t, writeAlone(t, bad), c.want)
		})
	}
	t.Run("untouched", func(t *testing.T) {
		rep, err := Verify(writeAlone(t, raw))
		if err != nil || rep.Records == 0 || rep.Problems != 0 || rep.CheckErrors != 0 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}

// TestVerifyChecksCrossReferences changes a backup through bbolt, so every
// record still decodes, in ways the gateway cannot live with.
func TestVerifyChecksCrossReferences(t *testing.T) {
	raw := sampleBackup(t)
	put := func(bucket []byte, key string, v any) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			b, _ := json.Marshal(v)
			return tx.Bucket(bucket).Put([]byte(key), b)
		}
	}
	for _, c := range []struct {
		name   string
		change func(*bolt.Tx) error
		want   string
	}{
		{"task line of an unknown item", put(bucketTasks, "T9", floorgate.Task{ID: "T9", Status: floorgate.TaskPending, Lines: []floorgate.TaskLine{{Location: "L1", SKU: "S9", Qty: 1}}}),
			`bucket tasks, key "T9": line 1: no item "S9"`},
		{"task line at an unknown location", put(bucketTasks, "T9", floorgate.Task{ID: "T9", Status: floorgate.TaskPending, Lines: []floorgate.TaskLine{{Location: "L9", SKU: "S1", Qty: 1}}}),
			`bucket tasks, key "T9": line 1: no location "L9"`},
		{"task of an unknown status", put(bucketTasks, "T9", floorgate.Task{ID: "T9", Status: "pendnig"}),
			`bucket tasks, key "T9": status "pendnig"`},
		{"record under another key", put(bucketOperators, "op9", floorgate.Operator{ID: "op1", Badge: "B9", PINHash: pinHash, Role: floorgate.RolePicker}),
			`bucket operators, key "op9": its id is "op1"`},
		{"badge used twice", put(bucketOperators, "op9", floorgate.Operator{ID: "op9", Badge: "BADGE1", PINHash: pinHash, Role: floorgate.RolePicker}),
			`badge "BADGE1" is also operator`},
		{"operator without a PIN hash", put(bucketOperators, "op9", floorgate.Operator{ID: "op9", Badge: "B9", Role: floorgate.RolePicker}),
			`bucket operators, key "op9": pin_hash is not a PIN hash`},
		{"session of an unknown operator", put(bucketSessions, "pda-9", floorgate.Session{Device: "pda-9", Operator: "op9"}),
			`bucket sessions, key "pda-9": signed in as operator "op9"`},
		{"event missing above the watermark", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketJournal).Delete(u64(100))
		}, "bucket journal, key seq 101: events 100…100 are missing"},
		{"event under another seq", func(tx *bolt.Tx) error {
			j := tx.Bucket(bucketJournal)
			return j.Put(u64(50), j.Get(u64(51)))
		}, "bucket journal, key seq 50: it is event 51"},
		{"watermark above the journal", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketOutbox).Put(keyAcked, u64(1_000_000))
		}, "the watermark 1000000 is above the journal's last event"},
		{"dead letter without its event", put(bucketDeadLetters, string(u64(999_999)), DeadLetter{Seq: 999_999}),
			"bucket deadletters, key seq 999999: its event is not in the journal"},
		{"a bucket missing", func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketTokens) },
			"bucket tokens is missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeAlone(t, raw)
			bdb, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := bdb.Update(c.change); err != nil {
				t.Fatal(err)
			}
			if err := bdb.Close(); err != nil {
				t.Fatal(err)
			}
			refused(t, path, c.want)
		})
	}
}

// TestVerifyRefusesWhatTheGatewayWouldNotOpen: a step log whose progress
// does not fit its task decodes, but the gateway's loader refuses it at
// open; so does verify.
func TestVerifyRefusesWhatTheGatewayWouldNotOpen(t *testing.T) {
	path := writeAlone(t, sampleBackup(t))
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		raw, _ := json.Marshal(stepRecord{Progress: []taskProgress{{Task: "T2", Lines: [][3]int64{{0, 0, 0}, {0, 0, 0}}}}})
		return tx.Bucket(bucketSteps).Put(u64(1_000), raw)
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	refused(t, path, `progress of task "T2" has 2 lines, the task 1`)
}

// TestVerifyOpensTheCopy: a file of an older schema is migrated before the
// gateway loads it, so only the gateway's own Open, on a throwaway copy,
// finds what its loader refuses; the copy is removed.
func TestVerifyOpensTheCopy(t *testing.T) {
	path := writeAlone(t, sampleBackup(t))
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		// Schema 3: before API tokens.
		if err := tx.DeleteBucket(bucketTokens); err != nil {
			return err
		}
		if err := tx.Bucket(bucketMeta).Put(keySchema, u64(3)); err != nil {
			return err
		}
		raw, _ := json.Marshal(stepRecord{Progress: []taskProgress{{Task: "T2", Lines: [][3]int64{{0, 0, 0}, {0, 0, 0}}}}})
		return tx.Bucket(bucketSteps).Put(u64(1_000), raw)
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	refused(t, path, `the gateway would not open it: open store the copy: replay step 1000: progress of task "T2" has 2 lines`)
}

// TestRestoreOfADirectory: the copy fails part way; its temporary file is
// removed.
func TestRestoreOfADirectory(t *testing.T) {
	dst, check := restoreTarget(t)
	if _, err := Restore(t.TempDir(), dst, time.Now()); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("restore of a directory: %v", err)
	}
	check()
}

// TestVerifyRefusesDamagedPages damages the page tree itself: a page that
// names another id, an element pointing past its page, a child page past
// the end. Each is found by reading the file, before bbolt maps it.
func TestVerifyRefusesDamagedPages(t *testing.T) {
	raw := sampleBackup(t)
	l, err := readLayout(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	page := int(l.pageSize)
	// The journal's pages: the leaf and branch pages past the metas.
	var leaf, branch int = -1, -1
	for id := 2; id < int(l.hwm); id++ {
		p := raw[id*page:]
		if native.Uint64(p) != uint64(id) || native.Uint16(p[10:]) < 2 {
			continue
		}
		switch native.Uint16(p[8:]) {
		case leafPage:
			leaf = max(leaf, id)
		case branchPage:
			branch = max(branch, id)
		}
	}
	if leaf < 0 || branch < 0 {
		t.Fatalf("no leaf (%d) or branch (%d) page with elements in the sample", leaf, branch)
	}
	for _, c := range []struct {
		name   string
		damage func(b []byte)
		want   string
	}{
		{"page names another id", func(b []byte) { native.PutUint64(b[leaf*page:], 7777) }, "says it is page 7777"},
		{"leaf element past its page", func(b []byte) { native.PutUint32(b[leaf*page+pageHeaderSize+4:], 1<<30) }, "points outside its place in the page"},
		{"branch child past the end", func(b []byte) { native.PutUint64(b[branch*page+pageHeaderSize+8:], 1<<40) }, "outside the file's pages"},
		{"too many elements", func(b []byte) { native.PutUint16(b[leaf*page+10:], 0xFFFF) }, "do not fit in it"},
		{"overflow past the end", func(b []byte) { native.PutUint32(b[leaf*page+12:], 1<<20) }, "past the file's last page"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := slices.Clone(raw)
			c.damage(bad)
			refused(t, writeAlone(t, bad), c.want)
		})
	}
}

// TestVerifyOfADatabaseInUse: the file of a running gateway changes under
// a reader, so verify refuses it as in use before reading a page.
func TestVerifyOfADatabaseInUse(t *testing.T) {
	e := newEnv(t)
	if _, err := Verify(e.path); !errors.Is(err, ErrInUse) {
		t.Fatalf("verify of a database in use: %v", err)
	}
}

// TestBucketsSince keeps bucketsSince in step with the migrations: a
// database migrated to each version has exactly the buckets it lists for
// that version.
func TestBucketsSince(t *testing.T) {
	bdb, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	for v := range SchemaVersion {
		err := bdb.Update(func(tx *bolt.Tx) error {
			if err := migrations[v](tx); err != nil {
				return err
			}
			var have, want []string
			tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				have = append(have, string(name))
				return nil
			})
			for _, b := range bucketsSince {
				if b.since <= v+1 {
					want = append(want, string(b.name))
				}
			}
			slices.Sort(want)
			if !slices.Equal(have, want) {
				t.Errorf("schema %d has buckets %v; bucketsSince says %v", v+1, have, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzVerify: whatever a file holds, Verify returns (an error or a
// report); it never panics or faults. The seeds are a sound backup, one
// cut short and one with a page overwritten.
func FuzzVerify(f *testing.F) {
	raw := fuzzBackup(f)
	f.Add(raw)
	f.Add(raw[:len(raw)/2])
	bad := slices.Clone(raw)
	copy(bad[3*1024:], bytes.Repeat([]byte{0xAB}, 64))
	f.Add(bad)
	sound := filepath.Join(f.TempDir(), "sound.db")
	if err := os.WriteFile(sound, raw, 0o600); err != nil {
		f.Fatal(err)
	}
	if _, err := Verify(sound); err != nil {
		f.Fatalf("the sound seed (%d bytes) fails: %v", len(raw), err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "b.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		Verify(path)
	})
}

// fuzzBackup is a small backup: master data and a few events, on pages
// of 1 KiB (bbolt takes the page size from the file), so that a mutation
// lands on a page header or an element often.
func fuzzBackup(f *testing.F) []byte {
	f.Helper()
	path := filepath.Join(f.TempDir(), "floorgate.db")
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: 1024})
	if err != nil {
		f.Fatal(err)
	}
	bdb.Close()
	db := openDB(f, path, Options{Site: testSite})
	m := fixture()
	m.Operators = m.Operators[:1]
	if err := db.PutMaster(ctx, m); err != nil {
		f.Fatal(err)
	}
	evs := make([]floorgate.Event, 3)
	for i := range evs {
		evs[i] = floorgate.NewEvent(floorgate.EventScanAccepted, time.Now(), floorgate.ScanRecord{ScanID: fmt.Sprint("s", i)})
	}
	if err := db.EmitEvents(ctx, evs); err != nil {
		f.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := db.Backup(&b); err != nil {
		f.Fatal(err)
	}
	return b.Bytes()
}
