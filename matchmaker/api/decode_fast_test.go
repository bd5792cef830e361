package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// fastCase is a body and whether the fast path takes it; either way
// decode must give what encoding/json gives.
type fastCase struct {
	name string
	body string
	fast bool
}

// checkFastDecode holds one fast decoder to encoding/json on one body.
func checkFastDecode[T any](t *testing.T, fast func([]byte, *T) bool, tc fastCase) {
	t.Helper()
	var got, zero T
	if took := fast([]byte(tc.body), &got); took != tc.fast {
		t.Fatalf("fast path took it: %v, want %v", took, tc.fast)
	}
	if !tc.fast && !reflect.DeepEqual(got, zero) {
		t.Fatalf("the fast path wrote %+v before it gave up", got)
	}
	var want, viaDecode T
	wantErr := decodeStrict([]byte(tc.body), &want)
	err := decode([]byte(tc.body), &viaDecode)
	if !sameDecodeError(err, wantErr) {
		t.Fatalf("decode: %v, encoding/json: %v", err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(viaDecode, want) {
		t.Fatalf("decode gave %+v, encoding/json %+v", viaDecode, want)
	}
}

// fuzzFastDecode: whatever the fast path takes, encoding/json takes too and
// reads the same; what it gives up on it leaves unwritten.
func fuzzFastDecode[T any](f *testing.F, fast func([]byte, *T) bool, seeds []fastCase) {
	for _, tc := range seeds {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got, zero T
		if !fast(body, &got) {
			if !reflect.DeepEqual(got, zero) {
				t.Fatalf("the fast path wrote %+v before it gave up", got)
			}
			return
		}
		var want T
		if err := decodeStrict(body, &want); err != nil {
			t.Fatalf("fast path took %q, encoding/json refuses it: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(want)
			t.Fatalf("%q: fast %s, encoding/json %s", body, a, b)
		}
	})
}

// startBodies are StartMatchmaking bodies.
var startBodies = []fastCase{
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
		t.Run(tc.name, func(t *testing.T) { checkFastDecode(t, decodeStartMatchmaking, tc) })
	}
}

// playerSessionsBodies are CreatePlayerSessions bodies.
var playerSessionsBodies = []fastCase{
	{"bench", `{"GameSessionId":"arn:aws:gamelift:us-east-1::gamesession/fleet-1/gsess-1","PlayerIds":["bench-a-1-0","bench-a-1-1","bench-a-1-2","bench-a-1-3"]}`, true},
	{"player data", ` {"GameSessionId":"g","PlayerIds":["a","b"],"PlayerDataMap":{"a":"level 3","b":""}} `, true},
	{"empty", `{"GameSessionId":"g","PlayerIds":[],"PlayerDataMap":{}}`, true},
	{"JSON player data", `{"GameSessionId":"g","PlayerIds":["a"],"PlayerDataMap":{"a":"{\"k\":1}"}}`, false},
	{"duplicate player data", `{"GameSessionId":"g","PlayerIds":["a"],"PlayerDataMap":{"a":"x","a":"y"}}`, false},
	{"duplicate field", `{"GameSessionId":"g","GameSessionId":"h","PlayerIds":["a"]}`, false},
	{"number id", `{"GameSessionId":"g","PlayerIds":[1]}`, false},
	{"null ids", `{"GameSessionId":"g","PlayerIds":null}`, false},
	{"unknown field", `{"GameSessionId":"g","PlayerIds":["a"],"PlayerId":"a"}`, false},
	{"lower-case key", `{"gameSessionId":"g","PlayerIds":["a"]}`, false},
	{"non-ASCII id", `{"GameSessionId":"g","PlayerIds":["é"]}`, false},
	{"truncated", `{"GameSessionId":"g","PlayerIds":["a"`, false},
}

func TestDecodeCreatePlayerSessionsAsEncodingJSON(t *testing.T) {
	for _, tc := range playerSessionsBodies {
		t.Run(tc.name, func(t *testing.T) { checkFastDecode(t, decodeCreatePlayerSessions, tc) })
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

func FuzzDecodeStartMatchmakingFast(f *testing.F) {
	fuzzFastDecode(f, decodeStartMatchmaking, startBodies)
}

func FuzzDecodeCreatePlayerSessionsFast(f *testing.F) {
	fuzzFastDecode(f, decodeCreatePlayerSessions, playerSessionsBodies)
}

// benchDecode runs decode (the fast path) and decodeStrict (encoding/json)
// on body.
func benchDecode[T any](b *testing.B, body []byte) {
	for _, c := range []struct {
		name   string
		decode func([]byte, any) error
	}{{"fast", decode}, {"encoding-json", decodeStrict}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var in T
				if err := c.decode(body, &in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeStartMatchmaking: the body bench tickets sends.
func BenchmarkDecodeStartMatchmaking(b *testing.B) {
	benchDecode[matchmaker.StartMatchmakingInput](b, startBody(1))
}

// BenchmarkDecodeCreatePlayerSessions: the body bench gamesessions sends.
func BenchmarkDecodeCreatePlayerSessions(b *testing.B) {
	benchDecode[matchmaker.CreatePlayerSessionsInput](b, []byte(playerSessionsBodies[0].body))
}
