package store

import (
	"context"
	"fmt"

	"github.com/floorgate/floorgate"
)

// EnsureStation records a wired scanner's station (a pack station or cart)
// as a device, so operators can log in there. A station that already exists
// — configured before, or a PDA or screen at the same station — is left as
// it is. Stations have no token: they are configured, not enrolled.
func (db *DB) EnsureStation(ctx context.Context, id, model string) error {
	if err := validID("station id", id); err != nil {
		return fmt.Errorf("ensure station: %w", err)
	}
	err := db.write(ctx, func(w *wtx) error {
		if w.st.devices[id] != nil {
			return nil
		}
		d := &floorgate.Device{ID: id, Kind: floorgate.DeviceScanner, Model: model, Enrolled: db.clock.Now()}
		setIn(w, w.st.devices, id, d)
		return w.put(bucketDevices, id, d)
	})
	if err != nil {
		return fmt.Errorf("ensure station %s: %w", id, err)
	}
	return nil
}

// BadgeOperator returns the operator whose badge barcode is data.
func (db *DB) BadgeOperator(data string) (string, bool) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	id, ok := db.st.badges[data]
	return id, ok && data != ""
}

// LoginBadge logs in the operator whose badge is scanned on a wired
// scanner's station: the station is a fixed, configured place with no
// keypad, so the badge alone is the credential there. It is refused for any
// device that is not a station (PDAs log in with badge and PIN). An unknown
// badge counts towards the same lock-out as a wrong PIN.
func (db *DB) LoginBadge(ctx context.Context, station, requestID, badge string) (floorgate.Verdict, error) {
	loginPrompt := floorgate.Prompt{Step: "login"}
	devKey, badgeKey := deviceLoginKey(station), pdaBadgeLoginKey(badge)
	if db.logins.locked(devKey, badgeKey) {
		return floorgate.NewVerdict(requestID, floorgate.CodeLoginLocked, loginPrompt), nil
	}
	db.mu.RLock()
	op := db.st.operators[db.st.badges[badge]]
	d := db.st.devices[station]
	db.mu.RUnlock()
	if d == nil || d.Kind != floorgate.DeviceScanner {
		return floorgate.Verdict{}, floorgate.Errorf(floorgate.EUNAUTHORIZED, "device %q is not a scanner station", station)
	}
	if op == nil || badge == "" || op.Disabled {
		db.logins.failed(devKey, badgeKey)
		db.log.Warn("badge login refused", "station", station, "badge", truncate(badge, 64))
		return floorgate.NewVerdict(requestID, floorgate.CodeBadLogin, loginPrompt), nil
	}
	db.logins.succeeded(devKey, badgeKey)
	return db.login(ctx, station, requestID, op)
}
