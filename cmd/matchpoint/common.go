package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/cmd/internal/cliconfig"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// logFlags are the logging settings every long-running command takes.
type logFlags struct {
	level  string
	format string
	fs     *flag.FlagSet // the command's flags, for the unused environment warning
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.level, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&l.format, "log-format", "text", "log format: text or json")
	l.fs = fs
}

// logger returns the command's logger, and logs through it a warning for each
// MATCHPOINT_ environment variable that no flag of the command reads (most
// often a misspelt setting), so that the warning follows --log-format.
func (l *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	log, err := l.newLogger(w)
	if err != nil {
		return nil, err
	}
	for _, name := range cliconfig.UnusedEnv(l.fs, os.Environ()) {
		log.Warn("environment variable is set but is no setting of this command (ignored); --help lists them", "variable", name, "command", l.fs.Name())
	}
	return log, nil
}

func (l *logFlags) newLogger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(l.level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", l.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch l.format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", l.format)
}

// routeRedisLogs sends go-redis's own log lines (failed dials, bad pooled
// connections) to log, as warnings of component "redis", so that they follow
// --log-format and --log-level like every other line. go-redis has one logger
// per process: commands that use Redis call this once, as they start.
func routeRedisLogs(log *slog.Logger) {
	redis.SetLogger(redisLogger{log.With("component", "redis")})
}

// redisLogger is go-redis's logging interface over a slog logger.
type redisLogger struct{ log *slog.Logger }

// Printf logs one go-redis line as a warning.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.Log(ctx, slog.LevelWarn, strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
}

// redisFlags select the production store.
type redisFlags struct {
	url            string
	cluster        string
	sentinelMaster string
	sentinelAddrs  string
	password       string
	prefix         string
	retention      time.Duration
	sessions       time.Duration
	waitReplicas   int
	waitTimeout    time.Duration
	batchWindow    time.Duration
	ticketWindow   time.Duration
}

// --redis-batch-window and --redis-ticket-batch-window: their defaults,
// their bound (the wait is added to a create's latency) and their help.
// Ticket creates wait longer by default: at 2,000 tickets/s, 2 ms cost dev
// and Redis 1.5-15% (median 9%) less CPU per ticket than 1 ms (docs/benchmarks.md, issue
// 17), and a ticket's time to match is its forming passes', not its
// create's; player sessions keep 1 ms, which their latency needs.
const (
	defaultBatchWindow       = time.Millisecond
	defaultTicketBatchWindow = 2 * time.Millisecond
	maxBatchWindow           = 10 * time.Millisecond
	batchWindowUsage         = "one server or Sentinel: how long player session creates wait to share a Redis round trip (0: only when more than 4 are in flight, no wait; at most 10ms)"
	ticketBatchWindowUsage   = "one server or Sentinel: how long ticket creates wait to share a Redis round trip (0: only when more than 4 are in flight, no wait; at most 10ms)"
)

func (r *redisFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.url, "redis-url", "redis://127.0.0.1:6379/0", "Redis URL of a standalone server (redis:// or rediss:// for TLS)")
	fs.StringVar(&r.cluster, "redis-cluster", "", "comma-separated host:port seeds of a Redis Cluster (instead of --redis-url)")
	fs.StringVar(&r.sentinelMaster, "redis-sentinel-master", "", "master name, to reach Redis through Sentinel (with --redis-sentinel-addrs)")
	fs.StringVar(&r.sentinelAddrs, "redis-sentinel-addrs", "", "comma-separated host:port of the Sentinels")
	fs.StringVar(&r.password, "redis-password", "", "Redis password for --redis-cluster and Sentinel (URLs carry their own)")
	fs.StringVar(&r.prefix, "redis-prefix", "mp:", "prefix of every Redis key")
	fs.DurationVar(&r.retention, "ticket-retention", time.Hour, "how long ended tickets stay readable")
	fs.DurationVar(&r.sessions, "session-retention", 24*time.Hour, "how long ended game sessions and their player sessions stay describable")
	fs.IntVar(&r.waitReplicas, "redis-wait-replicas", 0, "make every ticket, configuration and event write wait until this many replicas have it (Redis WAIT), failing the call otherwise; one server or Sentinel only (docs/store.md, Durability)")
	fs.DurationVar(&r.waitTimeout, "redis-wait-timeout", time.Second, "how long a write waits for --redis-wait-replicas before it fails")
	r.registerWindows(fs)
}

// registerWindows adds --redis-batch-window and --redis-ticket-batch-window,
// which dev takes beside its own --redis-url.
func (r *redisFlags) registerWindows(fs *flag.FlagSet) {
	fs.DurationVar(&r.batchWindow, "redis-batch-window", defaultBatchWindow, batchWindowUsage)
	fs.DurationVar(&r.ticketWindow, "redis-ticket-batch-window", defaultTicketBatchWindow, ticketBatchWindowUsage)
}

// client opens the Redis client the flags describe.
func (r *redisFlags) client() (redis.UniversalClient, error) {
	switch {
	case r.waitReplicas < 0:
		return nil, fmt.Errorf("--redis-wait-replicas: must be 0 or more, got %d", r.waitReplicas)
	case r.batchWindow < 0 || r.batchWindow > maxBatchWindow:
		return nil, fmt.Errorf("--redis-batch-window: must be from 0 to %s, got %s", maxBatchWindow, r.batchWindow)
	case r.ticketWindow < 0 || r.ticketWindow > maxBatchWindow:
		return nil, fmt.Errorf("--redis-ticket-batch-window: must be from 0 to %s, got %s", maxBatchWindow, r.ticketWindow)
	case r.waitReplicas > 0 && r.cluster != "":
		return nil, errors.New("--redis-wait-replicas: not supported with --redis-cluster (a Cluster pipeline cannot send WAIT on the write's connection)")
	case r.cluster != "":
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: splitList(r.cluster), Password: r.password}), nil
	case r.sentinelMaster != "":
		if r.sentinelAddrs == "" {
			return nil, errors.New("--redis-sentinel-master needs --redis-sentinel-addrs")
		}
		return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: r.sentinelMaster, SentinelAddrs: splitList(r.sentinelAddrs), Password: r.password,
			AutoPipelineOptions: r.autoPipeline()}), nil
	}
	opts, err := redis.ParseURL(r.url)
	if err != nil {
		return nil, fmt.Errorf("--redis-url: %w", err)
	}
	opts.AutoPipelineOptions = r.autoPipeline()
	return redis.NewClient(opts), nil
}

// autoPipeline configures the autopipeliner the store sends creates
// through: with a batch window, it waits that long after each flush to
// gather more (store.NewRedis then sends it every create). Its batches stop
// at autoPipelineBatch commands, the capacity of go-redis's pooled queue
// slices: at its default of 200 each flush allocated a new 3.2 KB slice
// (10% of the bytes dev allocated per ticket at 2,000 tickets/s).
func (r *redisFlags) autoPipeline() *redis.AutoPipelineOptions {
	return &redis.AutoPipelineOptions{MaxFlushDelay: r.batchWindow, MaxBatchSize: autoPipelineBatch}
}

// autoPipelineBatch is the most commands one autopipelined batch gathers
// before it flushes (a soft limit: more may join one already waiting).
const autoPipelineBatch = 100

func (r *redisFlags) storeOptions() store.Options {
	ticketWindow := r.ticketWindow
	if ticketWindow == 0 {
		ticketWindow = -1 // no wait; the store's 0 would take the client's
	}
	return store.Options{Prefix: r.prefix, Retention: r.retention, SessionRetention: r.sessions, WaitReplicas: r.waitReplicas, WaitTimeout: r.waitTimeout,
		TicketBatchWindow: ticketWindow}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseFlags parses a command's flags with the environment and config file;
// it returns the exit code to stop with, or -1 to go on.
func parseFlags(fs *flag.FlagSet, args []string) int {
	err := cliconfig.Parse(fs, args, os.LookupEnv)
	switch {
	case err == nil:
		if fs.Lookup("log-format") != nil {
			return -1 // the command's logger warns (logFlags.logger)
		}
		for _, name := range cliconfig.UnusedEnv(fs, os.Environ()) {
			fmt.Fprintf(fs.Output(), "matchpoint %s: warning: environment variable %s is set but is no setting of this command (ignored); 'matchpoint %s --help' lists them\n", fs.Name(), name, fs.Name())
		}
		return -1
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintf(fs.Output(), "matchpoint %s: %v\n", fs.Name(), err)
	return 2
}

// newFlagSet returns a command's flag set with the config flag and a usage
// text that explains where settings come from.
func newFlagSet(name, summary string, stderr io.Writer) *flag.FlagSet {
	return newArgsFlagSet(name, "", summary, stderr)
}

// newArgsFlagSet is newFlagSet for a command that takes arguments after its
// flags, named in args ("NAME FILE") on its usage line.
func newArgsFlagSet(name, args, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String(cliconfig.ConfigFlag, "", "YAML file of settings: flag names as keys (also MATCHPOINT_CONFIG)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\n\n%s\n\nEvery flag can also be set by the environment variable MATCHPOINT_<FLAG> (upper case,\n'-' as '_') or by a key of the --config file; flags win over the environment, the\nenvironment over the file.\n\nflags:\n", usageLine(name, args), summary)
		fs.PrintDefaults()
	}
	madeFlagSet(fs)
	return fs
}

// newPlainFlagSet returns the flag set of a command that reads neither the
// environment nor a config file (version, rules): its usage text is the
// usage line, the summary and the flags it defines, if any.
func newPlainFlagSet(name, args, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		line := "usage: matchpoint " + name
		if args != "" {
			line += " " + args
		}
		if n > 0 {
			line = usageLine(name, args)
		}
		fmt.Fprintf(stderr, "%s\n\n%s\n", line, summary)
		if n > 0 {
			fmt.Fprint(stderr, "\nflags:\n")
			fs.PrintDefaults()
		}
	}
	madeFlagSet(fs)
	return fs
}

// madeFlagSet is told of every flag set a command makes. Tests replace it to
// compare each command's --help with the flags the command defines.
var madeFlagSet = func(*flag.FlagSet) {}

func usageLine(name, args string) string {
	line := "usage: matchpoint " + name + " [flags]"
	if args != "" {
		line += " " + args
	}
	return line
}

// natsFlags say how to reach the NATS cluster.
type natsFlags struct {
	url      string
	creds    string
	caFile   string
	certFile string
	keyFile  string
}

func (n *natsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.url, "nats-url", "nats://127.0.0.1:4222", "NATS server URLs, comma-separated (nats:// or tls://)")
	fs.StringVar(&n.creds, "nats-creds", "", "NATS credentials file (.creds: user JWT and nkey seed)")
	fs.StringVar(&n.caFile, "nats-ca", "", "PEM file of the CAs that sign the NATS servers' certificates")
	fs.StringVar(&n.certFile, "nats-cert", "", "PEM client certificate for NATS mutual TLS (with --nats-key)")
	fs.StringVar(&n.keyFile, "nats-key", "", "PEM private key of --nats-cert")
}

// connect dials NATS as the flags say, under the given client name.
func (n *natsFlags) connect(ctx context.Context, name string, log *slog.Logger) (*bus.Conn, error) {
	opts := bus.Options{Name: name, CredsFile: n.creds, Logger: log}
	if n.caFile != "" || n.certFile != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if n.caFile != "" {
			pem, err := os.ReadFile(n.caFile)
			if err != nil {
				return nil, fmt.Errorf("--nats-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--nats-ca: %s holds no PEM certificate", n.caFile)
			}
			cfg.RootCAs = pool
		}
		if n.certFile != "" {
			cert, err := tls.LoadX509KeyPair(n.certFile, n.keyFile)
			if err != nil {
				return nil, fmt.Errorf("--nats-cert/--nats-key: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		opts.TLS = cfg
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := bus.Connect(cctx, n.url, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", n.url, err)
	}
	return conn, nil
}
