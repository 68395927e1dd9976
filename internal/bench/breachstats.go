package bench

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// The breach scenario's targets (SPEC §4: a breach fires within about a
// second of its due time).
const (
	// TargetBreachP99 is the lateness 99% of the breaches stay under.
	TargetBreachP99 = time.Second
	// TargetBreachMax is the lateness no breach reaches.
	TargetBreachMax = 2 * time.Second
	// lateThreshold is what BreachStats.LateOver1s counts past.
	lateThreshold = time.Second
	// dueTolerance is how far a breach's dueAt may be from the ticket's
	// firstResponseDueAt and still name the same due time: an instant
	// passes through representations of different precision (the server
	// keeps nanoseconds, PostgreSQL rounds them to microseconds, the API
	// truncates them), so differences under a millisecond are
	// representation, not another due time.
	dueTolerance = time.Millisecond
)

// BreachStats is the breach scenario's verdict: the `breach` object of its
// JSON form. Lateness is a breach event's createdAt (when the server
// recorded it) minus the due time its data names; both are the server's
// instants, so the bench's own clock does not enter. A ticket's lateness is
// that of its first recorded first-response breach.
type BreachStats struct {
	// Tickets is how many tickets were created (and so are expected to
	// breach).
	Tickets int `json:"tickets"`
	// Missing counts read tickets without a first-response breach.
	Missing int `json:"missing"`
	// Duplicated counts tickets with more than one first-response breach.
	Duplicated int `json:"duplicated"`
	// P50Ms, P99Ms and MaxMs are lateness percentiles in milliseconds over
	// the tickets that breached (negative: fired early); null when no
	// ticket breached, so that no script reads "0 ms" as a target met.
	P50Ms *float64 `json:"p50_ms"`
	P99Ms *float64 `json:"p99_ms"`
	MaxMs *float64 `json:"max_ms"`

	// Early counts tickets with a breach recorded before its due time: a
	// breach of a clock that had not run out is a bug too.
	Early int `json:"early"`
	// LateOver1s counts tickets whose breach came more than a second late.
	LateOver1s int `json:"late_over_1s"`
	// DueMismatch counts tickets with a breach whose data names another
	// due time than the ticket's firstResponseDueAt (by a millisecond or
	// more).
	DueMismatch int `json:"due_mismatch"`
	// Malformed counts SLA_BREACHED events whose data is not the JSON
	// {"clock": …, "dueAt": …}; they count as no breach.
	Malformed int `json:"malformed"`
	// Unread counts created tickets the read phase could not read; they
	// count neither as missing nor as breached.
	Unread int `json:"unread"`
	// CreateFailed counts tickets whose creation failed (after retries).
	CreateFailed int `json:"create_failed"`

	// WindowS is the first-response target, in seconds.
	WindowS float64 `json:"window_s"`
	// CreateS is how long creating the tickets took, in seconds.
	CreateS float64 `json:"create_s"`
	// DueSpanMs is the span from the first to the last due time.
	DueSpanMs float64 `json:"due_span_ms"`
	// ServerRSSPeakMB and ServerHeapInusePeakMB are the highest
	// process_resident_memory_bytes and go_memstats_heap_inuse_bytes the
	// server reported during the run (-metrics), in MiB; absent without
	// -metrics or when no sample succeeded.
	ServerRSSPeakMB       *float64 `json:"server_rss_peak_mb,omitempty"`
	ServerHeapInusePeakMB *float64 `json:"server_heap_inuse_peak_mb,omitempty"`

	// TargetsMet: every target held (TargetMisses is empty).
	TargetsMet bool `json:"targets_met"`
}

// breachEvent is one first-response SLA_BREACHED event as read: the due
// time its data names and its createdAt.
type breachEvent struct {
	dueAt, recordedAt time.Time
}

// ticketRead is what the read phase learned of one ticket.
type ticketRead struct {
	// dueAt is the ticket's firstResponseDueAt.
	dueAt time.Time
	// breaches are its first-response breaches, in any order.
	breaches []breachEvent
	// malformed counts its SLA_BREACHED events whose data could not be
	// read (they are not among breaches).
	malformed int
}

// breachStats judges the read tickets: it fills the counts (Missing,
// Duplicated, Early, LateOver1s, DueMismatch, Malformed) and the lateness
// percentiles of a BreachStats, and nothing else.
func breachStats(tickets []ticketRead) BreachStats {
	var (
		s    BreachStats
		late []time.Duration
	)
	for _, t := range tickets {
		s.Malformed += t.malformed
		if len(t.breaches) == 0 {
			s.Missing++
			continue
		}
		if len(t.breaches) > 1 {
			s.Duplicated++
		}
		first := t.breaches[0]
		early, mismatch := false, false
		for _, b := range t.breaches {
			if b.recordedAt.Before(first.recordedAt) {
				first = b
			}
			early = early || b.recordedAt.Before(b.dueAt)
			mismatch = mismatch || b.dueAt.Sub(t.dueAt).Abs() >= dueTolerance
		}
		if early {
			s.Early++
		}
		if mismatch {
			s.DueMismatch++
		}
		l := first.recordedAt.Sub(first.dueAt)
		if l > lateThreshold {
			s.LateOver1s++
		}
		late = append(late, l)
	}
	if len(late) > 0 {
		slices.Sort(late)
		p50, p99, mx := millis(percentile(late, 50)), millis(percentile(late, 99)), millis(late[len(late)-1])
		s.P50Ms, s.P99Ms, s.MaxMs = &p50, &p99, &mx
	}
	return s
}

// TargetMisses lists, in words, each target the run missed: lateness
// (p99 and max), no missing, duplicated or early breach, and a complete
// run (every ticket created and read). Empty: every target held.
func (s BreachStats) TargetMisses() []string {
	var out []string
	if s.Tickets == 0 {
		out = append(out, "no ticket was created")
	}
	if s.CreateFailed > 0 {
		out = append(out, fmt.Sprintf("%d tickets could not be created", s.CreateFailed))
	}
	if s.Unread > 0 {
		out = append(out, fmt.Sprintf("%d tickets could not be read", s.Unread))
	}
	if s.Missing > 0 {
		out = append(out, fmt.Sprintf("%d of %d tickets have no breach (want 0 missing)", s.Missing, s.Tickets))
	}
	if s.Duplicated > 0 {
		out = append(out, fmt.Sprintf("%d tickets breached more than once (want 0 duplicated)", s.Duplicated))
	}
	if s.Early > 0 {
		out = append(out, fmt.Sprintf("%d tickets breached before their due time (want 0 early)", s.Early))
	}
	switch {
	case s.P99Ms == nil:
		if s.Tickets > 0 {
			out = append(out, "no breach to measure the lateness of")
		}
	default:
		if *s.P99Ms >= millis(TargetBreachP99) {
			out = append(out, fmt.Sprintf("p99 lateness %.0f ms (want under %s)", *s.P99Ms, TargetBreachP99))
		}
		if *s.MaxMs >= millis(TargetBreachMax) {
			out = append(out, fmt.Sprintf("max lateness %.0f ms (want under %s)", *s.MaxMs, TargetBreachMax))
		}
	}
	return out
}

// WriteText writes the breach report: what ran, the counts, the lateness,
// the server's memory, the verdict on the targets, the first distinct
// errors and, when the server rate-limited the bench, a hint.
func (r *BreachReport) WriteText(w io.Writer) {
	s := r.Breach
	fmt.Fprintf(w, "breach: %d of %d tickets created in %.1fs (%d failed), first response due after %s on a 24x7 policy; due times span %.1fs; read %s after the last\n",
		s.Tickets, r.Requested, s.CreateS, s.CreateFailed, r.Window, s.DueSpanMs/1000, r.Grace)
	if r.CreateOutlastedWindow {
		fmt.Fprintf(w, "  note: creating outlasted the window: some tickets were due before the last was created\n")
	}
	fmt.Fprintf(w, "  missing %d, duplicated %d, early %d, due time differs %d, malformed %d, unread %d\n",
		s.Missing, s.Duplicated, s.Early, s.DueMismatch, s.Malformed, s.Unread)
	if s.P50Ms != nil {
		fmt.Fprintf(w, "  lateness: p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d over 1 s\n", *s.P50Ms, *s.P99Ms, *s.MaxMs, s.LateOver1s)
	} else {
		fmt.Fprintf(w, "  lateness: no breach recorded\n")
	}
	if s.ServerRSSPeakMB != nil || s.ServerHeapInusePeakMB != nil {
		fmt.Fprintf(w, "  server memory peak: RSS %s MiB, heap in use %s MiB\n", orDash(s.ServerRSSPeakMB), orDash(s.ServerHeapInusePeakMB))
	}
	if r.MemoryProblem != "" {
		fmt.Fprintf(w, "  memory: %s\n", r.MemoryProblem)
	}
	if misses := s.TargetMisses(); len(misses) == 0 {
		fmt.Fprintf(w, "targets met: p99 < %s, max < %s, 0 missing, 0 duplicated, 0 early\n", TargetBreachP99, TargetBreachMax)
	} else {
		fmt.Fprintf(w, "targets missed:\n")
		for _, m := range misses {
			fmt.Fprintf(w, "  %s\n", m)
		}
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

// orDash formats a value that may be absent.
func orDash(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *v)
}
