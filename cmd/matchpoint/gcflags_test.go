package main

import (
	"io"
	"strings"
	"testing"

	"github.com/matchpoint-dev/matchpoint/cmd/internal/cliconfig"
)

// TestGCPercent checks which GOGC a long-running command sets: a
// --gc-percent given by flag, MATCHPOINT_GC_PERCENT or config file wins,
// then the GOGC environment variable, then the command's default (dev's
// 300; the others' 0 leaves the runtime's).
func TestGCPercent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		def     int
		args    []string
		env     map[string]string
		percent int
		set     bool
		err     string
	}{
		{name: "dev default", def: devGCPercent, percent: devGCPercent, set: true},
		{name: "GOGC before the default", def: devGCPercent, env: map[string]string{"GOGC": "50"}},
		{name: "flag before GOGC", def: devGCPercent, args: []string{"--gc-percent", "150"}, env: map[string]string{"GOGC": "50"}, percent: 150, set: true},
		{name: "setting before GOGC", def: devGCPercent, env: map[string]string{"GOGC": "50", "MATCHPOINT_GC_PERCENT": "200"}, percent: 200, set: true},
		{name: "0 given leaves the runtime's", def: devGCPercent, args: []string{"--gc-percent", "0"}},
		{name: "no default", def: 0},
		{name: "no default, flag", def: 0, args: []string{"--gc-percent", "400"}, percent: 400, set: true},
		{name: "negative", def: devGCPercent, args: []string{"--gc-percent", "-5"}, err: "--gc-percent: want 0 or more, got -5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			fs := newFlagSet("test", "", io.Discard)
			var g gcFlags
			g.register(fs, tc.def)
			if err := cliconfig.Parse(fs, tc.args, lookup); err != nil {
				t.Fatal(err)
			}
			percent, set, err := g.resolve(lookup)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || percent != tc.percent || set != tc.set {
				t.Errorf("resolve: %d, %v, %v; want %d, %v", percent, set, err, tc.percent, tc.set)
			}
		})
	}
}

// TestRuntimeFlagsRefusedByCommands checks that each long-running command
// refuses a --gc-percent or --timer-slack out of bounds, naming the flag,
// before it starts anything.
func TestRuntimeFlagsRefusedByCommands(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--gc-percent", "-1"}, "--gc-percent: want 0 or more, got -1"},
		{[]string{"--timer-slack", "20ms"}, "--timer-slack: must be from 0 to 10ms, got 20ms"},
	} {
		for _, cmd := range []string{"dev", "matchmaker", "relay"} {
			code, _, errOut := runCmd(append([]string{cmd}, tc.args...)...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("matchpoint %s %v: exit %d, stderr %q; want 2 and %q", cmd, tc.args, code, errOut, tc.want)
			}
		}
	}
}
