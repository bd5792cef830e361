package sessionsearch

import (
	"cmp"
	"slices"
)

// Sort is a compiled SortExpression: immutable and safe for concurrent use. A
// nil *Sort leaves the order unchanged.
type Sort struct {
	operand operand
	desc    bool
}

// CompileSort parses a SortExpression: one operand, then ASC or DESC (in any
// case). A malformed expression is a *SyntaxError.
func CompileSort(src string) (*Sort, error) {
	p, err := newParser(SortField, src)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tIdent || isKeyword(p.tok.text) {
		return nil, p.errorf(p.tok.pos, "expected an operand (%s), found %s", operandList, describe(p.tok))
	}
	op, err := p.operand()
	if err != nil {
		return nil, err
	}
	s := &Sort{operand: op}
	switch {
	case p.keyword("ASC"):
	case p.keyword("DESC"):
		s.desc = true
	default:
		return nil, p.errorf(p.tok.pos, "expected ASC or DESC after %s, found %s", op.name, describe(p.tok))
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errorf(p.tok.pos, "expected the end of the expression, found %s: a SortExpression sorts by one operand", describe(p.tok))
	}
	return s, nil
}

// Sort orders sessions by the expression, stably: sessions with equal keys
// keep their order, and sessions without a value for the operand come last.
func (s *Sort) Sort(sessions []*Session) {
	if s == nil {
		return
	}
	slices.SortStableFunc(sessions, s.Compare)
}

// Compare orders two sessions as Sort does, for slices.SortStableFunc: a
// session without a value for the operand comes after every session with
// one, whatever the direction. A nil *Sort finds every pair equal.
func (s *Sort) Compare(a, b *Session) int {
	if s == nil {
		return 0
	}
	ka, okA := s.key(a)
	kb, okB := s.key(b)
	switch {
	case !okA || !okB:
		return cmp.Compare(boolInt(!okA), boolInt(!okB))
	case s.desc:
		return ka.compare(kb) * -1
	}
	return ka.compare(kb)
}

// sortKey is the value of the operand for one session.
type sortKey struct {
	str string
	num int64
}

func (k sortKey) compare(o sortKey) int {
	if c := cmp.Compare(k.num, o.num); c != 0 {
		return c
	}
	return cmp.Compare(k.str, o.str)
}

// key returns the session's value for the operand, and false when it has
// none: a property it does not carry, or no name.
func (s *Sort) key(x *Session) (sortKey, bool) {
	switch s.operand.kind {
	case opName:
		return sortKey{str: x.Name}, x.Name != ""
	case opID:
		return sortKey{str: x.ID}, true
	case opProperty:
		v, ok := x.Properties[s.operand.key]
		return sortKey{str: v}, ok
	case opMaximumSessions:
		return sortKey{num: int64(x.MaximumSessions)}, true
	case opPlayerSessionCount:
		return sortKey{num: int64(x.PlayerSessionCount)}, true
	case opCreationTime:
		return sortKey{num: x.CreationTimeMillis}, true
	}
	return sortKey{num: boolInt(x.HasAvailablePlayerSessions)}, true
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
