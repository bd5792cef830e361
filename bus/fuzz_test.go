package bus_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// fuzzDecoder checks that decode never panics, fails only with the package's
// classified errors, and that whatever it accepts encodes again and decodes to
// the same encoding. Seeds live in testdata/fuzz/<FuzzName>/.
func fuzzDecoder[T any](f *testing.F, decode func([]byte) (T, error), encode func(T) ([]byte, error)) {
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decode(data)
		if err != nil {
			if !errors.Is(err, bus.ErrMalformed) && !errors.Is(err, bus.ErrUnsupportedVersion) {
				t.Fatalf("decode error %v is neither ErrMalformed nor ErrUnsupportedVersion", err)
			}
			return
		}
		first, err := encode(v)
		if err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", data, err)
		}
		w, err := decode(first)
		if err != nil {
			t.Fatalf("own encoding %s does not decode: %v", first, err)
		}
		second, err := encode(w)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("encoding not stable:\n%s\n%s (%v)", first, second, err)
		}
	})
}

func FuzzDecodePlacementRequest(f *testing.F) {
	fuzzDecoder(f, bus.DecodePlacementRequest, bus.PlacementRequest.Encode)
}

func FuzzDecodePlacementReply(f *testing.F) {
	fuzzDecoder(f, bus.DecodePlacementReply, bus.PlacementReply.Encode)
}

func FuzzDecodeHeartbeat(f *testing.F) {
	fuzzDecoder(f, bus.DecodeHeartbeat, bus.Heartbeat.Encode)
}

func FuzzDecodeSessionStarted(f *testing.F) {
	fuzzDecoder(f, bus.DecodeSessionStarted, bus.SessionStarted.Encode)
}

func FuzzDecodeSessionEnded(f *testing.F) {
	fuzzDecoder(f, bus.DecodeSessionEnded, bus.SessionEnded.Encode)
}

func FuzzDecodePlayerJoined(f *testing.F) {
	fuzzDecoder(f, bus.DecodePlayerJoined, bus.PlayerJoined.Encode)
}

func FuzzDecodePlayerLeft(f *testing.F) {
	fuzzDecoder(f, bus.DecodePlayerLeft, bus.PlayerLeft.Encode)
}

func FuzzDecodeBackfillRequest(f *testing.F) {
	fuzzDecoder(f, bus.DecodeBackfillRequest, bus.BackfillRequest.Encode)
}

func FuzzDecodeBackfillReply(f *testing.F) {
	fuzzDecoder(f, bus.DecodeBackfillReply, bus.BackfillReply.Encode)
}

func FuzzDecodeReserveRequest(f *testing.F) {
	fuzzDecoder(f, bus.DecodeReserveRequest, bus.ReserveRequest.Encode)
}

func FuzzDecodeReserveReply(f *testing.F) {
	fuzzDecoder(f, bus.DecodeReserveReply, bus.ReserveReply.Encode)
}

func FuzzDecodeScriptVersion(f *testing.F) {
	fuzzDecoder(f, bus.DecodeScriptVersion, bus.ScriptVersion.Encode)
}

func FuzzDecodeConfigurationChanged(f *testing.F) {
	fuzzDecoder(f, bus.DecodeConfigurationChanged, bus.ConfigurationChanged.Encode)
}

func FuzzDecodeSessionUpdateRequest(f *testing.F) {
	fuzzDecoder(f, bus.DecodeSessionUpdateRequest, bus.SessionUpdateRequest.Encode)
}

func FuzzDecodeSessionUpdateReply(f *testing.F) {
	fuzzDecoder(f, bus.DecodeSessionUpdateReply, bus.SessionUpdateReply.Encode)
}

// FuzzToken checks both directions of the token mapping: every name Token
// accepts parses back to itself, every token ParseToken accepts is the
// canonical Token of its name, and no token holds a subject metacharacter.
func FuzzToken(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		if tok, err := bus.Token(s); err == nil {
			if bytes.ContainsAny([]byte(tok), ".*> \t\r\n") {
				t.Fatalf("Token(%q) = %q holds a metacharacter", s, tok)
			}
			if back, err := bus.ParseToken(tok); err != nil || back != s {
				t.Fatalf("ParseToken(Token(%q)) = %q, %v", s, back, err)
			}
		} else if !errors.Is(err, bus.ErrInvalidName) {
			t.Fatalf("Token(%q) error %v is not ErrInvalidName", s, err)
		}
		if name, err := bus.ParseToken(s); err == nil {
			if tok, err := bus.Token(name); err != nil || tok != s {
				t.Fatalf("Token(ParseToken(%q)) = %q, %v", s, tok, err)
			}
		} else if !errors.Is(err, bus.ErrInvalidName) {
			t.Fatalf("ParseToken(%q) error %v is not ErrInvalidName", s, err)
		}
	})
}

// TestFuzzSeedsValid keeps the "valid" seed of every decoder valid, so the
// fuzzers start from payloads that reach the re-encoding checks.
func TestFuzzSeedsValid(t *testing.T) {
	decoders := map[string]func([]byte) error{
		"FuzzDecodePlacementRequest":     func(b []byte) error { _, err := bus.DecodePlacementRequest(b); return err },
		"FuzzDecodePlacementReply":       func(b []byte) error { _, err := bus.DecodePlacementReply(b); return err },
		"FuzzDecodeHeartbeat":            func(b []byte) error { _, err := bus.DecodeHeartbeat(b); return err },
		"FuzzDecodeSessionStarted":       func(b []byte) error { _, err := bus.DecodeSessionStarted(b); return err },
		"FuzzDecodeSessionEnded":         func(b []byte) error { _, err := bus.DecodeSessionEnded(b); return err },
		"FuzzDecodePlayerJoined":         func(b []byte) error { _, err := bus.DecodePlayerJoined(b); return err },
		"FuzzDecodePlayerLeft":           func(b []byte) error { _, err := bus.DecodePlayerLeft(b); return err },
		"FuzzDecodeBackfillRequest":      func(b []byte) error { _, err := bus.DecodeBackfillRequest(b); return err },
		"FuzzDecodeBackfillReply":        func(b []byte) error { _, err := bus.DecodeBackfillReply(b); return err },
		"FuzzDecodeScriptVersion":        func(b []byte) error { _, err := bus.DecodeScriptVersion(b); return err },
		"FuzzDecodeReserveRequest":       func(b []byte) error { _, err := bus.DecodeReserveRequest(b); return err },
		"FuzzDecodeReserveReply":         func(b []byte) error { _, err := bus.DecodeReserveReply(b); return err },
		"FuzzDecodeConfigurationChanged": func(b []byte) error { _, err := bus.DecodeConfigurationChanged(b); return err },
		"FuzzDecodeSessionUpdateRequest": func(b []byte) error { _, err := bus.DecodeSessionUpdateRequest(b); return err },
		"FuzzDecodeSessionUpdateReply":   func(b []byte) error { _, err := bus.DecodeSessionUpdateReply(b); return err },
	}
	for name, decode := range decoders {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", name, "valid"))
		if err != nil {
			t.Fatal(err)
		}
		header, value, ok := strings.Cut(strings.TrimSpace(string(raw)), "\n")
		if !ok || header != "go test fuzz v1" || !strings.HasPrefix(value, "[]byte(") {
			t.Fatalf("%s/valid: not a go test fuzz v1 []byte entry", name)
		}
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(value, "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s/valid: %v", name, err)
		}
		if err := decode([]byte(data)); err != nil {
			t.Errorf("%s/valid does not decode: %v", name, err)
		}
	}
}
