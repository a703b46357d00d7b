package floorgate

import (
	"fmt"
	"time"
)

// ExceptionReason is why a picker or packer raised an exception: the
// reason codes of the floor, each with a zh/en text (ReasonText).
type ExceptionReason string

// The reasons a picker (at a line) or a packer (at a parcel) may raise.
const (
	// ReasonShortBinEmpty: the bin is empty (or holds fewer than the line
	// needs): a short pick.
	ReasonShortBinEmpty ExceptionReason = "short_bin_empty"
	// ReasonShortCountWrong: the bin's count is not what the system says:
	// a short pick.
	ReasonShortCountWrong ExceptionReason = "short_count_wrong"
	// ReasonDamaged: the item is damaged (in the bin, or found at pack).
	ReasonDamaged ExceptionReason = "damaged"
	// ReasonWrongItemInBin: the bin holds another item than the line's.
	ReasonWrongItemInBin ExceptionReason = "wrong_item_in_bin"
	// ReasonMissingAtPack: an item of the order did not reach the pack
	// station.
	ReasonMissingAtPack ExceptionReason = "missing_at_pack"
	// ReasonLabelUnreadable: a label (location, item or waybill) cannot be
	// read.
	ReasonLabelUnreadable ExceptionReason = "label_unreadable"
)

// Where an exception was raised.
const (
	StagePick = "pick" // at a pick line: the line closes short
	StagePack = "pack" // at a parcel on the pack station
)

var reasonTexts = map[ExceptionReason]Text{
	ReasonShortBinEmpty:   {"Short: bin empty", "缺货：库位为空"},
	ReasonShortCountWrong: {"Short: count wrong", "缺货：库存数量不符"},
	ReasonDamaged:         {"Damaged item", "商品破损"},
	ReasonWrongItemInBin:  {"Wrong item in the bin", "库位商品不符"},
	ReasonMissingAtPack:   {"Item missing at pack", "打包时缺件"},
	ReasonLabelUnreadable: {"Label unreadable", "标签无法识别"},
}

// reasonStages is where each reason may be raised.
var reasonStages = map[ExceptionReason][]string{
	ReasonShortBinEmpty:   {StagePick},
	ReasonShortCountWrong: {StagePick},
	ReasonDamaged:         {StagePick, StagePack},
	ReasonWrongItemInBin:  {StagePick},
	ReasonMissingAtPack:   {StagePack},
	ReasonLabelUnreadable: {StagePick, StagePack},
}

// Reasons is every reason code, in the order a PDA lists them.
func Reasons() []ExceptionReason {
	return []ExceptionReason{ReasonShortBinEmpty, ReasonShortCountWrong, ReasonDamaged,
		ReasonWrongItemInBin, ReasonMissingAtPack, ReasonLabelUnreadable}
}

// ReasonText is the zh/en text of a reason; ok is false for an unknown one.
func ReasonText(r ExceptionReason) (Text, bool) {
	t, ok := reasonTexts[r]
	return t, ok
}

// ReasonAt reports whether r may be raised at stage (StagePick, StagePack).
func ReasonAt(r ExceptionReason, stage string) bool {
	for _, s := range reasonStages[r] {
		if s == stage {
			return true
		}
	}
	return false
}

// ResolveAction is how a supervisor settles an exception.
type ResolveAction string

// The resolutions a supervisor may choose.
const (
	// ResolveRepick: pick the missing units again from another location
	// (a follow-up pick task for the order).
	ResolveRepick ResolveAction = "repick"
	// ResolveSubstitute: pick another SKU instead (a follow-up pick task;
	// the order's parcel expects the substitute).
	ResolveSubstitute ResolveAction = "substitute"
	// ResolveCancelLine: the order ships without the missing units (its
	// parcel expects that many fewer).
	ResolveCancelLine ResolveAction = "cancel_line"
	// ResolveSendToERP: the ERP (customer service) decides; the floor
	// closes its case.
	ResolveSendToERP ResolveAction = "send_to_erp"
)

// ResolveActions is every resolution.
func ResolveActions() []ResolveAction {
	return []ResolveAction{ResolveRepick, ResolveSubstitute, ResolveCancelLine, ResolveSendToERP}
}

// Exception status.
const (
	ExceptionOpen     = "open"
	ExceptionResolved = "resolved"
)

// Event types of exception cases.
const (
	EventExceptionRaised   = "exception.raised"   // a picker or packer raised a reason-coded exception
	EventExceptionResolved = "exception.resolved" // a supervisor settled it
)

// ExceptionCase is one raised exception: the payload of exception.raised,
// and with its resolution that of exception.resolved. The store keeps each
// case, with when its exception.raised reached upstream.
type ExceptionCase struct {
	// ID is unique within the gateway: "X<n>".
	ID     string          `json:"id"`
	Reason ExceptionReason `json:"reason"`
	Stage  string          `json:"stage"` // pick or pack
	Order  string          `json:"order"`
	// Task and Line (1-based) name the pick line, for a pick exception.
	Task     string `json:"task,omitempty"`
	Line     int    `json:"line,omitempty"`
	SKU      string `json:"sku,omitempty"`
	Location string `json:"location,omitempty"`
	// Qty is the units the exception leaves the order without: a short
	// line's shortfall; at pack, the units the packer named (1 if none).
	Qty      int       `json:"qty"`
	Note     string    `json:"note,omitempty"`
	Operator string    `json:"operator,omitempty"`
	Device   string    `json:"device,omitempty"`
	RaisedAt time.Time `json:"raised_at"`

	// Status is open or resolved.
	Status string `json:"status"`
	// UpstreamAt is when the exception.raised event was acknowledged by
	// upstream (the broker's PUBACK); zero while it waits. Not in the
	// events: it is known only after exception.raised has left.
	UpstreamAt time.Time `json:"upstream_at,omitzero"`

	Resolution *Resolution `json:"resolution,omitempty"`
}

// Resolution is how and when a supervisor settled an exception.
type Resolution struct {
	Action ResolveAction `json:"action"`
	// By is who resolved it, as the audit log names them.
	By string `json:"by"`
	// Location: where a repick (or a substitute) is picked from.
	Location string `json:"location,omitempty"`
	// SKU is the substitute, for ResolveSubstitute.
	SKU string `json:"sku,omitempty"`
	// Task is the follow-up pick task a repick or substitute created.
	Task       string    `json:"task,omitempty"`
	Note       string    `json:"note,omitempty"`
	ResolvedAt time.Time `json:"resolved_at"`
	// ResolveS is RaisedAt → ResolvedAt in seconds.
	ResolveS float64 `json:"resolve_s"`
}

// ExceptionToCustomerService is the standard: an exception found on the
// floor reaches customer service (upstream) within one hour.
const ExceptionToCustomerService = time.Hour

// Check refuses a resolution that cannot be carried out for c, naming
// what is wrong.
func (r Resolution) Check(c ExceptionCase) error {
	switch r.Action {
	case ResolveRepick:
		if r.Location == "" {
			return fmt.Errorf("repick needs the location to pick from")
		}
		if c.SKU == "" {
			return fmt.Errorf("repick: exception %s names no item", c.ID)
		}
	case ResolveSubstitute:
		if r.SKU == "" || r.Location == "" {
			return fmt.Errorf("substitute needs the substitute sku and the location to pick it from")
		}
		if c.SKU == "" {
			return fmt.Errorf("substitute: exception %s names no item", c.ID)
		}
		if r.SKU == c.SKU {
			return fmt.Errorf("substitute: %s is the item that is missing", r.SKU)
		}
	case ResolveCancelLine:
		if c.SKU == "" {
			return fmt.Errorf("cancel_line: exception %s names no item", c.ID)
		}
	case ResolveSendToERP:
	default:
		return fmt.Errorf("unknown action %q (repick, substitute, cancel_line, send_to_erp)", r.Action)
	}
	if len(r.Note) > MaxExceptionNote {
		return fmt.Errorf("note longer than %d bytes", MaxExceptionNote)
	}
	return nil
}

// Raise is what a picker or packer sends to raise an exception.
type Raise struct {
	// Plain is a short that names no reason (the short message without
	// one): a bin found empty, and at a put wall the container empty.
	// Otherwise Reason must be one of Reasons.
	Plain  bool
	Reason ExceptionReason
	// Found is, at a pick line, the units still in the bin (beyond those
	// picked): the line closes short with them.
	Found int
	// Data is, at pack, the barcode of the item concerned, when the
	// packer scanned it; AIM its symbology identifier.
	Data, AIM string
	// Qty is, at pack, the units concerned (0: one, or for
	// missing_at_pack every unit still missing).
	Qty  int
	Note string
}

// MaxExceptionNote is the longest note a raise or a resolution may carry,
// in bytes.
const MaxExceptionNote = 500
