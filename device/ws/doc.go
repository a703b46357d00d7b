// Package ws is the PDA endpoint of floorgate: protocol v1 over WebSocket,
// mounted by the caller at /ws/v1. It is the only package (besides the web
// layer) that imports gorilla/websocket; docs/pda-protocol.md is the wire
// contract it implements.
//
// It translates frames into calls on a Floor and the Floor's answers into
// frames, and nothing more. It holds no floor state and makes no decisions:
// who may connect, whether a scan is right, what the picker does next — all
// of it comes from the Floor it is given. What it does own is the wire: the
// hello handshake, message validation, keepalive, one live connection per
// device, and delivering the Floor's pushes.
//
// It must never show a Go error string to a device. Faults from the Floor
// are logged and answered with a stable code (an "unavailable" verdict, or an
// error frame with a floorgate error code and a plain bilingual message).
//
// Each connection has one goroutine while it is idle, its reader, which
// reads one message at a time and has it answered on a short-lived handler
// goroutine while it waits (so verdicts answer in the order requests
// arrive, and the reader's stack stays the size of a read: answering goes
// deep, and a parked goroutine keeps the stack it grew). Every write —
// replies, pushes, pings, pongs and the close frame — is queued on the
// connection and made by a writer goroutine started when there is
// something to write and ended when there is nothing left; at most one
// runs per connection. Idle PDAs thus cost a small stack and no buffers.
// The only frames written elsewhere are the 1002 close frames
// gorilla/websocket sends itself when a peer breaks the framing rules;
// those go through its concurrency-safe WriteControl.
package ws
