package floorgate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

// TestTaskFileWithTrailingContentIsRefused: a task file is one JSON value;
// a second document or garbage after it is refused, naming it, rather than
// its tasks silently left out of the import.
func TestTaskFileWithTrailingContentIsRefused(t *testing.T) {
	doc := `{"tasks":[{"id":"T1","order":"O","lines":[{"location":"L","sku":"S","qty":1}]}]}`
	list := `[{"id":"T1","order":"O","lines":[{"location":"L","sku":"S","qty":1}]}]`
	cases := []struct{ name, file, want string }{
		{"second document", doc + "\n" + doc,
			fmt.Sprintf(`not a task file: trailing content after the JSON value at byte %d: "{\"tasks\":[{\"id\":\"T1\",\"or"…`, len(doc)+1)},
		{"garbage", doc + "}", fmt.Sprintf(`not a task file: trailing content after the JSON value at byte %d: "}"`, len(doc))},
		{"garbage after leading space", "  " + doc + " x", fmt.Sprintf(`not a task file: trailing content after the JSON value at byte %d: "x"`, len(doc)+3)},
		{"bare list then a document", list + doc, fmt.Sprintf(`not a task file: trailing content after the JSON value at byte %d: "{\"tasks\":[{\"id\":\"T1\",\"or"…`, len(list))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts, err := floorgate.DecodeTasks(strings.NewReader(c.file))
			if err == nil || floorgate.ErrorMessage(err) != c.want {
				t.Fatalf("got %v (%d tasks), want %q", err, len(ts), c.want)
			}
			if floorgate.ErrorCode(err) != floorgate.EINVALID {
				t.Fatalf("code %q, want %q", floorgate.ErrorCode(err), floorgate.EINVALID)
			}
		})
	}
	for _, file := range []string{doc + "\n", "\n" + list + " \r\n\t"} {
		if ts, err := floorgate.DecodeTasks(strings.NewReader(file)); err != nil || len(ts) != 1 {
			t.Fatalf("%q: %v %+v", file, err, ts)
		}
	}
}
