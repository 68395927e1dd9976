// Package bench drives a running helpdesk server through its GraphQL API,
// with an ADMIN agent's token for preparation, in one of three scenarios.
//
// The mix (Run) measures the latency and throughput of a typical portal
// mix: opening tickets, looking one up by number and reading the newest
// page of tickets. It first prepares an organization of its own with a
// service, a MASTER contact, an agent, one contact token per client and a
// few dozen seed tickets. It then starts Config.Clients clients, each
// looping over the measured operations with its own contact token until
// Config.Duration has passed or the context is done, and returns a Report.
// Preparation is not measured.
//
// The breach scenario (RunBreach) measures how punctually the server
// breaches SLA clocks (SPEC §4: within about a second of the due time). It
// prepares an organization of its own on a new 24x7 policy whose
// first-response target is BreachConfig.Window, creates
// BreachConfig.Tickets tickets as fast as BreachConfig.Clients clients can,
// answers none, waits until the last due time plus BreachConfig.Grace, and
// reads every ticket's SLA_BREACHED events back in batches. A breach's
// lateness is its createdAt minus the dueAt its data names, both the
// server's instants; BreachStats counts the tickets without a breach, with
// more than one, or with one before its due time, and gives the lateness
// percentiles. The wait is on the bench's clock, so a server clock more
// than the grace behind it shows as missing breaches.
//
// The auto-reply scenario (RunAutoreply) measures how soon the instant
// auto-reply (TICKET_RECEIVED) of a new ticket reaches the SMTP server.
// The bench runs that SMTP server itself, a sink on
// AutoreplyConfig.SinkAddr to which the server must send its mail
// (HELPDESK_SMTP_URL). It prepares an organization of its own, checks with
// one probe ticket that the server's mail arrives, creates
// AutoreplyConfig.Tickets service requests as fast as
// AutoreplyConfig.Clients clients can and notes when each createTicket
// answer arrived; the sink notes when each message arrived, for whom, and
// the ticket number its Subject starts with. The run waits until every
// ticket has its auto-reply or AutoreplyConfig.Grace has passed since the
// last was created; AutoreplyStats counts the missing and duplicated
// auto-replies and gives the delay percentiles. Both instants are the
// bench's; a message that arrives before its createTicket answer counts
// 0 ms.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// requestTimeout bounds each measured request, so that a stalled server
	// cannot hold a client past the end of the run by more than this.
	requestTimeout = 10 * time.Second
	// errorBackoff is a client's pause after a failed request, so that a
	// server refusing everything (down, rate-limiting) is not hammered in a
	// tight loop that would only measure how fast it can say no.
	errorBackoff = 10 * time.Millisecond
	// maxErrorSamples is how many distinct error messages a report keeps.
	maxErrorSamples = 5
)

// Names of the measured operations, in the order each client runs them.
const (
	OpCreateTicket   = "createTicket"
	OpTicketByNumber = "ticketByNumber"
	OpTicketsPage    = "ticketsPage"
)

// OpMixed is the phase of a portal's mix: mixWrites createTicket in every
// ten requests, the rest ticketByNumber and ticketsPage half each.
const OpMixed = "mixed"

// Phases are the measured phases in the order a run takes them; each
// measures its operation alone (mixed: the mix) for Config.Duration.
var Phases = []string{OpCreateTicket, OpTicketByNumber, OpTicketsPage, OpMixed}

// mixWrites is the writes in every ten requests of the mixed phase: a
// portal's 80 % reads, 20 % writes.
const mixWrites = 2

// opNames lists the measured operations; an operation's index here (opCreate,
// opByNumber, opPage) identifies it inside the package.
var opNames = [...]string{OpCreateTicket, OpTicketByNumber, OpTicketsPage}

const (
	opCreate = iota
	opByNumber
	opPage
)

const numOps = len(opNames)

// Config configures one bench run.
type Config struct {
	// Addr is the server's base URL, e.g. http://127.0.0.1:8080; the
	// GraphQL endpoint is Addr + "/graphql" unless Addr already ends so.
	Addr string
	// Token is an ADMIN agent's token, used to prepare the run.
	Token string
	// Clients is the number of concurrent clients, each with its own
	// contact token.
	Clients int
	// Duration is how long each measured phase lasts.
	Duration time.Duration
	// Ops selects the phases to run, in the order of Phases whatever
	// their order here; nil runs them all.
	Ops []string
	// OutboxMetrics are the Prometheus URLs of the processes that run the
	// outbox (serve, or every worker); when set, the createTicket phase
	// reports its outbox lag from their helpdesk_outbox_lag_seconds.
	OutboxMetrics []string
	// Progress receives a line a second during the measured phase and a few
	// lines about preparation; nil: none.
	Progress io.Writer
	// HTTPClient sends the requests; nil: a client whose transport keeps
	// enough idle connections per host for Clients concurrent requests.
	HTTPClient *http.Client
}

// Report is the result of a run. Only Operations is part of its JSON form.
type Report struct {
	// Operations maps each measured operation's name to its statistics.
	Operations map[string]OpStats `json:"operations"`

	// Clients is the number of clients that ran.
	Clients int `json:"-"`
	// Phases are the phases measured, in order.
	Phases []string `json:"-"`
	// Measured is the length of each measured phase: Config.Duration, or
	// less for the last when the context ended it early.
	Measured time.Duration `json:"-"`
	// Interrupted reports that the context ended the run before its last
	// phase had run for Duration.
	Interrupted bool `json:"-"`
	// LagProblem says why the outbox lag could not be read, if so.
	LagProblem string `json:"-"`
	// ErrorSamples are the first distinct errors seen, in order of first
	// appearance, each with how often it occurred.
	ErrorSamples []ErrorSample `json:"-"`
	// RateLimited reports that some requests were refused with
	// RATE_LIMITED (HTTP 429).
	RateLimited bool `json:"-"`
}

// ErrorSample is one distinct error message of a run and its count.
type ErrorSample struct {
	// Message is "<operation>: <error>".
	Message string
	// Count is how many requests failed with exactly this message.
	Count int
}

// OpStats are the statistics of one operation. Latencies are over the
// successful requests only, in milliseconds.
type OpStats struct {
	// Requests is the number of completed requests, successful or not.
	Requests int `json:"requests"`
	// Errors is how many of them failed: transport error, non-2xx status,
	// GraphQL errors, or missing data.
	Errors int `json:"errors"`
	// ThroughputPerS is successful requests per measured second.
	ThroughputPerS float64 `json:"throughput_per_s"`
	// P50Ms is the median latency.
	P50Ms float64 `json:"p50_ms"`
	// P95Ms is the 95th percentile latency.
	P95Ms float64 `json:"p95_ms"`
	// P99Ms is the 99th percentile latency.
	P99Ms float64 `json:"p99_ms"`
	// MaxMs is the highest latency.
	MaxMs float64 `json:"max_ms"`
	// OutboxLag is the createTicket phase's lag from commit to workflow,
	// when Config.OutboxMetrics names the processes to read it from.
	OutboxLag *LagStats `json:"outbox_lag,omitempty"`
	// ByOperation breaks the mixed phase down by operation.
	ByOperation map[string]OpStats `json:"by_operation,omitempty"`
}

// Run prepares the server, runs the measured phase and returns its report.
// It returns an error when cfg is invalid or preparation fails. When ctx
// ends during the measured phase, Run returns the report of the time
// measured so far, with Interrupted set, and no error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	endpoint, err := endpointURL(cfg.Addr)
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = newHTTPClient(cfg.Clients)
		defer hc.CloseIdleConnections()
	}
	c := &gqlClient{http: hc, endpoint: endpoint}
	logf := func(format string, args ...any) {
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, format+"\n", args...)
		}
	}

	var lag *lagScraper
	if len(cfg.OutboxMetrics) > 0 {
		lag = &lagScraper{hc: hc}
		for _, raw := range cfg.OutboxMetrics {
			u, err := metricsURL(raw)
			if err != nil {
				return nil, err
			}
			lag.urls = append(lag.urls, u)
		}
		if _, err := lag.scrape(ctx); err != nil {
			return nil, err
		}
	}

	fx, err := prepare(ctx, c, cfg, logf)
	if err != nil {
		return nil, err
	}
	logf("bench: measuring %d clients for %s in each phase: %s", cfg.Clients, cfg.Duration, strings.Join(cfg.phases(), ", "))
	return measure(ctx, c, cfg, fx, lag), nil
}

// phases lists the phases cfg selects, in the order of Phases.
func (cfg Config) phases() []string {
	if len(cfg.Ops) == 0 {
		return Phases
	}
	var out []string
	for _, p := range Phases {
		if slices.Contains(cfg.Ops, p) {
			out = append(out, p)
		}
	}
	return out
}

// validate checks the fields Run cannot work without.
func (cfg Config) validate() error {
	switch {
	case cfg.Addr == "":
		return errors.New("bench: no server address")
	case cfg.Token == "":
		return errors.New("bench: no admin token")
	case cfg.Clients < 1:
		return fmt.Errorf("bench: clients must be at least 1, got %d", cfg.Clients)
	case cfg.Duration <= 0:
		return fmt.Errorf("bench: duration must be positive, got %s", cfg.Duration)
	}
	for _, op := range cfg.Ops {
		if !slices.Contains(Phases, op) {
			return fmt.Errorf("bench: unknown operation %q: want some of %s", op, strings.Join(Phases, ", "))
		}
	}
	return nil
}

// newHTTPClient returns the default client of a run with the given number
// of clients: every client keeps its connection between requests instead of
// paying a new TCP handshake (and TIME_WAIT socket) when the stock limit of
// two idle connections per host is exceeded.
func newHTTPClient(clients int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = clients + 16
	tr.MaxIdleConnsPerHost = clients + 16
	tr.IdleConnTimeout = 90 * time.Second
	// Above every request's own context timeout: a safety net only.
	return &http.Client{Transport: tr, Timeout: prepareTimeout + 5*time.Second}
}

// opCounters are the live counts the progress line shows.
type opCounters [numOps]struct{ requests, errors atomic.Int64 }

// clientResult is what one client measured in one phase.
type clientResult struct {
	samples [numOps][]time.Duration
	errors  [numOps]int
}

// measure runs the phases one after the other, each for cfg.Duration, and
// stops early when ctx is done.
func measure(ctx context.Context, c *gqlClient, cfg Config, fx *fixture, lag *lagScraper) *Report {
	var errLog errorLog
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		clients[i] = &client{idx: i, c: c, token: fx.contactTokens[i], fx: fx, errLog: &errLog}
	}
	rep := &Report{Operations: map[string]OpStats{}, Clients: cfg.Clients, Measured: cfg.Duration}
	for _, phase := range cfg.phases() {
		if ctx.Err() != nil {
			break
		}
		var before lagHistogram
		if lag != nil && phase == OpCreateTicket {
			h, err := lag.scrape(ctx)
			if err != nil {
				rep.LagProblem = err.Error()
				lag = nil
			}
			before = h
		}
		st, measured, end := runPhase(ctx, clients, cfg, phase)
		if measured < cfg.Duration {
			rep.Interrupted, rep.Measured = true, measured
		}
		if lag != nil && phase == OpCreateTicket && !rep.Interrupted {
			want := st.Requests - st.Errors
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "bench: waiting for the outbox to deliver the phase's %d changes\n", want)
			}
			ls, err := lag.drain(ctx, before, want, end)
			if err != nil {
				rep.LagProblem = err.Error()
			}
			st.OutboxLag = ls
		}
		rep.Operations[phase] = st
		rep.Phases = append(rep.Phases, phase)
	}
	rep.ErrorSamples, rep.RateLimited = errLog.snapshot()
	return rep
}

// phaseOps is what a client of phase runs as its i-th request: the phase's
// operation, or for the mixed phase the portal's mix of mixWrites writes
// in every ten requests (the rest are lookups and pages, half each). A
// client starts at its own offset so that the mix is even at every
// instant, not in waves.
func phaseOp(phase string, i int) int {
	if phase != OpMixed {
		return slices.Index(opNames[:], phase)
	}
	switch k := i % 10; {
	case k < mixWrites:
		return opCreate
	case k < mixWrites+(10-mixWrites)/2:
		return opByNumber
	default:
		return opPage
	}
}

// runPhase runs every client on one phase for cfg.Duration (less when ctx
// ends first) and returns the phase's statistics, how long it measured
// and when it ended.
func runPhase(ctx context.Context, clients []*client, cfg Config, phase string) (OpStats, time.Duration, time.Time) {
	start := time.Now()
	runCtx, cancel := context.WithDeadline(ctx, start.Add(cfg.Duration))
	defer cancel()

	var (
		counters opCounters
		results  = make([]clientResult, len(clients))
		wg       sync.WaitGroup
	)
	for i, cl := range clients {
		wg.Go(func() { results[i] = cl.run(runCtx, phase, &counters) })
	}
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if cfg.Progress == nil {
			return
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case now := <-tick.C:
				fmt.Fprintln(cfg.Progress, progressLine(phase, now.Sub(start), cfg.Duration, &counters))
			}
		}
	}()

	<-runCtx.Done()
	end := time.Now()
	measured := min(end.Sub(start), cfg.Duration)
	wg.Wait()
	<-progressDone

	var merged clientResult
	for _, r := range results {
		for op := range numOps {
			merged.samples[op] = append(merged.samples[op], r.samples[op]...)
			merged.errors[op] += r.errors[op]
		}
	}
	if phase != OpMixed {
		op := phaseOp(phase, 0)
		return computeStats(merged.samples[op], merged.errors[op], measured), measured, end
	}
	var all []time.Duration
	failed := 0
	by := make(map[string]OpStats, numOps)
	for op, name := range opNames {
		all = append(all, merged.samples[op]...)
		failed += merged.errors[op]
		by[name] = computeStats(merged.samples[op], merged.errors[op], measured)
	}
	st := computeStats(all, failed, measured)
	st.ByOperation = by
	return st, measured, end
}

// progressLine formats the line printed once a second, e.g.
// "bench: createTicket 7s/20s  812 (0 err)" or, for the mixed phase,
// "bench: mixed 7s/20s  createTicket 162 (0 err)  ticketByNumber 330 (0 err)  ticketsPage 320 (0 err)".
func progressLine(phase string, elapsed, total time.Duration, counters *opCounters) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bench: %s %s/%s", phase, elapsed.Truncate(time.Second), total)
	for op, name := range opNames {
		if phase == OpMixed {
			fmt.Fprintf(&b, "  %s %d (%d err)", name, counters[op].requests.Load(), counters[op].errors.Load())
		} else if name == phase {
			fmt.Fprintf(&b, "  %d (%d err)", counters[op].requests.Load(), counters[op].errors.Load())
		}
	}
	return b.String()
}

// client is one measured client, with its own contact token, kept across
// the phases (its tickets' sequence numbers go on).
type client struct {
	idx     int
	c       *gqlClient
	token   string
	fx      *fixture
	errLog  *errorLog
	created int // tickets this client opened
}

// run loops over phase's operations until ctx is done. A request still in
// flight when ctx ends is neither counted nor sampled: it was cut short by
// the end of the phase.
func (cl *client) run(ctx context.Context, phase string, counters *opCounters) clientResult {
	var res clientResult
	for i := cl.idx; ctx.Err() == nil; i++ {
		op := phaseOp(phase, i)
		latency, err := cl.do(ctx, op)
		if ctx.Err() != nil {
			break
		}
		counters[op].requests.Add(1)
		if err != nil {
			res.errors[op]++
			counters[op].errors.Add(1)
			cl.errLog.add(opNames[op], err)
			sleep(ctx, errorBackoff)
			continue
		}
		res.samples[op] = append(res.samples[op], latency)
	}
	return res
}

// do sends one request of operation op and checks its response.
func (cl *client) do(ctx context.Context, op int) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	switch op {
	case opCreate:
		seq := cl.idx + cl.created
		cl.created++
		var out createTicketData
		latency, err := cl.c.do(ctx, cl.token, createTicketOp, ticketInput(cl.fx.runID, fmt.Sprintf("c%d", cl.idx), seq, cl.fx.serviceID), &out)
		if err != nil {
			return 0, err
		}
		if out.CreateTicket == nil || out.CreateTicket.Number == "" {
			return 0, fmt.Errorf("%w: createTicket is null or has no number", errNoData)
		}
		cl.fx.numbers.add(out.CreateTicket.Number)
		return latency, nil

	case opByNumber:
		number := cl.fx.numbers.random()
		var out struct {
			TicketByNumber *struct {
				Number string `json:"number"`
			} `json:"ticketByNumber"`
		}
		latency, err := cl.c.do(ctx, cl.token, ticketByNumberOp, map[string]any{"number": number}, &out)
		if err != nil {
			return 0, err
		}
		if out.TicketByNumber == nil {
			return 0, fmt.Errorf("%w: ticketByNumber is null for a ticket of this run", errNoData)
		}
		if out.TicketByNumber.Number != number {
			return 0, fmt.Errorf("asked for %s, got %s", number, out.TicketByNumber.Number)
		}
		return latency, nil

	case opPage:
		var out struct {
			Tickets *struct {
				Edges []*struct {
					Node *struct {
						ID string `json:"id"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"tickets"`
		}
		latency, err := cl.c.do(ctx, cl.token, ticketsPageOp, nil, &out)
		if err != nil {
			return 0, err
		}
		if out.Tickets == nil || out.Tickets.Edges == nil {
			return 0, fmt.Errorf("%w: tickets or its edges are null", errNoData)
		}
		for _, e := range out.Tickets.Edges {
			if e == nil || e.Node == nil {
				return 0, fmt.Errorf("%w: tickets has a null edge or node", errNoData)
			}
		}
		return latency, nil
	}
	panic("bench: unknown operation")
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// errorLog keeps the first few distinct error messages of a run.
type errorLog struct {
	mu          sync.Mutex
	samples     []ErrorSample
	rateLimited bool
}

func (l *errorLog) add(op string, err error) {
	msg := op + ": " + err.Error()
	var re *requestError
	limited := errors.As(err, &re) && re.rateLimited()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rateLimited = l.rateLimited || limited
	for i := range l.samples {
		if l.samples[i].Message == msg {
			l.samples[i].Count++
			return
		}
	}
	if len(l.samples) < maxErrorSamples {
		l.samples = append(l.samples, ErrorSample{Message: msg, Count: 1})
	}
}

func (l *errorLog) snapshot() ([]ErrorSample, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.samples), l.rateLimited
}

// computeStats summarizes one operation: samples are the latencies of its
// successful requests (sorted in place), failed the number of failed ones,
// measured the length of the measured phase.
func computeStats(samples []time.Duration, failed int, measured time.Duration) OpStats {
	slices.Sort(samples)
	s := OpStats{Requests: len(samples) + failed, Errors: failed}
	if measured > 0 {
		s.ThroughputPerS = round(float64(len(samples))/measured.Seconds(), 2)
	}
	if len(samples) > 0 {
		s.P50Ms = millis(percentile(samples, 50))
		s.P95Ms = millis(percentile(samples, 95))
		s.P99Ms = millis(percentile(samples, 99))
		s.MaxMs = millis(samples[len(samples)-1])
	}
	return s
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest sample such that at least p percent of
// the samples are at or below it. It returns 0 for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// millis converts d to milliseconds, rounded to the microsecond.
func millis(d time.Duration) float64 {
	return round(float64(d)/float64(time.Millisecond), 3)
}

// round rounds x to the given number of decimals.
func round(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}

// WriteText writes the report as a table, one row per operation, followed
// by the first distinct errors and, when the server rate-limited the
// bench, a hint to turn its rate limit off.
func (r *Report) WriteText(w io.Writer) {
	if r.Clients > 0 {
		state := ""
		if r.Interrupted {
			state = " (interrupted)"
		}
		fmt.Fprintf(w, "%d clients, %.1fs measured%s\n", r.Clients, r.Measured.Seconds(), state)
	}
	fmt.Fprintf(w, "%-16s %9s %7s %12s %9s %9s %9s %9s\n",
		"operation", "requests", "errors", "throughput/s", "p50 ms", "p95 ms", "p99 ms", "max ms")
	row := func(name string, s OpStats) {
		fmt.Fprintf(w, "%-16s %9d %7d %12.1f %9.2f %9.2f %9.2f %9.2f\n",
			name, s.Requests, s.Errors, s.ThroughputPerS, s.P50Ms, s.P95Ms, s.P99Ms, s.MaxMs)
	}
	for _, name := range r.operationOrder() {
		s := r.Operations[name]
		row(name, s)
		for _, op := range opNames {
			if b, ok := s.ByOperation[op]; ok {
				row("  "+op, b)
			}
		}
	}
	if s, ok := r.Operations[OpCreateTicket]; ok && s.OutboxLag != nil {
		l := s.OutboxLag
		fmt.Fprintf(w, "outbox lag of createTicket (commit → workflow): p50 %.1f ms, p99 %.1f ms, max ≤ %.0f ms over %d changes; drained %.1fs after the phase",
			l.P50Ms, l.P99Ms, l.MaxMs, l.Changes, l.DrainMs/1000)
		if l.Undelivered > 0 {
			fmt.Fprintf(w, "; %d not delivered %s after it", l.Undelivered, drainTimeout)
		}
		fmt.Fprintln(w)
	}
	if r.LagProblem != "" {
		fmt.Fprintf(w, "outbox lag not measured: %s\n", r.LagProblem)
	}
	if len(r.ErrorSamples) > 0 {
		fmt.Fprintf(w, "first distinct errors:\n")
		for _, e := range r.ErrorSamples {
			fmt.Fprintf(w, "  %6d× %s\n", e.Count, e.Message)
		}
	}
	if r.RateLimited {
		fmt.Fprintf(w, "hint: the server rate-limited the bench (RATE_LIMITED); restart it with HELPDESK_RATE_LIMIT=0\n")
	}
}

// operationOrder lists the report's operations: the phases in the order
// they run, then any others by name.
func (r *Report) operationOrder() []string {
	var names []string
	for _, name := range Phases {
		if _, ok := r.Operations[name]; ok {
			names = append(names, name)
		}
	}
	var rest []string
	for name := range r.Operations {
		if !slices.Contains(names, name) {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(names, rest...)
}
