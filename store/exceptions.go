package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
	bolt "go.etcd.io/bbolt"
)

// caseRecord is an exception case as the store keeps it: the case and the
// sequence number of its exception.raised, so the case learns when upstream
// acknowledged it.
type caseRecord struct {
	floorgate.ExceptionCase
	Seq uint64 `json:"seq"`
}

// newCaseID allocates the next case id, "X<n>", in the transaction (a
// rolled-back raise gives its number back).
func (w *wtx) newCaseID() (string, error) {
	n, err := w.tx.Bucket(bucketExceptions).NextSequence()
	if err != nil {
		return "", fmt.Errorf("exception id: %w", err)
	}
	return "X" + strconv.FormatUint(n, 10), nil
}

// openCase records c as open and journals its exception.raised.
func (w *wtx) openCase(c floorgate.ExceptionCase) error {
	c.Status = floorgate.ExceptionOpen
	if err := w.emit(floorgate.NewEvent(floorgate.EventExceptionRaised, c.RaisedAt, c)); err != nil {
		return err
	}
	rec := &caseRecord{ExceptionCase: c, Seq: w.st.seq}
	setIn(w, w.st.cases, c.ID, rec)
	w.countOpen(c.Order, 1)
	setIn(w, w.st.upstream, rec.Seq, c.ID)
	return w.put(bucketExceptions, c.ID, rec)
}

// shortCases gives every short pick among a step's events its reason and a
// case id, in place: the cases to open once the step is applied, in the
// same commit.
func (w *wtx) shortCases(events []floorgate.Event, r floorgate.Raise) ([]floorgate.ExceptionCase, error) {
	var out []floorgate.ExceptionCase
	for i, e := range events {
		rec, ok := e.Value().(floorgate.ExceptionRecord)
		if !ok || e.Type != floorgate.EventPickException || rec.Kind != floorgate.ExceptionShortPick {
			continue
		}
		id, err := w.newCaseID()
		if err != nil {
			return nil, err
		}
		rec.Reason, rec.Exception = string(r.Reason), id
		events[i] = floorgate.NewEvent(e.Type, e.Time, rec)
		out = append(out, floorgate.ExceptionCase{ID: id, Reason: r.Reason, Stage: floorgate.StagePick,
			Order: rec.Order, Task: rec.Task, Line: rec.Line, SKU: rec.SKU, Location: rec.Location,
			Qty: max(rec.Expected-rec.Found, 0), Note: r.Note, Operator: rec.Operator, Device: rec.Device, RaisedAt: e.Time})
	}
	return out, nil
}

// openCaseFor reports whether order has an exception case still open.
// Callers hold mu.
func (st *state) openCaseFor(order string) bool { return st.openByOrder[order] > 0 }

// countOpen moves order's count of open cases by d, in memory, undone
// with the transaction.
func (w *wtx) countOpen(order string, d int) {
	if n := w.st.openByOrder[order] + d; n > 0 {
		setIn(w, w.st.openByOrder, order, n)
	} else {
		deleteIn(w, w.st.openByOrder, order)
	}
}

// Raise records an exception a picker or packer raised on device: at a
// pick line (or a cart's stop) it closes the line short with r.Found units
// more (as Short does; the verdict is short_ok) and opens a case for the
// shortfall; at the pack station it opens a
// case on the parcel's order — for an item missing, one per SKU still
// missing — and sets the parcel aside (the packer's parcel closes; the
// order cannot be opened again until every case of it is resolved): the
// verdict is exception_raised. A plain short (r.Plain, no reason) is
// short_bin_empty, and at a put wall the container empty; a reason not in the list is reason_unknown,
// one not for the step reason_not_here. It is idempotent by scan id like a
// scan.
func (db *DB) Raise(ctx context.Context, device, scanID string, r floorgate.Raise) (floorgate.Verdict, error) {
	if err := validID("scan id", scanID); err != nil || len(r.Note) > floorgate.MaxExceptionNote || r.Found < 0 || r.Qty < 0 {
		return floorgate.NewVerdict("", floorgate.CodeBadScan, floorgate.Prompt{}), nil
	}
	// A short without a reason (Short, or a short message naming none)
	// is a bin found empty; at a put wall it ends the batch.
	plain := r.Plain && r.Reason == ""
	if plain {
		r.Reason = floorgate.ReasonShortBinEmpty
	}
	now := db.clock.Now()
	var v floorgate.Verdict
	err := db.write(ctx, func(w *wtx) error {
		if seen, err := w.seen(device, scanID, &v); seen || err != nil {
			return err
		}
		sess := db.session(device)
		refuse := func(code floorgate.Code) error {
			p, err := db.prompt(w.tx, sess)
			if err != nil {
				return err
			}
			v = floorgate.NewVerdict(scanID, code, p)
			return w.recordVerdict(device, v)
		}
		switch {
		case !sess.LoggedIn():
			return refuse(floorgate.CodeNotLoggedIn)
		case !knownReason(r.Reason):
			return refuse(floorgate.CodeReasonUnknown)
		case plain && sess.Sort != nil:
			if r.Found != 0 {
				// At a wall a short says the container is empty.
				v = floorgate.NewVerdict(scanID, floorgate.CodeBadScan, floorgate.Prompt{})
				return nil
			}
			return w.sortEnd(sess, scanID, now, &v)
		case db.packer(sess) && sess.Sort == nil:
			if plain {
				return refuse(floorgate.CodeNoTask)
			}
			if !floorgate.ReasonAt(r.Reason, floorgate.StagePack) {
				return refuse(floorgate.CodeReasonNotHere)
			}
			if sess.Pack == nil || sess.Pack.Waybill {
				// No parcel open, or it is packed: nothing to raise on.
				return refuse(floorgate.CodeNoTask)
			}
			return w.packRaise(sess, scanID, r, now, &v)
		case !floorgate.ReasonAt(r.Reason, floorgate.StagePick):
			return refuse(floorgate.CodeReasonNotHere)
		case sess.Sort != nil:
			// A put wall sorts what was picked; its short is the
			// container running empty, no reason of its own.
			return refuse(floorgate.CodeReasonNotHere)
		case sess.Cart != nil:
			return w.cartShort(sess, scanID, r, now, &v)
		}
		t, err := w.st.task(w.tx, sess.Task)
		if err != nil {
			return err
		}
		res := scan.Short(scan.State{Policy: w.st.site.Policy, Session: sess, Task: t}, scanID, r.Found, now)
		cases, err := w.shortCases(res.Events, r)
		if err != nil {
			return err
		}
		if err := w.apply(res); err != nil {
			return err
		}
		for _, c := range cases {
			if err := w.openCase(c); err != nil {
				return err
			}
		}
		v = res.Verdict
		return w.afterStep(&v, res.Session, now)
	})
	if err != nil {
		return floorgate.Verdict{}, fmt.Errorf("raise: %w", err)
	}
	return v, nil
}

func knownReason(r floorgate.ExceptionReason) bool {
	_, ok := floorgate.ReasonText(r)
	return ok
}

// packRaise opens the cases of an exception at the pack station and sets
// the parcel aside.
func (w *wtx) packRaise(sess floorgate.Session, scanID string, r floorgate.Raise, now time.Time, v *floorgate.Verdict) error {
	order := sess.Pack.Order
	s, err := w.shipment(order)
	if err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("parcel %q open without a shipment", order)
	}
	missing := scan.PackMissing(s, sess.Pack.Counts)
	in := floorgate.LineCounts(s.Lines)
	base := floorgate.ExceptionCase{Reason: r.Reason, Stage: floorgate.StagePack, Order: order, Note: r.Note,
		Operator: sess.Operator, Device: sess.Device, RaisedAt: now}
	var cases []floorgate.ExceptionCase
	sku := ""
	if r.Data != "" {
		m := w.st.match(r.AIM, r.Data)
		if m.Kind != floorgate.MatchItem || in[m.Item.SKU] == 0 {
			// The item scanned is not one of the parcel's.
			p, err := packPrompt(w.tx, sess)
			if err != nil {
				return err
			}
			*v = floorgate.NewVerdict(scanID, floorgate.CodeWrongItem, p)
			return w.recordVerdict(sess.Device, *v)
		}
		sku = m.Item.SKU
	}
	switch {
	case r.Reason == floorgate.ReasonMissingAtPack && sku == "":
		// Every SKU the parcel still lacks, each its own case.
		skus := make([]string, 0, len(missing))
		for k := range missing {
			skus = append(skus, k)
		}
		slices.Sort(skus)
		for _, k := range skus {
			c := base
			c.SKU, c.Qty = k, missing[k]
			cases = append(cases, c)
		}
	default:
		c := base
		c.SKU, c.Qty = sku, max(r.Qty, 1)
		if sku == "" && len(missing) == 1 {
			// An unreadable or damaged unit with nothing scanned: the
			// parcel's one missing SKU is the one concerned.
			for k, n := range missing {
				c.SKU, c.Qty = k, min(c.Qty, n)
			}
		}
		if c.SKU != "" && c.Qty > in[c.SKU] {
			c.Qty = in[c.SKU]
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		// Item missing, yet every item is in: nothing is missing.
		p, err := packPrompt(w.tx, sess)
		if err != nil {
			return err
		}
		*v = floorgate.NewVerdict(scanID, floorgate.CodeReasonNotHere, p)
		return w.recordVerdict(sess.Device, *v)
	}
	for _, c := range cases {
		id, err := w.newCaseID()
		if err != nil {
			return err
		}
		c.ID = id
		if err := w.openCase(c); err != nil {
			return err
		}
	}
	// The parcel goes to the exception shelf: the packer moves on.
	ns := sess
	ns.Pack = nil
	if err := w.putSession(ns); err != nil {
		return err
	}
	p, err := packPrompt(w.tx, ns)
	if err != nil {
		return err
	}
	*v = floorgate.NewVerdict(scanID, floorgate.CodeExceptionRaised, p)
	return w.afterStep(v, ns, now)
}

// ExceptionFilter selects cases for Exceptions.
type ExceptionFilter struct {
	// Open: only the open ones.
	Open bool
	// From and To bound RaisedAt (zero: unbounded).
	From, To time.Time
	// Limit caps the cases returned, newest first (0: 500).
	Limit int
}

// Exceptions lists cases, newest first.
func (db *DB) Exceptions(f ExceptionFilter) ([]floorgate.ExceptionCase, error) {
	if f.Limit <= 0 {
		f.Limit = 500
	}
	var out []floorgate.ExceptionCase
	if f.Open {
		db.mu.RLock()
		for _, c := range db.st.cases {
			out = append(out, c.ExceptionCase)
		}
		db.mu.RUnlock()
	} else {
		err := db.bolt.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketExceptions).Cursor()
			for k, raw := c.Last(); k != nil; k, raw = c.Prev() {
				var rec caseRecord
				if err := json.Unmarshal(raw, &rec); err != nil {
					return fmt.Errorf("exception %q: %w", k, err)
				}
				out = append(out, rec.ExceptionCase)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("exceptions: %w", err)
		}
	}
	out = slices.DeleteFunc(out, func(c floorgate.ExceptionCase) bool {
		return (!f.From.IsZero() && c.RaisedAt.Before(f.From)) || (!f.To.IsZero() && !c.RaisedAt.Before(f.To))
	})
	slices.SortFunc(out, func(a, b floorgate.ExceptionCase) int {
		if c := b.RaisedAt.Compare(a.RaisedAt); c != 0 {
			return c
		}
		return caseNum(b.ID) - caseNum(a.ID)
	})
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func caseNum(id string) int {
	n, _ := strconv.Atoi(id[min(1, len(id)):])
	return n
}

// Exception is one case by id.
func (db *DB) Exception(id string) (floorgate.ExceptionCase, error) {
	var rec caseRecord
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketExceptions).Get([]byte(id))
		if raw == nil {
			return floorgate.Errorf(floorgate.ENOTFOUND, "no exception %q", id)
		}
		return json.Unmarshal(raw, &rec)
	})
	if err != nil {
		return floorgate.ExceptionCase{}, fmt.Errorf("exception %s: %w", id, err)
	}
	return rec.ExceptionCase, nil
}

// Resolve settles the open case id as res says, by res.By, in one commit
// with what it does on the floor:
//   - repick: a follow-up pick task "<case>-<order>" for the case's units
//     of its SKU from res.Location, first in the queue;
//   - substitute: the same for res.SKU, and the order's parcel expects the
//     substitute in place of the missing units;
//   - cancel_line: the parcel expects the case's units fewer;
//   - send_to_erp: nothing on the floor; the ERP decides (its own
//     commands follow).
//
// A cross-border parcel's lines are its customs declaration: cancel_line
// and substitute are refused for it (send it to the ERP). Everything is
// checked before anything changes; a refusal names what is wrong.
func (db *DB) Resolve(ctx context.Context, id string, res floorgate.Resolution) (floorgate.ExceptionCase, error) {
	now := db.clock.Now()
	var out floorgate.ExceptionCase
	err := db.write(ctx, func(w *wtx) error {
		rec := w.st.cases[id]
		if rec == nil {
			raw := w.tx.Bucket(bucketExceptions).Get([]byte(id))
			if raw == nil {
				return floorgate.Errorf(floorgate.ENOTFOUND, "no exception %q", id)
			}
			return floorgate.Errorf(floorgate.ECONFLICT, "exception %s is already resolved", id)
		}
		c := rec.ExceptionCase
		if err := res.Check(c); err != nil {
			return floorgate.Errorf(floorgate.EINVALID, "action: %v", err)
		}
		res.Task = ""
		if res.Action == floorgate.ResolveRepick || res.Action == floorgate.ResolveSubstitute {
			if w.st.locations[res.Location] == nil {
				return floorgate.Errorf(floorgate.EINVALID, "location: unknown location %q", res.Location)
			}
			sku := c.SKU
			if res.Action == floorgate.ResolveSubstitute {
				if w.st.items[res.SKU] == nil {
					return floorgate.Errorf(floorgate.EINVALID, "sku: unknown SKU %q", res.SKU)
				}
				sku = res.SKU
			}
			if c.Qty < 1 {
				return floorgate.Errorf(floorgate.EINVALID, "action: exception %s leaves no unit to pick", id)
			}
			res.Task = id + "-" + c.Order
			if t, err := w.st.task(w.tx, res.Task); err != nil {
				return err
			} else if t != nil {
				return floorgate.Errorf(floorgate.ECONFLICT, "task %q exists already", res.Task)
			}
			variant := floorgate.OrderVariant("")
			if orig, err := w.st.task(w.tx, c.Task); err != nil {
				return err
			} else if orig != nil {
				variant = orig.Variant
			}
			task := floorgate.Task{ID: res.Task, Order: c.Order, Variant: variant, Priority: repickPriority,
				Lines: []floorgate.TaskLine{{Location: res.Location, SKU: sku, Qty: c.Qty}}}
			if err := w.reshape(c, res); err != nil {
				return err
			}
			if _, err := w.addTasks([]floorgate.Task{task}, nil, nil, now); err != nil {
				return err
			}
		} else if res.Action == floorgate.ResolveCancelLine {
			if err := w.reshape(c, res); err != nil {
				return err
			}
		}
		res.ResolvedAt = now
		res.ResolveS = now.Sub(c.RaisedAt).Seconds()
		c.Status, c.Resolution = floorgate.ExceptionResolved, &res
		c.UpstreamAt = rec.UpstreamAt
		if err := w.emit(floorgate.NewEvent(floorgate.EventExceptionResolved, now, c)); err != nil {
			return err
		}
		deleteIn(w, w.st.cases, id)
		w.countOpen(c.Order, -1)
		out = c
		return w.put(bucketExceptions, id, &caseRecord{ExceptionCase: c, Seq: rec.Seq})
	})
	if err != nil {
		return floorgate.ExceptionCase{}, fmt.Errorf("resolve exception %s: %w", id, err)
	}
	return out, nil
}

// repickPriority puts a follow-up pick ahead of the ordinary queue: its
// order waits, often half packed, for it.
const repickPriority = 1000

// reshape changes the order's shipment for a cancel_line or substitute:
// the case's units of its SKU come off (a line at zero goes), and a
// substitute's units go on. An order with no shipment (not yet sent by
// the ERP) has nothing to change.
func (w *wtx) reshape(c floorgate.ExceptionCase, res floorgate.Resolution) error {
	if res.Action != floorgate.ResolveCancelLine && res.Action != floorgate.ResolveSubstitute {
		return nil
	}
	s, err := w.shipment(c.Order)
	if err != nil || s == nil {
		return err
	}
	if s.Customs != nil && len(s.Customs.Items) > 0 {
		return floorgate.Errorf(floorgate.EINVALID, "action: order %s is cross-border: its lines are its customs declaration; send it to the ERP", c.Order)
	}
	if have := floorgate.LineCounts(s.Lines)[c.SKU]; have < c.Qty {
		return floorgate.Errorf(floorgate.EINVALID, "action: order %s has %d of %s left, not the %d the exception names", c.Order, have, c.SKU, c.Qty)
	}
	left := c.Qty
	lines := make([]floorgate.ShipmentLine, 0, len(s.Lines)+1)
	for i := len(s.Lines) - 1; i >= 0; i-- {
		l := s.Lines[i]
		if l.SKU == c.SKU && left > 0 {
			take := min(l.Qty, left)
			l.Qty -= take
			left -= take
		}
		if l.Qty > 0 {
			lines = append(lines, l)
		}
	}
	slices.Reverse(lines)
	if res.Action == floorgate.ResolveSubstitute {
		name := res.SKU
		if it := w.st.items[res.SKU]; it != nil && it.Name != "" {
			name = it.Name
		}
		lines = append(lines, floorgate.ShipmentLine{SKU: res.SKU, Name: name, Qty: c.Qty})
	}
	if len(lines) == 0 {
		return floorgate.Errorf(floorgate.EINVALID, "action: order %s would have no item left: cancel it through the ERP", c.Order)
	}
	s.Lines = lines
	return w.put(bucketShipments, s.Order, s)
}

// caseAcked records when the exception.raised events among seqs reached
// upstream. It is called from Ack, outside mu, only when one did.
func (db *DB) caseAcked(ids []string) {
	now := db.clock.Now()
	err := db.write(context.Background(), func(w *wtx) error {
		for _, id := range ids {
			raw := w.tx.Bucket(bucketExceptions).Get([]byte(id))
			if raw == nil {
				continue // pruned
			}
			var rec caseRecord
			if err := json.Unmarshal(raw, &rec); err != nil {
				return fmt.Errorf("exception %q: %w", id, err)
			}
			if !rec.UpstreamAt.IsZero() {
				continue
			}
			rec.UpstreamAt = now
			if open := w.st.cases[id]; open != nil {
				c := *open
				c.UpstreamAt = now
				setIn(w, w.st.cases, id, &c)
			}
			if err := w.put(bucketExceptions, id, &rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.log.Warn("exception upstream time not recorded", "cases", ids, "err", err)
	}
}

// ExceptionGauges is what /metrics and the status show of the cases now.
type ExceptionGauges struct {
	// Open counts the open cases by reason.
	Open map[floorgate.ExceptionReason]int `json:"open"`
	// WaitingUpstream counts the cases whose exception.raised upstream
	// has not acknowledged yet.
	WaitingUpstream int `json:"waiting_upstream"`
	// OldestOpen is when the oldest open case was raised; zero with none.
	OldestOpen time.Time `json:"oldest_open,omitzero"`
	// OldestOpenS is its age at the caller's now (the status fills it in).
	OldestOpenS float64 `json:"oldest_open_s,omitempty"`
}

// ExceptionGauges counts the cases now, from memory.
func (db *DB) ExceptionGauges() ExceptionGauges {
	g := ExceptionGauges{Open: map[floorgate.ExceptionReason]int{}}
	for _, r := range floorgate.Reasons() {
		g.Open[r] = 0
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	for _, c := range db.st.cases {
		g.Open[c.Reason]++
		if g.OldestOpen.IsZero() || c.RaisedAt.Before(g.OldestOpen) {
			g.OldestOpen = c.RaisedAt
		}
	}
	g.WaitingUpstream = len(db.st.upstream)
	return g
}
