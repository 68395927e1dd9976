package bench

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ms(n ...int) []time.Duration {
	out := make([]time.Duration, len(n))
	for i, v := range n {
		out[i] = time.Duration(v) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no samples → 0", nil, 50, 0},
		{"one sample is every percentile", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 1..100 is 50", hundred, 50, 50 * time.Millisecond},
		{"p95 of 1..100 is 95", hundred, 95, 95 * time.Millisecond},
		{"p99 of 1..100 is 99", hundred, 99, 99 * time.Millisecond},
		{"p100 is the max", hundred, 100, 100 * time.Millisecond},
		{"p50 of 4 samples is the 2nd (nearest rank)", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p95 of 4 samples is the 4th", ms(1, 2, 3, 4), 95, 4 * time.Millisecond},
		{"p50 of 5 samples is the 3rd", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"tiny p rounds up to the first sample", ms(1, 2, 3), 0.1, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestComputeStats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		samples  []time.Duration
		failed   int
		measured time.Duration
		want     OpStats
	}{
		{
			name:     "unsorted samples are sorted; throughput counts successes only",
			samples:  ms(40, 10, 30, 20),
			failed:   2,
			measured: 2 * time.Second,
			want:     OpStats{Requests: 6, Errors: 2, ThroughputPerS: 2, P50Ms: 20, P95Ms: 40, P99Ms: 40, MaxMs: 40},
		},
		{
			name:     "only errors → zero latencies",
			failed:   3,
			measured: time.Second,
			want:     OpStats{Requests: 3, Errors: 3},
		},
		{
			name:     "nothing measured → zero throughput, no division by zero",
			samples:  ms(5),
			measured: 0,
			want:     OpStats{Requests: 1, P50Ms: 5, P95Ms: 5, P99Ms: 5, MaxMs: 5},
		},
		{
			name:     "sub-millisecond latencies keep microseconds",
			samples:  []time.Duration{1500 * time.Microsecond, 250 * time.Microsecond},
			measured: 3 * time.Second,
			want:     OpStats{Requests: 2, ThroughputPerS: 0.67, P50Ms: 0.25, P95Ms: 1.5, P99Ms: 1.5, MaxMs: 1.5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := computeStats(tt.samples, tt.failed, tt.measured); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("computeStats = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReportJSONShape(t *testing.T) {
	t.Parallel()
	r := &Report{
		Operations: map[string]OpStats{
			"createTicket": {Requests: 10, Errors: 1, ThroughputPerS: 4.5, P50Ms: 1.25, P95Ms: 2, P99Ms: 3, MaxMs: 4,
				OutboxLag: &LagStats{P50Ms: 7.5, P99Ms: 24, MaxMs: 25, Changes: 9, DrainMs: 200}},
			"mixed": {Requests: 1, ThroughputPerS: 1, P50Ms: 1, P95Ms: 1, P99Ms: 1, MaxMs: 1,
				ByOperation: map[string]OpStats{"ticketsPage": {Requests: 1, ThroughputPerS: 1, P50Ms: 1, P95Ms: 1, P99Ms: 1, MaxMs: 1}}},
		},
		// None of these may appear in the JSON form.
		Clients:      16,
		Measured:     time.Second,
		Interrupted:  true,
		ErrorSamples: []ErrorSample{{Message: "createTicket: boom", Count: 1}},
		RateLimited:  true,
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"operations": map[string]any{
			"createTicket": map[string]any{
				"requests": 10.0, "errors": 1.0, "throughput_per_s": 4.5,
				"p50_ms": 1.25, "p95_ms": 2.0, "p99_ms": 3.0, "max_ms": 4.0,
				"outbox_lag": map[string]any{"p50_ms": 7.5, "p99_ms": 24.0, "max_ms": 25.0, "changes": 9.0, "drain_ms": 200.0},
			},
			"mixed": map[string]any{
				"requests": 1.0, "errors": 0.0, "throughput_per_s": 1.0, "p50_ms": 1.0, "p95_ms": 1.0, "p99_ms": 1.0, "max_ms": 1.0,
				"by_operation": map[string]any{"ticketsPage": map[string]any{
					"requests": 1.0, "errors": 0.0, "throughput_per_s": 1.0, "p50_ms": 1.0, "p95_ms": 1.0, "p99_ms": 1.0, "max_ms": 1.0,
				}},
			},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON = %s\nwant the shape of %v", raw, want)
	}
}

func TestReportWriteText(t *testing.T) {
	t.Parallel()
	r := &Report{
		Operations: map[string]OpStats{
			OpTicketsPage:    {Requests: 3},
			OpCreateTicket:   {Requests: 1},
			OpTicketByNumber: {Requests: 2},
		},
		Clients:      2,
		Measured:     20 * time.Second,
		ErrorSamples: []ErrorSample{{Message: "createTicket: RATE_LIMITED: slow down (HTTP 429)", Count: 7}},
		RateLimited:  true,
	}
	var b strings.Builder
	r.WriteText(&b)
	out := b.String()
	iCreate, iByNumber, iPage := strings.Index(out, OpCreateTicket), strings.Index(out, OpTicketByNumber), strings.Index(out, OpTicketsPage)
	if iCreate < 0 || iByNumber < iCreate || iPage < iByNumber {
		t.Errorf("rows not in the order clients run them:\n%s", out)
	}
	for _, want := range []string{"2 clients, 20.0s measured", "7× createTicket: RATE_LIMITED", "HELPDESK_RATE_LIMIT=0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	var c opCounters
	c[0].requests.Store(812)
	c[1].requests.Store(790)
	c[1].errors.Store(2)
	c[2].requests.Store(401)
	got := progressLine("mixed", 7300*time.Millisecond, 20*time.Second, &c)
	want := "bench: mixed 7s/20s  createTicket 812 (0 err)  ticketByNumber 790 (2 err)  ticketsPage 401 (0 err)"
	if got != want {
		t.Errorf("progressLine = %q, want %q", got, want)
	}
	got = progressLine("ticketByNumber", 7300*time.Millisecond, 20*time.Second, &c)
	want = "bench: ticketByNumber 7s/20s  790 (2 err)"
	if got != want {
		t.Errorf("progressLine = %q, want %q", got, want)
	}
}

func TestEndpointURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr, want string
		wantErr    bool
	}{
		{addr: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080/graphql"},
		{addr: "http://127.0.0.1:8080/", want: "http://127.0.0.1:8080/graphql"},
		{addr: "https://desk.example.com/graphql", want: "https://desk.example.com/graphql"},
		{addr: "http://host/prefix", want: "http://host/prefix/graphql"},
		{addr: "127.0.0.1:8080", wantErr: true},
		{addr: "ftp://host", wantErr: true},
		{addr: "http://", wantErr: true},
	}
	for _, tt := range tests {
		got, err := endpointURL(tt.addr)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("endpointURL(%q) = %q, %v; want %q, error %v", tt.addr, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "bench: ") {
			t.Errorf("endpointURL(%q) error %q lacks the bench: prefix", tt.addr, err)
		}
	}
}

func TestRequestErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		err         *requestError
		want        string
		rateLimited bool
	}{
		{"graphql error on 200", &requestError{status: 200, code: "UNAUTHENTICATED", message: "no token"}, "UNAUTHENTICATED: no token", false},
		{"rate limited names status", &requestError{status: 429, code: "RATE_LIMITED", message: "slow down"}, "RATE_LIMITED: slow down (HTTP 429)", true},
		{"429 without a code is still rate limiting", &requestError{status: 429, message: "Too Many Requests: x"}, "Too Many Requests: x (HTTP 429)", true},
		{"further errors are counted", &requestError{status: 200, code: "BAD_USER_INPUT", message: "a", more: 2}, "BAD_USER_INPUT: a (+2 more)", false},
		{"transport error is its own message", &requestError{transport: errors.New("dial tcp: connection refused")}, "dial tcp: connection refused", false},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: Error() = %q, want %q", tt.name, got, tt.want)
		}
		if got := tt.err.rateLimited(); got != tt.rateLimited {
			t.Errorf("%s: rateLimited() = %v, want %v", tt.name, got, tt.rateLimited)
		}
	}
}

func TestErrorLogKeepsFirstDistinct(t *testing.T) {
	t.Parallel()
	var l errorLog
	for i := range 20 {
		l.add(OpCreateTicket, errors.New(strings.Repeat("x", i%7+1)))
	}
	l.add(OpTicketsPage, &requestError{status: http.StatusTooManyRequests, code: "RATE_LIMITED", message: "slow down"})
	samples, limited := l.snapshot()
	if len(samples) != maxErrorSamples {
		t.Fatalf("kept %d samples, want %d", len(samples), maxErrorSamples)
	}
	if samples[0].Message != "createTicket: x" || samples[0].Count != 3 {
		t.Errorf("first sample = %+v, want createTicket: x seen 3 times", samples[0])
	}
	if !limited {
		t.Error("a RATE_LIMITED error beyond the kept samples must still set rateLimited")
	}
}

func TestTicketInputVaries(t *testing.T) {
	t.Parallel()
	subjects := map[string]bool{}
	combos := map[[3]string]bool{}
	for seq := range 60 {
		in := ticketInput("run", "c0", seq, "svc")["input"].(map[string]any)
		subjects[in["subject"].(string)] = true
		combos[[3]string{in["priority"].(string), in["category"].(string), in["channel"].(string)}] = true
		if in["category"] == "INCIDENT" && in["onsetAt"] == nil {
			t.Errorf("incident %d lacks its onset time", seq)
		}
	}
	if len(subjects) != 60 {
		t.Errorf("%d distinct subjects in 60 tickets, want 60", len(subjects))
	}
	if len(combos) != len(priorities)*len(categories)*len(channels) {
		t.Errorf("%d priority/category/channel combinations in 60 tickets, want all %d", len(combos), len(priorities)*len(categories)*len(channels))
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	ok := Config{Addr: "http://127.0.0.1:8080", Token: "t", Clients: 1, Duration: time.Second}
	if err := ok.validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"no address":    func(c *Config) { c.Addr = "" },
		"no token":      func(c *Config) { c.Token = "" },
		"zero clients":  func(c *Config) { c.Clients = 0 },
		"zero duration": func(c *Config) { c.Duration = 0 },
		"unknown op":    func(c *Config) { c.Ops = []string{"createTicket", "tickets"} },
	} {
		c := ok
		mutate(&c)
		err := c.validate()
		if err == nil || !strings.HasPrefix(err.Error(), "bench: ") {
			t.Errorf("%s: validate() = %v, want a bench: error", name, err)
		}
	}
}

func TestEachPhaseRunsItsOperationAloneAndTheMixIsEightyPercentReads(t *testing.T) {
	t.Parallel()
	for _, phase := range opNames {
		for i := range 20 {
			if got := opNames[phaseOp(phase, i)]; got != phase {
				t.Fatalf("phase %s, request %d runs %s", phase, i, got)
			}
		}
	}
	var count [numOps]int
	for i := range 1000 {
		count[phaseOp(OpMixed, i)]++
	}
	if count[opCreate] != 200 || count[opByNumber] != 400 || count[opPage] != 400 {
		t.Errorf("mixed phase over 1000 requests: %v creates, lookups, pages; want 200, 400, 400", count)
	}
}

func TestOpsSelectsPhasesInTheirRunOrder(t *testing.T) {
	t.Parallel()
	if got := (Config{}).phases(); !reflect.DeepEqual(got, Phases) {
		t.Errorf("no Ops: %v, want every phase %v", got, Phases)
	}
	if got := (Config{Ops: []string{"mixed", "createTicket"}}).phases(); !reflect.DeepEqual(got, []string{"createTicket", "mixed"}) {
		t.Errorf("Ops mixed,createTicket: %v, want createTicket then mixed", got)
	}
}
