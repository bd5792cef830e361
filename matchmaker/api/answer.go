package api

import (
	"encoding/json"
	"io"
)

// jsonAppender is an answer that appends its own JSON, byte for byte as
// encoding/json's Marshal would write it (the hot paths' answers: see
// package wirejson).
type jsonAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// answerSize is the buffer an appended answer starts in: a ticket's answer,
// or four player sessions', fits.
const answerSize = 2048

// writeAnswer writes v as JSON followed by a newline, as json.Encoder does.
// An answer that cannot be encoded writes nothing.
func writeAnswer(w io.Writer, v any) {
	if a, ok := v.(jsonAppender); ok {
		b, err := a.AppendJSON(make([]byte, 0, answerSize))
		if err == nil {
			_, _ = w.Write(append(b, '\n'))
		}
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}
