package gateway

import (
	"context"
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/device/ws/wsclient"
)

// TestAbsentDeviceLosesItsSession: a PDA with a picker and a task that
// stays disconnected past devices.session_grace loses the session; the task
// goes back to the queue for the next picker, the ERP hears
// operator.logged_out with reason device_absent, and the audit log (the
// status page) says so. A PDA back within the grace keeps everything.
func TestAbsentDeviceLosesItsSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clock := floorgate.NewManualClock(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
	g := startDemo(t, clock)
	tc, err := client.PinnedTLS(g.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	dial := func(device string) *wsclient.Client {
		c, _, err := wsclient.DialTLS(ctx, "wss://"+g.Addr()+"/ws/v1", device, "token-of-"+device+"-0123456789abcdef0123456789", "TC21", tc)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	session := func(device string) floorgate.Session {
		for _, s := range g.DB.Sessions() {
			if s.Device == device {
				return s
			}
		}
		return floorgate.Session{}
	}
	waitGone := func(device string) {
		for deadline := time.Now().Add(30 * time.Second); slices.Contains(g.WS.Connected(), device); runtime.Gosched() {
			if time.Now().After(deadline) {
				t.Fatalf("%s still counted as connected", device)
			}
		}
	}

	// Back within the grace: nothing changes.
	a := dial("pda-a")
	if v, err := a.Login(ctx, "l", "B1001", DemoPIN); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("login: %v %+v", err, v)
	}
	task := session("pda-a").Task
	a.Close()
	waitGone("pda-a")
	g.suspendAbsent(ctx)
	clock.Add(time.Minute)
	g.suspendAbsent(ctx)
	a = dial("pda-a")
	g.suspendAbsent(ctx)
	clock.Add(5 * time.Minute)
	g.suspendAbsent(ctx)
	if s := session("pda-a"); s.Operator == "" || s.Task != task {
		t.Fatalf("a PDA back within the grace lost its session: %+v", s)
	}

	// Away past the grace: the session ends.
	a.Close()
	waitGone("pda-a")
	g.suspendAbsent(ctx)
	clock.Add(2*time.Minute - time.Second)
	g.suspendAbsent(ctx)
	if s := session("pda-a"); s.Operator == "" {
		t.Fatal("the session ended before the grace was over")
	}
	if st, _ := g.Status(); st.Tasks.HeldByAbsent != 1 || st.Tasks.InProgress != 0 {
		t.Fatalf("status tasks %+v, want one held by an absent device", st.Tasks)
	}
	clock.Add(time.Second)
	g.suspendAbsent(ctx)
	if s := session("pda-a"); s.Operator != "" {
		t.Fatalf("the session lives on after the grace: %+v", s)
	}
	if st, _ := g.Status(); st.Tasks.HeldByAbsent != 0 || st.Tasks.Waiting != 40 {
		t.Fatalf("status tasks %+v after the suspension, want the demo's 40 waiting", st.Tasks)
	}
	tk, err := g.DB.Task(task)
	if err != nil || tk.Status != floorgate.TaskPending {
		t.Fatalf("the task %+v %v, want it back in the queue", tk, err)
	}
	evs, err := g.DB.Journal(g.DB.LastSeq(), 1)
	if err != nil || len(evs) != 1 || evs[0].Type != floorgate.EventOperatorLoggedOut {
		t.Fatalf("last event %+v %v", evs, err)
	}
	var rec floorgate.OperatorRecord
	json.Unmarshal(evs[0].Data, &rec)
	if rec.Reason != floorgate.ReasonDeviceAbsent || rec.Device != "pda-a" {
		t.Fatalf("operator.logged_out %+v", rec)
	}
	log, _ := g.DB.AuditLog(1)
	if len(log) != 1 || log[0].Action != "session.suspended" || log[0].Target != "pda-a" || !strings.Contains(log[0].Detail, "away since") {
		t.Fatalf("audit %+v", log)
	}
	// The next picker gets the task.
	b := dial("pda-b")
	defer b.Close()
	if v, err := b.Login(ctx, "l", "B1002", DemoPIN); err != nil || v.Prompt.Task != task {
		t.Fatalf("the next picker's prompt %+v %v, want task %s", v.Prompt, err, task)
	}
}
