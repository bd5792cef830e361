package matchmaker

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func TestScriptName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ctf", "ctf"},
		{"script-ctf", "ctf"},
		{"arn:aws:gamelift:us-east-1:123456789012:script/script-ctf", "ctf"},
		{"arn:aws:gamelift:eu-west-1::script/script-ranked.eu", "ranked.eu"},
	} {
		if got, err := ScriptName("ScriptId", c.in); err != nil || got != c.want {
			t.Errorf("ScriptName(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, msg string }{
		{"", "ScriptId: is required"},
		{"script-", "ScriptId: must be 1 to 128 characters, got 0"},
		{"arn:aws:gamelift:us-east-1::fleet/fleet-1", `ScriptId: "arn:aws:gamelift:us-east-1::fleet/fleet-1" is not a script ARN`},
		{"arn:aws:gamelift:us-east-1::script/ctf", `ScriptId: "arn:aws:gamelift:us-east-1::script/ctf" is not a script ARN`},
		{"\xff", "ScriptId: must be valid UTF-8"},
		{"script-" + string(make([]byte, 129)), "ScriptId: must be 1 to 128 characters, got 129"},
	} {
		_, err := ScriptName("ScriptId", c.in)
		wantErr(t, err, InvalidRequest, c.msg)
	}
	wantErr(t, CheckNewScriptName("Name", "script-ctf"), InvalidRequest, `Name: "script-ctf" starts with "script-"`)
	if err := CheckNewScriptName("Name", "ctf"); err != nil {
		t.Fatal(err)
	}
}

// scriptEnv is an env whose script store holds the scripts "ctf" and "game".
func scriptEnv(t *testing.T, open opener) *env {
	e := newEnv(t, open, func(o *Options) {
		o.ScriptExists = func(_ context.Context, name string) (bool, error) { return name == "ctf" || name == "game", nil }
	})
	e.ruleSet("rs")
	return e
}

func scriptProperty(v string) []store.GameProperty {
	return []store.GameProperty{{Key: "mode", Value: "x"}, {Key: ScriptProperty, Value: v}}
}

func TestConfigurationScript(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := scriptEnv(t, open)
		// The name, the id and the ARN are stored as the name.
		for i, v := range []string{"ctf", "script-ctf", "arn:aws:gamelift:us-east-1:123456789012:script/script-ctf"} {
			name := string(rune('a' + i))
			out, err := e.svc.CreateMatchmakingConfiguration(e.ctx, &CreateMatchmakingConfigurationInput{Name: name, RuleSetName: "rs",
				RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(false), GameProperties: scriptProperty(v)})
			if err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			if got := out.Configuration.GameProperties; got[1].Value != "ctf" || got[0].Value != "x" {
				t.Fatalf("%s: stored %+v", v, got)
			}
			c, err := e.st.GetConfiguration(e.ctx, name)
			if err != nil || c.GameProperties[1].Value != "ctf" {
				t.Fatalf("%s: in the store %+v %v", v, c.GameProperties, err)
			}
		}
		// An empty value names no script.
		e.config("none", func(in *CreateMatchmakingConfigurationInput) { in.GameProperties = scriptProperty("") })

		_, err := e.svc.CreateMatchmakingConfiguration(e.ctx, &CreateMatchmakingConfigurationInput{Name: "missing", RuleSetName: "rs",
			RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(false), GameProperties: scriptProperty("script-nope")})
		wantErr(t, err, NotFound, `GameProperties[1].Value: script "nope" does not exist`)
		if _, err := e.st.GetConfiguration(e.ctx, "missing"); err == nil {
			t.Fatal("a configuration naming a missing script was stored")
		}
		_, err = e.svc.CreateMatchmakingConfiguration(e.ctx, &CreateMatchmakingConfigurationInput{Name: "missing", RuleSetName: "rs",
			RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(false), GameProperties: scriptProperty("arn:aws:gamelift:us-east-1::fleet/x")})
		wantErr(t, err, InvalidRequest, `GameProperties[1].Value: "arn:aws:gamelift:us-east-1::fleet/x" is not a script ARN`)

		// Updates are checked and resolved the same way.
		_, err = e.svc.UpdateMatchmakingConfiguration(e.ctx, &UpdateMatchmakingConfigurationInput{Name: "a", GameProperties: scriptProperty("nope")})
		wantErr(t, err, NotFound, `GameProperties[1].Value: script "nope" does not exist`)
		up, err := e.svc.UpdateMatchmakingConfiguration(e.ctx, &UpdateMatchmakingConfigurationInput{Name: "a", GameProperties: scriptProperty("script-game")})
		if err != nil || up.Configuration.GameProperties[1].Value != "game" {
			t.Fatalf("update: %+v %v", up, err)
		}

		users, err := e.svc.ScriptUsers(e.ctx, "ctf")
		if err != nil || !slices.Equal(users, []string{`matchmaking configuration "b"`, `matchmaking configuration "c"`}) {
			t.Fatalf("users of ctf: %q %v", users, err)
		}
	})
}

func TestConfigurationScriptWithoutStore(t *testing.T) {
	e := newEnv(t, func(*testing.T, func() time.Time) store.Store { return store.NewMemory(store.Options{}) })
	e.ruleSet("rs")
	_, err := e.svc.CreateMatchmakingConfiguration(e.ctx, &CreateMatchmakingConfigurationInput{Name: "c", RuleSetName: "rs",
		RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(false), GameProperties: scriptProperty("ctf")})
	wantErr(t, err, InvalidRequest, "GameProperties[1].Value: this matchmaker has no script store")
	// A configuration naming no script needs no store.
	e.config("plain", func(in *CreateMatchmakingConfigurationInput) { in.GameProperties = scriptProperty("") })
}

func TestScriptUsersAndArn(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		fe := newFleetEnv(t, open)
		f := fe.fleet(func(in *CreateFleetInput) { in.ScriptId = "game" })
		ctx := WithRequestRegion(fe.ctx, "ap-south-1")
		if got := fe.svc.ScriptArn(ctx, "game"); got != "arn:aws:gamelift:ap-south-1:123456789012:script/script-game" {
			t.Fatalf("ScriptArn with a request region: %s", got)
		}
		if got := fe.svc.ScriptArn(fe.ctx, "game"); got != "arn:aws:gamelift:eu-west-1:123456789012:script/script-game" {
			t.Fatalf("ScriptArn without: %s", got)
		}
		out, err := fe.svc.CreateFleet(ctx, &CreateFleetInput{Name: "g", ScriptId: "arn:aws:gamelift:us-east-1::script/script-game"})
		if err != nil || out.FleetAttributes.ScriptArn != "arn:aws:gamelift:ap-south-1:123456789012:script/script-game" {
			t.Fatalf("CreateFleet in ap-south-1: %+v %v", out, err)
		}
		users, err := fe.svc.ScriptUsers(fe.ctx, "game")
		want := []string{`fleet "` + f.FleetId + `"`, `fleet "` + out.FleetAttributes.FleetId + `"`}
		slices.Sort(users)
		slices.Sort(want)
		if err != nil || !slices.Equal(users, want) {
			t.Fatalf("users of game: %q %v, want %q", users, err, want)
		}
		if users, err := fe.svc.ScriptUsers(fe.ctx, "other"); err != nil || len(users) != 0 {
			t.Fatalf("users of other: %q %v", users, err)
		}
	})
}
