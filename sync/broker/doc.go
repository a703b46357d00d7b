// Package broker runs an embedded MQTT broker for a single-box site that has
// no external broker configured: the gateway and the site's own tools on the
// same machine or the warehouse network (an ERP connector, a label station, a
// dashboard) meet here.
//
// It is an embedded NATS server (nats-server) with only its MQTT listener
// open. It speaks MQTT 3.1.1 with QoS 0 and 1 (2 is accepted too), retained
// messages, last-will messages and persistent sessions (clean session false).
// It does not speak MQTT 5 (a version 5 CONNECT is refused with return code
// 1) and has no shared subscriptions: a SUBSCRIBE to $share/group/filter is
// refused (SUBACK 0x80), never silently treated as a plain subscription.
//
// It authenticates. A client connects with the name and password of one of
// Options.Users and may then publish and subscribe only within that user's
// MQTT topic filters. Clients without credentials are refused unless
// Options.AllowAnonymous is set, which Start accepts only on a loopback
// address. On any other address Start also insists on TLS.
//
// It persists. Sessions of clean-session-false clients, the QoS 1 messages
// queued for them and retained messages are kept by JetStream in
// Options.StoreDir and survive a restart of the gateway. See Options.StoreDir
// for the files and how durable they are. Nothing bounds what a persistent
// session holds: the QoS 1 messages for a session that never comes back stay
// in StoreDir, so retiring a gateway means connecting once with its client
// id and clean session true.
//
// Two timing gaps come with nats-server. A retained message is stored before
// its PUBACK but reaches new subscriptions a moment later (milliseconds;
// more on a loaded box, and after a restart until the stored ones are read
// back): a subscriber that must see it retries, or waits for the next
// publish. And a QoS 1 message sent on a persistent session's connection
// that then breaks before the PUBACK is sent again (with DUP set) only when
// nats-server's ack wait runs out, 30 seconds after the first sending, even
// if the client is back sooner; MQTT 3.1.1 would resend it at the
// reconnect.
//
// A multi-site company may join the broker to its central NATS cluster as
// a leaf node (Options.Leaf): the broker then connects out to the cluster,
// keeps its own JetStream domain and store, and the cluster's streams take
// the site's messages from that store whenever the link is up. The
// gateway reads what the cluster holds through an in-process NATS
// connection (InProcessConn), which no socket reaches.
//
// What it must not do:
//   - Open anything but the MQTT listener. The NATS client port, the
//     monitoring port, clustering, leaf-node listeners and NATS WebSockets
//     stay closed: nothing but MQTT clients (and, with Options.Leaf, the
//     gateway in its own process) can reach the server.
//   - Let an MQTT client reach nats-server's own subjects ($MQTT.…, $JS.…,
//     $SYS.…), where it could read or forge other sessions' messages. Users'
//     topic filters are checked so that their permissions cannot cover them.
//   - Serve several sites or run as shared production infrastructure. A site
//     that needs that configures an external broker, and this package is then
//     not started at all; a leaf broker serves its own site and joins the
//     shared infrastructure, it does not become it.
//
// Only this package imports nats-server; the rest of floorgate sees an MQTT
// URL.
package broker
