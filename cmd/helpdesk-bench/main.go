// Command helpdesk-bench drives a running helpdesk server through its
// GraphQL API. It has three scenarios.
//
// The mix (the default) reports the latency and throughput of ticket
// creation, lookup by number and the newest page of 50 tickets (with
// organization, requester and assignee), each measured alone in its own
// phase of -duration, then of a portal's mix (mixed: 20 % createTicket,
// 40 % ticketByNumber, 40 % ticketsPage); -ops selects phases. With
// -outbox-metrics naming the /metrics of every process that runs the
// outbox (serve, or each worker), the createTicket phase also reports the
// outbox lag of its tickets (commit → workflow: p50, p99, max) after
// waiting up to 30 s for the outbox to deliver them:
//
//	go run ./cmd/helpdesk-bench -addr http://127.0.0.1:8080 -token ADMIN_TOKEN -clients 16 -duration 20s \
//	    -outbox-metrics http://127.0.0.1:9091/metrics,http://127.0.0.1:9092/metrics -json out.json
//
// The breach scenario creates a 24x7 SLA policy and -tickets tickets on it
// whose first responses fall due within -window after creating ends,
// answers none, waits for the last due time plus -grace and reads every
// ticket's SLA_BREACHED events: the lateness of each breach against its
// due time (p50, p99, max) and the missing, duplicated and early ones;
// -metrics samples the server's memory meanwhile:
//
//	go run ./cmd/helpdesk-bench -scenario breach -tickets 10000 -window 60s -json out.json
//
// The autoreply scenario runs an SMTP server of its own on -smtp-sink
// (default 127.0.0.1:2526), to which the server must send its mail
// (HELPDESK_SMTP_URL=smtp://127.0.0.1:2526); it checks with one probe
// ticket that mail arrives, creates -tickets tickets (default 2000) and
// measures how long after each createTicket answer its auto-reply arrives
// (p50, p99, max; a message before the answer counts 0 ms), waiting up to
// -grace after the last for stragglers, and counts the missing, duplicated
// and foreign messages:
//
//	go run ./cmd/helpdesk-bench -scenario autoreply -tickets 2000 -clients 16 -json out.json
//
// -token is an ADMIN agent's token (default $HELPDESK_ADMIN_TOKEN); a run
// creates its own organization, contact, tokens (and, for the mix, an
// agent; for breach, a policy) with it. Start the server with
// HELPDESK_RATE_LIMIT=0, or the per-token rate limit is what gets
// measured. Flags of one scenario are refused with the others. Progress
// goes to stderr, the report to stdout.
//
// Exit status: 0 when every phase run had successful requests (and, with
// -outbox-metrics, the outbox delivered every ticket created), or when
// the breach run met its targets (p99 < 1 s, max < 2 s, no missing,
// duplicated or early breach, every ticket created and read), or the
// autoreply run met its (p99 < 1 s, no missing, duplicated or misaddressed
// auto-reply, every ticket created); 1 when preparation failed, the
// autoreply probe got no mail, a phase had none, the outbox did not
// deliver every ticket of the createTicket phase within 30 s, or a target was
// missed; 2 for invalid flags; 130 when interrupted (the mix's partial
// report is still printed and written; an interrupted breach or autoreply
// run reports nothing).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"helpdesk/internal/bench"
)

// maxClients bounds -clients: far beyond what one bench machine drives
// usefully, and every client costs a token issued during preparation.
const maxClients = 4096

// The scenarios (-scenario).
const (
	scenarioMix       = "mix"
	scenarioBreach    = "breach"
	scenarioAutoreply = "autoreply"
)

// scenarios lists the scenarios, the default first.
var scenarios = []string{scenarioMix, scenarioBreach, scenarioAutoreply}

// scenarioFlags names the flags that belong to some scenarios only, and
// which; every other flag is common to all.
var scenarioFlags = map[string][]string{
	"duration":       {scenarioMix},
	"ops":            {scenarioMix},
	"outbox-metrics": {scenarioMix},
	"tickets":        {scenarioBreach, scenarioAutoreply},
	"window":         {scenarioBreach},
	"grace":          {scenarioBreach, scenarioAutoreply},
	"metrics":        {scenarioBreach},
	"smtp-sink":      {scenarioAutoreply},
}

// defaultTickets is each scenario's -tickets when the flag is not given:
// breach's matches the 10,000; autoreply's measures a p99 in
// seconds of creating.
var defaultTickets = map[string]int{
	scenarioBreach:    10000,
	scenarioAutoreply: bench.DefaultAutoreplyTickets,
}

// options are the parsed command-line flags.
type options struct {
	scenario string
	addr     string
	token    string
	clients  int
	jsonPath string
	quiet    bool
	// mix
	duration      time.Duration
	ops           []string
	outboxMetrics []string
	// breach and autoreply
	tickets int
	grace   time.Duration
	// breach
	window  time.Duration
	metrics string
	// autoreply
	smtpSink string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main with its inputs and outputs passed in; it returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch opts.scenario {
	case scenarioBreach:
		return runBreach(ctx, opts, stdout, stderr)
	case scenarioAutoreply:
		return runAutoreply(ctx, opts, stdout, stderr)
	}

	cfg := bench.Config{Addr: opts.addr, Token: opts.token, Clients: opts.clients, Duration: opts.duration,
		Ops: opts.ops, OutboxMetrics: opts.outboxMetrics}
	if !opts.quiet {
		cfg.Progress = stderr
	}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		if ctx.Err() != nil {
			return 130
		}
		return 1
	}
	rep.WriteText(stdout)

	status := 0
	if opts.jsonPath != "" {
		if err := writeJSON(opts.jsonPath, rep); err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
		}
	}
	for _, name := range rep.Phases {
		if s := rep.Operations[name]; s.Requests-s.Errors == 0 && !rep.Interrupted {
			fmt.Fprintf(stderr, "bench: no successful %s request\n", name)
			status = 1
		}
	}
	if lag := rep.Operations[bench.OpCreateTicket].OutboxLag; lag != nil && lag.Undelivered > 0 {
		fmt.Fprintf(stderr, "bench: the outbox had not delivered %d of the createTicket phase's tickets 30 s after it: it does not keep up\n", lag.Undelivered)
		status = 1
	}
	if rep.LagProblem != "" {
		fmt.Fprintf(stderr, "bench: outbox lag not measured: %s\n", rep.LagProblem)
		status = 1
	}
	if rep.Interrupted {
		fmt.Fprintln(stderr, "bench: interrupted; the report covers the time measured so far")
		return 130
	}
	return status
}

// runBreach runs the breach scenario and returns the exit status.
func runBreach(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	cfg := bench.BreachConfig{Addr: opts.addr, Token: opts.token, Clients: opts.clients, Tickets: opts.tickets,
		Window: opts.window, Grace: opts.grace, MetricsURL: opts.metrics}
	if !opts.quiet {
		cfg.Progress = stderr
	}
	rep, err := bench.RunBreach(ctx, cfg)
	if err != nil {
		var samples []bench.ErrorSample
		if rep != nil {
			samples = rep.ErrorSamples
		}
		return failed(ctx, err, samples, stderr)
	}
	return reported("breach", rep, rep.Breach.TargetMisses(), opts, stdout, stderr)
}

// runAutoreply runs the autoreply scenario and returns the exit status.
func runAutoreply(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	cfg := bench.AutoreplyConfig{Addr: opts.addr, Token: opts.token, Clients: opts.clients, Tickets: opts.tickets,
		Grace: opts.grace, SinkAddr: opts.smtpSink}
	if !opts.quiet {
		cfg.Progress = stderr
	}
	rep, err := bench.RunAutoreply(ctx, cfg)
	if err != nil {
		var samples []bench.ErrorSample
		if rep != nil {
			samples = rep.ErrorSamples
		}
		return failed(ctx, err, samples, stderr)
	}
	return reported("autoreply", rep, rep.Autoreply.TargetMisses(), opts, stdout, stderr)
}

// failed reports a scenario that could not run to its end, with the
// first distinct errors it met: exit status 130 when interrupted, else 1.
func failed(ctx context.Context, err error, samples []bench.ErrorSample, stderr io.Writer) int {
	fmt.Fprintln(stderr, err)
	if len(samples) > 0 {
		fmt.Fprintln(stderr, "first distinct errors:")
		for _, e := range samples {
			fmt.Fprintf(stderr, "  %6d× %s\n", e.Count, e.Message)
		}
	}
	if ctx.Err() != nil {
		return 130
	}
	return 1
}

// reported prints a scenario's report, writes its JSON when asked, and
// returns 1 when it missed a target (or the JSON could not be written).
func reported(name string, rep interface{ WriteText(io.Writer) }, misses []string, opts options, stdout, stderr io.Writer) int {
	rep.WriteText(stdout)
	status := 0
	if opts.jsonPath != "" {
		if err := writeJSON(opts.jsonPath, rep); err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
		}
	}
	if len(misses) > 0 {
		fmt.Fprintf(stderr, "bench: %s: %d targets missed\n", name, len(misses))
		status = 1
	}
	return status
}

// parseFlags parses and validates the command line; getenv supplies the
// default of -token. Errors name the flag at fault.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("helpdesk-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.scenario, "scenario", scenarioMix, "what to run: `mix` (create, look up, list tickets), breach (SLA breaches of unanswered tickets) or autoreply (how soon a new ticket's auto-reply is mailed)")
	fs.StringVar(&o.addr, "addr", "http://127.0.0.1:8080", "base `URL` of the helpdesk server (its GraphQL endpoint is URL/graphql)")
	// The env default is applied after parsing so -h never prints a secret.
	fs.StringVar(&o.token, "token", "", "an ADMIN agent's `token` (default $HELPDESK_ADMIN_TOKEN)")
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients, each with its own contact token (breach, autoreply: those creating the tickets)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "mix: length of each measured phase")
	var ops, outbox string
	fs.StringVar(&ops, "ops", strings.Join(bench.Phases, ","), "mix: comma-separated `phases` to run, each alone for -duration")
	fs.StringVar(&outbox, "outbox-metrics", "", "mix: comma-separated Prometheus `URLs` of every process running the outbox (serve, or each worker), read for the createTicket phase's outbox lag")
	// 0 stands for the scenario's default (defaultTickets), applied below.
	fs.IntVar(&o.tickets, "tickets", 0, fmt.Sprintf("breach, autoreply: tickets to create, 1 to %d (default %d for breach, %d for autoreply)",
		bench.MaxBreachTickets, defaultTickets[scenarioBreach], defaultTickets[scenarioAutoreply]))
	fs.DurationVar(&o.window, "window", 60*time.Second, "breach: the first-response target, whole seconds; due times fall within it after creating ends")
	// Both scenarios' grace defaults are 10 s (bench.DefaultBreachGrace, bench.DefaultAutoreplyGrace).
	fs.DurationVar(&o.grace, "grace", bench.DefaultBreachGrace, "breach: wait this long after the last due time before reading (a later breach counts as missing); "+
		"autoreply: wait at most this long after the last ticket is created for its auto-replies (a later one counts as missing)")
	fs.StringVar(&o.metrics, "metrics", "", "breach: the server's Prometheus `URL` (e.g. http://127.0.0.1:8080/metrics), sampled each second for its memory")
	fs.StringVar(&o.smtpSink, "smtp-sink", bench.DefaultSMTPSink, "autoreply: `address` the bench's SMTP server listens on; start helpdesk with HELPDESK_SMTP_URL=smtp://address")
	fs.StringVar(&o.jsonPath, "json", "", "also write the report as JSON to this `file`")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress lines on stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("bench: %w", err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("bench: unexpected argument %q (all settings are flags)", fs.Arg(0))
	}

	if !slices.Contains(scenarios, o.scenario) {
		return o, fmt.Errorf("bench: -scenario %q: want one of %s", o.scenario, strings.Join(scenarios, ", "))
	}
	var foreign error
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		set[f.Name] = true
		if s, ok := scenarioFlags[f.Name]; ok && !slices.Contains(s, o.scenario) && foreign == nil {
			foreign = fmt.Errorf("bench: -%s belongs to -scenario %s, not %s", f.Name, strings.Join(s, " or "), o.scenario)
		}
	})
	if foreign != nil {
		return o, foreign
	}
	if !set["tickets"] {
		o.tickets = defaultTickets[o.scenario]
	}

	u, err := url.Parse(o.addr)
	switch {
	case err != nil:
		return o, fmt.Errorf("bench: -addr %q: %v", o.addr, err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return o, fmt.Errorf("bench: -addr %q: want a URL such as http://127.0.0.1:8080", o.addr)
	}
	if o.token == "" {
		o.token = getenv("HELPDESK_ADMIN_TOKEN")
	}
	if o.token == "" {
		return o, errors.New("bench: -token is required (an ADMIN agent's token; or set HELPDESK_ADMIN_TOKEN)")
	}
	if o.clients < 1 || o.clients > maxClients {
		return o, fmt.Errorf("bench: -clients must be between 1 and %d, got %d", maxClients, o.clients)
	}
	for _, op := range splitList(ops) {
		if !slices.Contains(bench.Phases, op) {
			return o, fmt.Errorf("bench: -ops: unknown phase %q: want some of %s", op, strings.Join(bench.Phases, ","))
		}
		o.ops = append(o.ops, op)
	}
	if len(o.ops) == 0 {
		return o, fmt.Errorf("bench: -ops is empty: want some of %s", strings.Join(bench.Phases, ","))
	}
	for _, raw := range splitList(outbox) {
		m, err := url.Parse(raw)
		if err != nil || m.Scheme != "http" && m.Scheme != "https" || m.Host == "" {
			return o, fmt.Errorf("bench: -outbox-metrics %q: want URLs such as http://127.0.0.1:9090/metrics, comma-separated", raw)
		}
		o.outboxMetrics = append(o.outboxMetrics, raw)
	}
	switch o.scenario {
	case scenarioMix:
		if o.duration <= 0 {
			return o, fmt.Errorf("bench: -duration must be positive, got %s", o.duration)
		}
		return o, nil
	case scenarioAutoreply:
		return o, validateAutoreply(o)
	}
	switch {
	case o.tickets < 1 || o.tickets > bench.MaxBreachTickets:
		return o, fmt.Errorf("bench: -tickets must be between 1 and %d, got %d", bench.MaxBreachTickets, o.tickets)
	case o.window < bench.MinBreachWindow || o.window > bench.MaxBreachWindow:
		return o, fmt.Errorf("bench: -window must be between %s and %s, got %s", bench.MinBreachWindow, bench.MaxBreachWindow, o.window)
	case o.window%time.Second != 0:
		return o, fmt.Errorf("bench: -window must be whole seconds (SLA targets are), got %s", o.window)
	case o.grace <= 0:
		return o, fmt.Errorf("bench: -grace must be positive, got %s", o.grace)
	}
	if o.metrics != "" {
		m, err := url.Parse(o.metrics)
		if err != nil || m.Scheme != "http" && m.Scheme != "https" || m.Host == "" {
			return o, fmt.Errorf("bench: -metrics %q: want a URL such as http://127.0.0.1:9090/metrics", o.metrics)
		}
	}
	return o, nil
}

// validateAutoreply checks the autoreply scenario's flags.
func validateAutoreply(o options) error {
	switch {
	case o.tickets < 1 || o.tickets > bench.MaxAutoreplyTickets:
		return fmt.Errorf("bench: -tickets must be between 1 and %d, got %d", bench.MaxAutoreplyTickets, o.tickets)
	case o.grace <= 0:
		return fmt.Errorf("bench: -grace must be positive, got %s", o.grace)
	}
	host, port, err := net.SplitHostPort(o.smtpSink)
	if err != nil || port == "" {
		return fmt.Errorf("bench: -smtp-sink %q: want host:port, such as %s", o.smtpSink, bench.DefaultSMTPSink)
	}
	if host == "" {
		return fmt.Errorf("bench: -smtp-sink %q: name the host too (e.g. 127.0.0.1:%s), it is the one HELPDESK_SMTP_URL must name", o.smtpSink, port)
	}
	return nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// writeJSON writes a report's JSON form to path.
func writeJSON(path string, rep any) error {
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: -json: %w", err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: -json: %w", err)
	}
	return nil
}
