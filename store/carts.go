package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
	bolt "go.etcd.io/bbolt"
)

// onCart reports whether a scan by sess, read as m, is a cart's: the
// picker works a cart, or scans a cart's label with no task in hand.
func onCart(sess floorgate.Session, m floorgate.Match) bool {
	return sess.Cart != nil || (m.Kind == floorgate.MatchCart && sess.Task == "")
}

// cartState is what the cart rules need for sess: the cart's tasks by
// slot, and, with no cart running, the orders a cart started now takes.
func (w *wtx) cartState(sess floorgate.Session, m floorgate.Match) (scan.CartState, error) {
	st := scan.CartState{Policy: w.st.site.Policy, Session: sess}
	if sess.Cart != nil {
		for _, id := range sess.Cart.Tasks {
			t, err := w.st.task(w.tx, id)
			if err != nil {
				return st, err
			}
			if t == nil {
				t = &floorgate.Task{ID: id, Status: floorgate.TaskCancelled} // pruned: nothing to pick
			}
			st.Tasks = append(st.Tasks, t)
		}
		return st, nil
	}
	if m.Kind == floorgate.MatchCart && m.Cart != nil && w.db.picks(sess.Operator) {
		st.Offer = w.cartOffer(sess.Operator, m.Cart.Slots)
		for _, t := range st.Offer {
			st.OfferTotes = append(st.OfferTotes, w.st.toteOf[t.ID])
		}
	}
	return st, nil
}

// cartOffer is the first n cart orders waiting in the queue that operator
// may pick: never a held wave's (those are not in the queue).
func (w *wtx) cartOffer(operator string, n int) []*floorgate.Task {
	op := w.st.operators[operator]
	var out []*floorgate.Task
	for _, q := range w.st.pending {
		if len(out) == n {
			break
		}
		t := w.st.open[q.id]
		if t.Mode != floorgate.ModeCluster {
			continue
		}
		if op != nil && len(op.Zones) > 0 && !w.st.inZones(t, op.Zones) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// cartWaiting reports whether a cart order operator may pick (in their
// zones, when they are limited to some) waits in the queue.
func (st *state) cartWaiting(operator string) bool {
	op := st.operators[operator]
	for _, q := range st.pending {
		t := st.open[q.id]
		if t.Mode == floorgate.ModeCluster && (op == nil || len(op.Zones) == 0 || st.inZones(t, op.Zones)) {
			return true
		}
	}
	return false
}

// matchCart fills in what the cart rules need to know of a cart or tote
// label: who works the cart, where the tote is bound.
func (st *state) matchCart(m floorgate.Match) floorgate.Match {
	switch {
	case m.Kind == floorgate.MatchTote && m.Tote != nil:
		m.Bound = st.bindings[m.Tote.ID]
	case m.Kind == floorgate.MatchCart && m.Cart != nil:
		for d, s := range st.sessions {
			if s.Cart != nil && s.Cart.Cart == m.Cart.ID {
				m.CartBusy = d
				break
			}
		}
	}
	return m
}

// cartScan is a scan on a cart: the cart rules, then the tote bound or
// the orders' progress stored with the events.
func (w *wtx) cartScan(sc floorgate.Scan, sess floorgate.Session, m floorgate.Match, v *floorgate.Verdict) error {
	st, err := w.cartState(sess, w.st.matchCart(m))
	if err != nil {
		return err
	}
	m = w.st.matchCart(m)
	serials := w.tx.Bucket(bucketSerials)
	if m.Kind == floorgate.MatchItem && m.Read.Serial != "" {
		m.SerialTaken = serials.Get(serialKey(m.Item.SKU, m.Read.Serial)) != nil
	}
	res := scan.CartScan(st, sc, m)
	if err := w.applyCart(res); err != nil {
		return err
	}
	if p := res.Spent; p != nil {
		// The unit is in its tote: its serial number is spent at this site.
		if err := serials.Put(serialKey(p.SKU, p.Serial), []byte(sc.Device+"/"+sc.ID)); err != nil {
			return fmt.Errorf("record serial: %w", err)
		}
	}
	*v = res.Verdict
	return w.afterStep(v, res.Session, sc.At)
}

// applyCart stores what a cart step produced.
func (w *wtx) applyCart(res scan.CartResult) error {
	if b := res.Bind; b != nil {
		if err := w.bindTote(b); err != nil {
			return err
		}
	}
	return w.applyStep(res.Session, res.Events, res.Changed...)
}

// bindTote records that a tote holds an order, in place of what it held.
func (w *wtx) bindTote(b *floorgate.ToteBinding) error {
	if old := w.st.bindings[b.Tote]; old != nil && w.st.toteOf[old.Task] == b.Tote {
		deleteIn(w, w.st.toteOf, old.Task)
	}
	setIn(w, w.st.bindings, b.Tote, b)
	setIn(w, w.st.toteOf, b.Task, b.Tote)
	return w.put(bucketBindings, b.Tote, b)
}

// freeTote empties the tote holding task's order, if one does: the order
// was packed or cancelled.
func (w *wtx) freeTote(task string) error {
	tote, ok := w.st.toteOf[task]
	if !ok {
		return nil
	}
	deleteIn(w, w.st.toteOf, task)
	deleteIn(w, w.st.bindings, tote)
	return w.tx.Bucket(bucketBindings).Delete([]byte(tote))
}

// toteOrder is the order the tote with this label holds, "" when the
// label is no tote's or the tote is free.
func (st *state) toteOrder(data string) string {
	if m, ok := st.barcodes[barcodeKey(data)]; ok && m.Kind == floorgate.MatchTote {
		if b := st.bindings[m.Tote.ID]; b != nil {
			return b.Order
		}
	}
	return ""
}

// cartOf is the session whose cart carries task id, if any.
func (st *state) cartOf(id string) (floorgate.Session, bool) {
	for _, s := range st.sessions {
		if s.Cart != nil && slices.Contains(s.Cart.Tasks, id) {
			return s, true
		}
	}
	return floorgate.Session{}, false
}

// cartShort is a short pick on a cart.
func (w *wtx) cartShort(sess floorgate.Session, scanID string, r floorgate.Raise, now time.Time, v *floorgate.Verdict) error {
	st, err := w.cartState(sess, floorgate.Match{})
	if err != nil {
		return err
	}
	res := scan.CartShort(st, scanID, r.Found, now)
	cases, err := w.shortCases(res.Events, r)
	if err != nil {
		return err
	}
	if err := w.applyCart(res); err != nil {
		return err
	}
	for _, c := range cases {
		if err := w.openCase(c); err != nil {
			return err
		}
	}
	*v = res.Verdict
	return w.afterStep(v, res.Session, now)
}

// leaveCart ends sess's cart run without finishing it: its open orders go
// back to the queue (keeping their totes).
func (w *wtx) leaveCart(sess floorgate.Session) (floorgate.Session, error) {
	st, err := w.cartState(sess, floorgate.Match{})
	if err != nil {
		return sess, err
	}
	res := scan.LeaveCart(st)
	for _, t := range res.Changed {
		if err := w.putTask(t); err != nil {
			return sess, err
		}
	}
	return res.Session, nil
}

// freeOrderTote empties the tote holding order, if one does.
func (w *wtx) freeOrderTote(order string) error {
	for _, b := range w.st.bindings {
		if b.Order == order {
			return w.freeTote(b.Task)
		}
	}
	return nil
}

// CartStatus is a cart being picked, as the status page shows it.
type CartStatus struct {
	Cart     string    `json:"cart"`
	Operator string    `json:"operator"`
	Device   string    `json:"device"`
	Slots    int       `json:"slots"`  // the cart's slots
	Bound    int       `json:"bound"`  // totes bound so far (a cancelled order's slot counts)
	Orders   int       `json:"orders"` // orders it took: one a slot, the first slots
	Done     int       `json:"done"`   // orders picked (or cancelled)
	Started  time.Time `json:"started"`
	// Location is where the picker last confirmed a stop; empty while
	// binding or between stops.
	Location string `json:"location,omitempty"`
}

// CartsView is what the floor's carts are doing: the carts being picked,
// and the totes holding orders (on a cart or waiting at packing).
type CartsView struct {
	Running []CartStatus `json:"running"`
	// TotesHeld is the number of totes holding an order; AtPacking those
	// whose order is picked and waits to be packed.
	TotesHeld int `json:"totes_held"`
	AtPacking int `json:"at_packing"`
}

// Carts reports the carts being picked, oldest first, and the totes that
// hold orders.
func (db *DB) Carts() (CartsView, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	var v CartsView
	onCart := map[string]bool{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, s := range db.st.sessions {
			if s.Cart == nil {
				continue
			}
			c := CartStatus{Cart: s.Cart.Cart, Operator: s.Operator, Device: s.Device, Slots: len(s.Cart.Tasks),
				Bound: len(s.Cart.Totes), Orders: len(s.Cart.Tasks), Started: s.Cart.Started}
			if cart := db.st.carts[s.Cart.Cart]; cart != nil {
				c.Slots = cart.Slots
			}
			if s.AtLocation {
				c.Location = s.Location
			}
			for _, id := range s.Cart.Tasks {
				onCart[id] = true
				t, err := db.st.task(tx, id)
				if err != nil {
					return err
				}
				if t == nil || !t.Open() {
					c.Done++
				}
			}
			v.Running = append(v.Running, c)
		}
		return nil
	})
	if err != nil {
		return v, fmt.Errorf("carts: %w", err)
	}
	slices.SortFunc(v.Running, func(a, b CartStatus) int { return a.Started.Compare(b.Started) })
	v.TotesHeld = len(db.st.bindings)
	for _, b := range db.st.bindings {
		if t := db.st.open[b.Task]; t == nil && !onCart[b.Task] {
			v.AtPacking++
		}
	}
	return v, nil
}
