package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

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

// SetStation sets the pack station a device stands at, by name: its
// waybills print on that station's printers from now on, whatever the
// device's id. The name must be one of the site's stations (Options.Stations);
// "" clears it, and the device's own id stands for its station again.
// The waybill of the parcel the device is packing, when it has not printed
// yet, moves with it: a packer who packed before choosing the station gets
// the label at the station chosen.
func (db *DB) SetStation(ctx context.Context, device, station string) error {
	if station != "" && !slices.Contains(db.opts.Stations, station) {
		return floorgate.Errorf(floorgate.ENOTFOUND, "no pack station %q", station)
	}
	err := db.write(ctx, func(w *wtx) error {
		old := w.st.devices[device]
		if old == nil {
			return floorgate.Errorf(floorgate.ENOTFOUND, "device %q is not enrolled", device)
		}
		if old.Station == station {
			return nil
		}
		d := *old
		d.Station = station
		setIn(w, w.st.devices, device, &d)
		if err := w.put(bucketDevices, device, &d); err != nil {
			return err
		}
		return w.moveWaybill(device, d.PackStation())
	})
	if err != nil {
		return fmt.Errorf("set station of %s: %w", device, err)
	}
	return nil
}

// packStation is the station a device packs at (floorgate.Device.PackStation).
func (w *wtx) packStation(device string) string {
	if d := w.st.devices[device]; d != nil {
		return d.PackStation()
	}
	return device
}

// PackingStations are the stations where a packer is logged in now, by name
// (floorgate.Device.PackStation), each with how many packers are there.
func (db *DB) PackingStations() map[string]int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := map[string]int{}
	for dev, sess := range db.st.sessions {
		if !db.packer(sess) {
			continue
		}
		station := dev
		if d := db.st.devices[dev]; d != nil {
			station = d.PackStation()
		}
		out[station]++
	}
	return out
}

// moveWaybill sends the waybill of the parcel device is packing to station,
// if it waits for its label: queued again there, so it prints on that
// station's printer.
func (w *wtx) moveWaybill(device, station string) error {
	sess, ok := w.st.sessions[device]
	if !ok || sess.Pack == nil || !sess.Pack.Waybill {
		return nil
	}
	id := "waybill:" + sess.Pack.Order
	raw := w.tx.Bucket(bucketPrintJobs).Get([]byte(id))
	if raw == nil {
		return nil
	}
	var j floorgate.PrintJob
	if err := json.Unmarshal(raw, &j); err != nil {
		return fmt.Errorf("print job %s: %w", id, err)
	}
	if !j.Open() || j.Station == station {
		return nil
	}
	j.Station, j.Status, j.Reason, j.NotBefore, j.Updated = station, floorgate.JobQueued, "", time.Time{}, w.db.clock.Now()
	w.queued = true
	return w.put(bucketPrintJobs, id, j)
}
