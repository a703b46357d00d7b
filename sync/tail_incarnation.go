package sync

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
)

// incarnations is what the consumer knows of one gateway's incarnations
// (contract §11): which one the gateway runs now, where it began, and
// where each one before it was superseded.
//
// The gateway's journal is one numbered log: the current incarnation's
// events from its first seq on and, below that, the events of the
// incarnations before it, each up to where the next superseded it.
// gatewaySeqs tracks that one log, so gap detection and replays work on
// it as they did before there were incarnations. An event outside it —
// of an incarnation a restore superseded, above the seq where it did — is
// counted as superseded: not missing, not a duplicate. An event of an
// incarnation not announced yet waits for the announcement: a status or
// the incarnation's gateway.restored event, which the gateway publishes
// before the incarnation's other events.
type incarnations struct {
	current string                            // "" until the first event or status
	known   map[string]*floorgate.Incarnation // every incarnation seen, by id
	// cut holds the superseded incarnations: their events above it are
	// no longer the gateway's.
	cut        map[string]uint64
	waiting    map[string][]uint64 // seqs received of incarnations not yet announced
	unreported string              // the current incarnation, announced by a status, until its gateway.restored says what it replaced
	superseded int
	changes    int
}

func newIncarnations() incarnations {
	return incarnations{known: map[string]*floorgate.Incarnation{}, cut: map[string]uint64{}, waiting: map[string][]uint64{}}
}

// incarnationOf is an event's incarnation: its envelope's, or, for an
// event journalled before incarnations were in the envelope, its id up to
// the last "-" (contract §5).
func incarnationOf(ev floorgate.Event) string {
	if ev.Incarnation != "" {
		return ev.Incarnation
	}
	if i := strings.LastIndexByte(ev.ID, '-'); i > 0 {
		return ev.ID[:i]
	}
	return ev.ID
}

// record marks seq received in the gateway's log.
func (g *gatewaySeqs) record(seq uint64) {
	if seq > g.contiguous {
		g.above[seq] = true
		g.high = max(g.high, seq)
		g.advance()
	}
}

// truncate forgets the log above seq, which a new incarnation superseded,
// and returns how many events received it forgot.
func (g *gatewaySeqs) truncate(seq uint64) int {
	n := 0
	if g.contiguous > seq {
		n += int(g.contiguous - seq)
		g.contiguous = seq
	}
	for q := range g.above {
		if q > seq {
			delete(g.above, q)
			n++
		}
	}
	g.high, g.top, g.settled = min(g.high, seq), min(g.top, seq), g.contiguous
	lost := g.lost[:0]
	for _, s := range g.lost {
		if s.from <= seq {
			s.to = min(s.to, seq)
			lost = append(lost, s)
		}
	}
	g.lost = lost
	g.unfilled = 0
	g.gapSince = time.Time{}
	g.advance()
	return n
}

// place files an event just received into the gateway's log, as
// superseded, or to wait for its incarnation's announcement; a
// gateway.restored event is such an announcement. A duplicate is filed
// again (a replay of an event the log lost track of fills it) but not
// counted again. Callers hold mu.
func (t *Tail) place(g *gatewaySeqs, ev floorgate.Event, dup bool) {
	inc := incarnationOf(ev)
	if ev.Type == floorgate.EventGatewayRestored {
		var rec floorgate.Incarnation
		if json.Unmarshal(ev.Data, &rec) == nil && rec.ID == inc && rec.FirstSeq == ev.Seq {
			t.begin(g, rec)
		}
	}
	if g.current == "" {
		// The first incarnation this consumer sees is taken to begin at
		// 1 (it expects a gateway's whole history) until a status or its
		// gateway.restored says where it began.
		g.current = inc
		g.known[inc] = &floorgate.Incarnation{ID: inc, FirstSeq: 1}
	}
	cut, superseded := g.cut[inc]
	switch {
	case inc == g.current, ev.Seq < g.known[g.current].FirstSeq && (!superseded || ev.Seq <= cut):
		// Below the current incarnation's first seq, an event of an
		// incarnation not known here is taken for one of those before it.
		g.record(ev.Seq)
	case dup:
	case superseded:
		g.superseded++
	default:
		g.waiting[inc] = append(g.waiting[inc], ev.Seq)
	}
}

// begin takes note of an incarnation announced by a status or its
// gateway.restored event. A new one supersedes the current incarnation
// (and every one before it) from its first seq on. Callers hold mu.
func (t *Tail) begin(g *gatewaySeqs, rec floorgate.Incarnation) {
	if _, old := g.cut[rec.ID]; old || rec.ID == "" || rec.FirstSeq == 0 {
		return // news of an incarnation already superseded
	}
	if k := g.known[rec.ID]; k != nil {
		k.FirstSeq = rec.FirstSeq
		if rec.RestoredFrom != "" && k.RestoredFrom == "" {
			k.RestoredFrom, k.RestoredSeq, k.RestoredAt = rec.RestoredFrom, rec.RestoredSeq, rec.RestoredAt
			if g.unreported == rec.ID {
				g.unreported = ""
				t.report(g, k)
			}
		}
		return
	}
	inc := rec
	g.known[rec.ID] = &inc
	if g.current == "" {
		g.current = rec.ID
		return
	}
	// The log is kept below the new incarnation's first seq; restored
	// from an incarnation before the current one, the current one is
	// superseded whole.
	keep := rec.FirstSeq - 1
	cur := g.known[g.current]
	if rec.RestoredFrom != "" && rec.RestoredFrom != cur.ID {
		keep = min(keep, cur.FirstSeq-1)
		g.cut[cur.ID] = cur.FirstSeq - 1
	}
	for id := range g.known {
		if id == rec.ID {
			continue
		}
		if c, ok := g.cut[id]; !ok || c > keep {
			g.cut[id] = keep
		}
	}
	if _, ok := g.known[rec.RestoredFrom]; ok && rec.RestoredFrom != cur.ID {
		g.cut[rec.RestoredFrom] = rec.RestoredSeq
	}
	if a := g.ask; a != nil && a.to > keep {
		t.settle(a)
	}
	g.superseded += g.truncate(keep)
	g.changes++
	g.current = rec.ID
	for _, seq := range g.waiting[rec.ID] {
		g.record(seq)
	}
	delete(g.waiting, rec.ID)
	if rec.RestoredFrom == "" && rec.FirstSeq > 1 {
		g.unreported = rec.ID // its gateway.restored will say what it replaced
		return
	}
	t.report(g, &inc)
}

// report says on the log that a gateway began a new incarnation.
// The superseded events are not lost: they happened on the floor, but the
// gateway no longer remembers them.
func (t *Tail) report(g *gatewaySeqs, inc *floorgate.Incarnation) {
	key := g.site + "/" + g.gateway
	why := "a new database: the earlier incarnations ended"
	if inc.RestoredFrom != "" {
		why = "restored from " + inc.RestoredFrom + " at seq " + strconv.FormatUint(inc.RestoredSeq, 10)
	}
	t.cfg.Log.Info("gateway "+key+": new incarnation "+inc.ID+" ("+why+")",
		"first_seq", inc.FirstSeq, "superseded", g.superseded)
}
