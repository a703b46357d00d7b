package profiles

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem in one profile file. Load returns them joined with
// errors.Join; use errors.As to reach the first.
type Error struct {
	File   string // file name as loaded, e.g. "ds2208.yaml"
	Field  string // YAML path, e.g. "serial.baud", "init[1]"; empty for the whole file
	Line   int    // YAML line, 0 when unknown
	Reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	return b.String()
}

func newDecoder(data []byte) *yaml.Decoder {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec
}

var (
	reLine    = regexp.MustCompile(`line (\d+): `)
	reUnknown = regexp.MustCompile(`^field (\S+) not found in type`)
	reValue   = regexp.MustCompile("^cannot unmarshal \\S+ `([^`]*)`")
)

// decodeErrors turns a yaml.v3 decode error into Errors naming the field.
func decodeErrors(file string, data []byte, err error) []error {
	if errors.Is(err, io.EOF) {
		return []error{&Error{File: file, Reason: "empty file"}}
	}
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	lines := fieldLines(data)
	var out []error
	for _, m := range msgs {
		e := &Error{File: file, Reason: m}
		if loc := reLine.FindStringSubmatchIndex(m); loc != nil {
			e.Line, _ = strconv.Atoi(m[loc[2]:loc[3]])
			e.Reason = m[loc[1]:]
		}
		if u := reUnknown.FindStringSubmatch(e.Reason); u != nil {
			e.Field = lines.keyAt(e.Line, u[1])
			e.Reason = "unknown field"
		} else if v := reValue.FindStringSubmatch(e.Reason); v != nil {
			e.Field = lines.valueAt(e.Line, v[1])
		} else if e.Line > 0 {
			e.Field = lines.keyAt(e.Line, "")
		}
		out = append(out, e)
	}
	return out
}

type fieldLine struct {
	path  string
	name  string // mapping key, empty for a sequence item
	value string // scalar value, if any
	line  int
}

type lineIndex []fieldLine

// fieldLines maps every YAML path of the document to its line.
func fieldLines(data []byte) lineIndex {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	var idx lineIndex
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				idx = append(idx, fieldLine{path: p, name: k.Value, value: scalar(v), line: k.Line})
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				idx = append(idx, fieldLine{path: p, value: scalar(c), line: c.Line})
				walk(c, p)
			}
		}
	}
	walk(doc.Content[0], "")
	return idx
}

// lookup returns the line of a path, or of its closest present parent.
func (idx lineIndex) lookup(path string) int {
	for path != "" {
		for _, f := range idx {
			if f.path == path {
				return f.line
			}
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// keyAt returns the deepest path on a line, preferring a key named name.
func (idx lineIndex) keyAt(line int, name string) string {
	found := ""
	for _, f := range idx {
		if f.line != line {
			continue
		}
		if name != "" && f.name == name {
			return f.path
		}
		if len(f.path) > len(found) {
			found = f.path
		}
	}
	if found == "" {
		return name
	}
	return found
}

func scalar(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// valueAt returns the path on a line whose scalar value is v (a type error
// names the value, not the key), falling back to keyAt.
func (idx lineIndex) valueAt(line int, v string) string {
	for _, f := range idx {
		if f.line == line && f.value == v {
			return f.path
		}
	}
	return idx.keyAt(line, "")
}
