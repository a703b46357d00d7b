package store

import (
	"testing"

	"github.com/floorgate/floorgate"
)

func TestAuditedChangeCommitsWithItsRecord(t *testing.T) {
	e := newEnv(t)
	actx := Audited(ctx, AuditEntry{Actor: "admin1", Role: "admin", Action: "device.enrol", Target: "pda-9", Remote: "10.0.0.5"})
	if err := e.db.EnrolDevice(actx, "pda-9", "Zebra TC21", "0123456789abcdef0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	// A refused change leaves no audit record.
	bad := Audited(ctx, AuditEntry{Actor: "admin1", Role: "admin", Action: "device.disable", Target: "nope"})
	if err := e.db.SetDeviceDisabled(bad, "nope", true); floorgate.ErrorCode(err) != floorgate.ENOTFOUND {
		t.Fatalf("disable unknown device: %v", err)
	}
	log, err := e.db.AuditLog(10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != "device.enrol" || log[0].Target != "pda-9" || log[0].Actor != "admin1" ||
		!log[0].Time.Equal(e.clock.Now()) || log[0].Seq != 1 {
		t.Fatalf("audit log %+v", log)
	}
	e.reopen()
	if log, _ := e.db.AuditLog(10); len(log) != 1 {
		t.Fatalf("audit log after reopen: %+v", log)
	}
}

func TestEnrolAndDisableDevice(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AutoEnrol = false })
	const tok = "s3cret-token-of-pda-1-0123456789abcdef"
	if _, err := e.db.Hello(ctx, "pda-1", tok, "TC21"); floorgate.ErrorCode(err) != floorgate.EUNAUTHORIZED {
		t.Fatalf("hello before enrolment: %v", err)
	}
	if err := e.db.EnrolDevice(ctx, "pda-1", "TC21", "short"); floorgate.ErrorCode(err) != floorgate.EINVALID {
		t.Fatalf("short token: %v", err)
	}
	if err := e.db.EnrolDevice(ctx, "pda-1", "TC21", tok); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Hello(ctx, "pda-1", tok, "TC21"); err != nil {
		t.Fatalf("hello after enrolment: %v", err)
	}
	if _, err := e.db.Hello(ctx, "pda-1", tok+"x", "TC21"); floorgate.ErrorCode(err) != floorgate.EUNAUTHORIZED {
		t.Fatalf("hello with a forged token: %v", err)
	}
	if _, err := e.db.Login(ctx, "pda-1", "l", "BADGE1", "2468"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 1))}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetDeviceDisabled(ctx, "pda-1", true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Hello(ctx, "pda-1", tok, "TC21"); floorgate.ErrorCode(err) != floorgate.EUNAUTHORIZED {
		t.Fatalf("hello of a disabled device: %v", err)
	}
	if s := e.db.Session("pda-1"); s.Operator != "" {
		t.Fatalf("still logged in on a disabled device: %+v", s)
	}
	if tk, _ := e.db.Task("T1"); tk == nil || tk.Status != floorgate.TaskPending {
		t.Fatalf("task of the disabled device: %+v", tk)
	}
	e.mu.Lock()
	last := e.notices[len(e.notices)-1]
	e.mu.Unlock()
	if last.Kind != floorgate.NoticeDeviceDisabled || last.Device != "pda-1" {
		t.Fatalf("last notice %+v", last)
	}
	// Enrolled again (re-paired): enabled, with the new token only.
	if err := e.db.EnrolDevice(ctx, "pda-1", "TC21", "a-brand-new-token-0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Hello(ctx, "pda-1", tok, "TC21"); floorgate.ErrorCode(err) != floorgate.EUNAUTHORIZED {
		t.Fatalf("the old token still works: %v", err)
	}
	if _, err := e.db.Hello(ctx, "pda-1", "a-brand-new-token-0123456789abcdef", "TC21"); err != nil {
		t.Fatalf("the new token: %v", err)
	}
}

func TestReassignTask(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 2), line("L2", "S2", 1))}); err != nil {
		t.Fatal(err)
	}
	e.pda("pda-a", "BADGE1") // gets T1
	if v := e.scan("pda-a", "s1", "LOC-1"); v.Code != floorgate.CodeLocationOK {
		t.Fatal(v.Code)
	}
	if v := e.scan("pda-a", "s2", "6900000000014"); v.Code != floorgate.CodeItemOK {
		t.Fatal(v.Code)
	}
	e.pda("pda-b", "BADGE2") // idle: nothing waiting
	if err := e.db.ReassignTask(ctx, "T1", "pda-c"); floorgate.ErrorCode(err) != floorgate.ECONFLICT {
		t.Fatalf("reassign to a device nobody is on: %v", err)
	}
	if err := e.db.ReassignTask(ctx, "T9", "pda-b"); floorgate.ErrorCode(err) != floorgate.ENOTFOUND {
		t.Fatalf("reassign an unknown task: %v", err)
	}
	if err := e.db.ReassignTask(ctx, "T1", "pda-b"); err != nil {
		t.Fatal(err)
	}
	if a := e.db.Session("pda-a"); a.Operator != "op1" || a.Task != "" {
		t.Fatalf("old session %+v", a)
	}
	b := e.db.Session("pda-b")
	tk, _ := e.db.Task("T1")
	if b.Task != "T1" || tk.Operator != "op2" || tk.Device != "pda-b" || tk.Lines[0].Picked != 1 {
		t.Fatalf("new session %+v, task %+v", b, tk)
	}
	// The new picker carries on where the old one stopped.
	if v := e.scan("pda-b", "s3", "LOC-1"); v.Code != floorgate.CodeLocationOK {
		t.Fatal(v.Code)
	}
	if v := e.scan("pda-b", "s4", "6900000000014"); v.Code != floorgate.CodeLineDone {
		t.Fatal(v.Code)
	}
	if v := e.scan("pda-a", "s5", "LOC-1"); v.Code == floorgate.CodeLocationOK {
		t.Fatal("the old picker can still pick the task")
	}
	e.mu.Lock()
	var kinds []string
	for _, n := range e.notices {
		kinds = append(kinds, n.Device+":"+n.Kind)
	}
	e.mu.Unlock()
	if len(kinds) < 2 || kinds[len(kinds)-2] != "pda-a:task_reassigned" || kinds[len(kinds)-1] != "pda-b:task_assigned" {
		t.Fatalf("notices %v", kinds)
	}
	var started []string
	for _, ev := range e.journal() {
		if ev.Type == floorgate.EventTaskStarted {
			started = append(started, string(ev.Data))
		}
	}
	if len(started) != 2 {
		t.Fatalf("task_started events %v", started)
	}
	e.checkGapFree()
}

func TestAuthenticateLocksOut(t *testing.T) {
	e := staffEnv(t)
	if op, code := e.db.Authenticate("ADMIN1", "2468", "10.0.0.9"); code != "" || op.Role != floorgate.RoleAdmin || op.PINHash == "" {
		t.Fatalf("right PIN: %+v %s", op, code)
	}
	for i := range 5 {
		if _, code := e.db.Authenticate("ADMIN1", "0000", "10.0.0.9"); code != floorgate.CodeBadLogin {
			t.Fatalf("wrong PIN %d: %s", i, code)
		}
	}
	if _, code := e.db.Authenticate("ADMIN1", "2468", "10.0.0.9"); code != floorgate.CodeLoginLocked {
		t.Fatalf("after five wrong PINs: %s", code)
	}
}
