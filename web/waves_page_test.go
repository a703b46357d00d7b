package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/web/webtest"
)

// TestWavesOnTheStatusPage works the Overview's Waves panel in a real
// headless Chromium against the real handler table, signed in as a
// supervisor: the held waves are listed with their progress and cut-off,
// the time left amber under 30 minutes and red once past, each with a
// Release button; the completed wave is folded away underneath. Release
// sends the wave to the pickers in the supervisor's name, and the row then
// shows it released, by them, without its button. No CSP violation or
// uncaught exception shows on the console.
func TestWavesOnTheStatusPage(t *testing.T) {
	sv := serve(t)
	sv.s.opts.Overview = func() (any, error) {
		return map[string]any{
			"site": "site-1", "gateway": "gw-1", "connected_devices": []string{},
			"counts":   map[string]int{"sessions": 0, "pending_tasks": 0, "open_tasks": 6},
			"outbox":   map[string]int{"depth": 0, "dead_letters": 0},
			"upstream": map[string]any{"connected": false, "last_error": "not configured"},
		}, nil
	}
	// The browser counts the time left on its own clock.
	sv.clock.Set(time.Now())
	now := sv.clock.Now()
	testFloor(t, sv.testServer)
	declareWave(t, sv.testServer, "PEAK-1", now.Add(2*time.Hour))
	declareWave(t, sv.testServer, "SOON-1", now.Add(20*time.Minute))
	declareWave(t, sv.testServer, "LATE-1", now.Add(-10*time.Minute))
	declareWave(t, sv.testServer, "DONE-1", now.Add(time.Hour))
	ctx := context.Background()
	if err := sv.db.ReleaseWave(ctx, "DONE-1", floorgate.ReleasedByERP); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"DONE-1-T1", "DONE-1-T2"} {
		if err := sv.db.CancelTask(ctx, id, "intercepted"); err != nil {
			t.Fatal(err)
		}
	}
	if wv, _ := sv.db.Wave("DONE-1"); wv.Status != floorgate.WaveCompleted {
		t.Fatalf("DONE-1: %+v", wv)
	}

	tab := webtest.Browser(t, 1366, 768)
	b := newCSPBrowser(t, tab)
	b.do("open the status page", chromedp.Navigate(sv.base+"/"))
	b.until("the sign-in form", `!document.getElementById("signin").hidden`)
	// The texts checked below are the English ones, whatever the browser's language.
	b.do("choose English", chromedp.Click(`#signin button[data-lang="en"]`))
	b.do("sign in as the supervisor", chromedp.SendKeys("#signin-badge", "SUP1"), chromedp.SendKeys("#signin-pin", testPIN),
		chromedp.Click(`#signin-form button[type="submit"]`))
	// row is the open waves' row of the wave a JavaScript expression names.
	row := func(id string) string {
		return `document.querySelector('#waves-table tr[data-wave="' + ` + id + ` + '"]')`
	}
	b.until("the held waves, each with its Release button", `document.getElementById("who-role").textContent === "supervisor" &&
		["PEAK-1", "SOON-1", "LATE-1"].every((id) => { const r = `+row("id")+`; return r && r.dataset.status === "held" &&
			r.querySelector(".state").textContent.includes("held") && r.querySelector("button[data-release]") !== null &&
			r.querySelector("td.progress").textContent.includes("0/2") && r.querySelector("td.progress").textContent.includes("2 open"); })`)
	b.until("the cut-offs: in time, under 30 minutes, past", `(() => {
		const c = (id) => `+row("id")+`.querySelector("td.cutoff");
		return c("PEAK-1").classList.contains("ok") && c("PEAK-1").textContent.includes("left") &&
			c("SOON-1").classList.contains("warn") && c("SOON-1").textContent.includes("left") &&
			c("LATE-1").classList.contains("bad") && c("LATE-1").textContent.includes("past"); })()`)
	b.until("the completed wave folded away", `(() => { const d = document.getElementById("waves-done");
		return !d.hidden && !d.open && document.getElementById("waves-done-count").textContent === "1" &&
			document.querySelector('#waves-done-table tr[data-wave="DONE-1"]') !== null &&
			`+row(`"DONE-1"`)+` === null; })()`)
	b.js("unfold the completed waves", `document.querySelector("#waves-done summary").click()`)
	b.until("the completed wave shown", `document.querySelector('#waves-done-table tr[data-wave="DONE-1"]').checkVisibility()`)
	webtest.Screenshot(t, tab, "status-waves")

	b.do("release PEAK-1", chromedp.Click(`#waves-table tr[data-wave="PEAK-1"] button[data-release]`))
	b.until("PEAK-1 released by the supervisor", `(() => { const r = `+row(`"PEAK-1"`)+`;
		return r && r.dataset.status === "released" && r.querySelector(".state").textContent.includes("released") &&
			r.querySelector("td.release").textContent.includes("by sup1") && r.querySelector("button") === null &&
			document.getElementById("flash").textContent.includes("PEAK-1 released"); })()`)
	if wv, _ := sv.db.Wave("PEAK-1"); wv.Status != floorgate.WaveReleased || wv.ReleasedActor != "sup1" {
		t.Fatalf("the stored wave: %+v", wv)
	}
	if wv, _ := sv.db.Wave("SOON-1"); wv.Status != floorgate.WaveHeld {
		t.Fatalf("another wave was released too: %+v", wv)
	}
	b.clean("the waves panel")
}
