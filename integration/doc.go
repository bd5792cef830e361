// Package integration holds Matchpoint's end-to-end tests: the matchpoint
// binary built once, real redis-server and NATS servers, several matchmaker
// and relay processes on loopback, and real relay clients, including faults
// (a matchmaker or relay killed, NATS restarted, refused player sessions).
// docs/integration.md says how to run them and what each covers.
package integration
