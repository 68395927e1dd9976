// Package demo fills an empty database with a realistic demo tenant and
// returns tokens to try it with.
package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"helpdesk/ent"
	"helpdesk/ent/agent"
	"helpdesk/ent/contact"
	"helpdesk/ent/organization"
	"helpdesk/ent/schema/schematype"
	"helpdesk/ent/ticket"
	"helpdesk/internal/auth"
	"helpdesk/internal/bizhours"
	"helpdesk/internal/intake"
	"helpdesk/internal/sla"
	"helpdesk/internal/viewer"
)

// OrgName is the demo customer; its presence means the demo is seeded.
const OrgName = "Acme Networks"

// Tokens are the demo's tokens, by who holds them.
type Tokens struct {
	Admin, Agent, Supervisor, AccountManager, Master, User, Partner string
}

// Seed creates the demo tenant unless it exists (then seeded is false and
// no tokens are returned: they were shown once, when it was made).
func Seed(ctx context.Context, c *ent.Client) (tok Tokens, seeded bool, err error) {
	ctx = viewer.SystemContext(ctx)
	exists, err := c.Organization.Query().Where(organization.Name(OrgName)).Exist(ctx)
	if err != nil || exists {
		return tok, false, err
	}
	tx, err := c.Tx(ctx)
	if err != nil {
		return tok, false, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	c = tx.Client()
	issue := func(set func(*ent.APITokenCreate)) string {
		t, digest := auth.NewToken()
		b := c.APIToken.Create().SetDigest(digest)
		set(b)
		if err == nil {
			err = b.Exec(ctx)
		}
		return t
	}
	premium := sla.Default("Europe/Berlin", true)
	pol, err := c.SLAPolicy.Create().SetName("Premium 24x7").SetTimezone(premium.Timezone).SetAlwaysOpen(true).
		SetOpeningHours([]bizhours.OpeningHours{}).SetHolidays([]string{}).SetTargets(premium.Targets).Save(ctx)
	if err != nil {
		return tok, false, err
	}
	if err = c.EscalationTable.Create().SetRegion("EU").SetLevels([]schematype.EscalationLevel{
		{Name: "Team lead", Emails: []string{"teamlead@helpdesk.example"}, WaitSeconds: 1800},
		{Name: "Service manager", Emails: []string{"service.manager@helpdesk.example"}, WaitSeconds: 3600},
		{Name: "Head of operations", Emails: []string{"head.ops@helpdesk.example"}, WaitSeconds: 7200},
	}).Exec(ctx); err != nil {
		return tok, false, err
	}
	agents := map[agent.Role]*ent.Agent{}
	for _, a := range []struct {
		name, email string
		role        agent.Role
	}{
		{"Dana Admin", "dana.admin@helpdesk.example", agent.RoleADMIN},
		{"Sam Support", "sam.support@helpdesk.example", agent.RoleAGENT},
		{"Sue Supervisor", "sue.supervisor@helpdesk.example", agent.RoleSUPERVISOR},
		{"Alex Account", "alex.account@helpdesk.example", agent.RoleACCOUNT_MANAGER},
	} {
		if agents[a.role], err = c.Agent.Create().SetName(a.name).SetEmail(a.email).SetRole(a.role).Save(ctx); err != nil {
			return tok, false, err
		}
	}
	org, err := c.Organization.Create().SetName(OrgName).SetRegion("EU").SetTimezone("Europe/Berlin").
		SetSLAPolicyID(pol.ID).SetAccountManagerID(agents[agent.RoleACCOUNT_MANAGER].ID).Save(ctx)
	if err != nil {
		return tok, false, err
	}
	svc, err := c.Service.Create().SetOrganizationID(org.ID).SetSofNumber("SOF-2026-0042").SetServiceID("MPLS-FRA-01").
		SetName("MPLS VPN Frankfurt").Save(ctx)
	if err != nil {
		return tok, false, err
	}
	master, err := c.Contact.Create().SetOrganizationID(org.ID).SetName("Maria Master").SetEmail("maria@acme.example").
		SetRole(contact.RoleMASTER).SetTypes([]schematype.ContactType{schematype.ContactTypeAdministrative}).Save(ctx)
	if err != nil {
		return tok, false, err
	}
	user, err := c.Contact.Create().SetOrganizationID(org.ID).SetName("Tom Technician").SetEmail("tom@acme.example").
		SetRole(contact.RoleUSER).SetTypes([]schematype.ContactType{schematype.ContactTypeTechnical}).Save(ctx)
	if err != nil {
		return tok, false, err
	}
	tok.Admin = issue(func(b *ent.APITokenCreate) { b.SetAgentID(agents[agent.RoleADMIN].ID) })
	tok.Agent = issue(func(b *ent.APITokenCreate) { b.SetAgentID(agents[agent.RoleAGENT].ID) })
	tok.Supervisor = issue(func(b *ent.APITokenCreate) { b.SetAgentID(agents[agent.RoleSUPERVISOR].ID) })
	tok.AccountManager = issue(func(b *ent.APITokenCreate) { b.SetAgentID(agents[agent.RoleACCOUNT_MANAGER].ID) })
	tok.Master = issue(func(b *ent.APITokenCreate) { b.SetContactID(master.ID) })
	tok.User = issue(func(b *ent.APITokenCreate) { b.SetContactID(user.ID) })
	tok.Partner = issue(func(b *ent.APITokenCreate) { b.SetPartner(true).AddPartnerOrganizationIDs(org.ID) })
	if err != nil {
		return tok, false, err
	}
	asUser := viewer.NewContext(ctx, viewer.Viewer{Kind: viewer.Contact, ID: user.ID, Role: string(user.Role), OrganizationID: org.ID})
	onset := pol.CreatedAt.Add(-20 * time.Minute)
	for _, t := range []intake.Request{
		{Subject: "VPN tunnel to Frankfurt down", Description: "Since 09:12 no traffic passes the MPLS VPN; branch office offline.",
			Priority: schematype.PriorityCritical, Category: ticket.CategoryINCIDENT, ServiceID: &svc.ID,
			EventType: ptr("Link down"), CurrentStatus: ptr("Branch office cannot reach HQ"), OnsetAt: &onset},
		{Subject: "Add a user to the VPN portal", Description: "Please create a portal login for our new colleague.",
			Priority: schematype.PriorityLow, Category: ticket.CategorySERVICE_REQUEST},
	} {
		if _, err = intake.Create(asUser, c, t); err != nil {
			return tok, false, err
		}
	}
	return tok, true, tx.Commit()
}

func ptr[T any](v T) *T { return &v }

// Print writes the tokens for a person to try the demo with.
func Print(w io.Writer, t Tokens) {
	fmt.Fprintf(w, `Demo tenant %q created. Tokens (shown once; paste as {"Authorization": "Bearer <token>"} in GraphiQL's Headers tab):
  ADMIN agent            %s
  AGENT                  %s
  SUPERVISOR             %s
  ACCOUNT_MANAGER        %s
  MASTER contact (Maria) %s
  USER contact (Tom)     %s
  partner (read-only)    %s
`, OrgName, t.Admin, t.Agent, t.Supervisor, t.AccountManager, t.Master, t.User, t.Partner)
}
