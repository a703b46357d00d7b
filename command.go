package floorgate

import (
	"encoding/json"
	"time"
)

// Command is an instruction from the ERP: create, update or cancel pick
// tasks, replace master data, store shipments, replay events. It is applied
// whole or refused whole, once per id.
type Command struct {
	ID   string          `json:"id"`
	Type string          `json:"type"`
	Time time.Time       `json:"time,omitzero"`
	Data json.RawMessage `json:"data"`
}

// Command types.
const (
	CommandTaskCreate   = "task.create"
	CommandTaskUpdate   = "task.update"
	CommandTaskCancel   = "task.cancel"
	CommandMasterPut    = "master.put"
	CommandShipmentPut  = "shipment.put"
	CommandEventsReplay = "events.replay"
	CommandWaveRelease  = "wave.release"
	CommandOrderRelease = "order.release"
)

// MaxReplay is the most events one events.replay command may ask for.
const MaxReplay = 100_000

// CommandResult is what became of a command.
type CommandResult struct {
	ID, Type string
	Applied  bool
	// Duplicate is set when the id was seen before: nothing was done again,
	// and Applied, Field and Reason are those of the first time.
	Duplicate bool
	Field     string
	Reason    string
}

// Replay is a range of journal events to publish again, asked for by an
// events.replay command.
type Replay struct {
	From, To uint64
}
