package floorgate

import (
	"encoding/json"
	"strconv"

	"github.com/floorgate/floorgate/internal/jsonlex"
)

// The payloads of the events written for every scan — scan.accepted and
// scan.rejected, pick.line_confirmed — are encoded here without
// reflection, byte for byte as encoding/json encodes them (the tests hold
// the two side by side), with internal/jsonlex's string and number
// writers. Anything these encoders do not write exactly as encoding/json
// would makes them say so, and NewEvent uses encoding/json instead.

// appendScanRecord appends r as encoding/json encodes it; ok is false for
// a device time or a distance that encoding/json refuses, or a distance it
// writes with an exponent.
func appendScanRecord(b []byte, r ScanRecord) (_ []byte, ok bool) {
	b = append(b, `{"scan_id":`...)
	b = jsonlex.AppendString(b, r.ScanID)
	b = append(b, `,"device":`...)
	b = jsonlex.AppendString(b, r.Device)
	b = appendOmitEmpty(b, `,"operator":`, r.Operator)
	b = appendOmitEmpty(b, `,"task":`, r.Task)
	if r.Line != 0 {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, int64(r.Line), 10)
	}
	b = appendOmitEmpty(b, `,"location":`, r.Location)
	b = append(b, `,"data":`...)
	b = jsonlex.AppendString(b, r.Data)
	b = appendOmitEmpty(b, `,"aim":`, r.AIM)
	b = appendOmitEmpty(b, `,"kind":`, string(r.Kind))
	b = append(b, `,"code":`...)
	b = jsonlex.AppendString(b, string(r.Code))
	b = appendOmitEmpty(b, `,"warning":`, string(r.Warning))
	b = appendOmitEmpty(b, `,"in_band_code":`, string(r.InBandCode))
	if r.Qty != 0 {
		b = append(b, `,"qty":`...)
		b = strconv.AppendInt(b, int64(r.Qty), 10)
	}
	if r.DistanceMM != 0 {
		if b, ok = jsonlex.AppendFloat(append(b, `,"distance_mm":`...), r.DistanceMM); !ok {
			return b, false
		}
	}
	b = append(b, `,"distance":`...)
	b = jsonlex.AppendString(b, r.Distance)
	if !r.DeviceTime.IsZero() {
		t, err := r.DeviceTime.MarshalJSON()
		if err != nil {
			return b, false
		}
		b = append(append(b, `,"device_time":`...), t...)
	}
	b = appendOmitEmpty(b, `,"batch":`, r.Batch)
	b = appendOmitEmpty(b, `,"serial":`, r.Serial)
	b = appendOmitEmpty(b, `,"expiry":`, r.Expiry)
	b = appendOmitEmpty(b, `,"problem":`, r.Problem)
	return append(b, '}'), true
}

// appendLineRecord appends r as encoding/json encodes it.
func appendLineRecord(b []byte, r LineRecord) []byte {
	b = append(b, `{"task":`...)
	b = jsonlex.AppendString(b, r.Task)
	b = append(b, `,"order":`...)
	b = jsonlex.AppendString(b, r.Order)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(r.Line), 10)
	b = append(b, `,"location":`...)
	b = jsonlex.AppendString(b, r.Location)
	b = append(b, `,"sku":`...)
	b = jsonlex.AppendString(b, r.SKU)
	b = append(b, `,"qty":`...)
	b = strconv.AppendInt(b, int64(r.Qty), 10)
	b = append(b, `,"picked":`...)
	b = strconv.AppendInt(b, int64(r.Picked), 10)
	b = append(b, `,"status":`...)
	b = jsonlex.AppendString(b, string(r.Status))
	b = append(b, `,"operator":`...)
	b = jsonlex.AppendString(b, r.Operator)
	b = append(b, `,"device":`...)
	b = jsonlex.AppendString(b, r.Device)
	return append(b, '}')
}

// appendOmitEmpty appends key and s unless s is empty (omitempty).
func appendOmitEmpty(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return jsonlex.AppendString(append(b, key...), s)
}

// encodePayload is data as encoding/json encodes it, through the encoders
// above for the payloads of every scan.
func encodePayload(data any) ([]byte, error) {
	switch r := data.(type) {
	case ScanRecord:
		if b, ok := appendScanRecord(make([]byte, 0, 320), r); ok {
			return b, nil
		}
	case LineRecord:
		return appendLineRecord(make([]byte, 0, 192), r), nil
	}
	return json.Marshal(data)
}
