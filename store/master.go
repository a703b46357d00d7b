package store

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan"
	"github.com/floorgate/floorgate/scan/gs1"
)

// Master is a set of master data to add or replace: locations, items with
// their barcodes, and operators (with PINs already hashed).
type Master struct {
	Locations []floorgate.Location `json:"locations,omitempty"`
	Items     []floorgate.Item     `json:"items,omitempty"`
	Operators []floorgate.Operator `json:"operators,omitempty"`
	Carts     []floorgate.Cart     `json:"carts,omitempty"`
	Totes     []floorgate.Tote     `json:"totes,omitempty"`
	Walls     []floorgate.Wall     `json:"walls,omitempty"`
}

// PutMaster validates the whole set against itself and what is stored, and
// applies all of it or none of it.
func (db *DB) PutMaster(ctx context.Context, m Master) error {
	if err := db.write(ctx, func(w *wtx) error { return w.putMaster(m) }); err != nil {
		return fmt.Errorf("put master data: %w", err)
	}
	return nil
}

// putMaster is PutMaster inside a write; a refusal is a *recordError and
// changes nothing.
func (w *wtx) putMaster(m Master) error {
	if err := w.checkMaster(m); err != nil {
		return err
	}
	for i := range m.Locations {
		l := &m.Locations[i]
		if old := w.st.locations[l.Code]; old != nil && barcodeKey(old.Barcode) != barcodeKey(l.Barcode) {
			deleteIn(w, w.st.barcodes, barcodeKey(old.Barcode))
		}
		setIn(w, w.st.locations, l.Code, l)
		setIn(w, w.st.barcodes, barcodeKey(l.Barcode), floorgate.Match{Kind: floorgate.MatchLocation, Location: l})
		if err := w.put(bucketLocations, l.Code, l); err != nil {
			return err
		}
	}
	for i := range m.Items {
		it := &m.Items[i]
		if old := w.st.items[it.SKU]; old != nil {
			for _, b := range old.Barcodes {
				deleteIn(w, w.st.barcodes, barcodeKey(b))
			}
		}
		setIn(w, w.st.items, it.SKU, it)
		for _, b := range it.Barcodes {
			setIn(w, w.st.barcodes, barcodeKey(b), floorgate.Match{Kind: floorgate.MatchItem, Item: it})
		}
		if err := w.put(bucketItems, it.SKU, it); err != nil {
			return err
		}
	}
	for i := range m.Carts {
		c := &m.Carts[i]
		if old := w.st.carts[c.ID]; old != nil && barcodeKey(old.Barcode) != barcodeKey(c.Barcode) {
			deleteIn(w, w.st.barcodes, barcodeKey(old.Barcode))
		}
		setIn(w, w.st.carts, c.ID, c)
		setIn(w, w.st.barcodes, barcodeKey(c.Barcode), floorgate.Match{Kind: floorgate.MatchCart, Cart: c})
		if err := w.put(bucketCarts, c.ID, c); err != nil {
			return err
		}
	}
	for i := range m.Totes {
		t := &m.Totes[i]
		if old := w.st.totes[t.ID]; old != nil && barcodeKey(old.Barcode) != barcodeKey(t.Barcode) {
			deleteIn(w, w.st.barcodes, barcodeKey(old.Barcode))
		}
		setIn(w, w.st.totes, t.ID, t)
		setIn(w, w.st.barcodes, barcodeKey(t.Barcode), floorgate.Match{Kind: floorgate.MatchTote, Tote: t})
		if err := w.put(bucketTotes, t.ID, t); err != nil {
			return err
		}
	}
	for i := range m.Walls {
		wl := &m.Walls[i]
		if old := w.st.walls[wl.ID]; old != nil {
			for _, code := range old.Slots {
				deleteIn(w, w.st.barcodes, barcodeKey(code))
			}
		}
		setIn(w, w.st.walls, wl.ID, wl)
		for j, code := range wl.Slots {
			setIn(w, w.st.barcodes, barcodeKey(code), floorgate.Match{Kind: floorgate.MatchSlot, Wall: wl, Slot: j + 1})
		}
		if err := w.put(bucketWalls, wl.ID, wl); err != nil {
			return err
		}
	}
	for i := range m.Operators {
		o := &m.Operators[i]
		if old := w.st.operators[o.ID]; old != nil {
			deleteIn(w, w.st.badges, old.Badge)
			// Disabling is the site's decision: it holds until an admin
			// enables the operator, whoever sends the record again.
			o.Disabled = old.Disabled
		}
		setIn(w, w.st.operators, o.ID, o)
		setIn(w, w.st.badges, o.Badge, o.ID)
		if err := w.put(bucketOperators, o.ID, o); err != nil {
			return err
		}
	}
	return nil
}

// checkMaster refuses the set if any record is incomplete or a barcode
// would mean two things; the refusal is a *recordError.
func (w *wtx) checkMaster(m Master) error {
	type claimer struct {
		list, id string
		index    int
		field    string
	}
	owner := map[string]claimer{} // barcode → who claims it in this set
	claim := func(code string, c claimer) error {
		if err := checkBarcode(code, c.list == "items"); err != nil {
			return badRecord(c.list, c.index, c.id, floorgate.InField(c.field, err))
		}
		key := barcodeKey(code)
		if prev, dup := owner[key]; dup {
			return badRecord(c.list, c.index, c.id, floorgate.FieldErrorf(c.field, "barcode %q is also %s[%d] (%s)", code, prev.list, prev.index, prev.id))
		}
		owner[key] = c
		return nil
	}
	var pattern *regexp.Regexp
	if p := w.st.site.Policy.LocationPattern; p != "" {
		pattern = regexp.MustCompile(p) // validated with the configuration
	}
	for i, l := range m.Locations {
		if err := validID("code", l.Code); err != nil {
			return badRecord("locations", i, l.Code, floorgate.FieldErrorf("code", "%s", floorgate.ErrorMessage(err)))
		}
		if pattern != nil && !strings.HasPrefix(barcodeKey(l.Barcode), "gln:") && !pattern.MatchString(l.Barcode) {
			return badRecord("locations", i, l.Code, floorgate.FieldErrorf("barcode",
				"%q is neither a GS1 GLN label ((414) with (254)) nor of the site's pattern %s", l.Barcode, pattern))
		}
		if l.WalkSeq < 0 || l.WalkSeq > maxWalkSeq {
			return badRecord("locations", i, l.Code, floorgate.FieldErrorf("walk_seq", "%d is not between 0 and %d", l.WalkSeq, maxWalkSeq))
		}
		if len(l.Zone) > maxIDLen {
			return badRecord("locations", i, l.Code, floorgate.FieldErrorf("zone", "longer than %d characters", maxIDLen))
		}
		if l.LabelXMM < 0 || l.LabelXMM > 2 {
			return badRecord("locations", i, l.Code, floorgate.FieldErrorf("label_x_mm", "%v is not between 0 and 2", l.LabelXMM))
		}
		if err := claim(l.Barcode, claimer{"locations", l.Code, i, "barcode"}); err != nil {
			return err
		}
	}
	for i, it := range m.Items {
		if err := validID("sku", it.SKU); err != nil {
			return badRecord("items", i, it.SKU, floorgate.FieldErrorf("sku", "%s", floorgate.ErrorMessage(err)))
		}
		if it.Name == "" {
			return badRecord("items", i, it.SKU, floorgate.FieldErrorf("name", "missing"))
		}
		if len(it.Barcodes) == 0 {
			return badRecord("items", i, it.SKU, floorgate.FieldErrorf("barcodes", "an item needs at least one"))
		}
		for j, b := range it.Barcodes {
			if err := claim(b, claimer{"items", it.SKU, i, fmt.Sprintf("barcodes[%d]", j)}); err != nil {
				return err
			}
		}
	}
	for i, c := range m.Carts {
		if err := validID("id", c.ID); err != nil {
			return badRecord("carts", i, c.ID, floorgate.FieldErrorf("id", "%s", floorgate.ErrorMessage(err)))
		}
		if c.Slots < 1 || c.Slots > floorgate.MaxCartSlots {
			return badRecord("carts", i, c.ID, floorgate.FieldErrorf("slots", "%d is not between 1 and %d", c.Slots, floorgate.MaxCartSlots))
		}
		if err := claim(c.Barcode, claimer{"carts", c.ID, i, "barcode"}); err != nil {
			return err
		}
	}
	for i, t := range m.Totes {
		if err := validID("id", t.ID); err != nil {
			return badRecord("totes", i, t.ID, floorgate.FieldErrorf("id", "%s", floorgate.ErrorMessage(err)))
		}
		if err := claim(t.Barcode, claimer{"totes", t.ID, i, "barcode"}); err != nil {
			return err
		}
	}
	for i, wl := range m.Walls {
		if err := validID("id", wl.ID); err != nil {
			return badRecord("walls", i, wl.ID, floorgate.FieldErrorf("id", "%s", floorgate.ErrorMessage(err)))
		}
		if len(wl.Slots) < 1 || len(wl.Slots) > floorgate.MaxWallSlots {
			return badRecord("walls", i, wl.ID, floorgate.FieldErrorf("slots", "%d slots: a wall has 1 to %d, one barcode each", len(wl.Slots), floorgate.MaxWallSlots))
		}
		if len(wl.Station) > maxIDLen {
			return badRecord("walls", i, wl.ID, floorgate.FieldErrorf("station", "longer than %d characters", maxIDLen))
		}
		for j, code := range wl.Slots {
			if err := claim(code, claimer{"walls", wl.ID, i, fmt.Sprintf("slots[%d]", j)}); err != nil {
				return err
			}
		}
	}
	// A barcode kept by stored master data that this set does not replace
	// must not be claimed by something else.
	replacedLocations := make(map[string]bool, len(m.Locations))
	for _, l := range m.Locations {
		replacedLocations[l.Code] = true
	}
	replacedItems := make(map[string]bool, len(m.Items))
	for _, it := range m.Items {
		replacedItems[it.SKU] = true
	}
	replacedCarts, replacedTotes, replacedWalls := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, wl := range m.Walls {
		replacedWalls[wl.ID] = true
	}
	for _, c := range m.Carts {
		replacedCarts[c.ID] = true
	}
	for _, t := range m.Totes {
		replacedTotes[t.ID] = true
	}
	for key, c := range owner {
		code := strings.TrimPrefix(strings.TrimPrefix(key, "gtin:"), "gln:")
		existing, ok := w.st.barcodes[key]
		if !ok {
			continue
		}
		switch {
		case existing.Kind == floorgate.MatchLocation && !replacedLocations[existing.Location.Code]:
			return badRecord(c.list, c.index, c.id, floorgate.FieldErrorf(c.field, "barcode %q already belongs to location %s", code, existing.Location.Code))
		case existing.Kind == floorgate.MatchItem && !replacedItems[existing.Item.SKU]:
			return badRecord(c.list, c.index, c.id, floorgate.FieldErrorf(c.field, "barcode %q already belongs to item %s", code, existing.Item.SKU))
		case existing.Kind == floorgate.MatchCart && !replacedCarts[existing.Cart.ID]:
			return badRecord(c.list, c.index, c.id, floorgate.FieldErrorf(c.field, "barcode %q already belongs to cart %s", code, existing.Cart.ID))
		case existing.Kind == floorgate.MatchTote && !replacedTotes[existing.Tote.ID]:
			return badRecord(c.list, c.index, c.id, floorgate.FieldErrorf(c.field, "barcode %q already belongs to tote %s", code, existing.Tote.ID))
		case existing.Kind == floorgate.MatchSlot && !replacedWalls[existing.Wall.ID]:
			return badRecord(c.list, c.index, c.id, floorgate.FieldErrorf(c.field, "barcode %q already belongs to slot %d of wall %s", code, existing.Slot, existing.Wall.ID))
		}
	}
	badges := map[string]bool{}
	zones := zoneSet{w: w, set: m.Locations}
	for i, o := range m.Operators {
		bad := func(field, format string, args ...any) error {
			return badRecord("operators", i, o.ID, floorgate.FieldErrorf(field, format, args...))
		}
		if err := validID("id", o.ID); err != nil {
			return bad("id", "%s", floorgate.ErrorMessage(err))
		}
		if o.Badge == "" || badges[o.Badge] {
			return bad("badge", "empty or used twice")
		}
		if len(o.Badge) > MaxBadgeLen {
			return bad("badge", "longer than %d bytes", MaxBadgeLen)
		}
		badges[o.Badge] = true
		if id, ok := w.st.badges[o.Badge]; ok && id != o.ID {
			return bad("badge", "%q already belongs to operator %s", o.Badge, id)
		}
		if !floorgate.ValidPINHash(o.PINHash) {
			return bad("pin_hash", "not a PIN hash")
		}
		switch o.Role {
		case floorgate.RolePicker, floorgate.RolePacker, floorgate.RoleSupervisor, floorgate.RoleAdmin:
		default:
			return bad("role", "%q is not one of picker, packer, supervisor, admin", o.Role)
		}
		if len(o.Zones) > 0 && o.Role != floorgate.RolePicker {
			return bad("zones", "only a picker is limited to zones; %s is a %s", o.ID, o.Role)
		}
		seen := map[string]bool{}
		for j, z := range o.Zones {
			switch {
			case z == "":
				return bad(fmt.Sprintf("zones[%d]", j), "empty")
			case seen[z]:
				return bad(fmt.Sprintf("zones[%d]", j), "%q is listed twice", z)
			case !zones.has(z):
				// A picker limited to a zone no location is in would
				// never be given a task.
				return bad(fmt.Sprintf("zones[%d]", j), "no location is in zone %q", z)
			}
			seen[z] = true
		}
	}
	return nil
}

// maxWalkSeq bounds a location's walk sequence.
const maxWalkSeq = 1_000_000_000

// zoneSet is the zones the site's locations are in, stored or in the set
// being put, gathered at the first question.
type zoneSet struct {
	w     *wtx
	set   []floorgate.Location
	zones map[string]bool
}

// has reports whether some location is in zone z.
func (s *zoneSet) has(z string) bool {
	if s.zones == nil {
		s.zones = map[string]bool{}
		replaced := map[string]bool{}
		for _, l := range s.set {
			s.zones[l.Zone] = true
			replaced[l.Code] = true
		}
		for _, l := range s.w.st.locations {
			if !replaced[l.Code] {
				s.zones[l.Zone] = true
			}
		}
	}
	return s.zones[z]
}

// checkBarcode refuses a barcode no scanner can send: empty, white space
// around it or nothing else, a control character (GS, the GS1 separator,
// excepted). An item's barcode of 8, 12, 13 or 14 digits is a GTIN
// (EAN-8, UPC-A, EAN-13, GTIN-14) and must end in its GS1 check digit:
// scanners check it, so a wrong one would never be read on the floor.
func checkBarcode(code string, item bool) error {
	switch {
	case code == "":
		return floorgate.FieldErrorf("", "empty")
	case strings.TrimSpace(code) == "":
		return floorgate.FieldErrorf("", "%q is only white space", code)
	case strings.TrimSpace(code) != code:
		return floorgate.FieldErrorf("", "%q starts or ends with white space", code)
	}
	for i, r := range code {
		if unicode.IsControl(r) && r != '\x1d' {
			return floorgate.FieldErrorf("", "%q holds the control character %U at byte %d; only GS (U+001D) may appear, between GS1 elements", code, r, i)
		}
	}
	if !item || !allDigits(code) {
		return nil
	}
	switch n := len(code); n {
	case 8, 12, 13, 14:
		if _, ok := gs1.NormalizeGTIN(code); !ok {
			return floorgate.FieldErrorf("", "%q is %d digits, so a GTIN-%d, but its check digit is wrong: it ends in %c, the GS1 check digit is %c",
				code, n, n, code[n-1], gs1.CheckDigit(code[:n-1]))
		}
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// recordError is invalid input in record index of a list: which record,
// which field in it, and why. It reads "tasks[2] (id "T-3"): lines[0].sku:
// unknown SKU" and unwraps to a *floorgate.Error for codes.
type recordError struct {
	list  string
	index int
	id    string
	code  string
	fe    *floorgate.FieldError
}

func (e *recordError) Error() string {
	return fmt.Sprintf("%s[%d] (id %q): %v", e.list, e.index, e.id, e.fe)
}

// Unwrap gives the error its code.
func (e *recordError) Unwrap() error { return &floorgate.Error{Code: e.code, Message: e.Error()} }

// path is the field as a path from the list: tasks[2].lines[0].sku.
func (e *recordError) path() string {
	return floorgate.InField(fmt.Sprintf("%s[%d]", e.list, e.index), e.fe).Field
}

func badRecord(list string, i int, id string, err error) *recordError {
	return &recordError{list: list, index: i, id: id, code: floorgate.EINVALID, fe: floorgate.InField("", err)}
}

// DefaultMaxTaskLines is how many lines a task may have unless
// Options.MaxTaskLines says otherwise: a pick list a picker can walk, and a
// task that stays small on the PDA and in every write that touches it.
const DefaultMaxTaskLines = 500

// checkTaskLines refuses a task with more lines than the site allows,
// naming the task and its count.
func (db *DB) checkTaskLines(t floorgate.Task) error {
	limit := db.opts.MaxTaskLines
	if limit <= 0 {
		limit = DefaultMaxTaskLines
	}
	if len(t.Lines) > limit {
		return floorgate.FieldErrorf("lines", "task %q has %d lines; a task may have at most %d", t.ID, len(t.Lines), limit)
	}
	return nil
}

// ImportTasks validates every task and stores them all, or none. A task
// whose id is already stored with the same content is skipped (an import
// may be repeated); with different content it is refused. Pickers waiting
// for work are given the new tasks at once.
func (db *DB) ImportTasks(ctx context.Context, tasks []floorgate.Task) (added int, err error) {
	err = db.write(ctx, func(w *wtx) error {
		var err error
		added, err = w.addTasks(tasks, nil, nil, db.clock.Now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("import tasks: %w", err)
	}
	return added, nil
}

// ImportWave is ImportTasks for tasks arriving in the wave def declares,
// as a task.create command with a wave does it.
func (db *DB) ImportWave(ctx context.Context, def floorgate.WaveDefinition, tasks []floorgate.Task) (added int, err error) {
	err = db.write(ctx, func(w *wtx) error {
		var err error
		added, err = w.addTasks(tasks, &def, nil, db.clock.Now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("import wave %s: %w", def.ID, err)
	}
	return added, nil
}

// ImportBatch is ImportTasks for the orders of a batch (sorted at its put
// wall, or, with no wall, packed in the single-item lane), as a task.create
// command with a batch does it.
func (db *DB) ImportBatch(ctx context.Context, batch floorgate.BatchDefinition, tasks []floorgate.Task) (added int, err error) {
	err = db.write(ctx, func(w *wtx) error {
		var err error
		added, err = w.addTasks(tasks, nil, &batch, db.clock.Now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("import batch %s: %w", batch.ID, err)
	}
	return added, nil
}

// addTasks is ImportTasks inside a write; a refusal is a *recordError, or
// a *floorgate.FieldError in wave. Tasks arrive in the wave def declares,
// when it is not nil (a task may name it or no wave); otherwise in the wave
// each names.
func (w *wtx) addTasks(tasks []floorgate.Task, def *floorgate.WaveDefinition, batch *floorgate.BatchDefinition, now time.Time) (int, error) {
	if def != nil {
		if err := def.Validate(); err != nil {
			return 0, floorgate.InField("wave", err)
		}
	}
	tasks, batch = w.db.opts.Modes.apply(tasks, def, batch)
	if batch != nil {
		if err := w.checkBatch(*batch, tasks); err != nil {
			return 0, floorgate.InField("batch", err)
		}
	}
	seen := map[string]bool{}
	var fresh []*floorgate.Task
	for i := range tasks {
		t := tasks[i]
		if def != nil {
			if t.Wave != "" && t.Wave != def.ID {
				return 0, badRecord("tasks", i, t.ID, floorgate.FieldErrorf("wave", "%q is not the command's wave %q", t.Wave, def.ID))
			}
			t.Wave = def.ID
		}
		if len(t.Wave) > maxIDLen {
			return 0, badRecord("tasks", i, t.ID, floorgate.FieldErrorf("wave", "longer than %d characters", maxIDLen))
		}
		switch lane := batch.Mode(); {
		case batch != nil && t.Mode != "" && t.Mode != lane:
			return 0, badRecord("tasks", i, t.ID, floorgate.FieldErrorf("mode", "%q in a batch %s: its orders are %s (or leave the mode out)", t.Mode, batch.Where(), lane))
		case batch != nil:
			t.Mode = lane
		case t.Mode == floorgate.ModeBatch || t.Mode == floorgate.ModeSingle:
			return 0, badRecord("tasks", i, t.ID, floorgate.FieldErrorf("mode", "a %s order arrives in a batch: send it with the command's \"batch\"", t.Mode))
		}
		if err := t.Validate(); err != nil {
			return 0, badRecord("tasks", i, t.ID, err)
		}
		if t.Mode == floorgate.ModeCluster && (len(w.st.carts) == 0 || len(w.st.totes) == 0) {
			// Nobody could ever pick it: refused now, not stranded later.
			return 0, badRecord("tasks", i, t.ID, floorgate.FieldErrorf("mode", "a cluster order is picked on a cart of totes, and the site has no carts or no totes: send them with master.put first"))
		}
		if err := w.db.checkTaskLines(t); err != nil {
			return 0, badRecord("tasks", i, t.ID, err)
		}
		if seen[t.ID] {
			return 0, badRecord("tasks", i, t.ID, floorgate.FieldErrorf("id", "appears twice in this import"))
		}
		seen[t.ID] = true
		if err := w.checkLines(t.Lines); err != nil {
			return 0, badRecord("tasks", i, t.ID, err)
		}
		old, err := w.st.task(w.tx, t.ID)
		if err != nil {
			return 0, err
		}
		if old != nil {
			if !sameTask(*old, t) {
				e := badRecord("tasks", i, t.ID, floorgate.FieldErrorf("id", "a different task with this id exists (status %s)", old.Status))
				e.code = floorgate.ECONFLICT
				return 0, e
			}
			continue
		}
		fresh = append(fresh, w.newTask(t, now))
	}
	if batch != nil && len(fresh) > 0 {
		pick, err := w.addBatch(*batch, fresh, now)
		if err != nil {
			return 0, floorgate.InField("batch", err)
		}
		fresh = append(fresh, pick)
	}
	// Each wave the fresh tasks arrive in, in the order first named.
	var waves []string
	counts := map[string]int{}
	for _, t := range fresh {
		if counts[t.Wave] == 0 {
			waves = append(waves, t.Wave)
		}
		counts[t.Wave]++
	}
	if def != nil && len(fresh) == 0 {
		waves = append(waves, def.ID) // a repeat: the definition must still match
	}
	status := map[string]floorgate.TaskStatus{}
	var arrived []string // waves declared now without a hold: released on arrival
	for _, id := range waves {
		known := w.st.waves[id] != nil
		var err error
		if status[id], err = w.joinWave(def, id, counts[id], now); err != nil {
			return 0, err
		}
		if wv := w.st.waves[id]; !known && wv != nil && wv.Status == floorgate.WaveReleased {
			arrived = append(arrived, id)
		}
	}
	for _, t := range fresh {
		t.Status = status[t.Wave]
		if err := w.putTask(t); err != nil {
			return 0, err
		}
		if err := w.emit(floorgate.NewEvent(floorgate.EventTaskReceived, now, floorgate.TaskRecord{
			Task: t.ID, Order: t.Order, Wave: t.Wave, Lines: len(t.Lines)})); err != nil {
			return 0, err
		}
	}
	for _, id := range arrived {
		if err := w.emit(floorgate.NewEvent(floorgate.EventWaveReleased, now, waveRecord(w.st.waves[id]))); err != nil {
			return 0, err
		}
	}
	return len(fresh), w.assignIdle(now)
}

// checkLines refuses lines that name a location or SKU the site lacks.
func (w *wtx) checkLines(lines []floorgate.TaskLine) error {
	for j, l := range lines {
		if w.st.locations[l.Location] == nil {
			return floorgate.FieldErrorf(fmt.Sprintf("lines[%d].location", j), "unknown location %q", l.Location)
		}
		if w.st.items[l.SKU] == nil {
			return floorgate.FieldErrorf(fmt.Sprintf("lines[%d].sku", j), "unknown SKU %q", l.SKU)
		}
	}
	return nil
}

// newTask is t as it is stored on arrival: pending, every line open, each
// line with its location's walk sequence.
func (w *wtx) newTask(t floorgate.Task, now time.Time) *floorgate.Task {
	t.Status = floorgate.TaskPending
	t.Operator, t.Device, t.Cancel = "", "", ""
	if t.Variant == "" {
		t.Variant = floorgate.VariantNormal
	}
	if t.Created.IsZero() {
		t.Created = now
	}
	t.Lines = slices.Clone(t.Lines)
	for j := range t.Lines {
		l := &t.Lines[j]
		l.Status, l.Picked, l.WalkSeq = floorgate.LineOpen, 0, 0
		if loc := w.st.locations[l.Location]; loc != nil {
			l.WalkSeq = loc.WalkSeq
		}
	}
	return &t
}

// modeOf is a task's mode, discrete when it names none.
func modeOf(m floorgate.TaskMode) floorgate.TaskMode {
	if m == "" {
		return floorgate.ModeDiscrete
	}
	return m
}

// sameTask reports whether an incoming task repeats a stored one.
func sameTask(old, in floorgate.Task) bool {
	if old.Order != in.Order || old.Wave != in.Wave || old.Priority != in.Priority || len(old.Lines) != len(in.Lines) ||
		modeOf(old.Mode) != modeOf(in.Mode) {
		return false
	}
	for i, l := range in.Lines {
		o := old.Lines[i]
		if o.Location != l.Location || o.SKU != l.SKU || o.Qty != l.Qty || o.KeyedQty != l.KeyedQty {
			return false
		}
	}
	return true
}

// assignIdle gives waiting tasks to logged-in pickers who have none and
// tells their devices.
func (w *wtx) assignIdle(now time.Time) error {
	devices := make([]string, 0)
	for d, s := range w.st.sessions {
		if s.Operator != "" && s.Task == "" && s.Cart == nil && s.Sort == nil && (w.db.opts.Present == nil || w.db.opts.Present(d)) {
			devices = append(devices, d)
		}
	}
	slices.Sort(devices)
	for _, d := range devices {
		res, assigned, err := w.assignIfIdle(w.st.sessions[d], now)
		if err != nil {
			return err
		}
		if !assigned {
			if len(w.st.pending) == 0 {
				break
			}
			if op := w.st.sessions[d].Operator; w.db.picks(op) && w.st.cartWaiting(op) {
				// Cart orders wait: the idle picker is asked to take a cart.
				w.notify(floorgate.Notice{Device: d, Kind: floorgate.NoticeCartWork,
					Verdict: floorgate.NewVerdict("", floorgate.CodeCartOrders, scan.IdlePrompt(true))})
			}
			continue // a picker limited to zones no waiting task is in, or a cart to take
		}
		p := res.Verdict.Prompt
		w.db.fillPrompt(&p)
		w.notify(floorgate.Notice{Device: d, Kind: floorgate.NoticeTaskAssigned, Task: res.Session.Task,
			Verdict: floorgate.NewVerdict("", floorgate.CodeLocationOK, p)})
	}
	return nil
}

// CancelTask intercepts a task: picking stops at once. A picker on it gets
// told now and every further scan of theirs is refused as cancelled until
// they move on.
func (db *DB) CancelTask(ctx context.Context, id, reason string) error {
	if err := db.write(ctx, func(w *wtx) error { return w.cancelTask(id, reason) }); err != nil {
		return fmt.Errorf("cancel task %s: %w", id, err)
	}
	return nil
}

// cancelTask is CancelTask inside a write.
func (w *wtx) cancelTask(id, reason string) error {
	t, err := w.st.task(w.tx, id)
	if err != nil {
		return err
	}
	switch {
	case t == nil:
		return floorgate.Errorf(floorgate.ENOTFOUND, "task %q does not exist", id)
	case t.Status == floorgate.TaskCancelled:
		return nil
	case t.Status == floorgate.TaskDone:
		return floorgate.Errorf(floorgate.ECONFLICT, "task %q is already picked; intercept it at packing", id)
	}
	ct, evs := scan.Cancel(t, reason, w.db.clock.Now())
	if err := w.putTask(&ct); err != nil {
		return err
	}
	// The order is stopped at the pack station and at shipping too, and a
	// waybill not yet printed is not printed.
	if err := w.tx.Bucket(bucketIntercepts).Put([]byte(t.Order), []byte(reason)); err != nil {
		return fmt.Errorf("record intercept: %w", err)
	}
	if err := w.cancelJobs(t.Order, "order cancelled: "+reason); err != nil {
		return err
	}
	if err := w.emit(evs...); err != nil {
		return err
	}
	// Its tote is emptied, its wall slot freed: what they held goes back.
	if err := w.freeTote(id); err != nil {
		return err
	}
	if err := w.freeSlot(t.Order); err != nil {
		return err
	}
	for d, sess := range w.st.sessions {
		if sess.Sort == nil || sess.Sort.Put == nil || sess.Sort.Put.Task != id {
			continue
		}
		// The unit waiting for the cancelled order's slot goes back into
		// the container: the next scan is a unit again.
		run := *sess.Sort
		run.Put = nil
		sess.Sort = &run
		if err := w.putSession(sess); err != nil {
			return err
		}
		p, err := w.db.prompt(w.tx, sess)
		if err != nil {
			return err
		}
		w.notify(floorgate.Notice{Device: d, Kind: floorgate.NoticeTaskCancelled, Task: id,
			Verdict: floorgate.NewVerdict("", floorgate.CodeTaskCancelled, p)})
	}
	if sess, ok := w.st.cartOf(id); ok {
		if p := sess.Cart.Put; p != nil && sess.Cart.Tasks[p.Slot-1] == id {
			// The unit waiting for the cancelled order's tote goes back
			// to the bin: the walk goes on without it.
			run := *sess.Cart
			run.Put = nil
			sess.Cart = &run
			if err := w.putSession(sess); err != nil {
				return err
			}
		}
		p, err := w.db.prompt(w.tx, sess)
		if err != nil {
			return err
		}
		w.notify(floorgate.Notice{Device: sess.Device, Kind: floorgate.NoticeTaskCancelled, Task: id,
			Verdict: floorgate.NewVerdict("", floorgate.CodeTaskCancelled, p)})
		return nil
	}
	if t.Device != "" {
		if sess, ok := w.st.sessions[t.Device]; ok && sess.Task == id {
			w.notify(floorgate.Notice{Device: t.Device, Kind: floorgate.NoticeTaskCancelled, Task: id,
				Verdict: floorgate.NewVerdict("", floorgate.CodeTaskCancelled, scan.PromptFor(sess, &ct))})
		}
	}
	return nil
}
