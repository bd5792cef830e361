package api

import (
	"encoding/json"
	"io"
	"sync"
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

// answerBuffers holds the buffers answers are appended into, as
// encoding/json pools its own: an answer is written before its buffer goes
// back. A buffer an answer grew past 64 KiB (a long list) is not kept.
var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, answerSize); return &b }}

// writeAnswer writes v as JSON followed by a newline, as json.Encoder does.
// An answer that cannot be encoded writes nothing.
func writeAnswer(w io.Writer, v any) {
	a, ok := v.(jsonAppender)
	if !ok {
		_ = json.NewEncoder(w).Encode(v)
		return
	}
	buf := answerBuffers.Get().(*[]byte)
	defer answerBuffers.Put(buf)
	b, err := a.AppendJSON((*buf)[:0])
	if err != nil {
		return
	}
	b = append(b, '\n')
	_, _ = w.Write(b)
	if cap(b) <= 64<<10 {
		*buf = b[:0]
	}
}
