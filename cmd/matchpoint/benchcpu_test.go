package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/internal/poll"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

func TestCPUSources(t *testing.T) {
	ctx := t.Context()
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\n"))
	}))
	defer metrics.Close()
	rs := redistest.Start(t)
	cf := cpuFlags{pids: strconv.Itoa(os.Getpid()), urls: metrics.URL, redis: "redis://" + rs.Addr}
	sources, err := cf.sources()
	if err != nil || len(sources) != 3 {
		t.Fatalf("sources: %d %v", len(sources), err)
	}
	// Spin until /proc shows this process using CPU (a test run alone may
	// start under one 10 ms tick).
	before, err := sources[0].read(ctx)
	if err != nil || before < 0 {
		t.Fatalf("pid: %v %v", before, err)
	}
	for {
		if now, _ := sources[0].read(ctx); now > before {
			break
		}
	}
	if v, err := sources[1].read(ctx); err != nil || v != 12.5 {
		t.Fatalf("metrics: %v %v", v, err)
	}
	if v, err := sources[2].read(ctx); err != nil || v < 0 {
		t.Fatalf("redis: %v %v", v, err)
	}
	run := startCPU(ctx, sources)
	// Wait until this process's threads have been switched out (the poll's
	// own waits do it): the run then has context switches to report.
	var counts procCounts
	poll.Must(t, 5*time.Second, func() string { return fmt.Sprintf("context switches past %d: %+v", run.local[0].switches, counts) }, func() bool {
		counts, err = procCountsOf(os.Getpid())
		return err == nil && counts.switches > run.local[0].switches
	})
	// Fresh memory, touched page by page: page faults of this process.
	fresh := make([]byte, 16<<20)
	for i := 0; i < len(fresh); i += 4096 {
		fresh[i] = 1
	}
	runtime.KeepAlive(fresh)
	out := run.report(ctx, 1000, "delivered message")
	for _, want := range []string{"cpu pid " + strconv.Itoa(os.Getpid()) + ": ", "cpu " + metrics.URL + ": 0.00s", "per delivered message", "cpu redis " + rs.Addr, "cpu total: ",
		"cpu of this generator (not in the total): "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`cpu pid \d+: [^\n]*; (\d+) page faults, [0-9.]+ per delivered message`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no page faults for the pid:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 {
		t.Errorf("0 page faults after touching 16 MB of fresh memory:\n%s", out)
	}
	if !regexp.MustCompile(`cpu redis [^\n]*; \d+ page faults`).MatchString(out) {
		t.Errorf("no page faults for the local Redis:\n%s", out)
	}
	m = regexp.MustCompile(`cpu pid \d+: [^\n]*; (\d+) context switches, [0-9.]+ per delivered message; runnable without a CPU (\d+\.\d\d)s`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no context switches or run queue wait for the pid:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 {
		t.Errorf("0 context switches over a run that slept:\n%s", out)
	}
	if strings.Contains(strings.Split(out, "\n")[1], "page faults") {
		t.Errorf("page faults for a /metrics URL, which has no pid here:\n%s", out)
	}
}

func TestCPUSourcesBadInput(t *testing.T) {
	for _, tc := range []struct {
		cf   cpuFlags
		want string
	}{
		{cpuFlags{pids: "12,x"}, `--cpu-pids: "x" is not a pid`},
		{cpuFlags{pids: "-3"}, `--cpu-pids: "-3" is not a pid`},
		{cpuFlags{redis: "http://x"}, "--cpu-redis: "},
	} {
		if _, err := tc.cf.sources(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cf, err, tc.want)
		}
	}
	run := startCPU(context.Background(), []cpuSource{{name: "pid 999999999", read: func(context.Context) (float64, error) { return procCPUSeconds(999999999) }}})
	if out := run.report(context.Background(), 10, "x"); !strings.Contains(out, "cpu pid 999999999: not measured: ") {
		t.Errorf("a missing process: %s", out)
	}
}

// parseCase is one input of a /proc parser: the value it gives, or the
// error it must give.
type parseCase[T comparable] struct {
	name, in string
	want     T
	err      string
}

func checkParser[T comparable](t *testing.T, parse func([]byte) (T, error), cases []parseCase[T]) {
	t.Helper()
	for _, tc := range cases {
		got, err := parse([]byte(tc.in))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, %v; want error %q", tc.name, got, err, tc.err)
			}
		case err != nil || got != tc.want:
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestParseContextSwitches(t *testing.T) {
	checkParser(t, parseContextSwitches, []parseCase[int64]{
		{name: "status", in: "Name:\tmatchpoint\nThreads:\t1\nvoluntary_ctxt_switches:\t1520\nnonvoluntary_ctxt_switches:\t31\n", want: 1551},
		{name: "no trailing newline", in: "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t7", want: 7},
		{name: "one missing", in: "voluntary_ctxt_switches:\t3\n", err: "no voluntary_ctxt_switches and nonvoluntary_ctxt_switches"},
		{name: "empty", in: "", err: "no voluntary_ctxt_switches"},
		{name: "not a number", in: "voluntary_ctxt_switches:\tmany\nnonvoluntary_ctxt_switches:\t1\n", err: `voluntary_ctxt_switches "many" is not a count`},
		{name: "negative", in: "voluntary_ctxt_switches:\t1\nnonvoluntary_ctxt_switches:\t-1\n", err: `nonvoluntary_ctxt_switches "-1" is not a count`},
		{name: "overflow", in: "voluntary_ctxt_switches:\t9223372036854775807\nnonvoluntary_ctxt_switches:\t1\n", err: "nonvoluntary_ctxt_switches 1: the sum overflows"},
	})
}

func TestParseRunQueueWait(t *testing.T) {
	checkParser(t, parseRunQueueWait, []parseCase[time.Duration]{
		{name: "schedstat", in: "233699004 21902449 525\n", want: 21902449},
		{name: "never waited", in: "0 0 1", want: 0},
		{name: "two fields", in: "1 2\n", err: "2 fields, want 3"},
		{name: "empty", in: "", err: "0 fields, want 3"},
		{name: "not a number", in: "1 x 3", err: `waiting time "x" is not a count of nanoseconds`},
		{name: "negative", in: "1 -5 3", err: `waiting time "-5"`},
	})
}

// FuzzParseProcCounts feeds the /proc parsers arbitrary files: an answer is
// a count that is never negative, or an error, never a panic.
func FuzzParseProcCounts(f *testing.F) {
	f.Add([]byte("voluntary_ctxt_switches:\t1520\nnonvoluntary_ctxt_switches:\t31\n"))
	f.Add([]byte("233699004 21902449 525\n"))
	f.Add([]byte("voluntary_ctxt_switches:\t9223372036854775807\nnonvoluntary_ctxt_switches:\t9223372036854775807\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := parseContextSwitches(b); err == nil && n < 0 {
			t.Errorf("parseContextSwitches(%q) = %d", b, n)
		}
		if d, err := parseRunQueueWait(b); err == nil && d < 0 {
			t.Errorf("parseRunQueueWait(%q) = %v", b, d)
		}
	})
}
