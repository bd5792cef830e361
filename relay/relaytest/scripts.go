package relaytest

import (
	"archive/zip"
	"bytes"
	"testing"
)

// EchoScript is a Realtime script that answers each message sent to the
// server with op code 2 and "echo:" before its payload, to its sender.
const EchoScript = `
let session;
exports.ssExports = {
  init: function (rtSession) { session = rtSession; },
  onMessage: function (m) {
    session.sendReliableMessage(session.newTextGameMessage(2, session.getServerId(), 'echo:' + m.getPayloadAsText()), m.sender);
  },
};
`

// ZipScript returns a zip archive holding source as the file name, as
// GameLift's CreateScript takes a script in its ZipFile.
func ZipScript(tb testing.TB, name, source string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.Write([]byte(source)); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
