package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// fuzzDecode checks the strict decoder on one input type: it never panics,
// refuses with an InvalidRequestException naming the body or a field, and
// what it accepts survives a re-encode.
func fuzzDecode[T any](f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		var v T
		err := decode(body, &v)
		if err != nil {
			var e *matchmaker.Error
			if !errors.As(err, &e) || e.Type != matchmaker.InvalidRequest {
				t.Fatalf("error %v is not an InvalidRequestException", err)
			}
			if !strings.HasPrefix(e.Message, "body") && !strings.HasPrefix(e.Message, "field ") {
				t.Fatalf("message %q names no field", e.Message)
			}
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var w T
		if err := decode(again, &w); err != nil {
			t.Fatalf("re-decode %s: %v", again, err)
		}
	})
}

func FuzzDecodeStartMatchmaking(f *testing.F) { fuzzDecode[matchmaker.StartMatchmakingInput](f) }
func FuzzDecodeStartMatchBackfill(f *testing.F) {
	fuzzDecode[matchmaker.StartMatchBackfillInput](f)
}
func FuzzDecodeDescribeMatchmaking(f *testing.F) { fuzzDecode[matchmaker.DescribeMatchmakingInput](f) }
func FuzzDecodeStopMatchmaking(f *testing.F)     { fuzzDecode[matchmaker.StopMatchmakingInput](f) }
func FuzzDecodeAcceptMatch(f *testing.F)         { fuzzDecode[matchmaker.AcceptMatchInput](f) }
func FuzzDecodeCreateMatchmakingConfiguration(f *testing.F) {
	fuzzDecode[matchmaker.CreateMatchmakingConfigurationInput](f)
}
func FuzzDecodeUpdateMatchmakingConfiguration(f *testing.F) {
	fuzzDecode[matchmaker.UpdateMatchmakingConfigurationInput](f)
}
func FuzzDecodeDescribeMatchmakingConfigurations(f *testing.F) {
	fuzzDecode[matchmaker.DescribeMatchmakingConfigurationsInput](f)
}
func FuzzDecodeDeleteMatchmakingConfiguration(f *testing.F) {
	fuzzDecode[matchmaker.DeleteMatchmakingConfigurationInput](f)
}
func FuzzDecodeCreateMatchmakingRuleSet(f *testing.F) {
	fuzzDecode[matchmaker.CreateMatchmakingRuleSetInput](f)
}
func FuzzDecodeDescribeMatchmakingRuleSets(f *testing.F) {
	fuzzDecode[matchmaker.DescribeMatchmakingRuleSetsInput](f)
}
func FuzzDecodeDeleteMatchmakingRuleSet(f *testing.F) {
	fuzzDecode[matchmaker.DeleteMatchmakingRuleSetInput](f)
}
func FuzzDecodeValidateMatchmakingRuleSet(f *testing.F) {
	fuzzDecode[matchmaker.ValidateMatchmakingRuleSetInput](f)
}

// FuzzCBORToJSON checks the RPC v2 CBOR translation: never a panic, errors
// are InvalidRequestExceptions, and what it produces is valid JSON.
func FuzzCBORToJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		js, err := cborToJSON(body)
		if err != nil {
			var e *matchmaker.Error
			if !errors.As(err, &e) || e.Type != matchmaker.InvalidRequest {
				t.Fatalf("error %v is not an InvalidRequestException", err)
			}
			return
		}
		if !json.Valid(js) {
			t.Fatalf("invalid JSON %q", js)
		}
	})
}

// FuzzStartMatchmakingService sends bodies through the decoder into the
// service: whatever the input, the answer is a result or a client error,
// never a panic or an internal error.
func FuzzStartMatchmakingService(f *testing.F) {
	svc, err := matchmaker.New(matchmaker.Options{Store: store.NewMemory(store.Options{}), Logger: quiet()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = svc.Close() })
	ctx := context.Background()
	if _, err := svc.CreateMatchmakingRuleSet(ctx, &matchmaker.CreateMatchmakingRuleSetInput{Name: "rs", RuleSetBody: ruleSet}); err != nil {
		f.Fatal(err)
	}
	if _, err := svc.CreateMatchmakingConfiguration(ctx, &matchmaker.CreateMatchmakingConfigurationInput{Name: "c", RuleSetName: "rs", RequestTimeoutSeconds: new(60), AcceptanceRequired: new(false)}); err != nil {
		f.Fatal(err)
	}
	start := op(svc.StartMatchmaking)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := start(ctx, body)
		if err != nil && matchmaker.AsError(err).Type == matchmaker.InternalService {
			t.Fatalf("internal error for %q: %v", body, err)
		}
	})
}

// FuzzSigV4 sends arbitrary Authorization headers: never a panic, never
// accepted.
func FuzzSigV4(f *testing.F) {
	svc, err := matchmaker.New(matchmaker.Options{Store: store.NewMemory(store.Options{}), Logger: quiet()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = svc.Close() })
	h := New(svc, map[string]string{keyID: keySecret}, quiet(), WithClock(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }))
	f.Fuzz(func(t *testing.T, auth, date string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader("{}"))
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", date)
		if h.verifySigV4(r, []byte("{}")) == nil {
			t.Fatalf("accepted %q at %q", auth, date)
		}
	})
}
