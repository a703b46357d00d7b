package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
	bolt "go.etcd.io/bbolt"
)

// Limits on what a device may send.
const (
	maxIDLen   = 64
	maxScanLen = 4096
)

// MinTokenLen is the shortest device token a hello is accepted with, in
// bytes: 32 hex digits are 128 bits, the least a device's secret may carry
// (docs/pda-protocol.md, "Token length"). Pairing hands out 64 hex digits.
const MinTokenLen = 32

// TokenHash is how device tokens are kept: tokens are long random strings,
// so a plain SHA-256 is enough to keep them out of the file.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func validID(what, id string) error {
	if id == "" {
		return floorgate.Errorf(floorgate.EINVALID, "%s is missing", what)
	}
	if len(id) > maxIDLen {
		return floorgate.Errorf(floorgate.EINVALID, "%s is longer than %d characters", what, maxIDLen)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return floorgate.Errorf(floorgate.EINVALID, "%s has a control character", what)
		}
	}
	return nil
}

// Hello authenticates a device by its id and token and tells it where it
// is. An unknown device is refused unless the site enrols devices on first
// contact (AutoEnrol), in which case its token is recorded. A token shorter
// than MinTokenLen is refused as invalid, enrolled device or not.
func (db *DB) Hello(ctx context.Context, device, token, model string) (floorgate.Welcome, error) {
	if err := validID("device id", device); err != nil {
		return floorgate.Welcome{}, err
	}
	if token == "" {
		return floorgate.Welcome{}, floorgate.Errorf(floorgate.EUNAUTHORIZED, "device token is missing")
	}
	// Checked before the lookup, so a short token is neither compared nor
	// recorded by an automatic enrolment.
	if len(token) < MinTokenLen {
		return floorgate.Welcome{}, floorgate.Errorf(floorgate.EINVALID, "device token is too short: at least %d characters", MinTokenLen)
	}
	hash := TokenHash(token)
	db.mu.RLock()
	d := db.st.devices[device]
	db.mu.RUnlock()
	if d == nil {
		if !db.opts.AutoEnrol {
			return floorgate.Welcome{}, floorgate.Errorf(floorgate.EUNAUTHORIZED, "device %q is not enrolled", device)
		}
		err := db.write(ctx, func(w *wtx) error {
			if w.st.devices[device] != nil {
				return nil // enrolled by a concurrent hello; checked below
			}
			nd := &floorgate.Device{ID: device, Kind: floorgate.DevicePDA, Model: model, TokenHash: hash, Enrolled: db.clock.Now()}
			if db.opts.FocalPx != nil {
				nd.FocalPx = db.opts.FocalPx(model)
			}
			setIn(w, w.st.devices, device, nd)
			return w.put(bucketDevices, device, nd)
		})
		if err != nil {
			return floorgate.Welcome{}, fmt.Errorf("hello: %w", err)
		}
		db.mu.RLock()
		d = db.st.devices[device]
		db.mu.RUnlock()
	}
	if subtle.ConstantTimeCompare([]byte(d.TokenHash), []byte(hash)) != 1 {
		return floorgate.Welcome{}, floorgate.Errorf(floorgate.EUNAUTHORIZED, "device token does not match device %q", device)
	}
	if d.Disabled {
		return floorgate.Welcome{}, floorgate.Errorf(floorgate.EUNAUTHORIZED, "device %q was disabled by the site admin", device)
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	sess := db.session(device)
	var p floorgate.Prompt
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		p, err = db.prompt(tx, sess)
		return err
	})
	if err != nil {
		return floorgate.Welcome{}, fmt.Errorf("hello: %w", err)
	}
	return floorgate.Welcome{Site: db.st.site.ID, Gateway: db.st.site.Gateway, Operator: sess.Operator,
		Prompt: p, Station: d.Station, Stations: db.opts.Stations}, nil
}

// session is the device's session, or a fresh one. Callers hold mu.
func (db *DB) session(device string) floorgate.Session {
	if s, ok := db.st.sessions[device]; ok {
		return s
	}
	return floorgate.Session{Device: device}
}

// askForCart turns a picker's wait prompt into scan_cart when they have
// nothing in hand and cart orders they may pick wait. Callers hold mu.
func (db *DB) askForCart(sess floorgate.Session, p *floorgate.Prompt) {
	if p.Step == "wait" && sess.Task == "" && sess.Cart == nil && sess.Sort == nil &&
		db.picks(sess.Operator) && db.st.cartWaiting(sess.Operator) {
		*p = scan.IdlePrompt(true)
	}
}

// prompt is what sess's device must do now, as the engine says, with the
// item's name filled in: the packer's parcel, the picker's cart or task,
// or, with neither, a cart to scan when cart orders wait. Callers hold mu.
func (db *DB) prompt(tx *bolt.Tx, sess floorgate.Session) (floorgate.Prompt, error) {
	if db.packer(sess) && sess.Sort == nil {
		return packPrompt(tx, sess)
	}
	var p floorgate.Prompt
	switch {
	case sess.Sort != nil:
		b := db.st.batches[sess.Sort.Batch]
		var orders []*floorgate.Task
		if b != nil {
			for _, id := range b.Orders {
				t, err := db.st.task(tx, id)
				if err != nil {
					return p, err
				}
				if t != nil {
					orders = append(orders, t)
				}
			}
		}
		p = scan.SortPrompt(sess, b, orders)
	case sess.Cart != nil:
		tasks := make([]*floorgate.Task, 0, len(sess.Cart.Tasks))
		for _, id := range sess.Cart.Tasks {
			t, err := db.st.task(tx, id)
			if err != nil {
				return p, err
			}
			if t == nil {
				t = &floorgate.Task{ID: id, Status: floorgate.TaskCancelled}
			}
			tasks = append(tasks, t)
		}
		p = scan.CartPrompt(sess, tasks)
	default:
		t, err := db.st.task(tx, sess.Task)
		if err != nil {
			return p, err
		}
		p = scan.PromptFor(sess, t)
		db.askForCart(sess, &p)
	}
	db.fillPrompt(&p)
	return p, nil
}

// packer reports whether the session's operator works at a pack station.
// Callers hold mu.
// picks reports whether the operator is one a pick task may go to: a
// picker. A packer's device shows the pack screen, and admins and
// supervisors work on the status page: a task given to them would wait
// there unseen.
func (db *DB) picks(operator string) bool {
	op := db.st.operators[operator]
	return op != nil && op.Role == floorgate.RolePicker
}

func (db *DB) packer(sess floorgate.Session) bool {
	op := db.st.operators[sess.Operator]
	return op != nil && op.Role == floorgate.RolePacker
}

func (db *DB) fillPrompt(p *floorgate.Prompt) {
	if it := db.st.items[p.SKU]; it != nil && p.SKU != "" {
		p.ItemName = it.Name
		if it.NameZH != "" {
			p.ItemName = it.Name + " / " + it.NameZH
		}
	}
}

// Login checks a badge and PIN and logs the operator in on the device,
// handing them their task: the one they were on (even on another device,
// if they switched handhelds), or the next one waiting.
func (db *DB) Login(ctx context.Context, device, requestID, badge, pin string) (floorgate.Verdict, error) {
	loginPrompt := floorgate.Prompt{Step: "login"}
	devKey, badgeKey := deviceLoginKey(device), pdaBadgeLoginKey(badge)
	if db.logins.locked(devKey, badgeKey) {
		return floorgate.NewVerdict(requestID, floorgate.CodeLoginLocked, loginPrompt), nil
	}
	if len(badge) > MaxBadgeLen || len(pin) > MaxPINLen {
		// No badge or PIN is that long: refused at the door, counted
		// against the device alone.
		db.logins.failed(devKey)
		db.log.Warn("login refused", "device", device, "reason", "badge or PIN too long", "badge_bytes", len(badge))
		return floorgate.NewVerdict(requestID, floorgate.CodeBadLogin, loginPrompt), nil
	}
	db.mu.RLock()
	op := db.st.operators[db.st.badges[badge]]
	known := db.st.devices[device] != nil
	db.mu.RUnlock()
	if !known {
		return floorgate.Verdict{}, floorgate.Errorf(floorgate.EUNAUTHORIZED, "device %q is not enrolled", device)
	}
	hash := dummyPINHash() // an unknown badge costs what a known one does
	if op != nil && badge != "" && !op.Disabled {
		hash = op.PINHash
	}
	if !floorgate.CheckPIN(hash, pin) || op == nil || badge == "" || op.Disabled {
		db.logins.failed(devKey, badgeKey)
		db.log.Warn("login refused", "device", device, "badge", truncate(badge, 64))
		return floorgate.NewVerdict(requestID, floorgate.CodeBadLogin, loginPrompt), nil
	}
	db.logins.succeeded(devKey, badgeKey)
	return db.login(ctx, device, requestID, op)
}

// login logs op in on device once their credentials are accepted.
func (db *DB) login(ctx context.Context, device, requestID string, op *floorgate.Operator) (floorgate.Verdict, error) {
	var v floorgate.Verdict
	err := db.write(ctx, func(w *wtx) error {
		now := db.clock.Now()
		sess := db.session(device)
		if sess.Operator != "" && sess.Operator != op.ID {
			if err := w.logout(sess, now, ""); err != nil {
				return err
			}
			sess = floorgate.Session{Device: device}
		}
		// Someone who switches handhelds carries their task along.
		for other, prev := range w.st.sessions {
			if other == device || prev.Operator != op.ID {
				continue
			}
			if sess.Task == "" && sess.Cart == nil && prev.Cart != nil {
				// A cart goes with its picker, and its orders with it.
				sess.Cart, sess.AtLocation, sess.ClosedSKU, sess.Location = prev.Cart, prev.AtLocation, prev.ClosedSKU, prev.Location
				for _, id := range prev.Cart.Tasks {
					if t := w.st.open[id]; t != nil && t.Status == floorgate.TaskAssigned {
						moved := *t
						moved.Device = device
						if err := w.putTask(&moved); err != nil {
							return err
						}
					}
				}
			}
			if sess.Task == "" && sess.Cart == nil && prev.Task != "" {
				sess.Task, sess.Line, sess.AtLocation, sess.ClosedSKU, sess.Location = prev.Task, prev.Line, prev.AtLocation, prev.ClosedSKU, prev.Location
				if t := w.st.open[prev.Task]; t != nil {
					moved := *t
					moved.Device = device
					if err := w.putTask(&moved); err != nil {
						return err
					}
				}
			}
			if err := w.putSession(floorgate.Session{Device: other}); err != nil {
				return err
			}
			// The device left behind is told at once, not at its next
			// scan: whoever holds it sees the login screen.
			w.notify(floorgate.Notice{Device: other, Kind: floorgate.NoticeLoggedInElsewhere, Task: prev.Task,
				Verdict: floorgate.NewVerdict("", floorgate.CodeLoggedInElsewhere, floorgate.Prompt{Step: "login"})})
			if err := w.emit(floorgate.NewEvent(floorgate.EventOperatorLoggedOut, now,
				floorgate.OperatorRecord{Operator: op.ID, Device: other})); err != nil {
				return err
			}
		}
		var next *floorgate.Task
		if sess.Task == "" && sess.Cart == nil && op.Role == floorgate.RolePicker {
			next = w.nextTask(op.ID)
		}
		res := scan.Login(sess, *op, requestID, now, next)
		if err := w.apply(res); err != nil {
			return err
		}
		v = res.Verdict
		if next == nil {
			// Resuming: the prompt is the task or cart the picker is on
			// (or the packer's parcel).
			p, err := db.prompt(w.tx, res.Session)
			if err != nil {
				return err
			}
			v.Prompt = p
		}
		db.fillPrompt(&v.Prompt)
		return nil
	})
	if err != nil {
		return floorgate.Verdict{}, fmt.Errorf("login: %w", err)
	}
	return v, nil
}

// Logout ends the operator's session on the device; an unfinished task goes
// back to the queue with its progress kept.
func (db *DB) Logout(ctx context.Context, device string) (floorgate.Prompt, error) {
	err := db.write(ctx, func(w *wtx) error {
		sess := db.session(device)
		if sess.Operator == "" {
			return nil
		}
		return w.logout(sess, db.clock.Now(), "")
	})
	if err != nil {
		return floorgate.Prompt{}, fmt.Errorf("logout: %w", err)
	}
	return floorgate.Prompt{Step: "login"}, nil
}

// logout signs the session's operator out; a reason, when given, goes
// into the operator.logged_out event.
func (w *wtx) logout(sess floorgate.Session, now time.Time, reason string) error {
	if sess.Cart != nil {
		var err error
		if sess, err = w.leaveCart(sess); err != nil {
			return err
		}
	}
	t, err := w.st.task(w.tx, sess.Task)
	if err != nil {
		return err
	}
	res := scan.Logout(scan.State{Policy: w.st.site.Policy, Session: sess, Task: t}, now)
	if reason != "" && len(res.Events) > 0 {
		res.Events = []floorgate.Event{floorgate.NewEvent(floorgate.EventOperatorLoggedOut, now,
			floorgate.OperatorRecord{Operator: sess.Operator, Device: sess.Device, Reason: reason})}
	}
	return w.apply(res)
}

// nextTask is the first task waiting in the queue that operator may pick,
// or nil: a picker limited to zones gets only tasks whose every location
// is in one of them. When that first task is a cart's order there is none
// to give alone: the queue's order holds across modes, so the picker is
// asked to take a cart instead (cartWaiting).
func (w *wtx) nextTask(operator string) *floorgate.Task {
	op := w.st.operators[operator]
	for _, q := range w.st.pending {
		t := w.st.open[q.id]
		if op != nil && len(op.Zones) > 0 && !w.st.inZones(t, op.Zones) {
			continue
		}
		if t.Mode == floorgate.ModeCluster {
			return nil // taken with a cart
		}
		return t
	}
	return nil
}

// inZones reports whether every location of t is in one of zones.
func (st *state) inZones(t *floorgate.Task, zones []string) bool {
	for _, l := range t.Lines {
		loc := st.locations[l.Location]
		if loc == nil || !slices.Contains(zones, loc.Zone) {
			return false
		}
	}
	return true
}

// apply stores what an engine step produced.
func (w *wtx) apply(res scan.Result) error {
	if res.Task != nil && res.TaskChanged {
		return w.applyStep(res.Session, res.Events, res.Task)
	}
	return w.applyStep(res.Session, res.Events)
}

// applyStep stores a step's outcome: the device's session when it changed,
// the tasks it changed, and its events, then completes any wave whose last
// task the step closed.
func (w *wtx) applyStep(sess floorgate.Session, events []floorgate.Event, changed ...*floorgate.Task) error {
	for _, t := range changed {
		if err := w.putTask(t); err != nil {
			return err
		}
	}
	if old, ok := w.st.sessions[sess.Device]; !ok || old != sess {
		if err := w.putSession(sess); err != nil {
			return err
		}
	}
	if err := w.emit(events...); err != nil {
		return err
	}
	return w.completeWaves()
}

// assignIfIdle gives the next waiting task to a logged-in session that has
// none, and returns the step's result (Verdict zero when nothing changed).
func (w *wtx) assignIfIdle(sess floorgate.Session, now time.Time) (scan.Result, bool, error) {
	if sess.Operator == "" || sess.Task != "" || sess.Cart != nil || sess.Sort != nil || !w.db.picks(sess.Operator) {
		return scan.Result{}, false, nil
	}
	t := w.nextTask(sess.Operator)
	if t == nil {
		return scan.Result{}, false, nil
	}
	res := scan.Assign(sess, t, now)
	return res, true, w.apply(res)
}

// Scan judges one scan from a device and commits its outcome. A scan id
// seen before from the same device returns the verdict given then and
// changes nothing.
func (db *DB) Scan(ctx context.Context, sc floorgate.Scan) (floorgate.Verdict, error) {
	if err := validID("scan id", sc.ID); err != nil {
		return floorgate.NewVerdict("", floorgate.CodeBadScan, floorgate.Prompt{}), nil
	}
	if sc.Data == "" || len(sc.Data) > maxScanLen || sc.Qty < 0 || sc.DistanceMM < 0 {
		return floorgate.NewVerdict(sc.ID, floorgate.CodeBadScan, floorgate.Prompt{}), nil
	}
	if sc.At.IsZero() {
		sc.At = db.clock.Now()
	}
	var v floorgate.Verdict
	err := db.write(ctx, func(w *wtx) error {
		if seen, err := w.seen(sc.Device, sc.ID, &v); seen || err != nil {
			return err
		}
		sess := db.session(sc.Device)
		in := sc
		if in.Geometry != nil && in.Geometry.FocalPx == 0 {
			if d := w.st.devices[sc.Device]; d != nil && d.FocalPx > 0 {
				g := *in.Geometry
				g.FocalPx = d.FocalPx
				in.Geometry = &g
			}
		}
		if d := w.st.devices[sc.Device]; d != nil && d.Kind == floorgate.DevicePDA && db.opts.CannotMeasure != nil {
			in.Unmeasurable = in.Unmeasurable || db.opts.CannotMeasure(d.Model)
		}
		m := w.st.match(sc.AIM, sc.Data)
		// A put wall stands at a pack station: a packer sorts there too.
		if onSort(sess, m) {
			return w.sortScan(in, sess, m, &v)
		}
		if db.packer(sess) {
			return w.packScan(in, sess, &v)
		}
		if onCart(sess, m) {
			return w.cartScan(in, sess, m, &v)
		}
		t, err := w.st.task(w.tx, sess.Task)
		if err != nil {
			return err
		}
		// A serial number belongs to the item it is read with, or, on a
		// serial label alone, to the unit waiting for it.
		serials := w.tx.Bucket(bucketSerials)
		if sess.SerialFor != "" && m.Kind == floorgate.MatchNone && m.Read.Serial == "" && m.Read.Problem == "" && m.Read.GTIN == "" {
			// A plain serial number label, scanned for the waiting unit.
			m.Read.Serial = sc.Data
		}
		serialSKU := sess.SerialFor
		if m.Kind == floorgate.MatchItem {
			serialSKU = m.Item.SKU
		}
		if m.Read.Serial != "" && serialSKU != "" {
			m.SerialTaken = serials.Get(serialKey(serialSKU, m.Read.Serial)) != nil
		}
		res := scan.Scan(scan.State{Policy: w.st.site.Policy, Session: sess, Task: t}, in, m)
		if err := w.apply(res); err != nil {
			return err
		}
		if res.Verdict.OK && m.Read.Serial != "" && serialSKU != "" && res.Verdict.Code != floorgate.CodeLocationOK {
			// The unit is picked: its serial number is spent at this site.
			if err := serials.Put(serialKey(serialSKU, m.Read.Serial), []byte(sc.Device+"/"+sc.ID)); err != nil {
				return fmt.Errorf("record serial: %w", err)
			}
		}
		v = res.Verdict
		return w.afterStep(&v, res.Session, sc.At)
	})
	if err != nil {
		return floorgate.Verdict{}, fmt.Errorf("scan: %w", err)
	}
	return v, nil
}

// afterStep gives an idle picker their next task (so the verdict that
// closed a task already shows the next one), records the verdict for
// resubmissions and fills in the prompt.
func (w *wtx) afterStep(v *floorgate.Verdict, sess floorgate.Session, now time.Time) error {
	if v.OK && !w.db.packer(sess) {
		res, assigned, err := w.assignIfIdle(sess, now)
		if err != nil {
			return err
		}
		if assigned {
			v.Prompt = res.Verdict.Prompt
		}
	}
	// Whatever the verdict (a cart another has, too).
	w.db.askForCart(sess, &v.Prompt)
	w.db.fillPrompt(&v.Prompt)
	return w.recordVerdict(sess.Device, *v)
}

// Short records that the bin holds fewer units than the line asks: found
// more units were picked and the line closes short, a case opened with
// reason short_bin_empty (Raise). It is idempotent by scan id like a scan.
func (db *DB) Short(ctx context.Context, device, scanID string, found int) (floorgate.Verdict, error) {
	return db.Raise(ctx, device, scanID, floorgate.Raise{Plain: true, Found: found})
}

// Next moves a picker on from a task that was cancelled under them and
// gives them the next waiting task, if any. It returns the new prompt.
func (db *DB) Next(ctx context.Context, device string) (floorgate.Prompt, error) {
	var p floorgate.Prompt
	err := db.write(ctx, func(w *wtx) error {
		sess := db.session(device)
		if db.packer(sess) && sess.Sort == nil {
			// A packer moves on from an intercepted parcel.
			if sess.Pack != nil && w.intercepted(sess.Pack.Order) {
				sess.Pack = nil
				if err := w.putSession(sess); err != nil {
					return err
				}
			}
			var err error
			p, err = packPrompt(w.tx, sess)
			return err
		}
		if sess.Cart != nil {
			st, err := w.cartState(sess, floorgate.Match{})
			if err != nil {
				return err
			}
			res := scan.CartNext(st, db.clock.Now())
			if err := w.applyCart(res); err != nil {
				return err
			}
			if res.Session.Cart != nil {
				p = res.Verdict.Prompt
				db.fillPrompt(&p)
				return nil
			}
			sess = res.Session
		}
		t, err := w.st.task(w.tx, sess.Task)
		if err != nil {
			return err
		}
		if t != nil && t.Status == floorgate.TaskCancelled {
			sess.Task, sess.Line, sess.AtLocation, sess.ClosedSKU, sess.Location = "", 0, false, "", ""
			if err := w.putSession(sess); err != nil {
				return err
			}
			t = nil
		}
		res, assigned, err := w.assignIfIdle(sess, db.clock.Now())
		if err != nil {
			return err
		}
		if assigned {
			p = res.Verdict.Prompt
			db.fillPrompt(&p)
			return nil
		}
		var err2 error
		p, err2 = db.prompt(w.tx, sess)
		return err2
	})
	if err != nil {
		return floorgate.Prompt{}, fmt.Errorf("next task: %w", err)
	}
	return p, nil
}
