package script

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/matchpoint-dev/matchpoint/relay"
)

// SyntaxError is a script that does not compile. Line and Column start at 1.
type SyntaxError struct {
	Script  string
	Line    int
	Column  int
	Message string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("script %s: syntax error at line %d, column %d: %s", e.Script, e.Line, e.Column, e.Message)
}

// Factory is one compiled script version. It creates the isolated instance of each
// game session (New) and is safe for concurrent use.
type Factory struct {
	name    string
	version int
	program *goja.Program
	prelude *goja.Program
	config  Configuration
	opts    Options
	level   slog.Level
	metrics *metrics
}

// NewFactory compiles source, runs its top-level code once in a scratch runtime to
// check that it exports ssExports and to read its configuration, and returns the
// factory of its instances. A syntax error is a *SyntaxError with line and column;
// a script that throws or loops at load, lacks ssExports or has an invalid
// configuration is an error naming the problem. name labels logs and metrics.
func NewFactory(name string, source []byte, opts Options) (*Factory, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	program, err := compile(name, string(source))
	if err != nil {
		return nil, err
	}
	prelude, err := goja.Compile("prelude.js", preludeJS, true)
	if err != nil {
		return nil, fmt.Errorf("script: prelude: %w", err)
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	f := &Factory{
		name:    name,
		program: program,
		prelude: prelude,
		opts:    opts,
		level:   logLevel(opts.LaunchParameters),
		metrics: m,
	}
	in, err := f.instantiate(relay.GameSessionInfo{ScriptName: name})
	if err != nil {
		return nil, err
	}
	if f.config, err = in.configuration(); err != nil {
		return nil, fmt.Errorf("script %s: %w", name, err)
	}
	return f, nil
}

// compile parses and compiles source, reporting the first syntax error with its
// position.
func compile(name, source string) (*goja.Program, error) {
	ast, err := parser.ParseFile(nil, name, source, 0)
	if err != nil {
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			return nil, &SyntaxError{Script: name, Line: list[0].Position.Line, Column: list[0].Position.Column, Message: list[0].Message}
		}
		return nil, fmt.Errorf("script %s: %w", name, err)
	}
	program, err := goja.CompileAST(ast, false)
	if err != nil {
		var se *goja.CompilerSyntaxError
		if errors.As(err, &se) && se.File != nil {
			pos := se.File.Position(se.Offset)
			return nil, &SyntaxError{Script: name, Line: pos.Line, Column: pos.Column, Message: se.Message}
		}
		return nil, fmt.Errorf("script %s: %w", name, err)
	}
	return program, nil
}

// Name returns the script's name.
func (f *Factory) Name() string { return f.name }

// Version returns the registry version the factory was built from; 0 for a
// factory made directly with NewFactory.
func (f *Factory) Version() int { return f.version }

// Configuration returns the script's configuration (maxPlayers,
// pingIntervalTime) with the defaults applied.
func (f *Factory) Configuration() Configuration { return f.config }

// New creates the script instance of one game session: a fresh runtime runs the
// script's top-level code, then init(rtSession) and onProcessStarted(args), as a
// Realtime server process does before it hosts a game session. It has the
// signature of relay.ScriptFactory. It fails when the top-level code, init or
// onProcessStarted throws or overruns its budget, or when onProcessStarted
// returns false.
func (f *Factory) New(info relay.GameSessionInfo) (relay.Script, error) {
	in, err := f.instantiate(info)
	if err != nil {
		return nil, err
	}
	if fn := in.callbacks[cbInit]; fn != nil {
		if _, err := in.call(cbInit, fn, in.rtSession); err != nil {
			return nil, fmt.Errorf("script %s: init: %w", f.name, err)
		}
	}
	if fn := in.callbacks[cbProcessStarted]; fn != nil {
		args := make([]any, len(f.opts.LaunchParameters))
		for i, p := range f.opts.LaunchParameters {
			args[i] = p
		}
		v, err := in.call(cbProcessStarted, fn, in.vm.NewArray(args...))
		if err != nil {
			return nil, fmt.Errorf("script %s: onProcessStarted: %w", f.name, err)
		}
		if isFalse(v) {
			return nil, fmt.Errorf("script %s: onProcessStarted returned false", f.name)
		}
	}
	return in, nil
}

// configuration reads ssExports.configuration.
func (in *Instance) configuration() (Configuration, error) {
	cfg := Configuration{MaxPlayers: DefaultMaxPlayers, PingInterval: DefaultPingInterval}
	v := in.exports.Get("configuration")
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return cfg, nil
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		return cfg, errors.New("ssExports.configuration: want an object")
	}
	if n, ok, err := positiveInt(obj, "maxPlayers"); err != nil {
		return cfg, err
	} else if ok {
		cfg.MaxPlayers = int(n)
	}
	if n, ok, err := positiveInt(obj, "pingIntervalTime"); err != nil {
		return cfg, err
	} else if ok {
		cfg.PingInterval = time.Duration(n) * time.Millisecond
	}
	return cfg, nil
}

func positiveInt(obj *goja.Object, key string) (int64, bool, error) {
	v := obj.Get(key)
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return 0, false, nil
	}
	f := v.ToFloat()
	if _, isNumber := v.Export().(int64); !isNumber {
		if _, isFloat := v.Export().(float64); !isFloat {
			return 0, false, fmt.Errorf("ssExports.configuration.%s: want a number, got %s", key, v.String())
		}
	}
	if f != math.Trunc(f) || f < 1 || f > math.MaxInt32 {
		return 0, false, fmt.Errorf("ssExports.configuration.%s: want a positive integer, got %s", key, v.String())
	}
	return int64(f), true, nil
}
