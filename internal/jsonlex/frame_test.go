package jsonlex_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/floorgate/floorgate/internal/jsonlex"
)

// frame holds every field of the PDA protocol's hot messages (the
// requests hello, login, scan, short, exception; the server's welcome,
// verdict and push, whose verdict nests a frame), so the reader is tested
// on the shapes its callers read. readFrame reads it as a caller of jsonlex
// must: known keys only, anything else gives way, and a repeated key does
// what it does in encoding/json.
type frame struct {
	Type       string    `json:"type"`
	ID         string    `json:"id"`
	ScanID     string    `json:"scan_id"`
	Device     string    `json:"device"`
	Token      string    `json:"token"`
	Model      string    `json:"model"`
	App        string    `json:"app"`
	Protocol   int       `json:"protocol"`
	Badge      string    `json:"badge"`
	PIN        string    `json:"pin"`
	Data       string    `json:"data"`
	AIM        string    `json:"aim"`
	Qty        int       `json:"qty"`
	Found      int       `json:"found"`
	Reason     string    `json:"reason"`
	Note       string    `json:"note"`
	DistanceMM float64   `json:"distance_mm"`
	DeviceTime string    `json:"device_time"`
	Geometry   *geometry `json:"geometry"`
	Site       string    `json:"site"`
	Gateway    string    `json:"gateway"`
	Operator   string    `json:"operator"`
	Station    string    `json:"station"`
	Stations   []string  `json:"stations"`
	ServerTime string    `json:"server_time"`
	Kind       string    `json:"kind"`
	Task       string    `json:"task"`
	OK         bool      `json:"ok"`
	Code       string    `json:"code"`
	Warning    string    `json:"warning"`
	Message    message   `json:"message"`
	Feedback   feedback  `json:"feedback"`
	Prompt     prompt    `json:"prompt"`
	Verdict    *frame    `json:"verdict"`
}

type geometry struct {
	Corners    [4]point `json:"corners"`
	ImageWidth int      `json:"image_width"`
	FocalPx    float64  `json:"focal_px"`
}

type point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

type message struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

type feedback struct {
	Kind    string `json:"kind"`
	Tone    []tone `json:"tone"`
	Vibrate []int  `json:"vibrate_ms"`
	LED     string `json:"led"`
}

type tone struct {
	Hz int `json:"hz"`
	MS int `json:"ms"`
}

type prompt struct {
	Step     string `json:"step"`
	Task     string `json:"task"`
	Order    string `json:"order"`
	Line     int    `json:"line"`
	Lines    int    `json:"lines"`
	Location string `json:"location"`
	SKU      string `json:"sku"`
	ItemName string `json:"item_name"`
	Qty      int    `json:"qty"`
	Picked   int    `json:"picked"`
	KeyedQty bool   `json:"keyed_qty"`
}

// decodeFrame reads b with jsonlex alone: an error means it gave way.
func decodeFrame(b []byte) (frame, error) {
	var f frame
	l := jsonlex.New(b)
	readFrame(l, &f)
	return f, l.End()
}

// decodeFrameOrJSON is what jsonlex's callers do: jsonlex, and
// encoding/json whenever it gives way.
func decodeFrameOrJSON(b []byte) (f frame, fast bool, err error) {
	if f, err := decodeFrame(b); err == nil {
		return f, true, nil
	}
	f = frame{}
	return f, false, json.Unmarshal(b, &f)
}

// readFrame reads into f as encoding/json does, field by field: a repeated
// key overwrites a scalar and merges into an object already read (f.Verdict,
// f.Geometry, the nested structs). A repeated array of objects would merge
// element by element in encoding/json; the reader gives way to it instead,
// as a caller may.
func readFrame(l *jsonlex.Lexer, f *frame) {
	l.Object(func(k []byte) {
		switch string(k) {
		case "type":
			f.Type = l.Str()
		case "id":
			f.ID = l.Str()
		case "scan_id":
			f.ScanID = l.Str()
		case "device":
			f.Device = l.Str()
		case "token":
			f.Token = l.Str()
		case "model":
			f.Model = l.Str()
		case "app":
			f.App = l.Str()
		case "protocol":
			f.Protocol = l.Int()
		case "badge":
			f.Badge = l.Str()
		case "pin":
			f.PIN = l.Str()
		case "data":
			f.Data = l.Str()
		case "aim":
			f.AIM = l.Str()
		case "qty":
			f.Qty = l.Int()
		case "found":
			f.Found = l.Int()
		case "reason":
			f.Reason = l.Str()
		case "note":
			f.Note = l.Str()
		case "distance_mm":
			f.DistanceMM = l.Float()
		case "device_time":
			f.DeviceTime = l.Str()
		case "geometry":
			if f.Geometry == nil {
				f.Geometry = new(geometry)
			}
			readGeometry(l, f.Geometry)
		case "site":
			f.Site = l.Str()
		case "gateway":
			f.Gateway = l.Str()
		case "operator":
			f.Operator = l.Str()
		case "station":
			f.Station = l.Str()
		case "stations":
			s := []string{}
			l.Array(func() { s = append(s, l.Str()) })
			f.Stations = s
		case "server_time":
			f.ServerTime = l.Str()
		case "kind":
			f.Kind = l.Str()
		case "task":
			f.Task = l.Str()
		case "ok":
			f.OK = l.Bool()
		case "code":
			f.Code = l.Str()
		case "warning":
			f.Warning = l.Str()
		case "message":
			l.Object(func(k []byte) {
				switch string(k) {
				case "en":
					f.Message.EN = l.Str()
				case "zh":
					f.Message.ZH = l.Str()
				default:
					l.Fail()
				}
			})
		case "feedback":
			readFeedback(l, &f.Feedback)
		case "prompt":
			readPrompt(l, &f.Prompt)
		case "verdict":
			if f.Verdict == nil {
				f.Verdict = new(frame)
			}
			readFrame(l, f.Verdict)
		default:
			l.Fail()
		}
	})
}

// readGeometry reads corners as encoding/json reads a Go array: into the
// points already there, the ones the JSON leaves out zeroed; a fifth
// corner gives way (encoding/json would skip it).
func readGeometry(l *jsonlex.Lexer, g *geometry) {
	l.Object(func(k []byte) {
		switch string(k) {
		case "image_width":
			g.ImageWidth = l.Int()
		case "focal_px":
			g.FocalPx = l.Float()
		case "corners":
			n := 0
			l.Array(func() {
				if n == len(g.Corners) {
					l.Fail()
					return
				}
				p := &g.Corners[n]
				n++
				l.Object(func(k []byte) {
					switch string(k) {
					case "x":
						p.X = l.Float()
					case "y":
						p.Y = l.Float()
					default:
						l.Fail()
					}
				})
			})
			for i := n; i < len(g.Corners); i++ {
				g.Corners[i] = point{}
			}
		default:
			l.Fail()
		}
	})
}

func readFeedback(l *jsonlex.Lexer, fb *feedback) {
	l.Object(func(k []byte) {
		switch string(k) {
		case "kind":
			fb.Kind = l.Str()
		case "led":
			fb.LED = l.Str()
		case "tone":
			if fb.Tone != nil {
				l.Fail()
				return
			}
			fb.Tone = []tone{}
			l.Array(func() {
				var t tone
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
			v := []int{}
			l.Array(func() { v = append(v, l.Int()) })
			fb.Vibrate = v
		default:
			l.Fail()
		}
	})
}

func readPrompt(l *jsonlex.Lexer, p *prompt) {
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

// sameAsJSON fails t unless encoding/json takes b and decodes it to got.
// Values are compared field by field and re-encoded, which tells -0 from 0.
func sameAsJSON(t *testing.T, b []byte, got frame) {
	t.Helper()
	var want frame
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("jsonlex took %q, encoding/json refuses it: %v", b, err)
	}
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if !reflect.DeepEqual(want, got) || !bytes.Equal(wj, gj) {
		t.Fatalf("%q:\nencoding/json %s\njsonlex       %s", b, wj, gj)
	}
}
