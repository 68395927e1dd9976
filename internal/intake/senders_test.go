package intake_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"helpdesk/internal/apitest"
	"helpdesk/internal/intake"
)

// TestContactsByEmailReturnsEveryOrganizationsContact: an address shared
// by two organizations finds both contacts, for e-mail intake to decide
// (never one of them by chance); an unknown address finds none.
func TestContactsByEmailReturnsEveryOrganizationsContact(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	a, b := e.Tenant(t, "senders-a"), e.Tenant(t, "senders-b")
	shared := strings.ToLower(apitest.Unique("sam")) + "@consultancy.example"
	var ids []string
	for _, org := range []string{a.OrgID, b.OrgID} {
		var out struct {
			CreateContact struct{ ID string } `json:"createContact"`
		}
		e.Do(t, apitest.AdminToken, `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"organizationID": org, "name": "Sam", "email": shared, "role": "USER"}}, &out)
		ids = append(ids, out.CreateContact.ID)
	}
	got, err := intake.ContactsByEmail(context.Background(), e.DB.Client, shared)
	if err != nil || len(got) != 2 || strconv.Itoa(got[0].ID) != ids[0] || strconv.Itoa(got[1].ID) != ids[1] {
		t.Fatalf("ContactsByEmail(shared) = %v, %v; want contacts %v", got, err, ids)
	}
	if got, err := intake.ContactsByEmail(context.Background(), e.DB.Client, strings.ToUpper(shared)); err != nil || len(got) != 2 {
		t.Fatalf("ContactsByEmail(the address in capitals) = %v, %v; want both contacts", got, err)
	}
	if got, err := intake.ContactsByEmail(context.Background(), e.DB.Client, "nobody@nowhere.example"); err != nil || len(got) != 0 {
		t.Fatalf("ContactsByEmail(unknown) = %v, %v; want none", got, err)
	}
}
