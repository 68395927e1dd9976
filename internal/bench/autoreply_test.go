package bench

import (
	"encoding/json"
	"net"
	"net/smtp"
	"reflect"
	"strings"
	"testing"
	"time"
)

// t0 is when the tickets of these tests were answered.
var t0 = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

const requester = "bench-master-x@example.com"

// answered is ticket number, its createTicket answer at t0.
func answered(number string) sentTicket { return sentTicket{number: number, returned: t0} }

// arrived is a message to the requester about number, d after t0.
func arrived(number string, d time.Duration) arrival {
	return arrival{number: number, to: requester, at: t0.Add(d)}
}

func TestAutoreplyStats(t *testing.T) {
	t.Parallel()
	var hundred []sentTicket
	var hundredIn []arrival
	for i := range 100 {
		n := "HD-" + string(rune('A'+i/26)) + string(rune('a'+i%26))
		hundred = append(hundred, answered(n))
		hundredIn = append(hundredIn, arrived(n, time.Duration(i+1)*10*time.Millisecond))
	}
	tests := []struct {
		name     string
		tickets  []sentTicket
		arrivals []arrival
		ignore   []string
		want     AutoreplyStats
	}{
		{
			name: "no ticket: nothing counted, no percentiles",
			want: AutoreplyStats{},
		},
		{
			name:     "a ticket without a message is missing and gives no delay",
			tickets:  []sentTicket{answered("HD-1"), answered("HD-2")},
			arrivals: []arrival{arrived("HD-2", 200*time.Millisecond)},
			want:     AutoreplyStats{Tickets: 2, Received: 1, Missing: 1, P50Ms: f(200), P99Ms: f(200), MaxMs: f(200)},
		},
		{
			name:    "nothing arrived: every ticket missing, percentiles null, not 0 ms",
			tickets: []sentTicket{answered("HD-1"), answered("HD-2")},
			want:    AutoreplyStats{Tickets: 2, Missing: 2},
		},
		{
			name:     "two messages of one ticket are one duplicated ticket, received once, its delay that of the first",
			tickets:  []sentTicket{answered("HD-1")},
			arrivals: []arrival{arrived("HD-1", 900*time.Millisecond), arrived("HD-1", 300*time.Millisecond), arrived("HD-1", 1500*time.Millisecond)},
			want:     AutoreplyStats{Tickets: 1, Received: 1, Duplicated: 1, P50Ms: f(300), P99Ms: f(300), MaxMs: f(300)},
		},
		{
			name:     "a message before the createTicket answer counts 0 ms, not negative",
			tickets:  []sentTicket{answered("HD-1"), answered("HD-2")},
			arrivals: []arrival{arrived("HD-1", -40*time.Millisecond), arrived("HD-2", 60*time.Millisecond)},
			want:     AutoreplyStats{Tickets: 2, Received: 2, P50Ms: f(0), P99Ms: f(60), MaxMs: f(60)},
		},
		{
			name:    "a message naming no ticket of the run is foreign and changes nothing else",
			tickets: []sentTicket{answered("HD-1")},
			arrivals: []arrival{arrived("HD-9", 5*time.Millisecond), arrived("", 5*time.Millisecond),
				arrived("HD-1", 20*time.Millisecond)},
			want: AutoreplyStats{Tickets: 1, Received: 1, Foreign: 2, P50Ms: f(20), P99Ms: f(20), MaxMs: f(20)},
		},
		{
			name:    "a message of the run's ticket to someone else is misaddressed, not the auto-reply",
			tickets: []sentTicket{answered("HD-1")},
			arrivals: []arrival{{number: "HD-1", to: "someone@example.com", at: t0.Add(5 * time.Millisecond)},
				arrived("HD-1", 20*time.Millisecond)},
			want: AutoreplyStats{Tickets: 1, Received: 1, Misaddressed: 1, P50Ms: f(20), P99Ms: f(20), MaxMs: f(20)},
		},
		{
			name:     "the probe's messages count nowhere",
			tickets:  []sentTicket{answered("HD-1")},
			arrivals: []arrival{arrived("HD-0", time.Millisecond), arrived("HD-0", 2*time.Millisecond), arrived("HD-1", 10*time.Millisecond)},
			ignore:   []string{"HD-0"},
			want:     AutoreplyStats{Tickets: 1, Received: 1, P50Ms: f(10), P99Ms: f(10), MaxMs: f(10)},
		},
		{
			name:     "percentiles of 10..1000 ms by nearest rank",
			tickets:  hundred,
			arrivals: hundredIn,
			want:     AutoreplyStats{Tickets: 100, Received: 100, P50Ms: f(500), P99Ms: f(990), MaxMs: f(1000)},
		},
		{
			name:     "sub-millisecond delays keep microseconds",
			tickets:  []sentTicket{answered("HD-1")},
			arrivals: []arrival{arrived("HD-1", 1500*time.Microsecond)},
			want:     AutoreplyStats{Tickets: 1, Received: 1, P50Ms: f(1.5), P99Ms: f(1.5), MaxMs: f(1.5)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := autoreplyStats(tt.tickets, tt.arrivals, requester, tt.ignore...)
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tt.want)
				t.Errorf("autoreplyStats =\n %s\nwant\n %s", g, w)
			}
		})
	}
}

func TestAutoreplyTargetMisses(t *testing.T) {
	t.Parallel()
	good := AutoreplyStats{Tickets: 2000, Received: 2000, P50Ms: f(20), P99Ms: f(999.9), MaxMs: f(5000), Foreign: 3}
	tests := []struct {
		name   string
		change func(*AutoreplyStats)
		want   []string // substrings, one per miss, in order
	}{
		{name: "all held, foreign mail and a slow max notwithstanding: no miss", change: func(*AutoreplyStats) {}},
		{name: "a p99 of 1 s is missed", change: func(s *AutoreplyStats) { s.P99Ms = f(1000) }, want: []string{"p99 delay 1000 ms"}},
		{name: "missing auto-replies", change: func(s *AutoreplyStats) { s.Missing = 3 }, want: []string{"3 of 2000 tickets got no auto-reply"}},
		{name: "duplicated auto-replies", change: func(s *AutoreplyStats) { s.Duplicated = 2 }, want: []string{"2 tickets got more than one"}},
		{name: "misaddressed messages", change: func(s *AutoreplyStats) { s.Misaddressed = 1 }, want: []string{"1 messages of the run's tickets went to someone else"}},
		{name: "a ticket not created", change: func(s *AutoreplyStats) { s.CreateFailed = 1 }, want: []string{"1 tickets could not be created"}},
		{
			name:   "nothing arrived: missing and nothing to measure",
			change: func(s *AutoreplyStats) { s.Missing, s.Received, s.P50Ms, s.P99Ms, s.MaxMs = 2000, 0, nil, nil, nil },
			want:   []string{"2000 of 2000 tickets got no auto-reply", "no auto-reply to measure"},
		},
		{name: "no ticket created", change: func(s *AutoreplyStats) { *s = AutoreplyStats{} }, want: []string{"no ticket was created"}},
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

func TestAutoreplyReportJSONShape(t *testing.T) {
	t.Parallel()
	r := &AutoreplyReport{
		Autoreply: AutoreplyStats{Tickets: 2000, Received: 1998, Missing: 2, Duplicated: 1, P50Ms: f(12.5), P99Ms: f(80), MaxMs: f(310),
			CreateS: 9.75, CreateP99Ms: f(41), Foreign: 4, Misaddressed: 5, CreateFailed: 6},
		// None of these may appear in the JSON form.
		Requested: 2006, Clients: 16, Grace: 10 * time.Second, SinkAddr: "127.0.0.1:2526", ProbeDelay: time.Millisecond,
		ErrorSamples: []ErrorSample{{Message: "createTicket: boom", Count: 1}}, RateLimited: true,
	}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"autoreply": map[string]any{
		"tickets": 2000.0, "received": 1998.0, "missing": 2.0, "duplicated": 1.0, "p50_ms": 12.5, "p99_ms": 80.0, "max_ms": 310.0,
		"create_s": 9.75, "create_p99_ms": 41.0, "foreign": 4.0, "misaddressed": 5.0, "create_failed": 6.0, "targets_met": false,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON = %s\nwant the shape of %v", raw, want)
	}

	raw, _ = json.Marshal(&AutoreplyReport{Autoreply: AutoreplyStats{Tickets: 5, Missing: 5}})
	for _, s := range []string{`"p50_ms":null`, `"p99_ms":null`, `"max_ms":null`, `"create_p99_ms":null`} {
		if !strings.Contains(string(raw), s) {
			t.Errorf("JSON %s lacks %s", raw, s)
		}
	}
}

func TestAutoreplyReportWriteText(t *testing.T) {
	t.Parallel()
	r := &AutoreplyReport{
		Autoreply: AutoreplyStats{Tickets: 30, Missing: 30, CreateS: 1.5},
		Requested: 30, Clients: 4, Grace: 2 * time.Second, SinkAddr: "127.0.0.1:2526", RateLimited: true,
	}
	var b strings.Builder
	r.WriteText(&b)
	out := b.String()
	for _, want := range []string{"30 of 30 tickets created in 1.5s", "127.0.0.1:2526", "missing 30", "no auto-reply received",
		"targets missed:", "30 of 30 tickets got no auto-reply", "HELPDESK_RATE_LIMIT=0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	r.Autoreply = AutoreplyStats{Tickets: 30, Received: 30, P50Ms: f(3), P99Ms: f(48), MaxMs: f(51), CreateP99Ms: f(20)}
	r.RateLimited = false
	b.Reset()
	r.WriteText(&b)
	if out := b.String(); !strings.Contains(out, "p99 48.0 ms") || !strings.Contains(out, "targets met") {
		t.Errorf("a run within the targets reads:\n%s", out)
	}
}

func TestAutoreplyConfigValidate(t *testing.T) {
	t.Parallel()
	ok := AutoreplyConfig{Addr: "http://127.0.0.1:8080", Token: "t", Clients: 1, Tickets: 1}
	if err := ok.validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for name, mutate := range map[string]func(*AutoreplyConfig){
		"no address":       func(c *AutoreplyConfig) { c.Addr = "" },
		"no token":         func(c *AutoreplyConfig) { c.Token = "" },
		"zero clients":     func(c *AutoreplyConfig) { c.Clients = 0 },
		"zero tickets":     func(c *AutoreplyConfig) { c.Tickets = 0 },
		"too many tickets": func(c *AutoreplyConfig) { c.Tickets = MaxAutoreplyTickets + 1 },
		"negative grace":   func(c *AutoreplyConfig) { c.Grace = -time.Second },
	} {
		c := ok
		mutate(&c)
		if err := c.validate(); err == nil || !strings.HasPrefix(err.Error(), "bench: ") {
			t.Errorf("%s: validate() = %v, want a bench: error", name, err)
		}
	}
}

func TestASubjectsTicketNumberIsReadAfterDecodingEncodedWords(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"[HD-100001] We received your request: Router down":                   "HD-100001",
		"=?UTF-8?q?[HD-100002]_Hemos_recibido_su_solicitud:_Impresi=C3=B3n?=": "HD-100002",
		"=?utf-8?b?W0hELTEwMDAwM10gw5xiZXI=?=":                                "HD-100003",
		"  [ HD-100004 ] spaced":                                              "HD-100004",
		"Re: [HD-100005] a reply":                                             "",
		"[HD-100006 no closing bracket":                                       "",
		"":                                                                    "",
	}
	for raw, want := range tests {
		if got := subjectNumber(raw); got != want {
			t.Errorf("subjectNumber(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestTheSinkNotesEachRecipientsArrivalAndNumber sends real SMTP to the
// sink: one message with two recipients arrives twice, once per recipient
// in lower case, with the number of its encoded Subject, no earlier than
// it was sent.
func TestTheSinkNotesEachRecipientsArrivalAndNumber(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sk := startSink(ln)
	defer sk.close()
	before := time.Now()
	msg := "From: desk@helpdesk.test\r\nTo: a@example.com\r\nSubject: =?UTF-8?q?[HD-100042]_Recibido?=\r\n\r\nHola.\r\n"
	if err := smtp.SendMail(sk.addr, nil, "desk@helpdesk.test", []string{"A@Example.com", "b@example.com"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	got, n := sk.since(0)
	if n != 2 || len(got) != 2 {
		t.Fatalf("arrivals = %+v, want 2", got)
	}
	for i, to := range []string{"a@example.com", "b@example.com"} {
		if got[i].to != to || got[i].number != "HD-100042" || got[i].at.Before(before) || time.Since(got[i].at) > time.Minute {
			t.Errorf("arrival %d = %+v, want to %s about HD-100042 just now", i, got[i], to)
		}
	}
	if rest, n := sk.since(2); len(rest) != 0 || n != 2 {
		t.Errorf("since(2) = %v, %d; want nothing new of 2", rest, n)
	}
}

func TestAnOccupiedSinkAddressSaysToChooseAnother(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = listenSink(ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "-smtp-sink") {
		t.Errorf("listenSink on a taken address: %v, want an error pointing at -smtp-sink", err)
	}
}
