package shiftgen

import "slices"

// distNotMeasurable is the distance class of a read from a device that
// cannot measure (a wired scanner, docs/scanners.md "Scanning distance").
// The shift's devices are PDAs, which can: it is never a truth here, but a
// record that had it would count as the definitions say.
const distNotMeasurable = "not_measurable"

// DeviceDistance is one device's row of distance_by_device (web-api.md,
// the figures).
type DeviceDistance struct {
	Device        string   `json:"device"`
	In            int      `json:"in"`
	Out           int      `json:"out"`
	Unknown       int      `json:"unknown"`
	NotMeasurable int      `json:"not_measurable"`
	InBandShare   *float64 `json:"in_band_share"`
	Measurable    bool     `json:"measurable"`
}

// distanceByDevice: the window's scan events by the device they were read
// on, sorted by device; a device is measurable unless every one of its
// reads was not_measurable.
func (sh *Shift) distanceByDevice(sp span) []DeviceDistance {
	rows := map[string]*DeviceDistance{}
	for _, a := range sh.Script {
		if !sp.has(a.At) || !a.Truth.ScanEvent {
			continue
		}
		d := rows[a.Device]
		if d == nil {
			d = &DeviceDistance{Device: a.Device}
			rows[a.Device] = d
		}
		switch a.Truth.Distance {
		case distIn:
			d.In++
		case distOut:
			d.Out++
		case distNotMeasurable:
			d.NotMeasurable++
		default:
			d.Unknown++
		}
	}
	out := []DeviceDistance{}
	for _, d := range rows {
		if d.In+d.Out > 0 {
			d.InBandShare = ptr(float64(d.In) / float64(d.In+d.Out))
		}
		d.Measurable = d.In+d.Out+d.Unknown > 0
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b DeviceDistance) int {
		switch {
		case a.Device < b.Device:
			return -1
		case a.Device > b.Device:
			return 1
		}
		return 0
	})
	return out
}
