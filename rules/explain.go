package rules

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Explain writes the rule set in plain words: its teams, what each rule
// requires, and what each expansion relaxes when.
func (rs *RuleSet) Explain(w io.Writer) error {
	d := rs.def
	var b strings.Builder
	name := d.Name
	if name == "" {
		name = "(unnamed)"
	}
	fmt.Fprintf(&b, "Rule set %s, rule language %s.\n", name, d.RuleLanguageVersion)
	min := 0
	for _, t := range rs.teams {
		min += t.MinPlayers
	}
	size := "small match"
	if rs.plan.large {
		size = "large match"
	}
	a := d.Algorithm
	fmt.Fprintf(&b, "A match has %d team(s) and %d to %d players (%s), formed by the %s strategy with %s batching",
		len(rs.teams), min, rs.plan.maxPlayers, size, a.Strategy, a.BatchingPreference)
	if len(a.SortByAttributes) > 0 {
		fmt.Fprintf(&b, " on %s", strings.Join(a.SortByAttributes, ", "))
	}
	if a.BalancedAttribute != "" {
		fmt.Fprintf(&b, ", balancing teams on %s", a.BalancedAttribute)
	}
	fmt.Fprintf(&b, "; backfill priority %s; expansions follow the %s ticket's age.\n", a.BackfillPriority, a.ExpansionAgeSelection)

	b.WriteString("\nTeams:\n")
	for _, t := range rs.teams {
		fmt.Fprintf(&b, "  %s: %d to %d players\n", t.Name, t.MinPlayers, t.MaxPlayers)
	}
	if len(d.PlayerAttributes) > 0 {
		b.WriteString("\nPlayer attributes:\n")
		for _, at := range d.PlayerAttributes {
			def := "required on every ticket (no default)"
			if at.Default != nil {
				def = "default " + at.Default.String()
			}
			fmt.Fprintf(&b, "  %s: %s, %s\n", at.Name, at.Type, def)
		}
	}
	if len(d.Rules) > 0 {
		b.WriteString("\nRules (every rule must pass, except those that only a compound rule uses):\n")
		users := rs.compoundUsers()
		for i := range rs.plan.rules {
			rp := &rs.plan.rules[i]
			fmt.Fprintf(&b, "  %d. %s (%s): %s", i+1, rp.def.Name, rp.def.Type, describeRule(rp))
			if u := users[i]; len(u) > 0 {
				names := u[len(u)-1]
				if len(u) > 1 {
					names = "rules " + strings.Join(u[:len(u)-1], ", ") + " and " + names
				} else {
					names = "rule " + names
				}
				fmt.Fprintf(&b, "; counts only through compound %s, not on its own", names)
			}
			b.WriteString("\n")
		}
	}
	if len(rs.plan.expansions) > 0 {
		b.WriteString("\nExpansions:\n")
		for i, x := range rs.plan.expansions {
			var steps []string
			for _, s := range x.steps {
				v := ""
				if s.Number != nil {
					v = fmt.Sprintf("%g", *s.Number)
				} else if s.String != nil {
					v = fmt.Sprintf("%q", *s.String)
				}
				steps = append(steps, fmt.Sprintf("%s after %gs", v, s.WaitTimeSeconds))
			}
			fmt.Fprintf(&b, "  %s becomes %s\n", d.Expansions[i].Target, strings.Join(steps, ", then "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// compoundUsers lists, by rule index, the compound rules whose statements
// use the rule.
func (rs *RuleSet) compoundUsers() map[int][]string {
	users := map[int][]string{}
	for _, rp := range rs.plan.rules {
		if rp.statement == nil {
			continue
		}
		rp.statement.walk(func(name string) {
			i := rs.plan.ruleIndex[name]
			if !slices.Contains(users[i], rp.def.Name) {
				users[i] = append(users[i], rp.def.Name)
			}
		})
	}
	return users
}

func describeRule(rp *rulePlan) string {
	r := rp.def
	party := ""
	if r.PartyAggregation != "" {
		party = fmt.Sprintf(" (a party counts as the %s of its players)", r.PartyAggregation)
	}
	meas := strings.Join(r.Measurements, " and ")
	ref := ""
	if r.ReferenceValue != nil {
		switch {
		case r.ReferenceValue.Number != nil:
			ref = fmt.Sprintf("%g", *r.ReferenceValue.Number)
		case r.ReferenceValue.String != nil:
			ref = *r.ReferenceValue.String
		default:
			ref = fmt.Sprintf("%q", r.ReferenceValue.List)
		}
	}
	bounds := func(lo, hi *float64, what string) string {
		switch {
		case lo != nil && hi != nil:
			return fmt.Sprintf("%s between %g and %g", what, *lo, *hi)
		case lo != nil:
			return fmt.Sprintf("%s at least %g", what, *lo)
		case hi != nil:
			return fmt.Sprintf("%s at most %g", what, *hi)
		}
		return what
	}
	switch r.Type {
	case RuleBatchDistance:
		if rp.attrType == TypeString {
			return fmt.Sprintf("every ticket has the same %s%s", r.BatchAttribute, party)
		}
		return fmt.Sprintf("the tickets' %s values are at most %g apart%s", r.BatchAttribute, *r.MaxDistance, party)
	case RuleComparison:
		if r.ReferenceValue == nil {
			if r.Operation == "=" {
				return fmt.Sprintf("all values of %s are equal%s", meas, party)
			}
			return fmt.Sprintf("no two values of %s are equal%s", meas, party)
		}
		return fmt.Sprintf("every value of %s is %s %s%s", meas, r.Operation, ref, party)
	case RuleDistance:
		return fmt.Sprintf("every value of %s has a %s from %s%s", meas, bounds(r.MinDistance, r.MaxDistance, "distance"), ref, party)
	case RuleCollection:
		switch r.Operation {
		case OpIntersection:
			return fmt.Sprintf("the values common to every collection of %s number %s", meas, bounds(r.MinCount, r.MaxCount, "a count"))
		case OpContains:
			return fmt.Sprintf("the collections of %s that contain %s number %s", meas, ref, bounds(r.MinCount, r.MaxCount, "a count"))
		default:
			return fmt.Sprintf("each collection of %s shares with %s %s", meas, ref, bounds(r.MinCount, r.MaxCount, "a count of items"))
		}
	case RuleLatency:
		var parts []string
		if r.MaxLatency != nil {
			parts = append(parts, fmt.Sprintf("every ticket's latency is at most %gms", *r.MaxLatency))
		}
		if r.MaxDistance != nil {
			parts = append(parts, fmt.Sprintf("at most %gms above the %s latency", *r.MaxDistance, r.DistanceReference))
		}
		return "in some region, " + strings.Join(parts, " and ") + party
	case RuleAbsoluteSort:
		key := ""
		if r.MapKey != "" {
			key = fmt.Sprintf(" (the key where the anchor's value is the %s)", strings.TrimSuffix(r.MapKey, "Value"))
		}
		return fmt.Sprintf("orders candidates by %s%s, %s; never fails", r.SortAttribute, key, r.SortDirection)
	case RuleDistanceSort:
		return fmt.Sprintf("orders candidates by the distance of their %s from the anchor's, %s; never fails", r.SortAttribute, r.SortDirection)
	case RuleCompound:
		return fmt.Sprintf("%s must hold", rp.statement)
	default:
		return fmt.Sprintf("the expr expression %s is true", r.Expression)
	}
}
