package protocol

import (
	"bytes"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocExamples decodes every hex frame quoted in docs/protocol.md and checks that
// it re-encodes to the same bytes, so the document cannot drift from the codec.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	hexLine := regexp.MustCompile(`^([0-9a-f]{2} )+[0-9a-f]{2}$`)
	found := 0
	for _, line := range strings.Split(string(doc), "\n") {
		if !hexLine.MatchString(line) {
			continue
		}
		found++
		frame, err := hex.DecodeString(strings.ReplaceAll(line, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		var p Packet
		if err := DecodePacket(frame, &p); err != nil {
			t.Errorf("docs/protocol.md frame %q: %v", line, err)
			continue
		}
		if again := AppendPacket(nil, &p); !bytes.Equal(again, frame) {
			t.Errorf("docs/protocol.md frame %q re-encodes to % x", line, again)
		}
	}
	if found < 20 {
		t.Fatalf("found %d hex frames in docs/protocol.md, want every example", found)
	}
}
