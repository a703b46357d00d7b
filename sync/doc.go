// Package sync carries floorgate's events to the central ERP over MQTT and
// brings the ERP's commands down: store-and-forward from the outbox with
// acknowledgement only on a PUBACK received on a connection that stayed
// up, reconnection with backoff, dead letters for what cannot be sent, and
// the reference ERP consumer (Tail).
//
// It is the only package that imports the paho MQTT client. It holds no
// floor state: events come from, and acknowledgements and commands go to,
// the Outbox and Commands it is given.
package sync
