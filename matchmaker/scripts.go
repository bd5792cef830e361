package matchmaker

import (
	"context"
	"fmt"
	"strings"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// maxScriptNameBytes is the longest script name in bytes (the bus's limit
// on the names it turns into subject tokens and keys).
const maxScriptNameBytes = 128

// ScriptID returns the GameLift ScriptId of the script of that name:
// "script-" followed by the name.
func ScriptID(name string) string { return scriptIDPrefix + name }

// ScriptName returns the name of the script v names, however GameLift names
// it: its name, its ScriptId (script-<name>) or its ARN
// (arn:aws:gamelift:<region>:<account>:script/script-<name>, any region and
// account). Names never start with "script-" (CreateScript refuses them), so
// the three never collide. A value that cannot name a script is an
// InvalidRequestException naming field.
func ScriptName(field, v string) (string, error) {
	if v == "" {
		return "", invalid(field, "is required: a script name, script id (script-<name>) or script ARN")
	}
	name := v
	if strings.HasPrefix(v, "arn:") {
		_, id, ok := strings.Cut(v, ":script/")
		if !ok || !strings.HasPrefix(id, scriptIDPrefix) {
			return "", invalid(field, "%q is not a script ARN (arn:aws:gamelift:<region>:<account>:script/script-<name>)", v)
		}
		name = id
	}
	name = strings.TrimPrefix(name, scriptIDPrefix)
	if err := checkLen(field, name, 1, MaxNameLength); err != nil {
		return "", err
	}
	if len(name) > maxScriptNameBytes {
		return "", invalid(field, "script name of %d bytes is longer than %d", len(name), maxScriptNameBytes)
	}
	return name, nil
}

// CheckNewScriptName checks the name a new script is created with: a valid
// script name that does not start with "script-", which would read as a
// ScriptId.
func CheckNewScriptName(field, name string) error {
	if strings.HasPrefix(name, scriptIDPrefix) {
		return invalid(field, "%q starts with %q, which starts script ids (script-<name>); name the script without it", name, scriptIDPrefix)
	}
	if _, err := ScriptName(field, name); err != nil {
		return err
	}
	return nil
}

type requestRegionKey struct{}

// WithRequestRegion returns ctx carrying the region a request was signed
// for; script ARNs made under it carry that region.
func WithRequestRegion(ctx context.Context, region string) context.Context {
	if region == "" {
		return ctx
	}
	return context.WithValue(ctx, requestRegionKey{}, region)
}

// ScriptArn returns the ARN of the script of that name, with the region of
// the request (WithRequestRegion), or the service's Region without one.
func (s *Service) ScriptArn(ctx context.Context, name string) string {
	region, _ := ctx.Value(requestRegionKey{}).(string)
	if region == "" {
		region = s.opts.Region
	}
	return fmt.Sprintf("arn:aws:gamelift:%s:%s:script/%s", region, s.opts.AccountID, ScriptID(name))
}

// checkScriptExists checks that the script of that name exists
// (Options.ScriptExists); field names the input that named it.
func (s *Service) checkScriptExists(ctx context.Context, field, name string) error {
	if s.opts.ScriptExists == nil {
		return invalid(field, "this matchmaker has no script store (server scripts need NATS with JetStream; docs/scripts.md)")
	}
	ok, err := s.opts.ScriptExists(ctx, name)
	if err != nil {
		return internal(err, "look up script %s", name)
	}
	if !ok {
		return notFound(nil, "%s: script %q does not exist", field, name)
	}
	return nil
}

// resolveConfigurationScript resolves the script a configuration names with
// its game property matchpoint:script (a name, id or ARN), checks that it
// exists and stores its name in place. An empty value names no script.
func (s *Service) resolveConfigurationScript(ctx context.Context, c *store.Configuration) error {
	for i := range c.GameProperties {
		p := &c.GameProperties[i]
		if p.Key != ScriptProperty || p.Value == "" {
			continue
		}
		field := fmt.Sprintf("GameProperties[%d].Value", i)
		name, err := ScriptName(field, p.Value)
		if err != nil {
			return err
		}
		if err := s.checkScriptExists(ctx, field, name); err != nil {
			return err
		}
		p.Value = name
	}
	return nil
}

// ScriptUsers returns what uses the script of that name, for DeleteScript to
// refuse: the matchmaking configurations whose matchpoint:script game
// property names it and the fleets created with it, each as
// `matchmaking configuration "NAME"` or `fleet "ID"`.
func (s *Service) ScriptUsers(ctx context.Context, name string) ([]string, error) {
	configs, err := s.store.ListConfigurations(ctx)
	if err != nil {
		return nil, internal(err, "list configurations")
	}
	var users []string
	for _, c := range configs {
		for _, p := range c.GameProperties {
			if p.Key != ScriptProperty || p.Value == "" {
				continue
			}
			if n, err := ScriptName("", p.Value); err == nil && n == name {
				users = append(users, fmt.Sprintf("matchmaking configuration %q", c.Name))
				break
			}
		}
	}
	fleets, err := s.store.ListFleets(ctx)
	if err != nil {
		return nil, internal(err, "list fleets")
	}
	for _, f := range fleets {
		if f.ScriptId == ScriptID(name) {
			users = append(users, fmt.Sprintf("fleet %q", f.FleetId))
		}
	}
	return users, nil
}
