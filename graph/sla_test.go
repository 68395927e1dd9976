package graph_test

import (
	"testing"
	"time"

	"helpdesk/internal/apitest"
)

var weekdays = []map[string]any{
	{"weekday": "MONDAY", "start": "09:00", "end": "18:00"}, {"weekday": "TUESDAY", "start": "09:00", "end": "18:00"},
	{"weekday": "WEDNESDAY", "start": "09:00", "end": "18:00"}, {"weekday": "THURSDAY", "start": "09:00", "end": "18:00"},
	{"weekday": "FRIDAY", "start": "09:00", "end": "18:00"},
}

func targets(critFirst int) []map[string]any {
	return []map[string]any{
		{"priority": "CRITICAL", "firstResponseSeconds": critFirst, "resolutionSeconds": 4 * 3600},
		{"priority": "HIGH", "firstResponseSeconds": 2 * 3600, "resolutionSeconds": 24 * 3600},
		{"priority": "MEDIUM", "firstResponseSeconds": 4 * 3600, "resolutionSeconds": 48 * 3600},
		{"priority": "LOW", "firstResponseSeconds": 9 * 3600, "resolutionSeconds": 72 * 3600},
	}
}

func createPolicy(t *testing.T, e *apitest.Env, holidays []string, critFirst int) string {
	t.Helper()
	var out struct{ CreateSLAPolicy struct{ ID string } }
	e.Do(t, apitest.AdminToken, `mutation($in: CreateSLAPolicyInput!) { CreateSLAPolicy: createSLAPolicy(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": apitest.Unique("Berlin"), "timezone": "Europe/Berlin",
			"openingHours": weekdays, "holidays": holidays, "targets": targets(critFirst)}}, &out)
	return out.CreateSLAPolicy.ID
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%q is not RFC 3339: %v", s, err)
	}
	return v
}

// TestSLAPreviewCountsBusinessTimeOnly checks the due-time rule of SPEC §4
// through the API.
func TestSLAPreviewCountsBusinessTimeOnly(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	plain := createPolicy(t, e, []string{}, 3600)
	holiday := createPolicy(t, e, []string{"2026-11-30"}, 3600)
	for _, tc := range []struct {
		name, policy, at, wantFirst string
	}{
		{"friday 17:30 + 1h → monday 09:30", plain, "2026-11-27T17:30:00+01:00", "2026-11-30T09:30:00+01:00"},
		{"friday 17:30 + 1h, monday holiday → tuesday 09:30", holiday, "2026-11-27T17:30:00+01:00", "2026-12-01T09:30:00+01:00"},
		{"saturday → monday 10:00", plain, "2026-11-28T12:00:00+01:00", "2026-11-30T10:00:00+01:00"},
	} {
		var out struct {
			SLAPreview struct{ FirstResponseDueAt, ResolutionDueAt string } `json:"slaPreview"`
		}
		e.Do(t, apitest.AdminToken, `query($p: ID!, $at: Time!) { slaPreview(policyID: $p, priority: CRITICAL, at: $at) { firstResponseDueAt resolutionDueAt } }`,
			map[string]any{"p": tc.policy, "at": tc.at}, &out)
		if got := mustTime(t, out.SLAPreview.FirstResponseDueAt); !got.Equal(mustTime(t, tc.wantFirst)) {
			t.Errorf("%s: first response due %s, want %s", tc.name, got, tc.wantFirst)
		}
		if s := out.SLAPreview.FirstResponseDueAt; len(s) < 20 || s[19] != '.' {
			t.Errorf("%s: %q has no fractional seconds", tc.name, s)
		}
	}
}

// TestTicketKeepsThePolicyVersionItOpenedUnder: an update of the policy is a
// new version for new tickets; an open ticket keeps its due times, and a
// priority change recomputes them with the targets it opened under.
func TestTicketKeepsThePolicyVersionItOpenedUnder(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	policy := createPolicy(t, e, []string{}, 3600)
	var org struct{ CreateOrganization struct{ ID string } }
	e.Do(t, apitest.AdminToken, `mutation($p: ID!, $n: String!) { CreateOrganization: createOrganization(input: {name: $n, region: "EU", timezone: "Europe/Berlin", slaPolicyID: $p}) { id } }`,
		map[string]any{"p": policy, "n": apitest.Unique("Versioned")}, &org)
	user := e.Contact(t, org.CreateOrganization.ID, "USER")
	agent := e.Agent(t, "AGENT")
	type due struct {
		ID                                  string
		CreatedAt                           string
		FirstResponseDueAt, ResolutionDueAt string
	}
	open := func() due {
		var out struct{ CreateTicket due }
		e.Do(t, user.Token, `mutation { CreateTicket: createTicket(input: {subject: "s", description: "d", priority: HIGH, category: INCIDENT}) { id createdAt firstResponseDueAt resolutionDueAt } }`, nil, &out)
		return out.CreateTicket
	}
	before := open()

	var upd struct{ UpdateSLAPolicy struct{ Version int } }
	e.Do(t, apitest.AdminToken, `mutation($id: ID!, $in: CreateSLAPolicyInput!) { UpdateSLAPolicy: updateSLAPolicy(id: $id, input: $in) { version } }`,
		map[string]any{"id": policy, "in": map[string]any{"name": "Always open now", "timezone": "Europe/Berlin", "alwaysOpen": true, "targets": targets(600)}}, &upd)
	if upd.UpdateSLAPolicy.Version != 2 {
		t.Fatalf("version after update: %d, want 2", upd.UpdateSLAPolicy.Version)
	}
	var again struct{ Node due }
	e.Do(t, agent.Token, `query($id: ID!) { Node: node(id: $id) { ... on Ticket { id firstResponseDueAt resolutionDueAt } } }`, map[string]any{"id": before.ID}, &again)
	if again.Node.FirstResponseDueAt != before.FirstResponseDueAt || again.Node.ResolutionDueAt != before.ResolutionDueAt {
		t.Fatalf("open ticket's due times changed with the policy: %+v → %+v", before, again.Node)
	}
	after := open()
	created := mustTime(t, after.CreatedAt)
	if got := mustTime(t, after.FirstResponseDueAt); !got.Equal(created.Add(2 * time.Hour)) {
		t.Fatalf("new ticket under the 24x7 version: first response due %s, want created + 2h (%s)", got, created.Add(2*time.Hour))
	}

	// CRITICAL under the old (business-hours) version: 1 h first response
	// in business time from creation, not the new version's 10 minutes.
	var ch struct{ ChangeTicketPriority due }
	e.Do(t, agent.Token, `mutation($id: ID!) { ChangeTicketPriority: changeTicketPriority(id: $id, priority: CRITICAL, reason: "outage") { firstResponseDueAt resolutionDueAt } }`,
		map[string]any{"id": before.ID}, &ch)
	var prev struct {
		SLAPreview struct{ FirstResponseDueAt, ResolutionDueAt string } `json:"slaPreview"`
	}
	// The old version equals a fresh business-hours policy with 1 h.
	ref := createPolicy(t, e, []string{}, 3600)
	e.Do(t, apitest.AdminToken, `query($p: ID!, $at: Time!) { slaPreview(policyID: $p, priority: CRITICAL, at: $at) { firstResponseDueAt resolutionDueAt } }`,
		map[string]any{"p": ref, "at": before.CreatedAt}, &prev)
	if !mustTime(t, ch.ChangeTicketPriority.FirstResponseDueAt).Equal(mustTime(t, prev.SLAPreview.FirstResponseDueAt)) ||
		!mustTime(t, ch.ChangeTicketPriority.ResolutionDueAt).Equal(mustTime(t, prev.SLAPreview.ResolutionDueAt)) {
		t.Fatalf("after the priority change: %+v, want the old version's CRITICAL due times %+v", ch.ChangeTicketPriority, prev.SLAPreview)
	}
}
