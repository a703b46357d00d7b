package floorgate

import (
	"encoding/json"
	"math"
	"strconv"
)

// The payloads of the events written for every scan — scan.accepted and
// scan.rejected, pick.line_confirmed — are encoded here without
// reflection, byte for byte as encoding/json encodes them (the tests hold
// the two side by side). Anything these encoders do not write exactly as
// encoding/json would (a string that needs escaping is still exact: it
// goes through encoding/json) makes them say so, and NewEvent uses
// encoding/json instead.

// appendScanRecord appends r as encoding/json encodes it; ok is false for
// a device time or a distance that encoding/json refuses, or a distance it
// writes with an exponent.
func appendScanRecord(b []byte, r ScanRecord) (_ []byte, ok bool) {
	b = append(b, `{"scan_id":`...)
	b = AppendJSONString(b, r.ScanID)
	b = append(b, `,"device":`...)
	b = AppendJSONString(b, r.Device)
	b = appendOmitEmpty(b, `,"operator":`, r.Operator)
	b = appendOmitEmpty(b, `,"task":`, r.Task)
	if r.Line != 0 {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, int64(r.Line), 10)
	}
	b = appendOmitEmpty(b, `,"location":`, r.Location)
	b = append(b, `,"data":`...)
	b = AppendJSONString(b, r.Data)
	b = appendOmitEmpty(b, `,"aim":`, r.AIM)
	b = appendOmitEmpty(b, `,"kind":`, string(r.Kind))
	b = append(b, `,"code":`...)
	b = AppendJSONString(b, string(r.Code))
	b = appendOmitEmpty(b, `,"warning":`, string(r.Warning))
	b = appendOmitEmpty(b, `,"in_band_code":`, string(r.InBandCode))
	if r.Qty != 0 {
		b = append(b, `,"qty":`...)
		b = strconv.AppendInt(b, int64(r.Qty), 10)
	}
	if f := r.DistanceMM; f != 0 {
		if a := math.Abs(f); math.IsNaN(f) || math.IsInf(f, 0) || a < 1e-6 || a >= 1e21 {
			return b, false
		}
		b = append(b, `,"distance_mm":`...)
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	b = append(b, `,"distance":`...)
	b = AppendJSONString(b, r.Distance)
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
	b = AppendJSONString(b, r.Task)
	b = append(b, `,"order":`...)
	b = AppendJSONString(b, r.Order)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(r.Line), 10)
	b = append(b, `,"location":`...)
	b = AppendJSONString(b, r.Location)
	b = append(b, `,"sku":`...)
	b = AppendJSONString(b, r.SKU)
	b = append(b, `,"qty":`...)
	b = strconv.AppendInt(b, int64(r.Qty), 10)
	b = append(b, `,"picked":`...)
	b = strconv.AppendInt(b, int64(r.Picked), 10)
	b = append(b, `,"status":`...)
	b = AppendJSONString(b, string(r.Status))
	b = append(b, `,"operator":`...)
	b = AppendJSONString(b, r.Operator)
	b = append(b, `,"device":`...)
	b = AppendJSONString(b, r.Device)
	return append(b, '}')
}

// appendOmitEmpty appends key and s unless s is empty (omitempty).
func appendOmitEmpty(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return AppendJSONString(append(b, key...), s)
}

// AppendJSONString appends s as encoding/json quotes it, for the encoders
// written by hand for what every scan writes (here and the store's
// envelope). Printable ASCII that needs no escaping is copied; anything
// else (control characters such as GS1's FNC1, quotes, HTML's <, > and &,
// non-ASCII text) goes through encoding/json itself.
func AppendJSONString(b []byte, s string) []byte {
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
