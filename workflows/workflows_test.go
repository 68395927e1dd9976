package workflows

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/ticketing"
)

// The rules of TicketWorkflow, checked on the SDK's time-skipping test
// environment: timers fire as soon as the workflow is blocked, and every
// change is delivered at a simulated instant with RegisterDelayedCallback.

// epoch is where the test clock starts: a fixed instant years away from
// today, so a rule that leaned on the wall clock would show.
var epoch = time.Date(2031, time.March, 14, 9, 0, 0, 0, time.UTC)

// window is the reopen window of the tickets here (the product's default).
const window = 7 * 24 * time.Hour

// testNumber is the ticket the tests follow; testTicketID is its ID.
const testNumber = "HD-100042"

var testTicketID, _ = ticketing.IDFromNumber(testNumber)

// ticketLife hands out one ticket's changes in order, numbered as the
// outbox numbers them (Seq = outbox row ID, rising).
type ticketLife struct {
	id     int
	number string
	seq    int // of the last change given
	given  int // changes given
	window time.Duration
	closed *time.Time
}

// newTicketLife is the life of the test ticket, with the default window.
func newTicketLife() *ticketLife {
	return &ticketLife{id: testTicketID, number: testNumber, window: window}
}

// next is the change that moves the ticket to st at instant at.
func (l *ticketLife) next(st schematype.Status, at time.Time) TicketChange {
	l.seq++
	l.given++
	kind := "STATUS_CHANGED"
	if l.given == 1 {
		kind = "CREATED"
	}
	switch st {
	case schematype.StatusClosed:
		l.closed = &at
	case schematype.StatusInProgress:
		l.closed = nil // a reopen clears ClosedAt
	}
	return TicketChange{
		Seq: l.seq, TicketID: l.id, Number: l.number, Kind: kind, At: at,
		Status: st, Priority: schematype.PriorityHigh, ClosedAt: l.closed,
		AutoCloseSeconds: int(window / time.Second), ReopenWindowSeconds: int(l.window / time.Second),
	}
}

// newEnv is a test environment whose clock starts at start, with
// TicketWorkflow registered.
func newEnv(t *testing.T, start time.Time) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(testLogger(t, slog.LevelWarn))
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflow(TicketWorkflow)
	return env
}

// at runs f when env's clock (started at start) reaches instant when.
func at(env *testsuite.TestWorkflowEnvironment, start, when time.Time, f func()) {
	env.RegisterDelayedCallback(f, when.Sub(start))
}

// deliver sends changes to the workflow, as the outbox's SignalWithStart does.
func deliver(env *testsuite.TestWorkflowEnvironment, changes ...TicketChange) {
	for _, ch := range changes {
		env.SignalWorkflow(SignalChange, ch)
	}
}

// queryState is the workflow's answer to QueryState.
func queryState(t *testing.T, env *testsuite.TestWorkflowEnvironment) State {
	t.Helper()
	v, err := env.QueryWorkflow(QueryState)
	if err != nil {
		t.Fatalf("query %s: %v", QueryState, err)
	}
	var st State
	if err := v.Get(&st); err != nil {
		t.Fatalf("query %s: decode: %v", QueryState, err)
	}
	return st
}

// finalState is the result of a workflow that must have completed.
func finalState(t *testing.T, env *testsuite.TestWorkflowEnvironment) State {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow still running; want it ended")
	}
	var st State
	if err := env.GetWorkflowResult(&st); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	return st
}

// checkState compares the parts of st that the rules are about.
func checkState(t *testing.T, what string, st State, status schematype.Status, lastSeq, changes int) {
	t.Helper()
	if st.Ticket.Status != status || st.LastSeq != lastSeq || st.Changes != changes {
		t.Errorf("%s: status %s, last seq %d, %d changes; want %s, %d, %d",
			what, st.Ticket.Status, st.LastSeq, st.Changes, status, lastSeq, changes)
	}
}

// checkRunning fails unless the workflow is still running, in status.
func checkRunning(t *testing.T, env *testsuite.TestWorkflowEnvironment, what string, status schematype.Status) {
	t.Helper()
	if env.IsWorkflowCompleted() {
		t.Errorf("%s: workflow ended; want it running", what)
		return
	}
	if st := queryState(t, env); st.Ticket.Status != status {
		t.Errorf("%s: status %s, want %s", what, st.Ticket.Status, status)
	}
}

// checkEndedAt fails unless the workflow ended exactly at want.
func checkEndedAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, want time.Time) {
	t.Helper()
	if got := env.Now(); !got.Equal(want) {
		t.Errorf("workflow ended at %s (%+v from the expected end); want %s", got, got.Sub(want), want)
	}
}

func TestChangeWithSeqNotAboveLastTakenIsIgnored(t *testing.T) {
	t.Parallel()
	env := newEnv(t, epoch)
	life := newTicketLife()
	t0 := epoch.Add(time.Minute)
	created := life.next(schematype.StatusNew, t0)
	accepted := life.next(schematype.StatusAccepted, t0.Add(time.Minute))
	started := life.next(schematype.StatusInProgress, t0.Add(2*time.Minute))
	resolved := life.next(schematype.StatusResolved, t0.Add(3*time.Minute))
	closedAt := t0.Add(4 * time.Minute)
	closed := life.next(schematype.StatusClosed, closedAt)

	steps := []struct {
		name    string
		when    time.Time
		deliver []TicketChange
		status  schematype.Status
		lastSeq int
		changes int
	}{
		{"created", t0, []TicketChange{created}, schematype.StatusNew, 1, 1},
		{"accepted", t0.Add(time.Minute), []TicketChange{accepted}, schematype.StatusAccepted, 2, 2},
		{"both redelivered", t0.Add(90 * time.Second), []TicketChange{created, accepted}, schematype.StatusAccepted, 2, 2},
		{"work started, then resolved and closed", t0.Add(2 * time.Minute), []TicketChange{started, resolved, closed}, schematype.StatusClosed, 5, 5},
		// Taken again, the IN_PROGRESS change would reopen the ticket.
		{"old IN_PROGRESS, RESOLVED and CLOSED redelivered inside the reopen window", closedAt.Add(24 * time.Hour), []TicketChange{started, resolved, closed}, schematype.StatusClosed, 5, 5},
	}
	for _, s := range steps {
		at(env, epoch, s.when, func() { deliver(env, s.deliver...) })
		// The state is checked a second later, once the workflow took them.
		at(env, epoch, s.when.Add(time.Second), func() {
			checkState(t, "after "+s.name, queryState(t, env), s.status, s.lastSeq, s.changes)
		})
	}
	env.ExecuteWorkflow(TicketWorkflow, Input{TicketID: testTicketID, Number: testNumber})

	checkState(t, "final state", finalState(t, env), schematype.StatusClosed, 5, 5)
	checkEndedAt(t, env, closedAt.Add(window))
}

func TestQueryStateReturnsLatestTicket(t *testing.T) {
	t.Parallel()
	env := newEnv(t, epoch)
	life := newTicketLife()
	t0 := epoch.Add(time.Minute)
	created := life.next(schematype.StatusNew, t0)
	at(env, epoch, t0, func() { deliver(env, created) })
	at(env, epoch, t0.Add(time.Second), func() {
		st := queryState(t, env)
		checkState(t, "new ticket", st, schematype.StatusNew, 1, 1)
		if st.Ticket.Number != testNumber || st.Ticket.Kind != "CREATED" || !st.Ticket.At.Equal(t0) {
			t.Errorf("new ticket: %+v; want number %s, kind CREATED, at %s", st.Ticket, testNumber, t0)
		}
	})
	t1 := t0.Add(time.Hour)
	waiting := life.next(schematype.StatusWaitingOnCustomer, t1)
	waiting.SLAPaused = true
	waiting.AssigneeID = 7
	at(env, epoch, t1, func() { deliver(env, waiting) })
	at(env, epoch, t1.Add(time.Second), func() {
		st := queryState(t, env)
		checkState(t, "waiting on customer", st, schematype.StatusWaitingOnCustomer, 2, 2)
		if !st.Ticket.SLAPaused || st.Ticket.AssigneeID != 7 || !st.Ticket.At.Equal(t1) {
			t.Errorf("waiting on customer: %+v; want the whole ticket of change 2", st.Ticket)
		}
	})
	closedAt := t1.Add(time.Hour)
	closed := life.next(schematype.StatusClosed, closedAt)
	at(env, epoch, closedAt, func() { deliver(env, closed) })
	env.ExecuteWorkflow(TicketWorkflow, Input{TicketID: testTicketID, Number: testNumber})

	checkState(t, "final state", finalState(t, env), schematype.StatusClosed, 3, 3)
}

func TestClosedTicketWorkflowEndsExactlyWhenReopenWindowPasses(t *testing.T) {
	t.Parallel()
	closedAt := epoch.Add(time.Hour)
	tests := []struct {
		name      string
		window    time.Duration
		arrives   time.Time // when the CLOSED change reaches the workflow
		wantEndAt time.Time
	}{
		{"closed; ends 7 days after ClosedAt", window, closedAt, closedAt.Add(window)},
		{"close delivered 2h late; window still counts from ClosedAt", window, closedAt.Add(2 * time.Hour), closedAt.Add(window)},
		{"close delivered after the window; ends on arrival", window, closedAt.Add(window + time.Hour), closedAt.Add(window + time.Hour)},
		{"one-second window; ends a second after ClosedAt", time.Second, closedAt, closedAt.Add(time.Second)},
		{"no reopen window; ends on arrival", 0, closedAt, closedAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, epoch)
			life := newTicketLife()
			life.window = tt.window
			created := life.next(schematype.StatusNew, epoch.Add(time.Minute))
			resolved := life.next(schematype.StatusResolved, epoch.Add(30*time.Minute))
			closed := life.next(schematype.StatusClosed, closedAt)
			at(env, epoch, epoch.Add(time.Minute), func() { deliver(env, created, resolved) })
			at(env, epoch, tt.arrives, func() { deliver(env, closed) })
			if lastSecond := tt.wantEndAt.Add(-time.Second); lastSecond.After(tt.arrives) {
				at(env, epoch, lastSecond, func() { checkRunning(t, env, "a second before the window ends", schematype.StatusClosed) })
			}
			env.ExecuteWorkflow(TicketWorkflow, Input{TicketID: testTicketID, Number: closed.Number})

			st := finalState(t, env)
			checkState(t, "final state", st, schematype.StatusClosed, 3, 3)
			if st.Ticket.ClosedAt == nil || !st.Ticket.ClosedAt.Equal(closedAt) {
				t.Errorf("final ClosedAt = %v, want %s", st.Ticket.ClosedAt, closedAt)
			}
			checkEndedAt(t, env, tt.wantEndAt)
		})
	}
}

func TestReopenWithinWindowKeepsWorkflowRunningUntilNextCloseAndWindow(t *testing.T) {
	t.Parallel()
	firstClose := epoch.Add(time.Hour)
	tests := []struct {
		name     string
		reopenAt time.Time
	}{
		{"reopened a day after closing", firstClose.Add(24 * time.Hour)},
		{"reopened in the window's last second", firstClose.Add(window - time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, epoch)
			life := newTicketLife()
			created := life.next(schematype.StatusNew, epoch.Add(time.Minute))
			resolved := life.next(schematype.StatusResolved, epoch.Add(30*time.Minute))
			closed := life.next(schematype.StatusClosed, firstClose)
			reopened := life.next(schematype.StatusInProgress, tt.reopenAt)
			secondClose := firstClose.Add(window + 48*time.Hour) // well after the first window
			resolvedAgain := life.next(schematype.StatusResolved, secondClose.Add(-time.Hour))
			closedAgain := life.next(schematype.StatusClosed, secondClose)

			at(env, epoch, epoch.Add(time.Minute), func() { deliver(env, created, resolved) })
			at(env, epoch, firstClose, func() { deliver(env, closed) })
			at(env, epoch, tt.reopenAt, func() { deliver(env, reopened) })
			at(env, epoch, firstClose.Add(window+time.Hour), func() {
				checkRunning(t, env, "an hour after the first window would have ended", schematype.StatusInProgress)
			})
			at(env, epoch, resolvedAgain.At, func() { deliver(env, resolvedAgain) })
			at(env, epoch, secondClose, func() { deliver(env, closedAgain) })
			at(env, epoch, secondClose.Add(window-time.Second), func() {
				checkRunning(t, env, "a second before the second window ends", schematype.StatusClosed)
			})
			env.ExecuteWorkflow(TicketWorkflow, Input{TicketID: testTicketID, Number: closed.Number})

			st := finalState(t, env)
			checkState(t, "final state", st, schematype.StatusClosed, 6, 6)
			checkEndedAt(t, env, secondClose.Add(window))
		})
	}
}

// A change that reaches the workflow in the same workflow task as the end
// of the reopen window must be taken (the workflow drains its channel
// before completing), not dropped with the completed run.
//
// The test environment runs a workflow task per timer, so it cannot put a
// fired window timer and a signal into one task; the window here ends in
// the task itself (the CLOSED change arrives exactly as its window ends),
// which takes the same drain. The timer case, TimerFired then Signaled in
// one task, is in testdata/reopen_as_window_ends.json, recorded from a real
// server and replayed by TestReplayRecordedHistories.
func TestChangeArrivingWithWindowEndIsNotLost(t *testing.T) {
	t.Parallel()
	env := newEnv(t, epoch)
	life := newTicketLife()
	created := life.next(schematype.StatusNew, epoch.Add(time.Minute))
	resolved := life.next(schematype.StatusResolved, epoch.Add(30*time.Minute))
	closedAt := epoch.Add(time.Hour)
	closed := life.next(schematype.StatusClosed, closedAt)
	windowEnd := closedAt.Add(window)
	reopened := life.next(schematype.StatusInProgress, windowEnd)
	secondClose := windowEnd.Add(24 * time.Hour)
	resolvedAgain := life.next(schematype.StatusResolved, secondClose.Add(-time.Hour))
	closedAgain := life.next(schematype.StatusClosed, secondClose)

	at(env, epoch, epoch.Add(time.Minute), func() { deliver(env, created, resolved) })
	at(env, epoch, windowEnd, func() {
		// Both in one workflow task: the CLOSED change (delivered late; its
		// window ends now) and the reopen right behind it.
		env.SignalWorkflowSkippingWorkflowTask(SignalChange, closed)
		env.SignalWorkflow(SignalChange, reopened)
	})
	at(env, epoch, windowEnd.Add(time.Hour), func() {
		checkRunning(t, env, "an hour after the window ended together with a reopen", schematype.StatusInProgress)
	})
	at(env, epoch, resolvedAgain.At, func() { deliver(env, resolvedAgain, closedAgain) })
	env.ExecuteWorkflow(TicketWorkflow, Input{TicketID: testTicketID, Number: closed.Number})

	checkState(t, "final state", finalState(t, env), schematype.StatusClosed, 6, 6)
	checkEndedAt(t, env, secondClose.Add(window))
}

// continueAsNewInput is the Input a run that continued as new passes on.
func continueAsNewInput(t *testing.T, err error) Input {
	t.Helper()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("workflow error = %v; want a ContinueAsNewError", err)
	}
	if can.WorkflowType == nil || can.WorkflowType.Name != "TicketWorkflow" {
		t.Errorf("continues as %+v; want TicketWorkflow", can.WorkflowType)
	}
	// The next run's workflow tasks are as short as a new ticket's, also
	// when this run was started with Temporal's default.
	if can.WorkflowTaskTimeout != WorkflowTaskTimeout {
		t.Errorf("continues with a workflow task timeout of %s; want WorkflowTaskTimeout, %s", can.WorkflowTaskTimeout, WorkflowTaskTimeout)
	}
	var in Input
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &in); err != nil {
		t.Fatalf("decode continue-as-new input: %v", err)
	}
	return in
}

func TestContinuesAsNewAfterMaxChangesCarryingState(t *testing.T) {
	t.Parallel()
	env := newEnv(t, epoch)
	life := newTicketLife()
	statuses := []schematype.Status{schematype.StatusInProgress, schematype.StatusWaitingOnCustomer}
	var changes []TicketChange
	for i := range maxChangesPerRun + 5 {
		changes = append(changes, life.next(statuses[i%2], epoch.Add(time.Duration(i+1)*time.Minute)))
	}
	last := changes[len(changes)-1]

	// One change a minute up to the limit, each redelivered once (which must
	// not count); the last ones arrive in the workflow task that reaches the
	// limit and must travel with the state. Each delivery schedules the next
	// (the environment holds at most 1000 pending callbacks).
	var deliverFrom func(i int)
	deliverFrom = func(i int) {
		if i < maxChangesPerRun-1 {
			deliver(env, changes[i], changes[i])
			env.RegisterDelayedCallback(func() { deliverFrom(i + 1) }, time.Minute)
			return
		}
		checkRunning(t, env, "one change before the limit", changes[i-1].Status)
		for _, ch := range changes[i:] {
			env.SignalWorkflowSkippingWorkflowTask(SignalChange, ch)
		}
		env.SignalWorkflow(SignalChange, changes[0]) // a redelivery: ignored
	}
	at(env, epoch, changes[0].At, func() { deliverFrom(0) })
	env.ExecuteWorkflow(TicketWorkflow, Input{TicketID: testTicketID, Number: last.Number})

	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow still running after the limit")
	}
	in := continueAsNewInput(t, env.GetWorkflowError())
	if in.TicketID != testTicketID || in.Number != last.Number {
		t.Errorf("continued input is for %d %q; want %d %q", in.TicketID, in.Number, testTicketID, last.Number)
	}
	if in.State == nil {
		t.Fatal("continued input carries no state")
	}
	checkState(t, "carried state", *in.State, last.Status, last.Seq, maxChangesPerRun+5)
	if !in.State.Ticket.At.Equal(last.At) {
		t.Errorf("carried ticket is of %s; want the last change's, %s", in.State.Ticket.At, last.At)
	}
	checkEndedAt(t, env, changes[maxChangesPerRun-1].At)
}

func TestContinuedRunResumesFromCarriedState(t *testing.T) {
	t.Parallel()
	env := newEnv(t, epoch)
	life := newTicketLife()
	life.seq = 1000 // the outbox IDs run on
	old := life.next(schematype.StatusInProgress, epoch)
	carried := State{LastSeq: old.Seq, Ticket: old, Changes: 700}
	stale := old
	stale.Seq, stale.Status = 999, schematype.StatusNew
	resolved := life.next(schematype.StatusResolved, epoch.Add(time.Hour))
	closedAt := epoch.Add(2 * time.Hour)
	closed := life.next(schematype.StatusClosed, closedAt)

	at(env, epoch, epoch.Add(time.Second), func() {
		checkState(t, "before any change", queryState(t, env), schematype.StatusInProgress, 1001, 700)
	})
	at(env, epoch, epoch.Add(time.Minute), func() { deliver(env, stale, old) })
	at(env, epoch, epoch.Add(time.Minute+time.Second), func() {
		checkState(t, "after redeliveries", queryState(t, env), schematype.StatusInProgress, 1001, 700)
	})
	at(env, epoch, resolved.At, func() { deliver(env, resolved) })
	at(env, epoch, closedAt, func() { deliver(env, closed) })
	env.ExecuteWorkflow(TicketWorkflow, Input{TicketID: testTicketID, Number: old.Number, State: &carried})

	checkState(t, "final state", finalState(t, env), schematype.StatusClosed, 1003, 702)
	checkEndedAt(t, env, closedAt.Add(window))
}

// TicketWorkflow reads time only through workflow.Now and timers: run on a
// test clock decades away from today, the window still ends exactly at
// ClosedAt + window of that clock. (With time.Now the window would look
// decades long, or long over, and the end would move.)
func TestWorkflowUsesNoWallClock(t *testing.T) {
	t.Parallel()
	for _, start := range []time.Time{
		time.Date(1987, time.June, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2093, time.November, 30, 23, 59, 0, 0, time.FixedZone("UTC+5", 5*3600)),
	} {
		t.Run(start.Format(time.RFC3339), func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, start)
			life := newTicketLife()
			created := life.next(schematype.StatusNew, start.Add(time.Minute))
			resolved := life.next(schematype.StatusResolved, start.Add(2*time.Minute))
			closedAt := start.Add(3 * time.Minute)
			closed := life.next(schematype.StatusClosed, closedAt)
			at(env, start, created.At, func() { deliver(env, created, resolved) })
			at(env, start, closedAt, func() { deliver(env, closed) })
			at(env, start, closedAt.Add(window-time.Second), func() {
				checkRunning(t, env, "a second before the window ends", schematype.StatusClosed)
			})
			env.ExecuteWorkflow(TicketWorkflow, Input{TicketID: testTicketID, Number: closed.Number})

			checkState(t, "final state", finalState(t, env), schematype.StatusClosed, 3, 3)
			checkEndedAt(t, env, closedAt.Add(window))
		})
	}
}

// testLogger is slogTo as the SDK's logger.
func testLogger(t *testing.T, level slog.Level) sdklog.Logger {
	return sdklog.NewStructuredLogger(slogTo(t, level))
}

// slogTo sends log records at level and above to t.Log until t ends.
func slogTo(t *testing.T, level slog.Level) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// testWriter writes to t.Log; it drops what comes after t ended (a server
// or worker goroutine may still log then, which t.Log does not allow).
type testWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
}

// TestARunStartedBeforeTheSLAEngineContinuesAsNewOnAChangeWithTimers: a
// run of the version before timersVersion (one in production when the
// SLA engine is deployed) that takes a change listing timers continues as
// new, so that the next run acts on them, carrying the change.
func TestARunStartedBeforeTheSLAEngineContinuesAsNewOnAChangeWithTimers(t *testing.T) {
	t.Parallel()
	env := newEnv(t, epoch)
	env.OnGetVersion(timersChange, workflow.DefaultVersion, timersVersion).Return(workflow.DefaultVersion)
	life := newTicketLife()
	plain := life.next(schematype.StatusNew, epoch.Add(time.Minute))
	withTimers := life.next(schematype.StatusAccepted, epoch.Add(2*time.Minute))
	withTimers.Timers = []ticketing.Timer{{Action: ticketing.Breach, Clock: "RESOLUTION", At: epoch.Add(time.Hour)}}
	at(env, epoch, plain.At, func() {
		deliver(env, plain)
		checkRunning(t, env, "a change without timers", schematype.StatusNew)
	})
	at(env, epoch, withTimers.At, func() { deliver(env, withTimers) })
	env.ExecuteWorkflow(TicketWorkflow, Input{TicketID: testTicketID, Number: plain.Number})
	in := continueAsNewInput(t, env.GetWorkflowError())
	if in.State == nil || in.State.LastSeq != withTimers.Seq || len(in.State.Ticket.Timers) != 1 {
		t.Fatalf("continued with %+v; want the change with its timer", in.State)
	}
}
