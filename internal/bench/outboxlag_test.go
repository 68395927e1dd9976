package bench

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// exposition is a worker's histogram as client_golang writes it.
func exposition(counts [4]int) string {
	return strings.NewReplacer(
		"B1", itoa(counts[0]), "B2", itoa(counts[1]), "B3", itoa(counts[2]), "N", itoa(counts[3]),
	).Replace(`# HELP helpdesk_outbox_lag_seconds Seconds from a change's commit to its workflow.
# TYPE helpdesk_outbox_lag_seconds histogram
helpdesk_outbox_lag_seconds_bucket{le="0.01"} B1
helpdesk_outbox_lag_seconds_bucket{le="0.1"} B2
helpdesk_outbox_lag_seconds_bucket{le="1"} B3
helpdesk_outbox_lag_seconds_bucket{le="+Inf"} N
helpdesk_outbox_lag_seconds_sum 1.5
helpdesk_outbox_lag_seconds_count N
# TYPE go_goroutines gauge
go_goroutines 42
`)
}

func itoa(n int) string { return strconv.Itoa(n) }

func parse(t *testing.T, text string) lagHistogram {
	t.Helper()
	h, err := parseLagHistogram(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestLagOfAPhaseIsTheDifferenceOfTwoScrapesSummedOverWorkers(t *testing.T) {
	t.Parallel()
	before := parse(t, exposition([4]int{5, 5, 5, 5}))
	if !slices.Equal(before.bounds, []float64{0.01, 0.1, 1, math.Inf(1)}) || !slices.Equal(before.counts, []uint64{5, 5, 5, 5}) {
		t.Fatalf("parsed bounds %v counts %v, want the three bounds and +Inf once", before.bounds, before.counts)
	}
	// Worker one delivered 100 more: 50 under 10 ms, 48 under 100 ms, 2 under 1 s.
	one := parse(t, exposition([4]int{55, 103, 105, 105})).minus(before)
	// Worker two delivered 100, all under 10 ms.
	two := parse(t, exposition([4]int{100, 100, 100, 100}))
	d := one.plus(two)
	if d.total() != 200 {
		t.Fatalf("total %d, want 200", d.total())
	}
	// 150 of 200 under 10 ms: the median lies in the first bucket, at 100/150 of it.
	if got := d.quantile(0.5); math.Abs(got-0.01*100/150) > 1e-9 {
		t.Errorf("p50 = %v", got)
	}
	// The 198th lies at the end of the second bucket.
	if got := d.quantile(0.99); math.Abs(got-0.1) > 1e-9 {
		t.Errorf("p99 = %v, want 0.1", got)
	}
	if got := d.maxBound(); got != 1 {
		t.Errorf("max bound = %v, want 1 (the bucket of the two slowest)", got)
	}
}

func TestLagBeyondTheLastBucketIsReportedAsItsBoundNotAsInfinity(t *testing.T) {
	t.Parallel()
	h := parse(t, exposition([4]int{0, 0, 1, 3}))
	if got := h.quantile(0.99); got != 1 {
		t.Errorf("p99 in +Inf = %v, want the highest finite bound 1", got)
	}
	if got := h.maxBound(); got != 1 {
		t.Errorf("max = %v, want 1", got)
	}
}

func TestAProcessWithoutTheOutboxHistogramIsNamed(t *testing.T) {
	t.Parallel()
	_, err := parseLagHistogram(strings.NewReader("# TYPE go_goroutines gauge\ngo_goroutines 1\n"))
	if err == nil || !strings.Contains(err.Error(), "helpdesk_outbox_lag_seconds") || !strings.Contains(err.Error(), "worker") {
		t.Errorf("err = %v, want it to name the histogram and say where it lives", err)
	}
}
