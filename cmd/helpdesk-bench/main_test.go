package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/bench"
)

// defaults are the options of an empty command line (with a token): the
// mix, which has no ticket count.
func defaults(token string) options {
	return options{scenario: "mix", addr: "http://127.0.0.1:8080", token: token, clients: 16, duration: 20 * time.Second,
		window: 60 * time.Second, grace: 10 * time.Second, smtpSink: "127.0.0.1:2526", ops: bench.Phases}
}

// scenarioDefaults are the options of "-scenario name" alone: the
// defaults with that scenario's ticket count.
func scenarioDefaults(token, name string, tickets int) options {
	return with(defaults(token), func(o *options) { o.scenario, o.tickets = name, tickets })
}

// with returns o changed by f.
func with(o options, f func(*options)) options { f(&o); return o }

func TestParseFlags(t *testing.T) {
	t.Parallel()
	noEnv := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		want    options
		wantErr string // substring naming the flag at fault; "" = valid
	}{
		{
			name: "the documented command line is valid",
			args: []string{"-addr", "http://127.0.0.1:8080", "-token", "T", "-clients", "16", "-duration", "20s", "-json", "out.json"},
			want: with(defaults("T"), func(o *options) { o.jsonPath = "out.json" }),
		},
		{
			name: "defaults with the token from HELPDESK_ADMIN_TOKEN",
			args: []string{"-quiet"},
			getenv: func(k string) string {
				if k == "HELPDESK_ADMIN_TOKEN" {
					return "from-env"
				}
				return ""
			},
			want: with(defaults("from-env"), func(o *options) { o.quiet = true }),
		},
		{
			name: "the breach scenario's documented command line is valid",
			args: []string{"-token", "T", "-scenario", "breach", "-tickets", "10000", "-window", "60s", "-json", "out.json"},
			want: with(scenarioDefaults("T", "breach", 10000), func(o *options) { o.jsonPath = "out.json" }),
		},
		{
			name: "breach takes its own flags and the common ones",
			args: []string{"-token", "T", "-scenario", "breach", "-tickets", "50", "-window", "5s", "-grace", "3s", "-clients", "4",
				"-metrics", "http://127.0.0.1:9090/metrics", "-quiet"},
			want: with(defaults("T"), func(o *options) {
				o.scenario, o.tickets, o.window, o.grace, o.clients, o.metrics, o.quiet = "breach", 50, 5*time.Second, 3*time.Second, 4, "http://127.0.0.1:9090/metrics", true
			}),
		},
		{
			name: "the mix runs the phases -ops names and reads the outbox lag of the processes -outbox-metrics names",
			args: []string{"-token", "T", "-ops", "createTicket, mixed", "-outbox-metrics", "http://w1:9090/metrics,http://w2:9090/metrics"},
			want: with(defaults("T"), func(o *options) {
				o.ops, o.outboxMetrics = []string{"createTicket", "mixed"}, []string{"http://w1:9090/metrics", "http://w2:9090/metrics"}
			}),
		},
		{name: "an unknown phase → -ops", args: []string{"-token", "T", "-ops", "createTicket,tickets"}, wantErr: "-ops"},
		{name: "no phase → -ops", args: []string{"-token", "T", "-ops", ","}, wantErr: "-ops"},
		{name: "outbox metrics without scheme → -outbox-metrics", args: []string{"-token", "T", "-outbox-metrics", "w1:9090"}, wantErr: "-outbox-metrics"},
		{name: "the mix's -ops is refused by breach", args: []string{"-token", "T", "-scenario", "breach", "-ops", "mixed"}, wantErr: "-ops"},
		{name: "the largest ticket count is valid", args: []string{"-token", "T", "-scenario", "breach", "-tickets", "100000"},
			want: with(defaults("T"), func(o *options) { o.scenario, o.tickets = "breach", 100000 })},
		{name: "the shortest window is valid", args: []string{"-token", "T", "-scenario", "breach", "-window", "1s"},
			want: with(scenarioDefaults("T", "breach", 10000), func(o *options) { o.window = time.Second })},
		{name: "breach creates 10000 tickets unless told otherwise", args: []string{"-token", "T", "-scenario", "breach"},
			want: scenarioDefaults("T", "breach", 10000)},
		{name: "autoreply creates 2000 tickets unless told otherwise", args: []string{"-token", "T", "-scenario", "autoreply"},
			want: scenarioDefaults("T", "autoreply", 2000)},
		{
			name: "the autoreply scenario's documented command line is valid",
			args: []string{"-addr", "http://127.0.0.1:18680", "-token", "T", "-scenario", "autoreply", "-tickets", "2000", "-clients", "16", "-json", "out.json"},
			want: with(scenarioDefaults("T", "autoreply", 2000), func(o *options) { o.addr, o.jsonPath = "http://127.0.0.1:18680", "out.json" }),
		},
		{
			name: "autoreply takes -tickets, -grace and -smtp-sink",
			args: []string{"-token", "T", "-scenario", "autoreply", "-tickets", "30", "-grace", "2s", "-smtp-sink", "127.0.0.1:2600", "-clients", "4"},
			want: with(scenarioDefaults("T", "autoreply", 30), func(o *options) { o.grace, o.smtpSink, o.clients = 2*time.Second, "127.0.0.1:2600", 4 }),
		},
		{name: "autoreply: zero tickets → -tickets", args: []string{"-token", "T", "-scenario", "autoreply", "-tickets", "0"}, wantErr: "-tickets"},
		{name: "autoreply: too many tickets → -tickets", args: []string{"-token", "T", "-scenario", "autoreply", "-tickets", "100001"}, wantErr: "-tickets"},
		{name: "autoreply: zero grace → -grace", args: []string{"-token", "T", "-scenario", "autoreply", "-grace", "0s"}, wantErr: "-grace"},
		{name: "autoreply: a sink without port → -smtp-sink", args: []string{"-token", "T", "-scenario", "autoreply", "-smtp-sink", "127.0.0.1"}, wantErr: "-smtp-sink"},
		{name: "autoreply: a sink without host → -smtp-sink", args: []string{"-token", "T", "-scenario", "autoreply", "-smtp-sink", ":2526"}, wantErr: "-smtp-sink"},
		{name: "breach's -window is refused by autoreply", args: []string{"-token", "T", "-scenario", "autoreply", "-window", "5s"}, wantErr: "-window"},
		{name: "breach's -metrics is refused by autoreply", args: []string{"-token", "T", "-scenario", "autoreply", "-metrics", "http://h/metrics"}, wantErr: "-metrics"},
		{name: "the mix's -duration is refused by autoreply", args: []string{"-token", "T", "-scenario", "autoreply", "-duration", "5s"}, wantErr: "-duration"},
		{name: "autoreply's -smtp-sink is refused by the mix", args: []string{"-token", "T", "-smtp-sink", "127.0.0.1:2526"}, wantErr: "-smtp-sink"},
		{name: "autoreply's -smtp-sink is refused by breach", args: []string{"-token", "T", "-scenario", "breach", "-smtp-sink", "127.0.0.1:2526"}, wantErr: "-smtp-sink"},
		{name: "unknown scenario → -scenario", args: []string{"-token", "T", "-scenario", "soak"}, wantErr: "-scenario"},
		{name: "zero tickets → -tickets", args: []string{"-token", "T", "-scenario", "breach", "-tickets", "0"}, wantErr: "-tickets"},
		{name: "too many tickets → -tickets", args: []string{"-token", "T", "-scenario", "breach", "-tickets", "100001"}, wantErr: "-tickets"},
		{name: "window under a second → -window", args: []string{"-token", "T", "-scenario", "breach", "-window", "500ms"}, wantErr: "-window"},
		{name: "window of a fraction of seconds → -window", args: []string{"-token", "T", "-scenario", "breach", "-window", "1500ms"}, wantErr: "-window"},
		{name: "window over an hour → -window", args: []string{"-token", "T", "-scenario", "breach", "-window", "61m"}, wantErr: "-window"},
		{name: "zero grace → -grace", args: []string{"-token", "T", "-scenario", "breach", "-grace", "0s"}, wantErr: "-grace"},
		{name: "metrics without scheme → -metrics", args: []string{"-token", "T", "-scenario", "breach", "-metrics", "127.0.0.1:9090"}, wantErr: "-metrics"},
		{name: "the mix's -duration is refused by breach", args: []string{"-token", "T", "-scenario", "breach", "-duration", "20s"}, wantErr: "-duration"},
		{name: "breach's -tickets is refused by the mix", args: []string{"-token", "T", "-tickets", "50"}, wantErr: "-tickets"},
		{name: "breach's -window is refused by the mix", args: []string{"-token", "T", "-scenario", "mix", "-window", "5s"}, wantErr: "-window"},
		{name: "breach's -metrics is refused by the mix", args: []string{"-token", "T", "-metrics", "http://h/metrics"}, wantErr: "-metrics"},
		{name: "breach's -grace is refused by the mix", args: []string{"-token", "T", "-grace", "1s"}, wantErr: "-grace"},
		{name: "no token → -token", args: nil, wantErr: "-token"},
		{name: "zero clients → -clients", args: []string{"-token", "T", "-clients", "0"}, wantErr: "-clients"},
		{name: "too many clients → -clients", args: []string{"-token", "T", "-clients", "100000"}, wantErr: "-clients"},
		{name: "zero duration → -duration", args: []string{"-token", "T", "-duration", "0s"}, wantErr: "-duration"},
		{name: "negative duration → -duration", args: []string{"-token", "T", "-duration", "-5s"}, wantErr: "-duration"},
		{name: "address without scheme → -addr", args: []string{"-token", "T", "-addr", "127.0.0.1:8080"}, wantErr: "-addr"},
		{name: "address of another scheme → -addr", args: []string{"-token", "T", "-addr", "ftp://host"}, wantErr: "-addr"},
		{name: "unparsable duration → -duration", args: []string{"-token", "T", "-duration", "soon"}, wantErr: "-duration"},
		{name: "unknown flag is refused", args: []string{"-token", "T", "-rate", "5"}, wantErr: "-rate"},
		{name: "positional argument is refused", args: []string{"-token", "T", "extra"}, wantErr: "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getenv := tt.getenv
			if getenv == nil {
				getenv = noEnv
			}
			got, err := parseFlags(tt.args, getenv, io.Discard)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseFlags(%q): %v", tt.args, err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("parseFlags(%q) = %+v, want %+v", tt.args, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseFlags(%q) accepted, want an error naming %s", tt.args, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "bench: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFlags(%q) error %q, want a bench: error naming %s", tt.args, err, tt.wantErr)
			}
		})
	}
}
