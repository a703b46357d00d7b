package floorgate

// Code is the stable name of a verdict. Clients key their behaviour on it;
// the texts may change, the codes do not.
type Code string

// Codes of accepted steps.
const (
	CodeLocationOK Code = "location_ok"  // location confirmed; scan the item
	CodeItemOK     Code = "item_ok"      // one (or the keyed number) counted
	CodeLineDone   Code = "line_done"    // the line reached its quantity
	CodeTaskDone   Code = "task_done"    // the task's last line closed
	CodeShortOK    Code = "short_ok"     // short pick recorded, line closed
	CodeLoggedIn   Code = "logged_in"    // badge and PIN accepted
	CodeLoggedOut  Code = "logged_out"   // badge scanned again at a scanner station: logged out
	CodeSerialNext Code = "serial_next"  // item recognised; now scan its serial number label
	CodeOrderOK    Code = "order_ok"     // parcel opened at the pack station; scan its items
	CodePackItemOK Code = "pack_item_ok" // item verified into the parcel
	CodePackDone   Code = "pack_done"    // every item verified; the waybill prints; scan it
	CodeShipped    Code = "shipped"      // waybill matches: outbound confirmed
	// CodeNoPrinter: every item verified and the waybill queued, but no
	// printer serves the station: the job is held until one is configured.
	CodeNoPrinter Code = "no_printer"
	// CodeExtraOK: a gift or insert verified into the parcel.
	CodeExtraOK Code = "extra_ok"
	// CodeGiftMissing: every item is in, but a gift or insert is not: the
	// waybill does not print until it is scanned in (Prompt.Extras).
	CodeGiftMissing Code = "gift_missing"
	// CodeMaterialNeeded: every item is in, and a fragile one asks for its
	// packing material's barcode (Prompt.Material) before the waybill.
	CodeMaterialNeeded Code = "material_needed"
	// CodeMaterialOK: the fragile packing material is confirmed.
	CodeMaterialOK Code = "material_ok"
	// CodePackHeld: a presale parcel is packed and held, with no waybill,
	// until the ERP releases the order (final payment).
	CodePackHeld Code = "pack_held"
)

// Codes of cluster picking (a cart of totes).
const (
	CodeCartStarted Code = "cart_started" // the cart and its orders are yours: bind a tote to each slot
	CodeToteBound   Code = "tote_bound"   // tote bound to its slot's order; bind the next
	CodeCartReady   Code = "cart_ready"   // every tote bound: go to the first location
	CodeItemToTote  Code = "item_to_tote" // item recognised: put it in the slot shown and scan that tote
	CodePutOK       Code = "put_ok"       // the tote is right: the unit is counted for its order
	CodeCartDone    Code = "cart_done"    // every order on the cart is picked: take it to packing
	CodeCartOrders  Code = "cart_orders"  // (a push) cart orders wait: scan a cart to start one

	CodeUnknownTote      Code = "unknown_tote"       // not a tote's label
	CodeToteOtherCart    Code = "tote_other_cart"    // the tote holds an order of another cart (or waits at packing)
	CodeToteAlreadyBound Code = "tote_already_bound" // the tote is already on this cart
	CodeToteNotNeeded    Code = "tote_not_needed"    // that tote's order needs no more of this item
	CodeWrongTote        Code = "wrong_tote"         // not the tote of the slot shown
	CodeToteExpected     Code = "tote_expected"      // a unit waits for its tote: scan the tote first
	CodeCartInUse        Code = "cart_in_use"        // another picker is working this cart
	CodeNoUnitForTote    Code = "tote_without_item"  // a tote scanned with no unit waiting for it: scan the item first
)

// Codes of sorting at a put wall.
const (
	CodeBatchOpen   Code = "batch_open"   // the batch's container is at the wall: scan its items
	CodeSortToSlot  Code = "sort_to_slot" // put the unit into the slot shown and scan the slot
	CodeSortOK      Code = "sort_ok"      // the slot is right: the unit is counted for its order
	CodeSlotReady   Code = "slot_ready"   // the order in the slot is complete: ready to pack
	CodeBatchSorted Code = "batch_sorted" // every order of the batch is sorted
	CodeSortSurplus Code = "sort_surplus" // no order of the batch needs this unit: put it aside (reported)

	CodeWrongSlot    Code = "wrong_slot"    // not the slot shown
	CodeSlotExpected Code = "slot_expected" // a unit waits for its slot: scan the slot first
	CodeWallFull     Code = "wall_full"     // no free slot for the next order: pack a ready slot first
	CodeWallInUse    Code = "wall_in_use"   // another device sorts at this wall
	// CodeNoSingleOrder: at the pack station, an item scanned with no
	// parcel open, and no single-item order waits for it.
	CodeNoSingleOrder Code = "no_single_order"
)

// Codes of pack-station rejections.
const (
	CodeUnknownOrder     Code = "unknown_order"     // no shipment for this order or tote
	CodeOrderIntercepted Code = "order_intercepted" // the order was cancelled: put the parcel aside
	CodeExtraItem        Code = "extra_item"        // more of this item than the order has
	CodeWrongWaybill     Code = "wrong_waybill"     // the waybill is not this parcel's
	CodeOrderHeld        Code = "order_held"        // a presale parcel, packed and held: not released yet
	CodeCustomsMismatch  Code = "customs_mismatch"  // the parcel's contents differ from its customs declaration
	CodeExtraGift        Code = "extra_gift"        // a gift or insert the parcel already has enough of
	CodeUnknownStation   Code = "unknown_station"   // no pack station of that name is configured
)

// Codes of rejections. Each has its own tone and vibration.
const (
	CodeWrongLocation      Code = "wrong_location"       // not the line's location
	CodeItemBeforeLocation Code = "item_before_location" // item scanned before its location
	CodeWrongItem          Code = "wrong_item"           // not the line's item
	CodeUnknownBarcode     Code = "unknown_barcode"      // no location or item has this code
	CodeOverPick           Code = "over_pick"            // more than the line asks
	CodeDuplicateScan      Code = "duplicate_scan"       // the same code read twice at once
	CodeDistance           Code = "distance_out_of_band" // read outside the 5–10 cm band
	CodeTaskCancelled      Code = "task_cancelled"       // the order was intercepted
	CodeTaskReassigned     Code = "task_reassigned"      // a supervisor gave the task to someone else
	CodeNotLoggedIn        Code = "not_logged_in"        // nobody is logged in on this device
	CodeLoggedInElsewhere  Code = "logged_in_elsewhere"  // the operator signed in on another device; this one is signed out
	CodeNoTask             Code = "no_task"              // no task to pick
	CodeQtyNotAllowed      Code = "qty_not_allowed"      // this line counts scans, not keyed numbers
	CodeBadLogin           Code = "bad_login"            // badge or PIN not accepted
	CodeLoginLocked        Code = "login_locked"         // too many wrong PINs; wait
	CodeBadScan            Code = "bad_scan"             // the scan message itself was unusable
	CodeUnavailable        Code = "unavailable"          // the gateway could not record the scan; scan again
	CodeInvalidBarcode     Code = "invalid_barcode"      // GS1 data that breaks GS1's rules (check digit, date, …)
	CodeWrongBatch         Code = "wrong_batch"          // not the batch allocated to the line
	CodeBatchMissing       Code = "batch_missing"        // the line needs a batch; the barcode has none
	CodeExpiryTooSoon      Code = "expiry_too_soon"      // expires before the line allows (FEFO)
	CodeExpiryMissing      Code = "expiry_missing"       // the line needs an expiry; the barcode has none
	CodeSerialMissing      Code = "serial_missing"       // the line needs a serial number; the barcode has none
	CodeDuplicateSerial    Code = "duplicate_serial"     // this serial number was already picked

	// Exceptions a picker or packer raises (ExceptionReason).
	CodeExceptionRaised Code = "exception_raised" // recorded and sent to the supervisor and upstream
	CodeReasonUnknown   Code = "reason_unknown"   // the message named no reason, or one not in the list
	CodeReasonNotHere   Code = "reason_not_here"  // a pack reason raised at a pick line, or a pick reason at pack
	CodeExceptionOpen   Code = "exception_open"   // the order has an exception no supervisor has resolved yet
)

// FeedbackKind is the class of sound a verdict makes.
type FeedbackKind string

// The feedback kinds.
const (
	Good FeedbackKind = "good"
	Bad  FeedbackKind = "bad"
	Warn FeedbackKind = "warn"
)

// Tone is one step of a beep: a frequency for a duration (Hz 0 is silence).
type Tone struct {
	Hz int `json:"hz"`
	MS int `json:"ms"`
}

// Feedback is what the device does when the verdict arrives: the tone to
// play, the vibration pattern (alternating on/off milliseconds), and the LED.
type Feedback struct {
	Kind    FeedbackKind `json:"kind"`
	Tone    []Tone       `json:"tone"`
	Vibrate []int        `json:"vibrate_ms"`
	LED     string       `json:"led"`
}

// Text is a message in the floor's two languages.
type Text struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

// Prompt tells the picker what to do next.
type Prompt struct {
	Step     string `json:"step"` // login, wait, scan_location, scan_item, scan_serial, cancelled
	Task     string `json:"task,omitempty"`
	Order    string `json:"order,omitempty"`
	Line     int    `json:"line,omitempty"` // 1-based
	Lines    int    `json:"lines,omitempty"`
	Location string `json:"location,omitempty"`
	SKU      string `json:"sku,omitempty"`
	ItemName string `json:"item_name,omitempty"`
	Qty      int    `json:"qty,omitempty"`
	Picked   int    `json:"picked,omitempty"`
	KeyedQty bool   `json:"keyed_qty,omitempty"`
	// On a cart: the cart, the slot the step is about (the tote to bind,
	// or the tote the unit goes into, shown huge) and the cart's slots.
	Cart  string `json:"cart,omitempty"`
	Slot  int    `json:"slot,omitempty"`
	Slots int    `json:"slots,omitempty"`
	// Tote is the tote to scan: the slot's, or the one an order already
	// fills that must go into the slot being bound.
	Tote string `json:"tote,omitempty"`
	// At a put wall: the wall and the batch being sorted (Slot is the
	// slot the unit goes to).
	Wall  string `json:"wall,omitempty"`
	Batch string `json:"batch,omitempty"`
	// At the pack station: the gifts and inserts still to scan in, the
	// fragile items to wrap before the packing material's barcode is
	// scanned (a prompt never carries a barcode to scan), and the parcel's
	// packing instructions.
	Extras       []string `json:"extras,omitempty"`
	Fragile      []string `json:"fragile,omitempty"`
	Instructions []string `json:"instructions,omitempty"`
}

// ShortOrder is an order that goes short at a cart's stop: Missing units of
// the stop's item will not be in its tote.
type ShortOrder struct {
	Slot    int    `json:"slot"`
	Task    string `json:"task"`
	Order   string `json:"order"`
	Missing int    `json:"missing"`
}

// Verdict is the gateway's answer to one scan.
type Verdict struct {
	ScanID   string   `json:"scan_id"`
	OK       bool     `json:"ok"`
	Code     Code     `json:"code"`
	Message  Text     `json:"message"`
	Feedback Feedback `json:"feedback"`
	// Warning is set on an accepted scan that broke a standard in warn mode.
	Warning Code   `json:"warning,omitempty"`
	Prompt  Prompt `json:"prompt"`
	// Shorts lists, with short_ok on a cart, the orders that go short and
	// by how many units (by priority, then age: the first served get the
	// units there are).
	Shorts []ShortOrder `json:"shorts,omitempty"`
}

type codeInfo struct {
	text Text
	fb   Feedback
}

// The tones are chosen to be told apart without looking: accepted steps
// rise, rejections fall or stutter, and each rejection has its own rhythm.
var codes = map[Code]codeInfo{
	CodeLocationOK: {Text{"Location confirmed. Scan the item.", "库位已确认，请扫描商品。"},
		Feedback{Good, []Tone{{2000, 60}}, []int{40}, "green"}},
	CodeItemOK: {Text{"Item counted.", "商品已计数。"},
		Feedback{Good, []Tone{{2400, 60}}, []int{40}, "green"}},
	CodeLineDone: {Text{"Line complete. Go to the next location.", "本行已完成，请前往下一库位。"},
		Feedback{Good, []Tone{{2000, 60}, {0, 30}, {2600, 90}}, []int{60}, "green"}},
	CodeTaskDone: {Text{"Task complete.", "任务已完成。"},
		Feedback{Good, []Tone{{2000, 70}, {0, 30}, {2600, 70}, {0, 30}, {3200, 120}}, []int{80, 60, 80}, "green"}},
	CodeShortOK: {Text{"Short pick recorded. The line is closed.", "缺货已登记，本行已关闭。"},
		Feedback{Warn, []Tone{{1500, 120}, {0, 40}, {1500, 120}}, []int{120}, "amber"}},
	CodeLoggedIn: {Text{"Logged in.", "登录成功。"},
		Feedback{Good, []Tone{{2400, 80}}, []int{40}, "green"}},
	CodeLoggedOut: {Text{"Logged out.", "已退出登录。"},
		Feedback{Good, []Tone{{1800, 160}}, []int{80}, "green"}},
	CodeOrderOK: {Text{"Order opened. Scan every item.", "订单已打开，请逐件扫描商品。"},
		Feedback{Good, []Tone{{1800, 60}, {0, 30}, {2200, 60}}, []int{50}, "green"}},
	CodePackItemOK: {Text{"Item verified.", "商品已核验。"},
		Feedback{Good, []Tone{{2500, 50}}, []int{30}, "green"}},
	CodePackDone: {Text{"All items verified. The waybill is printing: scan it.", "商品核验完毕，面单打印中，请扫描面单。"},
		Feedback{Good, []Tone{{2000, 60}, {0, 30}, {2400, 60}, {0, 30}, {2000, 60}}, []int{60, 40, 60}, "green"}},
	CodeShipped: {Text{"Outbound confirmed.", "出库已确认。"},
		Feedback{Good, []Tone{{2200, 70}, {0, 30}, {2800, 70}, {0, 30}, {3400, 140}}, []int{80, 40, 80, 40, 80}, "green"}},
	CodeUnknownOrder: {Text{"Unknown order. Scan the order or tote label.", "订单无法识别，请扫描订单或周转箱标签。"},
		Feedback{Bad, []Tone{{850, 90}, {550, 220}}, []int{90, 60, 220}, "red"}},
	CodeOrderIntercepted: {Text{"Order cancelled. Do not ship: put the parcel aside.", "订单已取消，请勿发货，将包裹放到一边。"},
		Feedback{Bad, []Tone{{900, 150}, {450, 150}, {900, 150}, {450, 150}, {900, 150}}, []int{600, 100, 600, 100, 600}, "red"}},
	CodeExtraItem: {Text{"Extra item: the order does not have this many. Take it out.", "多余商品：订单没有这么多，请取出。"},
		Feedback{Bad, []Tone{{620, 90}, {0, 40}, {620, 90}, {0, 40}, {420, 200}}, []int{90, 40, 90, 40, 200}, "red"}},
	CodeWrongWaybill: {Text{"Wrong waybill for this parcel. Find this parcel's waybill.", "面单与包裹不符，请找到本包裹的面单。"},
		Feedback{Bad, []Tone{{380, 300}, {0, 80}, {380, 300}}, []int{300, 80, 300}, "red"}},
	CodeNoPrinter: {Text{"All items verified, but no printer serves this station: the waybill is held. Ask the site admin to add a printer for this station, or choose your station again; scan the waybill once it prints.",
		"商品核验完毕，但本工位没有打印机，面单已暂存未打印。请联系管理员为本工位添加打印机，或重新选择工位；面单打出后请扫描。"},
		Feedback{Warn, []Tone{{1000, 120}, {0, 40}, {800, 120}, {0, 40}, {600, 320}}, []int{120, 40, 120, 40, 320}, "amber"}},
	CodeExtraOK: {Text{"Gift or insert verified.", "赠品/附件已核验。"},
		Feedback{Good, []Tone{{2500, 50}, {0, 20}, {3000, 50}}, []int{30, 20, 30}, "green"}},
	CodeGiftMissing: {Text{"Items verified, but a gift or insert is missing: put it in and scan it. The waybill waits.", "商品已核验，但缺少赠品/附件：请放入并扫描，面单暂不打印。"},
		Feedback{Warn, []Tone{{1400, 100}, {0, 40}, {1800, 100}, {0, 40}, {1400, 100}}, []int{100, 40, 100}, "amber"}},
	CodeMaterialNeeded: {Text{"Fragile item: wrap it and scan the packing material's barcode. The waybill waits.", "易碎商品：请包好并扫描包装材料条码，面单暂不打印。"},
		Feedback{Warn, []Tone{{1300, 120}, {0, 40}, {1300, 120}, {0, 40}, {1700, 160}}, []int{120, 40, 120}, "amber"}},
	CodeMaterialOK: {Text{"Packing material confirmed.", "包装材料已确认。"},
		Feedback{Good, []Tone{{2300, 60}, {0, 20}, {2300, 60}}, []int{40, 20, 40}, "green"}},
	CodePackHeld: {Text{"Presale parcel packed and held: put it on the presale shelf. Its waybill prints when the order is released.", "预售包裹已打包并暂存：请放到预售货架，订单放行后打印面单。"},
		Feedback{Good, []Tone{{1800, 80}, {0, 40}, {1800, 80}, {0, 40}, {2400, 200}}, []int{80, 40, 80, 40, 200}, "green"}},
	CodeOrderHeld: {Text{"Presale parcel, not released yet: keep it on the presale shelf.", "预售包裹尚未放行：请放回预售货架。"},
		Feedback{Bad, []Tone{{700, 200}, {0, 60}, {700, 200}}, []int{200, 60, 200}, "red"}},
	CodeCustomsMismatch: {Text{"The parcel does not match its customs declaration: do not ship, call the supervisor.", "包裹内件与报关申报不符：请勿发货，联系主管。"},
		Feedback{Bad, []Tone{{600, 150}, {400, 150}, {600, 150}, {400, 300}}, []int{150, 60, 150, 60, 300}, "red"}},
	CodeExtraGift: {Text{"That gift or insert is already in the parcel. Take it out.", "该赠品/附件已放够，请取出。"},
		Feedback{Bad, []Tone{{620, 90}, {0, 40}, {420, 200}}, []int{90, 40, 200}, "red"}},
	CodeUnknownStation: {Text{"No pack station of that name. Choose a station from the list.", "没有该名称的工位，请从列表中选择工位。"},
		Feedback{Bad, []Tone{{760, 80}, {0, 40}, {560, 80}, {0, 40}, {760, 80}}, []int{80, 40, 80, 40, 80}, "red"}},
	CodeCartStarted: {Text{"Cart started: its orders are yours. Scan a tote for the slot shown.", "拣货车已启动，订单已分配给您。请为提示的格位扫描周转箱。"},
		Feedback{Good, []Tone{{1800, 60}, {0, 30}, {2200, 60}, {0, 30}, {2600, 60}}, []int{50, 30, 50}, "green"}},
	CodeToteBound: {Text{"Tote bound to its slot. Scan the next slot's tote.", "周转箱已绑定格位，请扫描下一格位的周转箱。"},
		Feedback{Good, []Tone{{2400, 40}, {0, 20}, {2800, 60}}, []int{40, 20, 40}, "green"}},
	CodeCartReady: {Text{"Every tote is bound. Go to the first location.", "周转箱已全部绑定，请前往第一个库位。"},
		Feedback{Good, []Tone{{2000, 60}, {0, 30}, {2400, 60}, {0, 30}, {2800, 120}}, []int{60, 30, 60}, "green"}},
	CodeItemToTote: {Text{"Put it in the slot shown, then scan that tote.", "请放入提示的格位，并扫描该周转箱。"},
		Feedback{Good, []Tone{{2600, 50}, {0, 20}, {2000, 80}}, []int{30, 20, 60}, "green"}},
	CodePutOK: {Text{"Put confirmed.", "投放已确认。"},
		Feedback{Good, []Tone{{2800, 70}}, []int{50}, "green"}},
	CodeCartDone: {Text{"Every order on the cart is picked. Take the cart to packing.", "本车订单已全部拣完，请将拣货车送往打包区。"},
		Feedback{Good, []Tone{{2200, 80}, {0, 30}, {2600, 80}, {0, 30}, {3000, 80}, {0, 30}, {3400, 160}}, []int{80, 40, 80, 40, 80}, "green"}},
	CodeUnknownTote: {Text{"Not a tote. Scan the tote's label.", "不是周转箱，请扫描周转箱标签。"},
		Feedback{Bad, []Tone{{880, 80}, {0, 40}, {580, 200}}, []int{80, 40, 200}, "red"}},
	CodeToteOtherCart: {Text{"This tote holds an order of another cart or waits at packing. Take an empty tote.", "该周转箱已装有其他拣货车或待打包的订单，请换一个空周转箱。"},
		Feedback{Bad, []Tone{{600, 200}, {0, 60}, {900, 100}, {0, 60}, {600, 200}}, []int{200, 60, 100, 60, 200}, "red"}},
	CodeToteAlreadyBound: {Text{"This tote is already on this cart. Scan another tote.", "该周转箱已绑定在本车，请扫描另一个周转箱。"},
		Feedback{Bad, []Tone{{1000, 80}, {0, 40}, {1000, 80}, {0, 40}, {700, 160}}, []int{80, 40, 80, 40, 160}, "red"}},
	CodeToteNotNeeded: {Text{"That tote's order needs no more of this item. Put it in the slot shown.", "该周转箱的订单不再需要此商品，请放入提示的格位。"},
		Feedback{Bad, []Tone{{520, 150}, {0, 50}, {820, 150}}, []int{150, 50, 150}, "red"}},
	CodeWrongTote: {Text{"Wrong tote. Take the item out and put it in the slot shown.", "周转箱错误，请取出商品并放入提示的格位。"},
		Feedback{Bad, []Tone{{420, 250}, {0, 60}, {420, 250}, {0, 60}, {420, 250}}, []int{250, 60, 250, 60, 250}, "red"}},
	CodeToteExpected: {Text{"A unit is waiting for its tote: scan the tote of the slot shown first.", "有商品待投放：请先扫描提示格位的周转箱。"},
		Feedback{Bad, []Tone{{750, 100}, {0, 50}, {750, 100}, {0, 50}, {1050, 100}}, []int{100, 50, 100, 50, 100}, "red"}},
	CodeCartOrders: {Text{"Cart orders are waiting. Scan a cart to start one.", "有拣货车订单待拣，请扫描拣货车开始。"},
		Feedback{Good, []Tone{{1600, 80}, {0, 40}, {2000, 80}}, []int{60, 40, 60}, "green"}},
	CodeBatchOpen: {Text{"Batch opened at the wall. Scan its items one by one.", "批次已在播种墙打开，请逐件扫描商品。"},
		Feedback{Good, []Tone{{1700, 60}, {0, 30}, {2100, 60}, {0, 30}, {2500, 90}}, []int{50, 30, 70}, "green"}},
	CodeSortToSlot: {Text{"Put it in the slot shown, then scan that slot.", "请放入提示的格口，并扫描该格口。"},
		Feedback{Good, []Tone{{2500, 50}, {0, 20}, {1900, 80}}, []int{30, 20, 70}, "green"}},
	CodeSortOK: {Text{"Sort confirmed.", "分拣已确认。"},
		Feedback{Good, []Tone{{2700, 70}}, []int{45}, "green"}},
	CodeSlotReady: {Text{"The order in this slot is complete: ready to pack.", "该格口订单已齐，可以打包。"},
		Feedback{Good, []Tone{{2300, 70}, {0, 30}, {2900, 140}}, []int{70, 30, 70}, "green"}},
	CodeBatchSorted: {Text{"Every order of the batch is sorted.", "本批次订单已全部分拣完毕。"},
		Feedback{Good, []Tone{{2100, 80}, {0, 30}, {2500, 80}, {0, 30}, {2900, 80}, {0, 30}, {3300, 160}}, []int{80, 40, 80, 40, 120}, "green"}},
	CodeSortSurplus: {Text{"No order needs this unit: put it aside. It is reported.", "没有订单需要此商品：请放到一边，已上报。"},
		Feedback{Warn, []Tone{{1400, 120}, {0, 40}, {1100, 120}, {0, 40}, {1400, 120}}, []int{120, 40, 120, 40, 120}, "amber"}},
	CodeWrongSlot: {Text{"Wrong slot. Take the item out and put it in the slot shown.", "格口错误，请取出商品并放入提示的格口。"},
		Feedback{Bad, []Tone{{440, 250}, {0, 60}, {440, 250}, {0, 60}, {640, 120}}, []int{250, 60, 250, 60, 120}, "red"}},
	CodeSlotExpected: {Text{"A unit is waiting for its slot: scan the slot shown first.", "有商品待放入格口：请先扫描提示的格口。"},
		Feedback{Bad, []Tone{{780, 100}, {0, 50}, {1080, 100}, {0, 50}, {780, 100}}, []int{100, 50, 100, 50, 100}, "red"}},
	CodeWallFull: {Text{"No free slot for the next order. Pack a ready slot first.", "没有空闲格口，请先打包已齐的格口。"},
		Feedback{Bad, []Tone{{520, 300}, {0, 80}, {520, 300}}, []int{300, 80, 300}, "red"}},
	CodeNoSingleOrder: {Text{"No single-item order waits for this item. Scan an order, tote or slot label to pack it.", "没有等待此商品的单品订单，请扫描订单、周转箱或格口标签打包。"},
		Feedback{Bad, []Tone{{860, 100}, {0, 40}, {660, 100}, {0, 40}, {460, 200}}, []int{100, 40, 100, 40, 200}, "red"}},
	CodeWallInUse: {Text{"Another device is sorting at this wall.", "其他设备正在该播种墙分拣。"},
		Feedback{Bad, []Tone{{600, 300}, {0, 80}, {800, 150}}, []int{300, 80, 150}, "red"}},
	CodeNoUnitForTote: {Text{"No item is waiting for a tote. Scan the item first, then its tote.", "没有待投放的商品，请先扫描商品，再扫描周转箱。"},
		Feedback{Bad, []Tone{{680, 90}, {0, 40}, {980, 90}, {0, 40}, {680, 90}}, []int{90, 40, 90, 40, 90}, "red"}},
	CodeCartInUse: {Text{"Another picker is working this cart. Take another cart.", "其他拣货员正在使用此拣货车，请换一辆。"},
		Feedback{Bad, []Tone{{560, 300}, {0, 80}, {760, 150}}, []int{300, 80, 150}, "red"}},
	CodeSerialNext: {Text{"Item recognised. Now scan its serial number.", "商品已识别，请扫描其序列号。"},
		Feedback{Good, []Tone{{2200, 50}, {0, 30}, {2200, 50}}, []int{40, 30, 40}, "green"}},

	CodeWrongLocation: {Text{"Wrong location. Go to the location shown.", "库位错误，请到提示的库位。"},
		Feedback{Bad, []Tone{{400, 500}}, []int{500}, "red"}},
	CodeItemBeforeLocation: {Text{"Scan the location first, then the item.", "请先扫描库位，再扫描商品。"},
		Feedback{Bad, []Tone{{700, 150}, {0, 80}, {700, 150}}, []int{150, 80, 150}, "red"}},
	CodeWrongItem: {Text{"Wrong item. Put it back and pick the item shown.", "商品错误，请放回并拣选提示的商品。"},
		Feedback{Bad, []Tone{{500, 120}, {0, 60}, {500, 120}, {0, 60}, {500, 120}}, []int{120, 60, 120, 60, 120}, "red"}},
	CodeUnknownBarcode: {Text{"Unknown barcode. Scan the location or item label.", "条码无法识别，请扫描库位或商品条码。"},
		Feedback{Bad, []Tone{{900, 80}, {600, 200}}, []int{300}, "red"}},
	CodeOverPick: {Text{"Line already complete. Put the extra item back.", "本行已拣够，请放回多拣的商品。"},
		Feedback{Bad, []Tone{{600, 100}, {0, 50}, {600, 100}, {0, 50}, {600, 100}, {0, 50}, {600, 100}}, []int{100, 50, 100, 50, 100, 50, 100}, "red"}},
	CodeDuplicateScan: {Text{"Read twice. Counted once — scan the next unit.", "重复扫描，只计一次，请扫描下一件。"},
		Feedback{Warn, []Tone{{1200, 40}, {0, 40}, {1200, 40}}, []int{30, 30, 30}, "amber"}},
	CodeDistance: {Text{"Scan from 5–10 cm away.", "请在5至10厘米距离内扫描。"},
		Feedback{Warn, []Tone{{1000, 200}, {1300, 200}}, []int{200, 100, 200}, "amber"}},
	CodeTaskReassigned: {Text{"This task was given to someone else. Put back what you picked for it and ask for new work.", "此任务已改派他人，请放回已拣商品并领取新任务。"},
		Feedback{Warn, []Tone{{1300, 100}, {0, 50}, {1700, 100}, {0, 50}, {1300, 100}}, []int{100, 50, 100, 50, 100}, "amber"}},
	CodeTaskCancelled: {Text{"Order cancelled. Stop picking and return the items.", "订单已取消（拦截），请停止拣货并归还商品。"},
		Feedback{Bad, []Tone{{800, 150}, {400, 150}, {800, 150}, {400, 150}}, []int{600, 100, 600}, "red"}},
	CodeNotLoggedIn: {Text{"Log in first: scan your badge.", "请先扫描工牌登录。"},
		Feedback{Bad, []Tone{{500, 300}}, []int{300}, "red"}},
	CodeLoggedInElsewhere: {Text{"You signed in on another device, so this one is signed out. Scan your badge to work here again.", "您已在其他设备登录，本设备已退出。如需在此作业，请重新扫描工牌登录。"},
		Feedback{Warn, []Tone{{1500, 80}, {0, 40}, {1100, 80}, {0, 40}, {700, 160}}, []int{80, 40, 80, 40, 160}, "amber"}},
	CodeNoTask: {Text{"No task right now. Wait for the next one.", "暂无任务，请等待新任务。"},
		Feedback{Warn, []Tone{{900, 250}}, []int{250}, "amber"}},
	CodeQtyNotAllowed: {Text{"Scan every unit; this line does not take a typed quantity.", "本行需逐件扫描，不能输入数量。"},
		Feedback{Bad, []Tone{{650, 100}, {0, 50}, {450, 250}}, []int{100, 50, 250}, "red"}},
	CodeBadLogin: {Text{"Badge or PIN not recognised.", "工牌或密码错误。"},
		Feedback{Bad, []Tone{{450, 200}, {0, 60}, {450, 200}}, []int{200, 60, 200}, "red"}},
	CodeLoginLocked: {Text{"Too many wrong PINs. Wait a minute or ask your supervisor.", "密码错误次数过多，请稍后再试或联系主管。"},
		Feedback{Bad, []Tone{{350, 700}}, []int{700}, "red"}},
	CodeBadScan: {Text{"Scan not understood. Scan again.", "扫描无法识别，请重新扫描。"},
		Feedback{Bad, []Tone{{900, 80}, {0, 40}, {900, 80}}, []int{80, 40, 80}, "red"}},
	CodeUnavailable: {Text{"Not recorded. Scan again.", "未能记录，请重新扫描。"},
		Feedback{Bad, []Tone{{300, 150}, {0, 60}, {300, 150}}, []int{150, 60, 150}, "red"}},
	CodeInvalidBarcode: {Text{"Barcode data is invalid. Scan another label or call your supervisor.", "条码数据无效，请扫描其他标签或联系主管。"},
		Feedback{Bad, []Tone{{1100, 60}, {0, 40}, {700, 60}, {0, 40}, {1100, 60}}, []int{60, 40, 60, 40, 60}, "red"}},
	CodeWrongBatch: {Text{"Wrong batch. Pick the batch shown.", "批次不符，请拣选提示的批次。"},
		Feedback{Bad, []Tone{{550, 250}, {0, 60}, {750, 120}}, []int{250, 60, 120}, "red"}},
	CodeBatchMissing: {Text{"This line needs the batch: scan the label with the batch number.", "本行需要批次，请扫描带批号的标签。"},
		Feedback{Bad, []Tone{{750, 120}, {0, 60}, {550, 250}}, []int{120, 60, 250}, "red"}},
	CodeExpiryTooSoon: {Text{"Expires too soon. Pick a unit with a later expiry date.", "效期过近，请拣选效期更晚的商品。"},
		Feedback{Bad, []Tone{{480, 180}, {0, 50}, {480, 180}, {0, 50}, {820, 100}}, []int{180, 50, 180, 50, 100}, "red"}},
	CodeExpiryMissing: {Text{"This line needs the expiry date: scan the label with the date.", "本行需要效期，请扫描带日期的标签。"},
		Feedback{Bad, []Tone{{820, 100}, {0, 50}, {480, 180}}, []int{100, 50, 180}, "red"}},
	CodeSerialMissing: {Text{"This line needs the serial number: scan the serial label.", "本行需要序列号，请扫描序列号标签。"},
		Feedback{Bad, []Tone{{950, 90}, {0, 50}, {950, 90}, {0, 50}, {450, 200}}, []int{90, 50, 90, 50, 200}, "red"}},
	CodeDuplicateSerial: {Text{"This serial number was already picked. Pick another unit.", "该序列号已拣过，请拣选另一件。"},
		Feedback{Bad, []Tone{{1300, 70}, {900, 70}, {1300, 70}, {900, 70}}, []int{70, 40, 70, 40, 70}, "red"}},
	CodeExceptionRaised: {Text{"Exception raised: your supervisor has it. Set the item or parcel aside on the exception shelf.", "异常已上报主管，请将商品或包裹放到异常货架。"},
		Feedback{Warn, []Tone{{1500, 120}, {0, 40}, {1100, 120}, {0, 40}, {1500, 120}}, []int{120, 40, 120}, "amber"}},
	CodeReasonUnknown: {Text{"Choose a reason from the list.", "请从列表中选择异常原因。"},
		Feedback{Bad, []Tone{{700, 80}, {0, 40}, {900, 80}, {0, 40}, {700, 160}}, []int{80, 40, 160}, "red"}},
	CodeReasonNotHere: {Text{"That reason is not for this step: picking and packing have their own reasons.", "此原因不适用于当前环节：拣货与打包各有其原因。"},
		Feedback{Bad, []Tone{{650, 160}, {0, 40}, {850, 160}}, []int{160, 40, 160}, "red"}},
	CodeExceptionOpen: {Text{"This order has an open exception: put it on the exception shelf until your supervisor resolves it.", "该订单有未处理的异常，请放到异常货架，等待主管处理。"},
		Feedback{Bad, []Tone{{520, 140}, {0, 50}, {520, 140}, {0, 50}, {900, 200}}, []int{140, 50, 140, 50, 200}, "red"}},
}

// Codes lists every verdict code, for documentation and tests.
func Codes() []Code {
	out := make([]Code, 0, len(codes))
	for c := range codes {
		out = append(out, c)
	}
	return out
}

// NewVerdict builds the verdict for a code with its message and feedback.
// A code not in the table is reported as unavailable, never as success.
func NewVerdict(scanID string, code Code, prompt Prompt) Verdict {
	info, known := codes[code]
	if !known {
		code, info = CodeUnavailable, codes[CodeUnavailable]
	}
	// A short pick, a parcel packed without a printer and a surplus unit at
	// the wall are accepted with a warning: the step counted, and the
	// operator must hear that something needs attention.
	ok := info.fb.Kind == Good || code == CodeShortOK || code == CodeNoPrinter || code == CodeSortSurplus ||
		code == CodeGiftMissing || code == CodeMaterialNeeded || code == CodeExceptionRaised
	return Verdict{ScanID: scanID, OK: ok, Code: code, Message: info.text, Feedback: info.fb, Prompt: prompt}
}

// WithWarning marks an accepted verdict with a standard it broke in warn mode:
// the warning's tone and vibration replace the good ones.
func (v Verdict) WithWarning(code Code) Verdict {
	info, known := codes[code]
	if !known {
		return v
	}
	v.Warning = code
	v.Feedback = info.fb
	v.Message = Text{EN: v.Message.EN + " " + info.text.EN, ZH: v.Message.ZH + info.text.ZH}
	return v
}
