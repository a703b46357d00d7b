package main

import (
	"context"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
)

// TestLoginElsewhereEndsTheFirstSession: a picker who logs in on a second
// PDA takes their task there, and the first PDA is told at once over its
// WebSocket, with its own code and a login prompt; a scan it sends
// afterwards is not counted.
func TestLoginElsewhereEndsTheFirstSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, _ := demoGateway(t)
	a := dialPDA(t, ctx, m, "pda-first", testToken("pda-first"), "B1001")
	before, _ := sessionOf(m, "pda-first")
	if before.Task == "" {
		t.Fatalf("the picker has no task on the first PDA: %+v", before)
	}
	b, _ := hello(t, ctx, m, "pda-second", testToken("pda-second"))
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
