package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// Replays delivers the replay ranges asked for, after their commit.
func (db *DB) Replays() <-chan floorgate.Replay { return db.replays }

// The data of the commands that need more than a task list.
type (
	taskCreate struct {
		Wave  *floorgate.WaveDefinition  `json:"wave,omitempty"`
		Batch *floorgate.BatchDefinition `json:"batch,omitempty"`
		Tasks []floorgate.Task           `json:"tasks"`
	}
	waveRelease struct {
		Wave string `json:"wave"`
	}
	orderRelease struct {
		Orders []string `json:"orders"`
	}
	taskUpdate struct {
		Task floorgate.Task `json:"task"`
	}
	taskCancel struct {
		Task   string `json:"task"`
		Reason string `json:"reason"`
	}
	masterPut struct {
		Locations []floorgate.Location `json:"locations"`
		Items     []floorgate.Item     `json:"items"`
		Operators []operatorInput      `json:"operators"`
		Carts     []floorgate.Cart     `json:"carts"`
		Totes     []floorgate.Tote     `json:"totes"`
		Walls     []floorgate.Wall     `json:"walls"`
	}
	operatorInput struct {
		ID      string         `json:"id"`
		Name    string         `json:"name"`
		Badge   string         `json:"badge"`
		PIN     string         `json:"pin,omitempty"`
		PINHash string         `json:"pin_hash,omitempty"`
		Role    floorgate.Role `json:"role"`
		Zones   []string       `json:"zones,omitempty"`
	}
	shipmentPut struct {
		Shipments []floorgate.Shipment `json:"shipments"`
	}
	eventsReplay struct {
		From uint64 `json:"from_seq"`
		To   uint64 `json:"to_seq"`
	}
)

var pinPattern = regexp.MustCompile(`^[0-9]{4,12}$`)

// strict decodes raw into v refusing unknown fields, naming the field, and
// refusing anything after the one JSON value: a second command or garbage
// on the end is named, never dropped.
func strict(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return floorgate.FieldErrorf("", "missing")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return floorgate.FieldErrorf(te.Field, "want %s, got %s", te.Type, te.Value)
		}
		return floorgate.FieldErrorf("", "%v", err)
	}
	if rest := floorgate.TrailingContent(raw, dec); rest != "" {
		return floorgate.FieldErrorf("", "%s", rest)
	}
	return nil
}

// ApplyCommand applies one command from upstream, whole or not at all, and
// answers it with a command.applied or command.rejected event committed
// with its effect. A command id seen before changes nothing.
func (db *DB) ApplyCommand(ctx context.Context, raw []byte) (floorgate.CommandResult, error) {
	var cmd floorgate.Command
	if err := strict(raw, &cmd); err != nil {
		// Try for the id and type so the rejection can name them (of the
		// first JSON value, when something trails it).
		var loose struct{ ID, Type string }
		_ = json.NewDecoder(bytes.NewReader(raw)).Decode(&loose)
		res := floorgate.CommandResult{ID: loose.ID, Type: loose.Type, Field: floorgate.InField("", err).Field, Reason: floorgate.InField("", err).Reason}
		if len(loose.ID) > maxIDLen {
			res.ID = ""
		}
		err := db.answer(ctx, &res)
		return res, err
	}
	res := floorgate.CommandResult{ID: cmd.ID, Type: cmd.Type}
	if err := validID("id", cmd.ID); err != nil {
		res.ID, res.Field, res.Reason = "", "id", floorgate.ErrorMessage(err)
		err := db.answer(ctx, &res)
		return res, err
	}
	if seen, err := db.storedCommand(&res); seen || err != nil {
		return res, err
	}
	// Decode and check the data on its own first; slow work (hashing PINs)
	// happens here, outside the writer.
	apply, err := db.prepare(cmd)
	if err != nil {
		fe := floorgate.InField("data", err)
		res.Field, res.Reason = fe.Field, fe.Reason
		err := db.answer(ctx, &res)
		return res, err
	}
	var refused *floorgate.FieldError
	err = db.write(ctx, func(w *wtx) error {
		res = floorgate.CommandResult{ID: cmd.ID, Type: cmd.Type}
		if seen, err := w.seenCommand(&res); seen || err != nil {
			return err
		}
		summary, err := apply(w)
		if err == nil {
			err = w.completeWaves() // before the command's answer
		}
		if err != nil {
			if isRefusal(err) {
				refused = refusal(err)
			}
			return err // rolled back: nothing of the command stays
		}
		res.Applied = true
		return w.recordCommand(res, summary)
	})
	if refused != nil {
		res = floorgate.CommandResult{ID: cmd.ID, Type: cmd.Type, Field: refused.Field, Reason: refused.Reason}
		err := db.answer(ctx, &res)
		return res, err
	}
	if err != nil {
		return res, fmt.Errorf("command %s: %w", cmd.ID, err)
	}
	return res, nil
}

// answer records a command refused before it could be applied. When its id
// was seen before (a malformed resend of a command already answered),
// nothing is recorded and res becomes the first answer, marked Duplicate.
func (db *DB) answer(ctx context.Context, res *floorgate.CommandResult) error {
	err := db.write(ctx, func(w *wtx) error {
		if res.ID != "" {
			r := floorgate.CommandResult{ID: res.ID}
			if seen, err := w.seenCommand(&r); seen || err != nil {
				if seen && err == nil {
					*res = r
				}
				return err
			}
		}
		return w.recordCommand(*res, nil)
	})
	if err != nil {
		return fmt.Errorf("command %s: %w", res.ID, err)
	}
	return nil
}

func (w *wtx) seenCommand(res *floorgate.CommandResult) (bool, error) {
	return loadCommand(w.tx, res)
}

// storedCommand looks a command id up outside the writer.
func (db *DB) storedCommand(res *floorgate.CommandResult) (seen bool, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		seen, err = loadCommand(tx, res)
		return err
	})
	return seen, err
}

func loadCommand(tx *bolt.Tx, res *floorgate.CommandResult) (bool, error) {
	raw := tx.Bucket(bucketCommands).Get([]byte(res.ID))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, res); err != nil {
		return true, fmt.Errorf("stored command %s: %w", res.ID, err)
	}
	res.Duplicate = true
	return true, nil
}

// recordCommand remembers the command's outcome and answers it upstream.
func (w *wtx) recordCommand(res floorgate.CommandResult, summary map[string]int) error {
	rec := floorgate.CommandRecord{CommandID: res.ID, CommandType: res.Type, Summary: summary, Field: res.Field, Reason: res.Reason}
	typ := floorgate.EventCommandApplied
	if !res.Applied {
		typ = floorgate.EventCommandRejected
	}
	if res.ID != "" {
		if err := w.put(bucketCommands, res.ID, res); err != nil {
			return err
		}
	}
	return w.emit(floorgate.NewEvent(typ, w.db.clock.Now(), rec))
}

// isRefusal tells a refusal of the command (bad input, a state that does
// not allow it) from a fault of the gateway.
func isRefusal(err error) bool {
	switch floorgate.ErrorCode(err) {
	case floorgate.EINVALID, floorgate.ENOTFOUND, floorgate.ECONFLICT:
		return true
	}
	var fe *floorgate.FieldError
	return errors.As(err, &fe)
}

// refusal is the field and reason of a refusal, as a path into data.
func refusal(err error) *floorgate.FieldError {
	var re *recordError
	if errors.As(err, &re) {
		return &floorgate.FieldError{Field: "data." + re.path(), Reason: re.fe.Reason}
	}
	var fe *floorgate.FieldError
	if errors.As(err, &fe) {
		return floorgate.InField("data", fe)
	}
	return &floorgate.FieldError{Field: "data", Reason: floorgate.ErrorMessage(err)}
}

// prepare decodes a command's data and returns the step that applies it in
// a write. Errors here are refusals of the data.
func (db *DB) prepare(cmd floorgate.Command) (func(*wtx) (map[string]int, error), error) {
	switch cmd.Type {
	case floorgate.CommandTaskCreate:
		var d taskCreate
		if err := strict(cmd.Data, &d); err != nil {
			return nil, err
		}
		if len(d.Tasks) == 0 {
			return nil, floorgate.FieldErrorf("tasks", "no tasks")
		}
		return func(w *wtx) (map[string]int, error) {
			n, err := w.addTasks(d.Tasks, d.Wave, d.Batch, w.db.clock.Now())
			return map[string]int{"tasks": len(d.Tasks), "tasks_added": n}, err
		}, nil

	case floorgate.CommandTaskUpdate:
		var d taskUpdate
		if err := strict(cmd.Data, &d); err != nil {
			return nil, err
		}
		if err := d.Task.Validate(); err != nil {
			return nil, floorgate.InField("task", err)
		}
		if err := db.checkTaskLines(d.Task); err != nil {
			return nil, floorgate.InField("task", err)
		}
		return func(w *wtx) (map[string]int, error) { return nil, w.updateTask(d.Task) }, nil

	case floorgate.CommandWaveRelease:
		var d waveRelease
		if err := strict(cmd.Data, &d); err != nil {
			return nil, err
		}
		if d.Wave == "" {
			return nil, floorgate.FieldErrorf("wave", "missing")
		}
		return func(w *wtx) (map[string]int, error) {
			if err := w.releaseWave(d.Wave, floorgate.ReleasedByERP, ""); err != nil {
				if !isRefusal(err) {
					return nil, err // the gateway's fault, not the command's
				}
				return nil, floorgate.FieldErrorf("wave", "%s", floorgate.ErrorMessage(err))
			}
			return map[string]int{"tasks": w.st.waves[d.Wave].Tasks}, nil
		}, nil

	case floorgate.CommandOrderRelease:
		var d orderRelease
		if err := strict(cmd.Data, &d); err != nil {
			return nil, err
		}
		if len(d.Orders) == 0 {
			return nil, floorgate.FieldErrorf("orders", "no orders")
		}
		for i, o := range d.Orders {
			if o == "" {
				return nil, floorgate.FieldErrorf(fmt.Sprintf("orders[%d]", i), "missing")
			}
			if slices.Contains(d.Orders[:i], o) {
				return nil, floorgate.FieldErrorf(fmt.Sprintf("orders[%d]", i), "%q is listed twice", o)
			}
		}
		return func(w *wtx) (map[string]int, error) { return w.releaseOrders(d.Orders) }, nil

	case floorgate.CommandTaskCancel:
		var d taskCancel
		if err := strict(cmd.Data, &d); err != nil {
			return nil, err
		}
		if d.Task == "" {
			return nil, floorgate.FieldErrorf("task", "missing")
		}
		if d.Reason == "" {
			return nil, floorgate.FieldErrorf("reason", "missing")
		}
		return func(w *wtx) (map[string]int, error) {
			if err := w.cancelTask(d.Task, d.Reason); err != nil {
				return nil, floorgate.FieldErrorf("task", "%s", floorgate.ErrorMessage(err))
			}
			return nil, nil
		}, nil

	case floorgate.CommandMasterPut:
		m, err := DecodeMaster(cmd.Data)
		if err != nil {
			return nil, err
		}
		return func(w *wtx) (map[string]int, error) {
			summary := map[string]int{"locations": len(m.Locations), "items": len(m.Items), "operators": len(m.Operators)}
			if len(m.Carts)+len(m.Totes) > 0 {
				summary["carts"], summary["totes"] = len(m.Carts), len(m.Totes)
			}
			if len(m.Walls) > 0 {
				summary["walls"] = len(m.Walls)
			}
			return summary, w.putMaster(m)
		}, nil

	case floorgate.CommandShipmentPut:
		var d shipmentPut
		if err := strict(cmd.Data, &d); err != nil {
			return nil, err
		}
		if len(d.Shipments) == 0 {
			return nil, floorgate.FieldErrorf("shipments", "no shipments")
		}
		for i, s := range d.Shipments {
			if err := db.checkShipment(s); err != nil {
				return nil, floorgate.InField(fmt.Sprintf("shipments[%d]", i), err)
			}
		}
		return func(w *wtx) (map[string]int, error) {
			return map[string]int{"shipments": len(d.Shipments)}, w.putShipments(d.Shipments)
		}, nil

	case floorgate.CommandEventsReplay:
		var d eventsReplay
		if err := strict(cmd.Data, &d); err != nil {
			return nil, err
		}
		if d.From < 1 {
			return nil, floorgate.FieldErrorf("from_seq", "must be at least 1")
		}
		if d.To != 0 && d.To < d.From {
			return nil, floorgate.FieldErrorf("to_seq", "%d is before from_seq %d", d.To, d.From)
		}
		return func(w *wtx) (map[string]int, error) {
			to := d.To
			if to == 0 || to > w.st.seq {
				to = w.st.seq
			}
			from := d.From
			// Events acknowledged long ago are pruned (retention): the
			// replay starts at the oldest kept, and its answer says so.
			if k, _ := w.tx.Bucket(bucketJournal).Cursor().First(); k != nil && seqOf(k) > from && d.From <= w.st.seq {
				from = seqOf(k)
			}
			switch {
			case d.From > w.st.seq:
				return nil, floorgate.FieldErrorf("from_seq", "%d is past the last event %d", d.From, w.st.seq)
			case to-from+1 > floorgate.MaxReplay:
				return nil, floorgate.FieldErrorf("to_seq", "more than %d events in one replay: ask for at most %d at a time", floorgate.MaxReplay, floorgate.MaxReplay)
			}
			w.replays = append(w.replays, floorgate.Replay{From: from, To: to})
			n := int(to - from + 1)
			return map[string]int{"from_seq": int(from), "to_seq": int(to), "count": n},
				w.emit(floorgate.NewEvent(floorgate.EventEventsReplayed, w.db.clock.Now(), floorgate.ReplayRecord{From: from, To: to, Count: n}))
		}, nil
	}
	return nil, floorgate.FieldErrorf("", "unknown command type %q", cmd.Type)
}

// updateTask replaces a task no picker has started.
func (w *wtx) updateTask(t floorgate.Task) error {
	old, err := w.st.task(w.tx, t.ID)
	if err != nil {
		return err
	}
	switch {
	case old == nil:
		return floorgate.FieldErrorf("task.id", "task %q does not exist", t.ID)
	case old.Status != floorgate.TaskPending && old.Status != floorgate.TaskHeld:
		return floorgate.FieldErrorf("task.id", "task %q is %s; only a waiting task can be changed", t.ID, old.Status)
	case t.Wave != old.Wave:
		return floorgate.FieldErrorf("task.wave", "%q is not the task's wave %q: a task stays in the wave it arrived in", t.Wave, old.Wave)
	case old.Mode == floorgate.ModeBatch || old.Mode == floorgate.ModeSingle || w.st.batches[t.ID] != nil:
		return floorgate.FieldErrorf("task.id", "task %q belongs to batch picking: cancel it and send the batch again", t.ID)
	case t.Mode == floorgate.ModeBatch || t.Mode == floorgate.ModeSingle:
		return floorgate.FieldErrorf("task.mode", "a task joins a batch only when the batch is declared (task.create with \"batch\")")
	case started(old):
		return floorgate.FieldErrorf("task.id", "task %q was partly picked before it went back to the queue: its units are in a tote or a picker's hands, so it cannot be replaced; cancel it and send a new task", t.ID)
	}
	if err := w.checkLines(t.Lines); err != nil {
		return floorgate.InField("task", err)
	}
	nt := w.newTask(t, old.Created)
	nt.Status = old.Status // held stays held until its wave is released
	return w.putTask(nt)
}

// started reports whether any line of t has progress.
func started(t *floorgate.Task) bool {
	for _, l := range t.Lines {
		if l.Picked > 0 || l.Short > 0 || !l.Open() {
			return true
		}
	}
	return false
}

// Shipment returns the shipment of an order.
func (db *DB) Shipment(order string) (floorgate.Shipment, error) {
	var s floorgate.Shipment
	var found bool
	err := db.bolt.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketShipments).Get([]byte(order))
		if raw == nil {
			return nil
		}
		found = true
		return json.Unmarshal(raw, &s)
	})
	if err != nil {
		return s, fmt.Errorf("read shipment: %w", err)
	}
	if !found {
		return s, floorgate.Errorf(floorgate.ENOTFOUND, "no shipment for order %q", order)
	}
	return s, nil
}

// PutShipments stores shipments for waybills, all or none.
func (db *DB) PutShipments(ctx context.Context, ships []floorgate.Shipment) error {
	for i, s := range ships {
		if err := db.checkShipment(s); err != nil {
			return floorgate.Errorf(floorgate.EINVALID, "%v", floorgate.InField(fmt.Sprintf("shipments[%d]", i), err))
		}
	}
	if err := db.write(ctx, func(w *wtx) error { return w.putShipments(ships) }); err != nil {
		return fmt.Errorf("put shipments: %w", err)
	}
	return nil
}

// checkShipment refuses a shipment its waybill could not be printed from:
// the checks below, then the site's templates (Options.Waybills).
func (db *DB) checkShipment(s floorgate.Shipment) error {
	if err := checkShipment(s); err != nil {
		return err
	}
	if db.opts.Waybills != nil {
		return db.opts.Waybills.Check(s)
	}
	return nil
}

// checkShipment refuses a shipment its waybill could not be printed from:
// what Shipment.Validate asks, and the sender's name and address and a
// phone number a carrier takes, which the waybill template needs too. It
// would otherwise fail at the pack station, as label.failed.
func checkShipment(s floorgate.Shipment) error {
	if err := s.Validate(); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(s.Sender.Name) == "":
		return floorgate.FieldErrorf("sender.name", "missing (the waybill prints it)")
	case strings.TrimSpace(s.Sender.Address) == "":
		return floorgate.FieldErrorf("sender.address", "missing (the waybill prints it)")
	}
	if err := checkPhone(s.Recipient.Phone); err != nil {
		return floorgate.InField("recipient.phone", err)
	}
	if s.Sender.Phone != "" {
		if err := checkPhone(s.Sender.Phone); err != nil {
			return floorgate.InField("sender.phone", err)
		}
	}
	return nil
}

// checkPhone takes a mainland mobile number (11 digits, 13x to 19x), a
// fixed line with its area code (0755-86000000, 010 12345678), either with
// +86 before it, or a number abroad in international form (+44 20 7946
// 0958, 8 to 15 digits) for cross-border parcels. Spaces, '-' and
// parentheses between the digits are kept as written.
func checkPhone(phone string) error {
	body, intl := strings.CutPrefix(strings.TrimSpace(phone), "+")
	var d []byte
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c >= '0' && c <= '9':
			d = append(d, c)
		case c == ' ' || c == '-' || c == '(' || c == ')':
		default:
			return floorgate.FieldErrorf("", "%q is not a phone number: only digits, spaces, '-', '(' and ')', and '+' before a country code", phone)
		}
	}
	switch {
	case intl && !strings.HasPrefix(string(d), "86"):
		if len(d) < 8 || len(d) > 15 {
			return floorgate.FieldErrorf("", "%q has %d digits; a number in international form has 8 to 15", phone, len(d))
		}
		return nil
	case intl:
		d = d[2:]
		if len(d) > 0 && d[0] != '1' && d[0] != '0' {
			d = append([]byte{'0'}, d...) // +86 755 …: the area code without its 0
		}
	case len(d) == 13 && strings.HasPrefix(string(d), "861"):
		d = d[2:]
	}
	switch {
	case len(d) == 11 && d[0] == '1' && d[1] >= '3':
		return nil // a mobile number
	case len(d) >= 11 && len(d) <= 12 && d[0] == '0' && d[1] != '0':
		return nil // an area code (010, 02x, 0xxx) and a 7 or 8 digit number
	}
	return floorgate.FieldErrorf("", "%q is neither a mainland mobile number (11 digits, 13x to 19x) nor a fixed line with its area code (like 0755-86000000)", phone)
}

func (w *wtx) putShipments(ships []floorgate.Shipment) error {
	for _, s := range ships {
		if err := w.put(bucketShipments, s.Order, s); err != nil {
			return err
		}
	}
	return nil
}
