package graph_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"helpdesk/internal/apitest"
)

// slaClock is Ticket.slaClocks as a portal reads it.
type slaClock struct {
	Clock                         string
	PolicyVersion                 int
	TargetSeconds, ElapsedSeconds int
	PausedIntervals               []struct {
		Start string
		End   *string
	}
	WarningAt, DueAt, MetAt, BreachedAt *string
}

const slaClockFields = `slaClocks { clock policyVersion targetSeconds elapsedSeconds pausedIntervals { start end } warningAt dueAt metAt breachedAt }`

// String shows a clock with its instants as the API sends them.
func (c slaClock) String() string {
	s := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}
	paused := ""
	for _, iv := range c.PausedIntervals {
		paused += " " + iv.Start + "→" + s(iv.End)
	}
	return fmt.Sprintf("%s v%d target=%d elapsed=%d paused=[%s] warning=%s due=%s met=%s breached=%s", c.Clock, c.PolicyVersion,
		c.TargetSeconds, c.ElapsedSeconds, paused, s(c.WarningAt), s(c.DueAt), s(c.MetAt), s(c.BreachedAt))
}

// sent is t as the API writes an instant.
func sent(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func sentPtr(t time.Time) *string { s := sent(t); return &s }

// interval is a paused interval as the API writes it; end zero: in course.
func interval(start, end time.Time) struct {
	Start string
	End   *string
} {
	iv := struct {
		Start string
		End   *string
	}{Start: sent(start)}
	if !end.IsZero() {
		iv.End = sentPtr(end)
	}
	return iv
}

// clocksTicket is what these tests read of a ticket.
type clocksTicket struct {
	Status          string
	SlaPaused       bool
	ResolutionDueAt string
	SlaClocks       []slaClock
	Events          []struct{ Kind, Data string }
}

func readClocks(t *testing.T, e *apitest.Env, token, id string) clocksTicket {
	t.Helper()
	var out struct{ Node clocksTicket }
	e.Do(t, token, `query($id: ID!) { Node: node(id: $id) { ... on Ticket { status slaPaused resolutionDueAt `+slaClockFields+` events { kind data } } } }`,
		map[string]any{"id": id}, &out)
	return out.Node
}

func checkClocks(t *testing.T, what string, got []slaClock, want ...slaClock) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d clocks %v, want %v", what, len(got), got, want)
	}
	for i := range want {
		if got[i].String() != want[i].String() {
			t.Errorf("%s:\n got %s\nwant %s", what, got[i], want[i])
		}
	}
}

// createThirdPartyPolicy is a 24x7 policy in UTC (business time is real
// time) with the default targets but CRITICAL's 1 h first response.
func createThirdPartyPolicy(t *testing.T, e *apitest.Env, pause bool) string {
	t.Helper()
	var out struct{ CreateSLAPolicy struct{ ID string } }
	e.Do(t, apitest.AdminToken, `mutation($in: CreateSLAPolicyInput!) { CreateSLAPolicy: createSLAPolicy(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": apitest.Unique("Always"), "timezone": "UTC", "alwaysOpen": true,
			"pauseOnThirdParty": pause, "targets": targets(3600)}}, &out)
	return out.CreateSLAPolicy.ID
}

func createOrgUnder(t *testing.T, e *apitest.Env, policy string) string {
	t.Helper()
	var org struct{ CreateOrganization struct{ ID string } }
	e.Do(t, apitest.AdminToken, `mutation($p: ID!, $n: String!) { CreateOrganization: createOrganization(input: {name: $n, region: "EU", timezone: "UTC", slaPolicyID: $p}) { id } }`,
		map[string]any{"p": policy, "n": apitest.Unique("Waiting")}, &org)
	return org.CreateOrganization.ID
}

// TestWaitingOnAThirdPartyPausesTheResolutionClockAsThePolicySays: an
// agent sets a ticket in progress waiting on a carrier with a reason;
// under pauseOnThirdParty (the default) the resolution clock pauses, its
// due time moves by the wait when startWork resumes it and slaClocks shows
// the wait; without it the clock runs on and nothing moves. A customer's
// reply meanwhile does not end the wait.
func TestWaitingOnAThirdPartyPausesTheResolutionClockAsThePolicySays(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clock := &testClock{now: t0}
	e := apitest.New(t, apitest.Options{Clock: clock.Now})
	agent := e.Agent(t, "AGENT")
	const reason = "Carrier ticket C-77 opened"
	for _, tc := range []struct {
		name  string
		pause bool
	}{{"pauseOnThirdParty true", true}, {"pauseOnThirdParty false", false}} {
		t.Run(tc.name, func(t *testing.T) {
			clock.Set(t0)
			user := e.Contact(t, createOrgUnder(t, e, createThirdPartyPolicy(t, e, tc.pause)), "USER")
			tk := e.CreateTicket(t, user.Token, map[string]any{"priority": "CRITICAL"}) // resolution due t0+4h
			act := func(at time.Duration, token, op string, want string) {
				t.Helper()
				clock.Set(t0.Add(at))
				var out map[string]struct{ Status string }
				e.Do(t, token, op, map[string]any{"id": tk.ID}, &out)
				for _, got := range out {
					if got.Status != want {
						t.Fatalf("%s: %s, want %s", op, got.Status, want)
					}
				}
			}
			act(10*time.Minute, agent.Token, `mutation($id: ID!) { startWork(id: $id) { status } }`, "IN_PROGRESS")
			act(time.Hour, agent.Token, `mutation($id: ID!) { waitOnThirdParty(id: $id, reason: "`+reason+`") { status } }`, "WAITING_ON_THIRD_PARTY")
			first := slaClock{Clock: "FIRST_RESPONSE", PolicyVersion: 1, TargetSeconds: 3600, ElapsedSeconds: 600,
				WarningAt: sentPtr(t0.Add(45 * time.Minute)), DueAt: sentPtr(t0.Add(time.Hour)), MetAt: sentPtr(t0.Add(10 * time.Minute))}
			resolution := func(elapsed time.Duration, due time.Time, paused ...struct {
				Start string
				End   *string
			}) slaClock {
				return slaClock{Clock: "RESOLUTION", PolicyVersion: 1, TargetSeconds: 4 * 3600, ElapsedSeconds: int(elapsed / time.Second),
					PausedIntervals: paused, WarningAt: sentPtr(due.Add(-time.Hour)), DueAt: sentPtr(due)}
			}

			// 30 min into the wait, the customer replies: the ticket still
			// waits on the carrier.
			clock.Set(t0.Add(90 * time.Minute))
			e.Comment(t, user.Token, tk.ID, "Any news from the carrier?", false)
			got := readClocks(t, e, agent.Token, tk.ID)
			if got.Status != "WAITING_ON_THIRD_PARTY" || got.SlaPaused != tc.pause {
				t.Fatalf("during the wait, after the customer's reply: %s, slaPaused %v", got.Status, got.SlaPaused)
			}
			if tc.pause {
				// Paused since t0+1h: due as if it resumed now.
				checkClocks(t, "during the wait", got.SlaClocks, first,
					resolution(time.Hour, t0.Add(4*time.Hour+30*time.Minute), interval(t0.Add(time.Hour), time.Time{})))
			} else {
				checkClocks(t, "during the wait", got.SlaClocks, first, resolution(90*time.Minute, t0.Add(4*time.Hour)))
			}

			act(3*time.Hour, agent.Token, `mutation($id: ID!) { startWork(id: $id) { status } }`, "IN_PROGRESS")
			got = readClocks(t, e, agent.Token, tk.ID)
			wantDue := t0.Add(4 * time.Hour)
			if tc.pause {
				wantDue = t0.Add(6 * time.Hour)
				checkClocks(t, "after the wait", got.SlaClocks, first, resolution(time.Hour, wantDue, interval(t0.Add(time.Hour), t0.Add(3*time.Hour))))
			} else {
				checkClocks(t, "after the wait", got.SlaClocks, first, resolution(3*time.Hour, wantDue))
			}
			if got.SlaPaused || got.ResolutionDueAt != sent(wantDue) {
				t.Errorf("after the wait: slaPaused %v, resolutionDueAt %s; want false, %s", got.SlaPaused, got.ResolutionDueAt, sent(wantDue))
			}

			// The timeline records the wait with its reason, and its end.
			var changes []map[string]string
			for _, ev := range got.Events {
				if ev.Kind == "STATUS_CHANGED" {
					var d map[string]string
					if err := json.Unmarshal([]byte(ev.Data), &d); err != nil {
						t.Fatal(err)
					}
					changes = append(changes, d)
				}
			}
			if n := len(changes); n < 2 ||
				fmt.Sprint(changes[n-2]) != fmt.Sprint(map[string]string{"from": "IN_PROGRESS", "to": "WAITING_ON_THIRD_PARTY", "reason": reason}) ||
				fmt.Sprint(changes[n-1]) != fmt.Sprint(map[string]string{"from": "WAITING_ON_THIRD_PARTY", "to": "IN_PROGRESS"}) {
				t.Errorf("STATUS_CHANGED events %v", changes)
			}
		})
	}
}

// TestWaitOnThirdPartyRefusals: waitOnThirdParty refuses a blank reason
// (BAD_USER_INPUT), a ticket in a status it does not start from
// (INVALID_TRANSITION), a customer (FORBIDDEN: the move is the agents') and
// an unknown ticket (NOT_FOUND); each changes nothing.
func TestWaitOnThirdPartyRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apitest.Options{})
	tn := e.Tenant(t, "third-refused")
	agent := e.Agent(t, "AGENT")
	const wait = `mutation($id: ID!, $r: String!) { waitOnThirdParty(id: $id, reason: $r) { id } }`
	do := func(token, op, id string) {
		t.Helper()
		e.Do(t, token, op, map[string]any{"id": id}, nil)
	}
	const (
		startWork = `mutation($id: ID!) { startWork(id: $id) { id } }`
		waitOn    = `mutation($id: ID!) { waitOnThirdParty(id: $id, reason: "Vendor RMA") { id } }`
		ask       = `mutation($id: ID!) { requestInformation(id: $id, message: "Which site?") { id } }`
		resolve   = `mutation($id: ID!) { resolveTicket(id: $id, resolution: "Fixed") { id } }`
		closeT    = `mutation($id: ID!) { closeTicket(id: $id) { id } }`
	)
	newT := e.CreateTicket(t, tn.User.Token, nil).ID
	inProgress := e.CreateTicket(t, tn.User.Token, nil).ID
	do(agent.Token, startWork, inProgress)
	waitingCustomer := e.CreateTicket(t, tn.User.Token, nil).ID
	do(agent.Token, startWork, waitingCustomer)
	do(agent.Token, ask, waitingCustomer)
	waitingThird := e.CreateTicket(t, tn.User.Token, nil).ID
	do(agent.Token, startWork, waitingThird)
	do(agent.Token, waitOn, waitingThird)
	resolved := e.CreateTicket(t, tn.User.Token, nil).ID
	do(agent.Token, startWork, resolved)
	do(agent.Token, resolve, resolved)
	closed := e.CreateTicket(t, tn.User.Token, nil).ID
	do(agent.Token, startWork, closed)
	do(agent.Token, resolve, closed)
	do(agent.Token, closeT, closed)

	vars := func(id, reason string) map[string]any { return map[string]any{"id": id, "r": reason} }
	runRefused(t, e, []badCase{
		{name: "empty reason", as: agent.Token, query: wait, vars: vars(inProgress, ""), code: badInput},
		{name: "blank reason", as: agent.Token, query: wait, vars: vars(inProgress, " \n\t"), code: badInput},
		{name: "on NEW", as: agent.Token, query: wait, vars: vars(newT, "Vendor RMA"), code: invalidTransition},
		{name: "on WAITING_ON_CUSTOMER", as: agent.Token, query: wait, vars: vars(waitingCustomer, "Vendor RMA"), code: invalidTransition},
		{name: "on WAITING_ON_THIRD_PARTY", as: agent.Token, query: wait, vars: vars(waitingThird, "Vendor RMA"), code: invalidTransition},
		{name: "on RESOLVED", as: agent.Token, query: wait, vars: vars(resolved, "Vendor RMA"), code: invalidTransition},
		{name: "on CLOSED", as: agent.Token, query: wait, vars: vars(closed, "Vendor RMA"), code: invalidTransition},
		{name: "requestInformation on WAITING_ON_THIRD_PARTY", as: agent.Token, query: ask, vars: map[string]any{"id": waitingThird}, code: invalidTransition},
		{name: "by the requester", as: tn.User.Token, query: wait, vars: vars(inProgress, "Vendor RMA"), code: "FORBIDDEN"},
		{name: "by its organization's MASTER", as: tn.Master.Token, query: wait, vars: vars(inProgress, "Vendor RMA"), code: "FORBIDDEN"},
		{name: "unknown id", as: agent.Token, query: wait, vars: vars(nothingLike(t, newT), "Vendor RMA"), code: notFound},
		{name: "an organization's ID as id", as: agent.Token, query: wait, vars: vars(tn.OrgID, "Vendor RMA"), code: notFound},
	})

	// What is allowed still is: the wait ends with startWork or resolveTicket.
	do(agent.Token, waitOn, inProgress)
	do(agent.Token, resolve, inProgress)
	do(agent.Token, startWork, waitingThird)
	stillServes(t, e, agent.Token)
}

// TestSLAClocksOfANewARespondedAndAResolvedTicket: slaClocks explains both
// clocks in business time (a CRITICAL ticket opened Friday 17:30 on
// Monday–Friday 09:00–18:00 in Berlin), as they stand at the server's
// clock: running, met by the first response and the resolution, or
// breached once a due time passed with its clock running.
func TestSLAClocksOfANewARespondedAndAResolvedTicket(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	local := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	clock := &testClock{now: local("2026-11-27 17:30")} // a Friday
	e := apitest.New(t, apitest.Options{Clock: clock.Now})
	org := createOrgUnder(t, e, createPolicy(t, e, []string{}, 3600))
	user := e.Contact(t, org, "USER")
	agent := e.Agent(t, "AGENT")
	worked := e.CreateTicket(t, user.Token, map[string]any{"priority": "CRITICAL"})
	ignored := e.CreateTicket(t, user.Token, map[string]any{"priority": "CRITICAL"})
	at := func(s string, token, op string) {
		t.Helper()
		clock.Set(local(s))
		e.Do(t, token, op, map[string]any{"id": worked.ID}, nil)
	}
	first := func(elapsed time.Duration) slaClock {
		return slaClock{Clock: "FIRST_RESPONSE", PolicyVersion: 1, TargetSeconds: 3600, ElapsedSeconds: int(elapsed / time.Second),
			WarningAt: sentPtr(local("2026-11-30 09:15")), DueAt: sentPtr(local("2026-11-30 09:30"))}
	}
	resolution := func(elapsed time.Duration) slaClock {
		return slaClock{Clock: "RESOLUTION", PolicyVersion: 1, TargetSeconds: 4 * 3600, ElapsedSeconds: int(elapsed / time.Second),
			WarningAt: sentPtr(local("2026-11-30 11:30")), DueAt: sentPtr(local("2026-11-30 12:30"))}
	}

	// New: 10 minutes counted on Friday; the weekend does not count.
	clock.Set(local("2026-11-27 17:40"))
	checkClocks(t, "new ticket on Friday", readClocks(t, e, user.Token, worked.ID).SlaClocks, first(10*time.Minute), resolution(10*time.Minute))
	clock.Set(local("2026-11-30 08:00"))
	checkClocks(t, "new ticket before Monday's opening", readClocks(t, e, user.Token, worked.ID).SlaClocks, first(30*time.Minute), resolution(30*time.Minute))

	// Responded Monday 09:10 (acceptTicket): the first response is met
	// after 40 minutes; the resolution clock runs on.
	at("2026-11-30 09:10", agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`)
	clock.Set(local("2026-11-30 10:00"))
	met := first(40 * time.Minute)
	met.MetAt = sentPtr(local("2026-11-30 09:10"))
	checkClocks(t, "responded ticket", readClocks(t, e, user.Token, worked.ID).SlaClocks, met, resolution(90*time.Minute))
	// The other ticket had no response by its due time: breached then.
	late := first(90 * time.Minute)
	late.BreachedAt = late.DueAt
	checkClocks(t, "unanswered ticket", readClocks(t, e, user.Token, ignored.ID).SlaClocks, late, resolution(90*time.Minute))

	// Resolved Monday 11:00: met after 2.5 h; the clock stops there.
	at("2026-11-30 11:00", agent.Token, `mutation($id: ID!) { resolveTicket(id: $id, resolution: "Line card replaced") { id } }`)
	clock.Set(local("2026-12-01 10:00"))
	done := resolution(150 * time.Minute)
	done.MetAt = sentPtr(local("2026-11-30 11:00"))
	checkClocks(t, "resolved ticket a day later", readClocks(t, e, user.Token, worked.ID).SlaClocks, met, done)
}
