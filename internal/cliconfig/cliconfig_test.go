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
