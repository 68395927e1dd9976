// Command helpdesk-bench drives a running helpdesk server through its
// GraphQL API and reports the latency and throughput of ticket creation,
// lookup by number and the newest page of tickets:
//
//	go run ./cmd/helpdesk-bench -addr http://127.0.0.1:8080 -token ADMIN_TOKEN -clients 16 -duration 20s -json out.json
//
// -token is an ADMIN agent's token (default $HELPDESK_ADMIN_TOKEN); the run
// creates its own organization, contact, agent and tokens with it. Start the
// server with HELPDESK_RATE_LIMIT=0, or the per-token rate limit is what
// gets measured. Progress goes to stderr, the table to stdout.
//
// Exit status: 0 when every operation had successful requests, 1 when
// preparation failed or an operation had none, 2 for invalid flags, 130
// when interrupted (the partial report is still printed and written).
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

// options are the parsed command-line flags.
type options struct {
	addr     string
	token    string
	clients  int
	duration time.Duration
	jsonPath string
	quiet    bool
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

// parseFlags parses and validates the command line; getenv supplies the
// default of -token. Errors name the flag at fault.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("helpdesk-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "http://127.0.0.1:8080", "base `URL` of the helpdesk server (its GraphQL endpoint is URL/graphql)")
	// The env default is applied after parsing so -h never prints a secret.
	fs.StringVar(&o.token, "token", "", "an ADMIN agent's `token` (default $HELPDESK_ADMIN_TOKEN)")
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients, each with its own contact token")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "length of the measured phase")
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
	if o.duration <= 0 {
		return o, fmt.Errorf("bench: -duration must be positive, got %s", o.duration)
	}
	return o, nil
}

// writeJSON writes the report's JSON form to path.
func writeJSON(path string, rep *bench.Report) error {
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: -json: %w", err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: -json: %w", err)
	}
	return nil
}
