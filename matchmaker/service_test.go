package matchmaker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

const testRuleSet = `{
  "name": "test",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [
    {"name": "skill", "type": "number", "default": 10},
    {"name": "mode", "type": "string"}
  ],
  "teams": [
    {"name": "red", "minPlayers": 1, "maxPlayers": 5},
    {"name": "blue", "minPlayers": 1, "maxPlayers": 5}
  ]
}`

// clock is a settable clock shared by a Service and its memory store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder is a Publisher that keeps what it was given.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) PublishMatchmakingEvent(_ context.Context, configuration, eventType string, _ []byte) error {
	r.mu.Lock()
	r.events = append(r.events, configuration+"/"+eventType)
	r.mu.Unlock()
	return nil
}

type env struct {
	t     *testing.T
	ctx   context.Context
	svc   *Service
	st    store.Store
	clk   *clock
	pub   *recorder
	mu    sync.Mutex
	accep []string // matches placed after acceptance or an overdue placement
}

type opener func(t *testing.T, now func() time.Time) store.Store

// eachStore runs fn against the memory store and a real Redis.
func eachStore(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Run("memory", func(t *testing.T) {
		fn(t, func(t *testing.T, now func() time.Time) store.Store {
			return store.NewMemory(store.Options{Now: now})
		})
	})
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		fn(t, func(t *testing.T, now func() time.Time) store.Store {
			c := srv.Client(t)
			prefix := "mm-test:" + strings.NewReplacer("{", "(", "}", ")", " ", "_").Replace(t.Name()) + ":"
			return store.NewRedis(c, store.Options{Prefix: prefix, Now: now})
		})
	})
}

func newEnv(t *testing.T, open opener, mutate ...func(*Options)) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := &env{t: t, ctx: context.Background(), clk: clk, pub: &recorder{}}
	e.st = open(t, clk.Now)
	opts := Options{
		Store:     e.st,
		Publisher: e.pub,
		Now:       clk.Now,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Region:    "eu-west-1",
		AccountID: "123456789012",
	}
	for _, m := range mutate {
		m(&opts)
	}
	svc, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	svc.placer = placerFunc(func(_ context.Context, _, matchID string, _ []string) {
		e.mu.Lock()
		e.accep = append(e.accep, matchID)
		e.mu.Unlock()
	})
	e.svc = svc
	return e
}

// placerFunc stands for the former in the service's tests: it records the
// matches the service asks to place instead of placing them.
type placerFunc func(ctx context.Context, configuration, matchID string, ticketIDs []string)

func (f placerFunc) placeAccepted(ctx context.Context, configuration, matchID string, ticketIDs []string) {
	f(ctx, configuration, matchID, ticketIDs)
}

func ptr[T any](v T) *T { return &v }

func (e *env) ruleSet(name string) {
	e.t.Helper()
	if _, err := e.svc.CreateMatchmakingRuleSet(e.ctx, &CreateMatchmakingRuleSetInput{Name: name, RuleSetBody: testRuleSet}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) config(name string, mutate func(*CreateMatchmakingConfigurationInput)) {
	e.t.Helper()
	in := &CreateMatchmakingConfigurationInput{Name: name, RuleSetName: "rs", RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(false)}
	if mutate != nil {
		mutate(in)
	}
	if _, err := e.svc.CreateMatchmakingConfiguration(e.ctx, in); err != nil {
		e.t.Fatal(err)
	}
}

func player(id string) store.Player {
	return store.Player{PlayerId: id, PlayerAttributes: map[string]store.AttributeValue{"mode": {S: ptr("ranked")}, "skill": {N: ptr(12.5)}}, LatencyInMs: map[string]int{"eu-west-1": 20}}
}

func (e *env) start(cfg, id string, players ...string) MatchmakingTicket {
	e.t.Helper()
	in := &StartMatchmakingInput{ConfigurationName: cfg, TicketId: id}
	for _, p := range players {
		in.Players = append(in.Players, player(p))
	}
	out, err := e.svc.StartMatchmaking(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return out.MatchmakingTicket
}

func (e *env) ticket(id string) store.Ticket {
	e.t.Helper()
	t, err := e.st.GetTicket(e.ctx, id)
	if err != nil {
		e.t.Fatalf("get ticket %s: %v", id, err)
	}
	return t
}

func (e *env) wantStatus(id string, want store.Status) store.Ticket {
	e.t.Helper()
	t := e.ticket(id)
	if t.Status != want {
		e.t.Fatalf("ticket %s is %s (%s), want %s", id, t.Status, t.StatusReason, want)
	}
	return t
}

// events returns the configuration's events after seq, decoded.
func (e *env) events(cfg string, after uint64) []Event {
	e.t.Helper()
	raw, err := e.st.EventsAfter(e.ctx, cfg, after, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]Event, len(raw))
	for i, r := range raw {
		ev, err := DecodeEvent(r.Payload)
		if err != nil {
			e.t.Fatal(err)
		}
		out[i] = ev
	}
	return out
}

func types(evs []Event) string {
	s := make([]string, len(evs))
	for i, ev := range evs {
		s[i] = ev.Detail.Type
	}
	return strings.Join(s, ",")
}

func (e *env) lastSeq(cfg string) uint64 {
	raw, err := e.st.EventsAfter(e.ctx, cfg, 0, 100000)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(raw) == 0 {
		return 0
	}
	return raw[len(raw)-1].Seq
}

// claim claims tickets for a match as the forming loop does, then calls
// matchProposed with the given teams.
func (e *env) claim(cfgName, matchID string, teams map[string]string) {
	e.t.Helper()
	cfg, err := e.st.GetConfiguration(e.ctx, cfgName)
	if err != nil {
		e.t.Fatal(err)
	}
	var tvs []store.TicketVersion
	var mts []matchedTicket
	for id, team := range teams {
		t := e.ticket(id)
		tvs = append(tvs, store.TicketVersion{ID: id, Version: t.Version})
		mts = append(mts, matchedTicket{TicketId: id, Team: team})
	}
	if err := e.st.Claim(e.ctx, cfgName, matchID, tvs, claimStatus(cfg)); err != nil {
		e.t.Fatal(err)
	}
	metrics := []RuleEvaluationMetric{{RuleName: "FairSkill", PassedCount: 2, FailedCount: 1}}
	if err := e.svc.matchProposed(e.ctx, cfg, matchID, mts, metrics); err != nil {
		e.t.Fatal(err)
	}
}

// wantErr checks that err is an *Error of the type whose message starts with
// prefix.
func wantErr(t *testing.T, err error, typ ErrorType, prefix string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want %s %q", err, err, typ, prefix)
	}
	if e.Type != typ || !strings.HasPrefix(e.Message, prefix) {
		t.Fatalf("error %s: %q, want %s starting %q", e.Type, e.Message, typ, prefix)
	}
	return e
}

func TestRuleSets(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		out, err := e.svc.CreateMatchmakingRuleSet(e.ctx, &CreateMatchmakingRuleSetInput{Name: "rs", RuleSetBody: testRuleSet})
		if err != nil {
			t.Fatal(err)
		}
		if out.RuleSet.RuleSetArn != "arn:aws:gamelift:eu-west-1:123456789012:matchmakingruleset/rs" || out.RuleSet.CreationTime == nil {
			t.Fatalf("rule set %+v", out.RuleSet)
		}
		_, err = e.svc.CreateMatchmakingRuleSet(e.ctx, &CreateMatchmakingRuleSetInput{Name: "rs", RuleSetBody: testRuleSet})
		if e := wantErr(t, err, InvalidRequest, "Name: "); !e.Conflict {
			t.Fatal("duplicate rule set is not a conflict")
		}
		bad := `{"ruleLanguageVersion":"1.0","teams":[{"name":"a","minPlayers":1,"maxPlayers":2}],"rules":[{"name":"r","type":"distance","measurements":["avg(teams[*].players.attributes[skill])"],"referenceValue":1,"maxDistance":"x"}]}`
		for _, c := range []struct{ name, body, prefix string }{
			{"Bad Name", testRuleSet, "Name: "},
			{"", testRuleSet, "Name: is required"},
			{strings.Repeat("a", 129), testRuleSet, "Name: must be at most 128"},
			{"ok", "", "RuleSetBody: is required"},
			{"ok", "{", "RuleSetBody: "},
			{"ok", bad, "RuleSetBody: rules[0]"},
		} {
			_, err := e.svc.CreateMatchmakingRuleSet(e.ctx, &CreateMatchmakingRuleSetInput{Name: c.name, RuleSetBody: c.body})
			wantErr(t, err, InvalidRequest, c.prefix)
		}
		if all, err := e.st.ListRuleSets(e.ctx); err != nil || len(all) != 1 {
			t.Fatalf("bad requests wrote rule sets: %d %v", len(all), err)
		}
		if _, err := e.svc.ValidateMatchmakingRuleSet(e.ctx, &ValidateMatchmakingRuleSetInput{RuleSetBody: bad}); err == nil {
			t.Fatal("invalid body validated")
		}
		if v, err := e.svc.ValidateMatchmakingRuleSet(e.ctx, &ValidateMatchmakingRuleSetInput{RuleSetBody: testRuleSet}); err != nil || !v.Valid {
			t.Fatalf("validate: %v %v", v, err)
		}
		for _, n := range []string{"rs2", "rs3"} {
			e.ruleSet(n)
		}
		page, err := e.svc.DescribeMatchmakingRuleSets(e.ctx, &DescribeMatchmakingRuleSetsInput{Limit: 2})
		if err != nil || len(page.RuleSets) != 2 || page.NextToken != "rs2" {
			t.Fatalf("page 1: %+v %v", page, err)
		}
		page, err = e.svc.DescribeMatchmakingRuleSets(e.ctx, &DescribeMatchmakingRuleSetsInput{Limit: 2, NextToken: page.NextToken})
		if err != nil || len(page.RuleSets) != 1 || page.RuleSets[0].RuleSetName != "rs3" || page.NextToken != "" {
			t.Fatalf("page 2: %+v %v", page, err)
		}
		_, err = e.svc.DescribeMatchmakingRuleSets(e.ctx, &DescribeMatchmakingRuleSetsInput{Names: []string{"rs", "nope"}})
		wantErr(t, err, NotFound, "Names[1]: ")
		_, err = e.svc.DescribeMatchmakingRuleSets(e.ctx, &DescribeMatchmakingRuleSetsInput{Limit: 11})
		wantErr(t, err, InvalidRequest, "Limit: ")
		e.config("c", nil)
		_, err = e.svc.DeleteMatchmakingRuleSet(e.ctx, &DeleteMatchmakingRuleSetInput{Name: "rs"})
		if e := wantErr(t, err, InvalidRequest, "Name: "); !e.Conflict {
			t.Fatal("in-use rule set is not a conflict")
		}
		if _, err := e.svc.DeleteMatchmakingRuleSet(e.ctx, &DeleteMatchmakingRuleSetInput{Name: "arn:aws:gamelift:eu-west-1:123456789012:matchmakingruleset/rs3"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.DeleteMatchmakingRuleSet(e.ctx, &DeleteMatchmakingRuleSetInput{Name: "rs3"})
		wantErr(t, err, NotFound, "Name: ")
	})
}

func TestQuotas(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open, func(o *Options) { o.MaxRuleSets, o.MaxConfigurations = 2, 1 })
		e.ruleSet("rs")
		e.ruleSet("rs2")
		_, err := e.svc.CreateMatchmakingRuleSet(e.ctx, &CreateMatchmakingRuleSetInput{Name: "rs3", RuleSetBody: testRuleSet})
		wantErr(t, err, LimitExceeded, "Name: the quota of 2 matchmaking rule sets")
		e.config("c", nil)
		_, err = e.svc.CreateMatchmakingConfiguration(e.ctx, &CreateMatchmakingConfigurationInput{Name: "d", RuleSetName: "rs", RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(false)})
		wantErr(t, err, LimitExceeded, "Name: the quota of 1 matchmaking configurations")
	})
}

func TestConfigurations(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		bad := []struct {
			prefix string
			mut    func(*CreateMatchmakingConfigurationInput)
		}{
			{"Name: must match", func(c *CreateMatchmakingConfigurationInput) { c.Name = "a b" }},
			{"Name: must be at most 128", func(c *CreateMatchmakingConfigurationInput) { c.Name = strings.Repeat("x", 129) }},
			{"RequestTimeoutSeconds: is required", func(c *CreateMatchmakingConfigurationInput) { c.RequestTimeoutSeconds = nil }},
			{"RequestTimeoutSeconds: must be 1 to 43200", func(c *CreateMatchmakingConfigurationInput) { c.RequestTimeoutSeconds = ptr(0) }},
			{"RequestTimeoutSeconds: must be 1 to 43200", func(c *CreateMatchmakingConfigurationInput) { c.RequestTimeoutSeconds = ptr(43201) }},
			{"AcceptanceRequired: is required", func(c *CreateMatchmakingConfigurationInput) { c.AcceptanceRequired = nil }},
			{"AcceptanceTimeoutSeconds: must be 1 to 600", func(c *CreateMatchmakingConfigurationInput) { c.AcceptanceTimeoutSeconds = ptr(601) }},
			{"AcceptanceTimeoutSeconds: must be 1 to 600", func(c *CreateMatchmakingConfigurationInput) { c.AcceptanceTimeoutSeconds = ptr(0) }},
			{"BackfillMode: must be", func(c *CreateMatchmakingConfigurationInput) { c.BackfillMode = ptr("SOMETIMES") }},
			{"BackfillMode: AUTOMATIC is not available", func(c *CreateMatchmakingConfigurationInput) {
				c.BackfillMode, c.FlexMatchMode = ptr("AUTOMATIC"), ptr("STANDALONE")
			}},
			{"FlexMatchMode: must be", func(c *CreateMatchmakingConfigurationInput) { c.FlexMatchMode = ptr("SOLO") }},
			{"GameSessionQueueArns: only allowed", func(c *CreateMatchmakingConfigurationInput) {
				c.FlexMatchMode, c.GameSessionQueueArns = ptr("STANDALONE"), []string{"arn:q"}
			}},
			{"AdditionalPlayerCount: must be 0 or more", func(c *CreateMatchmakingConfigurationInput) { c.AdditionalPlayerCount = ptr(-1) }},
			{"CustomEventData: must be at most 256", func(c *CreateMatchmakingConfigurationInput) { c.CustomEventData = ptr(strings.Repeat("x", 257)) }},
			{"GameProperties: at most 16", func(c *CreateMatchmakingConfigurationInput) {
				c.GameProperties = make([]store.GameProperty, 17)
			}},
			{"GameProperties[0].Key: ", func(c *CreateMatchmakingConfigurationInput) { c.GameProperties = []store.GameProperty{{}} }},
			{"GameSessionData: must be at most 4096", func(c *CreateMatchmakingConfigurationInput) { c.GameSessionData = ptr(strings.Repeat("x", 4097)) }},
			{"NotificationTarget: must be an https URL", func(c *CreateMatchmakingConfigurationInput) {
				c.NotificationTarget = ptr("arn:aws:sns:us-east-1:123456789012:topic")
			}},
			{"NotificationTarget: must be an https URL", func(c *CreateMatchmakingConfigurationInput) { c.NotificationTarget = ptr("http://example.com/") }},
			{"Description: must be 1 to 1024", func(c *CreateMatchmakingConfigurationInput) { c.Description = ptr("") }},
			{"Tags[0].Key: ", func(c *CreateMatchmakingConfigurationInput) { c.Tags = []Tag{{}} }},
		}
		for _, c := range bad {
			in := &CreateMatchmakingConfigurationInput{Name: "c", RuleSetName: "rs", RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(true)}
			c.mut(in)
			_, err := e.svc.CreateMatchmakingConfiguration(e.ctx, in)
			wantErr(t, err, InvalidRequest, c.prefix)
		}
		_, err := e.svc.CreateMatchmakingConfiguration(e.ctx, &CreateMatchmakingConfigurationInput{Name: "c", RuleSetName: "nope", RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(true)})
		wantErr(t, err, NotFound, "RuleSetName: ")
		if all, err := e.st.ListConfigurations(e.ctx); err != nil || len(all) != 0 {
			t.Fatalf("bad requests wrote %d configurations (%v)", len(all), err)
		}

		out, err := e.svc.CreateMatchmakingConfiguration(e.ctx, &CreateMatchmakingConfigurationInput{
			Name: "c", RuleSetName: "arn:aws:gamelift:eu-west-1:123456789012:matchmakingruleset/rs", RequestTimeoutSeconds: ptr(60),
			AcceptanceRequired: ptr(true), CustomEventData: ptr("hello"), NotificationTarget: ptr("https://hooks.example.com/mm"),
			GameProperties: []store.GameProperty{{Key: "level", Value: "10"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		c := out.Configuration
		if c.FlexMatchMode != ModeWithQueue || c.BackfillMode != BackfillManual || c.AcceptanceTimeoutSeconds != DefaultAcceptanceTimeout ||
			c.RuleSetName != "rs" || c.ConfigurationArn != "arn:aws:gamelift:eu-west-1:123456789012:matchmakingconfiguration/c" {
			t.Fatalf("configuration %+v", c)
		}
		_, err = e.svc.CreateMatchmakingConfiguration(e.ctx, &CreateMatchmakingConfigurationInput{Name: "c", RuleSetName: "rs", RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(true)})
		if e := wantErr(t, err, InvalidRequest, "Name: "); !e.Conflict {
			t.Fatal("duplicate configuration is not a conflict")
		}

		_, err = e.svc.UpdateMatchmakingConfiguration(e.ctx, &UpdateMatchmakingConfigurationInput{Name: "c", RequestTimeoutSeconds: ptr(0)})
		wantErr(t, err, InvalidRequest, "RequestTimeoutSeconds: ")
		_, err = e.svc.UpdateMatchmakingConfiguration(e.ctx, &UpdateMatchmakingConfigurationInput{Name: "c", RuleSetName: ptr("nope")})
		wantErr(t, err, NotFound, "RuleSetName: ")
		_, err = e.svc.UpdateMatchmakingConfiguration(e.ctx, &UpdateMatchmakingConfigurationInput{Name: "nope"})
		wantErr(t, err, NotFound, "Name: ")
		up, err := e.svc.UpdateMatchmakingConfiguration(e.ctx, &UpdateMatchmakingConfigurationInput{Name: "c", RequestTimeoutSeconds: ptr(120), FlexMatchMode: ptr("STANDALONE"), NotificationTarget: ptr("")})
		if err != nil {
			t.Fatal(err)
		}
		if u := up.Configuration; u.RequestTimeoutSeconds != 120 || u.FlexMatchMode != ModeStandalone || u.NotificationTarget != "" || u.CustomEventData != "hello" || !u.AcceptanceRequired || !u.CreationTime.Equal(c.CreationTime.Time) {
			t.Fatalf("updated %+v", u)
		}
		e.config("d", nil)
		d, err := e.svc.DescribeMatchmakingConfigurations(e.ctx, &DescribeMatchmakingConfigurationsInput{RuleSetName: "rs", Limit: 1})
		if err != nil || len(d.Configurations) != 1 || d.Configurations[0].Name != "c" || d.NextToken != "c" {
			t.Fatalf("describe: %+v %v", d, err)
		}
		// A name that does not exist is left out, as GameLift does.
		d, err = e.svc.DescribeMatchmakingConfigurations(e.ctx, &DescribeMatchmakingConfigurationsInput{Names: []string{"x", "c", "arn:aws:gamelift:us-east-1:123456789012:matchmakingconfiguration/d"}})
		if err != nil || len(d.Configurations) != 2 || d.Configurations[0].Name != "c" || d.Configurations[1].Name != "d" {
			t.Fatalf("describe with a missing name: %+v %v", d, err)
		}
		if _, err := e.svc.DeleteMatchmakingConfiguration(e.ctx, &DeleteMatchmakingConfigurationInput{Name: "d"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.DeleteMatchmakingConfiguration(e.ctx, &DeleteMatchmakingConfigurationInput{Name: "d"})
		wantErr(t, err, NotFound, "Name: ")
		_, err = e.svc.StartMatchmaking(e.ctx, &StartMatchmakingInput{ConfigurationName: "d", Players: []store.Player{player("p")}})
		wantErr(t, err, NotFound, "ConfigurationName: ")
	})
}
