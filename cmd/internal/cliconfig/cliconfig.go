// Package cliconfig fills a command's flags from three sources, in order of
// precedence: the command line, the environment (MATCHPOINT_<FLAG_NAME>) and
// a YAML configuration file, over the flags' defaults. The flag set is the one
// description of a command's settings: --help lists every flag, and the
// environment variable and file key of each follow from its name.
package cliconfig

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts the environment variable of every flag.
const EnvPrefix = "MATCHPOINT_"

// ConfigFlag is the name of the flag (and MATCHPOINT_CONFIG variable) that
// names the configuration file.
const ConfigFlag = "config"

// EnvName returns the environment variable for a flag: MATCHPOINT_ and the
// flag name upper-cased with dashes and dots as underscores.
func EnvName(flagName string) string {
	return EnvPrefix + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(flagName))
}

// Parse parses args into fs, then sets every flag not given on the command
// line from its environment variable (looked up with lookupEnv) or, failing
// that, from the YAML file named by the config flag. fs must define a string
// flag named ConfigFlag. File keys are flag names; an unknown key, a value of
// the wrong type or an unreadable file is an error that names it. Parse
// returns flag.ErrHelp when -h or --help was given.
func Parse(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool)) error {
	if fs.Lookup(ConfigFlag) == nil {
		return fmt.Errorf("cliconfig: flag set %q has no -%s flag", fs.Name(), ConfigFlag)
	}
	if err := ParseArgs(fs, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	var errs []error
	fromEnv := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		v, ok := lookupEnv(EnvName(f.Name))
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("environment %s: %w", EnvName(f.Name), err))
			return
		}
		fromEnv[f.Name] = true
	})
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	path := fs.Lookup(ConfigFlag).Value.String()
	if path == "" {
		return nil
	}
	values, err := readFile(path)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		f := fs.Lookup(key)
		switch {
		case f == nil || key == ConfigFlag:
			errs = append(errs, fmt.Errorf("config file %s: unknown key %q (keys are the flag names of 'matchpoint %s --help')", path, key, fs.Name()))
		case given[key] || fromEnv[key]:
		default:
			if err := fs.Set(key, values[key]); err != nil {
				errs = append(errs, fmt.Errorf("config file %s: key %q: %w", path, key, err))
			}
		}
	}
	return errors.Join(errs...)
}

// ParseArgs parses args into fs like fs.Parse, but accepts flags after
// positional arguments too ("upload NAME FILE --nats-url URL"), as most
// command-line tools do. Everything after a "--" is positional. Afterwards
// fs.Args() holds the positional arguments in their order.
func ParseArgs(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if len(rest) == 0 || (consumed > 0 && args[consumed-1] == "--") {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// A lone "--" leaves every flag as set and fs.Args() as the positionals.
	return fs.Parse(append([]string{"--"}, positional...))
}

// UnusedEnv returns, sorted, the names in environ ("NAME=value" entries, as
// os.Environ gives them) that start with EnvPrefix but name no flag of fs:
// most often a misspelt setting, which would otherwise be ignored silently.
func UnusedEnv(fs *flag.FlagSet, environ []string) []string {
	known := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { known[EnvName(f.Name)] = true })
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, EnvPrefix) && !known[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// readFile reads a flat YAML mapping of flag names to scalar values (or
// lists, joined with commas for list flags).
func readFile(path string) (map[string]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return map[string]string{}, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config file %s: line %d: want a mapping of flag names to values", path, root.Line)
	}
	out := make(map[string]string, len(root.Content)/2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("config file %s: line %d: key %q appears twice", path, k.Line, k.Value)
		}
		switch v.Kind {
		case yaml.ScalarNode:
			out[k.Value] = v.Value
		case yaml.SequenceNode:
			parts := make([]string, 0, len(v.Content))
			for _, it := range v.Content {
				if it.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("config file %s: line %d: key %q: list items must be plain values", path, it.Line, k.Value)
				}
				parts = append(parts, it.Value)
			}
			out[k.Value] = strings.Join(parts, ",")
		default:
			return nil, fmt.Errorf("config file %s: line %d: key %q: want a plain value or a list", path, v.Line, k.Value)
		}
	}
	return out, nil
}
