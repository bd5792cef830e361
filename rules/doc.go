// Package rules parses, validates and compiles matchmaking rule sets written in
// the Amazon GameLift FlexMatch rule language (ruleLanguageVersion 1.0), plus
// Matchpoint's expr extension, and evaluates candidate matches against them.
// It is pure computation: no I/O, no clocks, no globals.
//
// The pipeline follows expr's own split, parser -> checker -> compiler -> VM:
//
//   - Parse reads a rule set document (strict JSON, plus the `//` comments and
//     trailing commas found in FlexMatch's published examples) into a
//     Definition and validates all of it at once. Errors form an ErrorList of
//     FieldError values, each with the JSON path (`rules[2].maxDistance`),
//     what is wrong, and the line and column.
//   - Compile turns a Definition into an immutable RuleSet. Every rule and
//     every property expression (`avg(teams[*].players.attributes[skill])`)
//     is translated into one expr program; FlexMatch's functions (avg, min,
//     max, sum, median, stddev, count, flatten, set_intersection) and rule
//     types run as expr functions over values held in an arena, so that an
//     evaluation allocates at most once. ExprSource shows the translation.
//   - RuleSet.PrepareTicket resolves a ticket's attributes to the declared
//     types (defaults applied), and computes its party aggregates and
//     per-region latencies once. Prepared tickets are immutable and shared.
//   - An Evaluator (one per goroutine) checks a Candidate: tickets placed on
//     the rule set's teams. Evaluate(candidate, now, mode) applies the
//     expansions in force at the candidate's age and reports pass/fail per
//     rule, whether team sizes fit, the acceptable regions and the expansion
//     steps used. RuleSet.SortKeys gives the sort rules' keys.
//
// # Adding one ticket to a partial match
//
// A match former builds a match around an anchor ticket by trying candidates
// one at a time. The cheap loop is:
//
//	c.Add(team, ticket)                       // an append
//	if ev.Evaluate(c, now, PartialCheck).Pass {
//		// keep it; once teams are full enough, confirm with FinalCheck
//	} else {
//		c.RemoveLast(team)                    // a truncate
//	}
//
// PartialCheck runs only the rules that no later ticket can repair (batchDistance,
// latency with maxLatency, comparisons of player values against a fixed
// reference, collection limits that only tighten) and the maxPlayers limits, so
// a ticket is rejected as soon as it is certain to fail. FinalCheck runs every
// rule and the minPlayers limits on the finished candidate; ExplainAll runs
// every rule regardless, for FlexMatch's ruleEvaluationMetrics. Evaluation
// reads the prepared tickets and writes only into the Evaluator's reused
// scratch memory, so the cost of a check grows with the number of players in
// the candidate, not with the size of the pool.
package rules
