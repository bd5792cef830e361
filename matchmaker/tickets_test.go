package matchmaker

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func TestStartMatchmaking(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", func(c *CreateMatchmakingConfigurationInput) { c.CustomEventData = ptr("ced") })
		in := &StartMatchmakingInput{ConfigurationName: "arn:aws:gamelift:eu-west-1:123456789012:matchmakingconfiguration/c", Players: []store.Player{player("p1"), player("p2")}}
		in.Players[0].Team = "red"
		out, err := e.svc.StartMatchmaking(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		tk := out.MatchmakingTicket
		if tk.Status != store.StatusQueued || len(tk.TicketId) != 36 || tk.TicketId[14] != '4' || tk.ConfigurationName != "c" ||
			tk.StartTime == nil || !tk.StartTime.Equal(e.clk.Now()) || tk.Players[0].Team != "" {
			t.Fatalf("response %+v", tk)
		}
		// Stored SEARCHING in one write, with its event as the log's first.
		st := e.wantStatus(tk.TicketId, store.StatusSearching)
		if !st.Deadline.Equal(e.clk.Now().Add(60*time.Second)) || st.Version != 1 || e.lastSeq("c") != 1 {
			t.Fatalf("deadline %v, version %d, last event %d", st.Deadline, st.Version, e.lastSeq("c"))
		}
		evs := e.events("c", 0)
		if types(evs) != EventMatchmakingSearching {
			t.Fatalf("events %s", types(evs))
		}
		ev := evs[0]
		if ev.DetailType != "GameLift Matchmaking Event" || ev.Source != "aws.gamelift" || ev.Version != "0" || ev.Account != "123456789012" ||
			ev.Region != "eu-west-1" || ev.Resources[0] != e.svc.ConfigurationArn("c") || ev.Detail.CustomEventData != "ced" ||
			ev.Detail.EstimatedWaitMillis != "NOT_AVAILABLE" || ev.Detail.Tickets[0].TicketID != tk.TicketId ||
			ev.Detail.Tickets[0].StartTime != "2026-01-02T03:04:05.000Z" || len(ev.Detail.GameSessionInfo.Players) != 2 {
			t.Fatalf("event %+v", ev)
		}
		if got := strings.Join(e.pub.events, ","); got != "c/MatchmakingSearching" {
			t.Fatalf("published %s", got)
		}

		// A given id; a duplicate id is a conflict and writes nothing.
		e.start("c", "given-1", "p3")
		seq := e.lastSeq("c")
		_, err = e.svc.StartMatchmaking(e.ctx, &StartMatchmakingInput{ConfigurationName: "c", TicketId: "given-1", Players: []store.Player{player("p9")}})
		if e := wantErr(t, err, InvalidRequest, "TicketId: "); !e.Conflict {
			t.Fatal("duplicate ticket id is not a conflict")
		}
		if e.lastSeq("c") != seq || e.ticket("given-1").Players[0].PlayerId != "p3" || len(e.pub.events) != 2 {
			t.Fatal("duplicate ticket wrote or published")
		}

		// The same player in a new ticket cancels the old one, without event.
		e.start("c", "given-2", "p3")
		old := e.wantStatus("given-1", store.StatusCancelled)
		if old.StatusReason != store.DuplicatePlayerReason {
			t.Fatalf("reason %q", old.StatusReason)
		}
		if got := types(e.events("c", seq)); got != EventMatchmakingSearching {
			t.Fatalf("events after duplicate: %s", got)
		}
	})
}

func TestStartMatchmakingBadInput(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", nil)
		s := func(v string) store.AttributeValue { return store.AttributeValue{S: &v} }
		many := func(n int, f func(i int) string) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = f(i)
			}
			return out
		}
		cases := []struct {
			name   string
			typ    ErrorType
			prefix string
			mut    func(in *StartMatchmakingInput)
		}{
			{"no configuration", InvalidRequest, "ConfigurationName: is required", func(in *StartMatchmakingInput) { in.ConfigurationName = "" }},
			{"unknown configuration", NotFound, "ConfigurationName: ", func(in *StartMatchmakingInput) { in.ConfigurationName = "nope" }},
			{"bad ticket id", InvalidRequest, "TicketId: must match", func(in *StartMatchmakingInput) { in.TicketId = "a/b" }},
			{"long ticket id", InvalidRequest, "TicketId: must be at most 128", func(in *StartMatchmakingInput) { in.TicketId = strings.Repeat("a", 129) }},
			{"no players", InvalidRequest, "Players: at least one", func(in *StartMatchmakingInput) { in.Players = nil }},
			{"11 players", InvalidRequest, "Players: at most 10", func(in *StartMatchmakingInput) {
				for i := range 10 {
					in.Players = append(in.Players, player(fmt.Sprint("x", i)))
				}
			}},
			{"empty player id", InvalidRequest, "Players[0].PlayerId: must be 1 to 1024", func(in *StartMatchmakingInput) { in.Players[0].PlayerId = "" }},
			{"long player id", InvalidRequest, "Players[0].PlayerId: must be 1 to 1024", func(in *StartMatchmakingInput) { in.Players[0].PlayerId = strings.Repeat("p", 1025) }},
			{"control in player id", InvalidRequest, "Players[0].PlayerId: must not contain control", func(in *StartMatchmakingInput) { in.Players[0].PlayerId = "a\x00b" }},
			{"duplicate player", InvalidRequest, "Players[1].PlayerId: player \"a\" is also Players[0]", func(in *StartMatchmakingInput) {
				in.Players = append(in.Players, player("a"))
			}},
			{"11 attributes", InvalidRequest, "Players[0].PlayerAttributes: at most 10", func(in *StartMatchmakingInput) {
				for i := range 9 {
					in.Players[0].PlayerAttributes[fmt.Sprint("x", i)] = s("v")
				}
			}},
			{"two values", InvalidRequest, "Players[0].PlayerAttributes[mode]: exactly one of S, N, SL and SDM", func(in *StartMatchmakingInput) {
				in.Players[0].PlayerAttributes["mode"] = store.AttributeValue{S: ptr("x"), N: ptr(1.0)}
			}},
			{"no value", InvalidRequest, "Players[0].PlayerAttributes[mode]: exactly one", func(in *StartMatchmakingInput) {
				in.Players[0].PlayerAttributes["mode"] = store.AttributeValue{}
			}},
			{"empty S", InvalidRequest, "Players[0].PlayerAttributes[mode].S: must be 1 to 100", func(in *StartMatchmakingInput) { in.Players[0].PlayerAttributes["mode"] = s("") }},
			{"long S", InvalidRequest, "Players[0].PlayerAttributes[mode].S: must be 1 to 100", func(in *StartMatchmakingInput) {
				in.Players[0].PlayerAttributes["mode"] = s(strings.Repeat("m", 101))
			}},
			{"long SL", InvalidRequest, "Players[0].PlayerAttributes[tags].SL: at most 100", func(in *StartMatchmakingInput) {
				in.Players[0].PlayerAttributes["tags"] = store.AttributeValue{SL: many(101, func(int) string { return "x" })}
			}},
			{"long SL entry", InvalidRequest, "Players[0].PlayerAttributes[tags].SL[1]: must be 1 to 100", func(in *StartMatchmakingInput) {
				in.Players[0].PlayerAttributes["tags"] = store.AttributeValue{SL: []string{"a", strings.Repeat("b", 101)}}
			}},
			{"big SDM", InvalidRequest, "Players[0].PlayerAttributes[m].SDM: at most 10", func(in *StartMatchmakingInput) {
				m := map[string]float64{}
				for i := range 11 {
					m[fmt.Sprint("k", i)] = 1
				}
				in.Players[0].PlayerAttributes["m"] = store.AttributeValue{SDM: m}
			}},
			{"latency 0", InvalidRequest, "Players[0].LatencyInMs[eu-west-1]: must be 1 or more", func(in *StartMatchmakingInput) {
				in.Players[0].LatencyInMs["eu-west-1"] = 0
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := &StartMatchmakingInput{ConfigurationName: "c", TicketId: "t1", Players: []store.Player{player("a")}}
				c.mut(in)
				_, err := e.svc.StartMatchmaking(e.ctx, in)
				wantErr(t, err, c.typ, c.prefix)
				if _, err := e.st.GetTicket(e.ctx, "t1"); err == nil {
					t.Fatal("a ticket was written")
				}
				if e.lastSeq("c") != 0 {
					t.Fatal("an event was written")
				}
			})
		}
	})
}

// TestStartMatchmakingAcceptsUnmatchableAttributes: as in FlexMatch, a
// ticket missing a declared attribute that has no default, or carrying one
// of another type than the rule set declares, is accepted and searches (the
// match former says it can never match, and it times out).
func TestStartMatchmakingAcceptsUnmatchableAttributes(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", nil)
		high := "high"
		for id, mut := range map[string]func(p *store.Player){
			"mistyped": func(p *store.Player) { p.PlayerAttributes["skill"] = store.AttributeValue{S: &high} },
			"missing":  func(p *store.Player) { delete(p.PlayerAttributes, "mode") },
		} {
			in := &StartMatchmakingInput{ConfigurationName: "c", TicketId: id, Players: []store.Player{player("p-" + id)}}
			mut(&in.Players[0])
			out, err := e.svc.StartMatchmaking(e.ctx, in)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			if out.MatchmakingTicket.TicketId != id {
				t.Fatalf("%s: ticket %+v", id, out.MatchmakingTicket)
			}
			e.wantStatus(id, store.StatusSearching)
		}
	})
}

func TestDescribeAndStop(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", nil)
		e.start("c", "t1", "p1")
		e.start("c", "t2", "p2")
		out, err := e.svc.DescribeMatchmaking(e.ctx, &DescribeMatchmakingInput{TicketIds: []string{"t2", "missing", "t1"}})
		if err != nil || len(out.TicketList) != 2 || out.TicketList[0].TicketId != "t2" || out.TicketList[0].Status != store.StatusSearching {
			t.Fatalf("describe: %+v %v", out, err)
		}
		_, err = e.svc.DescribeMatchmaking(e.ctx, &DescribeMatchmakingInput{TicketIds: strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")})
		wantErr(t, err, InvalidRequest, "TicketIds: at most 10")
		_, err = e.svc.DescribeMatchmaking(e.ctx, &DescribeMatchmakingInput{})
		wantErr(t, err, InvalidRequest, "TicketIds: at least one")
		_, err = e.svc.DescribeMatchmaking(e.ctx, &DescribeMatchmakingInput{TicketIds: []string{"ok", "b a d"}})
		wantErr(t, err, InvalidRequest, "TicketIds[1]: ")

		seq := e.lastSeq("c")
		if _, err := e.svc.StopMatchmaking(e.ctx, &StopMatchmakingInput{TicketId: "t1"}); err != nil {
			t.Fatal(err)
		}
		tk := e.wantStatus("t1", store.StatusCancelled)
		if tk.StatusReason != "Cancelled" || tk.StatusMessage != "Cancelled by request." || !tk.EndTime.Equal(e.clk.Now()) {
			t.Fatalf("cancelled %+v", tk)
		}
		evs := e.events("c", seq)
		if types(evs) != EventMatchmakingCancelled || evs[0].Detail.Reason != "Cancelled" || evs[0].Detail.Message != "Cancelled by request." {
			t.Fatalf("events %+v", evs)
		}
		if _, err := e.svc.StopMatchmaking(e.ctx, &StopMatchmakingInput{TicketId: "t1"}); err != nil {
			t.Fatalf("second stop: %v", err)
		}
		_, err = e.svc.StopMatchmaking(e.ctx, &StopMatchmakingInput{TicketId: "nope"})
		wantErr(t, err, NotFound, "TicketId: ")

		e.claim("c", "m1", map[string]string{"t2": "red"})
		e.wantStatus("t2", store.StatusPlacing)
		// p2 is in a PLACING ticket: a new ticket for p2 is refused, nothing written.
		seq = e.lastSeq("c")
		_, err = e.svc.StartMatchmaking(e.ctx, &StartMatchmakingInput{ConfigurationName: "c", TicketId: "t9", Players: []store.Player{player("p2")}})
		if e := wantErr(t, err, InvalidRequest, "Players: a player is in a ticket that is PLACING"); !e.Conflict {
			t.Fatal("player in a placement is not a conflict")
		}
		if _, err := e.st.GetTicket(e.ctx, "t9"); err == nil || e.lastSeq("c") != seq {
			t.Fatal("refused ticket wrote")
		}
		_, err = e.svc.StopMatchmaking(e.ctx, &StopMatchmakingInput{TicketId: "t2"})
		wantErr(t, err, InvalidRequest, "Matchmaking ticket is in PLACING status and cannot be canceled.")
		e.wantStatus("t2", store.StatusPlacing)
	})
}

func TestAcceptanceAccepted(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", func(c *CreateMatchmakingConfigurationInput) {
			c.AcceptanceRequired, c.AcceptanceTimeoutSeconds = ptr(true), ptr(20)
		})
		e.start("c", "t1", "p1", "p2")
		e.start("c", "t2", "p3")
		seq := e.lastSeq("c")
		_, err := e.svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: "t1", PlayerIds: []string{"p1"}, AcceptanceType: "ACCEPT"})
		wantErr(t, err, InvalidRequest, "TicketId: ticket \"t1\" is in SEARCHING status")

		e.claim("c", "m1", map[string]string{"t1": "red", "t2": "blue"})
		t1 := e.wantStatus("t1", store.StatusRequiresAcceptance)
		if !t1.Deadline.Equal(e.clk.Now().Add(20*time.Second)) || t1.Players[0].Team != "red" || t1.MatchId != "m1" {
			t.Fatalf("t1 %+v", t1)
		}
		evs := e.events("c", seq)
		if types(evs) != EventPotentialMatchCreated {
			t.Fatalf("events %s", types(evs))
		}
		d := evs[0].Detail
		if d.MatchID != "m1" || d.AcceptanceRequired == nil || !*d.AcceptanceRequired || d.AcceptanceTimeout != 20 ||
			len(d.RuleEvaluationMetrics) != 1 || len(d.Tickets) != 2 || len(d.GameSessionInfo.Players) != 3 {
			t.Fatalf("potential match %+v", d)
		}

		bad := []struct {
			in     AcceptMatchInput
			prefix string
		}{
			{AcceptMatchInput{TicketId: "t1", PlayerIds: []string{"p1"}, AcceptanceType: "MAYBE"}, "AcceptanceType: "},
			{AcceptMatchInput{TicketId: "t1", AcceptanceType: "ACCEPT"}, "PlayerIds: at least one"},
			{AcceptMatchInput{TicketId: "t1", PlayerIds: []string{"p1", "p3"}, AcceptanceType: "ACCEPT"}, "PlayerIds[1]: player \"p3\" is not on ticket \"t1\""},
			{AcceptMatchInput{PlayerIds: []string{"p1"}, AcceptanceType: "ACCEPT"}, "TicketId: is required"},
		}
		for _, b := range bad {
			_, err := e.svc.AcceptMatch(e.ctx, &b.in)
			wantErr(t, err, InvalidRequest, b.prefix)
		}
		if len(e.ticket("t1").Acceptances) != 2 {
			t.Fatal("bad AcceptMatch wrote answers")
		}
		seq = e.lastSeq("c")
		for _, in := range []AcceptMatchInput{
			{TicketId: "t1", PlayerIds: []string{"p1"}, AcceptanceType: "ACCEPT"},
			{TicketId: "t2", PlayerIds: []string{"p3"}, AcceptanceType: "ACCEPT"},
			{TicketId: "t1", PlayerIds: []string{"p2"}, AcceptanceType: "ACCEPT"},
		} {
			if _, err := e.svc.AcceptMatch(e.ctx, &in); err != nil {
				t.Fatal(err)
			}
		}
		_, err = e.svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: "t1", PlayerIds: []string{"p1"}, AcceptanceType: "REJECT"})
		wantErr(t, err, InvalidRequest, "TicketId: ticket \"t1\" is in PLACING status")
		evs = e.events("c", seq)
		if got := types(evs); got != "AcceptMatch,AcceptMatch,AcceptMatch,AcceptMatchCompleted" {
			t.Fatalf("events %s", got)
		}
		first := evs[0].Detail
		if p := first.Tickets[0].Players; p[0].Accepted == nil || !*p[0].Accepted || p[1].Accepted != nil {
			t.Fatalf("AcceptMatch players %+v", p)
		}
		if evs[3].Detail.Acceptance != "Accepted" || evs[3].Detail.MatchID != "m1" {
			t.Fatalf("completed %+v", evs[3].Detail)
		}
		e.wantStatus("t1", store.StatusPlacing)
		e.wantStatus("t2", store.StatusPlacing)
		if len(e.accep) != 1 || e.accep[0] != "m1" {
			t.Fatalf("MatchAccepted calls %v", e.accep)
		}

		seq = e.lastSeq("c")
		conn := func(players ...string) store.GameSessionConnectionInfo {
			info := store.GameSessionConnectionInfo{GameSessionArn: "arn:gs", IpAddress: "10.0.0.1", Port: 7777}
			for _, p := range players {
				info.MatchedPlayerSessions = append(info.MatchedPlayerSessions, store.MatchedPlayerSession{PlayerId: p, PlayerSessionId: "psess-" + p})
			}
			return info
		}
		if err := e.svc.placementSucceeded(e.ctx, "m1", map[string]store.GameSessionConnectionInfo{"t1": conn("p1", "p2"), "t2": conn("p3")}); err != nil {
			t.Fatal(err)
		}
		t2 := e.wantStatus("t2", store.StatusCompleted)
		if t2.GameSessionConnectionInfo == nil || t2.GameSessionConnectionInfo.Port != 7777 || t2.EndTime.IsZero() {
			t.Fatalf("t2 %+v", t2)
		}
		evs = e.events("c", seq)
		if types(evs) != EventMatchmakingSucceeded {
			t.Fatalf("events %s", types(evs))
		}
		gs := evs[0].Detail.GameSessionInfo
		if gs.GameSessionArn != "arn:gs" || gs.IPAddress != "10.0.0.1" || gs.Port != 7777 || len(gs.Players) != 3 || gs.Players[2].PlayerSessionID != "psess-p3" || gs.Players[2].Team != "blue" {
			t.Fatalf("game session %+v", gs)
		}
		if err := e.svc.placementSucceeded(e.ctx, "m1", map[string]store.GameSessionConnectionInfo{"t1": conn("p1")}); err == nil {
			t.Fatal("placement of a completed ticket succeeded")
		}
	})
}

func TestAcceptanceRejected(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", func(c *CreateMatchmakingConfigurationInput) { c.AcceptanceRequired = ptr(true) })
		e.start("c", "t1", "p1")
		e.start("c", "t2", "p2")
		e.start("c", "t3", "p3")
		e.claim("c", "m1", map[string]string{"t1": "red", "t2": "blue", "t3": "blue"})
		seq := e.lastSeq("c")
		if _, err := e.svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: "t1", PlayerIds: []string{"p1"}, AcceptanceType: "ACCEPT"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: "t2", PlayerIds: []string{"p2"}, AcceptanceType: "REJECT"}); err != nil {
			t.Fatal(err)
		}
		t2 := e.wantStatus("t2", store.StatusCancelled)
		if t2.StatusReason != "AcceptanceRejected" {
			t.Fatalf("t2 %+v", t2)
		}
		for _, id := range []string{"t1", "t3"} {
			tk := e.wantStatus(id, store.StatusSearching)
			if tk.MatchId != "" || tk.Acceptances != nil || tk.Players[0].Team != "" || !tk.Deadline.Equal(tk.StartTime.Add(60*time.Second)) {
				t.Fatalf("%s back in the pool: %+v", id, tk)
			}
		}
		evs := e.events("c", seq)
		if got := types(evs); got != "AcceptMatch,AcceptMatch,AcceptMatchCompleted,MatchmakingSearching,MatchmakingSearching" {
			t.Fatalf("events %s", got)
		}
		if evs[2].Detail.Acceptance != "Rejected" || len(evs[2].Detail.Tickets) != 3 {
			t.Fatalf("completed %+v", evs[2].Detail)
		}

		// Stopping a ticket in REQUIRES_ACCEPTANCE rejects the match for it.
		e.claim("c", "m2", map[string]string{"t1": "red", "t3": "blue"})
		seq = e.lastSeq("c")
		if _, err := e.svc.StopMatchmaking(e.ctx, &StopMatchmakingInput{TicketId: "t1"}); err != nil {
			t.Fatal(err)
		}
		e.wantStatus("t1", store.StatusCancelled)
		e.wantStatus("t3", store.StatusSearching)
		if got := types(e.events("c", seq)); got != "MatchmakingCancelled,AcceptMatchCompleted,MatchmakingSearching" {
			t.Fatalf("events %s", got)
		}
	})
}

func TestSweep(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", func(c *CreateMatchmakingConfigurationInput) {
			c.AcceptanceRequired, c.AcceptanceTimeoutSeconds, c.RequestTimeoutSeconds = ptr(true), ptr(10), ptr(30)
		})
		e.start("c", "old", "p0")
		e.clk.Advance(20 * time.Second)
		e.start("c", "t1", "p1")
		e.start("c", "t2", "p2")
		e.claim("c", "m1", map[string]string{"t1": "red", "t2": "blue"})
		if _, err := e.svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: "t1", PlayerIds: []string{"p1"}, AcceptanceType: "ACCEPT"}); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.sweep(e.ctx, "c", e.clk.Now()); err != nil || n != 0 {
			t.Fatalf("early sweep: %d %v", n, err)
		}
		e.clk.Advance(11 * time.Second)
		seq := e.lastSeq("c")
		n, err := e.svc.sweep(e.ctx, "c", e.clk.Now())
		if err != nil || n != 3 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		old := e.wantStatus("old", store.StatusTimedOut)
		if old.StatusReason != "TimedOut" || old.StatusMessage != "Removed from matchmaking due to timing out." {
			t.Fatalf("old %+v", old)
		}
		e.wantStatus("t1", store.StatusSearching)
		if tk := e.wantStatus("t2", store.StatusCancelled); tk.StatusReason != "AcceptanceTimedOut" {
			t.Fatalf("t2 %+v", tk)
		}
		evs := e.events("c", seq)
		if got := types(evs); got != "MatchmakingTimedOut,AcceptMatchCompleted,MatchmakingSearching" {
			t.Fatalf("events %s", got)
		}
		if evs[0].Detail.Reason != "TimedOut" || evs[0].Detail.Message != "Removed from matchmaking due to timing out." || evs[1].Detail.Acceptance != "TimedOut" {
			t.Fatalf("details %+v / %+v", evs[0].Detail, evs[1].Detail)
		}
		if n, err := e.svc.sweep(e.ctx, "c", e.clk.Now()); err != nil || n != 0 {
			t.Fatalf("second sweep: %d %v", n, err)
		}
	})
}

func TestPlacingTimeoutAndFailure(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open, func(o *Options) { o.PlacingTimeout = time.Minute })
		e.ruleSet("rs")
		e.config("c", nil)
		e.start("c", "t1", "p1")
		e.start("c", "t2", "p2")
		e.start("c", "t3", "p3")
		e.claim("c", "m1", map[string]string{"t1": "red", "t2": "blue"})
		e.claim("c", "m2", map[string]string{"t3": "red"})
		seq := e.lastSeq("c")
		if err := e.svc.placementFailed(e.ctx, "m1", []string{"t1", "t2"}, "no relay in eu-west-1"); err != nil {
			t.Fatal(err)
		}
		tk := e.wantStatus("t1", store.StatusFailed)
		if tk.StatusReason != "UNEXPECTED_ERROR" || tk.StatusMessage != "An unexpected error was encountered during match placing." {
			t.Fatalf("t1 %+v", tk)
		}
		evs := e.events("c", seq)
		if types(evs) != EventMatchmakingFailed || len(evs[0].Detail.Tickets) != 2 || evs[0].Detail.Reason != "UNEXPECTED_ERROR" || evs[0].Detail.MatchID != "m1" ||
			evs[0].Detail.Message != "An unexpected error was encountered during match placing." || evs[0].Detail.PlacementError != "no relay in eu-west-1" {
			t.Fatalf("events %+v", evs)
		}
		// Past its deadline, the match is placed again once, with a new
		// deadline; then it fails.
		e.clk.Advance(61 * time.Second)
		if n, err := e.svc.sweep(e.ctx, "c", e.clk.Now()); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if tk := e.wantStatus("t3", store.StatusPlacing); tk.PlacementRetries != 1 || !tk.Deadline.Equal(e.clk.Now().Add(time.Minute)) {
			t.Fatalf("t3 after the first sweep: %d retries, deadline %v", tk.PlacementRetries, tk.Deadline)
		}
		if !slices.Equal(e.accep, []string{"m2"}) {
			t.Fatalf("MatchAccepted calls %v, want m2 placed again", e.accep)
		}
		e.clk.Advance(61 * time.Second)
		if n, err := e.svc.sweep(e.ctx, "c", e.clk.Now()); err != nil || n != 1 {
			t.Fatalf("second sweep: %d %v", n, err)
		}
		if tk := e.wantStatus("t3", store.StatusFailed); tk.StatusMessage != "An unexpected error was encountered during match placing." {
			t.Fatalf("t3 %+v", tk)
		}
	})
}

func TestStandalone(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("solo", func(c *CreateMatchmakingConfigurationInput) { c.FlexMatchMode = ptr("STANDALONE") })
		e.config("solo-acc", func(c *CreateMatchmakingConfigurationInput) {
			c.FlexMatchMode, c.AcceptanceRequired = ptr("STANDALONE"), ptr(true)
		})
		e.start("solo", "t1", "p1")
		e.start("solo", "t2", "p2")
		e.claim("solo", "m1", map[string]string{"t1": "red", "t2": "blue"})
		tk := e.wantStatus("t1", store.StatusCompleted)
		if tk.Players[0].Team != "red" || tk.MatchId != "m1" {
			t.Fatalf("t1 %+v", tk)
		}
		if got := types(e.events("solo", 0)); got != "MatchmakingSearching,MatchmakingSearching,PotentialMatchCreated,MatchmakingSucceeded" {
			t.Fatalf("events %s", got)
		}
		e.start("solo-acc", "a1", "q1")
		e.claim("solo-acc", "m2", map[string]string{"a1": "red"})
		if _, err := e.svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: "a1", PlayerIds: []string{"q1"}, AcceptanceType: "ACCEPT"}); err != nil {
			t.Fatal(err)
		}
		e.wantStatus("a1", store.StatusCompleted)
		if got := types(e.events("solo-acc", 2)); got != "AcceptMatch,AcceptMatchCompleted,MatchmakingSucceeded" {
			t.Fatalf("events %s", got)
		}
	})
}

// TestMatchProposedWithClaimedCopies: the forming loop hands matchProposed
// its copies of the claimed tickets; with a stale one (its version is not the
// stored one) the one-step hand-over is refused and the tickets move one by
// one, reading the stale one again: the tickets end COMPLETED with their
// teams and the match's events are appended once.
func TestMatchProposedWithClaimedCopies(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("solo", func(c *CreateMatchmakingConfigurationInput) { c.FlexMatchMode = ptr("STANDALONE") })
		e.start("solo", "t1", "p1")
		e.start("solo", "t2", "p2")
		cfg, err := e.st.GetConfiguration(e.ctx, "solo")
		if err != nil {
			t.Fatal(err)
		}
		t1, t2 := e.ticket("t1"), e.ticket("t2")
		claims := []store.TicketVersion{{ID: "t1", Version: t1.Version}, {ID: "t2", Version: t2.Version}}
		if err := e.st.Claim(e.ctx, "solo", "m1", claims, claimStatus(cfg)); err != nil {
			t.Fatal(err)
		}
		fresh, stale := t1, t2
		fresh.Status, fresh.MatchId, fresh.Version = claimStatus(cfg), "m1", t1.Version+1
		stale.Status, stale.MatchId = claimStatus(cfg), "m1" // the version before the claim
		mts := []matchedTicket{{TicketId: "t1", Team: "red", Claimed: &fresh}, {TicketId: "t2", Team: "blue", Claimed: &stale}}
		if err := e.svc.matchProposed(e.ctx, cfg, "m1", mts, nil); err != nil {
			t.Fatal(err)
		}
		for id, team := range map[string]string{"t1": "red", "t2": "blue"} {
			if tk := e.wantStatus(id, store.StatusCompleted); tk.Players[0].Team != team || tk.MatchId != "m1" || tk.Version != 3 {
				t.Fatalf("%s: %+v, want COMPLETED in m1 on team %s at version 3", id, tk, team)
			}
		}
		if got := types(e.events("solo", 0)); got != "MatchmakingSearching,MatchmakingSearching,PotentialMatchCreated,MatchmakingSucceeded" {
			t.Fatalf("events %s", got)
		}
	})
}

// TestHandOverAll: the matches of one pass go in one store step. When a
// ticket of one of them changed since the pass read it, nothing is written
// (no ticket moves, no event), so that the caller can hand the others over
// one by one; otherwise every match's tickets move with their events in
// match order.
func TestHandOverAll(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("solo", func(c *CreateMatchmakingConfigurationInput) { c.FlexMatchMode = ptr("STANDALONE") })
		for i := 1; i <= 6; i++ {
			e.start("solo", fmt.Sprintf("t%d", i), fmt.Sprintf("p%d", i))
		}
		cfg, err := e.st.GetConfiguration(e.ctx, "solo")
		if err != nil {
			t.Fatal(err)
		}
		read := map[string]store.Ticket{}
		for i := 1; i <= 6; i++ {
			id := fmt.Sprintf("t%d", i)
			read[id] = e.ticket(id)
		}
		off := func(match string, ids ...string) handOff {
			h := handOff{matchID: match}
			for _, id := range ids {
				cl := read[id]
				cl.Status, cl.MatchId = claimStatus(cfg), match
				h.tickets = append(h.tickets, matchedTicket{TicketId: id, Team: "red", Claimed: &cl})
			}
			return h
		}
		seq := e.lastSeq("solo")
		changed := e.ticket("t4")
		changed.Status = store.StatusCancelled
		if _, err := e.st.UpdateTicket(e.ctx, changed); err != nil {
			t.Fatal(err)
		}
		done, err := e.svc.handOverAll(e.ctx, cfg, []handOff{off("m1", "t1", "t2"), off("m2", "t3", "t4"), off("m3", "t5", "t6")})
		if err != nil || done {
			t.Fatalf("handOverAll with t4 changed: %v, %v; want false, nil", done, err)
		}
		for _, id := range []string{"t1", "t2", "t3", "t5", "t6"} {
			if tk := e.wantStatus(id, store.StatusSearching); tk.Version != read[id].Version {
				t.Fatalf("%s at version %d after a refused step, want %d", id, tk.Version, read[id].Version)
			}
		}
		if got := e.lastSeq("solo"); got != seq {
			t.Fatalf("a refused step appended events %d..%d", seq+1, got)
		}
		done, err = e.svc.handOverAll(e.ctx, cfg, []handOff{off("m1", "t1", "t2"), off("m3", "t5", "t6")})
		if err != nil || !done {
			t.Fatalf("handOverAll: %v, %v; want true, nil", done, err)
		}
		for id, match := range map[string]string{"t1": "m1", "t2": "m1", "t5": "m3", "t6": "m3"} {
			if tk := e.wantStatus(id, store.StatusCompleted); tk.MatchId != match || tk.Version != read[id].Version+1 {
				t.Fatalf("%s: %+v, want COMPLETED in %s at version %d", id, tk, match, read[id].Version+1)
			}
		}
		evs := e.events("solo", seq)
		var got []string
		for _, ev := range evs {
			got = append(got, ev.Detail.Type+" "+ev.Detail.MatchID)
		}
		want := "PotentialMatchCreated m1,MatchmakingSucceeded m1,PotentialMatchCreated m3,MatchmakingSucceeded m3"
		if strings.Join(got, ",") != want {
			t.Fatalf("events %s, want %s", strings.Join(got, ","), want)
		}
	})
}

func TestBackfill(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", nil)
		e.config("solo", func(c *CreateMatchmakingConfigurationInput) { c.FlexMatchMode = ptr("STANDALONE") })
		withTeam := func(id, team string) store.Player {
			p := player(id)
			p.Team = team
			return p
		}
		bad := []struct {
			in     StartMatchBackfillInput
			prefix string
		}{
			{StartMatchBackfillInput{ConfigurationName: "c", Players: []store.Player{withTeam("a", "red")}}, "GameSessionArn: is required"},
			{StartMatchBackfillInput{ConfigurationName: "c", GameSessionArn: "gs1", Players: []store.Player{player("a")}}, "Players[0].Team: is required"},
			{StartMatchBackfillInput{ConfigurationName: "c", GameSessionArn: "gs1", Players: []store.Player{withTeam("a", "green")}}, "Players[0].Team: team \"green\" is not in the rule set"},
		}
		for _, b := range bad {
			_, err := e.svc.StartMatchBackfill(e.ctx, &b.in)
			wantErr(t, err, InvalidRequest, b.prefix)
		}
		if e.lastSeq("c") != 0 {
			t.Fatal("bad backfill wrote an event")
		}
		out, err := e.svc.StartMatchBackfill(e.ctx, &StartMatchBackfillInput{ConfigurationName: "c", TicketId: "b1", GameSessionArn: "gs1", Players: []store.Player{withTeam("a", "red"), withTeam("b", "blue")}})
		if err != nil {
			t.Fatal(err)
		}
		if out.MatchmakingTicket.Status != store.StatusQueued || out.MatchmakingTicket.Players[1].Team != "blue" {
			t.Fatalf("backfill %+v", out.MatchmakingTicket)
		}
		if tk := e.wantStatus("b1", store.StatusSearching); !tk.Backfill || tk.BackfillGameSessionArn != "gs1" {
			t.Fatalf("b1 %+v", tk)
		}
		seq := e.lastSeq("c")
		if _, err := e.svc.StartMatchBackfill(e.ctx, &StartMatchBackfillInput{ConfigurationName: "c", TicketId: "b2", GameSessionArn: "gs1", Players: []store.Player{withTeam("c", "red")}}); err != nil {
			t.Fatal(err)
		}
		if tk := e.wantStatus("b1", store.StatusCancelled); tk.StatusMessage != "Replaced by a new backfill request." {
			t.Fatalf("b1 %+v", tk)
		}
		e.wantStatus("b2", store.StatusSearching)
		if got := types(e.events("c", seq)); got != "MatchmakingCancelled,MatchmakingSearching" {
			t.Fatalf("events %s", got)
		}
		// A backfill with the same players: the store cancels the old one as
		// a duplicate, and the replacement is reported.
		seq = e.lastSeq("c")
		if _, err := e.svc.StartMatchBackfill(e.ctx, &StartMatchBackfillInput{ConfigurationName: "c", TicketId: "b3", GameSessionArn: "gs1", Players: []store.Player{withTeam("c", "red")}}); err != nil {
			t.Fatal(err)
		}
		e.wantStatus("b2", store.StatusCancelled)
		evs := e.events("c", seq)
		if types(evs) != "MatchmakingCancelled,MatchmakingSearching" || evs[0].Detail.Tickets[0].TicketID != "b2" {
			t.Fatalf("events %s", types(evs))
		}
		// A refused backfill (duplicate ticket id) replaces nothing.
		_, err = e.svc.StartMatchBackfill(e.ctx, &StartMatchBackfillInput{ConfigurationName: "c", TicketId: "b3", GameSessionArn: "gs1", Players: []store.Player{withTeam("d", "red")}})
		wantErr(t, err, InvalidRequest, "TicketId: ")
		e.wantStatus("b3", store.StatusSearching)
		if _, err := e.svc.StartMatchBackfill(e.ctx, &StartMatchBackfillInput{ConfigurationName: "solo", Players: []store.Player{withTeam("z", "red")}}); err != nil {
			t.Fatalf("standalone backfill without a game session: %v", err)
		}
	})
}

// TestConcurrentAcceptance answers for every player at once: the match is
// resolved once, with one AcceptMatchCompleted.
func TestConcurrentAcceptance(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", func(c *CreateMatchmakingConfigurationInput) { c.AcceptanceRequired = ptr(true) })
		teams := map[string]string{}
		for i := range 8 {
			id := fmt.Sprint("t", i)
			e.start("c", id, fmt.Sprint("p", i))
			teams[id] = []string{"red", "blue"}[i%2]
		}
		e.claim("c", "m1", teams)
		seq := e.lastSeq("c")
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, err := e.svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: fmt.Sprint("t", i), PlayerIds: []string{fmt.Sprint("p", i)}, AcceptanceType: "ACCEPT"})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		completed := 0
		for _, ev := range e.events("c", seq) {
			if ev.Detail.Type == EventAcceptMatchCompleted {
				completed++
			}
		}
		if completed != 1 {
			t.Fatalf("%d AcceptMatchCompleted events, want 1", completed)
		}
		for id := range teams {
			e.wantStatus(id, store.StatusPlacing)
		}
	})
}

// TestAcceptBeforeProposed refuses answers for a claimed match that
// matchProposed has not set up yet, and writes nothing.
func TestAcceptBeforeProposed(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", func(c *CreateMatchmakingConfigurationInput) { c.AcceptanceRequired = ptr(true) })
		e.start("c", "t1", "p1")
		tk := e.ticket("t1")
		if err := e.st.Claim(e.ctx, "c", "m1", []store.TicketVersion{{ID: "t1", Version: tk.Version}}, store.StatusRequiresAcceptance); err != nil {
			t.Fatal(err)
		}
		seq := e.lastSeq("c")
		_, err := e.svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: "t1", PlayerIds: []string{"p1"}, AcceptanceType: "ACCEPT"})
		wantErr(t, err, InvalidRequest, "TicketId: ticket \"t1\": the proposed match is not ready")
		if tk := e.ticket("t1"); len(tk.Acceptances) != 0 || e.lastSeq("c") != seq {
			t.Fatal("a refused AcceptMatch wrote")
		}
	})
}
