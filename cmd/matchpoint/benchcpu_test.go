package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

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
	// This process has used CPU; spin until /proc shows more of it.
	before, err := sources[0].read(ctx)
	if err != nil || before <= 0 {
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
