package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

const scriptsUsage = `usage: matchpoint scripts <subcommand> [flags] [args]

subcommands:
  upload NAME FILE   store a new version of server script NAME (GameLift Realtime JavaScript)
                     in NATS JetStream; relays run it for new game sessions within seconds,
                     running sessions keep the version they started with
  list               the newest version of every script

Flags: --nats-url and the other NATS flags of 'matchpoint relay --help'.
`

func runScripts(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "upload" && args[0] != "list") {
		fmt.Fprint(stderr, scriptsUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	sub := args[0]
	argNames, summary := "", "List the newest version of every server script stored in NATS JetStream."
	if sub == "upload" {
		argNames, summary = "NAME FILE", "Store FILE (GameLift Realtime JavaScript) as a new version of server script NAME in NATS\nJetStream. Relays run the newest version for new game sessions within seconds; running\nsessions keep the version they started with. A syntax error is reported as FILE:LINE:COLUMN."
	}
	fs := newArgsFlagSet("scripts "+sub, argNames, summary, stderr)
	var nf natsFlags
	nf.register(fs)
	var lf logFlags
	lf.register(fs)
	if code := parseFlags(fs, args[1:]); code >= 0 {
		return code
	}
	rest := fs.Args()
	if (sub == "upload" && len(rest) != 2) || (sub == "list" && len(rest) != 0) {
		fmt.Fprint(stderr, scriptsUsage)
		return 2
	}
	log, err := lf.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint scripts: %v\n", err)
		return 2
	}
	var source []byte
	if sub == "upload" {
		if source, err = os.ReadFile(rest[1]); err != nil {
			fmt.Fprintf(stderr, "matchpoint scripts upload: %v\n", err)
			return 1
		}
	}
	conn, err := nf.connect(ctx, "matchpoint-cli", log)
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint scripts: %v\n", err)
		return 1
	}
	defer conn.Close()
	reg, err := bus.NewScriptStore(ctx, conn, bus.ScriptStoreOptions{Check: script.Check})
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint scripts: %v\n", err)
		return 1
	}
	if sub == "list" {
		versions, err := reg.List(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "matchpoint scripts list: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%-24s %8s %10s  %-20s %s\n", "NAME", "VERSION", "BYTES", "CREATED", "SHA256")
		for _, v := range versions {
			fmt.Fprintf(stdout, "%-24s %8d %10d  %-20s %s\n", v.Name, v.Version, v.Size, v.CreatedAt.UTC().Format("2006-01-02 15:04:05"), v.SHA256)
		}
		return 0
	}
	version, err := reg.Upload(ctx, rest[0], source)
	if err != nil {
		var se *script.SyntaxError
		if errors.As(err, &se) {
			fmt.Fprintf(stderr, "%s:%d:%d: %s\n", rest[1], se.Line, se.Column, se.Message)
			return 1
		}
		fmt.Fprintf(stderr, "matchpoint scripts upload: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "uploaded %s version %d\n", rest[0], version)
	return 0
}
