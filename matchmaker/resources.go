package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// compileBody validates a rule set body; the error names RuleSetBody and
// every problem's path, such as "RuleSetBody: rules[2].maxDistance: ...".
func compileBody(body string) (*rules.RuleSet, *Error) {
	if body == "" {
		return nil, invalid("RuleSetBody", "is required")
	}
	if len(body) > MaxRuleSetBody {
		return nil, invalid("RuleSetBody", "must be at most %d characters, got %d", MaxRuleSetBody, len(body))
	}
	rs, err := rules.CompileJSON([]byte(body))
	if err != nil {
		var list rules.ErrorList
		if errors.As(err, &list) {
			parts := make([]string, len(list))
			for i, e := range list {
				parts[i] = e.Error()
			}
			return nil, &Error{Type: InvalidRequest, Message: "RuleSetBody: " + strings.Join(parts, "; "), Err: err}
		}
		return nil, &Error{Type: InvalidRequest, Message: "RuleSetBody: " + err.Error(), Err: err}
	}
	return rs, nil
}

func (s *Service) ruleSetOut(r store.RuleSet) MatchmakingRuleSet {
	return MatchmakingRuleSet{RuleSetName: r.Name, RuleSetArn: s.RuleSetArn(r.Name), RuleSetBody: r.Body, CreationTime: ts(r.CreationTime)}
}

// CreateMatchmakingRuleSet validates and stores a rule set. Rule sets are
// immutable, as in GameLift; a taken name is an InvalidRequestException
// (Conflict).
func (s *Service) CreateMatchmakingRuleSet(ctx context.Context, in *CreateMatchmakingRuleSetInput) (*CreateMatchmakingRuleSetOutput, error) {
	if err := checkName("Name", in.Name); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if _, err := compileBody(in.RuleSetBody); err != nil {
		return nil, err
	}
	all, err := s.store.ListRuleSets(ctx)
	if err != nil {
		return nil, internal(err, "list rule sets")
	}
	if len(all) >= s.opts.MaxRuleSets {
		return nil, &Error{Type: LimitExceeded, Message: fmt.Sprintf("Name: the quota of %d matchmaking rule sets is reached", s.opts.MaxRuleSets)}
	}
	r := store.RuleSet{Name: in.Name, Body: in.RuleSetBody, CreationTime: s.now().UTC()}
	if err := s.store.CreateRuleSet(ctx, r); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, conflict(err, "Name: matchmaking rule set %q already exists", in.Name)
		}
		return nil, internal(err, "create rule set %s", in.Name)
	}
	return &CreateMatchmakingRuleSetOutput{RuleSet: s.ruleSetOut(r)}, nil
}

// ValidateMatchmakingRuleSet checks a rule set body without storing it. An
// invalid body is an InvalidRequestException listing every problem.
func (s *Service) ValidateMatchmakingRuleSet(_ context.Context, in *ValidateMatchmakingRuleSetInput) (*ValidateMatchmakingRuleSetOutput, error) {
	if _, err := compileBody(in.RuleSetBody); err != nil {
		return nil, err
	}
	return &ValidateMatchmakingRuleSetOutput{Valid: true}, nil
}

// DescribeMatchmakingRuleSets returns the named rule sets (NotFoundException
// if one is missing), or all of them ordered by name, Limit (1-10, default
// 10) at a time; NextToken continues a listing.
func (s *Service) DescribeMatchmakingRuleSets(ctx context.Context, in *DescribeMatchmakingRuleSetsInput) (*DescribeMatchmakingRuleSetsOutput, error) {
	limit, err := checkLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	out := &DescribeMatchmakingRuleSetsOutput{RuleSets: []MatchmakingRuleSet{}}
	if len(in.Names) > 0 {
		if len(in.Names) > MaxDescribeLimit {
			return nil, invalid("Names", "at most %d names, got %d", MaxDescribeLimit, len(in.Names))
		}
		for i, n := range in.Names {
			name := nameFromArn(n, "matchmakingruleset")
			r, err := s.store.GetRuleSet(ctx, name)
			if errors.Is(err, store.ErrNotFound) {
				return nil, notFound(err, "Names[%d]: matchmaking rule set %q does not exist", i, name)
			}
			if err != nil {
				return nil, internal(err, "get rule set %s", name)
			}
			out.RuleSets = append(out.RuleSets, s.ruleSetOut(r))
		}
		return out, nil
	}
	all, err2 := s.store.ListRuleSets(ctx)
	if err2 != nil {
		return nil, internal(err2, "list rule sets")
	}
	page, next := paginate(len(all), func(i int) string { return all[i].Name }, in.NextToken, limit)
	for _, i := range page {
		out.RuleSets = append(out.RuleSets, s.ruleSetOut(all[i]))
	}
	out.NextToken = next
	return out, nil
}

// DeleteMatchmakingRuleSet deletes a rule set; InvalidRequestException
// (Conflict) while a configuration uses it.
func (s *Service) DeleteMatchmakingRuleSet(ctx context.Context, in *DeleteMatchmakingRuleSetInput) (*DeleteMatchmakingRuleSetOutput, error) {
	name := nameFromArn(in.Name, "matchmakingruleset")
	if err := checkName("Name", name); err != nil {
		return nil, err
	}
	err := s.store.DeleteRuleSet(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound(err, "Name: matchmaking rule set %q does not exist", name)
	case errors.Is(err, store.ErrInUse):
		return nil, conflict(err, "Name: matchmaking rule set %q is used by a matchmaking configuration", name)
	case err != nil:
		return nil, internal(err, "delete rule set %s", name)
	}
	return &DeleteMatchmakingRuleSetOutput{}, nil
}

func checkLimit(limit int) (int, *Error) {
	if limit == 0 {
		return MaxDescribeLimit, nil
	}
	if limit < 1 || limit > MaxDescribeLimit {
		return 0, invalid("Limit", "must be 1 to %d, got %d", MaxDescribeLimit, limit)
	}
	return limit, nil
}

// paginate returns the indices of the page after token (the last name of
// the previous page) among n items sorted by name, and the next token.
func paginate(n int, name func(int) string, token string, limit int) ([]int, string) {
	start := 0
	if token != "" {
		start = sort.Search(n, func(i int) bool { return name(i) > token })
	}
	end := min(start+limit, n)
	page := make([]int, 0, end-start)
	for i := start; i < end; i++ {
		page = append(page, i)
	}
	next := ""
	if end < n {
		next = name(end - 1)
	}
	return page, next
}

func (s *Service) configurationOut(c store.Configuration) MatchmakingConfiguration {
	return MatchmakingConfiguration{
		Name:                     c.Name,
		ConfigurationArn:         s.ConfigurationArn(c.Name),
		Description:              c.Description,
		GameSessionQueueArns:     c.GameSessionQueueArns,
		RequestTimeoutSeconds:    c.RequestTimeoutSeconds,
		AcceptanceTimeoutSeconds: c.AcceptanceTimeoutSeconds,
		AcceptanceRequired:       c.AcceptanceRequired,
		RuleSetName:              c.RuleSetName,
		RuleSetArn:               s.RuleSetArn(c.RuleSetName),
		NotificationTarget:       c.NotificationTarget,
		AdditionalPlayerCount:    c.AdditionalPlayerCount,
		CustomEventData:          c.CustomEventData,
		CreationTime:             ts(c.CreationTime),
		GameProperties:           c.GameProperties,
		GameSessionData:          c.GameSessionData,
		BackfillMode:             c.BackfillMode,
		FlexMatchMode:            c.FlexMatchMode,
	}
}

func derefOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// CreateMatchmakingConfiguration validates and stores a configuration.
// Defaults as in GameLift: FlexMatchMode WITH_QUEUE, BackfillMode MANUAL,
// AcceptanceTimeoutSeconds 30 (Matchpoint's choice; GameLift documents none).
// NotificationTarget is an https URL that receives every event as a signed
// POST (GameLift takes an SNS topic ARN).
func (s *Service) CreateMatchmakingConfiguration(ctx context.Context, in *CreateMatchmakingConfigurationInput) (*CreateMatchmakingConfigurationOutput, error) {
	if in.RequestTimeoutSeconds == nil {
		return nil, invalid("RequestTimeoutSeconds", "is required")
	}
	if in.AcceptanceRequired == nil {
		return nil, invalid("AcceptanceRequired", "is required")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if in.Description != nil && *in.Description == "" {
		return nil, invalid("Description", "must be 1 to %d characters, got 0", MaxDescription)
	}
	c := store.Configuration{
		Name:                     in.Name,
		Description:              derefOr(in.Description, ""),
		RuleSetName:              nameFromArn(in.RuleSetName, "matchmakingruleset"),
		RequestTimeoutSeconds:    *in.RequestTimeoutSeconds,
		AcceptanceRequired:       *in.AcceptanceRequired,
		AcceptanceTimeoutSeconds: derefOr(in.AcceptanceTimeoutSeconds, DefaultAcceptanceTimeout),
		BackfillMode:             derefOr(in.BackfillMode, BackfillManual),
		FlexMatchMode:            derefOr(in.FlexMatchMode, ModeWithQueue),
		GameSessionQueueArns:     in.GameSessionQueueArns,
		AdditionalPlayerCount:    derefOr(in.AdditionalPlayerCount, 0),
		CustomEventData:          derefOr(in.CustomEventData, ""),
		GameProperties:           in.GameProperties,
		GameSessionData:          derefOr(in.GameSessionData, ""),
		NotificationTarget:       derefOr(in.NotificationTarget, ""),
		CreationTime:             s.now().UTC(),
	}
	if err := checkConfiguration(&c); err != nil {
		return nil, err
	}
	all, err := s.store.ListConfigurations(ctx)
	if err != nil {
		return nil, internal(err, "list configurations")
	}
	if len(all) >= s.opts.MaxConfigurations {
		return nil, &Error{Type: LimitExceeded, Message: fmt.Sprintf("Name: the quota of %d matchmaking configurations is reached", s.opts.MaxConfigurations)}
	}
	if err := s.checkQueuesExist(ctx, &c); err != nil {
		return nil, err
	}
	if err := s.resolveConfigurationScript(ctx, &c); err != nil {
		return nil, err
	}
	if err := s.store.CreateConfiguration(ctx, c); err != nil {
		switch {
		case errors.Is(err, store.ErrExists):
			return nil, conflict(err, "Name: matchmaking configuration %q already exists", c.Name)
		case errors.Is(err, store.ErrNotFound):
			return nil, s.missingReference(ctx, &c, err)
		}
		return nil, internal(err, "create configuration %s", c.Name)
	}
	s.forget(c.Name)
	s.configurationChanged(ctx, c.Name, bus.ConfigurationCreated)
	return &CreateMatchmakingConfigurationOutput{Configuration: s.configurationOut(c)}, nil
}

// UpdateMatchmakingConfiguration changes the fields present in the request
// and keeps the others. An empty NotificationTarget, CustomEventData or
// GameSessionData clears it.
func (s *Service) UpdateMatchmakingConfiguration(ctx context.Context, in *UpdateMatchmakingConfigurationInput) (*UpdateMatchmakingConfigurationOutput, error) {
	name := nameFromArn(in.Name, "matchmakingconfiguration")
	if err := checkName("Name", name); err != nil {
		return nil, err
	}
	c, err := s.store.GetConfiguration(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(err, "Name: matchmaking configuration %q does not exist", name)
	}
	if err != nil {
		return nil, internal(err, "get configuration %s", name)
	}
	if in.Description != nil {
		if *in.Description == "" {
			return nil, invalid("Description", "must be 1 to %d characters, got 0", MaxDescription)
		}
		c.Description = *in.Description
	}
	if in.GameSessionQueueArns != nil {
		c.GameSessionQueueArns = in.GameSessionQueueArns
	}
	if in.RequestTimeoutSeconds != nil {
		c.RequestTimeoutSeconds = *in.RequestTimeoutSeconds
	}
	if in.AcceptanceTimeoutSeconds != nil {
		c.AcceptanceTimeoutSeconds = *in.AcceptanceTimeoutSeconds
	}
	if in.AcceptanceRequired != nil {
		c.AcceptanceRequired = *in.AcceptanceRequired
	}
	if in.RuleSetName != nil {
		c.RuleSetName = nameFromArn(*in.RuleSetName, "matchmakingruleset")
	}
	if in.NotificationTarget != nil {
		c.NotificationTarget = *in.NotificationTarget
	}
	if in.AdditionalPlayerCount != nil {
		c.AdditionalPlayerCount = *in.AdditionalPlayerCount
	}
	if in.CustomEventData != nil {
		c.CustomEventData = *in.CustomEventData
	}
	if in.GameProperties != nil {
		c.GameProperties = in.GameProperties
	}
	if in.GameSessionData != nil {
		c.GameSessionData = *in.GameSessionData
	}
	if in.BackfillMode != nil {
		c.BackfillMode = *in.BackfillMode
	}
	if in.FlexMatchMode != nil {
		c.FlexMatchMode = *in.FlexMatchMode
		if c.FlexMatchMode == ModeStandalone && in.GameSessionQueueArns == nil {
			c.GameSessionQueueArns = nil
		}
	}
	if err := checkConfiguration(&c); err != nil {
		return nil, err
	}
	if err := s.checkQueuesExist(ctx, &c); err != nil {
		return nil, err
	}
	if err := s.resolveConfigurationScript(ctx, &c); err != nil {
		return nil, err
	}
	if err := s.store.UpdateConfiguration(ctx, c); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			if _, gerr := s.store.GetConfiguration(ctx, name); errors.Is(gerr, store.ErrNotFound) {
				return nil, notFound(err, "Name: matchmaking configuration %q does not exist", name)
			}
			return nil, s.missingReference(ctx, &c, err)
		}
		return nil, internal(err, "update configuration %s", name)
	}
	s.forget(name)
	s.configurationChanged(ctx, name, bus.ConfigurationUpdated)
	return &UpdateMatchmakingConfigurationOutput{Configuration: s.configurationOut(c)}, nil
}

// DescribeMatchmakingConfigurations returns the named configurations that
// exist (a name that does not is left out, as in GameLift, which lists no
// NotFoundException for it), those using RuleSetName, or every
// configuration, ordered by name, Limit (1-10, default 10) at a time.
func (s *Service) DescribeMatchmakingConfigurations(ctx context.Context, in *DescribeMatchmakingConfigurationsInput) (*DescribeMatchmakingConfigurationsOutput, error) {
	limit, lerr := checkLimit(in.Limit)
	if lerr != nil {
		return nil, lerr
	}
	if len(in.Names) > 0 && in.RuleSetName != "" {
		return nil, invalid("RuleSetName", "cannot be combined with Names")
	}
	out := &DescribeMatchmakingConfigurationsOutput{Configurations: []MatchmakingConfiguration{}}
	if len(in.Names) > 0 {
		if len(in.Names) > MaxDescribeLimit {
			return nil, invalid("Names", "at most %d names, got %d", MaxDescribeLimit, len(in.Names))
		}
		for _, n := range in.Names {
			name := nameFromArn(n, "matchmakingconfiguration")
			c, err := s.store.GetConfiguration(ctx, name)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, internal(err, "get configuration %s", name)
			}
			out.Configurations = append(out.Configurations, s.configurationOut(c))
		}
		return out, nil
	}
	all, err := s.store.ListConfigurations(ctx)
	if err != nil {
		return nil, internal(err, "list configurations")
	}
	if in.RuleSetName != "" {
		rsName := nameFromArn(in.RuleSetName, "matchmakingruleset")
		kept := all[:0]
		for _, c := range all {
			if c.RuleSetName == rsName {
				kept = append(kept, c)
			}
		}
		all = kept
	}
	page, next := paginate(len(all), func(i int) string { return all[i].Name }, in.NextToken, limit)
	for _, i := range page {
		out.Configurations = append(out.Configurations, s.configurationOut(all[i]))
	}
	out.NextToken = next
	return out, nil
}

// DeleteMatchmakingConfiguration deletes a configuration. Its active
// tickets are left to end on their own (they time out), as in the store.
func (s *Service) DeleteMatchmakingConfiguration(ctx context.Context, in *DeleteMatchmakingConfigurationInput) (*DeleteMatchmakingConfigurationOutput, error) {
	name := nameFromArn(in.Name, "matchmakingconfiguration")
	if err := checkName("Name", name); err != nil {
		return nil, err
	}
	err := s.store.DeleteConfiguration(ctx, name)
	// Deleting a lost configuration is how an operator acknowledges it.
	s.forgetSeen(name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(err, "Name: matchmaking configuration %q does not exist", name)
		}
		return nil, internal(err, "delete configuration %s", name)
	}
	s.forget(name)
	s.configurationChanged(ctx, name, bus.ConfigurationDeleted)
	return &DeleteMatchmakingConfigurationOutput{}, nil
}
