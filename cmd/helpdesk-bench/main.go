// Command helpdesk-bench drives a running helpdesk server through its
// GraphQL API. It has two scenarios.
//
// The mix (the default) reports the latency and throughput of ticket
// creation, lookup by number and the newest page of tickets:
//
//	go run ./cmd/helpdesk-bench -addr http://127.0.0.1:8080 -token ADMIN_TOKEN -clients 16 -duration 20s -json out.json
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
// -token is an ADMIN agent's token (default $HELPDESK_ADMIN_TOKEN); a run
// creates its own organization, contact, tokens (and, for the mix, an
// agent; for breach, a policy) with it. Start the server with
// HELPDESK_RATE_LIMIT=0, or the per-token rate limit is what gets
// measured. Flags of one scenario are refused with the other. Progress
// goes to stderr, the report to stdout.
//
// Exit status: 0 when every mix operation had successful requests, or when
// the breach run met its targets (p99 < 1 s, max < 2 s, no missing,
// duplicated or early breach, every ticket created and read); 1 when
// preparation failed, a mix operation had none, or a breach target was
// missed; 2 for invalid flags; 130 when interrupted (the mix's partial
// report is still printed and written; an interrupted breach run reports
// nothing).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"helpdesk/internal/bench"
)

// maxClients bounds -clients: far beyond what one bench machine drives
// usefully, and every client costs a token issued during preparation.
const maxClients = 4096

// The scenarios (-scenario).
const (
	scenarioMix    = "mix"
	scenarioBreach = "breach"
)

// scenarioFlags names the flags that belong to one scenario only; every
// other flag is common to both.
var scenarioFlags = map[string]string{
	"duration": scenarioMix,
	"tickets":  scenarioBreach,
	"window":   scenarioBreach,
	"grace":    scenarioBreach,
	"metrics":  scenarioBreach,
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
	duration time.Duration
	// breach
	tickets int
	window  time.Duration
	grace   time.Duration
	metrics string
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
	if opts.scenario == scenarioBreach {
		return runBreach(ctx, opts, stdout, stderr)
	}

	cfg := bench.Config{Addr: opts.addr, Token: opts.token, Clients: opts.clients, Duration: opts.duration}
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
	for _, name := range []string{bench.OpCreateTicket, bench.OpTicketByNumber, bench.OpTicketsPage} {
		if s := rep.Operations[name]; s.Requests-s.Errors == 0 && !rep.Interrupted {
			fmt.Fprintf(stderr, "bench: no successful %s request\n", name)
			status = 1
		}
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
		fmt.Fprintln(stderr, err)
		if rep != nil && len(rep.ErrorSamples) > 0 {
			fmt.Fprintln(stderr, "first distinct errors:")
			for _, e := range rep.ErrorSamples {
				fmt.Fprintf(stderr, "  %6d× %s\n", e.Count, e.Message)
			}
		}
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
	if !rep.Breach.TargetsMet {
		fmt.Fprintf(stderr, "bench: breach: %d targets missed\n", len(rep.Breach.TargetMisses()))
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
	fs.StringVar(&o.scenario, "scenario", scenarioMix, "what to run: `mix` (create, look up, list tickets) or breach (SLA breaches of unanswered tickets)")
	fs.StringVar(&o.addr, "addr", "http://127.0.0.1:8080", "base `URL` of the helpdesk server (its GraphQL endpoint is URL/graphql)")
	// The env default is applied after parsing so -h never prints a secret.
	fs.StringVar(&o.token, "token", "", "an ADMIN agent's `token` (default $HELPDESK_ADMIN_TOKEN)")
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients, each with its own contact token (breach: those creating the tickets)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "mix: length of the measured phase")
	fs.IntVar(&o.tickets, "tickets", 10000, fmt.Sprintf("breach: tickets to create (1 to %d)", bench.MaxBreachTickets))
	fs.DurationVar(&o.window, "window", 60*time.Second, "breach: the first-response target, whole seconds; due times fall within it after creating ends")
	fs.DurationVar(&o.grace, "grace", bench.DefaultBreachGrace, "breach: wait this long after the last due time before reading (a later breach counts as missing)")
	fs.StringVar(&o.metrics, "metrics", "", "breach: the server's Prometheus `URL` (e.g. http://127.0.0.1:8080/metrics), sampled each second for its memory")
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

	if o.scenario != scenarioMix && o.scenario != scenarioBreach {
		return o, fmt.Errorf("bench: -scenario %q: want %s or %s", o.scenario, scenarioMix, scenarioBreach)
	}
	var foreign error
	fs.Visit(func(f *flag.Flag) {
		if s, ok := scenarioFlags[f.Name]; ok && s != o.scenario && foreign == nil {
			foreign = fmt.Errorf("bench: -%s belongs to -scenario %s, not %s", f.Name, s, o.scenario)
		}
	})
	if foreign != nil {
		return o, foreign
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
	if o.scenario == scenarioMix {
		if o.duration <= 0 {
			return o, fmt.Errorf("bench: -duration must be positive, got %s", o.duration)
		}
		return o, nil
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
