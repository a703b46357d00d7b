package floorgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// DecodeTasks reads a task file: {"tasks": [...]} or a bare list. Unknown
// fields are refused, naming the record, so a typo never drops data; so is
// anything after the one JSON value, so a second document pasted on the
// end is never silently left out.
func DecodeTasks(r io.Reader) ([]Task, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, Errorf(EINVALID, "read: %v", err)
	}
	var items []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		err = dec.Decode(&items)
	} else {
		var doc struct {
			Tasks []json.RawMessage `json:"tasks"`
		}
		dec.DisallowUnknownFields()
		err = dec.Decode(&doc)
		items = doc.Tasks
	}
	if err != nil {
		return nil, Errorf(EINVALID, "not a task file (want {\"tasks\": [...]}): %v", err)
	}
	if rest := TrailingContent(raw, dec); rest != "" {
		return nil, Errorf(EINVALID, "not a task file: %s", rest)
	}
	if len(items) == 0 {
		return nil, Errorf(EINVALID, "tasks: the file holds no tasks")
	}
	tasks := make([]Task, len(items))
	for i, item := range items {
		dec := json.NewDecoder(bytes.NewReader(item))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tasks[i]); err != nil {
			return nil, Errorf(EINVALID, "tasks[%d]: %v", i, err)
		}
	}
	return tasks, nil
}

// TrailingContent describes what follows the JSON value dec has just
// decoded from raw, by its byte offset and first bytes, or is "" when only
// white space follows. Every door that takes one JSON document refuses the
// rest rather than ignore it: a second document pasted on the end would
// otherwise be dropped without a word.
func TrailingContent(raw []byte, dec *json.Decoder) string {
	off := dec.InputOffset()
	rest := bytes.TrimLeft(raw[off:], " \t\r\n")
	if len(rest) == 0 {
		return ""
	}
	at := len(raw) - len(rest)
	const show = 24
	if len(rest) > show {
		return fmt.Sprintf("trailing content after the JSON value at byte %d: %q…", at, rest[:show])
	}
	return fmt.Sprintf("trailing content after the JSON value at byte %d: %q", at, rest)
}
