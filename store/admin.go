package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
	bolt "go.etcd.io/bbolt"
)

// AuditEntry is one admin action: who did what to what, when.
type AuditEntry struct {
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"` // operator id
	Role   string    `json:"role"`
	Remote string    `json:"remote,omitempty"` // the client's address
	Action string    `json:"action"`           // device.enrol, device.disable, task.reassign, …
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}

type auditKey struct{}

// Audited returns a context under which the store's next change is recorded
// in the audit log, in the same transaction: the change and its record are
// committed together or not at all.
func Audited(ctx context.Context, e AuditEntry) context.Context {
	return context.WithValue(ctx, auditKey{}, e)
}

func (w *wtx) audit(e AuditEntry) error {
	b := appendOnly(w.tx, bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	e.Seq, e.Time = seq, w.db.clock.Now()
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return b.Put(u64(seq), v)
}

// AuditLog returns up to limit audit entries, newest first.
func (db *DB) AuditLog(limit int) ([]AuditEntry, error) {
	out := []AuditEntry{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("audit %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// Authenticate checks a badge and PIN for the status page, which only
// admins and supervisors may use. It returns the operator, or a verdict
// code saying why not: bad_login, or login_locked when the client address
// has had too many failures.
//
// It answers so that nobody learns from it who has a badge or what role
// they have. An unknown badge, a picker's or packer's badge (right PIN or
// not), a disabled operator's badge and a wrong PIN on an admin's badge get
// the same code, cost the same PBKDF2 work and count the same against the
// client address. Only admins' and supervisors' badges are counted per
// badge, and under a key of the status page's own: wrong PINs here never
// lock anyone out of a PDA. A badge locked that way is refused with
// bad_login too (its PIN is not checked), never login_locked, since a
// locked badge would otherwise show itself as an admin's or supervisor's.
//
// A badge longer than MaxBadgeLen or a PIN longer than MaxPINLen cannot be
// right; it is refused at once, counted against the address only.
func (db *DB) Authenticate(badge, pin, from string) (floorgate.Operator, floorgate.Code) {
	// Each attempt is counted as it is let in, and forgiven if right, so
	// that many at once cannot all be checked before the first is counted.
	addrKey := webAddrLoginKey(from)
	if !db.logins.admit(addrKey) {
		return floorgate.Operator{}, floorgate.CodeLoginLocked
	}
	if len(badge) > MaxBadgeLen || len(pin) > MaxPINLen {
		db.log.Warn("status page login refused", "from", from, "reason", "badge or PIN too long", "badge_bytes", len(badge))
		return floorgate.Operator{}, floorgate.CodeBadLogin
	}
	var op *floorgate.Operator
	if badge != "" {
		db.mu.RLock()
		op = db.st.operators[db.st.badges[badge]]
		db.mu.RUnlock()
	}
	badgeKey := webBadgeLoginKey(badge)
	var reason string
	switch {
	case op == nil:
		reason = "unknown badge"
	case op.Role != floorgate.RoleAdmin && op.Role != floorgate.RoleSupervisor:
		reason = "not an admin or supervisor"
	case op.Disabled:
		reason = "operator disabled"
	case !db.logins.admit(badgeKey):
		reason = "badge locked out"
	default:
		if floorgate.CheckPIN(op.PINHash, pin) {
			db.logins.succeeded(addrKey, badgeKey)
			return *op, ""
		}
		reason = "wrong PIN"
	}
	if reason != "wrong PIN" {
		// The same work as checking a real PIN; the answer is no anyway.
		floorgate.CheckPIN(dummyPINHash(), pin)
	}
	db.log.Warn("status page login refused", "from", from, "badge", badge, "reason", reason)
	return floorgate.Operator{}, floorgate.CodeBadLogin
}

// Operators returns every operator, without PIN hashes, by id.
func (db *DB) Operators() []floorgate.Operator {
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := make([]floorgate.Operator, 0, len(db.st.operators))
	for _, op := range db.st.operators {
		o := *op
		o.PINHash = ""
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Devices returns every enrolled device, without token hashes, by id.
func (db *DB) Devices() []floorgate.Device {
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := make([]floorgate.Device, 0, len(db.st.devices))
	for _, d := range db.st.devices {
		x := *d
		x.TokenHash = ""
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Sessions returns every device's session that has someone logged in.
func (db *DB) Sessions() []floorgate.Session {
	db.mu.RLock()
	defer db.mu.RUnlock()
	var out []floorgate.Session
	for _, s := range db.st.sessions {
		if s.Operator != "" {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Device < out[j].Device })
	return out
}

// OpenTasks returns the pending and assigned tasks, queue order first.
func (db *DB) OpenTasks() []floorgate.Task {
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := make([]floorgate.Task, 0, len(db.st.open))
	for _, t := range db.st.open {
		out = append(out, *t)
	}
	// Assigned first, then in the order the queue gives tasks out.
	slices.SortFunc(out, func(a, b floorgate.Task) int {
		if aa, ba := a.Status == floorgate.TaskAssigned, b.Status == floorgate.TaskAssigned; aa != ba {
			if aa {
				return -1
			}
			return 1
		}
		return cmpQueued(db.st.queuedOf(&a), db.st.queuedOf(&b))
	})
	return out
}

// EnrolDevice records a PDA paired by a site admin, with its token (kept
// hashed). A device enrolled again gets the new token and is enabled.
func (db *DB) EnrolDevice(ctx context.Context, id, model, token string) error {
	if err := validID("device id", id); err != nil {
		return fmt.Errorf("enrol device: %w", err)
	}
	if len(token) < MinTokenLen {
		return fmt.Errorf("enrol device: %w", floorgate.Errorf(floorgate.EINVALID, "device token is too short: at least %d characters", MinTokenLen))
	}
	err := db.write(ctx, func(w *wtx) error {
		d := &floorgate.Device{ID: id, Kind: floorgate.DevicePDA, Model: model, TokenHash: TokenHash(token), Enrolled: db.clock.Now()}
		if old := w.st.devices[id]; old != nil {
			if old.Kind != floorgate.DevicePDA {
				return floorgate.Errorf(floorgate.ECONFLICT, "%q is a %s, not a PDA", id, old.Kind)
			}
			d.FocalPx = old.FocalPx
		}
		if db.opts.FocalPx != nil && model != "" {
			d.FocalPx = db.opts.FocalPx(model)
		}
		setIn(w, w.st.devices, id, d)
		return w.put(bucketDevices, id, d)
	})
	if err != nil {
		return fmt.Errorf("enrol device %s: %w", id, err)
	}
	return nil
}

// SetDeviceDisabled disables or enables a device. Disabling logs out whoever
// is on it (their task goes back to the queue with its progress) and
// raises a device_disabled notice so its connection is closed.
func (db *DB) SetDeviceDisabled(ctx context.Context, id string, disabled bool) error {
	err := db.write(ctx, func(w *wtx) error {
		old := w.st.devices[id]
		if old == nil {
			return floorgate.Errorf(floorgate.ENOTFOUND, "device %q is not enrolled", id)
		}
		if old.Disabled == disabled {
			return nil
		}
		d := *old
		d.Disabled = disabled
		setIn(w, w.st.devices, id, &d)
		if err := w.put(bucketDevices, id, &d); err != nil {
			return err
		}
		if !disabled {
			return nil
		}
		if sess, ok := w.st.sessions[id]; ok && sess.Operator != "" {
			if err := w.logout(sess, db.clock.Now(), ""); err != nil {
				return err
			}
		}
		w.notify(floorgate.Notice{Device: id, Kind: floorgate.NoticeDeviceDisabled})
		return nil
	})
	if err != nil {
		return fmt.Errorf("set device %s disabled=%v: %w", id, disabled, err)
	}
	return nil
}

// ReassignTask gives an open task to the picker logged in on device to,
// who must be idle. Whoever had it keeps their place in the floor but not
// the task: their device is told (task_reassigned) and asks for new work.
// The task keeps its progress; pick.task_started records the new picker.
func (db *DB) ReassignTask(ctx context.Context, id, to string) error {
	err := db.write(ctx, func(w *wtx) error {
		t := w.st.open[id]
		if t == nil {
			return floorgate.Errorf(floorgate.ENOTFOUND, "task %q is not open", id)
		}
		if _, on := db.st.cartOf(id); on {
			return floorgate.Errorf(floorgate.ECONFLICT, "task %q is on a cart: its units go into its tote there", id)
		}
		if t.Status == floorgate.TaskHeld {
			return floorgate.Errorf(floorgate.ECONFLICT, "task %q is in wave %s, which is held: release the wave first", id, t.Wave)
		}
		target, ok := w.st.sessions[to]
		switch {
		case !ok || target.Operator == "":
			return floorgate.Errorf(floorgate.ECONFLICT, "nobody is logged in on %q", to)
		case db.packer(target):
			return floorgate.Errorf(floorgate.ECONFLICT, "%s on %q is a packer", target.Operator, to)
		case target.Task == id:
			return nil
		case target.Task != "":
			return floorgate.Errorf(floorgate.ECONFLICT, "%s on %q is on task %s; reassign that first", target.Operator, to, target.Task)
		}
		now := db.clock.Now()
		released := *t
		if t.Status == floorgate.TaskAssigned && t.Device != "" {
			if old, ok := w.st.sessions[t.Device]; ok && old.Task == id {
				idle := floorgate.Session{Device: old.Device, Operator: old.Operator}
				if err := w.putSession(idle); err != nil {
					return err
				}
				w.notify(floorgate.Notice{Device: old.Device, Kind: floorgate.NoticeTaskReassigned, Task: id,
					Verdict: floorgate.NewVerdict("", floorgate.CodeTaskReassigned, scan.PromptFor(idle, nil))})
			}
		}
		released.Status, released.Operator, released.Device, released.AssignedAt = floorgate.TaskPending, "", "", time.Time{}
		res := scan.Assign(target, &released, now)
		if err := w.apply(res); err != nil {
			return err
		}
		p := res.Verdict.Prompt
		db.fillPrompt(&p)
		w.notify(floorgate.Notice{Device: to, Kind: floorgate.NoticeTaskAssigned, Task: id,
			Verdict: floorgate.NewVerdict("", floorgate.CodeLocationOK, p)})
		return nil
	})
	if err != nil {
		return fmt.Errorf("reassign task %s to %s: %w", id, to, err)
	}
	return nil
}

// AuditFrom returns the audit entry Audited put on ctx.
func AuditFrom(ctx context.Context) (AuditEntry, bool) {
	e, ok := ctx.Value(auditKey{}).(AuditEntry)
	return e, ok
}

// Audit records the audit entry on ctx (see Audited) on its own, for an
// admin action that changes nothing else in the store, such as showing a
// pairing code.
func (db *DB) Audit(ctx context.Context) error {
	if _, ok := AuditFrom(ctx); !ok {
		return fmt.Errorf("audit: %w", floorgate.Errorf(floorgate.EINVALID, "no audit entry"))
	}
	if err := db.write(ctx, func(*wtx) error { return nil }); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}
