package apitest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

var seq atomic.Int64

// Unique returns a name unique within the test binary.
func Unique(prefix string) string { return fmt.Sprintf("%s-%d", prefix, seq.Add(1)) }

// Person is a contact or agent with its token.
type Person struct {
	ID, Token, Email string
}

// Tenant is an organization with one contact of each role and a service.
type Tenant struct {
	OrgID, ServiceID, SOF      string
	Master, Admin, User, User2 Person
}

// Tenant creates an organization named after prefix with its contacts.
func (e *Env) Tenant(t testing.TB, prefix string) Tenant {
	t.Helper()
	name := Unique(prefix)
	var org struct {
		CreateOrganization struct{ ID string } `json:"createOrganization"`
	}
	e.Do(t, AdminToken, `mutation($in: CreateOrganizationInput!) { createOrganization(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": name, "region": "EU", "timezone": "Europe/Berlin"}}, &org)
	tn := Tenant{OrgID: org.CreateOrganization.ID, SOF: "SOF-" + name}
	var svc struct {
		CreateService struct{ ID string } `json:"createService"`
	}
	e.Do(t, AdminToken, `mutation($in: CreateServiceInput!) { createService(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"organizationID": tn.OrgID, "sofNumber": tn.SOF, "serviceID": "SVC-" + name, "name": "Internet " + name}}, &svc)
	tn.ServiceID = svc.CreateService.ID
	tn.Master = e.Contact(t, tn.OrgID, "MASTER", "TECHNICAL")
	tn.Admin = e.Contact(t, tn.OrgID, "ADMIN", "ADMINISTRATIVE")
	tn.User = e.Contact(t, tn.OrgID, "USER")
	tn.User2 = e.Contact(t, tn.OrgID, "USER")
	return tn
}

// Contact creates a contact of org with a token (issued by the admin).
func (e *Env) Contact(t testing.TB, org, role string, types ...string) Person {
	t.Helper()
	email := strings.ToLower(Unique(role)) + "@customer.example"
	if types == nil {
		types = []string{}
	}
	var c struct {
		CreateContact struct{ ID string } `json:"createContact"`
	}
	e.Do(t, AdminToken, `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"organizationID": org, "name": "Contact " + email, "email": email, "role": role, "types": types}}, &c)
	return Person{ID: c.CreateContact.ID, Token: e.Token(t, AdminToken, map[string]any{"contactID": c.CreateContact.ID}), Email: email}
}

// Agent creates an agent of role with a token.
func (e *Env) Agent(t testing.TB, role string) Person {
	t.Helper()
	email := strings.ToLower(Unique(role)) + "@helpdesk.example"
	var a struct {
		CreateAgent struct{ ID string } `json:"createAgent"`
	}
	e.Do(t, AdminToken, `mutation($in: CreateAgentInput!) { createAgent(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"name": "Agent " + email, "email": email, "role": role}}, &a)
	return Person{ID: a.CreateAgent.ID, Token: e.Token(t, AdminToken, map[string]any{"agentID": a.CreateAgent.ID}), Email: email}
}

// Partner issues a read-only partner token for orgs.
func (e *Env) Partner(t testing.TB, orgs ...string) string {
	t.Helper()
	return e.Token(t, AdminToken, map[string]any{"partnerOrganizationIDs": orgs})
}

// Token issues a token as issuer.
func (e *Env) Token(t testing.TB, issuer string, in map[string]any) string {
	t.Helper()
	var out struct {
		IssueToken struct{ Token string } `json:"issueToken"`
	}
	e.Do(t, issuer, `mutation($in: IssueTokenInput!) { issueToken(input: $in) { token } }`, map[string]any{"in": in}, &out)
	return out.IssueToken.Token
}

// Ticket is what tests read of a ticket.
type Ticket struct {
	ID, Number, Status, Priority string
	EscalationLevel              int
}

// TicketFields selects Ticket.
const TicketFields = `id number status priority escalationLevel`

// CreateTicket opens a ticket as token (a contact, or an agent with
// requesterID in extra).
func (e *Env) CreateTicket(t testing.TB, token string, extra map[string]any) Ticket {
	t.Helper()
	in := map[string]any{"subject": Unique("Subject"), "description": "Something is broken", "priority": "HIGH", "category": "INCIDENT"}
	for k, v := range extra {
		in[k] = v
	}
	var out struct {
		CreateTicket Ticket `json:"createTicket"`
	}
	e.Do(t, token, `mutation($in: CreateTicketInput!) { createTicket(input: $in) { `+TicketFields+` } }`, map[string]any{"in": in}, &out)
	return out.CreateTicket
}

// Comment adds a comment (an internal note, if internal) to ticket as
// token.
func (e *Env) Comment(t testing.TB, token, ticket, body string, internal bool) {
	t.Helper()
	e.Do(t, token, `mutation($in: AddCommentInput!) { addComment(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"ticketID": ticket, "body": body, "internal": internal}}, nil)
}
