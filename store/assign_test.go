package store

import (
	"testing"

	"github.com/floorgate/floorgate"
)

// TestTasksGoOnlyToPickers: a task that arrives while only a packer is
// logged in stays waiting (a packer's PDA shows the pack screen, where the
// order would be stranded), and goes to the next picker who logs in.
func TestTasksGoOnlyToPickers(t *testing.T) {
	e := staffEnv(t)
	// Every fixture task is handed out first, so the new one is the
	// only task waiting.
	for _, tk := range e.db.OpenTasks() {
		if err := e.db.CancelTask(ctx, tk.ID, "clear the queue"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.Hello(ctx, "pack-1", testToken("pack-1"), "test"); err != nil {
		t.Fatal(err)
	}
	if v, err := e.db.Login(ctx, "pack-1", "l", "PACK1", "2468"); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	added, err := e.db.ImportTasks(ctx, []floorgate.Task{{ID: "T-NEW", Order: "O-NEW",
		Lines: []floorgate.TaskLine{{Location: "L1", SKU: "S1", Qty: 1}}}})
	if err != nil || added != 1 {
		t.Fatalf("import: %d %v", added, err)
	}
	for _, s := range e.db.Sessions() {
		if s.Device == "pack-1" && s.Task != "" {
			t.Fatalf("the packer was given task %s", s.Task)
		}
	}
	if c := e.db.Counts(); c.PendingTasks != 1 {
		t.Fatalf("%d tasks waiting, want 1", c.PendingTasks)
	}
	v := e.pda("pda-1", "BADGE1")
	if v.Prompt.Task != "T-NEW" {
		t.Fatalf("the picker's prompt %+v, want T-NEW", v.Prompt)
	}
}
