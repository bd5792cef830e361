package script

import (
	"io"
	"log/slog"
)

// Check loads source as the script name once, with the default options and its
// load-time logging discarded, and returns why it does not load: a
// *SyntaxError (line and column) for a syntax error, or the error of its
// top-level code, ssExports or configuration. It is the check of the bus
// script store (bus.ScriptStoreOptions.Check).
func Check(name string, source []byte) error {
	_, err := NewFactory(name, source, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return err
}
