package floorgate_test

import (
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

// TestDecodeTasksNamesTheRecord: a task file that does not decode is
// refused with the record that broke it, so a typo never drops data.
func TestDecodeTasksNamesTheRecord(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"typo in a field", `{"tasks":[{"id":"T1","order":"O","lines":[]},{"id":"T2","ordr":"O"}]}`, `tasks[1]: json: unknown field "ordr"`},
		{"wrong type", `{"tasks":[{"id":"T1","order":"O","lines":[{"location":"L","sku":"S","qty":"two"}]}]}`, "tasks[0]"},
		{"empty", `{"tasks":[]}`, "holds no tasks"},
		{"not json", `tasks:`, "not a task file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := floorgate.DecodeTasks(strings.NewReader(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if floorgate.ErrorCode(err) != floorgate.EINVALID {
				t.Fatalf("code %q, want %q", floorgate.ErrorCode(err), floorgate.EINVALID)
			}
		})
	}
	ts, err := floorgate.DecodeTasks(strings.NewReader(`[{"id":"T1","order":"O","lines":[{"location":"L","sku":"S","qty":2}]}]`))
	if err != nil || len(ts) != 1 || ts[0].Lines[0].Qty != 2 {
		t.Fatalf("bare list: %v %+v", err, ts)
	}
}
