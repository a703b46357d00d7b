package floorgate

import (
	"bytes"
	"encoding/json"
	"io"
)

// DecodeTasks reads a task file: {"tasks": [...]} or a bare list. Unknown
// fields are refused, naming the record, so a typo never drops data.
func DecodeTasks(r io.Reader) ([]Task, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, Errorf(EINVALID, "read: %v", err)
	}
	raw = bytes.TrimSpace(raw)
	var items []json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		err = json.Unmarshal(raw, &items)
	} else {
		var doc struct {
			Tasks []json.RawMessage `json:"tasks"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		err = dec.Decode(&doc)
		items = doc.Tasks
	}
	if err != nil {
		return nil, Errorf(EINVALID, "not a task file (want {\"tasks\": [...]}): %v", err)
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
