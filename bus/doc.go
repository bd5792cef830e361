// Package bus is the NATS layer between the matchmaker and the relays: the
// subjects (built by functions, user-chosen names escaped into single tokens),
// the versioned JSON message types, a Conn with context-first request/reply,
// serve, publish and subscribe methods, and the JetStream script store. It is
// the only package that imports the NATS client; the embedded NATS server for
// `matchpoint dev` and tests is bus/embedded (see also bustest), apart so that
// importing bus does not link nats-server.
//
// The matchmaker and the relay never import each other; they share only this
// package. docs/bus.md documents every subject and payload.
package bus
