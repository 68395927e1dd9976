package graph_test

import (
	"strings"
	"testing"

	"helpdesk/internal/apitest"
)

// TestContactEmailIsUniquePerOrganization: one address may be a contact
// of two organizations; twice in one organization is a CONFLICT whose
// message tells nothing of other tenants. Whoever creates or changes the
// contact (an administrator or the organization's MASTER) gets the same
// answers, so they cannot probe other tenants' addresses.
func TestContactEmailIsUniquePerOrganization(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	a := e.Tenant(t, "mail-a")
	b := e.Tenant(t, "mail-b")
	var orgNames struct {
		A struct{ Name string } `json:"a"`
		B struct{ Name string } `json:"b"`
	}
	e.Do(t, apitest.AdminToken, `query($a: ID!, $b: ID!) { a: node(id: $a) { ... on Organization { name } } b: node(id: $b) { ... on Organization { name } } }`,
		map[string]any{"a": a.OrgID, "b": b.OrgID}, &orgNames)
	const create = `mutation($in: CreateContactInput!) { createContact(input: $in) { id email } }`
	contact := func(org, email string) map[string]any {
		return map[string]any{"in": map[string]any{"organizationID": org, "name": "Pat Shared", "email": email, "role": "USER"}}
	}
	// No message may name the other tenant, its contact or its IDs.
	leaks := func(t *testing.T, res apitest.Response, secrets ...string) {
		t.Helper()
		for _, err := range res.Errors {
			for _, s := range secrets {
				if strings.Contains(err.Message, s) {
					t.Errorf("message %q names %q", err.Message, s)
				}
			}
		}
	}

	shared := strings.ToLower(apitest.Unique("pat")) + "@consultancy.example"
	e.Do(t, apitest.AdminToken, create, contact(a.OrgID, shared), nil)
	var inB struct {
		CreateContact struct{ ID, Email string } `json:"createContact"`
	}
	e.Do(t, b.Master.Token, create, contact(b.OrgID, shared), &inB)
	if inB.CreateContact.Email != shared {
		t.Fatalf("B's MASTER created %+v, want the shared address", inB.CreateContact)
	}

	res := e.Fail(t, "CONFLICT", b.Master.Token, create, contact(b.OrgID, shared))
	leaks(t, res, orgNames.A.Name, a.OrgID)
	res = e.Fail(t, "CONFLICT", apitest.AdminToken, create, contact(a.OrgID, shared))
	leaks(t, res, orgNames.B.Name, b.OrgID, inB.CreateContact.ID)

	// updateContact: to an address of another organization works; to one
	// of its own organization is a CONFLICT.
	const update = `mutation($id: ID!, $email: String!) { updateContact(id: $id, input: {email: $email}) { email } }`
	e.Do(t, b.Master.Token, update, map[string]any{"id": b.User.ID, "email": a.User.Email}, nil)
	res = e.Fail(t, "CONFLICT", b.Master.Token, update, map[string]any{"id": b.User2.ID, "email": shared})
	leaks(t, res, orgNames.A.Name, a.OrgID)

	// Both contacts with the shared address keep working with their tokens.
	for _, p := range []apitest.Person{a.User, b.User} {
		accViewerIs(t, e, p.Token, p.ID)
	}
}
