package floorgate_test

import (
	"os"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/floorgate/floorgate/internal/cli"
)

// layoutRow is one row of the README's layout table: a path and what it
// says of it.
type layoutRow struct{ path, what string }

// readmeLayout reads the table under "## Layout" in README.md.
func readmeLayout(t *testing.T) []layoutRow {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(raw), "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no ## Layout section")
	}
	section, _, _ := strings.Cut(after, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([^`]+)`[^|]*\\| (.*) \\|$")
	var rows []layoutRow
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		rows = append(rows, layoutRow{strings.TrimSuffix(m[1], "/"), m[2]})
	}
	if len(rows) == 0 {
		t.Fatal("README.md's layout table has no rows")
	}
	return rows
}

// TestReadmeLayoutMatchesTheTree keeps the README's layout table true to
// the tree: every path it lists exists, every package is in it (its own
// row, or named in the row of the directory above it), and every command
// of floorgate is named in it once, as `floorgate NAME`, in the row of the
// package that does the command's work.
func TestReadmeLayoutMatchesTheTree(t *testing.T) {
	rows := readmeLayout(t)
	listed := map[string]string{}
	var table strings.Builder
	for _, r := range rows {
		table.WriteString(r.what + "\n")
		if r.path == "*.go" {
			continue
		}
		if st, err := os.Stat(r.path); err != nil || !st.IsDir() {
			t.Errorf("the layout table lists %s/, which is not a directory", r.path)
		}
		listed[r.path] = r.what
	}
	out, err := exec.Command("go", "list", "-tags", "chaos", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
		if rel == "" {
			continue
		}
		if _, ok := listed[rel]; ok {
			continue
		}
		named := false
		for dir := path.Dir(rel); dir != "." && !named; dir = path.Dir(dir) {
			what, ok := listed[dir]
			named = ok && (strings.Contains(what, "`"+rel+"`") || strings.Contains(what, "`"+strings.TrimPrefix(rel, dir+"/")+"`"))
		}
		if !named {
			t.Errorf("package %s is neither a row of the layout table nor named in its directory's row", rel)
		}
	}
	for _, name := range cli.CommandNames() {
		if name == "help" {
			continue // floorgate help is how the table's readers find the rest
		}
		n := strings.Count(table.String(), "`floorgate "+name+"`") + strings.Count(table.String(), "`floorgate "+name+" ")
		if n != 1 {
			t.Errorf("the layout table names `floorgate %s` %d times, want once", name, n)
		}
	}
}
