//go:build !unix

package main

import "log/slog"

// raiseOpenFilesLimit does nothing where RLIMIT_NOFILE does not exist.
func raiseOpenFilesLimit(*slog.Logger) {}
