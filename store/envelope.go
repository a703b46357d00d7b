package store

import (
	"strconv"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/jsonlex"
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
	b = jsonlex.AppendString(b, ev.ID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	b = append(b, `,"site":`...)
	b = append(b, db.siteJSON...)
	b = append(b, `,"gateway":`...)
	b = append(b, db.gatewayJSON...)
	if ev.Incarnation != "" {
		b = append(b, `,"incarnation":`...)
		b = jsonlex.AppendString(b, ev.Incarnation)
	}
	b = append(b, `,"type":`...)
	b = jsonlex.AppendString(b, ev.Type)
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
