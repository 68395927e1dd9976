package bench

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// due is the due time of the tickets of these tests.
var due = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

// late is a breach of a ticket due at due, recorded d after it.
func late(d time.Duration) breachEvent { return breachEvent{dueAt: due, recordedAt: due.Add(d)} }

// breached is a ticket due at due with these breaches.
func breached(b ...breachEvent) ticketRead { return ticketRead{dueAt: due, breaches: b} }

func f(v float64) *float64 { return &v }

func TestBreachStats(t *testing.T) {
	t.Parallel()
	hundred := make([]ticketRead, 100)
	for i := range hundred {
		hundred[i] = breached(late(time.Duration(i+1) * 10 * time.Millisecond))
	}
	tests := []struct {
		name    string
		tickets []ticketRead
		want    BreachStats
	}{
		{
			name: "no ticket: nothing counted, no percentiles",
			want: BreachStats{},
		},
		{
			name:    "a ticket without a breach is missing and gives no lateness",
			tickets: []ticketRead{breached(), breached(late(200 * time.Millisecond))},
			want:    BreachStats{Missing: 1, P50Ms: f(200), P99Ms: f(200), MaxMs: f(200)},
		},
		{
			name:    "every ticket missing: percentiles stay null, not 0 ms",
			tickets: []ticketRead{breached(), breached(), breached()},
			want:    BreachStats{Missing: 3},
		},
		{
			name:    "two breaches of one ticket are one duplicated ticket, its lateness that of the first recorded",
			tickets: []ticketRead{breached(late(900*time.Millisecond), late(300*time.Millisecond), late(1500*time.Millisecond))},
			want:    BreachStats{Duplicated: 1, P50Ms: f(300), P99Ms: f(300), MaxMs: f(300)},
		},
		{
			name:    "a breach before its due time is early, with negative lateness",
			tickets: []ticketRead{breached(late(-250 * time.Millisecond)), breached(late(100 * time.Millisecond))},
			want:    BreachStats{Early: 1, P50Ms: f(-250), P99Ms: f(100), MaxMs: f(100)},
		},
		{
			name:    "a duplicate recorded early makes its ticket early too",
			tickets: []ticketRead{breached(late(-time.Second), late(50*time.Millisecond))},
			want:    BreachStats{Duplicated: 1, Early: 1, P50Ms: f(-1000), P99Ms: f(-1000), MaxMs: f(-1000)},
		},
		{
			name:    "exactly on time is neither early nor late",
			tickets: []ticketRead{breached(late(0))},
			want:    BreachStats{P50Ms: f(0), P99Ms: f(0), MaxMs: f(0)},
		},
		{
			name:    "lateness over one second is counted; one second exactly is not",
			tickets: []ticketRead{breached(late(time.Second)), breached(late(time.Second + time.Millisecond)), breached(late(2500 * time.Millisecond))},
			want:    BreachStats{LateOver1s: 2, P50Ms: f(1001), P99Ms: f(2500), MaxMs: f(2500)},
		},
		{
			name:    "percentiles of 10..1000 ms by nearest rank",
			tickets: hundred,
			want:    BreachStats{P50Ms: f(500), P99Ms: f(990), MaxMs: f(1000)},
		},
		{
			name: "a breach naming another due time than the ticket's is a due mismatch, lateness against the breach's own",
			tickets: []ticketRead{{dueAt: due.Add(time.Minute),
				breaches: []breachEvent{{dueAt: due, recordedAt: due.Add(400 * time.Millisecond)}}}},
			want: BreachStats{DueMismatch: 1, P50Ms: f(400), P99Ms: f(400), MaxMs: f(400)},
		},
		{
			name: "a breach's due time within a millisecond of the ticket's is the same due time",
			tickets: []ticketRead{{dueAt: due.Add(999 * time.Microsecond),
				breaches: []breachEvent{{dueAt: due, recordedAt: due.Add(400 * time.Millisecond)}}}},
			want: BreachStats{P50Ms: f(400), P99Ms: f(400), MaxMs: f(400)},
		},
		{
			name: "a breach's due time a millisecond before the ticket's is another",
			tickets: []ticketRead{{dueAt: due.Add(time.Millisecond),
				breaches: []breachEvent{{dueAt: due, recordedAt: due.Add(400 * time.Millisecond)}}}},
			want: BreachStats{DueMismatch: 1, P50Ms: f(400), P99Ms: f(400), MaxMs: f(400)},
		},
		{
			name:    "malformed events are summed and do not count as breaches",
			tickets: []ticketRead{{dueAt: due, malformed: 2}, {dueAt: due, malformed: 1, breaches: []breachEvent{late(10 * time.Millisecond)}}},
			want:    BreachStats{Missing: 1, Malformed: 3, P50Ms: f(10), P99Ms: f(10), MaxMs: f(10)},
		},
		{
			name:    "sub-millisecond lateness keeps microseconds",
			tickets: []ticketRead{breached(late(1500 * time.Microsecond))},
			want:    BreachStats{P50Ms: f(1.5), P99Ms: f(1.5), MaxMs: f(1.5)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := breachStats(tt.tickets)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("breachStats =\n %s\nwant\n %s", statsString(got), statsString(tt.want))
			}
		})
	}
}

func statsString(s BreachStats) string { raw, _ := json.Marshal(s); return string(raw) }

func TestBreachTargetMisses(t *testing.T) {
	t.Parallel()
	good := BreachStats{Tickets: 10000, P50Ms: f(200), P99Ms: f(999.9), MaxMs: f(1999.9)}
	tests := []struct {
		name   string
		change func(*BreachStats)
		want   []string // substrings, one per miss, in order
	}{
		{name: "all held: no miss", change: func(*BreachStats) {}},
		{name: "p99 of 1 s is missed", change: func(s *BreachStats) { s.P99Ms = f(1000) }, want: []string{"p99 lateness 1000 ms"}},
		{name: "max of 2 s is missed", change: func(s *BreachStats) { s.MaxMs = f(2000) }, want: []string{"max lateness 2000 ms"}},
		{name: "missing breaches", change: func(s *BreachStats) { s.Missing = 3 }, want: []string{"3 of 10000 tickets have no breach"}},
		{name: "duplicated breaches", change: func(s *BreachStats) { s.Duplicated = 2 }, want: []string{"2 tickets breached more than once"}},
		{name: "early breaches", change: func(s *BreachStats) { s.Early = 1 }, want: []string{"1 tickets breached before"}},
		{name: "a ticket not created makes the run incomplete", change: func(s *BreachStats) { s.CreateFailed = 1 }, want: []string{"1 tickets could not be created"}},
		{name: "a ticket not read makes the run incomplete", change: func(s *BreachStats) { s.Unread = 4 }, want: []string{"4 tickets could not be read"}},
		{
			name: "no breach at all: missing and nothing to measure",
			change: func(s *BreachStats) {
				s.Missing, s.P50Ms, s.P99Ms, s.MaxMs = s.Tickets, nil, nil, nil
			},
			want: []string{"10000 of 10000 tickets have no breach", "no breach to measure"},
		},
		{name: "no ticket created", change: func(s *BreachStats) { *s = BreachStats{} }, want: []string{"no ticket was created"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := good
			tt.change(&s)
			got := s.TargetMisses()
			if len(got) != len(tt.want) {
				t.Fatalf("TargetMisses = %q, want %d misses like %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("miss %d = %q, want it to say %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestBreachReportJSONShape(t *testing.T) {
	t.Parallel()
	r := &BreachReport{
		Breach: BreachStats{Tickets: 10000, Missing: 1, Duplicated: 2, P50Ms: f(210.5), P99Ms: f(640), MaxMs: f(1210),
			Early: 3, LateOver1s: 4, DueMismatch: 5, Malformed: 6, Unread: 7, CreateFailed: 8,
			WindowS: 60, CreateS: 41.25, DueSpanMs: 41000, ServerRSSPeakMB: f(412.5), ServerHeapInusePeakMB: f(201)},
		// None of these may appear in the JSON form.
		Requested: 10008, Window: time.Minute, Grace: 10 * time.Second, CreateOutlastedWindow: true,
		ErrorSamples: []ErrorSample{{Message: "createTicket: boom", Count: 1}}, RateLimited: true, MemoryProblem: "x",
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"breach": map[string]any{
		"tickets": 10000.0, "missing": 1.0, "duplicated": 2.0, "p50_ms": 210.5, "p99_ms": 640.0, "max_ms": 1210.0,
		"early": 3.0, "late_over_1s": 4.0, "due_mismatch": 5.0, "malformed": 6.0, "unread": 7.0, "create_failed": 8.0,
		"window_s": 60.0, "create_s": 41.25, "due_span_ms": 41000.0,
		"server_rss_peak_mb": 412.5, "server_heap_inuse_peak_mb": 201.0, "targets_met": false,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON = %s\nwant the shape of %v", raw, want)
	}

	// Without breaches the percentiles are null; without -metrics the
	// memory fields are absent.
	raw, _ = json.Marshal(&BreachReport{Breach: BreachStats{Tickets: 5, Missing: 5}})
	for _, s := range []string{`"p50_ms":null`, `"p99_ms":null`, `"max_ms":null`} {
		if !strings.Contains(string(raw), s) {
			t.Errorf("JSON %s lacks %s", raw, s)
		}
	}
	if strings.Contains(string(raw), "server_rss_peak_mb") {
		t.Errorf("JSON %s reports memory that was not sampled", raw)
	}
}

func TestBreachReportWriteText(t *testing.T) {
	t.Parallel()
	r := &BreachReport{
		Breach:    BreachStats{Tickets: 50, Missing: 50, WindowS: 5, CreateS: 1.5, DueSpanMs: 1400, ServerRSSPeakMB: f(300)},
		Requested: 50, Window: 5 * time.Second, Grace: 3 * time.Second, RateLimited: true,
	}
	var b strings.Builder
	r.WriteText(&b)
	out := b.String()
	for _, want := range []string{"50 of 50 tickets created in 1.5s", "due after 5s", "missing 50", "no breach recorded",
		"RSS 300.0 MiB, heap in use - MiB", "targets missed:", "50 of 50 tickets have no breach", "HELPDESK_RATE_LIMIT=0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	r.Breach = BreachStats{Tickets: 50, P50Ms: f(120), P99Ms: f(480), MaxMs: f(510)}
	r.RateLimited = false
	b.Reset()
	r.WriteText(&b)
	if out := b.String(); !strings.Contains(out, "p99 480.0 ms") || !strings.Contains(out, "targets met") {
		t.Errorf("a run within the targets reads:\n%s", out)
	}
}

func TestBreachesOfReadsFirstResponseBreaches(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	n := &readTicket{ID: "1", FirstResponseDueAt: due}
	add := func(kind string, data *string, at time.Time) {
		n.Events = append(n.Events, struct {
			Kind      string    `json:"kind"`
			Data      *string   `json:"data"`
			CreatedAt time.Time `json:"createdAt"`
		}{kind, data, at})
	}
	add("CREATED", str(`{"number":"HD-100001"}`), due.Add(-time.Minute))
	add("SLA_BREACHED", str(`{"clock":"FIRST_RESPONSE","dueAt":"2026-11-26T09:30:00.000000Z"}`), due.Add(300*time.Millisecond))
	add("SLA_BREACHED", str(`{"clock":"RESOLUTION","dueAt":"2026-11-26T10:30:00Z"}`), due.Add(time.Hour))
	add("SLA_BREACHED", str(`{"clock":"FIRST_RESPONSE","dueAt":"2026-11-26T10:30:00.5+01:00"}`), due.Add(time.Second))
	add("SLA_BREACHED", str(`not json`), due)
	add("SLA_BREACHED", nil, due)
	add("SLA_BREACHED", str(`{"clock":"FIRST_RESPONSE","dueAt":"soon"}`), due)
	add("ESCALATED", str(`{"level":1}`), due.Add(400*time.Millisecond))

	got := breachesOf(n)
	want := ticketRead{dueAt: due, malformed: 3, breaches: []breachEvent{
		{dueAt: due, recordedAt: due.Add(300 * time.Millisecond)},
		{dueAt: due.Add(500 * time.Millisecond), recordedAt: due.Add(time.Second)},
	}}
	if len(got.breaches) != len(want.breaches) || got.malformed != want.malformed || !got.dueAt.Equal(want.dueAt) {
		t.Fatalf("breachesOf = %+v, want %+v", got, want)
	}
	for i := range got.breaches {
		if !got.breaches[i].dueAt.Equal(want.breaches[i].dueAt) || !got.breaches[i].recordedAt.Equal(want.breaches[i].recordedAt) {
			t.Errorf("breach %d = %+v, want %+v", i, got.breaches[i], want.breaches[i])
		}
	}
}

func TestGaugesReadUnlabelledSeries(t *testing.T) {
	t.Parallel()
	exposition := []byte(`# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 4.1234432e+08
go_memstats_heap_inuse_bytes{instance="x"} 1
go_memstats_heap_inuse_bytes 2.01326592e+08 1700000000000
go_memstats_heap_inuse_bytes_total 7
process_virtual_memory_bytes 9e+09
`)
	got := gauges(exposition, seriesRSS, seriesHeapInuse, "absent_series")
	want := map[string]float64{seriesRSS: 4.1234432e+08, seriesHeapInuse: 2.01326592e+08}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("gauges = %v, want %v", got, want)
	}
	if got := gauges([]byte("process_resident_memory_bytes NaNish\n"), seriesRSS); len(got) != 0 {
		t.Errorf("an unparsable value was read: %v", got)
	}
}

func TestMetricsURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, want string
		wantErr   bool
	}{
		{raw: "http://127.0.0.1:9090", want: "http://127.0.0.1:9090/metrics"},
		{raw: "http://127.0.0.1:9090/", want: "http://127.0.0.1:9090/metrics"},
		{raw: "http://127.0.0.1:8080/metrics", want: "http://127.0.0.1:8080/metrics"},
		{raw: "https://desk.example.com/prom/metrics", want: "https://desk.example.com/prom/metrics"},
		{raw: "127.0.0.1:9090", wantErr: true},
		{raw: "ftp://host/metrics", wantErr: true},
	}
	for _, tt := range tests {
		got, err := metricsURL(tt.raw)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("metricsURL(%q) = %q, %v; want %q, error %v", tt.raw, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestBreachConfigValidate(t *testing.T) {
	t.Parallel()
	ok := BreachConfig{Addr: "http://127.0.0.1:8080", Token: "t", Clients: 1, Tickets: 1, Window: time.Second}
	if err := ok.validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for name, mutate := range map[string]func(*BreachConfig){
		"no address":         func(c *BreachConfig) { c.Addr = "" },
		"no token":           func(c *BreachConfig) { c.Token = "" },
		"zero clients":       func(c *BreachConfig) { c.Clients = 0 },
		"zero tickets":       func(c *BreachConfig) { c.Tickets = 0 },
		"too many tickets":   func(c *BreachConfig) { c.Tickets = MaxBreachTickets + 1 },
		"window too short":   func(c *BreachConfig) { c.Window = 999 * time.Millisecond },
		"window too long":    func(c *BreachConfig) { c.Window = MaxBreachWindow + time.Second },
		"window not seconds": func(c *BreachConfig) { c.Window = 2500 * time.Millisecond },
		"negative grace":     func(c *BreachConfig) { c.Grace = -time.Second },
	} {
		c := ok
		mutate(&c)
		err := c.validate()
		if err == nil || !strings.HasPrefix(err.Error(), "bench: ") {
			t.Errorf("%s: validate() = %v, want a bench: error", name, err)
		}
	}
}

func TestBreachTicketInputIsUnansweredHighWithItsOwnKey(t *testing.T) {
	t.Parallel()
	a := breachTicketInput("run", 1, "svc")["input"].(map[string]any)
	b := breachTicketInput("run", 2, "svc")["input"].(map[string]any)
	if a["priority"] != breachPriority || a["serviceID"] != "svc" {
		t.Errorf("input %v: want priority %s on the run's service", a, breachPriority)
	}
	if a["idempotencyKey"] == b["idempotencyKey"] || a["subject"] == b["subject"] {
		t.Errorf("two tickets share a key or subject: %v, %v", a, b)
	}
	if again := breachTicketInput("run", 1, "svc")["input"].(map[string]any); again["idempotencyKey"] != a["idempotencyKey"] {
		t.Error("a retry of one ticket must send the same idempotency key")
	}
}
