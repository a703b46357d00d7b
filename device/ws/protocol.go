package ws

import (
	"time"

	"github.com/floorgate/floorgate"
)

// ProtocolVersion is the version of the wire protocol this package speaks;
// a hello must carry it.
const ProtocolVersion = 1

// Limits on what a device may send. Longer data cannot be a barcode a PDA
// read; longer ids would only bloat the store's idempotency keys.
const (
	MaxDataLen = 4096 // bytes of a scan's data
	MaxIDLen   = 64   // bytes of a device id, scan_id or request id
)

// Close codes the server sends besides the standard ones (1000 normal, 1001
// going away, 1002 protocol error, 1009 message too big, 1013 try again
// later). They mirror HTTP statuses so they are easy to remember. A fatal
// error frame precedes every one of them except CloseReplaced.
const (
	CloseInvalid             = 4400 // no hello, or a malformed one
	CloseUnauthorized        = 4401 // the device id and token were not accepted
	CloseReplaced            = 4409 // the same device connected again elsewhere
	CloseUnsupportedProtocol = 4426 // the hello asked for another protocol version
)

// Message types on the wire.
const (
	typeHello     = "hello"
	typeLogin     = "login"
	typeLogout    = "logout"
	typeNext      = "next"
	typeTask      = "task"
	typeScan      = "scan"
	typeShort     = "short"
	typeException = "exception"
	typeStation   = "station"
	typeWelcome   = "welcome"
	typeVerdict   = "verdict"
	typeLoggedOut = "logged_out"
	typePush      = "push"
	typeError     = "error"
)

// request is every client message: one struct holding the union of all
// fields, so each frame is decoded exactly once whatever its type.
type request struct {
	Type string `json:"type"`

	// hello
	Device   string `json:"device"`
	Token    string `json:"token"`
	Model    string `json:"model"`
	App      string `json:"app"`
	Protocol int    `json:"protocol"`

	// login, logout, next, station
	ID    string `json:"id"`
	Badge string `json:"badge"`
	PIN   string `json:"pin"`

	// scan, short
	ScanID     string              `json:"scan_id"`
	Data       string              `json:"data"`
	AIM        string              `json:"aim"`
	Qty        int                 `json:"qty"`
	DistanceMM float64             `json:"distance_mm"`
	Geometry   *floorgate.Geometry `json:"geometry"`
	// DeviceTime is kept as text so a malformed time spoils only the scan
	// it came with, not the decoding of the scan_id that answers it.
	DeviceTime string `json:"device_time"`
	Found      int    `json:"found"`

	// short, exception
	Reason string `json:"reason"`
	Note   string `json:"note"`

	// station
	Station string `json:"station"`
}

// reqID is the id a verdict answering r must carry.
func (r *request) reqID() string {
	if r.ScanID != "" {
		return r.ScanID
	}
	return r.ID
}

type welcomeMsg struct {
	Type     string `json:"type"`
	Protocol int    `json:"protocol"`
	floorgate.Welcome
	ServerTime time.Time `json:"server_time"`
}

// promptMsg answers logout (logged_out) and next (task).
type promptMsg struct {
	Type   string           `json:"type"`
	ID     string           `json:"id"`
	Prompt floorgate.Prompt `json:"prompt"`
}

// stationMsg answers station: the pack station the device is now set to.
type stationMsg struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Station string `json:"station"`
}

type pushMsg struct {
	Type    string            `json:"type"`
	Kind    string            `json:"kind"`
	Task    string            `json:"task,omitempty"`
	Verdict floorgate.Verdict `json:"verdict"`
}

type errorMsg struct {
	Type    string         `json:"type"`
	Code    string         `json:"code"`
	Message floorgate.Text `json:"message"`
}

// wireVerdict makes v safe to send: the arrays are never null, so a client
// can iterate them without a check.
func wireVerdict(v floorgate.Verdict) floorgate.Verdict {
	if v.Feedback.Tone == nil {
		v.Feedback.Tone = []floorgate.Tone{}
	}
	if v.Feedback.Vibrate == nil {
		v.Feedback.Vibrate = []int{}
	}
	return v
}

// Texts of the error frames. The floorgate error codes are the contract; the
// sentences are for the person holding the device.
var (
	textNoHello = floorgate.Text{
		EN: "Connect again: the app must say hello first.",
		ZH: "请重新连接：应用需先发送 hello。"}
	textBadHello = floorgate.Text{
		EN: "Connect again: the hello message was incomplete.",
		ZH: "请重新连接：hello 消息不完整。"}
	textHelloTimeout = floorgate.Text{
		EN: "Connect again: no hello arrived in time.",
		ZH: "请重新连接：未及时收到 hello。"}
	textProtocol = floorgate.Text{
		EN: "This app is too old or too new for the gateway. Update the app.",
		ZH: "应用版本与网关不兼容，请更新应用。"}
	textAgainHello = floorgate.Text{
		EN: "Already connected; hello was sent twice.",
		ZH: "已连接，hello 重复发送。"}
	textNotJSON = floorgate.Text{
		EN: "Message not understood.",
		ZH: "消息无法识别。"}
	textUnknownType = floorgate.Text{
		EN: "Message type not known to this gateway.",
		ZH: "网关不支持该消息类型。"}
	textNoID = floorgate.Text{
		EN: "Message without an id; it was ignored.",
		ZH: "消息缺少编号，已忽略。"}
)

// errorTexts holds, per floorgate error code, the text used when the Floor
// gives none fit to show (internal faults) and the Chinese text, which
// floorgate.Error does not carry.
var errorTexts = map[string]floorgate.Text{
	floorgate.EINVALID: textNotJSON,
	floorgate.ENOTFOUND: {
		EN: "Not found.",
		ZH: "未找到。"},
	floorgate.ECONFLICT: {
		EN: "Not possible in the current state.",
		ZH: "当前状态下无法执行。"},
	floorgate.EUNAUTHORIZED: {
		EN: "This device is not allowed to connect. Ask your supervisor.",
		ZH: "此设备未获授权，请联系主管。"},
	floorgate.EUNAVAILABLE: {
		EN: "The gateway is not available. Try again shortly.",
		ZH: "网关暂不可用，请稍后重试。"},
	floorgate.EINTERNAL: {
		EN: "The gateway had a problem. Try again shortly.",
		ZH: "网关出现故障，请稍后重试。"},
}

// errorText is what a person is shown for err, never a Go error string. The
// Floor's own message is used only for errors about the request itself
// (whose messages are plain language by contract); a fault — unavailable,
// internal — gets a fixed sentence, since its message may well carry the
// underlying error's text.
func errorText(err error) (code string, text floorgate.Text) {
	code = floorgate.ErrorCode(err)
	text, ok := errorTexts[code]
	if !ok {
		text = errorTexts[floorgate.EINTERNAL]
	}
	switch code {
	case floorgate.EINVALID, floorgate.EUNAUTHORIZED, floorgate.ENOTFOUND, floorgate.ECONFLICT:
		if m := floorgate.ErrorMessage(err); m != "" {
			text.EN = m
		}
	}
	return code, text
}
