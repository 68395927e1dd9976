package app

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// temporalLatencyBuckets resolve the SDK's latencies: a poll or a local
// activity (milliseconds) to a workflow's end-to-end time (hours are in
// +Inf; the counters say how many ended).
var temporalLatencyBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

// temporalMetrics is the Temporal SDK's metrics handler on the process's
// registry: the SDK's own series — workflow and activity outcomes
// (temporal_workflow_completed_total, temporal_workflow_failed_total,
// temporal_activity_execution_failed_total,
// temporal_local_activity_execution_failed_total …), task latencies,
// requests to the server — named as Prometheus wants them (a counter ends
// in _total, a timer is a histogram in seconds) and labelled with the
// SDK's tags (namespace, task_queue, workflow_type, activity_type,
// operation …, all bounded by the deployment, none per workflow).
type temporalMetrics struct {
	s    *temporalSeries
	keys []string // the tags' names, sorted
	vals []string // their values, in keys' order
}

// temporalSeries holds every series the SDK asked for. The SDK gives one
// metric different tags in different places, so a name may have several
// label sets: one vector per name and label set, collected together (an
// unchecked collector: the registry cannot know the sets in advance).
type temporalSeries struct {
	mu   sync.Mutex
	vecs map[string]prometheus.Collector // name + "\x00" + label names
}

func newTemporalSeries() *temporalSeries {
	return &temporalSeries{vecs: map[string]prometheus.Collector{}}
}

func (s *temporalSeries) Describe(chan<- *prometheus.Desc) {}

func (s *temporalSeries) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	vecs := slices.Collect(maps.Values(s.vecs))
	s.mu.Unlock()
	for _, v := range vecs {
		v.Collect(ch)
	}
}

// vec returns the vector of name and keys, made by mk the first time.
func (s *temporalSeries) vec(name string, keys []string, mk func() prometheus.Collector) prometheus.Collector {
	k := name + "\x00" + strings.Join(keys, ",")
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vecs[k]
	if !ok {
		v = mk()
		s.vecs[k] = v
	}
	return v
}

func (m temporalMetrics) WithTags(tags map[string]string) client.MetricsHandler {
	all := make(map[string]string, len(m.keys)+len(tags))
	for i, k := range m.keys {
		all[k] = m.vals[i]
	}
	for k, v := range tags {
		all[labelName(k)] = v
	}
	keys := slices.Sorted(maps.Keys(all))
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = all[k]
	}
	return temporalMetrics{s: m.s, keys: keys, vals: vals}
}

func (m temporalMetrics) Counter(name string) client.MetricsCounter {
	fq := metricName(name)
	if !strings.HasSuffix(fq, "_total") {
		fq += "_total"
	}
	v := m.s.vec(fq, m.keys, func() prometheus.Collector {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: fq, Help: "Temporal SDK counter " + name + "."}, m.keys)
	}).(*prometheus.CounterVec)
	c := v.WithLabelValues(m.vals...)
	return counterFunc(func(d int64) {
		if d > 0 {
			c.Add(float64(d))
		}
	})
}

func (m temporalMetrics) Gauge(name string) client.MetricsGauge {
	fq := metricName(name)
	v := m.s.vec(fq, m.keys, func() prometheus.Collector {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: fq, Help: "Temporal SDK gauge " + name + "."}, m.keys)
	}).(*prometheus.GaugeVec)
	g := v.WithLabelValues(m.vals...)
	return gaugeFunc(g.Set)
}

func (m temporalMetrics) Timer(name string) client.MetricsTimer {
	fq := metricName(name) + "_seconds"
	v := m.s.vec(fq, m.keys, func() prometheus.Collector {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: fq, Help: "Temporal SDK timer " + name + ", in seconds.",
			Buckets: temporalLatencyBuckets}, m.keys)
	}).(*prometheus.HistogramVec)
	h := v.WithLabelValues(m.vals...)
	return timerFunc(func(d time.Duration) { h.Observe(d.Seconds()) })
}

type (
	counterFunc func(int64)
	gaugeFunc   func(float64)
	timerFunc   func(time.Duration)
)

func (f counterFunc) Inc(d int64)          { f(d) }
func (f gaugeFunc) Update(v float64)       { f(v) }
func (f timerFunc) Record(d time.Duration) { f(d) }

// metricName and labelName keep the SDK's names (temporal_…, snake case)
// within Prometheus's alphabet.
func metricName(s string) string { return sanitize(s, true) }
func labelName(s string) string  { return sanitize(s, false) }

func sanitize(s string, colon bool) string {
	b := []byte(s)
	for i, c := range b {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || (i > 0 && c >= '0' && c <= '9') || (colon && c == ':')
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}
