package cliconfig

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type settings struct {
	addr    string
	workers int
	timeout time.Duration
	verbose bool
	config  string
}

func newFlags() (*flag.FlagSet, *settings) {
	s := &settings{}
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&s.addr, "http-addr", "127.0.0.1:8080", "")
	fs.IntVar(&s.workers, "workers", 1, "")
	fs.DurationVar(&s.timeout, "drain-timeout", time.Second, "")
	fs.BoolVar(&s.verbose, "verbose", false, "")
	fs.StringVar(&s.config, ConfigFlag, "", "")
	return fs, s
}

func env(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "matchpoint.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedenceFlagsEnvFileDefaults(t *testing.T) {
	file := writeFile(t, "http-addr: 0.0.0.0:9000\nworkers: 4\ndrain-timeout: 30s\nverbose: true\n")
	fs, s := newFlags()
	err := Parse(fs, []string{"--config", file, "--workers", "8"}, env("MATCHPOINT_DRAIN_TIMEOUT", "5s"))
	if err != nil {
		t.Fatal(err)
	}
	if s.workers != 8 || s.timeout != 5*time.Second || s.addr != "0.0.0.0:9000" || !s.verbose {
		t.Fatalf("got %+v: want workers from flags, timeout from env, addr and verbose from file", s)
	}
	fs, s = newFlags()
	if err := Parse(fs, nil, env()); err != nil || s.addr != "127.0.0.1:8080" || s.workers != 1 {
		t.Fatalf("defaults: %+v %v", s, err)
	}
	fs, s = newFlags()
	if err := Parse(fs, nil, env("MATCHPOINT_CONFIG", file)); err != nil || s.workers != 4 {
		t.Fatalf("file named by MATCHPOINT_CONFIG: %+v %v", s, err)
	}
}

func TestBadInputNamesTheSetting(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  []string
		want string
	}{
		{"unknown key", "http-addr: x\nwokers: 3\n", nil, `unknown key "wokers"`},
		{"wrong type in file", "workers: many\n", nil, `key "workers"`},
		{"wrong type in env", "", []string{"MATCHPOINT_WORKERS", "lots"}, "environment MATCHPOINT_WORKERS"},
		{"not a mapping", "- a\n- b\n", nil, "want a mapping"},
		{"nested value", "http-addr: {a: 1}\n", nil, `key "http-addr": want a plain value`},
		{"duplicate key", "workers: 1\nworkers: 2\n", nil, `"workers" appears twice`},
		{"config key in file", "config: other.yaml\n", nil, `unknown key "config"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{}
			if tc.file != "" {
				args = append(args, "--config", writeFile(t, tc.file))
			}
			fs, _ := newFlags()
			err := Parse(fs, args, env(tc.env...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	fs, _ := newFlags()
	if err := Parse(fs, []string{"--config", "/nonexistent/m.yaml"}, env()); err == nil || !strings.Contains(err.Error(), "config file") {
		t.Fatalf("missing file: %v", err)
	}
	fs, _ = newFlags()
	if err := Parse(fs, []string{"--help"}, env()); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	fs, _ = newFlags()
	if err := Parse(fs, []string{"--config", writeFile(t, "")}, env()); err != nil {
		t.Fatalf("empty file: %v", err)
	}
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{"http-addr": "MATCHPOINT_HTTP_ADDR", "nats.url": "MATCHPOINT_NATS_URL", "x": "MATCHPOINT_X"} {
		if got := EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRequiresConfigFlag(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	if err := Parse(fs, nil, env()); err == nil {
		t.Fatal("a flag set without -config must be rejected")
	}
}

// FuzzReadFile feeds arbitrary configuration files to Parse: any file is
// either applied or rejected with an error, never a panic.
func FuzzReadFile(f *testing.F) {
	f.Add("http-addr: 0.0.0.0:9000\nworkers: 4\n")
	f.Add("workers: [1, 2]\n")
	f.Add("- a\n- b\n")
	f.Add("drain-timeout: 5s\nverbose: false\n# comment\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		p := filepath.Join(t.TempDir(), "m.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		fs, _ := newFlags()
		_ = Parse(fs, []string{"--config", p}, env())
	})
}

func TestParseArgsFlagsAfterPositionals(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		wantArgs []string
		addr     string
		workers  int
		verbose  bool
	}{
		{"flags first", []string{"--workers", "3", "a", "b"}, []string{"a", "b"}, "127.0.0.1:8080", 3, false},
		{"flags last", []string{"a", "b", "--workers", "3", "--http-addr=:1"}, []string{"a", "b"}, ":1", 3, false},
		{"flags between", []string{"a", "--verbose", "b", "-workers=2"}, []string{"a", "b"}, "127.0.0.1:8080", 2, true},
		{"after --, flags are positional", []string{"a", "--", "--workers", "3"}, []string{"a", "--workers", "3"}, "127.0.0.1:8080", 1, false},
		{"no positionals", []string{"--verbose"}, nil, "127.0.0.1:8080", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, s := newFlags()
			if err := Parse(fs, tc.args, env()); err != nil {
				t.Fatal(err)
			}
			if got := fs.Args(); strings.Join(got, "|") != strings.Join(tc.wantArgs, "|") {
				t.Errorf("Args() = %q, want %q", got, tc.wantArgs)
			}
			if s.addr != tc.addr || s.workers != tc.workers || s.verbose != tc.verbose {
				t.Errorf("got addr %q workers %d verbose %v, want %q %d %v", s.addr, s.workers, s.verbose, tc.addr, tc.workers, tc.verbose)
			}
		})
	}
}

func TestParseArgsUnknownFlagAfterPositional(t *testing.T) {
	fs, _ := newFlags()
	err := Parse(fs, []string{"a", "--nope", "1"}, env())
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v, want one naming the flag -nope", err)
	}
}

func TestUnusedEnv(t *testing.T) {
	fs, _ := newFlags()
	got := UnusedEnv(fs, []string{
		"MATCHPOINT_WORKERS=2", "MATCHPOINT_WORKRES=3", "PATH=/bin",
		"MATCHPOINT_CONFIG=x.yaml", "MATCHPOINT_HTTP_ADDR=:1", "MATCHPOINT_A=",
	})
	want := []string{"MATCHPOINT_A", "MATCHPOINT_WORKRES"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("UnusedEnv = %q, want %q", got, want)
	}
}
