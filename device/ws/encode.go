package ws

import (
	"strconv"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/jsonlex"
)

// Verdicts are encoded by hand: one goes out for every scan, and
// reflection made encoding one of the larger costs of a verdict. The output
// is byte for byte what encoding/json writes for verdictMsg (a test holds
// it to that).

// appendVerdictMsg appends the verdict frame for v.
func appendVerdictMsg(b []byte, v floorgate.Verdict) []byte {
	b = append(b, `{"type":"verdict",`...)
	b = appendVerdictFields(b, v)
	return append(b, '}')
}

// appendVerdictFields appends v's fields without the braces.
func appendVerdictFields(b []byte, v floorgate.Verdict) []byte {
	b = append(b, `"scan_id":`...)
	b = jsonlex.AppendString(b, v.ScanID)
	b = append(b, `,"ok":`...)
	b = strconv.AppendBool(b, v.OK)
	b = append(b, `,"code":`...)
	b = jsonlex.AppendString(b, string(v.Code))
	b = append(b, `,"message":{"en":`...)
	b = jsonlex.AppendString(b, v.Message.EN)
	b = append(b, `,"zh":`...)
	b = jsonlex.AppendString(b, v.Message.ZH)
	b = append(b, `},"feedback":{"kind":`...)
	b = jsonlex.AppendString(b, string(v.Feedback.Kind))
	b = append(b, `,"tone":[`...)
	for i, t := range v.Feedback.Tone {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"hz":`...)
		b = strconv.AppendInt(b, int64(t.Hz), 10)
		b = append(b, `,"ms":`...)
		b = strconv.AppendInt(b, int64(t.MS), 10)
		b = append(b, '}')
	}
	b = append(b, `],"vibrate_ms":[`...)
	for i, ms := range v.Feedback.Vibrate {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(ms), 10)
	}
	b = append(b, `],"led":`...)
	b = jsonlex.AppendString(b, v.Feedback.LED)
	b = append(b, '}')
	if v.Warning != "" {
		b = append(b, `,"warning":`...)
		b = jsonlex.AppendString(b, string(v.Warning))
	}
	b = append(b, `,"prompt":`...)
	b = appendPrompt(b, v.Prompt)
	if len(v.Shorts) > 0 {
		b = append(b, `,"shorts":[`...)
		for i, s := range v.Shorts {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"slot":`...)
			b = strconv.AppendInt(b, int64(s.Slot), 10)
			b = append(b, `,"task":`...)
			b = jsonlex.AppendString(b, s.Task)
			b = append(b, `,"order":`...)
			b = jsonlex.AppendString(b, s.Order)
			b = append(b, `,"missing":`...)
			b = strconv.AppendInt(b, int64(s.Missing), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return b
}

func appendPrompt(b []byte, p floorgate.Prompt) []byte {
	b = append(b, `{"step":`...)
	b = jsonlex.AppendString(b, p.Step)
	str := func(key, s string) {
		if s != "" {
			b = append(b, key...)
			b = jsonlex.AppendString(b, s)
		}
	}
	num := func(key string, n int) {
		if n != 0 {
			b = append(b, key...)
			b = strconv.AppendInt(b, int64(n), 10)
		}
	}
	str(`,"task":`, p.Task)
	str(`,"order":`, p.Order)
	num(`,"line":`, p.Line)
	num(`,"lines":`, p.Lines)
	str(`,"location":`, p.Location)
	str(`,"sku":`, p.SKU)
	str(`,"item_name":`, p.ItemName)
	num(`,"qty":`, p.Qty)
	num(`,"picked":`, p.Picked)
	if p.KeyedQty {
		b = append(b, `,"keyed_qty":true`...)
	}
	str(`,"cart":`, p.Cart)
	num(`,"slot":`, p.Slot)
	num(`,"slots":`, p.Slots)
	str(`,"tote":`, p.Tote)
	str(`,"wall":`, p.Wall)
	str(`,"batch":`, p.Batch)
	strs := func(key string, ss []string) {
		if len(ss) == 0 {
			return
		}
		b = append(b, key...)
		for i, s := range ss {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonlex.AppendString(b, s)
		}
		b = append(b, ']')
	}
	strs(`,"extras":[`, p.Extras)
	strs(`,"fragile":[`, p.Fragile)
	strs(`,"instructions":[`, p.Instructions)
	return append(b, '}')
}
