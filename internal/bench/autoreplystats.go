package bench

import (
	"fmt"
	"slices"
	"time"
)

// The auto-reply scenario's target (SPEC §5: the auto-reply is instant).
const (
	// TargetAutoreplyP99 is the delay 99% of the auto-replies stay under.
	TargetAutoreplyP99 = time.Second
)

// AutoreplyStats is the auto-reply scenario's verdict: the `autoreply`
// object of its JSON form. A ticket's delay is the arrival at the bench's
// SMTP sink of its first auto-reply minus the instant its createTicket
// answer reached the bench, both on the bench's clock. The server may send
// the mail before its HTTP answer arrives; such a message counts 0 ms, not
// a negative delay.
type AutoreplyStats struct {
	// Tickets is how many tickets were created (and so are owed an
	// auto-reply).
	Tickets int `json:"tickets"`
	// Received counts tickets whose auto-reply arrived.
	Received int `json:"received"`
	// Missing counts tickets whose auto-reply did not arrive within the
	// grace period.
	Missing int `json:"missing"`
	// Duplicated counts tickets whose auto-reply arrived more than once.
	Duplicated int `json:"duplicated"`
	// P50Ms, P99Ms and MaxMs are delay percentiles in milliseconds over the
	// tickets received; null when none was, so that no script reads "0 ms"
	// as a target met.
	P50Ms *float64 `json:"p50_ms"`
	P99Ms *float64 `json:"p99_ms"`
	MaxMs *float64 `json:"max_ms"`
	// CreateS is how long creating the tickets took, in seconds.
	CreateS float64 `json:"create_s"`
	// CreateP99Ms is the 99th percentile latency of the successful
	// createTicket requests, in milliseconds; null when none succeeded.
	CreateP99Ms *float64 `json:"create_p99_ms"`

	// Foreign counts messages whose Subject names no ticket of the run
	// (another tenant's mail, or none at all); they are ignored otherwise.
	Foreign int `json:"foreign"`
	// Misaddressed counts messages of a ticket of the run that went to
	// someone else than its requester; they are not its auto-reply.
	Misaddressed int `json:"misaddressed"`
	// CreateFailed counts tickets whose creation failed (after retries).
	CreateFailed int `json:"create_failed"`

	// TargetsMet: every target held (TargetMisses is empty).
	TargetsMet bool `json:"targets_met"`
}

// sentTicket is one ticket of the run: its number and when its createTicket
// answer arrived (the bench's clock).
type sentTicket struct {
	number   string
	returned time.Time
}

// autoreplyStats matches the arrivals to the run's tickets, every one of
// which was opened for requester (lower case): it fills the counts
// (Tickets, Received, Missing, Duplicated, Foreign, Misaddressed) and the
// delay percentiles of an AutoreplyStats, and nothing else. Arrivals of
// the numbers in ignore (the reachability probe's ticket) count nowhere.
func autoreplyStats(tickets []sentTicket, arrivals []arrival, requester string, ignore ...string) AutoreplyStats {
	s := AutoreplyStats{Tickets: len(tickets)}
	byNumber := make(map[string]int, len(tickets)) // number → index in tickets
	for i, t := range tickets {
		byNumber[t.number] = i
	}
	var (
		first = make([]time.Time, len(tickets)) // zero: none yet
		seen  = make([]int, len(tickets))
	)
	for _, a := range arrivals {
		if slices.Contains(ignore, a.number) {
			continue
		}
		i, ok := byNumber[a.number]
		switch {
		case !ok:
			s.Foreign++
			continue
		case a.to != requester:
			s.Misaddressed++
			continue
		}
		seen[i]++
		if first[i].IsZero() || a.at.Before(first[i]) {
			first[i] = a.at
		}
	}
	var delays []time.Duration
	for i, t := range tickets {
		switch {
		case seen[i] == 0:
			s.Missing++
			continue
		case seen[i] > 1:
			s.Duplicated++
		}
		s.Received++
		delays = append(delays, max(first[i].Sub(t.returned), 0))
	}
	if len(delays) > 0 {
		slices.Sort(delays)
		p50, p99, mx := millis(percentile(delays, 50)), millis(percentile(delays, 99)), millis(delays[len(delays)-1])
		s.P50Ms, s.P99Ms, s.MaxMs = &p50, &p99, &mx
	}
	return s
}

// TargetMisses lists, in words, each target the run missed: the p99 delay,
// no auto-reply missing, duplicated or misaddressed, and every ticket
// created. Empty: every target held.
func (s AutoreplyStats) TargetMisses() []string {
	var out []string
	if s.Tickets == 0 {
		out = append(out, "no ticket was created")
	}
	if s.CreateFailed > 0 {
		out = append(out, fmt.Sprintf("%d tickets could not be created", s.CreateFailed))
	}
	if s.Missing > 0 {
		out = append(out, fmt.Sprintf("%d of %d tickets got no auto-reply (want 0 missing)", s.Missing, s.Tickets))
	}
	if s.Duplicated > 0 {
		out = append(out, fmt.Sprintf("%d tickets got more than one auto-reply (want 0 duplicated)", s.Duplicated))
	}
	if s.Misaddressed > 0 {
		out = append(out, fmt.Sprintf("%d messages of the run's tickets went to someone else than the requester (want 0)", s.Misaddressed))
	}
	switch {
	case s.P99Ms == nil:
		if s.Tickets > 0 {
			out = append(out, "no auto-reply to measure the delay of")
		}
	case *s.P99Ms >= millis(TargetAutoreplyP99):
		out = append(out, fmt.Sprintf("p99 delay %.0f ms (want under %s)", *s.P99Ms, TargetAutoreplyP99))
	}
	return out
}
