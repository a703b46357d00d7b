// Package doctor checks a floorgate installation from outside the daemon:
// the configuration, state directory and free space, key and certificate
// files, device access, printers, brokers (TLS and an MQTT CONNECT,
// through sync.Probe), a NATS backbone (every cluster node in
// mqtt.brokers, or the cluster's leaf listeners and the running gateway's
// leaf link; with Doctor.Backbone the cluster's JetStream side, through
// sync.CheckBackbone), the clock, the listener and the local socket. Each
// area is a Check, in a file of its own, that reuses the production code
// it checks; each finding says what is wrong and how to fix it.
//
// It only looks: it never writes the database, creates files or sends a
// print job, and it reaches a running gateway only through its local
// socket (package client).
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Doctor checks an installation: configuration, state directory,
// credentials, devices, printers, brokers, clock and listener. It only
// looks: it never writes the database, creates files or sends a job.
type Doctor struct {
	// ConfigPath is the configuration file; empty is the defaults.
	ConfigPath string
	// Now reads the clock; time.Now when nil.
	Now func() time.Time
	// NTPSynchronized answers "yes" or "no" as timedatectl does; it
	// runs timedatectl when nil.
	NTPSynchronized func(ctx context.Context) (string, error)

	// Backbone, when set, is the NATS backbone cluster's client URLs
	// (nats://…, comma-separated) and BackboneUser and BackbonePassword
	// an account user that may read its JetStream state (the one
	// `floorgate backbone init` ran as): the doctor then checks the
	// cluster's side of the backbone too (docs/mqtt-contract.md §15).
	Backbone                       string
	BackboneUser, BackbonePassword string
}

// Run prints one line per finding: the configuration first, then the
// checks that only read files, one after the other, then those that talk
// to something else, at once and within deadline. When the configuration
// does not load, only the clock is checked and the rest is skipped. The
// summary is printed when nothing failed and is the returned error's text
// otherwise, so the command exits non-zero exactly when a check failed.
func (d *Doctor) Run(ctx context.Context, out io.Writer) error {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.NTPSynchronized == nil {
		d.NTPSynchronized = timedatectlNTP
	}
	s := &Site{ConfigPath: d.ConfigPath, Now: d.Now}
	backbone := backboneCheck{nats: d.Backbone, user: d.BackboneUser, password: d.BackbonePassword}
	clock := clockCheck{ntp: d.NTPSynchronized}

	var all []Finding
	emit := func(fs ...Finding) {
		for _, f := range fs {
			fmt.Fprintln(out, f)
		}
		all = append(all, fs...)
	}
	loaded := configCheck{}.Run(ctx, s)
	emit(loaded...)
	if loaded[0].Severity == Fail {
		// The label templates have no skip line, and the backbone one only
		// when Backbone names a cluster: without the configuration the
		// doctor cannot tell whether the gateway joins one.
		skipped := []Check{profilesCheck{}, stateDirCheck{}, credentialsCheck{}, devicesCheck{}, printersCheck{}, brokersCheck{}, listenerCheck{}, localSocketCheck{}}
		if d.Backbone != "" {
			skipped = append(skipped, backbone)
		}
		for _, c := range skipped {
			emit(Finding{Severity: Skip, Check: c.Name(), What: "not checked: the configuration did not load"})
		}
		emit(clock.Run(ctx, s)...)
		return summarise(all, out)
	}
	for _, c := range []Check{profilesCheck{}, labelsCheck{}, stateDirCheck{}, credentialsCheck{}} {
		emit(c.Run(ctx, s)...)
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	emit(runAtOnce(ctx, s, devicesCheck{}, printersCheck{}, brokersCheck{}, backbone, clock, listenerCheck{}, localSocketCheck{})...)
	return summarise(all, out)
}

// summarise counts the findings: printed when all passed, the error when
// any failed.
func summarise(all []Finding, out io.Writer) error {
	n := map[Severity]int{}
	for _, f := range all {
		n[f.Severity]++
	}
	s := fmt.Sprintf("doctor: %d ok, %d warnings, %d failed", n[OK], n[Warn], n[Fail])
	if n[Skip] > 0 {
		s += fmt.Sprintf(", %d skipped", n[Skip])
	}
	if n[Fail] > 0 {
		return errors.New(s)
	}
	fmt.Fprintln(out, s)
	return nil
}
