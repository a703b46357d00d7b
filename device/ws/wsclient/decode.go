package wsclient

import (
	"encoding/json"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/jsonlex"
)

// A verdict arrives for every scan, and a benchmark runs hundreds of clients
// in one process, so server frames are decoded by hand (package jsonlex)
// rather than by reflection. The fast decoder takes only the form the
// server writes; anything else is decoded by encoding/json instead, so the
// result is always what encoding/json would give.

// decodeFrame decodes a server frame into f.
func decodeFrame(b []byte, f *frame) error {
	if fastFrame(b, f) == nil {
		return nil
	}
	*f = frame{}
	return json.Unmarshal(b, f)
}

func fastFrame(b []byte, f *frame) error {
	l := jsonlex.New(b)
	*f = frame{}
	l.Object(func(k []byte) {
		switch string(k) {
		case "type":
			f.Type = l.Str()
		case "protocol":
			f.Protocol = l.Int()
		case "site":
			f.Site = l.Str()
		case "gateway":
			f.Gateway = l.Str()
		case "operator":
			f.Operator = l.Str()
		case "id":
			f.ID = l.Str()
		case "kind":
			f.Kind = l.Str()
		case "task":
			f.Task = l.Str()
		case "station":
			f.Station = l.Str()
		case "stations":
			f.Stations = []string{}
			l.Array(func() { f.Stations = append(f.Stations, l.Str()) })
		case "verdict":
			if f.Push != nil {
				// Repeated: encoding/json fills what it has; it decides.
				l.Fail()
				return
			}
			v := new(floorgate.Verdict)
			l.Object(func(k []byte) { verdictField(l, k, v) })
			f.Push = v
		default:
			verdictField(l, k, &f.Verdict)
		}
	})
	return l.End()
}

func verdictField(l *jsonlex.Lexer, k []byte, v *floorgate.Verdict) {
	switch string(k) {
	case "scan_id":
		v.ScanID = l.Str()
	case "ok":
		v.OK = l.Bool()
	case "code":
		v.Code = floorgate.Code(l.Str())
	case "warning":
		v.Warning = floorgate.Code(l.Str())
	case "message":
		l.Object(func(k []byte) {
			switch string(k) {
			case "en":
				v.Message.EN = l.Str()
			case "zh":
				v.Message.ZH = l.Str()
			default:
				l.Fail()
			}
		})
	case "feedback":
		feedback(l, &v.Feedback)
	case "prompt":
		prompt(l, &v.Prompt)
	default:
		l.Fail()
	}
}

func feedback(l *jsonlex.Lexer, fb *floorgate.Feedback) {
	tones := false
	l.Object(func(k []byte) {
		switch string(k) {
		case "kind":
			fb.Kind = floorgate.FeedbackKind(l.Str())
		case "led":
			fb.LED = l.Str()
		case "tone":
			if tones {
				// Repeated: encoding/json decodes the second array into
				// the first's elements; it decides.
				l.Fail()
				return
			}
			tones = true
			fb.Tone = []floorgate.Tone{}
			l.Array(func() {
				var t floorgate.Tone
				l.Object(func(k []byte) {
					switch string(k) {
					case "hz":
						t.Hz = l.Int()
					case "ms":
						t.MS = l.Int()
					default:
						l.Fail()
					}
				})
				fb.Tone = append(fb.Tone, t)
			})
		case "vibrate_ms":
			fb.Vibrate = []int{}
			l.Array(func() { fb.Vibrate = append(fb.Vibrate, l.Int()) })
		default:
			l.Fail()
		}
	})
}

func prompt(l *jsonlex.Lexer, p *floorgate.Prompt) {
	l.Object(func(k []byte) {
		switch string(k) {
		case "step":
			p.Step = l.Str()
		case "task":
			p.Task = l.Str()
		case "order":
			p.Order = l.Str()
		case "line":
			p.Line = l.Int()
		case "lines":
			p.Lines = l.Int()
		case "location":
			p.Location = l.Str()
		case "sku":
			p.SKU = l.Str()
		case "item_name":
			p.ItemName = l.Str()
		case "qty":
			p.Qty = l.Int()
		case "picked":
			p.Picked = l.Int()
		case "keyed_qty":
			p.KeyedQty = l.Bool()
		default:
			l.Fail()
		}
	})
}
