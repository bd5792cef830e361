// Package bus is the NATS layer between the matchmaker and the relays: the
// subjects (built by functions, user-chosen names escaped into single tokens),
// the versioned JSON message types, a Conn with context-first request/reply,
// serve, publish and subscribe methods, and an embedded NATS server for
// `matchpoint dev` and tests (see bustest).
//
// The matchmaker and the relay never import each other; they share only this
// package. docs/bus.md documents every subject and payload.
package bus
