package kpi

import (
	"encoding/binary"
	"maps"
	"slices"
)

// DeviceDistance is one device's scanning-distance figures: its scans by
// their record's Distance, over the window. A device whose scans are all
// not_measurable cannot measure (a hardware scanner: its firmware
// profile's distance is none); its row says so instead of its scans
// swelling the site's unknown.
type DeviceDistance struct {
	// Device is the scan record's Device: a PDA, or a wired scanner's
	// station.
	Device        string `json:"device"`
	In            int    `json:"in"`
	Out           int    `json:"out"`
	Unknown       int    `json:"unknown"`
	NotMeasurable int    `json:"not_measurable"`
	// InBandShare is In / (In + Out); null when none of the device's scans
	// had a known distance.
	InBandShare *float64 `json:"in_band_share"`
	// Measurable is false when every scan of the device was
	// not_measurable: the device cannot know its distance. A station
	// where a PDA scans too is measurable, with the scanner's scans in
	// NotMeasurable.
	Measurable bool `json:"measurable"`
}

// The distance classes a scan record has (ScanRecord.Distance), as
// indexes of a device's counts; a record with another Distance (none, in
// journals older than the field) is in no class.
const (
	distClassIn = iota
	distClassOut
	distClassUnknown
	distClassNotMeasurable
	nDistClasses
)

var distClasses = map[string]int{
	"in":             distClassIn,
	"out":            distClassOut,
	"unknown":        distClassUnknown,
	"not_measurable": distClassNotMeasurable,
}

// distCounts is one device's scans by distance class.
type distCounts [nDistClasses]int

// countDistance counts a scan with distance class dist in a.
func (a *acc) countDistance(dist string) {
	switch dist {
	case "in":
		a.distIn++
	case "out":
		a.distOut++
	case "unknown":
		a.distUnk++
	case "not_measurable":
		a.distNM++
	}
}

// countDevice counts a scan of device with distance class dist in a's
// device counts; only the site's accs have them (computer.scan).
func (a *acc) countDevice(device, dist string) {
	k, ok := distClasses[dist]
	if !ok {
		return
	}
	if a.distByDev == nil {
		a.distByDev = map[string]distCounts{}
	}
	n := a.distByDev[device]
	n[k]++
	a.distByDev[device] = n
}

// mergeDistByDev adds b's device counts to a's.
func (a *acc) mergeDistByDev(b *acc) {
	if len(b.distByDev) == 0 {
		return
	}
	if a.distByDev == nil {
		a.distByDev = map[string]distCounts{}
	}
	for dev, n := range b.distByDev {
		m := a.distByDev[dev]
		for k := range n {
			m[k] += n[k]
		}
		a.distByDev[dev] = m
	}
}

// distanceByDevice is a's device rows, sorted by device.
func (a *acc) distanceByDevice() []DeviceDistance {
	out := make([]DeviceDistance, 0, len(a.distByDev))
	for _, dev := range slices.Sorted(maps.Keys(a.distByDev)) {
		n := a.distByDev[dev]
		d := DeviceDistance{Device: dev, In: n[distClassIn], Out: n[distClassOut], Unknown: n[distClassUnknown],
			NotMeasurable: n[distClassNotMeasurable]}
		if k := d.In + d.Out; k > 0 {
			d.InBandShare = ptr(float64(d.In) / float64(k))
		}
		d.Measurable = d.In+d.Out+d.Unknown > 0
		out = append(out, d)
	}
	return out
}

// appendDeviceMarks encodes d's device counts as marks (markDevice:
// device, class, count).
func (r *Rollup) appendDeviceMarks(m []byte, d *acc) []byte {
	for dev, n := range d.distByDev {
		for k, v := range n {
			if v != 0 {
				m = append(m, markDevice)
				m = binary.AppendUvarint(m, r.intern(dev))
				m = binary.AppendUvarint(m, uint64(k))
				m = binary.AppendVarint(m, int64(v))
			}
		}
	}
	return m
}

// foldDevice is a markDevice's count added to d.
func foldDevice(d *acc, dev string, k uint64, v int64) {
	if d.distByDev == nil {
		d.distByDev = map[string]distCounts{}
	}
	n := d.distByDev[dev]
	n[k] += int(v)
	d.distByDev[dev] = n
}
