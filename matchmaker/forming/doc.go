// Package forming is the match-forming algorithm of Amazon GameLift
// FlexMatch, over a compiled rules.RuleSet: given a pool of prepared
// tickets, backfill requests and the time, Form returns the matches
// FlexMatch would form. It is pure computation: no I/O, no clock (the time
// is an argument), no goroutines, and deterministic given Options.Seed.
//
// The matchmaker loop snapshots a configuration's SEARCHING tickets,
// prepares each with Prepare (rules.RuleSet.PrepareTicket plus the values
// forming reads), calls Form, and claims every returned match atomically in
// the store; a match whose claim fails is dropped and its tickets stay
// searching.
//
// # exhaustiveSearch
//
// The pool and the backfill requests are split into batches of at most
// Options.BatchSize (shuffled for batchingPreference random, in
// sortByAttributes order for sorted) and each batch is ordered by
// backfillPriority, then age (oldest first). Each unmatched ticket in turn
// anchors a match: the batch's other unmatched tickets, in age order,
// reordered by the rule set's sort rules relative to the anchor, are added
// one at a time to the team with the most open slots that takes the whole
// party, preferring a team where every rule already passes, and kept if the
// partial check passes. When every team is full (expanded maxPlayers, less
// the slots AdditionalPlayerCount keeps open) the final check runs; if it
// fails, swaps of equal-sized tickets between teams are tried within
// Options.RepairBudget, then the last ticket is dropped and the search goes
// on. When the candidates run out, the largest prefix of the tickets taken
// that passes the final check (teams at their minPlayers) is the match.
//
// # balanced
//
// The pool is pre-sorted by region (largestPopulation: the acceptable
// region most tickets accept; fastestRegion: each ticket's fastest
// acceptable region), each unmatched ticket anchors a potential match
// filled from the tickets that follow in that order (teams below
// minPlayers first, then the team with the most open slots), and the full
// match's players are reassigned so that the teams' averages of
// balancedAttribute are as even as possible: largest first, then
// improving swaps. Parties are never split.
//
// # Cost
//
// One evaluation costs time proportional to the players in the candidate
// (m). An exhaustive anchor examines at most BatchSize candidates (B), so a
// pass costs O(n x B x m) evaluations' work in the worst case (every anchor
// fails), linear in the pool size n for a fixed batch size, plus
// O(n log n) to sort the pool and O(B log B) per anchor for sort rules. In
// practice a successful anchor stops after a few dozen candidates. The
// balanced strategy sorts the pool once (O(n log n)); each anchor scans
// the remaining pool for at most B candidates.
package forming
