package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// decodeStartSlow is decode's encoding/json path for a StartMatchmaking
// body, the reference of the fast one.
func decodeStartSlow(body []byte) (matchmaker.StartMatchmakingInput, error) {
	var in matchmaker.StartMatchmakingInput
	err := decodeStrict(body, &in)
	return in, err
}

// startBodies are StartMatchmaking bodies: fast is whether the fast path
// takes them; either way decode must give what encoding/json gives.
var startBodies = []struct {
	name string
	body string
	fast bool
}{
	{"bench", `{"ConfigurationName":"c","TicketId":"t-1","Players":[{"PlayerId":"p-1","PlayerAttributes":{"skill":{"N":25}},"LatencyInMs":{"us-east-1":30}}]}`, true},
	{"every attribute type", ` {"ConfigurationName" : "c", "Players": [ {"PlayerId":"a","Team":"red","PlayerAttributes":{"s":{"S":""},"n":{"N":-1.5e3},"sl":{"SL":["x","y"]},"sdm":{"SDM":{"k":0.25}},"e":{}},"LatencyInMs":{}} , {"PlayerId":"b"} ] }` + "\n", true},
	{"no players", `{"ConfigurationName":"c","Players":[]}`, true},
	{"empty attributes and lists", `{"ConfigurationName":"c","Players":[{"PlayerId":"a","PlayerAttributes":{},"LatencyInMs":{"r":-0}}],"TicketId":""}`, true},
	{"integer N", `{"ConfigurationName":"c","Players":[{"PlayerId":"a","PlayerAttributes":{"n":{"N":0}}}]}`, true},
	{"escape", `{"ConfigurationName":"c\u0041","Players":[]}`, false},
	{"non-ASCII", `{"ConfigurationName":"ç","Players":[]}`, false},
	{"invalid UTF-8", "{\"ConfigurationName\":\"\xff\",\"Players\":[]}", false},
	{"case-insensitive key", `{"configurationname":"c","Players":[]}`, false},
	{"duplicate field", `{"ConfigurationName":"c","ConfigurationName":"d","Players":[]}`, false},
	{"duplicate attribute", `{"ConfigurationName":"c","Players":[{"PlayerId":"a","PlayerAttributes":{"n":{"N":1},"n":{"S":"x"}}}]}`, false},
	{"duplicate region", `{"ConfigurationName":"c","Players":[{"PlayerId":"a","LatencyInMs":{"r":1,"r":2}}]}`, false},
	{"null", `{"ConfigurationName":null,"Players":[]}`, false},
	{"unknown field", `{"ConfigurationName":"c","Players":[],"Extra":1}`, false},
	{"unknown player field", `{"ConfigurationName":"c","Players":[{"PlayerId":"a","Nick":"x"}]}`, false},
	{"fractional latency", `{"ConfigurationName":"c","Players":[{"PlayerId":"a","LatencyInMs":{"r":1.5}}]}`, false},
	{"latency exponent", `{"ConfigurationName":"c","Players":[{"PlayerId":"a","LatencyInMs":{"r":1e2}}]}`, false},
	{"latency overflow", `{"ConfigurationName":"c","Players":[{"PlayerId":"a","LatencyInMs":{"r":99999999999999999999}}]}`, false},
	{"N overflow", `{"ConfigurationName":"c","Players":[{"PlayerId":"a","PlayerAttributes":{"n":{"N":1e400}}}]}`, false},
	{"wrong type", `{"ConfigurationName":7,"Players":[]}`, false},
	{"leading zero", `{"ConfigurationName":"c","Players":[{"PlayerId":"a","LatencyInMs":{"r":01}}]}`, false},
	{"trailing comma", `{"ConfigurationName":"c","Players":[],}`, false},
	{"trailing data", `{"ConfigurationName":"c","Players":[]} {}`, false},
	{"truncated", `{"ConfigurationName":"c","Players":[`, false},
	{"not an object", `["ConfigurationName"]`, false},
	{"empty", ``, false},
	{"control character", "{\"ConfigurationName\":\"a\tb\",\"Players\":[]}", false},
}

func TestDecodeStartMatchmakingAsEncodingJSON(t *testing.T) {
	for _, tc := range startBodies {
		t.Run(tc.name, func(t *testing.T) {
			var fast matchmaker.StartMatchmakingInput
			if got := decodeStartMatchmaking([]byte(tc.body), &fast); got != tc.fast {
				t.Fatalf("fast path took it: %v, want %v", got, tc.fast)
			}
			if !tc.fast && !reflect.DeepEqual(fast, matchmaker.StartMatchmakingInput{}) {
				t.Fatalf("the fast path wrote %+v before it gave up", fast)
			}
			want, wantErr := decodeStartSlow([]byte(tc.body))
			var got matchmaker.StartMatchmakingInput
			err := decode([]byte(tc.body), &got)
			if !sameDecodeError(err, wantErr) {
				t.Fatalf("decode: %v, encoding/json: %v", err, wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("decode gave %+v, encoding/json %+v", got, want)
			}
		})
	}
}

// sameDecodeError reports whether two decode results are the same: both
// nil, or both refusals with the same message.
func sameDecodeError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var ea, eb *matchmaker.Error
	return errors.As(a, &ea) && errors.As(b, &eb) && ea.Type == eb.Type && ea.Message == eb.Message
}

// FuzzDecodeStartMatchmakingFast: whatever the fast path takes,
// encoding/json takes too and reads the same; what it gives up on it
// leaves unwritten.
func FuzzDecodeStartMatchmakingFast(f *testing.F) {
	for _, tc := range startBodies {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast matchmaker.StartMatchmakingInput
		if !decodeStartMatchmaking(body, &fast) {
			if !reflect.DeepEqual(fast, matchmaker.StartMatchmakingInput{}) {
				t.Fatalf("the fast path wrote %+v before it gave up", fast)
			}
			return
		}
		want, err := decodeStartSlow(body)
		if err != nil {
			t.Fatalf("fast path took %q, encoding/json refuses it: %v", body, err)
		}
		if !reflect.DeepEqual(fast, want) {
			a, _ := json.Marshal(fast)
			b, _ := json.Marshal(want)
			t.Fatalf("%q: fast %s, encoding/json %s", body, a, b)
		}
	})
}

// BenchmarkDecodeStartMatchmaking: the fast path against encoding/json on
// the body bench tickets sends.
func BenchmarkDecodeStartMatchmaking(b *testing.B) {
	body := startBody(1)
	for _, c := range []struct {
		name   string
		decode func([]byte, *matchmaker.StartMatchmakingInput) error
	}{
		{"fast", func(body []byte, in *matchmaker.StartMatchmakingInput) error { return decode(body, in) }},
		{"encoding-json", func(body []byte, in *matchmaker.StartMatchmakingInput) error { return decodeStrict(body, in) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var in matchmaker.StartMatchmakingInput
				if err := c.decode(body, &in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
