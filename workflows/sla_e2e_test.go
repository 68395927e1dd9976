package workflows_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/apitest"
	"helpdesk/internal/deliver"
)

// event is a timeline event as a portal reads it.
type event struct {
	Kind      string
	CreatedAt time.Time
	Data      string
}

func (ev event) decode(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if ev.Data != "" {
		if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
			t.Fatalf("%s data %q: %v", ev.Kind, ev.Data, err)
		}
	}
	return m
}

// slaTicket is a ticket with its SLA fields and timeline.
type slaTicket struct {
	ID, Number, Status                  string
	EscalationLevel                     int
	FirstResponseBreached               bool
	ResolutionBreached                  bool
	FirstResponseDueAt, ResolutionDueAt time.Time
	Events                              []event
}

const slaTicketQuery = `query($id: ID!) { node(id: $id) { ... on Ticket {
  id number status escalationLevel firstResponseBreached resolutionBreached firstResponseDueAt resolutionDueAt
  events { kind createdAt data } } } }`

func readTicket(t *testing.T, e *apitest.Env, id string) slaTicket {
	t.Helper()
	var out struct{ Node slaTicket }
	e.Do(t, apitest.AdminToken, slaTicketQuery, map[string]any{"id": id}, &out)
	return out.Node
}

func (tk slaTicket) events(kind string) []event {
	var out []event
	for _, ev := range tk.Events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// fastPolicy is the createSLAPolicy input of a 24x7 policy in UTC whose
// CRITICAL targets are frSeconds and resSeconds (the other priorities'
// are hours); more adds fields (warningPercent, reminderSeconds, …).
func fastPolicy(frSeconds, resSeconds int, more map[string]any) map[string]any {
	in := map[string]any{"name": apitest.Unique("fast"), "timezone": "UTC", "alwaysOpen": true, "targets": []map[string]any{
		{"priority": "CRITICAL", "firstResponseSeconds": frSeconds, "resolutionSeconds": resSeconds},
		{"priority": "HIGH", "firstResponseSeconds": 7200, "resolutionSeconds": 86400},
		{"priority": "MEDIUM", "firstResponseSeconds": 14400, "resolutionSeconds": 172800},
		{"priority": "LOW", "firstResponseSeconds": 32400, "resolutionSeconds": 259200}}}
	for k, v := range more {
		in[k] = v
	}
	return in
}

// slaOrg creates the policy of input pol, an escalation table of a new
// region with these waits (none without), and an organization on both
// with one contact; it returns the contact's token.
func slaOrg(t *testing.T, e *apitest.Env, pol map[string]any, waits ...int) string {
	t.Helper()
	var created struct{ CreateSLAPolicy struct{ ID string } }
	e.Do(t, apitest.AdminToken, `mutation($in: CreateSLAPolicyInput!) { createSLAPolicy(input: $in) { id } }`, map[string]any{"in": pol}, &created)
	region := apitest.Unique("REGION")
	levels := []map[string]any{}
	for i, w := range waits {
		levels = append(levels, map[string]any{"name": fmt.Sprintf("L%d", i+1), "emails": []string{fmt.Sprintf("l%d@noc.example", i+1)}, "waitSeconds": w})
	}
	if len(levels) > 0 {
		e.Do(t, apitest.AdminToken, `mutation($r: String!, $l: [EscalationLevelInput!]!) { setEscalationTable(region: $r, levels: $l) { id } }`,
			map[string]any{"r": region, "l": levels}, nil)
	}
	var org struct{ CreateOrganization struct{ ID string } }
	e.Do(t, apitest.AdminToken, `mutation($in: CreateOrganizationInput!) { createOrganization(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": apitest.Unique("org"), "region": region, "timezone": "UTC", "slaPolicyID": created.CreateSLAPolicy.ID}}, &org)
	return e.Contact(t, org.CreateOrganization.ID, "USER").Token
}

// slaSetup is slaOrg with a fastPolicy warning at warnPercent.
func slaSetup(t *testing.T, e *apitest.Env, frSeconds, resSeconds, warnPercent int, waits ...int) string {
	t.Helper()
	return slaOrg(t, e, fastPolicy(frSeconds, resSeconds, map[string]any{"warningPercent": warnPercent}), waits...)
}

// waitTicket polls the ticket until cond holds or d has passed.
func waitTicket(t *testing.T, e *apitest.Env, id string, d time.Duration, what string, cond func(slaTicket) bool) slaTicket {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		tk := readTicket(t, e, id)
		if cond(tk) {
			return tk
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s did not happen; ticket: %+v", d, what, tk)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestOnRealTemporalATicketIsWarnedBreachedAndClimbsTheLadder: on the
// in-process Temporal server, through the API, a CRITICAL ticket nobody
// answers on a 24x7 policy of seconds is warned at the warning percent,
// breached at its due time and escalated to level 1, then level 2 after
// level 1's wait, and no further than the table's last level.
func TestOnRealTemporalATicketIsWarnedBreachedAndClimbsTheLadder(t *testing.T) {
	e := apitest.New(t, apitest.Options{Temporal: true})
	token := slaSetup(t, e, 3, 600, 50, 2, 2)
	tk := e.CreateTicket(t, token, map[string]any{"priority": "CRITICAL"})
	got := waitTicket(t, e, tk.ID, 30*time.Second, "escalation to level 2", func(tk slaTicket) bool { return tk.EscalationLevel >= 2 })

	warn := got.events("SLA_WARNING")
	if len(warn) != 1 {
		t.Fatalf("SLA_WARNING events: %+v, want one", warn)
	}
	if d := warn[0].decode(t); d["clock"] != "FIRST_RESPONSE" || d["dueAt"] != got.FirstResponseDueAt.Format(time.RFC3339Nano) {
		t.Errorf("SLA_WARNING data %v, want the FIRST_RESPONSE clock due at %s", d, got.FirstResponseDueAt.Format(time.RFC3339Nano))
	}
	warnAt := got.FirstResponseDueAt.Add(-1500 * time.Millisecond)
	if warn[0].CreatedAt.Before(warnAt) {
		t.Errorf("warned at %s, before the warning instant %s", warn[0].CreatedAt, warnAt)
	}
	br := got.events("SLA_BREACHED")
	if len(br) != 1 || !got.FirstResponseBreached {
		t.Fatalf("SLA_BREACHED events %+v, firstResponseBreached %v: want one breach", br, got.FirstResponseBreached)
	}
	if br[0].CreatedAt.Before(got.FirstResponseDueAt) {
		t.Errorf("breach recorded at %s, before its due time %s", br[0].CreatedAt, got.FirstResponseDueAt)
	}
	t.Logf("breach lateness %s", br[0].CreatedAt.Sub(got.FirstResponseDueAt))

	// The ladder ends at the last level: wait past level 2's wait.
	time.Sleep(3 * time.Second)
	got = readTicket(t, e, tk.ID)
	esc := got.events("ESCALATED")
	if len(esc) != 2 || got.EscalationLevel != 2 {
		t.Fatalf("ESCALATED events %+v at level %d; want 0→1 and 1→2 only", esc, got.EscalationLevel)
	}
	for i, ev := range esc {
		d := ev.decode(t)
		if d["from"] != float64(i) || d["to"] != float64(i+1) || d["manual"] != false || d["reason"] == "" {
			t.Errorf("ESCALATED %d: %v, want from %d to %d, manual false, a reason", i, d, i, i+1)
		}
	}
	if gap := esc[1].CreatedAt.Sub(esc[0].CreatedAt); gap < 2*time.Second {
		t.Errorf("level 2 came %s after level 1, before level 1's wait of 2s", gap)
	}
}

// TestOnRealTemporalTheWarningAndEachEscalationAreMailed: the product's
// own actions notify as a person's do — the warning of an unassigned
// ticket to every supervisor, each escalation to its level's addresses —
// once each, through a real SMTP server.
func TestOnRealTemporalTheWarningAndEachEscalationAreMailed(t *testing.T) {
	sink := apitest.NewMailSink(t, "127.0.0.1:0")
	m, err := deliver.NewMailer(sink.URL(), "desk@helpdesk.test", "")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.New(t, apitest.Options{Temporal: true, Deliver: true, Mailer: m})
	sup := e.Agent(t, "SUPERVISOR")
	token := slaSetup(t, e, 3, 600, 50, 2, 2)
	tk := e.CreateTicket(t, token, map[string]any{"priority": "CRITICAL"})
	count := func(ms []apitest.Mail, to, kindWord string) int {
		n := 0
		for _, m := range ms {
			if m.To[0] == to && strings.HasPrefix(m.Subject(), "["+tk.Number+"]") && strings.Contains(strings.ToLower(m.Raw), kindWord) {
				n++
			}
		}
		return n
	}
	sink.Wait(t, 30*time.Second, func(ms []apitest.Mail) bool {
		return count(ms, "l2@noc.example", "escalat") >= 1
	})
	time.Sleep(500 * time.Millisecond)
	got := sink.Received()
	if n := count(got, sup.Email, "warning"); n != 1 {
		t.Errorf("%d SLA warnings to the supervisor, want 1", n)
	}
	for _, to := range []string{"l1@noc.example", "l2@noc.example"} {
		if n := count(got, to, "escalat"); n != 1 {
			t.Errorf("%d escalations mailed to %s, want 1", n, to)
		}
	}
}
