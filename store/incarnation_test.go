package store

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// envelopes returns the journal as published: seq → the envelope decoded.
func envelopes(t *testing.T, db *DB) []floorgate.Event {
	t.Helper()
	out, err := db.JournalRange(0, 1<<62, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]floorgate.Event, len(out))
	for i, o := range out {
		if err := json.Unmarshal(o.Payload, &evs[i]); err != nil {
			t.Fatalf("envelope %d: %v", o.Seq, err)
		}
		if evs[i].ID != o.ID || evs[i].Seq != o.Seq {
			t.Fatalf("envelope %d: %s", o.Seq, o.Payload)
		}
	}
	return evs
}

// TestRestoreBeginsANewIncarnation is the restore case: events made after
// a backup are seen upstream; the backup is restored and new events are
// made. None of them reuses an id the ERP has seen, the restore is the new
// incarnation's first event, and seq carries on from the backup's.
func TestRestoreBeginsANewIncarnation(t *testing.T) {
	e := newEnv(t)
	first := e.db.Incarnation()
	if first.ID == "" || first.FirstSeq != 1 || first.RestoredFrom != "" {
		t.Fatalf("a new database's incarnation: %+v", first)
	}
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T-R0", line("L1", "S1", 1))}); err != nil {
		t.Fatal(err)
	}
	backup := backupTo(t, e.db)
	atBackup := e.db.LastSeq()
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T-R1", line("L1", "S1", 1))}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{} // id → type and task, as the ERP got them
	for _, ev := range envelopes(t, e.db) {
		if ev.Incarnation != first.ID {
			t.Fatalf("event %s carries incarnation %q, want %q", ev.ID, ev.Incarnation, first.ID)
		}
		seen[ev.ID] = ev.Type + " " + string(ev.Data)
	}
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}

	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	res, err := Restore(backup, e.path, now)
	if err != nil {
		t.Fatal(err)
	}
	inc, err := ReadIncarnation(e.path)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Restored; r.Incarnation != inc.ID || r.LastSeq != atBackup+1 {
		t.Fatalf("restore reports incarnation %s up to seq %d, want %s up to %d", r.Incarnation, r.LastSeq, inc.ID, atBackup+1)
	}
	e.open()
	want := floorgate.Incarnation{ID: inc.ID, FirstSeq: atBackup + 1, RestoredFrom: first.ID, RestoredSeq: atBackup, RestoredAt: now}
	if got := e.db.Incarnation(); got != want || got.ID == first.ID || len(got.ID) != len(first.ID) {
		t.Fatalf("after the restore: incarnation %+v, want %+v (not %s)", got, want, first.ID)
	}
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T-R2", line("L1", "S1", 1))}); err != nil {
		t.Fatal(err)
	}

	evs := envelopes(t, e.db)
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("journal[%d] has seq %d: not one numbered log", i, ev.Seq)
		}
		if ev.Seq <= atBackup {
			continue // the backup's own events, published again: same ids
		}
		if ev.Incarnation != want.ID || ev.ID != eventID(want.ID, ev.Seq) {
			t.Fatalf("event %d after the restore: id %s incarnation %q, want incarnation %s", ev.Seq, ev.ID, ev.Incarnation, want.ID)
		}
		if was, ok := seen[ev.ID]; ok {
			t.Fatalf("id %s was %s before the restore and is %s %s after it", ev.ID, was, ev.Type, ev.Data)
		}
	}
	restored := evs[atBackup]
	var rec floorgate.Incarnation
	if err := json.Unmarshal(restored.Data, &rec); err != nil || restored.Type != floorgate.EventGatewayRestored ||
		rec != want || !restored.Time.Equal(now) {
		t.Fatalf("the new incarnation's first event: %+v (%+v, %v)", restored, rec, err)
	}
	if last := evs[len(evs)-1]; last.Type != floorgate.EventTaskReceived || last.Seq != atBackup+2 {
		t.Fatalf("the task after the restore: %+v", last)
	}
	// What the store itself decodes agrees with what it publishes.
	if got := e.journal()[atBackup+1]; got.Incarnation != want.ID {
		t.Fatalf("Journal: %+v", got)
	}

	// The restored database opens again as the same incarnation.
	e.reopen()
	if got := e.db.Incarnation(); got != want {
		t.Fatalf("reopened: %+v, want %+v", got, want)
	}
}

// TestNewDatabaseIsANewIncarnation: a database created anew for a gateway
// id that already had one (a replaced disk, say) begins its own
// incarnation at seq 1, so its ids differ from the old database's.
func TestNewDatabaseIsANewIncarnation(t *testing.T) {
	a, b := newEnv(t), newEnv(t)
	ia, ib := a.db.Incarnation(), b.db.Incarnation()
	if ia.ID == ib.ID || ia.FirstSeq != 1 || ib.FirstSeq != 1 || ib.RestoredFrom != "" {
		t.Fatalf("two databases of gateway %s: %+v and %+v", testSite.Gateway, ia, ib)
	}
	emitAt(t, a.db, floorgate.EventScanAccepted, a.clock.Now(), 2)
	emitAt(t, b.db, floorgate.EventScanAccepted, b.clock.Now(), 2)
	for i, ev := range envelopes(t, b.db) {
		if old := envelopes(t, a.db)[i]; ev.Seq != old.Seq || ev.ID == old.ID || ev.Incarnation != ib.ID {
			t.Fatalf("seq %d: new database %s (%s), old %s", ev.Seq, ev.ID, ev.Incarnation, old.ID)
		}
	}
}

// TestDatabaseBeforeIncarnations: a database written before incarnations
// has none stored; its database id becomes its first incarnation, so the
// ids of its next events follow on from those it gave.
func TestDatabaseBeforeIncarnations(t *testing.T) {
	e := newEnv(t)
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 2)
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	var dbID string
	bdb, err := bolt.Open(e.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(tx *bolt.Tx) error {
		dbID = string(tx.Bucket(bucketMeta).Get(keyDBID))
		return tx.Bucket(bucketMeta).Delete(keyIncarnation)
	}); err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	if inc, err := ReadIncarnation(e.path); err != nil || inc.ID != dbID {
		t.Fatalf("an old file's incarnation: %+v %v", inc, err)
	}
	e.open()
	if inc := e.db.Incarnation(); inc != (floorgate.Incarnation{ID: dbID, FirstSeq: 1}) {
		t.Fatalf("incarnation %+v, want the database id %s", inc, dbID)
	}
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 1)
	if evs := envelopes(t, e.db); evs[2].ID != dbID+"-3" {
		t.Fatalf("next id %s, want %s-3", evs[2].ID, dbID)
	}

	// Restoring a backup of such a database supersedes the database id.
	backup := filepath.Join(t.TempDir(), "old.db")
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(backup, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(backup, e.path, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if inc, err := ReadIncarnation(e.path); err != nil || inc.RestoredFrom != dbID || inc.FirstSeq != 4 {
		t.Fatalf("restored: %+v %v", inc, err)
	}
}

func TestEnvelopeWithIncarnationMatchesEncodingJSON(t *testing.T) {
	e := newEnv(t)
	ev := floorgate.NewEvent(floorgate.EventGatewayRestored, time.Date(2026, 11, 22, 9, 1, 2, 345678900, time.UTC),
		floorgate.Incarnation{ID: "0a1b", FirstSeq: 8, RestoredFrom: "ffee", RestoredSeq: 7})
	ev.ID, ev.Seq, ev.Site, ev.Gateway, ev.Incarnation = "0a1b-8", 8, testSite.ID, testSite.Gateway, "0a1b"
	want, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.db.envelope(ev); string(got) != string(want) {
		t.Fatalf("envelope\n got %s\nwant %s", got, want)
	}
}
