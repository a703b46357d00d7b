package store

import (
	"context"
	"fmt"

	"github.com/floorgate/floorgate"
)

// DecodeMaster reads master data as master.put carries it — locations,
// items, and operators with either a plain PIN (hashed here) or a PBKDF2
// pin_hash — refusing unknown fields and naming the field at fault. The
// same decoder serves the ERP's command and `floorgate master import`.
func DecodeMaster(raw []byte) (Master, error) {
	var d masterPut
	if err := strict(raw, &d); err != nil {
		return Master{}, err
	}
	m := Master{Locations: d.Locations, Items: d.Items, Carts: d.Carts, Totes: d.Totes, Walls: d.Walls}
	for i, o := range d.Operators {
		h, err := operatorPIN(o.PIN, o.PINHash)
		if err != nil {
			return Master{}, floorgate.InField(fmt.Sprintf("operators[%d]", i), err)
		}
		m.Operators = append(m.Operators, floorgate.Operator{ID: o.ID, Name: o.Name, Badge: o.Badge, PINHash: h, Role: o.Role, Zones: o.Zones})
	}
	return m, nil
}

// operatorPIN is the hash to keep for an operator given a plain PIN or a
// hash: exactly one of them.
func operatorPIN(pin, hash string) (string, error) {
	switch {
	case pin != "" && hash != "":
		return "", floorgate.FieldErrorf("pin", "give pin or pin_hash, not both")
	case hash != "":
		if !floorgate.ValidPINHash(hash) {
			return "", floorgate.FieldErrorf("pin_hash", "must be pbkdf2-sha256$ITERATIONS$SALT$HASH (base64, at least 1000 iterations)")
		}
		return hash, nil
	case !pinPattern.MatchString(pin):
		return "", floorgate.FieldErrorf("pin", "must be 4 to 12 digits")
	}
	return floorgate.HashPIN(pin)
}

// SetOperatorPIN gives an operator a new PIN (plain, hashed here, or a
// PBKDF2 hash).
func (db *DB) SetOperatorPIN(ctx context.Context, id, pin, hash string) error {
	h, err := operatorPIN(pin, hash)
	if err != nil {
		return fmt.Errorf("set pin of %s: %w", id, err)
	}
	return db.changeOperator(ctx, "set pin", id, func(o *floorgate.Operator) { o.PINHash = h })
}

// SetOperatorDisabled stops or lets again an operator sign in anywhere.
// Disabling signs them out of every device (their task goes back to the
// queue with its progress).
func (db *DB) SetOperatorDisabled(ctx context.Context, id string, disabled bool) error {
	return db.changeOperator(ctx, "disable", id, func(o *floorgate.Operator) { o.Disabled = disabled })
}

func (db *DB) changeOperator(ctx context.Context, op, id string, change func(*floorgate.Operator)) error {
	err := db.write(ctx, func(w *wtx) error {
		old := w.st.operators[id]
		if old == nil {
			return floorgate.Errorf(floorgate.ENOTFOUND, "no operator %q", id)
		}
		o := *old
		change(&o)
		setIn(w, w.st.operators, id, &o)
		if err := w.put(bucketOperators, id, &o); err != nil {
			return err
		}
		if !o.Disabled {
			return nil
		}
		for _, s := range w.st.sessions {
			if s.Operator == id {
				if err := w.logout(s, db.clock.Now(), ""); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s of operator %s: %w", op, id, err)
	}
	return nil
}

// truncate shortens s for a log line.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// SuspendAbsent ends the session on a device that has been away longer
// than the site allows: whoever was on it is logged out (operator.logged_out
// with reason device_absent) and their task goes back to the queue with its
// progress, so another picker can finish it. Audited with ctx's entry.
// Nothing happens when nobody is logged in there.
func (db *DB) SuspendAbsent(ctx context.Context, device string) (bool, error) {
	suspended := false
	err := db.write(ctx, func(w *wtx) error {
		sess := db.session(device)
		if sess.Operator == "" {
			return nil
		}
		suspended = true
		return w.logout(sess, db.clock.Now(), floorgate.ReasonDeviceAbsent)
	})
	if err != nil {
		return false, fmt.Errorf("suspend the session on %s: %w", device, err)
	}
	return suspended, nil
}
