package store

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// state is the working set held in memory: master data, open tasks and
// sessions. The database file is its durable copy; the process holds the
// file's lock, so memory is authoritative while it runs. Closed tasks and
// the journal stay on disk only.
type state struct {
	site        floorgate.Site
	locations   map[string]*floorgate.Location
	items       map[string]*floorgate.Item
	barcodes    map[string]floorgate.Match // barcodeKey → what it names
	operators   map[string]*floorgate.Operator
	badges      map[string]string // badge → operator id
	devices     map[string]*floorgate.Device
	tokens      map[string]*APIToken // id → API token
	sessions    map[string]floorgate.Session
	open        map[string]*floorgate.Task // held, pending and assigned tasks
	waves       map[string]*floorgate.Wave // every wave declared
	carts       map[string]*floorgate.Cart
	totes       map[string]*floorgate.Tote
	bindings    map[string]*floorgate.ToteBinding // tote id → the order it holds
	toteOf      map[string]string                 // task id → its tote
	walls       map[string]*floorgate.Wall
	batches     map[string]*floorgate.Batch
	shelf       map[string]*floorgate.HeldParcel    // presale parcels packed and not shipped, by order
	timelines   map[string]*floorgate.OrderTimeline // open orders' timelines
	cases       map[string]*caseRecord              // open exception cases, by id
	openByOrder map[string]int                      // order → its open cases
	upstream    map[uint64]string                   // seq of an exception.raised not yet acked → its case
	pending     []queued                            // pending tasks in the order they are given out
	seq         uint64                              // last event sequence number committed
	verdicts    map[string][]deviceVerdict          // device → its recent verdicts, oldest first

	// The outbox: events up to acked have left it; ackedAbove holds acks
	// that arrived out of order above it. ackedOnDisk is the watermark the
	// file holds, at or below acked: it is written lazily (outbox.go).
	acked       uint64
	ackedAbove  map[uint64]bool
	ackedOnDisk uint64

	// What changed since the last checkpoint (see steps.go).
	dirtySessions, dirtyTasks, dirtyVerdicts map[string]bool
}

// queued orders pending tasks: the higher wave priority first, then the
// higher task priority, then first in, first out.
type queued struct {
	wave     int // the priority of the task's wave; 0 without one
	priority int
	created  int64
	id       string
}

func cmpQueued(a, b queued) int {
	if c := cmp.Compare(b.wave, a.wave); c != 0 {
		return c
	}
	if c := cmp.Compare(b.priority, a.priority); c != 0 {
		return c
	}
	if c := cmp.Compare(a.created, b.created); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// queueable reports whether t waits in the queue for a picker: a pending
// task, not an order sorted at a put wall (its batch's pick task is
// queued instead).
func queueable(t *floorgate.Task) bool {
	return t.Status == floorgate.TaskPending && t.Mode != floorgate.ModeBatch && t.Mode != floorgate.ModeSingle
}

// queuedOf is t's place in the queue. A wave's priority never changes once
// declared, so a queued task's place does not move under it.
func (st *state) queuedOf(t *floorgate.Task) queued {
	q := queued{priority: t.Priority, created: t.Created.UnixNano(), id: t.ID}
	if wv := st.waves[t.Wave]; wv != nil && t.Wave != "" {
		q.wave = wv.Priority
	}
	return q
}

func load(tx *bolt.Tx) (*state, error) {
	st := &state{
		locations:   map[string]*floorgate.Location{},
		items:       map[string]*floorgate.Item{},
		barcodes:    map[string]floorgate.Match{},
		operators:   map[string]*floorgate.Operator{},
		badges:      map[string]string{},
		devices:     map[string]*floorgate.Device{},
		tokens:      map[string]*APIToken{},
		sessions:    map[string]floorgate.Session{},
		open:        map[string]*floorgate.Task{},
		waves:       map[string]*floorgate.Wave{},
		carts:       map[string]*floorgate.Cart{},
		totes:       map[string]*floorgate.Tote{},
		bindings:    map[string]*floorgate.ToteBinding{},
		toteOf:      map[string]string{},
		walls:       map[string]*floorgate.Wall{},
		batches:     map[string]*floorgate.Batch{},
		shelf:       map[string]*floorgate.HeldParcel{},
		timelines:   map[string]*floorgate.OrderTimeline{},
		cases:       map[string]*caseRecord{},
		openByOrder: map[string]int{},
		upstream:    map[uint64]string{},
		verdicts:    map[string][]deviceVerdict{},

		ackedAbove: map[uint64]bool{},

		dirtySessions: map[string]bool{},
		dirtyTasks:    map[string]bool{},
		dirtyVerdicts: map[string]bool{},
	}
	if err := each(tx, bucketLocations, func(l *floorgate.Location) {
		st.locations[l.Code] = l
		st.barcodes[barcodeKey(l.Barcode)] = floorgate.Match{Kind: floorgate.MatchLocation, Location: l}
	}); err != nil {
		return nil, err
	}
	if err := each(tx, bucketItems, func(it *floorgate.Item) {
		st.items[it.SKU] = it
		for _, b := range it.Barcodes {
			st.barcodes[barcodeKey(b)] = floorgate.Match{Kind: floorgate.MatchItem, Item: it}
		}
	}); err != nil {
		return nil, err
	}
	if err := each(tx, bucketOperators, func(o *floorgate.Operator) {
		st.operators[o.ID] = o
		st.badges[o.Badge] = o.ID
	}); err != nil {
		return nil, err
	}
	if err := each(tx, bucketDevices, func(d *floorgate.Device) { st.devices[d.ID] = d }); err != nil {
		return nil, err
	}
	if err := each(tx, bucketTokens, func(t *APIToken) { st.tokens[t.ID] = t }); err != nil {
		return nil, err
	}
	if err := each(tx, bucketSessions, func(s *floorgate.Session) { st.sessions[s.Device] = *s }); err != nil {
		return nil, err
	}
	if err := each(tx, bucketWaves, func(wv *floorgate.Wave) { st.waves[wv.ID] = wv }); err != nil {
		return nil, err
	}
	if err := each(tx, bucketTimelines, func(t *floorgate.OrderTimeline) {
		if t.Open() {
			st.timelines[t.Order] = t
		}
	}); err != nil {
		return nil, err
	}
	if err := each(tx, bucketExceptions, func(c *caseRecord) {
		if c.Status == floorgate.ExceptionOpen {
			st.cases[c.ID] = c
			st.openByOrder[c.Order]++
		}
		if c.UpstreamAt.IsZero() && c.Seq > 0 {
			st.upstream[c.Seq] = c.ID
		}
	}); err != nil {
		return nil, err
	}
	if err := each(tx, bucketParcels, func(p *floorgate.HeldParcel) {
		if !p.Packed.IsZero() && p.Shipped.IsZero() {
			st.shelf[p.Order] = p
		}
	}); err != nil {
		return nil, err
	}
	if err := each(tx, bucketCarts, func(c *floorgate.Cart) {
		st.carts[c.ID] = c
		st.barcodes[barcodeKey(c.Barcode)] = floorgate.Match{Kind: floorgate.MatchCart, Cart: c}
	}); err != nil {
		return nil, err
	}
	if err := each(tx, bucketTotes, func(t *floorgate.Tote) {
		st.totes[t.ID] = t
		st.barcodes[barcodeKey(t.Barcode)] = floorgate.Match{Kind: floorgate.MatchTote, Tote: t}
	}); err != nil {
		return nil, err
	}
	if err := each(tx, bucketWalls, func(wl *floorgate.Wall) {
		st.walls[wl.ID] = wl
		for i, code := range wl.Slots {
			st.barcodes[barcodeKey(code)] = floorgate.Match{Kind: floorgate.MatchSlot, Wall: wl, Slot: i + 1}
		}
	}); err != nil {
		return nil, err
	}
	if err := each(tx, bucketBatches, func(b *floorgate.Batch) { st.batches[b.ID] = b }); err != nil {
		return nil, err
	}
	if err := each(tx, bucketBindings, func(b *floorgate.ToteBinding) {
		st.bindings[b.Tote] = b
		st.toteOf[b.Task] = b.Tote
	}); err != nil {
		return nil, err
	}
	var open []*floorgate.Task
	if err := each(tx, bucketTasks, func(t *floorgate.Task) {
		if t.Open() {
			open = append(open, t)
		}
	}); err != nil {
		return nil, err
	}
	for _, t := range open {
		st.open[t.ID] = t
	}
	if err := each(tx, bucketVerdicts, func(list *[]keptJSON) {
		if len(*list) > 0 {
			st.verdicts[(*list)[0].Device] = verdictsFromDisk(*list)
		}
	}); err != nil {
		return nil, err
	}
	if _, err := replaySteps(tx, st); err != nil {
		return nil, err
	}
	// Replayed progress may have moved open tasks on; the queue is built
	// from what they are now.
	for _, t := range st.open {
		if queueable(t) {
			st.pending = append(st.pending, st.queuedOf(t))
		}
	}
	slices.SortFunc(st.pending, cmpQueued)
	if k, _ := tx.Bucket(bucketJournal).Cursor().Last(); k != nil {
		st.seq = seqOf(k)
	}
	st.acked = acked(tx)
	st.ackedOnDisk = st.acked
	return st, nil
}

// each decodes every value of a bucket into a new T.
func each[T any](tx *bolt.Tx, bucket []byte, fn func(*T)) error {
	b := tx.Bucket(bucket)
	if b == nil {
		return fmt.Errorf("load: bucket %s is missing: the database is damaged", bucket)
	}
	return b.ForEach(func(k, v []byte) error {
		t, err := decodeRecord[T](v)
		if err != nil {
			return fmt.Errorf("load %s %q: %w", bucket, k, err)
		}
		fn(t)
		return nil
	})
}

// match resolves scanned data against master data: the registered
// barcode as it is first (site codes, plain EANs), else by what the GS1
// data identifies.
func (st *state) match(aim, data string) floorgate.Match {
	if m, ok := st.barcodes[data]; ok {
		return m
	}
	if b, ok := st.batches[data]; ok {
		return floorgate.Match{Kind: floorgate.MatchBatch, Batch: b}
	}
	key, read := readScan(aim, data)
	m := st.barcodes[key]
	m.Read = read
	return m
}

// task is the open task a session points at, or a closed one loaded from
// disk (a session keeps a cancelled task until the picker moves on).
func (st *state) task(tx *bolt.Tx, id string) (*floorgate.Task, error) {
	if id == "" {
		return nil, nil
	}
	if t, ok := st.open[id]; ok {
		return t, nil
	}
	raw := tx.Bucket(bucketTasks).Get([]byte(id))
	if raw == nil {
		return nil, nil
	}
	t := new(floorgate.Task)
	if err := json.Unmarshal(raw, t); err != nil {
		return nil, fmt.Errorf("load task %q: %w", id, err)
	}
	return t, nil
}
