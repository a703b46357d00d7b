package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan/gs1"
	bolt "go.etcd.io/bbolt"
)

// stateBuckets hold what a command may change; the journal, outbox,
// command ids, step log and audit trail are where its answer goes.
var stateBuckets = [][]byte{bucketLocations, bucketItems, bucketOperators, bucketDevices, bucketTasks,
	bucketSessions, bucketShipments, bucketSerials, bucketIntercepts, bucketPrintJobs, bucketVerdicts, bucketParcels, bucketWaves, bucketTimelines}

// fingerprint is a digest of every state bucket and the in-memory counts.
func fingerprint(t *testing.T, db *DB) (Counts, [32]byte) {
	t.Helper()
	h := sha256.New()
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range stateBuckets {
			h.Write(name)
			b := tx.Bucket(name)
			if b == nil {
				continue
			}
			if err := b.ForEach(func(k, v []byte) error {
				h.Write([]byte{0})
				h.Write(k)
				h.Write([]byte{0})
				h.Write(v)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := db.Counts()
	c.LastSeq = 0
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return c, sum
}

// fuzzMaster is the floor the docs/schemas/examples commands refer to.
func fuzzMaster() Master {
	m := Master{Operators: []floorgate.Operator{{ID: "op-1", Name: "Picker", Badge: "B1001", PINHash: pinHash, Role: floorgate.RolePicker}}}
	for _, l := range []string{"A-01-03-2", "C-04-02-3", "B-02-01-1"} {
		m.Locations = append(m.Locations, floorgate.Location{Code: l, Barcode: "LOC-" + l, LabelXMM: 0.375})
	}
	for i, s := range []string{"SKU-7731", "SKU-5120", "SKU-1002"} {
		m.Items = append(m.Items, floorgate.Item{SKU: s, Name: s, Barcodes: []string{ean13(fmt.Sprintf("69012345678%d", 9-i))}})
	}
	return m
}

// ean13 is p and its GS1 check digit.
func ean13(p string) string { return p + string(gs1.CheckDigit(p)) }

// commandExamples are the command examples of the published schema.
var commandExamples = []string{"task.create", "task.update", "task.cancel", "master.put", "shipment.put", "events.replay", "wave.release", "order.release", "command-envelope"}

// FuzzApplyCommand applies arbitrary bytes as an upstream command to a
// store holding a small floor (a fresh copy per input) and asserts that
//   - every input is answered: ApplyCommand returns no error, and a new
//     command leaves exactly one command.applied or command.rejected event
//     last in the journal, agreeing with the result;
//   - a rejection has a reason, and changes no state: the state buckets
//     and counts are byte-for-byte the same, and it adds no event but the
//     rejection;
//   - applying the same bytes again gives the same answer, marked
//     Duplicate when the command had an id, and then changes nothing and
//     emits nothing.
func FuzzApplyCommand(f *testing.F) {
	for _, name := range commandExamples {
		raw, err := os.ReadFile(filepath.Join("..", "docs", "schemas", "examples", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"id":"c7",`))
	f.Add([]byte(`{"id":"c4","type":"task.create","data":{"taks":[]}}`))
	f.Add([]byte(`{"id":"c5","type":"task.cancel","data":{"task":7,"reason":"x"}}`))
	f.Add([]byte(`{"id":"","type":"task.create","data":{}}`))

	// Each input gets its own copy of one prepared database: a shared one
	// would make an input's outcome depend on the inputs before it, which
	// defeats the fuzzer's minimisation; a copy opens in a few ms.
	dir := f.TempDir()
	template := fuzzTemplate(f, filepath.Join(dir, "template.db"))
	path := filepath.Join(dir, "floorgate.db")

	f.Fuzz(func(t *testing.T, raw []byte) {
		if err := os.WriteFile(path, template, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(path, fuzzOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		counts, sum := fingerprint(t, db)
		seq := db.LastSeq()
		res, err := db.ApplyCommand(ctx, raw)
		if err != nil {
			t.Fatalf("ApplyCommand(%q): %v", raw, err)
		}
		if res.Duplicate {
			checkUnchanged(t, db, raw, counts, sum, seq, 0)
		} else {
			typ, rec := lastEvent(t, db, seq)
			if res.Applied != (typ == floorgate.EventCommandApplied) || (typ != floorgate.EventCommandApplied && typ != floorgate.EventCommandRejected) ||
				rec.CommandID != res.ID || rec.Field != res.Field || rec.Reason != res.Reason {
				t.Fatalf("ApplyCommand(%q) = %+v, answered %s %+v", raw, res, typ, rec)
			}
			if !res.Applied {
				if res.Reason == "" {
					t.Fatalf("ApplyCommand(%q) = %+v: a rejection without a reason", raw, res)
				}
				checkUnchanged(t, db, raw, counts, sum, seq, 1)
			}
		}

		counts, sum = fingerprint(t, db)
		seq = db.LastSeq()
		again, err := db.ApplyCommand(ctx, raw)
		if err != nil {
			t.Fatalf("ApplyCommand(%q) again: %v", raw, err)
		}
		if res.ID != "" && !again.Duplicate {
			t.Fatalf("ApplyCommand(%q) again = %+v, not a duplicate", raw, again)
		}
		again.Duplicate = res.Duplicate
		if again != res {
			t.Fatalf("ApplyCommand(%q): first %+v, again %+v", raw, res, again)
		}
		if res.ID != "" {
			checkUnchanged(t, db, raw, counts, sum, seq, 0)
		}
	})
}

func fuzzOptions() Options {
	return Options{Site: testSite, Clock: floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))}
}

// fuzzTemplate prepares the floor of fuzzMaster with a waiting task
// T-1003 and command id "0" answered, and returns the database file.
func fuzzTemplate(f *testing.F, path string) []byte {
	f.Helper()
	db := openDB(f, path, fuzzOptions())
	if err := db.PutMaster(ctx, fuzzMaster()); err != nil {
		f.Fatal(err)
	}
	if _, err := db.ImportTasks(ctx, []floorgate.Task{task("T-1003", line("A-01-03-2", "SKU-7731", 1))}); err != nil {
		f.Fatal(err)
	}
	// testdata/fuzz/FuzzApplyCommand/malformed_resend sends command "0"
	// again, malformed: it once came back as a fresh rejection that nothing
	// recorded, instead of the first answer marked Duplicate.
	if _, err := db.ApplyCommand(ctx, []byte(`{"id":"0","type":"events.replay","data":{"from_seq":1}}`)); err != nil {
		f.Fatal(err)
	}
	if err := db.Close(); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// checkUnchanged fails unless the state is as fingerprinted and the
// journal grew by events events (the rejection, when 1).
func checkUnchanged(t *testing.T, db *DB, raw []byte, counts Counts, sum [32]byte, seq uint64, events uint64) {
	t.Helper()
	c, s := fingerprint(t, db)
	if c != counts || s != sum {
		t.Fatalf("command %q changed state: counts %+v → %+v", raw, counts, c)
	}
	if got := db.LastSeq(); got != seq+events {
		t.Fatalf("command %q: journal %d → %d, want %d new events", raw, seq, got, events)
	}
	if events == 1 {
		if typ, _ := lastEvent(t, db, seq); typ != floorgate.EventCommandRejected {
			t.Fatalf("command %q: event %s, want %s", raw, typ, floorgate.EventCommandRejected)
		}
	}
}

// lastEvent is the last of the events after seq, which must be a command
// answer.
func lastEvent(t *testing.T, db *DB, seq uint64) (string, floorgate.CommandRecord) {
	t.Helper()
	evs, err := db.Journal(seq+1, floorgate.MaxReplay)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 {
		t.Fatalf("no event after %d", seq)
	}
	ev := evs[len(evs)-1]
	var rec floorgate.CommandRecord
	dec := json.NewDecoder(bytes.NewReader(ev.Data))
	if err := dec.Decode(&rec); err != nil {
		t.Fatalf("event %s: %v", ev.Type, err)
	}
	return ev.Type, rec
}
