package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestInvalidUTF8Refused: a string that is not valid UTF-8 (raw bytes or an
// escaped lone surrogate) is refused with 400 naming the field on every
// face, where encoding/json would have stored U+FFFD and made different
// player ids one; nothing is written.
func TestInvalidUTF8Refused(t *testing.T) {
	s := newServer(t, nil)
	s.setup(t)
	ticket := func(id, players string) string {
		return `{"TicketId":"` + id + `","ConfigurationName":"c","Players":[` + players + `]}`
	}
	cases := []struct {
		name, body, message string
	}{
		{"raw byte in PlayerId", ticket("t1", `{"PlayerId":"p\xff"}`), "field Players[0].PlayerId: must be valid UTF-8"},
		{"second player", ticket("t2", `{"PlayerId":"a"},{"PlayerId":"b\xfe"}`), "field Players[1].PlayerId: must be valid UTF-8"},
		{"lone high surrogate", ticket("t3", `{"PlayerId":"p\ud800"}`), "field Players[0].PlayerId: must be valid UTF-8"},
		{"lone low surrogate", ticket("t4", `{"PlayerId":"p\udc00x"}`), "field Players[0].PlayerId: must be valid UTF-8"},
		{"surrogate encoded in UTF-8", ticket("t5", `{"PlayerId":"p`+"\xed\xa0\x80"+`"}`), "field Players[0].PlayerId: must be valid UTF-8"},
		{"truncated sequence", ticket("t6", `{"PlayerId":"p`+"\xe2\x82"+`"}`), "field Players[0].PlayerId: must be valid UTF-8"},
		{"Team", ticket("t7", `{"PlayerId":"p","Team":"red\xff"}`), "field Players[0].Team: must be valid UTF-8"},
		{"attribute value", ticket("t8", `{"PlayerId":"p","PlayerAttributes":{"mode":{"S":"x\xff"}}}`), "field Players[0].PlayerAttributes.mode.S: must be valid UTF-8"},
		{"attribute name", ticket("t9", `{"PlayerId":"p","PlayerAttributes":{"m\xff":{"S":"x"}}}`), "field Players[0].PlayerAttributes: a key is not valid UTF-8"},
		{"string list entry", ticket("t10", `{"PlayerId":"p","PlayerAttributes":{"maps":{"SL":["a","b\xff"]}}}`), "field Players[0].PlayerAttributes.maps.SL[1]: must be valid UTF-8"},
		{"latency region", ticket("t11", `{"PlayerId":"p","LatencyInMs":{"us\xff":10}}`), "field Players[0].LatencyInMs: a key is not valid UTF-8"},
		{"TicketId", ticket("t12\xff", `{"PlayerId":"p"}`), "field TicketId: must be valid UTF-8"},
	}
	// The bodies write raw bytes as \xff: make them the bytes.
	rawBytes := strings.NewReplacer(`\xff`, "\xff", `\xfe`, "\xfe")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := rawBytes.Replace(c.body)
			status, b := s.do(t, "POST", "/v1/tickets", body)
			var e restError
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			if status != http.StatusBadRequest || e.Error.Message != c.message || e.Error.Type != "InvalidRequestException" {
				t.Fatalf("REST: %d %+v, want 400 %q", status, e.Error, c.message)
			}
			status, _, gb := s.signed(t, "StartMatchmaking", body, time.Now(), keySecret)
			var ae awsError
			if err := json.Unmarshal(gb, &ae); err != nil {
				t.Fatalf("body %s: %v", gb, err)
			}
			if status != http.StatusBadRequest || ae.Message != c.message || ae.Type != "InvalidRequestException" {
				t.Fatalf("GameLift JSON: %d %+v, want 400 %q", status, ae, c.message)
			}
		})
	}
	// The CBOR face carries text strings as bytes too.
	cborCases := []struct {
		name    string
		body    cbor.Map
		message string
	}{
		{"PlayerId", cbor.Map{"TicketId": cbor.String("c1"), "ConfigurationName": cbor.String("c"), "Players": cbor.List{cbor.Map{"PlayerId": cbor.String("p\xff")}}}, "field Players[0].PlayerId: must be valid UTF-8"},
		{"attribute name", cbor.Map{"TicketId": cbor.String("c2"), "ConfigurationName": cbor.String("c"), "Players": cbor.List{cbor.Map{"PlayerId": cbor.String("p"), "PlayerAttributes": cbor.Map{"m\xff": cbor.Map{"S": cbor.String("x")}}}}}, "field Players[0].PlayerAttributes: a key is not valid UTF-8"},
	}
	for _, c := range cborCases {
		t.Run("CBOR "+c.name, func(t *testing.T) {
			_, err := cborToJSON(cbor.Encode(c.body))
			if err == nil || err.Error() != "InvalidRequestException: "+c.message {
				t.Fatalf("cborToJSON: %v, want %q", err, c.message)
			}
		})
	}
	for _, id := range []string{"t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11", "t12\ufffd", "c1", "c2"} {
		if _, err := s.st.GetTicket(t.Context(), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ticket %q: %v, want not found", id, err)
		}
	}
	if evs, _ := s.st.EventsAfter(t.Context(), "c", 0, 10); len(evs) != 0 {
		t.Fatalf("refused requests wrote %d events", len(evs))
	}
}

// TestValidUnicodeAccepted: what checkUTF8 lets through is what was sent:
// escaped surrogate pairs, U+FFFD itself, and non-ASCII text in ids.
func TestValidUnicodeAccepted(t *testing.T) {
	s := newServer(t, nil)
	s.setup(t)
	s.must(t, "POST", "/v1/tickets", `{"TicketId":"ok","ConfigurationName":"c","Players":[{"PlayerId":"\ud83d\ude00"},{"PlayerId":"\ufffd"},{"PlayerId":"joué \"x\" \\"}]}`, http.StatusCreated)
	tk, err := s.st.GetTicket(t.Context(), "ok")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range tk.Players {
		got = append(got, p.PlayerId)
	}
	if want := []string{"😀", "\ufffd", `joué "x" \`}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("player ids %q, want %q", got, want)
	}
}
