package serialline

import (
	"fmt"
	"strings"

	"go.bug.st/serial/enumerator"
)

// PortInfo is a serial port found on the machine.
type PortInfo struct {
	Path string `json:"path"`
	// USB ports carry the USB device's ids (lowercase hex) and serial
	// number, so a scanner is found again whatever ttyACM number it gets
	// after a replug.
	USB          bool   `json:"usb"`
	VID          string `json:"vid,omitempty"`
	PID          string `json:"pid,omitempty"`
	SerialNumber string `json:"serial_number,omitempty"`
	Product      string `json:"product,omitempty"`
}

// Ports lists the machine's serial ports (from sysfs on Linux). It does not
// open them.
func Ports() ([]PortInfo, error) {
	ds, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return nil, fmt.Errorf("list serial ports: %w", err)
	}
	out := make([]PortInfo, 0, len(ds))
	for _, d := range ds {
		out = append(out, PortInfo{Path: d.Name, USB: d.IsUSB, VID: strings.ToLower(d.VID),
			PID: strings.ToLower(d.PID), SerialNumber: d.SerialNumber, Product: d.Product})
	}
	return out, nil
}

// Find returns the USB-serial port among ports with vid:pid, and with serial
// number sn when sn is not empty. Two matching ports without a serial number
// to tell them apart are an error: guessing could bind a scanner to the
// wrong station.
func Find(ports []PortInfo, vid, pid, sn string) (string, error) {
	vid, pid = strings.ToLower(vid), strings.ToLower(pid)
	var found []string
	for _, p := range ports {
		if p.USB && p.VID == vid && p.PID == pid && (sn == "" || p.SerialNumber == sn) {
			found = append(found, p.Path)
		}
	}
	id := vid + ":" + pid
	if sn != "" {
		id += " serial " + sn
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("find port %s: %w", id, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("find port %s: %d ports match (%s); give the scanner's serial number", id, len(found), strings.Join(found, ", "))
}
