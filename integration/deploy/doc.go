// Package deploy checks the deployment files against the binary, since no
// container engine runs in CI: it builds cmd/matchpoint once, reads the real
// flags of each subcommand from its --help, and checks that compose.yaml's
// services run real subcommands with real flags and MATCHPOINT_* variables,
// publish the ports those settings listen on, probe health endpoints the
// binary serves and depend on services that exist; that the config file
// examples under deploy/ hold only real keys; and that the Dockerfile builds a
// static ./cmd/matchpoint and runs it as a non-root user.
package deploy
