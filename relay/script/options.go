package script

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options and of the script configuration.
const (
	// DefaultCallbackBudget is how long one callback (or timer, or the script's
	// top-level code) may run before it is interrupted.
	DefaultCallbackBudget = 100 * time.Millisecond
	// DefaultMaxCallStackSize is the deepest JavaScript call stack allowed.
	DefaultMaxCallStackSize = 1000
	// DefaultMaxPlayers is configuration.maxPlayers when the script sets none
	// (GameLift Realtime: 32).
	DefaultMaxPlayers = 32
	// DefaultPingInterval is configuration.pingIntervalTime when the script
	// sets none (GameLift Realtime: 3000 ms).
	DefaultPingInterval = 3000 * time.Millisecond
	// MinTimerDelay is the shortest delay of setTimeout and setInterval, as in
	// Node.js: shorter or missing delays are raised to it.
	MinTimerDelay = time.Millisecond
)

// Options configure the scripts a Factory runs. The zero value is usable.
type Options struct {
	// CallbackBudget bounds the run time of one callback, timer or promise
	// continuation chain; past it the runtime is interrupted, the error is
	// logged and counted, and the callback's default applies. Default 100 ms.
	CallbackBudget time.Duration
	// MaxCallStackSize bounds the JavaScript call depth (runaway recursion ends
	// with an error instead of growing memory). Default 1000.
	MaxCallStackSize int
	// LaunchParameters are passed to onProcessStarted(args) as an array of
	// strings, as the GameLift fleet's launch parameters are. A parameter
	// "loggingLevel:<debug|info|warn|error>" sets the least level the script's
	// logger writes (default info).
	LaunchParameters []string
	// Logger receives the script's load-time messages; in a session the
	// session's own logger (relay.Session.Logger) is used. Default
	// slog.Default().
	Logger *slog.Logger
	// Registerer receives the script error and interrupt counters; nil
	// registers none. Factories given the same Registerer share the counters.
	Registerer prometheus.Registerer
}

func (o Options) withDefaults() (Options, error) {
	if o.CallbackBudget < 0 || o.MaxCallStackSize < 0 {
		return o, errors.New("script: negative limit in Options")
	}
	if o.CallbackBudget == 0 {
		o.CallbackBudget = DefaultCallbackBudget
	}
	if o.MaxCallStackSize == 0 {
		o.MaxCallStackSize = DefaultMaxCallStackSize
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}

// Configuration is the script's ssExports.configuration, with defaults applied.
type Configuration struct {
	// MaxPlayers is configuration.maxPlayers: how many players the session
	// admits at once. Default 32.
	MaxPlayers int
	// PingInterval is configuration.pingIntervalTime: how often the relay
	// checks that connected players are alive. Default 3 s.
	PingInterval time.Duration
}

// logLevel reads "loggingLevel:<level>" from the launch parameters.
func logLevel(params []string) slog.Level {
	level := slog.LevelInfo
	for _, p := range params {
		value, ok := strings.CutPrefix(strings.TrimSpace(p), "loggingLevel:")
		if !ok {
			continue
		}
		switch value {
		case "debug":
			level = slog.LevelDebug
		case "info":
			level = slog.LevelInfo
		case "warn":
			level = slog.LevelWarn
		case "error", "fatal", "cxfatal":
			level = slog.LevelError
		}
	}
	return level
}
