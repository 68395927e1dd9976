package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The server's memory series (its Prometheus process and Go collectors).
// With the embedded default the Temporal worker runs in the API process,
// so this is the worker's memory too.
const (
	seriesRSS       = "process_resident_memory_bytes"
	seriesHeapInuse = "go_memstats_heap_inuse_bytes"
	// memoryEvery is the sampling period: a peak between two samples a
	// second apart is missed, which a run of a minute or more can afford.
	memoryEvery = time.Second
	// metricsTimeout bounds one scrape; a scrape answers in milliseconds.
	metricsTimeout = 5 * time.Second
	// mib converts bytes to MiB.
	mib = 1 << 20
)

// memorySampler keeps the peaks of the server's memory series.
type memorySampler struct {
	hc  *http.Client
	url string

	mu                sync.Mutex
	rssPeak, heapPeak float64 // bytes
	samples, failures int
	lastErr           error
	sawRSS, sawHeap   bool
}

// metricsURL turns the -metrics value into the URL to scrape: a URL
// without a path gets /metrics.
func metricsURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("bench: metrics address %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("bench: metrics address %q: want a URL such as http://127.0.0.1:9090/metrics", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/metrics"
	}
	return u.String(), nil
}

// run samples at once and then every period until ctx is done.
func (m *memorySampler) run(ctx context.Context, period time.Duration) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		m.sample(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sample scrapes the endpoint once and raises the peaks.
func (m *memorySampler) sample(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, metricsTimeout)
	defer cancel()
	vals, err := m.scrape(ctx)
	if ctx.Err() != nil && err != nil {
		return // the run ended during the scrape: not a failure
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.failures++
		m.lastErr = err
		return
	}
	m.samples++
	if v, ok := vals[seriesRSS]; ok {
		m.rssPeak, m.sawRSS = max(m.rssPeak, v), true
	}
	if v, ok := vals[seriesHeapInuse]; ok {
		m.heapPeak, m.sawHeap = max(m.heapPeak, v), true
	}
}

func (m *memorySampler) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := m.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d: %s", m.url, resp.StatusCode, excerpt(raw))
	}
	vals := gauges(raw, seriesRSS, seriesHeapInuse)
	if len(vals) == 0 {
		return nil, fmt.Errorf("%s has neither %s nor %s", m.url, seriesRSS, seriesHeapInuse)
	}
	return vals, nil
}

// peaks returns the peaks in MiB (nil for a series never seen) and, when
// some scrapes failed, the last error with how many did.
func (m *memorySampler) peaks() (rss, heap *float64, problem string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sawRSS {
		v := round(m.rssPeak/mib, 1)
		rss = &v
	}
	if m.sawHeap {
		v := round(m.heapPeak/mib, 1)
		heap = &v
	}
	if m.failures > 0 {
		problem = fmt.Sprintf("%d of %d memory samples failed, the last with: %v", m.failures, m.failures+m.samples, m.lastErr)
	}
	return rss, heap, problem
}

// gauges reads the values of the named unlabelled series from a
// Prometheus text exposition ("name value [timestamp]" lines; comments and
// labelled series are skipped). A series absent or unparsable is left out.
func gauges(exposition []byte, names ...string) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(exposition))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		for _, n := range names {
			if f[0] != n {
				continue
			}
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[n] = v
			}
		}
	}
	return out
}
