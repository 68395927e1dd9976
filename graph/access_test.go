package graph_test

// SPEC §7 "Access", proved over HTTP and WebSocket per role and per query
// path, denials included. Each top-level test runs one helpdesk and reuses
// its fixtures; every refused mutation is followed by a look, with the
// admin token (and, for what the API cannot read, the database), that
// nothing changed.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"helpdesk/ent/notification"
	"helpdesk/internal/apitest"
	"helpdesk/internal/viewer"
)

// accWait bounds every wait of this file (subscriptions poll about every
// 300 ms).
const accWait = 10 * time.Second

// ---------------------------------------------------------------------------
// 1. Authentication

func TestAccessAuthentication(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	a := e.Tenant(t, "acc-auth")
	agent := e.Agent(t, "AGENT")
	tk := e.CreateTicket(t, a.User.Token, nil)

	// A deactivated contact (through the API) and a deactivated agent (the
	// API has no mutation for it, so through the database).
	e.Do(t, apitest.AdminToken, `mutation($id: ID!) { deactivateContact(id: $id) { id } }`, map[string]any{"id": a.User2.ID}, nil)
	agentID, err := strconv.Atoi(agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Client.Agent.UpdateOneID(agentID).SetActive(false).Exec(viewer.SystemContext(context.Background())); err != nil {
		t.Fatal(err)
	}

	operations := []struct {
		name, query string
		vars        map[string]any
	}{
		{"tickets", `{ tickets { totalCount edges { node { id subject } } } }`, nil},
		{"organizations", `{ organizations { totalCount } }`, nil},
		{"contacts", `{ contacts { totalCount } }`, nil},
		{"agents", `{ agents { totalCount } }`, nil},
		{"viewer", `{ viewer { contact { id } agent { id } } }`, nil},
		{"node", `query($id: ID!) { node(id: $id) { id ... on Ticket { subject } } }`, map[string]any{"id": tk.ID}},
		{"nodes", `query($id: ID!) { nodes(ids: [$id]) { id } }`, map[string]any{"id": tk.ID}},
		{"ticketByNumber", `query($n: String!) { ticketByNumber(number: $n) { id subject } }`, map[string]any{"n": tk.Number}},
		{"slaPolicies", `{ slaPolicies { id } }`, nil},
		{"escalationTables", `{ escalationTables { id } }`, nil},
		{"createTicket", `mutation { createTicket(input: {subject: "s", description: "d", priority: LOW, category: INCIDENT}) { id } }`, nil},
		{"addComment", `mutation($id: ID!) { addComment(input: {ticketID: $id, body: "hello"}) { id } }`, map[string]any{"id": tk.ID}},
		{"escalateTicket", `mutation($id: ID!) { escalateTicket(id: $id, reason: "r") { id } }`, map[string]any{"id": tk.ID}},
	}

	t.Run("without a token every data field fails with UNAUTHENTICATED", func(t *testing.T) {
		for _, op := range operations {
			res := e.Fail(t, "UNAUTHENTICATED", "", op.query, op.vars)
			if apitest.HasData(res.Data) {
				t.Errorf("%s without a token answered data %s", op.name, res.Data)
			}
		}
	})

	badTokens := []struct{ name, header string }{
		{"an unknown token", "Bearer hd_thisTokenWasNeverIssued0000000000000000000"},
		{"the token of a deactivated contact", "Bearer " + a.User2.Token},
		{"the token of a deactivated agent", "Bearer " + agent.Token},
		{"an Authorization header that is not a bearer token", "Basic " + a.User.Token},
	}
	for _, bt := range badTokens {
		t.Run(bt.name+" answers HTTP 401 UNAUTHENTICATED", func(t *testing.T) {
			for _, op := range operations {
				status, res := accPostHeader(t, e, bt.header, op.query, op.vars)
				if status != http.StatusUnauthorized || len(res.Errors) == 0 || slices.ContainsFunc(res.Codes(), func(c string) bool { return c != "UNAUTHENTICATED" }) {
					t.Errorf("%s: HTTP %d, errors %v; want 401 UNAUTHENTICATED", op.name, status, res.Errors)
				}
				if apitest.HasData(res.Data) {
					t.Errorf("%s: answered data %s", op.name, res.Data)
				}
			}
		})
	}

	t.Run("an agent cannot open a ticket for a deactivated contact", func(t *testing.T) {
		before := accState(t, e)
		e.Fail(t, "BAD_USER_INPUT", apitest.AdminToken,
			`mutation($r: ID!) { createTicket(input: {subject: "s", description: "d", priority: LOW, category: INCIDENT, requesterID: $r}) { id } }`,
			map[string]any{"r": a.User2.ID})
		accUnchanged(t, e, before, "createTicket for a deactivated contact")
	})

	t.Run("the token of an active contact still works", func(t *testing.T) {
		var got struct {
			Viewer struct{ Contact struct{ ID string } }
		}
		e.Do(t, a.User.Token, `{ viewer { contact { id } } }`, nil, &got)
		if got.Viewer.Contact.ID != a.User.ID {
			t.Fatalf("viewer %+v, want contact %s", got.Viewer, a.User.ID)
		}
	})
}

// ---------------------------------------------------------------------------
// 2. What each viewer reads, per query path

func TestAccessReadScope(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	A := e.Tenant(t, "acc-read-a")
	B := e.Tenant(t, "acc-read-b")
	agent := e.Agent(t, "AGENT")
	sup := e.Agent(t, "SUPERVISOR")
	am := e.Agent(t, "ACCOUNT_MANAGER")
	partner := e.Partner(t, A.OrgID)
	adminID := accViewerAgentID(t, e, apitest.AdminToken)

	// A third organization C with its own SLA policy, managed by am; the EU
	// escalation table (A and B are in EU).
	pc := accCreatePolicy(t, e, apitest.AdminToken, "C policy")
	orgC := accCreateOrg(t, e, apitest.AdminToken, map[string]any{"slaPolicyID": pc, "accountManagerID": am.ID})
	e.Do(t, apitest.AdminToken, `mutation { setEscalationTable(region: "EU", levels: [{name: "L1", emails: ["l1@helpdesk.example"], waitSeconds: 3600}]) { id } }`, nil, nil)

	aU1 := e.CreateTicket(t, A.User.Token, nil)
	aU2 := e.CreateTicket(t, A.User.Token, nil)
	aU2b := e.CreateTicket(t, A.User2.Token, nil)
	aM := e.CreateTicket(t, A.Master.Token, nil)
	bU := e.CreateTicket(t, B.User.Token, nil)
	bM := e.CreateTicket(t, B.Master.Token, nil)

	e.Comment(t, agent.Token, aU1.ID, "We are looking into it", false)
	e.Comment(t, agent.Token, aU1.ID, "secret: their router is on our blocklist", true)
	e.Comment(t, A.User.Token, aU1.ID, "Thanks", false)
	e.Comment(t, agent.Token, bU.ID, "Reply to B", false)
	e.Comment(t, sup.Token, bU.ID, "secret: B's internal note", true)
	e.Comment(t, sup.Token, aM.ID, "the only comment of this ticket is internal", true)
	e.Do(t, agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`, map[string]any{"id": bU.ID}, nil)

	// The changes above planned their notifications; an SLA warning needs
	// the workflow (not running here), so it is put straight into the
	// database.
	aWarning := accNotify(t, e, aU1.ID, "SLA_WARNING", agent.Email)
	aCustomerSees := accNotifications(t, e, aU1.ID, false)
	aAgentSees := accNotifications(t, e, aU1.ID, true)
	bReceived := accNotifications(t, e, bU.ID, false)[0]
	if len(aCustomerSees) == 0 || len(aAgentSees) != len(aCustomerSees)+1 {
		t.Fatalf("notifications of A's ticket: %v for customers, %v for agents", aCustomerSees, aAgentSees)
	}

	a1, b1 := accDetail(t, e, aU1.ID), accDetail(t, e, bU.ID)
	a1PublicComments, a1Internal := a1.commentIDs(false), a1.commentIDs(true)
	a1PublicEvents, a1InternalEvents := a1.eventIDs(false), a1.eventIDs(true)
	if len(a1Internal) != 1 || len(a1InternalEvents) != 1 || len(a1PublicComments) != 2 || len(b1.commentIDs(true)) != 1 {
		t.Fatalf("fixture: comments/events of the tickets: %+v / %+v", a1, b1)
	}

	allTickets := []string{aU1.ID, aU2.ID, aU2b.ID, aM.ID, bU.ID, bM.ID}
	aTickets := []string{aU1.ID, aU2.ID, aU2b.ID, aM.ID}
	userTickets := []string{aU1.ID, aU2.ID}
	aContacts := []string{A.Master.ID, A.Admin.ID, A.User.ID, A.User2.ID}
	allContacts := append(slices.Clone(aContacts), B.Master.ID, B.Admin.ID, B.User.ID, B.User2.ID)
	allOrgs := []string{A.OrgID, B.OrgID, orgC}
	allAgents := []string{adminID, agent.ID, sup.ID, am.ID}

	// What of B (and of C) only agents may see.
	foreign := []struct{ what, id string }{
		{"B's ticket", bU.ID},
		{"B's organization", B.OrgID},
		{"B's contact", B.User.ID},
		{"B's service", B.ServiceID},
		{"B's public comment", b1.commentIDs(false)[0]},
		{"B's internal note", b1.commentIDs(true)[0]},
		{"B's CREATED event", b1.eventIDs(false)[0]},
		{"B's STATUS_CHANGED event", b1.eventOfKind("STATUS_CHANGED")},
		{"B's notification", bReceived},
		{"C's SLA policy", pc},
	}

	type reader struct {
		name                    string
		token                   string
		agent, user             bool
		tickets, contacts, orgs []string
		aContacts, aTickets     []string // on the edges of A's organization
		hidden                  []struct{ what, id string }
	}
	readers := []reader{
		{name: "ADMIN agent sees every organization", token: apitest.AdminToken, agent: true},
		{name: "AGENT sees every organization", token: agent.Token, agent: true},
		{name: "SUPERVISOR sees every organization", token: sup.Token, agent: true},
		{name: "ACCOUNT_MANAGER sees every organization, not only C it manages", token: am.Token, agent: true},
		{name: "A's MASTER sees all of A and nothing of B", token: A.Master.Token, tickets: aTickets, contacts: aContacts},
		{name: "A's ADMIN contact sees all of A and nothing of B", token: A.Admin.Token, tickets: aTickets, contacts: aContacts},
		{name: "A's USER sees only itself and the tickets it requested", token: A.User.Token, user: true, tickets: userTickets, contacts: []string{A.User.ID},
			hidden: []struct{ what, id string }{{"A.User2's ticket", aU2b.ID}, {"A's MASTER contact", A.Master.ID}, {"A.User2 contact", A.User2.ID}}},
		{name: "partner token of A sees A as its MASTER does", token: partner, tickets: aTickets, contacts: aContacts},
	}
	for i := range readers {
		r := &readers[i]
		if r.agent {
			r.tickets, r.contacts, r.orgs = allTickets, allContacts, allOrgs
			r.aContacts, r.aTickets = aContacts, aTickets
		} else {
			r.orgs = []string{A.OrgID}
			r.aContacts, r.aTickets = r.contacts, r.tickets
		}
	}

	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()

			t.Run("connections list exactly its scope", func(t *testing.T) {
				var got struct {
					Tickets, Organizations, Contacts, Agents accConn
					SLAPolicies                              []struct{ ID string } `json:"slaPolicies"`
					EscalationTables                         []struct{ ID string } `json:"escalationTables"`
				}
				e.Do(t, r.token, `{
				  tickets(first: 100) { totalCount edges { node { id } } }
				  organizations(first: 100) { totalCount edges { node { id } } }
				  contacts(first: 100) { totalCount edges { node { id } } }
				  agents(first: 100) { totalCount edges { node { id } } }
				  slaPolicies { id }
				  escalationTables { id }
				}`, nil, &got)
				got.Tickets.check(t, "tickets", r.tickets)
				got.Organizations.check(t, "organizations", r.orgs)
				got.Contacts.check(t, "contacts", r.contacts)
				got.Agents.check(t, "agents (everyone signed in reads agents)", allAgents)
				policies := accIDs(got.SLAPolicies)
				if slices.Contains(policies, pc) != r.agent {
					t.Errorf("slaPolicies %v: C's policy %s visible = %v, want %v", policies, pc, !r.agent, r.agent)
				}
				if len(policies) == 0 {
					t.Errorf("slaPolicies is empty; the default policy is everyone's")
				}
				if want := map[bool]int{true: 1, false: 0}[r.agent]; len(got.EscalationTables) != want {
					t.Errorf("escalationTables %v, want %d (agents only)", got.EscalationTables, want)
				}
			})

			t.Run("slaPreview of another organization's policy: NOT_FOUND", func(t *testing.T) {
				q := `query($p: ID!) { slaPreview(policyID: $p, priority: HIGH, at: "2026-11-27T10:00:00Z") { resolutionDueAt } }`
				if r.agent {
					e.Do(t, r.token, q, map[string]any{"p": pc}, nil)
				} else {
					res := e.Fail(t, "NOT_FOUND", r.token, q, map[string]any{"p": pc})
					if apitest.HasData(res.Data) {
						t.Errorf("slaPreview answered %s", res.Data)
					}
				}
			})

			t.Run("node, nodes and ticketByNumber never return another tenant's objects", func(t *testing.T) {
				for _, f := range append(slices.Clone(foreign), r.hidden...) {
					if r.agent && !slices.Contains(r.hidden, f) {
						accNodeVisible(t, e, r.token, f.what, f.id)
					} else {
						accNodeHidden(t, e, r.token, f.what, f.id)
					}
				}
				if !r.agent {
					accNodeHidden(t, e, r.token, "A's internal note", a1Internal[0])
					accNodeHidden(t, e, r.token, "the event of A's internal note", a1InternalEvents[0])
					accNodeHidden(t, e, r.token, "the SLA warning sent to an agent", aWarning)
				} else {
					accNodeVisible(t, e, r.token, "the SLA warning sent to an agent", aWarning)
				}
				// nodes: the visible one comes back, the others are null.
				ids := []string{aU1.ID}
				for _, f := range foreign {
					ids = append(ids, f.id)
				}
				res := e.Post(t, r.token, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
				var got struct{ Nodes []*struct{ ID string } }
				if err := json.Unmarshal(res.Data, &got); err != nil || len(got.Nodes) != len(ids) {
					t.Fatalf("nodes: data %s errors %v", res.Data, res.Errors)
				}
				if got.Nodes[0] == nil || got.Nodes[0].ID != aU1.ID {
					t.Errorf("nodes: A's ticket missing: %s", res.Data)
				}
				for i, n := range got.Nodes[1:] {
					if r.agent && n == nil {
						t.Errorf("nodes: %s hidden from an agent", foreign[i].what)
					}
					if !r.agent && n != nil {
						t.Errorf("nodes: LEAK of %s: %s", foreign[i].what, res.Data)
					}
				}
				for _, c := range res.Codes() {
					if r.agent || c != "NOT_FOUND" {
						t.Errorf("nodes: errors %v", res.Errors)
						break
					}
				}
				// ticketByNumber
				numbers := map[string]bool{bU.Number: r.agent, aU1.Number: true, aU2b.Number: r.agent || !slices.Contains(r.hidden, struct{ what, id string }{"A.User2's ticket", aU2b.ID})}
				for number, visible := range numbers {
					var got struct{ TicketByNumber *struct{ ID string } }
					e.Do(t, r.token, `query($n: String!) { ticketByNumber(number: $n) { id } }`, map[string]any{"n": number}, &got)
					if (got.TicketByNumber != nil) != visible {
						t.Errorf("ticketByNumber(%s) = %+v, want visible=%v", number, got.TicketByNumber, visible)
					}
				}
			})

			t.Run("edges show only its scope and no internal notes to customers", func(t *testing.T) {
				var got struct {
					Org struct {
						Contacts []struct{ ID string }
						Services []struct{ ID string }
						Tickets  accConn
					}
					T struct {
						Requester    struct{ ID string }
						Organization struct{ ID string }
						Comments     []struct {
							ID       string
							Internal bool
						}
						Events []struct {
							ID, Kind string
							Internal bool
						}
						Notifications []struct{ ID string }
					}
				}
				e.Do(t, r.token, `query($org: ID!, $t: ID!) {
				  org: node(id: $org) { ... on Organization { contacts { id } services { id }
				      tickets(first: 100) { totalCount edges { node { id } } } } }
				  t: node(id: $t) { ... on Ticket { requester { id } organization { id }
				      comments { id internal } events { id kind internal } notifications { id } } }
				}`, map[string]any{"org": A.OrgID, "t": aU1.ID}, &got)
				accSame(t, "organization { contacts }", accIDs(got.Org.Contacts), r.aContacts)
				accSame(t, "organization { services }", accIDs(got.Org.Services), []string{A.ServiceID})
				got.Org.Tickets.check(t, "organization { tickets }", r.aTickets)
				if got.T.Requester.ID != A.User.ID || got.T.Organization.ID != A.OrgID {
					t.Errorf("ticket { requester organization } = %+v", got.T)
				}
				var comments, events []string
				for _, c := range got.T.Comments {
					comments = append(comments, c.ID)
				}
				for _, ev := range got.T.Events {
					events = append(events, ev.ID)
				}
				if r.agent {
					accSame(t, "ticket { comments } (agent)", comments, append(slices.Clone(a1PublicComments), a1Internal...))
					accSame(t, "ticket { events } (agent)", events, append(slices.Clone(a1PublicEvents), a1InternalEvents...))
					accSame(t, "ticket { notifications } (agent)", accIDs(got.T.Notifications), aAgentSees)
				} else {
					accSame(t, "ticket { notifications } (no SLA warning)", accIDs(got.T.Notifications), aCustomerSees)
					accSame(t, "ticket { comments } (no internal notes)", comments, a1PublicComments)
					accSame(t, "ticket { events } (no event of an internal note)", events, a1PublicEvents)
				}
				// The edges of what a contact can reach stay in its scope.
				var deep struct {
					Tickets struct {
						Edges []struct {
							Node struct {
								Organization struct {
									Contacts []struct{ ID string }
									Tickets  accConn
								}
								Requester struct{ Organization struct{ ID string } }
							}
						}
					}
				}
				e.Do(t, r.token, `{ tickets(first: 100) { edges { node {
				    organization { contacts { id } tickets(first: 100) { totalCount edges { node { id } } } }
				    requester { organization { id } } } } } }`, nil, &deep)
				for _, ed := range deep.Tickets.Edges {
					n := ed.Node
					if r.agent {
						break
					}
					accSame(t, "tickets { organization { contacts } }", accIDs(n.Organization.Contacts), r.aContacts)
					n.Organization.Tickets.check(t, "tickets { organization { tickets } }", r.aTickets)
					if n.Requester.Organization.ID != A.OrgID {
						t.Errorf("tickets { requester { organization } } = %s", n.Requester.Organization.ID)
					}
				}
			})

			t.Run("where filters cannot widen the scope", func(t *testing.T) {
				filters := []struct {
					name    string
					where   map[string]any
					matches []string // over all tickets, as an agent sees them
				}{
					{"organizationID of B", map[string]any{"organizationID": B.OrgID}, []string{bU.ID, bM.ID}},
					{"idIn every ticket", map[string]any{"idIn": allTickets}, allTickets},
					{"or over A and B", map[string]any{"or": []any{map[string]any{"organizationID": B.OrgID}, map[string]any{"organizationID": A.OrgID}}}, allTickets},
					{"not A's organization", map[string]any{"not": map[string]any{"organizationID": A.OrgID}}, []string{bU.ID, bM.ID}},
					{"hasOrganizationWith B", map[string]any{"hasOrganizationWith": []any{map[string]any{"id": B.OrgID}}}, []string{bU.ID, bM.ID}},
					{"hasRequesterWith A.User2", map[string]any{"hasRequesterWith": []any{map[string]any{"id": A.User2.ID}}}, []string{aU2b.ID}},
					{"status ACCEPTED (only B's is)", map[string]any{"status": "ACCEPTED"}, []string{bU.ID}},
				}
				for _, f := range filters {
					var got struct{ Tickets accConn }
					e.Do(t, r.token, `query($w: TicketWhereInput) { tickets(first: 100, where: $w) { totalCount edges { node { id } } } }`,
						map[string]any{"w": f.where}, &got)
					got.Tickets.check(t, "tickets(where: "+f.name+")", accIntersect(r.tickets, f.matches))
				}
				var orgs struct{ Organizations accConn }
				e.Do(t, r.token, `query($b: ID!) { organizations(where: {or: [{id: $b}, {idIn: [$b]}]}) { totalCount edges { node { id } } } }`,
					map[string]any{"b": B.OrgID}, &orgs)
				orgs.Organizations.check(t, "organizations(where: id of B or idIn B)", accIntersect(r.orgs, []string{B.OrgID}))
				var contacts struct{ Contacts accConn }
				e.Do(t, r.token, `query($b: ID!) { contacts(where: {organizationID: $b}) { totalCount edges { node { id } } } }`,
					map[string]any{"b": B.OrgID}, &contacts)
				contacts.Contacts.check(t, "contacts(where: organizationID of B)", accIntersect(r.contacts, []string{B.Master.ID, B.Admin.ID, B.User.ID, B.User2.ID}))
			})

			if r.agent {
				return
			}
			t.Run("where filters cannot probe hidden data", func(t *testing.T) {
				// A filter is evaluated as if what the viewer may not see
				// did not exist: otherwise a contact learns, ticket by
				// ticket, what internal notes say.
				type probe struct {
					name, query string
					vars        map[string]any
					want        []string
				}
				probes := []probe{
					{"tickets(where: hasCommentsWith internal)",
						`{ tickets(where: {hasCommentsWith: [{internal: true}]}) { totalCount edges { node { id } } } }`, nil, nil},
					{"tickets(where: hasCommentsWith bodyContains a word of an internal note)",
						`{ tickets(where: {hasCommentsWith: [{bodyContains: "blocklist"}]}) { totalCount edges { node { id } } } }`, nil, nil},
					{"tickets(where: hasEventsWith internal)",
						`{ tickets(where: {hasEventsWith: [{internal: true}]}) { totalCount edges { node { id } } } }`, nil, nil},
					{"tickets(where: hasNotificationsWith SLA_WARNING)",
						`{ tickets(where: {hasNotificationsWith: [{kind: SLA_WARNING}]}) { totalCount edges { node { id } } } }`, nil, nil},
					{"tickets(where: hasComments) (only aU1 has public comments)",
						`{ tickets(where: {hasComments: true}) { totalCount edges { node { id } } } }`, nil, accIntersect(r.tickets, []string{aU1.ID})},
				}
				if r.user {
					probes = append(probes,
						probe{"organizations(where: hasTicketsWith A.User2's ticket)",
							`query($t: ID!) { organizations(where: {hasTicketsWith: [{id: $t}]}) { totalCount edges { node { id } } } }`,
							map[string]any{"t": aU2b.ID}, nil},
						probe{"tickets(where: hasOrganizationWith hasTicketsWith A.User2's ticket)",
							`query($t: ID!) { tickets(where: {hasOrganizationWith: [{hasTicketsWith: [{id: $t}]}]}) { totalCount edges { node { id } } } }`,
							map[string]any{"t": aU2b.ID}, nil},
						probe{"contacts(where: hasOrganizationWith hasContactsWith A's MASTER)",
							`query($c: ID!) { contacts(where: {hasOrganizationWith: [{hasContactsWith: [{id: $c}]}]}) { totalCount edges { node { id } } } }`,
							map[string]any{"c": A.Master.ID}, nil})
				}
				var leaks []string
				for _, p := range probes {
					// Either the filter is not offered at all (a validation
					// error, BAD_USER_INPUT), or it sees only what the
					// viewer may see.
					res := e.Post(t, r.token, p.query, p.vars)
					if len(res.Errors) > 0 {
						if slices.ContainsFunc(res.Codes(), func(c string) bool { return c != "BAD_USER_INPUT" }) || string(res.Data) != "null" && len(res.Data) > 0 {
							leaks = append(leaks, fmt.Sprintf("%s answered %s %v", p.name, res.Data, res.Errors))
						}
						continue
					}
					var got map[string]accConn
					if err := json.Unmarshal(res.Data, &got); err != nil {
						t.Fatal(err)
					}
					for _, c := range got {
						if c.TotalCount != len(p.want) || !accSameSet(c.ids(), p.want) {
							leaks = append(leaks, fmt.Sprintf("%s = %v", p.name, c.ids()))
						}
					}
				}
				if len(leaks) > 0 {
					t.Errorf("LEAK through where filters: %s", strings.Join(leaks, "; "))
				}
			})
		})
	}

	t.Run("partner token of A sees exactly what A's MASTER sees", func(t *testing.T) {
		q := `query($ids: [ID!]!) {
		  tickets(first: 100) { totalCount edges { node { id number subject status requester { id email }
		      comments { id body internal } events { id kind data internal } notifications { id kind recipient } } } }
		  organizations(first: 100) { totalCount edges { node { id name slaPolicy { id } services { id sofNumber }
		      contacts { id email role active } tickets(first: 100) { totalCount } } } }
		  contacts(first: 100) { totalCount edges { node { id email role } } }
		  agents(first: 100) { totalCount }
		  slaPolicies { id }
		  escalationTables { id }
		  nodes(ids: $ids) { id }
		}`
		ids := []string{aU1.ID, aU2b.ID, bU.ID, A.OrgID, B.OrgID, A.User2.ID, B.User.ID, a1Internal[0], a1InternalEvents[0], aWarning, pc}
		seen := map[string]string{}
		for who, token := range map[string]string{"partner": partner, "MASTER": A.Master.Token} {
			res := e.Post(t, token, q, map[string]any{"ids": ids})
			if !strings.Contains(string(res.Data), aU2b.Number) || slices.ContainsFunc(res.Codes(), func(c string) bool { return c != "NOT_FOUND" }) {
				t.Fatalf("%s: data %s errors %v", who, res.Data, res.Errors)
			}
			var data any
			if err := json.Unmarshal(res.Data, &data); err != nil {
				t.Fatalf("%s: %s %v", who, res.Data, res.Errors)
			}
			accCanonical(data)
			b, _ := json.Marshal(map[string]any{"data": data, "codes": res.Codes()})
			seen[who] = string(b)
		}
		if seen["partner"] != seen["MASTER"] {
			t.Errorf("partner sees\n%s\nA's MASTER sees\n%s", seen["partner"], seen["MASTER"])
		}
	})

	t.Run("partner token's viewer lists the organizations it was issued for", func(t *testing.T) {
		var got struct {
			Viewer struct {
				Contact, Agent       *struct{ ID string }
				PartnerOrganizations []struct{ ID string }
			}
		}
		e.Do(t, partner, `{ viewer { contact { id } agent { id } partnerOrganizations { id } } }`, nil, &got)
		if got.Viewer.Contact != nil || got.Viewer.Agent != nil {
			t.Errorf("partner viewer %+v", got.Viewer)
		}
		accSame(t, "viewer { partnerOrganizations }", accIDs(got.Viewer.PartnerOrganizations), []string{A.OrgID})
	})
}

// ---------------------------------------------------------------------------
// 3. Subscriptions

func TestAccessSubscriptions(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	A := e.Tenant(t, "acc-sub-a")
	B := e.Tenant(t, "acc-sub-b")
	agent := e.Agent(t, "AGENT")
	partner := e.Partner(t, A.OrgID)
	aU1 := e.CreateTicket(t, A.User.Token, nil)
	aU2b := e.CreateTicket(t, A.User2.Token, nil)
	bU := e.CreateTicket(t, B.User.Token, nil)

	const sub = `subscription($t: ID) { ticketEvents(ticketID: $t) { id kind internal ticket { id } } }`

	unknown := "hd_thisTokenWasNeverIssued0000000000000000000"
	t.Run("a connection without a valid token is refused", func(t *testing.T) {
		t.Parallel()
		hanging := accRefusedConnections(t, e, []accWSCase{
			{"no token", apitest.SocketOptions{}},
			{"an unknown token in connection_init", apitest.SocketOptions{Token: unknown}},
			{"an unknown token on the upgrade", apitest.SocketOptions{HeaderToken: unknown}},
		}, nil)
		if len(hanging) > 0 {
			t.Errorf("refused connections left hanging: %v", hanging)
		}
	})

	t.Run("A's USER cannot subscribe to a ticket it may not see: NOT_FOUND", func(t *testing.T) {
		t.Parallel()
		for what, id := range map[string]string{"B's ticket": bU.ID, "A.User2's ticket": aU2b.ID} {
			c := e.Socket(t, A.User.Token)
			c.Subscribe(t, "1", sub, map[string]any{"t": id})
			codes, data := c.Refusal(t, "1")
			if !slices.Equal(codes, []string{"NOT_FOUND"}) || data {
				t.Errorf("ticketEvents(%s): codes %v, data %v; want NOT_FOUND and no data", what, codes, data)
			}
		}
	})

	// Four streams of every visible event: A's USER and MASTER (token in
	// connection_init), A's partner (token on the upgrade) and an agent.
	streams := []struct {
		name    string
		token   string
		header  bool
		tickets []string // tickets whose events it may get
		agent   bool
	}{
		{"A's USER", A.User.Token, false, []string{aU1.ID}, false},
		{"A's MASTER", A.Master.Token, false, []string{aU1.ID, aU2b.ID}, false},
		{"partner token of A", partner, true, []string{aU1.ID, aU2b.ID}, false},
		{"AGENT", agent.Token, true, []string{aU1.ID, aU2b.ID, bU.ID}, true},
	}
	conns := make([]*apitest.Socket, len(streams))
	for i, s := range streams {
		c := e.OpenSocket(t, apitest.Auth(s.token, s.header))
		c.Subscribe(t, "1", sub, map[string]any{"t": nil})
		conns[i] = c
	}
	// The subscriptions start when the server has run their resolvers:
	// A's USER replies on its own ticket until every stream got an event.
	got := make([][]accEvent, len(streams))
	accUntilStarted(t, func() { e.Comment(t, A.User.Token, aU1.ID, "ping", false) }, conns, got)

	// The events under test, then a last public reply that ends each stream.
	e.Comment(t, agent.Token, aU1.ID, "internal: A's USER must not see this", true)
	e.Comment(t, agent.Token, aU2b.ID, "reply on A.User2's ticket", false)
	e.Do(t, agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`, map[string]any{"id": bU.ID}, nil)
	e.Do(t, agent.Token, `mutation($id: ID!) { acceptTicket(id: $id) { id } }`, map[string]any{"id": aU1.ID}, nil)
	e.Comment(t, A.User.Token, aU1.ID, "last", false)
	d := accDetail(t, e, aU1.ID)
	last := d.Events[len(d.Events)-1].ID
	internalEvent := d.eventIDs(true)[0]
	accepted := d.eventOfKind("STATUS_CHANGED")
	u2 := accDetail(t, e, aU2b.ID).eventOfKind("COMMENTED")
	bAccepted := accDetail(t, e, bU.ID).eventOfKind("STATUS_CHANGED")

	for i, s := range streams {
		t.Run(s.name+" receives the events of its tickets only, never of an internal note", func(t *testing.T) {
			evs := append(got[i], accEvents(t, conns[i], "1", accWait, last)...)
			ids := map[string]bool{}
			for _, ev := range evs {
				ids[ev.ID] = true
				if !slices.Contains(s.tickets, ev.Ticket.ID) {
					t.Errorf("LEAK: event %s %s of ticket %s", ev.ID, ev.Kind, ev.Ticket.ID)
				}
				if ev.Internal && !s.agent {
					t.Errorf("LEAK: event %s of an internal note", ev.ID)
				}
			}
			if !ids[last] || !ids[accepted] {
				t.Errorf("missing events of its own ticket (want %s and %s): %v", accepted, last, evs)
			}
			if ids[internalEvent] != s.agent {
				t.Errorf("event of the internal note received = %v, want %v", ids[internalEvent], s.agent)
			}
			if want := slices.Contains(s.tickets, aU2b.ID); ids[u2] != want {
				t.Errorf("event of A.User2's ticket received = %v, want %v", ids[u2], want)
			}
			if ids[bAccepted] != s.agent {
				t.Errorf("event of B's ticket received = %v, want %v", ids[bAccepted], s.agent)
			}
		})
	}

	t.Run("a deactivated contact cannot subscribe, and its open stream stops", func(t *testing.T) {
		t.Parallel()
		c := e.Socket(t, A.User2.Token)
		c.Subscribe(t, "1", sub, map[string]any{"t": aU2b.ID})
		accUntilStarted(t, func() { e.Comment(t, A.User2.Token, aU2b.ID, "ping", false) }, []*apitest.Socket{c}, make([][]accEvent, 1))
		e.Do(t, apitest.AdminToken, `mutation($id: ID!) { deactivateContact(id: $id) { id } }`, map[string]any{"id": A.User2.ID}, nil)
		var after []accEvent
		hanging := accRefusedConnections(t, e, []accWSCase{
			{"a deactivated contact's token in connection_init", apitest.SocketOptions{Token: A.User2.Token}},
			{"a deactivated contact's token on the upgrade", apitest.SocketOptions{HeaderToken: A.User2.Token}},
		}, func() {
			e.Do(t, apitest.AdminToken, `mutation($t: ID!) { acceptTicket(id: $t) { id } }`, map[string]any{"t": aU2b.ID}, nil)
			// The open stream must end (complete) or at least carry
			// nothing more; only the acceptance counts, a late "ping"
			// was sent before.
			for deadline := time.Now().Add(1200 * time.Millisecond); ; {
				m, ok := c.Await("1", max(time.Until(deadline), time.Millisecond))
				if !ok || m.Type == "complete" {
					break
				}
				if m.Type == "next" && strings.Contains(string(m.Payload), "STATUS_CHANGED") {
					after = append(after, accEvent{Kind: "STATUS_CHANGED"})
				}
			}
		})
		if len(after) > 0 {
			t.Errorf("LEAK: a deactivated contact's open subscription still received %v", after)
		}
		if len(hanging) > 0 {
			t.Errorf("refused connections left hanging: %v", hanging)
		}
	})
}

// ---------------------------------------------------------------------------
// 4. Mutations by role

func TestAccessPartnerTokenChangesNothing(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	A := e.Tenant(t, "acc-partner-a")
	B := e.Tenant(t, "acc-partner-b")
	partner := e.Partner(t, A.OrgID)
	agent := e.Agent(t, "AGENT")
	pol := accCreatePolicy(t, e, apitest.AdminToken, "A policy")
	tA := e.CreateTicket(t, A.User.Token, nil)
	tB := e.CreateTicket(t, B.User.Token, nil)
	// The partner is refused before the lifecycle or the input is looked
	// at, so one NEW ticket per organization is enough.

	// Every mutation, mostly with invalid input: FORBIDDEN comes first.
	mutations := []struct{ name, query string }{
		{"createSLAPolicy with invalid input", `mutation { createSLAPolicy(input: {name: "", timezone: "Mars/Olympus", targets: []}) { id } }`},
		{"updateSLAPolicy with invalid input", `mutation($p: ID!) { updateSLAPolicy(id: $p, input: {name: "", timezone: "Mars/Olympus", targets: []}) { id } }`},
		{"setEscalationTable with no levels", `mutation { setEscalationTable(region: "EU", levels: []) { id } }`},
		{"createOrganization with invalid input", `mutation { createOrganization(input: {name: "", region: "", timezone: "Mars/Olympus"}) { id } }`},
		{"createOrganization", `mutation { createOrganization(input: {name: "Partner Org", region: "EU", timezone: "UTC"}) { id } }`},
		{"createContact with invalid input", `mutation($org: ID!) { createContact(input: {organizationID: $org, name: "", email: "not an address", role: USER}) { id } }`},
		{"createContact", `mutation($org: ID!) { createContact(input: {organizationID: $org, name: "P", email: "partner-made@customer.example", role: MASTER}) { id } }`},
		{"updateContact with invalid input", `mutation($c: ID!) { updateContact(id: $c, input: {email: "not an address"}) { id } }`},
		{"updateContact", `mutation($c: ID!) { updateContact(id: $c, input: {role: MASTER}) { id } }`},
		{"deactivateContact", `mutation($c: ID!) { deactivateContact(id: $c) { id } }`},
		{"createService with invalid input", `mutation($org: ID!) { createService(input: {organizationID: $org, sofNumber: "", serviceID: "", name: ""}) { id } }`},
		{"createAgent with invalid input", `mutation { createAgent(input: {name: "", email: "x", role: ADMIN}) { id } }`},
		{"issueToken for a contact", `mutation($c: ID!) { issueToken(input: {contactID: $c}) { token } }`},
		{"issueToken for a partner", `mutation($org: ID!) { issueToken(input: {partnerOrganizationIDs: [$org]}) { token } }`},
		{"issueToken for an agent", `mutation($a: ID!) { issueToken(input: {agentID: $a}) { token } }`},
		{"createWebhook with invalid input", `mutation($org: ID!) { createWebhook(input: {organizationID: $org, url: "ftp://nowhere", secret: ""}) }`},
		{"createTicket with invalid input", `mutation { createTicket(input: {subject: "", description: "", priority: HIGH, category: INCIDENT, channel: PHONE}) { id } }`},
		{"createTicket", `mutation($c: ID!) { createTicket(input: {subject: "s", description: "d", priority: HIGH, category: INCIDENT, requesterID: $c}) { id } }`},
		{"acceptTicket", `mutation($t: ID!) { acceptTicket(id: $t) { id } }`},
		{"startWork", `mutation($t: ID!) { startWork(id: $t) { id } }`},
		{"assignTicket to a non-agent", `mutation($t: ID!, $org: ID!) { assignTicket(id: $t, agentID: $org) { id } }`},
		{"assignTicket", `mutation($t: ID!, $a: ID!) { assignTicket(id: $t, agentID: $a) { id } }`},
		{"requestInformation with no message", `mutation($t: ID!) { requestInformation(id: $t, message: "") { id } }`},
		{"waitOnThirdParty", `mutation($t: ID!) { waitOnThirdParty(id: $t, reason: "vendor") { id } }`},
		{"addComment with an empty body", `mutation($t: ID!) { addComment(input: {ticketID: $t, body: ""}) { id } }`},
		{"addComment", `mutation($t: ID!) { addComment(input: {ticketID: $t, body: "hello"}) { id } }`},
		{"addComment internal", `mutation($t: ID!) { addComment(input: {ticketID: $t, body: "hello", internal: true}) { id } }`},
		{"changeTicketPriority without a reason", `mutation($t: ID!) { changeTicketPriority(id: $t, priority: LOW, reason: "") { id } }`},
		{"escalateTicket without a reason", `mutation($t: ID!) { escalateTicket(id: $t, reason: "") { id } }`},
		{"escalateTicket", `mutation($t: ID!) { escalateTicket(id: $t, reason: "urgent") { id } }`},
		{"resolveTicket", `mutation($t: ID!) { resolveTicket(id: $t, resolution: "") { id } }`},
		{"closeTicket (not resolved)", `mutation($t: ID!) { closeTicket(id: $t) { id } }`},
		{"reopenTicket (not resolved)", `mutation($t: ID!) { reopenTicket(id: $t, reason: "") { id } }`},
	}
	for _, target := range []struct {
		name            string
		org, ticket, cn string
	}{
		{"of its organization A", A.OrgID, tA.ID, A.User.ID},
		{"of B", B.OrgID, tB.ID, B.User.ID},
	} {
		t.Run("partner token is refused every mutation on objects "+target.name+": FORBIDDEN", func(t *testing.T) {
			vars := map[string]any{"p": pol, "org": target.org, "t": target.ticket, "c": target.cn, "a": agent.ID}
			for _, m := range mutations {
				accRefused(t, e, partner, m.name, m.query, accVarsFor(m.query, vars), "FORBIDDEN")
			}
		})
	}

	t.Run("partner token is refused issueToken with no owner: FORBIDDEN before validation", func(t *testing.T) {
		before := accState(t, e)
		res := e.Post(t, partner, `mutation { issueToken(input: {}) { token } }`, nil)
		accUnchanged(t, e, before, "issueToken({})")
		if codes := res.Codes(); !slices.Equal(codes, []string{"FORBIDDEN"}) {
			t.Errorf("issueToken({}) as a partner: %v, want FORBIDDEN", res.Errors)
		}
	})

	t.Run("partner token still reads its organization", func(t *testing.T) {
		var got struct{ Tickets accConn }
		e.Do(t, partner, `{ tickets { totalCount edges { node { id } } } }`, nil, &got)
		got.Tickets.check(t, "tickets", []string{tA.ID})
	})
}

func TestAccessContactsCannotAdminister(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	A := e.Tenant(t, "acc-noadmin-a")
	agent := e.Agent(t, "AGENT")
	pol := accCreatePolicy(t, e, apitest.AdminToken, "A policy")

	policy := `{name: "Contact policy", timezone: "UTC", targets: [
	  {priority: CRITICAL, firstResponseSeconds: 3600, resolutionSeconds: 14400},
	  {priority: HIGH, firstResponseSeconds: 7200, resolutionSeconds: 86400},
	  {priority: MEDIUM, firstResponseSeconds: 14400, resolutionSeconds: 172800},
	  {priority: LOW, firstResponseSeconds: 32400, resolutionSeconds: 259200}]}`
	mutations := []struct{ name, query string }{
		{"createOrganization", `mutation { createOrganization(input: {name: "Contact Org", region: "EU", timezone: "UTC"}) { id } }`},
		{"createAgent", `mutation { createAgent(input: {name: "Evil", email: "evil@helpdesk.example", role: ADMIN}) { id } }`},
		{"createSLAPolicy", `mutation { createSLAPolicy(input: ` + policy + `) { id } }`},
		{"updateSLAPolicy", `mutation($p: ID!) { updateSLAPolicy(id: $p, input: ` + policy + `) { id } }`},
		{"setEscalationTable", `mutation { setEscalationTable(region: "EU", levels: [{name: "L1", emails: ["x@customer.example"], waitSeconds: 60}]) { id } }`},
		{"createService in its own organization", `mutation($org: ID!) { createService(input: {organizationID: $org, sofNumber: "SOF-X", serviceID: "SVC-X", name: "X"}) { id } }`},
		{"createWebhook for its own organization", `mutation($org: ID!) { createWebhook(input: {organizationID: $org, url: "https://hooks.customer.example/x", secret: "s3cret"}) }`},
		{"issueToken for an agent", `mutation($a: ID!) { issueToken(input: {agentID: $a}) { token } }`},
		{"issueToken for a partner of its organization", `mutation($org: ID!) { issueToken(input: {partnerOrganizationIDs: [$org]}) { token } }`},
	}
	vars := map[string]any{"p": pol, "org": A.OrgID, "a": agent.ID}
	for _, who := range []struct{ name, token string }{
		{"MASTER", A.Master.Token}, {"ADMIN contact", A.Admin.Token}, {"USER", A.User.Token},
	} {
		t.Run(who.name+" cannot administer the installation: FORBIDDEN", func(t *testing.T) {
			for _, m := range mutations {
				accRefused(t, e, who.token, m.name, m.query, accVarsFor(m.query, vars), "FORBIDDEN")
			}
		})
	}
}

func TestAccessContactManagementByContactRole(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	A := e.Tenant(t, "acc-cm-a")
	B := e.Tenant(t, "acc-cm-b")
	// Victims, so that the tenants' own contacts keep their roles.
	u1 := e.Contact(t, A.OrgID, "USER")
	u2 := e.Contact(t, A.OrgID, "USER")
	ad1 := e.Contact(t, A.OrgID, "ADMIN")
	m1 := e.Contact(t, A.OrgID, "MASTER")

	const (
		create     = `mutation($org: ID!, $role: ContactRole!, $email: String!) { createContact(input: {organizationID: $org, name: "New", email: $email, role: $role}) { id role } }`
		rename     = `mutation($c: ID!, $name: String!) { updateContact(id: $c, input: {name: $name}) { id name } }`
		promote    = `mutation($c: ID!, $role: ContactRole!) { updateContact(id: $c, input: {role: $role}) { id role } }`
		deactivate = `mutation($c: ID!) { deactivateContact(id: $c) { id active } }`
		issue      = `mutation($c: ID!) { issueToken(input: {contactID: $c}) { token } }`
	)
	newEmail := func() string { return strings.ToLower(apitest.Unique("acc-new")) + "@customer.example" }
	// allowed runs a mutation that must succeed (what names it, for the reader).
	allowed := func(t *testing.T, token, what, query string, vars map[string]any) map[string]json.RawMessage {
		t.Helper()
		res := e.Post(t, token, query, vars)
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %v", what, res.Errors)
		}
		var out map[string]json.RawMessage
		if err := json.Unmarshal(res.Data, &out); err != nil {
			t.Fatalf("%s: %s", what, res.Data)
		}
		return out
	}

	t.Run("MASTER manages its organization's contacts and their tokens", func(t *testing.T) {
		for _, role := range []string{"USER", "ADMIN", "MASTER"} {
			allowed(t, A.Master.Token, "create "+role, create, map[string]any{"org": A.OrgID, "role": role, "email": newEmail()})
		}
		allowed(t, A.Master.Token, "rename an ADMIN", rename, map[string]any{"c": ad1.ID, "name": "Renamed by master"})
		allowed(t, A.Master.Token, "promote a USER", promote, map[string]any{"c": u2.ID, "role": "ADMIN"})
		allowed(t, A.Master.Token, "demote it again", promote, map[string]any{"c": u2.ID, "role": "USER"})
		tok := accIssue(t, e, A.Master.Token, m1.ID)
		accViewerIs(t, e, tok, m1.ID)
		out := allowed(t, A.Master.Token, "deactivate", deactivate, map[string]any{"c": m1.ID})
		if !strings.Contains(string(out["deactivateContact"]), `"active":false`) {
			t.Errorf("deactivateContact answered %s", out["deactivateContact"])
		}
		if status, _ := accPostHeader(t, e, "Bearer "+tok, `{ viewer { contact { id } } }`, nil); status != http.StatusUnauthorized {
			t.Errorf("the token of a contact the MASTER deactivated answers %d, want 401", status)
		}
	})

	t.Run("MASTER cannot manage another organization's contacts", func(t *testing.T) {
		accRefused(t, e, A.Master.Token, "create in B", create, map[string]any{"org": B.OrgID, "role": "USER", "email": newEmail()}, "FORBIDDEN")
		accRefused(t, e, A.Master.Token, "rename B's contact", rename, map[string]any{"c": B.User.ID, "name": "x"}, "NOT_FOUND")
		accRefused(t, e, A.Master.Token, "promote B's contact", promote, map[string]any{"c": B.User.ID, "role": "MASTER"}, "NOT_FOUND")
		accRefused(t, e, A.Master.Token, "deactivate B's MASTER", deactivate, map[string]any{"c": B.Master.ID}, "NOT_FOUND")
		accRefused(t, e, A.Master.Token, "issue a token for B's contact", issue, map[string]any{"c": B.User.ID}, "NOT_FOUND")
	})

	t.Run("another organization's contacts do not exist for a contact: NOT_FOUND, the same answer whatever their role", func(t *testing.T) {
		// As for an ID that names no contact: neither their existence nor
		// their role shows through the refusal.
		nobody := accNoSuchID(t, B.User2.ID)
		for _, who := range []struct{ name, token string }{{"MASTER", A.Master.Token}, {"ADMIN contact", A.Admin.Token}, {"USER", A.User.Token}} {
			for _, op := range []struct{ name, query string }{{"updateContact", rename}, {"deactivateContact", deactivate}, {"issueToken", issue}} {
				var answers []string
				for _, target := range []struct{ what, id string }{{"B's MASTER", B.Master.ID}, {"B's ADMIN", B.Admin.ID}, {"B's USER", B.User.ID}, {"no contact", nobody}} {
					vars := accVarsFor(op.query, map[string]any{"c": target.id, "name": "x"})
					before := accState(t, e)
					res := e.Post(t, who.token, op.query, vars)
					accUnchanged(t, e, before, who.name+" "+op.name+" "+target.what)
					if !slices.Equal(res.Codes(), []string{"NOT_FOUND"}) {
						t.Errorf("%s %s of %s: %v, want NOT_FOUND", who.name, op.name, target.what, res.Errors)
					}
					if len(res.Errors) > 0 {
						answers = append(answers, res.Errors[0].Message)
					}
				}
				if len(slices.Compact(slices.Clone(answers))) > 1 {
					t.Errorf("%s %s: the answers tell another organization's contacts apart: %q", who.name, op.name, answers)
				}
			}
		}
	})

	t.Run("ADMIN contact manages its organization's USER contacts only", func(t *testing.T) {
		out := allowed(t, A.Admin.Token, "create USER", create, map[string]any{"org": A.OrgID, "role": "USER", "email": newEmail()})
		if !strings.Contains(string(out["createContact"]), `"role":"USER"`) {
			t.Errorf("createContact answered %s", out["createContact"])
		}
		allowed(t, A.Admin.Token, "rename a USER", rename, map[string]any{"c": u1.ID, "name": "Renamed by admin"})
		accViewerIs(t, e, accIssue(t, e, A.Admin.Token, u1.ID), u1.ID)
		allowed(t, A.Admin.Token, "deactivate a USER", deactivate, map[string]any{"c": u1.ID})

		for _, role := range []string{"ADMIN", "MASTER"} {
			accRefused(t, e, A.Admin.Token, "create "+role, create, map[string]any{"org": A.OrgID, "role": role, "email": newEmail()}, "FORBIDDEN")
			accRefused(t, e, A.Admin.Token, "promote a USER to "+role, promote, map[string]any{"c": u2.ID, "role": role}, "FORBIDDEN")
		}
		for _, c := range []struct{ what, id string }{{"the MASTER", A.Master.ID}, {"another ADMIN", ad1.ID}, {"itself", A.Admin.ID}} {
			accRefused(t, e, A.Admin.Token, "rename "+c.what, rename, map[string]any{"c": c.id, "name": "x"}, "FORBIDDEN")
			accRefused(t, e, A.Admin.Token, "demote "+c.what, promote, map[string]any{"c": c.id, "role": "USER"}, "FORBIDDEN")
			accRefused(t, e, A.Admin.Token, "deactivate "+c.what, deactivate, map[string]any{"c": c.id}, "FORBIDDEN")
			accRefused(t, e, A.Admin.Token, "issue a token for "+c.what, issue, map[string]any{"c": c.id}, "FORBIDDEN")
		}
		accRefused(t, e, A.Admin.Token, "create a USER in B", create, map[string]any{"org": B.OrgID, "role": "USER", "email": newEmail()}, "FORBIDDEN")
	})

	t.Run("USER manages no contacts, not even itself: FORBIDDEN", func(t *testing.T) {
		accRefused(t, e, A.User.Token, "create a USER", create, map[string]any{"org": A.OrgID, "role": "USER", "email": newEmail()}, "FORBIDDEN")
		for _, c := range []struct{ what, id string }{{"itself", A.User.ID}, {"another USER", u2.ID}, {"the MASTER", A.Master.ID}} {
			accRefused(t, e, A.User.Token, "rename "+c.what, rename, map[string]any{"c": c.id, "name": "x"}, "FORBIDDEN")
			accRefused(t, e, A.User.Token, "promote "+c.what, promote, map[string]any{"c": c.id, "role": "MASTER"}, "FORBIDDEN")
			accRefused(t, e, A.User.Token, "deactivate "+c.what, deactivate, map[string]any{"c": c.id}, "FORBIDDEN")
			accRefused(t, e, A.User.Token, "issue a token for "+c.what, issue, map[string]any{"c": c.id}, "FORBIDDEN")
		}
	})
}

func TestAccessAgentRoles(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	B := e.Tenant(t, "acc-agents-b")
	am := e.Agent(t, "ACCOUNT_MANAGER")
	otherAM := e.Agent(t, "ACCOUNT_MANAGER")
	agent := e.Agent(t, "AGENT")
	sup := e.Agent(t, "SUPERVISOR")
	orgC := accCreateOrg(t, e, apitest.AdminToken, map[string]any{"accountManagerID": am.ID})
	orgD := accCreateOrg(t, e, apitest.AdminToken, map[string]any{"accountManagerID": otherAM.ID})
	cUser := e.Contact(t, orgC, "USER")
	pol := accCreatePolicy(t, e, apitest.AdminToken, "policy")

	const (
		create     = `mutation($org: ID!, $email: String!) { createContact(input: {organizationID: $org, name: "New", email: $email, role: MASTER}) { id } }`
		rename     = `mutation($c: ID!) { updateContact(id: $c, input: {name: "Renamed", role: ADMIN}) { id } }`
		deactivate = `mutation($c: ID!) { deactivateContact(id: $c) { id } }`
		issue      = `mutation($c: ID!) { issueToken(input: {contactID: $c}) { token } }`
		service    = `mutation($org: ID!, $sof: String!) { createService(input: {organizationID: $org, sofNumber: $sof, serviceID: $sof, name: "Line"}) { id } }`
		webhook    = `mutation($org: ID!) { createWebhook(input: {organizationID: $org, url: "https://hooks.customer.example/helpdesk", secret: "s3cret-s3cret"}) }`
	)
	email := func() string { return strings.ToLower(apitest.Unique("acc-agent-made")) + "@customer.example" }
	sof := func() string { return apitest.Unique("SOF-ACC") }

	t.Run("ACCOUNT_MANAGER manages contacts, tokens, services and webhooks of the organizations it manages", func(t *testing.T) {
		tokensBefore, hooksBefore := accCountTokens(t, e), accCountWebhooks(t, e)
		e.Do(t, am.Token, create, map[string]any{"org": orgC, "email": email()}, nil)
		e.Do(t, am.Token, rename, map[string]any{"c": cUser.ID}, nil)
		accViewerIs(t, e, accIssue(t, e, am.Token, cUser.ID), cUser.ID)
		e.Do(t, am.Token, service, map[string]any{"org": orgC, "sof": sof()}, nil)
		e.Do(t, am.Token, webhook, map[string]any{"org": orgC}, nil)
		e.Do(t, am.Token, deactivate, map[string]any{"c": cUser.ID}, nil)
		if got := accCountTokens(t, e); got != tokensBefore+1 {
			t.Errorf("tokens %d, want %d", got, tokensBefore+1)
		}
		if got := accCountWebhooks(t, e); got != hooksBefore+1 {
			t.Errorf("webhooks %d, want %d", got, hooksBefore+1)
		}
	})

	t.Run("ACCOUNT_MANAGER cannot manage organizations it does not manage: FORBIDDEN", func(t *testing.T) {
		for _, org := range []struct{ name, id, contact string }{{"B (no manager)", B.OrgID, B.User.ID}, {"D (another manager's)", orgD, ""}} {
			accRefused(t, e, am.Token, "createContact in "+org.name, create, map[string]any{"org": org.id, "email": email()}, "FORBIDDEN")
			accRefused(t, e, am.Token, "createService in "+org.name, service, map[string]any{"org": org.id, "sof": sof()}, "FORBIDDEN")
			accRefused(t, e, am.Token, "createWebhook for "+org.name, webhook, map[string]any{"org": org.id}, "FORBIDDEN")
			if org.contact != "" {
				accRefused(t, e, am.Token, "updateContact in "+org.name, rename, map[string]any{"c": org.contact}, "FORBIDDEN")
				accRefused(t, e, am.Token, "deactivateContact in "+org.name, deactivate, map[string]any{"c": org.contact}, "FORBIDDEN")
				accRefused(t, e, am.Token, "issueToken in "+org.name, issue, map[string]any{"c": org.contact}, "FORBIDDEN")
			}
		}
	})

	adminOnly := []struct{ name, query string }{
		{"createOrganization it would manage", `mutation($self: ID!) { createOrganization(input: {name: "Mine", region: "EU", timezone: "UTC", accountManagerID: $self}) { id } }`},
		{"createAgent", `mutation { createAgent(input: {name: "Evil", email: "evil@helpdesk.example", role: ADMIN}) { id } }`},
		{"issueToken for itself", `mutation($self: ID!) { issueToken(input: {agentID: $self}) { token } }`},
		{"issueToken for another agent", `mutation($other: ID!) { issueToken(input: {agentID: $other}) { token } }`},
		{"issueToken for a partner of a managed organization", `mutation($c: ID!) { issueToken(input: {partnerOrganizationIDs: [$c]}) { token } }`},
		{"updateSLAPolicy", `mutation($p: ID!) { updateSLAPolicy(id: $p, input: {name: "x", timezone: "UTC", targets: [
		  {priority: CRITICAL, firstResponseSeconds: 1, resolutionSeconds: 2}, {priority: HIGH, firstResponseSeconds: 1, resolutionSeconds: 2},
		  {priority: MEDIUM, firstResponseSeconds: 1, resolutionSeconds: 2}, {priority: LOW, firstResponseSeconds: 1, resolutionSeconds: 2}]}) { id } }`},
		{"setEscalationTable", `mutation { setEscalationTable(region: "EU", levels: [{name: "L1", emails: ["x@helpdesk.example"], waitSeconds: 60}]) { id } }`},
	}
	for _, who := range []struct {
		name string
		p    apitest.Person
	}{{"ACCOUNT_MANAGER", am}, {"AGENT", agent}, {"SUPERVISOR", sup}} {
		t.Run(who.name+" cannot do what only an ADMIN agent does: FORBIDDEN", func(t *testing.T) {
			vars := map[string]any{"self": who.p.ID, "other": agent.ID, "c": orgC, "p": pol}
			if who.p.ID == agent.ID {
				vars["other"] = sup.ID
			}
			for _, m := range adminOnly {
				accRefused(t, e, who.p.Token, m.name, m.query, accVarsFor(m.query, vars), "FORBIDDEN")
			}
		})
	}
	for _, who := range []struct {
		name string
		p    apitest.Person
	}{{"AGENT", agent}, {"SUPERVISOR", sup}} {
		t.Run(who.name+" manages no contacts, services or webhooks: FORBIDDEN", func(t *testing.T) {
			accRefused(t, e, who.p.Token, "createContact", create, map[string]any{"org": orgC, "email": email()}, "FORBIDDEN")
			accRefused(t, e, who.p.Token, "updateContact", rename, map[string]any{"c": B.User.ID}, "FORBIDDEN")
			accRefused(t, e, who.p.Token, "deactivateContact", deactivate, map[string]any{"c": B.User.ID}, "FORBIDDEN")
			accRefused(t, e, who.p.Token, "issueToken for a contact", issue, map[string]any{"c": B.User.ID}, "FORBIDDEN")
			accRefused(t, e, who.p.Token, "createService", service, map[string]any{"org": orgC, "sof": sof()}, "FORBIDDEN")
			accRefused(t, e, who.p.Token, "createWebhook", webhook, map[string]any{"org": orgC}, "FORBIDDEN")
		})
	}

	t.Run("only ADMIN agents issue agent and partner tokens, and those tokens work", func(t *testing.T) {
		tok := e.Token(t, apitest.AdminToken, map[string]any{"agentID": sup.ID})
		var got struct {
			Viewer struct{ Agent struct{ ID string } }
		}
		e.Do(t, tok, `{ viewer { agent { id } } }`, nil, &got)
		if got.Viewer.Agent.ID != sup.ID {
			t.Errorf("agent token of %s is viewer %+v", sup.ID, got.Viewer)
		}
		p := e.Partner(t, orgC, orgD)
		var orgs struct{ Organizations accConn }
		e.Do(t, p, `{ organizations { totalCount edges { node { id } } } }`, nil, &orgs)
		orgs.Organizations.check(t, "partner's organizations", []string{orgC, orgD})
	})

	t.Run("agents of every role work the tickets of every organization", func(t *testing.T) {
		tk := e.CreateTicket(t, B.User.Token, nil)
		id := map[string]any{"t": tk.ID}
		e.Do(t, agent.Token, `mutation($t: ID!) { acceptTicket(id: $t) { id } }`, id, nil)
		e.Do(t, sup.Token, `mutation($t: ID!, $a: ID!) { assignTicket(id: $t, agentID: $a) { id } }`, map[string]any{"t": tk.ID, "a": agent.ID}, nil)
		e.Do(t, am.Token, `mutation($t: ID!) { startWork(id: $t) { id } }`, id, nil)
		e.Do(t, otherAM.Token, `mutation($t: ID!) { addComment(input: {ticketID: $t, body: "note", internal: true}) { id } }`, id, nil)
		e.Do(t, sup.Token, `mutation($t: ID!) { changeTicketPriority(id: $t, priority: CRITICAL, reason: "outage") { id } }`, id, nil)
		var got struct{ Node apitest.Ticket }
		e.Do(t, am.Token, `query($t: ID!) { node(id: $t) { ... on Ticket { `+apitest.TicketFields+` } } }`, id, &got)
		if got.Node.Status != "IN_PROGRESS" || got.Node.Priority != "CRITICAL" {
			t.Errorf("ticket after the agents' work: %+v", got.Node)
		}
	})
}

func TestAccessTicketActionsByContacts(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	A := e.Tenant(t, "acc-tk-a")
	B := e.Tenant(t, "acc-tk-b")
	agent := e.Agent(t, "AGENT")
	tU := e.CreateTicket(t, A.User.Token, nil)
	tU2 := e.CreateTicket(t, A.User2.Token, nil)
	tB := e.CreateTicket(t, B.User.Token, nil)

	const (
		accept    = `mutation($t: ID!) { acceptTicket(id: $t) { id } }`
		start     = `mutation($t: ID!) { startWork(id: $t) { id } }`
		resolve   = `mutation($t: ID!) { resolveTicket(id: $t, resolution: "done") { id } }`
		closeT    = `mutation($t: ID!) { closeTicket(id: $t) { id } }`
		reopen    = `mutation($t: ID!) { reopenTicket(id: $t, reason: "again") { id } }`
		escalate  = `mutation($t: ID!) { escalateTicket(id: $t, reason: "urgent") { id } }`
		priority  = `mutation($t: ID!) { changeTicketPriority(id: $t, priority: CRITICAL, reason: "because") { id } }`
		assign    = `mutation($t: ID!, $a: ID!) { assignTicket(id: $t, agentID: $a) { id } }`
		request   = `mutation($t: ID!) { requestInformation(id: $t, message: "which?") { id } }`
		waitOn    = `mutation($t: ID!) { waitOnThirdParty(id: $t, reason: "vendor") { id } }`
		comment   = `mutation($t: ID!) { addComment(input: {ticketID: $t, body: "hello"}) { id } }`
		internal  = `mutation($t: ID!) { addComment(input: {ticketID: $t, body: "psst", internal: true}) { id } }`
		createFor = `mutation($r: ID!) { createTicket(input: {subject: "s", description: "d", priority: HIGH, category: INCIDENT, requesterID: $r}) { id } }`
	)
	agentOnly := []struct{ name, query string }{
		{"acceptTicket", accept}, {"startWork", start}, {"resolveTicket", resolve}, {"changeTicketPriority", priority},
		{"assignTicket", assign}, {"requestInformation", request}, {"waitOnThirdParty", waitOn}, {"addComment internal", internal},
	}
	status := func(t *testing.T, id string) apitest.Ticket {
		t.Helper()
		var got struct{ Node apitest.Ticket }
		e.Do(t, apitest.AdminToken, `query($t: ID!) { node(id: $t) { ... on Ticket { `+apitest.TicketFields+` } } }`, map[string]any{"t": id}, &got)
		return got.Node
	}
	do := func(t *testing.T, token, query, id, want string) {
		t.Helper()
		e.Do(t, token, query, map[string]any{"t": id}, nil)
		if got := status(t, id); got.Status != want {
			t.Fatalf("after %s: status %s, want %s", strings.Fields(query)[3], got.Status, want)
		}
	}

	agentOnlyIn := func(t *testing.T, status string) {
		t.Helper()
		for _, who := range []struct{ name, token string }{{"requester", A.User.Token}, {"MASTER", A.Master.Token}} {
			for _, q := range agentOnly {
				accRefused(t, e, who.token, who.name+" "+q.name+" on a "+status+" ticket", q.query,
					accVarsFor(q.query, map[string]any{"t": tU.ID, "a": agent.ID}), "FORBIDDEN")
			}
		}
	}

	t.Run("a contact cannot open a ticket for another contact: FORBIDDEN", func(t *testing.T) {
		for _, c := range []struct {
			who, token, requester string
		}{
			{"USER for A.User2", A.User.Token, A.User2.ID},
			{"USER for B's contact", A.User.Token, B.User.ID},
			{"MASTER for its USER", A.Master.Token, A.User.ID},
			{"ADMIN contact for B's MASTER", A.Admin.Token, B.Master.ID},
		} {
			accRefused(t, e, c.token, c.who, createFor, map[string]any{"r": c.requester}, "FORBIDDEN")
		}
		// For itself, requesterID is fine.
		e.Do(t, A.User.Token, createFor, map[string]any{"r": A.User.ID}, nil)
	})

	customerActions := []struct{ name, query string }{
		{"closeTicket", closeT}, {"reopenTicket", reopen}, {"escalateTicket", escalate}, {"addComment", comment},
	}
	t.Run("another organization's ticket does not exist for a contact: NOT_FOUND, as an unknown ticket", func(t *testing.T) {
		nowhere := accNoSuchID(t, tB.ID)
		for _, who := range []struct{ name, token string }{{"A's MASTER", A.Master.Token}, {"A's ADMIN", A.Admin.Token}, {"A's USER", A.User.Token}} {
			for _, q := range append(slices.Clone(customerActions), agentOnly...) {
				// NOT_FOUND, or FORBIDDEN when the action is refused to any
				// contact on any ticket (an internal note): either way the
				// same answer as for no ticket at all.
				var answers []string
				for _, target := range []struct{ what, id string }{{"B's ticket", tB.ID}, {"no ticket", nowhere}} {
					vars := accVarsFor(q.query, map[string]any{"t": target.id, "a": agent.ID})
					res := accRefused(t, e, who.token, who.name+" "+q.name+" on "+target.what, q.query, vars, "NOT_FOUND", "FORBIDDEN")
					answers = append(answers, fmt.Sprint(res.Errors))
				}
				if answers[0] != answers[1] {
					t.Errorf("%s %s: B's ticket answers %s, no ticket %s", who.name, q.name, answers[0], answers[1])
				}
			}
		}
	})

	t.Run("a USER cannot act on A.User2's ticket: NOT_FOUND", func(t *testing.T) {
		for _, q := range customerActions {
			accRefused(t, e, A.User.Token, q.name, q.query, map[string]any{"t": tU2.ID}, "NOT_FOUND")
		}
		for _, q := range agentOnly {
			accRefused(t, e, A.User.Token, q.name, q.query, accVarsFor(q.query, map[string]any{"t": tU2.ID, "a": agent.ID}), "NOT_FOUND", "FORBIDDEN")
		}
	})

	t.Run("contacts cannot do an agent's work on their tickets: FORBIDDEN", func(t *testing.T) {
		for _, who := range []struct{ name, token string }{{"requester", A.User.Token}, {"ADMIN contact", A.Admin.Token}, {"MASTER", A.Master.Token}} {
			for _, q := range agentOnly {
				accRefused(t, e, who.token, who.name+" "+q.name, q.query, accVarsFor(q.query, map[string]any{"t": tU.ID, "a": agent.ID}), "FORBIDDEN")
			}
		}
	})

	t.Run("the requester, its org's ADMIN and MASTER escalate; the requester closes and reopens", func(t *testing.T) {
		for i, token := range []string{A.User.Token, A.Admin.Token, A.Master.Token} {
			e.Do(t, token, escalate, map[string]any{"t": tU.ID}, nil)
			if got := status(t, tU.ID); got.EscalationLevel != i+1 {
				t.Fatalf("escalation level %d, want %d", got.EscalationLevel, i+1)
			}
		}
		e.Do(t, A.Master.Token, escalate, map[string]any{"t": tU2.ID}, nil)

		do(t, agent.Token, accept, tU.ID, "ACCEPTED")
		do(t, agent.Token, start, tU.ID, "IN_PROGRESS")
		do(t, agent.Token, request, tU.ID, "WAITING_ON_CUSTOMER")
		// An agent's action stays the agents' in every status, also where
		// it would move the ticket as a customer's own action does.
		agentOnlyIn(t, "WAITING_ON_CUSTOMER")
		// A public reply of the org's ADMIN resumes a ticket waiting on the customer.
		do(t, A.Admin.Token, comment, tU.ID, "IN_PROGRESS")
		accRefused(t, e, A.User.Token, "the requester closes an IN_PROGRESS ticket", closeT, map[string]any{"t": tU.ID}, "INVALID_TRANSITION", "FORBIDDEN")
		do(t, agent.Token, resolve, tU.ID, "RESOLVED")
		agentOnlyIn(t, "RESOLVED")
		// Only the requester closes (and agents).
		accRefused(t, e, A.Master.Token, "MASTER closes the USER's ticket", closeT, map[string]any{"t": tU.ID}, "FORBIDDEN")
		accRefused(t, e, A.Admin.Token, "ADMIN contact closes the USER's ticket", closeT, map[string]any{"t": tU.ID}, "FORBIDDEN")
		accRefused(t, e, A.User2.Token, "another USER closes it", closeT, map[string]any{"t": tU.ID}, "NOT_FOUND", "FORBIDDEN")
		accRefused(t, e, B.Master.Token, "B's MASTER closes it", closeT, map[string]any{"t": tU.ID}, "NOT_FOUND", "FORBIDDEN")
		accRefused(t, e, A.User.Token, "the requester escalates a RESOLVED ticket", escalate, map[string]any{"t": tU.ID}, "INVALID_TRANSITION")
		do(t, A.User.Token, closeT, tU.ID, "CLOSED")
		accRefused(t, e, A.User2.Token, "another USER reopens it", reopen, map[string]any{"t": tU.ID}, "NOT_FOUND", "FORBIDDEN")
		accRefused(t, e, B.Master.Token, "B's MASTER reopens it", reopen, map[string]any{"t": tU.ID}, "NOT_FOUND", "FORBIDDEN")
		do(t, A.User.Token, reopen, tU.ID, "IN_PROGRESS")
		// The org's ADMIN and MASTER reopen too.
		do(t, agent.Token, resolve, tU.ID, "RESOLVED")
		do(t, A.Admin.Token, reopen, tU.ID, "IN_PROGRESS")
		do(t, agent.Token, resolve, tU.ID, "RESOLVED")
		do(t, A.Master.Token, reopen, tU.ID, "IN_PROGRESS")
		// A contact still cannot resolve it.
		accRefused(t, e, A.User.Token, "the requester resolves", resolve, map[string]any{"t": tU.ID}, "FORBIDDEN")
	})
}

// ---------------------------------------------------------------------------
// Helpers (prefixed acc, to stay out of the way of the package's other tests)

// accConn is a Relay connection of IDs.
type accConn struct {
	TotalCount int
	Edges      []struct{ Node struct{ ID string } }
}

func (c accConn) ids() []string {
	out := make([]string, 0, len(c.Edges))
	for _, e := range c.Edges {
		out = append(out, e.Node.ID)
	}
	return out
}

// check: the connection holds exactly want, and totalCount says so.
func (c accConn) check(t *testing.T, what string, want []string) {
	t.Helper()
	if c.TotalCount != len(want) {
		t.Errorf("%s: totalCount %d, want %d", what, c.TotalCount, len(want))
	}
	accSame(t, what, c.ids(), want)
}

func accIDs[T interface{ ~struct{ ID string } }](xs []T) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, struct{ ID string }(x).ID)
	}
	return out
}

func accSameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	sort.Strings(g)
	sort.Strings(w)
	return slices.Equal(g, w)
}

func accSame(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !accSameSet(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func accIntersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// accPostHeader posts a query with a raw Authorization header.
func accPostHeader(t *testing.T, e *apitest.Env, header, query string, vars map[string]any) (int, apitest.Response) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.URL+"/graphql", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", header)
	res, err := e.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out apitest.Response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("HTTP %d with a body that is not JSON: %v", res.StatusCode, err)
	}
	return res.StatusCode, out
}

// accVarsFor keeps the variables a query declares (GraphQL refuses others).
func accVarsFor(query string, vars map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range vars {
		if strings.Contains(query, "$"+k+":") {
			out[k] = v
		}
	}
	return out
}

// accNoSuchID is an ID of the same type as id that names nothing.
func accNoSuchID(t *testing.T, id string) string {
	t.Helper()
	n, err := strconv.Atoi(id)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(n + 100000)
}

func accViewerAgentID(t *testing.T, e *apitest.Env, token string) string {
	t.Helper()
	var got struct {
		Viewer struct{ Agent struct{ ID string } }
	}
	e.Do(t, token, `{ viewer { agent { id } } }`, nil, &got)
	return got.Viewer.Agent.ID
}

// accViewerIs checks token is contact id's.
func accViewerIs(t *testing.T, e *apitest.Env, token, id string) {
	t.Helper()
	var got struct {
		Viewer struct{ Contact struct{ ID string } }
	}
	e.Do(t, token, `{ viewer { contact { id } } }`, nil, &got)
	if got.Viewer.Contact.ID != id {
		t.Errorf("the issued token is viewer %+v, want contact %s", got.Viewer, id)
	}
}

func accIssue(t *testing.T, e *apitest.Env, issuer, contact string) string {
	t.Helper()
	return e.Token(t, issuer, map[string]any{"contactID": contact})
}

func accCreatePolicy(t *testing.T, e *apitest.Env, token, name string) string {
	t.Helper()
	var out struct{ CreateSLAPolicy struct{ ID string } }
	e.Do(t, token, `mutation($name: String!) { createSLAPolicy(input: {name: $name, timezone: "UTC", targets: [
	  {priority: CRITICAL, firstResponseSeconds: 3600, resolutionSeconds: 14400},
	  {priority: HIGH, firstResponseSeconds: 7200, resolutionSeconds: 86400},
	  {priority: MEDIUM, firstResponseSeconds: 14400, resolutionSeconds: 172800},
	  {priority: LOW, firstResponseSeconds: 32400, resolutionSeconds: 259200}]}) { id } }`,
		map[string]any{"name": apitest.Unique(name)}, &out)
	return out.CreateSLAPolicy.ID
}

func accCreateOrg(t *testing.T, e *apitest.Env, token string, extra map[string]any) string {
	t.Helper()
	in := map[string]any{"name": apitest.Unique("acc-org"), "region": "APAC", "timezone": "Asia/Tokyo"}
	for k, v := range extra {
		in[k] = v
	}
	var out struct{ CreateOrganization struct{ ID string } }
	e.Do(t, token, `mutation($in: CreateOrganizationInput!) { createOrganization(input: $in) { id } }`, map[string]any{"in": in}, &out)
	return out.CreateOrganization.ID
}

// accNotify records a notification of ticket, as the workflows do.
// accNotifications are the IDs of a ticket's notifications, with or
// without its SLA warnings.
func accNotifications(t *testing.T, e *apitest.Env, ticket string, warnings bool) []string {
	t.Helper()
	id, err := strconv.Atoi(ticket)
	if err != nil {
		t.Fatal(err)
	}
	q := e.DB.Client.Notification.Query().Where(notification.TicketID(id))
	if !warnings {
		q.Where(notification.KindNEQ(notification.KindSLA_WARNING))
	}
	ns, err := q.All(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, strconv.Itoa(n.ID))
	}
	return out
}

func accNotify(t *testing.T, e *apitest.Env, ticket, kind, recipient string) string {
	t.Helper()
	id, err := strconv.Atoi(ticket)
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.DB.Client.Notification.Create().SetTicketID(id).SetKind(notification.Kind(kind)).
		SetChannel(notification.ChannelEMAIL).SetRecipient(recipient).SetDedupeKey(apitest.Unique("acc-" + kind)).
		Save(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(n.ID)
}

// accTicket is a ticket's comments and timeline, as the admin sees them.
type accTicket struct {
	Comments []struct {
		ID       string
		Internal bool
	}
	Events []struct {
		ID, Kind string
		Internal bool
	}
}

func accDetail(t *testing.T, e *apitest.Env, id string) accTicket {
	t.Helper()
	var got struct{ Node accTicket }
	e.Do(t, apitest.AdminToken, `query($id: ID!) { node(id: $id) { ... on Ticket { comments { id internal } events { id kind internal } } } }`,
		map[string]any{"id": id}, &got)
	sort.Slice(got.Node.Events, func(i, j int) bool { return accLess(got.Node.Events[i].ID, got.Node.Events[j].ID) })
	return got.Node
}

func accLess(a, b string) bool {
	x, _ := strconv.Atoi(a)
	y, _ := strconv.Atoi(b)
	return x < y
}

func (d accTicket) commentIDs(internal bool) []string {
	var out []string
	for _, c := range d.Comments {
		if c.Internal == internal {
			out = append(out, c.ID)
		}
	}
	return out
}

func (d accTicket) eventIDs(internal bool) []string {
	var out []string
	for _, ev := range d.Events {
		if ev.Internal == internal {
			out = append(out, ev.ID)
		}
	}
	return out
}

func (d accTicket) eventOfKind(kind string) string {
	for _, ev := range d.Events {
		if ev.Kind == kind {
			return ev.ID
		}
	}
	return ""
}

// accNodeHidden: node(id) answers null (with at most a NOT_FOUND error).
func accNodeHidden(t *testing.T, e *apitest.Env, token, what, id string) {
	t.Helper()
	res := e.Post(t, token, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
	var got struct{ Node *struct{ ID string } }
	_ = json.Unmarshal(res.Data, &got)
	if got.Node != nil {
		t.Errorf("LEAK: node(%s) answered %s", what, res.Data)
	}
	for _, c := range res.Codes() {
		if c != "NOT_FOUND" {
			t.Errorf("node(%s): errors %v, want none or NOT_FOUND", what, res.Errors)
		}
	}
}

func accNodeVisible(t *testing.T, e *apitest.Env, token, what, id string) {
	t.Helper()
	var got struct{ Node *struct{ ID string } }
	e.Do(t, token, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, &got)
	if got.Node == nil || got.Node.ID != id {
		t.Errorf("node(%s) hidden from an agent: %+v", what, got.Node)
	}
}

// accState is everything a refused mutation could have changed, read with
// the admin token, plus the tokens and webhooks the API cannot read.
func accState(t *testing.T, e *apitest.Env) string {
	t.Helper()
	var data any
	e.Do(t, apitest.AdminToken, `{
	  tickets(first: 100) { totalCount edges { node { id status priority escalationLevel updatedAt resolvedAt closedAt
	      assignee { id } comments { id body internal } events { id } } } }
	  organizations(first: 100) { totalCount edges { node { id name region timezone updatedAt accountManager { id } slaPolicy { id } services { id } } } }
	  contacts(first: 100) { totalCount edges { node { id name email phone role types active updatedAt } } }
	  agents(first: 100) { totalCount edges { node { id name email role active } } }
	  slaPolicies { id name version }
	  escalationTables { id region levels { name } }
	}`, nil, &data)
	accCanonical(data)
	b, _ := json.Marshal(data)
	return fmt.Sprintf("%s tokens=%d webhooks=%d", b, accCountTokens(t, e), accCountWebhooks(t, e))
}

// accCanonical sorts lists in place, so that edge order does not matter.
func accCanonical(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, y := range x {
			accCanonical(y)
		}
	case []any:
		for _, y := range x {
			accCanonical(y)
		}
		sort.Slice(x, func(i, j int) bool {
			a, _ := json.Marshal(x[i])
			b, _ := json.Marshal(x[j])
			return string(a) < string(b)
		})
	}
}

func accUnchanged(t *testing.T, e *apitest.Env, before, what string) {
	t.Helper()
	if after := accState(t, e); after != before {
		t.Errorf("refused %s changed the data:\nbefore %s\nafter  %s", what, before, after)
	}
}

// accRefused runs a mutation that must fail with one of codes, then checks
// nothing changed.
func accRefused(t *testing.T, e *apitest.Env, token, what, query string, vars map[string]any, codes ...string) apitest.Response {
	t.Helper()
	before := accState(t, e)
	res := e.Post(t, token, query, vars)
	if len(res.Errors) == 0 {
		t.Errorf("%s: want %v, got data %s", what, codes, res.Data)
	}
	for _, c := range res.Codes() {
		if !slices.Contains(codes, c) {
			t.Errorf("%s: want %v, got %v", what, codes, res.Errors)
			break
		}
	}
	if apitest.HasData(res.Data) {
		t.Errorf("%s: answered data %s", what, res.Data)
	}
	accUnchanged(t, e, before, what)
	return res
}

func accCountTokens(t *testing.T, e *apitest.Env) int {
	t.Helper()
	n, err := e.DB.Client.APIToken.Query().Count(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func accCountWebhooks(t *testing.T, e *apitest.Env) int {
	t.Helper()
	n, err := e.DB.Client.Webhook.Query().Count(viewer.SystemContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ---------------------------------------------------------------------------
// Subscriptions over apitest.Socket

// accEvent is what the tests select of a TicketEvent.
type accEvent struct {
	ID, Kind string
	Internal bool
	Ticket   struct{ ID string }
}

// accWSCase is a connection attempt that must be refused.
type accWSCase struct {
	name string
	apitest.SocketOptions
}

// accRefusedConnections opens every attempt at once and checks none is
// acknowledged. It returns the attempts the server left hanging (neither
// acknowledged nor closed within a second): the caller reports them.
// meanwhile, if not nil, runs while the server answers.
func accRefusedConnections(t *testing.T, e *apitest.Env, cases []accWSCase, meanwhile func()) (hanging []string) {
	t.Helper()
	conns := make([]*apitest.Socket, len(cases))
	for i, c := range cases {
		conn, _, err := e.DialSocket(t, c.SocketOptions)
		if err != nil {
			continue // refused at the upgrade: fine
		}
		conns[i] = conn
	}
	deadline := time.Now().Add(time.Second)
	if meanwhile != nil {
		meanwhile()
	}
	for i, c := range conns {
		if c == nil {
			continue
		}
		acked, refused, detail := c.Ack(max(time.Until(deadline), time.Millisecond))
		if acked {
			t.Errorf("%s: connection_init was acknowledged", cases[i].name)
		} else if !refused {
			hanging = append(hanging, cases[i].name+": "+detail)
		}
	}
	return hanging
}

// accUntilStarted runs marker (an action whose event every stream may
// see) until each of conns received an event of subscription "1"; what
// they received is appended to got.
func accUntilStarted(t *testing.T, marker func(), conns []*apitest.Socket, got [][]accEvent) {
	t.Helper()
	for i, m := range apitest.Started(t, marker, "1", conns...) {
		if ev, ok := accDecode(t, m); ok {
			got[i] = append(got[i], ev)
		}
	}
}

// accDecode reads an event of subscription m.ID; a message that is not
// one is an error.
func accDecode(t *testing.T, m apitest.Message) (accEvent, bool) {
	t.Helper()
	if m.Type != "next" {
		t.Errorf("subscription %s: %s %s", m.ID, m.Type, m.Payload)
		return accEvent{}, false
	}
	var d struct{ TicketEvents *accEvent }
	if err := m.Decode(&d); err != nil || d.TicketEvents == nil {
		t.Errorf("subscription %s: payload %s", m.ID, m.Payload)
		return accEvent{}, false
	}
	return *d.TicketEvents, true
}

// accEvents collects the events of subscription id on c for up to wait,
// or until the event with ID until arrived.
func accEvents(t *testing.T, c *apitest.Socket, id string, wait time.Duration, until string) []accEvent {
	t.Helper()
	var out []accEvent
	for deadline := time.Now().Add(wait); ; {
		m, ok := c.Await(id, max(time.Until(deadline), time.Millisecond))
		if !ok {
			if until != "" && c.Err() == nil {
				t.Errorf("subscription %s: event %s did not arrive within %v (got %v)", id, until, wait, out)
			}
			return out
		}
		if m.Type != "next" {
			accDecode(t, m) // reports it
			return out
		}
		ev, ok := accDecode(t, m)
		if !ok {
			continue
		}
		out = append(out, ev)
		if until != "" && ev.ID == until {
			return out
		}
	}
}
