package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The outbox lag of the createTicket phase is read from the servers' own
// histogram: the bench cannot see when a change reaches its workflow, the
// dispatcher that delivers it can. Each worker process (every process that
// runs a dispatcher) is scraped before and after the phase, and the
// difference of the sums is the phase's lag distribution.
const (
	// seriesOutboxLag is the dispatchers' histogram, in seconds from the
	// commit of a change to its SignalWithStart.
	seriesOutboxLag = "helpdesk_outbox_lag_seconds"
	// drainTimeout bounds the wait, after the createTicket phase, for the
	// outbox to deliver every change the phase committed. A backlog that
	// takes longer is reported as such (LagStats.Undelivered), never as
	// throughput.
	drainTimeout = 30 * time.Second
	// drainPoll is how often the wait scrapes.
	drainPoll = 200 * time.Millisecond
)

// LagStats is the outbox lag of a phase's changes: from commit to the
// workflow's signal, over every change delivered from the start of the
// phase until its backlog drained. The percentiles are interpolated within
// the histogram's buckets (as PromQL's histogram_quantile does); MaxMs is
// the upper bound of the highest bucket that holds a change.
type LagStats struct {
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
	// Changes is how many changes the dispatchers delivered meanwhile.
	Changes int `json:"changes"`
	// DrainMs is how long after the end of the phase the last of them was
	// delivered (to the scrape period).
	DrainMs float64 `json:"drain_ms"`
	// Undelivered is how many of the phase's tickets had no delivery
	// counted when the wait gave up (drainTimeout).
	Undelivered int `json:"undelivered,omitempty"`
}

// lagHistogram is one cumulative histogram: upper bounds ascending, with
// +Inf last, and the cumulative count at each.
type lagHistogram struct {
	bounds []float64
	counts []uint64
}

func (h lagHistogram) total() uint64 {
	if len(h.counts) == 0 {
		return 0
	}
	return h.counts[len(h.counts)-1]
}

// minus is h less an earlier scrape of the same series (same bounds).
func (h lagHistogram) minus(before lagHistogram) lagHistogram {
	out := lagHistogram{bounds: h.bounds, counts: make([]uint64, len(h.counts))}
	for i, c := range h.counts {
		if i < len(before.counts) && before.counts[i] <= c {
			c -= before.counts[i]
		}
		out.counts[i] = c
	}
	return out
}

// plus adds another process's histogram with the same bounds.
func (h lagHistogram) plus(o lagHistogram) lagHistogram {
	if len(h.counts) == 0 {
		return o
	}
	out := lagHistogram{bounds: h.bounds, counts: append([]uint64(nil), h.counts...)}
	for i := range out.counts {
		if i < len(o.counts) {
			out.counts[i] += o.counts[i]
		}
	}
	return out
}

// quantile interpolates the q-quantile (0 < q ≤ 1) linearly within its
// bucket, taking 0 as the lower bound of the first; in the +Inf bucket it
// answers the highest finite bound.
func (h lagHistogram) quantile(q float64) float64 {
	n := h.total()
	if n == 0 {
		return 0
	}
	rank := q * float64(n)
	i := sort.Search(len(h.counts), func(i int) bool { return float64(h.counts[i]) >= rank })
	if i >= len(h.bounds) || math.IsInf(h.bounds[i], 1) {
		return h.highestFinite()
	}
	lo, below := 0.0, uint64(0)
	if i > 0 {
		lo, below = h.bounds[i-1], h.counts[i-1]
	}
	in := h.counts[i] - below
	if in == 0 {
		return h.bounds[i]
	}
	return lo + (h.bounds[i]-lo)*(rank-float64(below))/float64(in)
}

// maxBound is the upper bound of the highest bucket holding a value.
func (h lagHistogram) maxBound() float64 {
	for i := range h.counts {
		if h.counts[i] == h.total() {
			if math.IsInf(h.bounds[i], 1) {
				return h.highestFinite()
			}
			return h.bounds[i]
		}
	}
	return 0
}

func (h lagHistogram) highestFinite() float64 {
	for i := len(h.bounds) - 1; i >= 0; i-- {
		if !math.IsInf(h.bounds[i], 1) {
			return h.bounds[i]
		}
	}
	return 0
}

// parseLagHistogram reads seriesOutboxLag from a Prometheus text
// exposition.
func parseLagHistogram(r io.Reader) (lagHistogram, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return lagHistogram{}, err
	}
	fam, ok := fams[seriesOutboxLag]
	if !ok || fam.GetType() != dto.MetricType_HISTOGRAM || len(fam.GetMetric()) == 0 {
		return lagHistogram{}, fmt.Errorf("no histogram %s (is this a worker's /metrics? the outbox runs in serve and worker processes)", seriesOutboxLag)
	}
	hist := fam.GetMetric()[0].GetHistogram()
	var h lagHistogram
	for _, b := range hist.GetBucket() {
		if math.IsInf(b.GetUpperBound(), 1) {
			continue // the text form lists +Inf; the sample count stands for it below
		}
		h.bounds = append(h.bounds, b.GetUpperBound())
		h.counts = append(h.counts, b.GetCumulativeCount())
	}
	h.bounds = append(h.bounds, math.Inf(1))
	h.counts = append(h.counts, hist.GetSampleCount())
	return h, nil
}

// lagScraper reads the outbox lag histograms of the worker processes.
type lagScraper struct {
	hc   *http.Client
	urls []string
}

// scrape sums the histograms of every URL.
func (s *lagScraper) scrape(ctx context.Context) (lagHistogram, error) {
	var sum lagHistogram
	for _, u := range s.urls {
		ctx, cancel := context.WithTimeout(ctx, metricsTimeout)
		h, err := s.scrapeOne(ctx, u)
		cancel()
		if err != nil {
			return lagHistogram{}, fmt.Errorf("bench: outbox lag from %s: %w", u, err)
		}
		sum = sum.plus(h)
	}
	return sum, nil
}

func (s *lagScraper) scrapeOne(ctx context.Context, u string) (lagHistogram, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return lagHistogram{}, err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return lagHistogram{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return lagHistogram{}, fmt.Errorf("answered %d: %s", resp.StatusCode, excerpt(raw))
	}
	return parseLagHistogram(io.LimitReader(resp.Body, maxResponseBytes))
}

// drain waits until the dispatchers have delivered at least want changes
// since before, or drainTimeout has passed, and summarizes what they
// delivered. phaseEnd is when the phase stopped creating.
func (s *lagScraper) drain(ctx context.Context, before lagHistogram, want int, phaseEnd time.Time) (*LagStats, error) {
	deadline := phaseEnd.Add(drainTimeout)
	for {
		now, err := s.scrape(ctx)
		if err != nil {
			return nil, err
		}
		d := now.minus(before)
		got := int(d.total())
		if got >= want || time.Now().After(deadline) || ctx.Err() != nil {
			st := &LagStats{
				P50Ms:   millisOf(d.quantile(0.50)),
				P99Ms:   millisOf(d.quantile(0.99)),
				MaxMs:   millisOf(d.maxBound()),
				Changes: got,
				DrainMs: round(float64(time.Since(phaseEnd).Milliseconds()), 0),
			}
			if got < want {
				st.Undelivered = want - got
			}
			return st, nil
		}
		sleep(ctx, drainPoll)
	}
}

func millisOf(seconds float64) float64 { return round(seconds*1000, 3) }
