package main

import (
	"flag"
	"regexp"
	"strings"
	"testing"
)

// helpSubcommands are the subcommands of the commands that have some.
var helpSubcommands = map[string][]string{
	"rules":   {"validate", "explain", "expr", "simulate"},
	"scripts": {"upload", "list"},
	"bench":   {"tickets", "relay"},
}

// TestOpsEveryHelpExplainsEveryFlag runs `--help` on every command and
// subcommand: it exits 0, starts with the command's usage line, and lists
// every flag the command defines with an explanation.
func TestOpsEveryHelpExplainsEveryFlag(t *testing.T) {
	var made []*flag.FlagSet
	madeFlagSet = func(fs *flag.FlagSet) { made = append(made, fs) }
	defer func() { madeFlagSet = func(*flag.FlagSet) {} }()

	_, top, _ := runCmd("--help")
	for name := range commands() {
		if !strings.Contains(top, "\n  "+name+" ") {
			t.Errorf("matchpoint --help does not list %s:\n%s", name, top)
		}
		invocations := [][]string{{name}}
		if subs, ok := helpSubcommands[name]; ok {
			code, out, errOut := runCmd(name, "--help")
			if code != 0 {
				t.Errorf("matchpoint %s --help: exit %d", name, code)
			}
			invocations = nil
			for _, sub := range subs {
				if !strings.Contains(out+errOut, sub) {
					t.Errorf("matchpoint %s --help does not name %s:\n%s%s", name, sub, out, errOut)
				}
				invocations = append(invocations, []string{name, sub})
			}
		}
		for _, inv := range invocations {
			cmd := strings.Join(inv, " ")
			made = nil
			code, out, errOut := runCmd(append(inv, "--help")...)
			help := out + errOut
			if code != 0 {
				t.Errorf("matchpoint %s --help: exit %d\n%s", cmd, code, help)
			}
			if !strings.HasPrefix(help, "usage: matchpoint "+cmd) {
				t.Errorf("matchpoint %s --help does not start with its usage line:\n%s", cmd, help)
			}
			if len(made) != 1 {
				t.Errorf("matchpoint %s --help made %d flag sets, want 1 (make it with newFlagSet, newArgsFlagSet or newPlainFlagSet)", cmd, len(made))
				continue
			}
			made[0].VisitAll(func(f *flag.Flag) {
				re := regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(f.Name) + `( \S+)?\n    \t\S`)
				if f.Usage == "" || !re.MatchString(help) {
					t.Errorf("matchpoint %s --help does not explain --%s:\n%s", cmd, f.Name, help)
				}
			})
		}
	}
}

// TestOpsHelpNamesArguments checks the usage lines and the explanations the
// audit found missing.
func TestOpsHelpNamesArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"rules", "simulate", "--help"}, []string{"usage: matchpoint rules simulate [flags] FILE TICKETS", "-json\n", "print the report as JSON", "-seed uint\n", "batching preference"}},
		{[]string{"rules", "validate", "--help"}, []string{"usage: matchpoint rules validate FILE...\n"}},
		{[]string{"scripts", "upload", "--help"}, []string{"usage: matchpoint scripts upload [flags] NAME FILE\n", "server script NAME"}},
		{[]string{"scripts", "list", "--help"}, []string{"usage: matchpoint scripts list [flags]\n"}},
		{[]string{"version", "--help"}, []string{"usage: matchpoint version\n", "Print the version"}},
		{[]string{"--help"}, []string{"validate, explain and simulate rule sets"}},
	} {
		code, out, errOut := runCmd(c.args...)
		if code != 0 {
			t.Errorf("%v: exit %d", c.args, code)
		}
		for _, w := range c.want {
			if !strings.Contains(out+errOut, w) {
				t.Errorf("%v lacks %q:\n%s%s", c.args, w, out, errOut)
			}
		}
	}
	if code, _, errOut := runCmd("version", "extra"); code != 2 || !strings.Contains(errOut, "takes no arguments") {
		t.Errorf("version extra: exit %d %s", code, errOut)
	}
	if code, _, _ := runCmd("rules", "validate", "--json", "x.json"); code != 2 {
		t.Errorf("rules validate --json: exit %d, want 2: only simulate has --json", code)
	}
}
