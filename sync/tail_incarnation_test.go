package sync_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/store"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// TestTailAcrossRestore is the restore case end to end: a real gateway's
// events reach the consumer; a backup is restored and the floor goes on.
// The consumer reports a new incarnation, restored from the old one at the
// backup's seq; the events the restore undid are superseded, not gaps; no
// event after the restore is taken for a duplicate; and the log has no gap.
func TestTailAcrossRestore(t *testing.T) {
	b := mqtttest.Start(t)
	f := openFloor(t, site)
	var logs lockedLog
	tl, _ := startTail(t, fgsync.TailConfig{Broker: b.URL(), ClientID: fmt.Sprint("erp-", time.Now().UnixNano()),
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	key := site.ID + "/" + site.Gateway
	_, stop := link(t, f, b.URL())
	f.pick(10)
	complete(t, f, tl)
	before := f.db.Incarnation()

	backup := filepath.Join(t.TempDir(), "backup.db")
	out, err := os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Backup(out); err != nil {
		t.Fatal(err)
	}
	out.Close()
	atBackup := f.lastSeq()
	okAtBackup := len(f.ok)
	f.pick(10) // seen upstream, then undone by the restore
	complete(t, f, tl)
	undone := f.lastSeq() - atBackup
	seenBefore := tl.Stats().Unique

	stop()
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	restoredAt := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if _, err := store.Restore(backup, f.path, restoredAt); err != nil {
		t.Fatal(err)
	}
	f.open(site)
	f.ok = f.ok[:okAtBackup] // the scans the restore undid
	after := f.db.Incarnation()
	link(t, f, b.URL())
	f.pick(10)
	complete(t, f, tl)

	want := floorgate.Incarnation{ID: after.ID, FirstSeq: atBackup + 1, RestoredFrom: before.ID, RestoredSeq: atBackup, RestoredAt: restoredAt}
	s := tl.Stats()
	if got := s.Incarnation[key]; got != want || after != want {
		t.Fatalf("consumer's incarnation %+v, gateway's %+v, want %+v", got, after, want)
	}
	if s.IncarnationChanges[key] != 1 || s.Superseded[key] != int(undone) || len(s.Gaps[key]) != 0 {
		t.Fatalf("changes %d, superseded %d (want %d), gaps %v", s.IncarnationChanges[key], s.Superseded[key], undone, s.Gaps[key])
	}
	// Every event of the new incarnation is new to the consumer: none was
	// dropped as a duplicate of an undone one.
	evs, err := f.db.Journal(atBackup+1, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if s.Unique != seenBefore+len(evs) {
		t.Fatalf("%d unique events, want %d before the restore + %d after", s.Unique, seenBefore, len(evs))
	}
	if evs[0].Type != floorgate.EventGatewayRestored || evs[0].Incarnation != after.ID {
		t.Fatalf("first event after the restore: %+v", evs[0])
	}
	line := fmt.Sprintf("gateway %s: new incarnation %s (restored from %s at seq %d)", key, after.ID, before.ID, atBackup)
	if n := strings.Count(logs.String(), line); n != 1 {
		t.Fatalf("the restore reported %d times, want once as %q:\n%s", n, line, logs.String())
	}
	t.Logf("duplicates %d (the backup's unacknowledged events, sent again)", s.Duplicates)
}

// scriptedEvent publishes a hand-made event of incarnation inc.
func scriptedEvent(t *testing.T, c mqtt.Client, inc string, seq uint64, typ string, data any) string {
	t.Helper()
	raw, _ := json.Marshal(data)
	ev := floorgate.Event{ID: fmt.Sprint(inc, "-", seq), Seq: seq, Site: site.ID, Gateway: site.Gateway, Incarnation: inc, Type: typ, Schema: 1, Data: raw}
	payload, _ := json.Marshal(ev)
	if tok := c.Publish(fgsync.TopicsFor(site.ID, site.Gateway).Events, 1, false, payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	return ev.ID
}

// TestTailFollowsIncarnations feeds the consumer a stream across a
// restore and then a new database, as the contract's rule (§11) reads:
// the same id is a duplicate; an incarnation's events above where the next
// one began are superseded; a missing number of the current log is a gap,
// even where an undone event once had that number.
func TestTailFollowsIncarnations(t *testing.T) {
	b := mqtttest.Start(t)
	var logs lockedLog
	tl, _ := startTail(t, fgsync.TailConfig{Broker: b.URL(), ClientID: fmt.Sprint("erp-", time.Now().UnixNano()),
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL()).SetClientID(fmt.Sprint("scripted-", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer c.Disconnect(100)
	key := site.ID + "/" + site.Gateway
	has := func(id string) {
		t.Helper()
		poll.Eventually(t, 10*time.Second, func() bool { return tl.Has(id) }, func() string { return "the consumer never got " + id })
	}
	check := func(what string, contiguous uint64, gaps []uint64, dups, superseded, changes int, inc floorgate.Incarnation) {
		t.Helper()
		s := tl.Stats()
		if s.Contiguous[key] != contiguous || fmt.Sprint(s.Gaps[key]) != fmt.Sprint(gaps) || s.Duplicates != dups ||
			s.Superseded[key] != superseded || s.IncarnationChanges[key] != changes || s.Incarnation[key] != inc {
			t.Fatalf("%s: contiguous %d gaps %v duplicates %d superseded %d changes %d incarnation %+v\nwant %d %v %d %d %d %+v",
				what, s.Contiguous[key], s.Gaps[key], s.Duplicates, s.Superseded[key], s.IncarnationChanges[key], s.Incarnation[key],
				contiguous, gaps, dups, superseded, changes, inc)
		}
	}
	rec := map[string]string{"task": "T"}

	for seq := uint64(1); seq <= 5; seq++ {
		scriptedEvent(t, c, "aaaa", seq, floorgate.EventTaskReceived, rec)
	}
	has("aaaa-5")
	check("first incarnation", 5, nil, 0, 0, 0, floorgate.Incarnation{ID: "aaaa", FirstSeq: 1})

	// Restored from a backup at seq 3: aaaa-4 and aaaa-5 are undone.
	restored := floorgate.Incarnation{ID: "bbbb", FirstSeq: 4, RestoredFrom: "aaaa", RestoredSeq: 3}
	scriptedEvent(t, c, "bbbb", 4, floorgate.EventGatewayRestored, restored)
	scriptedEvent(t, c, "aaaa", 3, floorgate.EventTaskReceived, rec) // the backup's outbox, sent again
	has(scriptedEvent(t, c, "bbbb", 6, floorgate.EventTaskReceived, rec))
	// bbbb-5 was lost on the way: a gap, though aaaa-5 once had seq 5.
	check("after the restore", 4, []uint64{5}, 1, 2, 1, restored)
	has(scriptedEvent(t, c, "aaaa", 6, floorgate.EventTaskReceived, rec)) // late: undone
	has(scriptedEvent(t, c, "bbbb", 5, floorgate.EventTaskReceived, rec))
	check("the gap filled", 6, nil, 1, 3, 1, restored)
	line := "gateway " + key + ": new incarnation bbbb (restored from aaaa at seq 3)"
	if n := strings.Count(logs.String(), line); n != 1 {
		t.Fatalf("the restore reported %d times, want once as %q:\n%s", n, line, logs.String())
	}

	// A new database for the gateway, announced by its status.
	status, _ := json.Marshal(fgsync.StatusMessage{State: "online", Site: site.ID, Gateway: site.Gateway, Time: time.Now(),
		LastSeq: 0, Incarnation: "cccc", IncarnationSeq: 1})
	if tok := c.Publish(fgsync.TopicsFor(site.ID, site.Gateway).Status, 1, false, status); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	poll.Eventually(t, 10*time.Second, func() bool { return tl.Stats().Incarnation[key].ID == "cccc" }, func() string { return fmt.Sprintf("the new database's status not taken: %+v", tl.Stats().Incarnation) })
	scriptedEvent(t, c, "cccc", 1, floorgate.EventTaskReceived, rec)
	has(scriptedEvent(t, c, "cccc", 2, floorgate.EventTaskReceived, rec))
	check("a new database", 2, nil, 1, 3+6, 2, floorgate.Incarnation{ID: "cccc", FirstSeq: 1})
	if !strings.Contains(logs.String(), "gateway "+key+": new incarnation cccc (a new database") {
		t.Fatalf("the new database not reported:\n%s", logs.String())
	}
}
