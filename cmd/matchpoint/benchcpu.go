package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/internal/rediscpu"
)

// cpuFlags name the processes whose CPU a bench run charges to its unit of
// work: local processes by pid (read from /proc), processes that serve
// Prometheus metrics (their process_cpu_seconds_total), and Redis servers
// (INFO cpu). Reading the process under test, rather than the machine's
// wall-clock throughput, is the figure that noise on a shared machine moves
// least.
type cpuFlags struct {
	pids, urls, redis string
}

func (c *cpuFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&c.pids, "cpu-pids", "", "comma-separated pids of local processes whose CPU (from /proc) to report per "+what)
	fs.StringVar(&c.urls, "cpu-metrics-urls", "", "comma-separated Prometheus /metrics URLs whose process_cpu_seconds_total to report per "+what)
	fs.StringVar(&c.redis, "cpu-redis", "", "comma-separated Redis URLs whose INFO cpu (used_cpu_user + used_cpu_sys) to report per "+what)
}

// cpuSource reads one process's total CPU time in seconds and, when the
// process is local (a pid, a Redis server on this machine), its procCounts.
type cpuSource struct {
	name  string
	read  func(ctx context.Context) (float64, error)
	local func(ctx context.Context) (procCounts, error) // nil when not known
}

// procCounts is what /proc tells of a local process beside its CPU time. On
// a virtual machine a minor page fault can cost 10 µs or more, and a
// context switch (a thread going to sleep, or woken) several: a process
// whose memory grows during a run, or that wakes for every request, pays
// for it in CPU. waited is the time its threads were runnable but not
// running, on a run queue behind other work (-1 when the kernel does not
// keep it): what the machine's other processes cost the process under test
// in latency.
type procCounts struct {
	faults   int64
	switches int64
	waited   time.Duration
}

// sources returns the CPU sources the flags name; an unparsable value is an
// error naming its flag.
func (c *cpuFlags) sources() ([]cpuSource, error) {
	var out []cpuSource
	for _, p := range splitList(c.pids) {
		pid, err := strconv.Atoi(p)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("--cpu-pids: %q is not a pid", p)
		}
		out = append(out, cpuSource{name: "pid " + p, read: func(context.Context) (float64, error) { return procCPUSeconds(pid) },
			local: func(context.Context) (procCounts, error) { return procCountsOf(pid) }})
	}
	for _, u := range splitList(c.urls) {
		out = append(out, cpuSource{name: u, read: func(ctx context.Context) (float64, error) { return metricsCPUSeconds(ctx, u) }})
	}
	for _, u := range splitList(c.redis) {
		opts, err := redis.ParseURL(u)
		if err != nil {
			return nil, fmt.Errorf("--cpu-redis: %w", err)
		}
		out = append(out, cpuSource{name: "redis " + opts.Addr, read: func(ctx context.Context) (float64, error) { return redisCPUSeconds(ctx, opts) },
			local: func(ctx context.Context) (procCounts, error) { return redisProcCounts(ctx, opts) }})
	}
	return out, nil
}

// userHZ is the unit of /proc/PID/stat's utime and stime (USER_HZ, 100 on
// every Linux architecture Go supports).
const userHZ = 100

// procCPUSeconds is the user and system CPU time of every thread of pid.
func procCPUSeconds(pid int) (float64, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	// utime and stime are fields 14 and 15; f starts at field 3.
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %q stime %q", pid, f[11], f[12])
	}
	return (utime + stime) / userHZ, nil
}

// procMinorFaults is the minor page faults of every thread of pid.
func procMinorFaults(pid int) (int64, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	// minflt is field 10.
	n, err := strconv.ParseInt(f[7], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: minflt %q", pid, f[7])
	}
	return n, nil
}

// procCountsOf reads pid's procCounts: its minor page faults from
// /proc/<pid>/stat, and the context switches and run queue waits of each of
// its threads from /proc/<pid>/task. A thread that ends between two reads
// takes its counts with it (Go and Redis keep theirs).
func procCountsOf(pid int) (procCounts, error) {
	faults, err := procMinorFaults(pid)
	if err != nil {
		return procCounts{}, err
	}
	c := procCounts{faults: faults}
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return procCounts{}, err
	}
	for _, t := range tasks {
		status, err := os.ReadFile(dir + "/" + t.Name() + "/status")
		if errors.Is(err, fs.ErrNotExist) {
			continue // the thread ended
		}
		if err != nil {
			return procCounts{}, err
		}
		n, err := parseContextSwitches(status)
		if err != nil {
			return procCounts{}, fmt.Errorf("%s/%s/status: %w", dir, t.Name(), err)
		}
		c.switches += n
		if c.waited < 0 {
			continue
		}
		sched, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if err != nil {
			c.waited = -1 // a kernel without CONFIG_SCHED_INFO, or the thread ended
			continue
		}
		w, err := parseRunQueueWait(sched)
		if err != nil {
			return procCounts{}, fmt.Errorf("%s/%s/schedstat: %w", dir, t.Name(), err)
		}
		c.waited += w
	}
	return c, nil
}

// parseContextSwitches is the sum of a /proc status file's
// voluntary_ctxt_switches and nonvoluntary_ctxt_switches.
func parseContextSwitches(status []byte) (int64, error) {
	var total int64
	found := 0
	for line := range strings.SplitSeq(string(status), "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok || (key != "voluntary_ctxt_switches" && key != "nonvoluntary_ctxt_switches") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s %q is not a count", key, strings.TrimSpace(value))
		}
		if n > math.MaxInt64-total {
			return 0, fmt.Errorf("%s %d: the sum overflows", key, n)
		}
		total += n
		found++
	}
	if found != 2 {
		return 0, errors.New("no voluntary_ctxt_switches and nonvoluntary_ctxt_switches")
	}
	return total, nil
}

// parseRunQueueWait is the second field of a /proc schedstat file: the
// nanoseconds a thread has spent runnable, waiting for a CPU.
func parseRunQueueWait(schedstat []byte) (time.Duration, error) {
	f := strings.Fields(string(schedstat))
	if len(f) != 3 {
		return 0, fmt.Errorf("%d fields, want 3 (running, waiting, time slices)", len(f))
	}
	ns, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || ns < 0 {
		return 0, fmt.Errorf("waiting time %q is not a count of nanoseconds", f[1])
	}
	return time.Duration(ns), nil
}

// procStat returns the fields of /proc/<pid>/stat from the third (state)
// on, at least up to stime.
func procStat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	return f, nil
}

// metricsCPUSeconds reads process_cpu_seconds_total from a /metrics URL.
func metricsCPUSeconds(ctx context.Context, url string) (float64, error) {
	families, err := scrapeMetrics(ctx, url)
	if err != nil {
		return 0, err
	}
	ms := families["process_cpu_seconds_total"].GetMetric()
	if len(ms) == 0 {
		return 0, fmt.Errorf("GET %s: no process_cpu_seconds_total", url)
	}
	return ms[0].GetCounter().GetValue(), nil
}

// redisCPUSeconds is a Redis server's used_cpu_user + used_cpu_sys.
func redisCPUSeconds(ctx context.Context, opts *redis.Options) (float64, error) {
	c := redis.NewClient(opts)
	defer c.Close()
	used, err := rediscpu.Used(ctx, c)
	if err != nil {
		return 0, fmt.Errorf("redis %s: %w", opts.Addr, err)
	}
	return used.Seconds(), nil
}

// redisProcCounts is a Redis server's procCounts, when it runs on this
// machine (its INFO process_id is a process here).
func redisProcCounts(ctx context.Context, opts *redis.Options) (procCounts, error) {
	info, err := redisInfo(ctx, opts, "server")
	if err != nil {
		return procCounts{}, err
	}
	pid, err := strconv.Atoi(info["process_id"])
	if err != nil {
		return procCounts{}, fmt.Errorf("redis %s: INFO server process_id %q", opts.Addr, info["process_id"])
	}
	return procCountsOf(pid)
}

// redisInfo is one section of a Redis server's INFO, by field.
func redisInfo(ctx context.Context, opts *redis.Options, section string) (map[string]string, error) {
	c := redis.NewClient(opts)
	defer c.Close()
	sections, err := c.InfoMap(ctx, section).Result()
	if err != nil {
		return nil, fmt.Errorf("redis %s: INFO %s: %w", opts.Addr, section, err)
	}
	fields := map[string]string{}
	for _, f := range sections {
		maps.Copy(fields, f)
	}
	return fields, nil
}

// cpuRun is the CPU the sources used during a run, and the bench's own.
type cpuRun struct {
	sources []cpuSource
	before  []float64
	errs    []error
	// local are the sources' procCounts before the run, ok where known.
	local   []procCounts
	localOK []bool
	start   time.Time
	// self is the bench process's CPU before the run, selfErr why it could
	// not be read (no /proc).
	self    float64
	selfErr error
}

// startCPU reads every source once, before the run.
func startCPU(ctx context.Context, sources []cpuSource) *cpuRun {
	r := &cpuRun{sources: sources, before: make([]float64, len(sources)), errs: make([]error, len(sources)),
		local: make([]procCounts, len(sources)), localOK: make([]bool, len(sources)), start: time.Now()}
	for i, s := range sources {
		r.before[i], r.errs[i] = s.read(ctx)
		r.local[i], r.localOK[i] = readLocal(ctx, s)
	}
	r.self, r.selfErr = procCPUSeconds(os.Getpid())
	return r
}

// report reads the sources again and returns one line per source and a
// total: CPU seconds, the share of one core, and the CPU per unit of work
// (units of it done in the run); then the same for the bench process
// itself, outside the total.
func (r *cpuRun) report(ctx context.Context, units int64, unit string) string {
	if len(r.sources) == 0 {
		return ""
	}
	elapsed := time.Since(r.start).Seconds()
	var b strings.Builder
	var total float64
	ok := 0
	for i, s := range r.sources {
		after, err := s.read(ctx)
		if err == nil {
			err = r.errs[i]
		}
		if err != nil {
			fmt.Fprintf(&b, "cpu %s: not measured: %v\n", s.name, err)
			continue
		}
		used := after - r.before[i]
		total += used
		ok++
		fmt.Fprintf(&b, "cpu %s: %.2fs (%.0f%% of a core), %s per %s", s.name, used, 100*used/elapsed, perUnit(used, units), unit)
		if now, ok := readLocal(ctx, s); ok && r.localOK[i] {
			was := r.local[i]
			fmt.Fprintf(&b, "; %d page faults, %s per %s", now.faults-was.faults, perUnitCount(now.faults-was.faults, units), unit)
			fmt.Fprintf(&b, "; %d context switches, %s per %s", now.switches-was.switches, perUnitCount(now.switches-was.switches, units), unit)
			if now.waited >= 0 && was.waited >= 0 {
				fmt.Fprintf(&b, "; runnable without a CPU %.2fs", (now.waited - was.waited).Seconds())
			}
		}
		b.WriteByte('\n')
	}
	if ok > 1 {
		fmt.Fprintf(&b, "cpu total: %.2fs, %s per %s\n", total, perUnit(total, units), unit)
	}
	// The generator shares the machine: its CPU says how much of it the
	// processes under test had, but is not theirs.
	if after, err := procCPUSeconds(os.Getpid()); err == nil && r.selfErr == nil {
		used := after - r.self
		fmt.Fprintf(&b, "cpu of this generator (not in the total): %.2fs (%.0f%% of a core), %s per %s\n", used, 100*used/elapsed, perUnit(used, units), unit)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// readLocal is s's procCounts, if it can be read.
func readLocal(ctx context.Context, s cpuSource) (procCounts, bool) {
	if s.local == nil {
		return procCounts{}, false
	}
	c, err := s.local(ctx)
	return c, err == nil
}

func perUnitCount(n, units int64) string {
	if units <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", float64(n)/float64(units))
}

func perUnit(seconds float64, units int64) string {
	if units <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fµs", seconds*1e6/float64(units))
}
