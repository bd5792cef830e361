package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/matchpoint-dev/matchpoint/cmd/internal/cliconfig"
	"github.com/matchpoint-dev/matchpoint/matchmaker/simulate"
	"github.com/matchpoint-dev/matchpoint/rules"
)

const rulesUsage = `usage: matchpoint rules <subcommand> [args]

subcommands:
  validate FILE...   check rule set files; exit 0 with a summary line per valid file,
                     exit 1 with every error of every invalid file
  explain FILE       describe a rule set in plain words
  expr FILE          print the expr program a rule set compiles to
  simulate [--json] [--seed N] FILE TICKETS
                     form the matches the rule set would form from a JSON array of
                     tickets ({"TicketId", "Players" as in StartMatchmaking,
                     "AgeSeconds"}), and list the tickets left over and why

Rule set files are FlexMatch rule set JSON (ruleLanguageVersion 1.0); // comments and
trailing commas are accepted. See docs/rules.md. 'matchpoint rules <subcommand> --help'
explains a subcommand and its flags.
`

// rulesFilesNote ends the help of every rules subcommand.
const rulesFilesNote = `Rule set files are FlexMatch rule set JSON (ruleLanguageVersion 1.0); // comments and
trailing commas are accepted. See docs/rules.md.`

// rulesSubcommands are the arguments and summary of each rules subcommand.
var rulesSubcommands = map[string]struct{ args, summary string }{
	"validate": {"FILE...", "Check rule set files: exit 0 with a summary line per valid file, exit 1 with every\nerror of every invalid file."},
	"explain":  {"FILE", "Describe a rule set in plain words."},
	"expr":     {"FILE", "Print the expr program a rule set compiles to."},
	"simulate": {"FILE TICKETS", "Form the matches the rule set FILE would form from TICKETS, a JSON file holding an\narray of tickets ({\"TicketId\", \"Players\" as in StartMatchmaking, \"AgeSeconds\"}), in one\nforming pass at one instant; list the tickets left over and why, and how often each\nrule passed and failed."},
}

func runRules(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, rulesUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, args := args[0], args[1:]
	sc, ok := rulesSubcommands[sub]
	if !ok {
		fmt.Fprintf(stderr, "matchpoint rules: unknown subcommand %q\n\n%s", sub, rulesUsage)
		return 2
	}
	fs := newPlainFlagSet("rules "+sub, sc.args, sc.summary+"\n\n"+rulesFilesNote, stderr)
	var asJSON bool
	var seed uint64
	if sub == "simulate" {
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON (the matches, the unmatched tickets with their reasons, and\nthe rule evaluations, as PotentialMatchCreated's ruleEvaluationMetrics) instead of text")
		fs.Uint64Var(&seed, "seed", 1, "seed of the random batching preference (batchingPreference \"random\"): the same seed\nand files always form the same matches")
	}
	if err := cliconfig.ParseArgs(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	files := fs.Args()
	switch sub {
	case "validate":
		if len(files) == 0 {
			fmt.Fprintln(stderr, "matchpoint rules validate: name at least one rule set file")
			return 2
		}
		return validateFiles(files, stdout, stderr)
	case "simulate":
		if len(files) != 2 {
			fmt.Fprintln(stderr, "matchpoint rules simulate: name a rule set file and a tickets file")
			return 2
		}
		return simulateFiles(files[0], files[1], asJSON, seed, stdout, stderr)
	case "explain", "expr":
		if len(files) != 1 {
			fmt.Fprintf(stderr, "matchpoint rules %s: name exactly one rule set file\n", sub)
			return 2
		}
		rs, err := compileFile(files[0])
		if err != nil {
			fmt.Fprintf(stderr, "%s: invalid rule set:\n%s\n", files[0], indent(err))
			return 1
		}
		if sub == "expr" {
			if err := rs.WriteExprListing(stdout); err != nil {
				fmt.Fprintf(stderr, "matchpoint rules expr: %v\n", err)
				return 1
			}
			return 0
		}
		if err := rs.Explain(stdout); err != nil {
			fmt.Fprintf(stderr, "matchpoint rules explain: %v\n", err)
			return 1
		}
	}
	return 0
}

func simulateFiles(rulesPath, ticketsPath string, asJSON bool, seed uint64, stdout, stderr io.Writer) int {
	rs, err := compileFile(rulesPath)
	if err != nil {
		fmt.Fprintf(stderr, "%s: invalid rule set:\n%s\n", rulesPath, indent(err))
		return 1
	}
	data, err := os.ReadFile(ticketsPath)
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint rules simulate: %v\n", err)
		return 1
	}
	tickets, err := simulate.DecodeTickets(data)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", ticketsPath, err)
		return 1
	}
	rep, err := simulate.Run(rs, tickets, seed)
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint rules simulate: %v\n", err)
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "matchpoint rules simulate: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "%d match(es) from %d ticket(s)\n", len(rep.Matches), len(tickets))
	for i, m := range rep.Matches {
		fmt.Fprintf(stdout, "\nmatch %d", i+1)
		if m.Region != "" {
			fmt.Fprintf(stdout, " in %s", m.Region)
		}
		fmt.Fprintln(stdout)
		for _, t := range m.Teams {
			fmt.Fprintf(stdout, "  %s: %s (tickets %s)\n", t.Name, strings.Join(t.Players, ", "), strings.Join(t.Tickets, ", "))
		}
		for _, e := range m.Expanded {
			fmt.Fprintf(stdout, "  formed under the expansion %s\n", e)
		}
	}
	if len(rep.Unmatched) > 0 {
		fmt.Fprintln(stdout, "\nunmatched:")
		for _, u := range rep.Unmatched {
			fmt.Fprintf(stdout, "  %s: %s\n", u.TicketId, u.Reason)
		}
	}
	if len(rep.Metrics) > 0 {
		fmt.Fprintln(stdout, "\nrule evaluations (passed / failed):")
		for _, m := range rep.Metrics {
			fmt.Fprintf(stdout, "  %s: %d / %d\n", m.RuleName, m.PassedCount, m.FailedCount)
		}
	}
	return 0
}

func compileFile(path string) (*rules.RuleSet, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return rules.CompileJSON(src)
}

func validateFiles(files []string, stdout, stderr io.Writer) int {
	code := 0
	for _, f := range files {
		rs, err := compileFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "%s: invalid rule set:\n%s\n", f, indent(err))
			code = 1
			continue
		}
		d := rs.Definition()
		name := d.Name
		if name == "" {
			name = "(unnamed)"
		}
		size := "small"
		if rs.Large() {
			size = "large"
		}
		fmt.Fprintf(stdout, "%s: ok: %s, %d team(s), up to %d players (%s match), %d rule(s), %d expansion(s), strategy %s\n",
			f, name, len(rs.Teams()), rs.MaxPlayers(), size, len(d.Rules), len(d.Expansions), d.Algorithm.Strategy)
	}
	return code
}

// indent prefixes each line of an error with two spaces, one error a line.
func indent(err error) string {
	var list rules.ErrorList
	if !errors.As(err, &list) {
		return "  " + err.Error()
	}
	out := ""
	for i, e := range list {
		if i > 0 {
			out += "\n"
		}
		out += "  " + e.Error()
	}
	return out
}
