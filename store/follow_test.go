package store

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/floorgate/floorgate"
)

// A follower hears of every committed event once, in sequence order, as
// the journal holds it, whether commits are lone or grouped; after stop it
// hears nothing.
func TestFollowTellsEveryCommittedEvent(t *testing.T) {
	e := newEnv(t)
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 3) // before following
	var mu sync.Mutex
	var told []floorgate.Event
	stop := e.db.Follow(func(evs []floorgate.Event) {
		mu.Lock()
		told = append(told, evs...)
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				evs := []floorgate.Event{floorgate.NewEvent(floorgate.EventScanAccepted, e.clock.Now(), floorgate.ScanRecord{ScanID: fmt.Sprint(g, "-", i)})}
				if i%5 == 0 {
					evs = append(evs, floorgate.NewEvent(floorgate.EventLineConfirmed, e.clock.Now(), floorgate.LineRecord{Task: fmt.Sprint("T", g)}))
				}
				if err := e.db.EmitEvents(ctx, evs); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	e.pda("pda-1", "BADGE1") // a login: events from a command's own commit
	stop()
	emitAt(t, e.db, floorgate.EventScanAccepted, e.clock.Now(), 2) // after stop
	all := e.journal()
	want := all[3 : len(all)-2]
	if len(told) != len(want) {
		t.Fatalf("told of %d events, the journal has %d committed while following", len(told), len(want))
	}
	for i, ev := range told {
		w := want[i]
		if ev.Seq != w.Seq || ev.ID != w.ID || ev.Type != w.Type || ev.Incarnation != w.Incarnation ||
			ev.Site != w.Site || !ev.Time.Equal(w.Time) || !bytes.Equal(ev.Data, w.Data) {
			t.Fatalf("told[%d] = %d %s %s, the journal holds %d %s %s", i, ev.Seq, ev.Type, ev.Data, w.Seq, w.Type, w.Data)
		}
	}
}
