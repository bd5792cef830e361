package main

import (
	"flag"
	"fmt"
	"log/slog"
	"runtime/debug"
)

// devGCPercent is dev's --gc-percent: dev holds the relay's sessions, their
// scripts and reservations in the process that serves the API, and with
// Go's 100 the collector's marking of that heap is what calls queue behind
// at load (docs/benchmarks.md, issue 12).
const devGCPercent = 300

// gcFlags is the garbage collector setting of a long-running command.
type gcFlags struct {
	percent int
	fs      *flag.FlagSet
}

// register adds --gc-percent with the command's default (0: the runtime's).
func (g *gcFlags) register(fs *flag.FlagSet, def int) {
	usage := "the garbage collector's GOGC: how far, in percent, the heap grows past what is live before the next collection; higher runs fewer collections for more memory (0: the GOGC environment variable, or Go's 100"
	if def > 0 {
		usage += fmt.Sprintf("; the default %d applies unless GOGC is set", def)
	}
	fs.IntVar(&g.percent, "gc-percent", def, usage+")")
	g.fs = fs
}

// resolve returns the GOGC to set, or ok false to leave the runtime's: a
// --gc-percent given (flag, MATCHPOINT_GC_PERCENT or config file) wins, then
// the GOGC environment variable, then the command's default.
func (g *gcFlags) resolve(lookupEnv func(string) (string, bool)) (percent int, ok bool, err error) {
	if g.percent < 0 {
		return 0, false, fmt.Errorf("--gc-percent: want 0 or more, got %d", g.percent)
	}
	given := false
	g.fs.Visit(func(f *flag.Flag) { given = given || f.Name == "gc-percent" })
	if _, set := lookupEnv("GOGC"); set && !given {
		return 0, false, nil
	}
	return g.percent, g.percent > 0, nil
}

// apply sets the collector as resolve says.
func (g *gcFlags) apply(log *slog.Logger, lookupEnv func(string) (string, bool)) error {
	percent, ok, err := g.resolve(lookupEnv)
	if err != nil || !ok {
		return err
	}
	debug.SetGCPercent(percent)
	log.Debug("garbage collector", "gc_percent", percent)
	return nil
}
