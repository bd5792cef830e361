package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Faces of the API, the face label of the request metrics.
const (
	faceGameLift = "gamelift" // JSON 1.1, POST / with X-Amz-Target
	faceCBOR     = "cbor"     // RPC v2 CBOR, POST /service/GameLift/operation/<Action>
	faceREST     = "rest"     // the REST face and /healthz: the route's pattern
)

// unknownAction is the action label of a request no route or operation
// matched, so that what a client sends cannot add label values.
const unknownAction = "unknown"

// requestBuckets span a create answered from memory (under a millisecond)
// to one that waited out a store's timeout (seconds).
var requestBuckets = []float64{0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// Metrics count the API's requests and time them, by face and action (and
// the answer's HTTP status for the count): matchpoint_api_requests_total and
// matchpoint_api_request_seconds.
type Metrics struct {
	requests *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	// series holds each face and action's series, so that a request finds
	// them without hashing label values.
	mu     sync.RWMutex
	series map[seriesKey]*actionSeries
}

type seriesKey struct {
	face, action string
	code         int
}

// actionSeries are the series of one face, action and status: its counter
// and its action's histogram (nil for an event stream).
type actionSeries struct {
	count   prometheus.Counter
	seconds prometheus.Observer
}

// NewMetrics registers the request metrics on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_api_requests_total",
			Help: "API requests answered, by face (gamelift, cbor, rest), action (the GameLift operation or the REST route) and HTTP status."},
			[]string{"face", "action", "code"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "matchpoint_api_request_seconds",
			Help:    "Time from a request's headers read to its answer written, by face and action; event streams are not timed.",
			Buckets: requestBuckets}, []string{"face", "action"}),
		series: map[seriesKey]*actionSeries{},
	}
	for _, c := range []prometheus.Collector{m.requests, m.seconds} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register API request metrics: %w", err)
		}
	}
	return m, nil
}

// observe records one answered request; timed is false for an event
// stream (a route either streams or does not).
func (m *Metrics) observe(face, action string, code int, d time.Duration, timed bool) {
	k := seriesKey{face, action, code}
	m.mu.RLock()
	s := m.series[k]
	m.mu.RUnlock()
	if s == nil {
		s = &actionSeries{count: m.requests.WithLabelValues(face, action, strconv.Itoa(code))}
		if timed {
			s.seconds = m.seconds.WithLabelValues(face, action)
		}
		m.mu.Lock()
		if got := m.series[k]; got != nil {
			s = got
		} else {
			m.series[k] = s
		}
		m.mu.Unlock()
	}
	s.count.Inc()
	if s.seconds != nil {
		s.seconds.Observe(d.Seconds())
	}
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer (the
// event streams flush through it).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// serveMeasured serves r through the mux and records it: the action is the
// GameLift operation for the two AWS faces (when it is one) and the matched
// route's pattern for the rest.
func (h *Handler) serveMeasured(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	h.mux.ServeHTTP(rec, r)
	face, action := faceREST, r.Pattern
	switch r.Pattern {
	case "":
		action = unknownAction
	case gameliftPattern:
		target, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), gameliftTargetPrefix)
		face, action = faceGameLift, h.operationName(target, ok)
	case cborPattern:
		face, action = faceCBOR, h.operationName(r.PathValue("action"), true)
	}
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	h.metrics.observe(face, action, rec.code, time.Since(start), !isStream(r.Pattern))
}

// operationName is name when it is an operation of the GameLift faces.
func (h *Handler) operationName(name string, ok bool) string {
	if !ok || h.gamelift[name] == nil {
		return unknownAction
	}
	return name
}

// isStream reports whether pattern serves an event stream, whose requests
// last as long as the client listens.
func isStream(pattern string) bool {
	return pattern == eventsPattern || pattern == ticketEventsPattern
}
