package store

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/floorgate/floorgate"
)

// envelope encodes an event as encoding/json would, without reflection:
// it is written for every scan. Site and gateway are quoted once at open;
// the payload is already JSON.
func (db *DB) envelope(ev floorgate.Event) []byte {
	return db.appendEnvelope(make([]byte, 0, 160+len(ev.Data)), ev)
}

// appendEnvelope appends ev's envelope to b.
func (db *DB) appendEnvelope(b []byte, ev floorgate.Event) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, ev.ID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = append(b, `,"site":`...)
	b = append(b, db.siteJSON...)
	b = append(b, `,"gateway":`...)
	b = append(b, db.gatewayJSON...)
	if ev.Incarnation != "" {
		b = append(b, `,"incarnation":`...)
		b = appendString(b, ev.Incarnation)
	}
	b = append(b, `,"type":`...)
	b = appendString(b, ev.Type)
	b = append(b, `,"time":"`...)
	b = ev.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","schema":`...)
	b = strconv.AppendInt(b, int64(ev.Schema), 10)
	b = append(b, `,"data":`...)
	if len(ev.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, ev.Data...)
	}
	return append(b, '}')
}

// appendString appends s as a JSON string. Event ids and types are plain
// ASCII; anything else goes through encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
