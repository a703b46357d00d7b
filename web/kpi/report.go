package kpi

import (
	"time"

	"github.com/floorgate/floorgate"
)

// The site's standards the report measures against.
const (
	// AccuracyMin is the lowest pick accuracy (and line accuracy) that
	// meets the standard.
	AccuracyMin = 0.998
	// ExceptionRateMax is the highest share of orders with an exception
	// that meets the standard.
	ExceptionRateMax = 0.01
	// ComplianceMin is the lowest share of orders handled entirely by the
	// standard flow that meets the standard.
	ComplianceMin = 0.98
	// MaxWindow is the longest window Compute accepts: a report holds every
	// hour for the site and for each person, so a longer one is refused
	// rather than grown without bound.
	MaxWindow = 31 * 24 * time.Hour
)

// Report is the KPIs of one window. It is served as JSON.
type Report struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Standards Standards `json:"standards"`
	// Site is the figures over everyone, including events that name no
	// operator (a scan on a device nobody is logged in on, a label failure).
	Site Figures `json:"site"`
	// DistanceByDevice is the site's Distance per device over the window
	// (the scan record's Device), sorted by device: which devices cannot
	// measure (devices.go).
	DistanceByDevice []DeviceDistance `json:"distance_by_device"`
	// People is one entry per operator the window's events name (or who
	// was logged in during it), sorted by operator id.
	People []Person `json:"people"`
	// Hours is the site's figures for every clock hour (UTC) that overlaps
	// the window, empty hours included, in order: the trend line.
	Hours []Hour `json:"hours"`
	// Waves is the orders that ended (shipped) in the window, grouped by
	// their wave, one row per wave, sorted by wave id; orders of no wave
	// are the row with wave "". VariantGroups is the same orders grouped
	// by the variant their ship.confirmed carries, every variant listed
	// (normal, presale, crossborder, peak). Both are site-wide (orders.go).
	Waves         []OrderGroup `json:"waves"`
	VariantGroups []OrderGroup `json:"variant_groups"`
}

// Standards are the targets the figures are judged against.
type Standards struct {
	AccuracyMin  float64 `json:"accuracy_min"`   // 0.998
	OutboundMaxS float64 `json:"outbound_max_s"` // 1800: packed to outbound confirmed
	// ExceptionRateMax is the most orders with an exception (0.01);
	// ComplianceMin the fewest handled by the standard flow (0.98).
	ExceptionRateMax float64 `json:"exception_rate_max"`
	ComplianceMin    float64 `json:"compliance_min"`
}

// Person is one operator's figures, over the window and per hour.
type Person struct {
	Operator string `json:"operator"`
	// Name is the display name given to Compute; empty when unknown.
	Name string `json:"name,omitempty"`
	// Role is a hint from what the events show the person doing: "picker"
	// (pick scans), "packer" (pack.started, pack.completed, ship.confirmed
	// or label.failed as packer), "picker,packer" for both, or empty.
	Role string `json:"role,omitempty"`
	Figures
	// Hours is this person's figures for the same hours as Report.Hours.
	Hours []Hour `json:"hours"`
}

// Hour is the figures of one clock hour, clipped to the window.
type Hour struct {
	Start time.Time `json:"start"` // on the hour, UTC
	Figures
}

// Figures are the KPIs of one population (the site or one person) over one
// span (the window or one hour). An event counts in the span its Time falls
// in and, per person, for the operator its payload names: the scan's
// Operator, the line's Operator, the exception's Operator (an
// exception.raised case's too), the parcel's Packer (an order ends for who
// shipped it), the Operator of pick.task_completed or pick.put, the
// label.failed job's Packer; exception.resolved counts for the site only. Ratios whose denominator is zero are null, except lines_per_hour
// and the distance shares, which are 0. docs/web-api.md defines each
// figure; these comments say the same.
type Figures struct {
	// Scans is the number of scan.accepted and scan.rejected events, pick
	// and pack scans alike; Accepted and Rejected split it, and
	// RejectedByCode counts the rejections by verdict code.
	Scans          int                    `json:"scans"`
	Accepted       int                    `json:"accepted"`
	Rejected       int                    `json:"rejected"`
	RejectedByCode map[floorgate.Code]int `json:"rejected_by_code"`

	// Lines is the number of pick.line_confirmed events (status done or
	// short); ShortLines those of them with status short.
	Lines      int `json:"lines"`
	ShortLines int `json:"short_lines"`

	// HoursLoggedIn is the time operators were logged in, in hours, clipped
	// to the span: a session runs from operator.logged_in to the
	// operator.logged_out of the same operator on the same device, to a
	// login of the same operator on another device, or to the window's end.
	// At site level it is the sum over people (person-hours).
	HoursLoggedIn float64 `json:"hours_logged_in"`
	// LinesPerHour is Lines / HoursLoggedIn; 0 when nobody was logged in.
	// Lines and LinesPerHour count every mode.
	LinesPerHour float64 `json:"lines_per_hour"`

	// Modes is the figures of each picking mode ("discrete", "cluster",
	// "batch"), every mode listed. A task is cluster when a cart.started
	// earlier in the events given lists it, batch when it was sorted at a
	// put wall (modes.go), discrete otherwise. The single-item lane has no
	// figures of its own: its units are its batch's discrete pick task's.
	Modes map[floorgate.TaskMode]ModeFigures `json:"modes"`
	// Variants is the parcels of each order variant ("normal", "presale",
	// "crossborder", "peak"), every variant listed, by the variant their
	// pack.completed and ship.confirmed records carry (absent: normal).
	Variants map[floorgate.OrderVariant]VariantFigures `json:"variants"`

	// PickScans is the number of pick scans (scan events whose record names
	// a discrete task; pack scans never do — the single-item lane's
	// pack_done names its order but is a pack scan —, a cart's scans are
	// counted by their puts, and a put wall's by their sorts, ModeFigures)
	// that count for accuracy: the accepted
	// ones and the wrong ones — those showing a picker's mistake: rejected
	// with a picker's error (see PickerError), or rejected for distance
	// with such an error as InBandCode. WrongPickScans is the latter.
	PickScans      int `json:"pick_scans"`
	WrongPickScans int `json:"wrong_pick_scans"`
	// PickAccuracy is per scan: (PickScans − WrongPickScans) / PickScans;
	// null when PickScans is 0.
	PickAccuracy *float64 `json:"pick_accuracy"`
	// AccuracyOK is PickAccuracy ≥ AccuracyMin (compared exactly, in
	// integers); null when PickAccuracy is.
	AccuracyOK *bool `json:"accuracy_ok"`

	// LinesRightFirstTime is the number of pick.line_confirmed events (done
	// or short) of discrete tasks with no wrong pick scan against the same
	// task and line (the line its record names) anywhere earlier in the
	// events given.
	LinesRightFirstTime int `json:"lines_right_first_time"`
	// LineAccuracy is per line, the standard's "picked right the first
	// time": LinesRightFirstTime / Modes["discrete"].Lines; null when that
	// is 0.
	LineAccuracy *float64 `json:"line_accuracy"`
	// LineAccuracyOK is LineAccuracy ≥ AccuracyMin (compared exactly, in
	// integers); null when LineAccuracy is.
	LineAccuracyOK *bool `json:"line_accuracy_ok"`

	// SequenceCompliance is the share of item scans judged at a line that
	// came after their location: (N − B) / N, where N is the pick scans of
	// kind item that were accepted or wrong, and B those whose mistake is
	// item_before_location; null when N is 0.
	SequenceCompliance *float64 `json:"sequence_compliance"`

	// Orders is the orders that ended in the span: the ship.confirmed
	// events, each counted for its Packer. A cancelled order (pick.exception
	// kind intercept) does not end as an order here: it is in neither
	// Orders nor any figure below, whatever happened to it before (orders.go).
	Orders int `json:"orders"`
	// OrdersWithException is those of Orders with an exception on the
	// order anywhere earlier in the events given: an exception.raised, or a
	// pick.exception of kind short_pick (journals from before
	// exception.raised), naming the order; an order counts once however
	// many it had.
	OrdersWithException int `json:"orders_with_exception"`
	// ExceptionRate is OrdersWithException / Orders; null when Orders is 0.
	// ExceptionRateOK is ExceptionRate ≤ ExceptionRateMax (compared
	// exactly, in integers); null when ExceptionRate is.
	ExceptionRate   *float64 `json:"exception_rate"`
	ExceptionRateOK *bool    `json:"exception_rate_ok"`
	// CompliantOrders is those of Orders handled entirely by the standard
	// flow: no exception on the order, no wrong scan against it, no scan
	// against it read out of the distance band (anywhere earlier in the
	// events given), and shipped within the outbound standard
	// (pack_to_ship_s ≤ OutboundMaxS). orders.go says which scans are
	// against an order and which of them are wrong.
	CompliantOrders int `json:"compliant_orders"`
	// Compliance is CompliantOrders / Orders; null when Orders is 0.
	// ComplianceOK is Compliance ≥ ComplianceMin (compared exactly, in
	// integers); null when Compliance is.
	Compliance   *float64 `json:"compliance"`
	ComplianceOK *bool    `json:"compliance_ok"`

	Distance       Distance   `json:"distance"`
	PackToOutbound Outbound   `json:"pack_to_outbound"`
	Stages         Stages     `json:"stages"`
	Exceptions     Exceptions `json:"exceptions"`
}

// ModeFigures are the figures of one picking mode, for the population and
// span of the Figures holding them.
type ModeFigures struct {
	// Units is the units picked: for discrete, the qty of each accepted
	// pick scan with code item_ok, line_done or task_done (1 when it has
	// none: a case label's count is not in the record); for cluster, the
	// qty of each pick.put; for batch, the units sorted: the qty of each
	// sort.put.
	Units int `json:"units"`
	// UnitsPerHour is Units / HoursLoggedIn of the same population and
	// span (every mode's hours: the modes' rates add up); 0 when nobody
	// was logged in.
	UnitsPerHour float64 `json:"units_per_hour"`
	// Lines is the pick.line_confirmed events of the mode's tasks.
	Lines int `json:"lines"`
	// Puts is the put scans that count for accuracy: accepted puts
	// (put_ok, cart_done) and wrong ones — refused while a unit waited for
	// its container (the record names its line) with a put error
	// (wrong_tote, tote_not_needed, tote_expected, unknown_tote), or
	// refused for distance with one as InBandCode. WrongPuts is the latter.
	// For batch they are the sorts at a put wall: accepted slot scans that
	// counted a unit (sort_ok, slot_ready, batch_sorted) and wall scans
	// refused with a sort error (wrong_slot, slot_expected,
	// tote_without_item), or refused for distance with one as InBandCode;
	// a surplus is no sort (the batch pick's, not the sorter's).
	Puts      int `json:"puts"`
	WrongPuts int `json:"wrong_puts"`
	// PutAccuracy is (Puts − WrongPuts) / Puts (for batch, the sort
	// accuracy); null when Puts is 0.
	PutAccuracy *float64 `json:"put_accuracy"`
}

// Distance is the scanning-distance standard's compliance, over scan events
// (pick and pack) whose record has a Distance ("in" or "out" of the site's
// band, both ends in; "unknown": no measurement from a device that could
// have measured; "not_measurable": a device that cannot measure, such as a
// hardware scanner).
type Distance struct {
	In      int `json:"in"`
	Out     int `json:"out"`
	Unknown int `json:"unknown"`
	// NotMeasurable is the scans of devices that cannot measure their
	// distance; they are not in Unknown.
	NotMeasurable int `json:"not_measurable"`
	Total         int `json:"total"` // In + Out + Unknown + NotMeasurable
	// InShare, OutShare, UnknownShare and NotMeasurableShare are In, Out,
	// Unknown and NotMeasurable / Total; 0 when Total is 0.
	InShare            float64 `json:"in_share"`
	OutShare           float64 `json:"out_share"`
	UnknownShare       float64 `json:"unknown_share"`
	NotMeasurableShare float64 `json:"not_measurable_share"`
	// InBandShare is In / (In + Out): of the scans whose distance is known,
	// the share read within the band; null when none is known.
	InBandShare *float64 `json:"in_band_share"`
}

// Outbound is packed → outbound confirmed, from ship.confirmed's
// PackToShipS, against the 30-minute standard.
type Outbound struct {
	Count int     `json:"count"`
	MeanS float64 `json:"mean_s"`
	P50S  float64 `json:"p50_s"` // nearest rank, see Percentile
	P90S  float64 `json:"p90_s"`
	MaxS  float64 `json:"max_s"`
	// WithinStandard counts parcels with PackToShipS ≤ OutboundMaxS;
	// WithinStandardShare is it / Count, null when Count is 0.
	WithinStandard      int      `json:"within_standard"`
	WithinStandardShare *float64 `json:"within_standard_share"`
}

// Stages is the time per flow stage. A stage counts in the span of the
// event that ends it.
type Stages struct {
	// Pick is pick.task_started → pick.task_completed of the same discrete
	// task: the latest start before the completion (a task handed back and
	// started again is timed from its last start), found anywhere earlier
	// in the events given; a completion with no start among them is not
	// timed, nor one of a cluster task (every order on a cart starts with
	// the cart).
	Pick Stage `json:"pick"`
	// Pack is pack.started → pack.completed of the same parcel, from
	// pack.completed's Started and Packed (the two events' times).
	Pack Stage `json:"pack"`
	// Outbound is pack.completed → ship.confirmed, from ship.confirmed's
	// PackToShipS (Shipped − Packed).
	Outbound Stage `json:"outbound"`
}

// Stage is the durations of one stage.
type Stage struct {
	Count int     `json:"count"`
	MeanS float64 `json:"mean_s"`
	P50S  float64 `json:"p50_s"` // nearest rank
	P90S  float64 `json:"p90_s"` // nearest rank
}

// Exceptions are the floor's exceptions.
type Exceptions struct {
	ShortPicks int `json:"short_picks"` // pick.exception of kind short_pick
	Intercepts int `json:"intercepts"`  // pick.exception of kind intercept
	// LabelFailures counts label.failed, for the job's Packer (the packer
	// of the parcel the label is for); a job without one counts for the
	// site only.
	LabelFailures int `json:"label_failures"`
	// WrongScansByLocation counts the wrong pick scans (those
	// WrongPickScans counts) by where the picker was: the scan record's
	// Location ("" when it has none), by the mistake's code. Sorted by
	// count descending, then location.
	WrongScansByLocation []LocationErrors `json:"wrong_scans_by_location"`
	// ByReason counts exception.raised by reason code, for the case's
	// Operator; every reason the events name is listed, none other.
	ByReason map[floorgate.ExceptionReason]int `json:"by_reason"`
	// Resolution is the time to resolve, from exception.resolved's
	// resolution.resolve_s, in the span of the exception.resolved event;
	// for the site only (the supervisor who resolves is no operator).
	Resolution Resolution `json:"resolution"`
}

// Resolution is the time exceptions took to be resolved.
type Resolution struct {
	Count int     `json:"count"`
	MeanS float64 `json:"mean_s"`
	P90S  float64 `json:"p90_s"` // nearest rank
}

// LocationErrors is the wrong pick scans at one location, by mistake.
type LocationErrors struct {
	Location string                 `json:"location"`
	Count    int                    `json:"count"`
	ByCode   map[floorgate.Code]int `json:"by_code"`
}

// pickerErrors are the rejections that are the picker's mistake: they count
// against pick accuracy. Every other rejection (not logged in, no task,
// duplicate read, distance, unavailable, bad scan, cancelled task, keyed
// quantity, login and pack-station codes) counts neither way.
var pickerErrors = map[floorgate.Code]bool{
	floorgate.CodeWrongLocation:      true,
	floorgate.CodeItemBeforeLocation: true,
	floorgate.CodeWrongItem:          true,
	floorgate.CodeOverPick:           true,
	floorgate.CodeUnknownBarcode:     true,
	floorgate.CodeWrongBatch:         true,
	floorgate.CodeBatchMissing:       true,
	floorgate.CodeExpiryTooSoon:      true,
	floorgate.CodeExpiryMissing:      true,
	floorgate.CodeSerialMissing:      true,
	floorgate.CodeDuplicateSerial:    true,
	floorgate.CodeInvalidBarcode:     true,
}

// PickerError reports whether a rejected pick scan with code was the
// picker's mistake, so it counts against pick accuracy. A rejection for
// distance is one when its InBandCode is.
func PickerError(code floorgate.Code) bool { return pickerErrors[code] }
