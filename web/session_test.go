package web_test

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
)

// TestLoginElsewhereEndsTheFirstSession: a picker who logs in on a second
// PDA takes their task there, and the first PDA is told at once over its
// WebSocket, with its own code and a login prompt; a scan it sends
// afterwards is not counted.
func TestLoginElsewhereEndsTheFirstSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, _ := demoGateway(t)
	a := dialPDA(t, ctx, m, "pda-first", daemontest.DeviceToken("pda-first"), "B1001")
	before, _ := sessionOf(m, "pda-first")
	if before.Task == "" {
		t.Fatalf("the picker has no task on the first PDA: %+v", before)
	}
	b, _ := hello(t, ctx, m, "pda-second", daemontest.DeviceToken("pda-second"))
	v, err := b.Login(ctx, "login-2", "B1001", gateway.DemoPIN)
	if err != nil || v.Code != floorgate.CodeLoggedIn || v.Prompt.Task != before.Task {
		t.Fatalf("login on the second PDA: %v %+v", err, v)
	}
	select {
	case n := <-a.Pushes():
		if n.Kind != floorgate.NoticeLoggedInElsewhere || n.Verdict.Code != floorgate.CodeLoggedInElsewhere ||
			n.Verdict.Prompt.Step != "login" || n.Verdict.Message.ZH == "" {
			t.Fatalf("the first PDA heard %+v", n)
		}
	case <-ctx.Done():
		t.Fatal("the first PDA was not told")
	}
	if s, _ := sessionOf(m, "pda-first"); s.Operator != "" {
		t.Fatalf("the first PDA's session lives on: %+v", s)
	}
	sv, err := a.Scan(ctx, floorgate.Scan{ID: "late-1", Data: "anything", DistanceMM: 70})
	if err != nil || sv.Code != floorgate.CodeNotLoggedIn {
		t.Fatalf("a scan on the first PDA afterwards: %v %+v", err, sv)
	}
}

// TestTasksWaitForAnAbsentPDA: a task that arrives while an idle picker's
// PDA is away is not handed to it (the order would sit on a device nobody
// holds); it waits, counted as waiting, and the PDA gets it when it is back
// and asks.
func TestTasksWaitForAnAbsentPDA(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, _ := demoGateway(t)
	for _, tk := range m.DB.OpenTasks() { // an empty queue: the picker will be idle
		if err := m.DB.CancelTask(ctx, tk.ID, "clear the queue"); err != nil {
			t.Fatal(err)
		}
	}
	a := dialPDA(t, ctx, m, "pda-away", daemontest.DeviceToken("pda-away"), "B1001")
	if s, _ := sessionOf(m, "pda-away"); s.Operator == "" || s.Task != "" {
		t.Fatalf("session %+v, want an idle picker", s)
	}
	a.Close()
	for deadline := time.Now().Add(30 * time.Second); slices.Contains(m.WS.Connected(), "pda-away"); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("the gateway still counts the PDA as connected")
		}
	}
	demo := gateway.NewDemo()
	added, err := m.DB.ImportTasks(ctx, []floorgate.Task{{ID: "T-AWAY", Order: "O-AWAY",
		Lines: []floorgate.TaskLine{{Location: demo.HomeLocation("SKU-10001"), SKU: "SKU-10001", Qty: 1}}}})
	if err != nil || added != 1 {
		t.Fatalf("import: %d %v", added, err)
	}
	if s, _ := sessionOf(m, "pda-away"); s.Task != "" {
		t.Fatalf("the task went to a PDA that is away: %+v", s)
	}
	if c := m.DB.Counts(); c.PendingTasks != 1 {
		t.Fatalf("%d tasks waiting, want 1", c.PendingTasks)
	}
	b, _ := hello(t, ctx, m, "pda-away", daemontest.DeviceToken("pda-away"))
	// Back, idle, with work waiting: the Overview says so.
	if st, _ := m.Status(); st.Tasks.Waiting != 1 || st.Tasks.IdlePickers != 1 {
		t.Fatalf("status tasks %+v, want 1 waiting and 1 idle picker", st.Tasks)
	}
	p, err := b.Next(ctx, "next-1")
	if err != nil || p.Task != "T-AWAY" {
		t.Fatalf("next on the PDA back: %v %+v", err, p)
	}
}
