package api

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// measuredServer is newServer with the request metrics on a registry of
// its own.
func measuredServer(t *testing.T, opts ...Option) (*server, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return newServer(t, nil, append(opts, WithMetrics(m))...), reg
}

// requestSeries gathers reg's request counts by "face action code" and the
// timed requests by "face action".
func requestSeries(t *testing.T, reg *prometheus.Registry) (counts, timed map[string]uint64) {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts, timed = map[string]uint64{}, map[string]uint64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetName() {
			case "matchpoint_api_requests_total":
				counts[labels["face"]+" "+labels["action"]+" "+labels["code"]] = uint64(m.GetCounter().GetValue())
			case "matchpoint_api_request_seconds":
				timed[labels["face"]+" "+labels["action"]] = m.GetHistogram().GetSampleCount()
			}
		}
	}
	return counts, timed
}

func TestRequestMetricsLabelEachFaceAndAction(t *testing.T) {
	s, reg := measuredServer(t)
	now := time.Now()
	if code, _, body := s.signed(t, "DescribeMatchmakingConfigurations", `{}`, now, keySecret); code != http.StatusOK {
		t.Fatalf("DescribeMatchmakingConfigurations: %d %s", code, body)
	}
	if code, _, _ := s.signed(t, "NoSuchOperation", `{}`, now, keySecret); code != http.StatusBadRequest {
		t.Fatalf("NoSuchOperation: %d, want 400", code)
	}
	s.must(t, "POST", "/v1/rulesets", `{"Name":`, http.StatusBadRequest)
	s.must(t, "GET", "/v1/nothing/here", ``, http.StatusNotFound)
	s.must(t, "GET", "/healthz", ``, http.StatusOK)
	// Not signed: refused before the operation is looked up, and a name that
	// is not an operation does not become a label value.
	cborCode, _ := s.doType(t, "POST", "/service/GameLift/operation/Made-Up", "application/cbor", nil)
	if cborCode < 400 {
		t.Fatalf("CBOR Made-Up: %d, want an error", cborCode)
	}
	// An event stream is counted, not timed (this one is refused at once).
	s.must(t, "GET", "/v1/events", ``, http.StatusBadRequest)

	counts, timed := requestSeries(t, reg)
	wantCounts := map[string]uint64{
		"gamelift DescribeMatchmakingConfigurations 200": 1,
		"gamelift unknown 400":                           1,
		"rest POST /v1/rulesets 400":                     1,
		"rest /v1/ 404":                                  1,
		"rest GET /healthz 200":                          1,
		"rest GET /v1/events 400":                        1,
		"cbor unknown " + strconv.Itoa(cborCode):         1,
	}
	if !maps.Equal(counts, wantCounts) {
		t.Errorf("request counts %v, want %v", counts, wantCounts)
	}
	for _, k := range []string{"gamelift DescribeMatchmakingConfigurations", "gamelift unknown", "rest POST /v1/rulesets", "rest /v1/", "rest GET /healthz", "cbor unknown"} {
		if timed[k] != 1 {
			t.Errorf("timed %q = %d, want 1 (all: %v)", k, timed[k], timed)
		}
	}
	if n, ok := timed["rest GET /v1/events"]; ok {
		t.Errorf("the event stream was timed (%d)", n)
	}
}

// TestRequestMetricsKeepEventStreamsLive: the recorder between the server
// and the handler still lets an event stream flush each event as it comes.
func TestRequestMetricsKeepEventStreamsLive(t *testing.T) {
	s, _ := measuredServer(t, WithHeartbeat(50*time.Millisecond), WithPollInterval(20*time.Millisecond))
	s.setup(t)
	c := s.stream(t, "/v1/events?configuration=c", "")
	s.startTicket(t, "t1", "p1")
	c.expect(1)
	c.cancel()
}

// TestRequestMetricsCountConcurrentRequests sends requests of two actions
// from many goroutines at once, each series made by whichever comes first.
func TestRequestMetricsCountConcurrentRequests(t *testing.T) {
	s, reg := measuredServer(t)
	const goroutines, each = 8, 25
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				path := "/healthz"
				if g%2 == 1 {
					path = "/v1/nothing"
				}
				req, err := http.NewRequest("GET", s.URL+path, nil)
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Authorization", "Bearer "+keySecret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	counts, timed := requestSeries(t, reg)
	half := uint64(goroutines / 2 * each)
	if counts["rest GET /healthz 200"] != half || counts["rest /v1/ 404"] != half {
		t.Errorf("counts %v, want %d of each", counts, half)
	}
	if timed["rest GET /healthz"] != half || timed["rest /v1/"] != half {
		t.Errorf("timed %v, want %d of each", timed, half)
	}
}

func TestNewMetricsRefusesASecondRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	_, err := NewMetrics(reg)
	if err == nil || !strings.Contains(err.Error(), "register API request metrics") {
		t.Fatalf("second NewMetrics: %v, want a registration error", err)
	}
}

// BenchmarkServeHTTPMetrics: what recording a request adds to the cheapest
// route (GET /healthz), served in process.
func BenchmarkServeHTTPMetrics(b *testing.B) {
	for _, measured := range []bool{false, true} {
		b.Run(map[bool]string{false: "off", true: "on"}[measured], func(b *testing.B) {
			var opts []Option
			if measured {
				m, err := NewMetrics(prometheus.NewRegistry())
				if err != nil {
					b.Fatal(err)
				}
				opts = append(opts, WithMetrics(m))
			}
			h := newServer(b, nil, opts...).Server.Config.Handler
			req := httptest.NewRequest("GET", "/healthz", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				w.Body.Reset()
				h.ServeHTTP(w, req)
			}
		})
	}
}
