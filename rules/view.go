package rules

import (
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// View is the candidate match as expr expressions see it: the environment of
// `expression` rules and of expr operands written where a property expression
// is expected. Field names in expressions are the lower-case `expr` tags:
//
//	teams[0].name, teams[0].players, players[0].attributes.skill,
//	players[0].latencies["us-east-1"], tickets[0].age
//
// docs/rules.md has examples.
type View struct {
	Teams   []ViewTeam    `expr:"teams"`
	Players []*ViewPlayer `expr:"players"`
	Tickets []ViewTicket  `expr:"tickets"`
}

// ViewTeam is one team of the candidate match.
type ViewTeam struct {
	Name    string        `expr:"name"`
	Players []*ViewPlayer `expr:"players"`
}

// ViewTicket is one ticket (a player or a party) of the candidate match.
type ViewTicket struct {
	ID      string        `expr:"id"`
	Team    string        `expr:"team"`
	Age     float64       `expr:"age"` // seconds since the ticket started
	Players []*ViewPlayer `expr:"players"`
}

// ViewPlayer is one player. Attributes hold string, float64, []string and
// map[string]float64 values by the declared types, defaults applied.
type ViewPlayer struct {
	ID         string             `expr:"id"`
	Team       string             `expr:"team"`
	Ticket     string             `expr:"ticket"`
	Age        float64            `expr:"age"`
	Attributes map[string]any     `expr:"attributes"`
	Latencies  map[string]float64 `expr:"latencies"`
}

// boolResult asks compileViewExpr for an expression that yields a boolean.
var boolResult = []expr.Option{expr.AsBool()}

// compileViewExpr compiles an expr expression against the View.
func compileViewExpr(src string, extra []expr.Option) (*vm.Program, error) {
	opts := append([]expr.Option{expr.Env(&View{})}, extra...)
	return expr.Compile(src, opts...)
}
