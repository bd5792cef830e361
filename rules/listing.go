package rules

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteExprListing writes the expr program the rule set compiles to in a
// form a designer can read: one block per rule with its name, type and the
// expr call that checks it, the sort rules apart (they order candidates and
// reject nothing), and the whole program last.
func (rs *RuleSet) WriteExprListing(w io.Writer) error {
	p := rs.plan
	var err error
	printf := func(format string, args ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, args...)
		}
	}
	printf("rule set %q compiles to one expr program: a candidate match passes when every check below is true.\n", p.def.Name)
	printf("$env is the candidate match; mp_* are Matchpoint's functions; the number after $env is the rule's index in \"rules\".\n")
	var sorts []int
	for i := range p.rules {
		rp := &p.rules[i]
		switch t := rp.def.Type; {
		case t == RuleAbsoluteSort || t == RuleDistanceSort:
			sorts = append(sorts, i)
			continue
		case rp.referenced:
			printf("\nrules[%d] %s (%s), checked only inside a compound rule:\n", i, rp.def.Name, t)
		default:
			printf("\nrules[%d] %s (%s):\n", i, rp.def.Name, t)
		}
		if w := asWritten(rp.def); w != "" {
			printf("    as written: %s\n", w)
		}
		printf("    expr: %s\n", rs.calls[i])
	}
	if len(sorts) > 0 {
		printf("\nsort rules (they order the candidates and never reject a match):\n")
		for _, i := range sorts {
			printf("    rules[%d] %s (%s)\n", i, p.rules[i].def.Name, p.rules[i].def.Type)
		}
	}
	printf("\nthe whole program:\n    %s\n", rs.ExprSource())
	return err
}

// asWritten summarises the fields of a rule that its expr call encodes.
func asWritten(d *RuleDef) string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+" "+v)
		}
	}
	num := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'g', -1, 64)
	}
	if len(d.Measurements) > 0 {
		add("measurements", strings.Join(d.Measurements, ", "))
	}
	if d.ReferenceValue != nil {
		switch rv := d.ReferenceValue; {
		case rv.Number != nil:
			add("referenceValue", num(rv.Number))
		case rv.String != nil:
			add("referenceValue", strconv.Quote(*rv.String))
		default:
			add("referenceValue", "["+strings.Join(rv.List, ", ")+"]")
		}
	}
	add("operation", d.Operation)
	add("batchAttribute", d.BatchAttribute)
	add("minDistance", num(d.MinDistance))
	add("maxDistance", num(d.MaxDistance))
	add("minCount", num(d.MinCount))
	add("maxCount", num(d.MaxCount))
	add("maxLatency", num(d.MaxLatency))
	add("partyAggregation", d.PartyAggregation)
	add("statement", d.Statement)
	add("expression", d.Expression)
	return strings.Join(parts, "; ")
}
