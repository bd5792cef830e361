// Command matchpoint is the one Matchpoint binary: the matchmaker, the relay,
// the all-in-one dev stack and the designer's and operator's tools, as
// subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of the binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"version":    {"print the version", runVersion},
		"rules":      {"validate, explain and simulate rule sets (and print their expr translation)", runRules},
		"dev":        {"run everything in one process for development (embedded NATS, in-memory store)", runDev},
		"matchmaker": {"run a matchmaker (API, event streams, forming loop) against Redis and NATS", runMatchmaker},
		"relay":      {"run a relay that hosts game sessions placed on its region", runRelay},
		"bench":      {"load a matchmaker (bench tickets, bench gamesessions) or relays (bench relay); throughput and latency", runBench},
		"scripts":    {"upload and list server scripts (scripts upload NAME FILE, scripts list)", runScripts},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches args to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "matchpoint: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: matchpoint <command> [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'matchpoint <command> --help' for a command's flags.")
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newPlainFlagSet("version", "", "Print the version of this binary.", stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "matchpoint version: takes no arguments, got %q\n", fs.Args())
		return 2
	}
	fmt.Fprintf(stdout, "matchpoint %s\n", version)
	return 0
}
