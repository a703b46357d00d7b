package gateway

import (
	"context"
	"fmt"
	"time"

	sd "github.com/coreos/go-systemd/v22/daemon"
)

// notifier speaks systemd's notify protocol (sd_notify) when the daemon
// runs as a Type=notify service: READY=1 once the store is open and the
// listeners are up, STATUS= lines a person sees in `systemctl status`,
// WATCHDOG=1 only while the gateway really works, and STOPPING=1. Outside
// systemd (no NOTIFY_SOCKET) every call is a no-op.
type notifier struct {
	g    *Gateway
	stop context.CancelFunc
	done chan struct{}
}

// startNotifier tells systemd the gateway is ready and, when the unit has
// WatchdogSec=, keeps pinging the watchdog at half that interval from a
// loop that first checks the store's writer answers: a wedged gateway stops
// pinging and systemd restarts it.
func startNotifier(g *Gateway) *notifier {
	ctx, cancel := context.WithCancel(context.Background())
	n := &notifier{g: g, stop: cancel, done: make(chan struct{})}
	n.notify(sd.SdNotifyReady + "\n" + n.status())
	watchdog, err := sd.SdWatchdogEnabled(false)
	if err != nil {
		g.Log.Warn("systemd watchdog", "err", err)
	}
	go n.run(ctx, watchdog/2)
	return n
}

func (n *notifier) notify(state string) {
	if _, err := sd.SdNotify(false, state); err != nil {
		n.g.Log.Warn("systemd notify", "err", err)
	}
}

// status is the one line `systemctl status floorgate` shows.
func (n *notifier) status() string {
	st, err := n.g.Status()
	if err != nil {
		return "STATUS=status unavailable: " + err.Error()
	}
	up := "upstream offline"
	if st.Upstream.Connected {
		up = "upstream connected"
	}
	faults := 0
	for _, p := range st.Printers {
		if p.State != "ready" {
			faults++
		}
	}
	return fmt.Sprintf("STATUS=%d PDAs connected, %d tasks waiting, outbox %d, %s, %d of %d printers need attention",
		len(st.Connected), st.Counts.PendingTasks, st.Outbox.Depth, up, faults, len(st.Printers))
}

// statusEvery is how often the status line is refreshed.
const statusEvery = 10 * time.Second

// run pings the watchdog every ping (zero: the watchdog is off) and
// refreshes the status line.
func (n *notifier) run(ctx context.Context, ping time.Duration) {
	defer close(n.done)
	tick := statusEvery
	if ping > 0 && ping < tick {
		tick = ping
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	lastStatus := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if ping > 0 {
			pctx, cancel := context.WithTimeout(ctx, tick)
			err := n.g.DB.Ping(pctx)
			cancel()
			if err != nil {
				n.g.Log.Error("watchdog: the store's writer does not answer; not pinging systemd", "err", err)
				continue
			}
			n.notify(sd.SdNotifyWatchdog)
		}
		if time.Since(lastStatus) >= statusEvery {
			n.notify(n.status())
			lastStatus = time.Now()
		}
	}
}

// stopping tells systemd the gateway is shutting down and ends the loop.
func (n *notifier) stopping() {
	n.notify(sd.SdNotifyStopping)
	n.stop()
	<-n.done
}
