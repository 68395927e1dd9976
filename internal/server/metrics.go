package server

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// operations and operationDuration count and time GraphQL operations
	// (see operationLabel and outcomeLabel for their labels).
	operations        *prometheus.CounterVec
	operationDuration *prometheus.HistogramVec
}

// latencyBuckets resolve the API's latencies, from a cached read (about a
// millisecond) to a slow page (seconds).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_http_requests_total", Help: "HTTP requests by handler and status code.",
		}, []string{"handler", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "helpdesk_http_request_duration_seconds", Help: "HTTP request latency by handler.",
			Buckets: latencyBuckets,
		}, []string{"handler"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "helpdesk_graphql_requests_total",
			Help: "GraphQL operations by root field (operation) and outcome: ok, or the extensions.code of the first error.",
		}, []string{"operation", "outcome"}),
		operationDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "helpdesk_graphql_request_duration_seconds",
			Help:    "GraphQL query and mutation latency by root field, from reading the request to the response.",
			Buckets: latencyBuckets,
		}, []string{"operation"}),
	}
	reg.MustRegister(m.requests, m.duration, m.operations, m.operationDuration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (and WebSocket hijacking) reach the
// real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (m *metrics) instrument(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusSwitchingProtocols // hijacked WebSocket
		}
		m.requests.WithLabelValues(name, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	})
}

// Hijack hands the connection to a WebSocket upgrade.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("server: connection cannot be hijacked")
	}
	w.code = http.StatusSwitchingProtocols
	return h.Hijack()
}

// Flush passes streaming responses through.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
