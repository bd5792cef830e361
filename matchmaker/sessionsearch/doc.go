// Package sessionsearch implements the FilterExpression and SortExpression of
// Amazon GameLift's SearchGameSessions: it parses them, reports a malformed
// expression with the character where it goes wrong, and evaluates them over a
// Session, the view of a game session that search reads. It is pure
// computation: no I/O, no clocks, no globals.
//
// A filter is parsed by this package's own tokenizer and parser, checked
// against the operands' types, then translated into one expr program over a
// *Session. Nothing the caller wrote reaches the expr source: string values
// and property keys become constants of the program, so a quote or an expr
// operator inside them stays text. A Filter is compiled once per request and
// is safe for concurrent use; Match runs the program on a reused VM.
//
// A sort expression names one operand and a direction. Sessions that have no
// value for the operand (a property they do not carry, an unset name) come
// last in either direction, as GameLift documents; ties keep their order.
//
//	filter, err := sessionsearch.CompileFilter("hasAvailablePlayerSessions = true AND gameSessionProperties.mode = 'ranked'")
//	// handle err: a *SyntaxError naming the field and the character
//	order, err := sessionsearch.CompileSort("creationTimeMillis ASC")
//	// handle err
//	found := filter.Select(sessions)
//	order.Sort(found)
//
// docs/gamesessions.md describes the syntax as implemented and the choices
// made where GameLift's documentation is silent.
package sessionsearch
