package ws

import (
	"encoding/json"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/jsonlex"
)

// decodeRequest decodes a client message into req: by hand for the plain
// form clients write (package jsonlex), by encoding/json for anything else,
// so the result is always what encoding/json gives.
func decodeRequest(b []byte, req *request) error {
	if fastRequest(b, req) == nil {
		return nil
	}
	*req = request{}
	return json.Unmarshal(b, req)
}

func fastRequest(b []byte, r *request) error {
	l := jsonlex.New(b)
	*r = request{}
	l.Object(func(k []byte) {
		switch string(k) {
		case "type":
			r.Type = l.Str()
		case "device":
			r.Device = l.Str()
		case "token":
			r.Token = l.Str()
		case "model":
			r.Model = l.Str()
		case "app":
			r.App = l.Str()
		case "protocol":
			r.Protocol = l.Int()
		case "id":
			r.ID = l.Str()
		case "badge":
			r.Badge = l.Str()
		case "pin":
			r.PIN = l.Str()
		case "scan_id":
			r.ScanID = l.Str()
		case "data":
			r.Data = l.Str()
		case "aim":
			r.AIM = l.Str()
		case "qty":
			r.Qty = l.Int()
		case "distance_mm":
			r.DistanceMM = l.Float()
		case "device_time":
			r.DeviceTime = l.Str()
		case "found":
			r.Found = l.Int()
		case "station":
			r.Station = l.Str()
		case "reason":
			r.Reason = l.Str()
		case "note":
			r.Note = l.Str()
		case "geometry":
			if r.Geometry != nil {
				// Repeated: encoding/json fills what it has; it decides.
				l.Fail()
				return
			}
			g := new(floorgate.Geometry)
			corners := false
			l.Object(func(k []byte) {
				switch string(k) {
				case "image_width":
					g.ImageWidth = l.Int()
				case "focal_px":
					g.FocalPx = l.Float()
				case "corners":
					if corners {
						l.Fail() // repeated: as "geometry"
						return
					}
					corners = true
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
				default:
					l.Fail()
				}
			})
			r.Geometry = g
		default:
			l.Fail()
		}
	})
	return l.End()
}
