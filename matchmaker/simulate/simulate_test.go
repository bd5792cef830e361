package simulate

import (
	"os"
	"strings"
	"testing"

	"github.com/matchpoint-dev/matchpoint/rules"
)

func compileExample(t testing.TB, name string) *rules.RuleSet {
	t.Helper()
	src, err := os.ReadFile("../../rules/testdata/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.CompileJSON(src)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestSimulateExample1(t *testing.T) {
	rs := compileExample(t, "example-01-two-teams-evenly-matched.json")
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < 9; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		skill := "10"
		if i == 8 {
			skill = "95"
		}
		b.WriteString(`{"TicketId":"t` + string(rune('0'+i)) + `","Players":[{"PlayerId":"p` + string(rune('0'+i)) + `","PlayerAttributes":{"skill":{"N":` + skill + `}}}]}`)
	}
	b.WriteString(`,{"TicketId":"bad","Players":[{"PlayerId":"x","PlayerAttributes":{"skill":{"S":"high"}}}]}]`)
	tickets, err := DecodeTickets([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(rs, tickets, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Matches) != 1 || len(rep.Matches[0].Teams) != 2 {
		t.Fatalf("matches = %+v", rep.Matches)
	}
	if n := len(rep.Matches[0].Teams[0].Players) + len(rep.Matches[0].Teams[1].Players); n != 8 {
		t.Fatalf("want an 8-player match of the eight close players, got %d", n)
	}
	reasons := map[string]string{}
	for _, u := range rep.Unmatched {
		reasons[u.TicketId] = u.Reason
	}
	if !strings.Contains(reasons["bad"], "can never match") || !strings.Contains(reasons["bad"], `"skill" is a string value`) {
		t.Fatalf("bad ticket reason = %q", reasons["bad"])
	}
	if !strings.Contains(reasons["t8"], "kept out most often by rule FairTeamSkill") {
		t.Fatalf("t8 (skill 95) should be unmatched because of FairTeamSkill: %q", reasons["t8"])
	}
	if len(rep.Metrics) != 2 || rep.Metrics[0].RuleName != "FairTeamSkill" {
		t.Fatalf("metrics = %+v", rep.Metrics)
	}
}

func TestSimulateExpansionIsReported(t *testing.T) {
	rs := compileExample(t, "example-01-two-teams-evenly-matched.json")
	tickets, err := DecodeTickets([]byte(`[
	 {"TicketId":"a","AgeSeconds":20,"Players":[{"PlayerId":"a1","PlayerAttributes":{"skill":{"N":10}}},{"PlayerId":"a2","PlayerAttributes":{"skill":{"N":10}}},{"PlayerId":"a3","PlayerAttributes":{"skill":{"N":10}}},{"PlayerId":"a4","PlayerAttributes":{"skill":{"N":10}}}]},
	 {"TicketId":"b","AgeSeconds":20,"Players":[{"PlayerId":"b1","PlayerAttributes":{"skill":{"N":60}}},{"PlayerId":"b2","PlayerAttributes":{"skill":{"N":60}}},{"PlayerId":"b3","PlayerAttributes":{"skill":{"N":60}}},{"PlayerId":"b4","PlayerAttributes":{"skill":{"N":60}}}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(rs, tickets, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Matches) != 1 || len(rep.Matches[0].Expanded) == 0 || !strings.Contains(rep.Matches[0].Expanded[0], "rules[FairTeamSkill].maxDistance = 100") {
		t.Fatalf("want a match formed under the 15 s expansion: %+v", rep.Matches)
	}
}

func TestDecodeTicketsErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, `tickets: line 1, column 1: found an object; want a JSON array of tickets such as [{"TicketId"`},
		{`[{"TicketId":"a","Players":[{"PlayerId":"p"}],"Colour":1}]`, `tickets[0]: line 1, column 2: unknown field "Colour"`},
		{`[{"Players":[{"PlayerId":"p"}]}]`, "tickets[0].TicketId: required"},
		{`[{"TicketId":"a","Players":[]}]`, "tickets[0].Players"},
		{`[{"TicketId":"a","Players":[{"PlayerId":"p"}]},{"TicketId":"a","Players":[{"PlayerId":"q"}]}]`, `tickets[1].TicketId: "a" appears twice`},
		{`[{"TicketId":"a","AgeSeconds":-1,"Players":[{"PlayerId":"p"}]}]`, "AgeSeconds"},
		{"[\n {\"TicketId\":\"a\",\"Players\":[{\"PlayerId\":\"p\"}]},\n {\"TicketId\":\"b\",\"Players\":[{\"PlayerId\":\"q\",\"PlayerAttributes\":{\"skill\":1000}}]}\n]",
			`tickets[1]: line 3, column 76: Players.PlayerAttributes: found a JSON number, want an object with one typed field, such as {"N": 1000}`},
		{`[{"TicketId":"a","AgeSeconds":"5","Players":[{"PlayerId":"p"}]}]`, `tickets[0]: line 1, column 33: AgeSeconds: found a JSON string, want a number`},
		{"[\n {\"TicketId\":\"a\",\n  \"Players\":[{\"PlayerId\":\"p\"]}\n]", `tickets[0]: line 3, column 29: invalid character ']' after object key:value pair; want a JSON array`},
		{`[{"TicketId":"a","Players":[{"PlayerId":"p"}]}`, `line 1, column 47: the file ends too soon`},
		{`[] []`, `tickets: line 1, column 4: text after the array of tickets`},
	}
	for _, tc := range tests {
		if _, err := DecodeTickets([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("DecodeTickets(%s) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

// FuzzDecodeTickets feeds arbitrary documents to the tickets decoder and runs
// what it accepts: neither may panic.
func FuzzDecodeTickets(f *testing.F) {
	f.Add([]byte(`[{"TicketId":"a","Players":[{"PlayerId":"p","PlayerAttributes":{"skill":{"N":1000}}}]}]`))
	f.Add([]byte(`[{"TicketId":"a","AgeSeconds":12,"Players":[{"PlayerId":"p","LatencyInMs":{"us-east-1":40}}]},{"TicketId":"b","Players":[{"PlayerId":"q","PlayerAttributes":{"skill":{"S":"x"}}}]}]`))
	f.Add([]byte(`[]`))
	rs := compileExample(f, "example-01-two-teams-evenly-matched.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		tickets, err := DecodeTickets(data)
		if err != nil {
			return
		}
		if len(tickets) > 200 {
			tickets = tickets[:200]
		}
		if _, err := Run(rs, tickets, 1); err != nil {
			t.Fatalf("Run rejected tickets that DecodeTickets accepted: %v", err)
		}
	})
}
