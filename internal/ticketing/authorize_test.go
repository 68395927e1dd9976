package ticketing

import (
	"errors"
	"strings"
	"testing"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/viewer"
)

// TestWhoMayAskWhat: SPEC §3's "who" column. Agents and the product ask
// anything; a contact replies to, reopens and escalates what it requested
// (its organization's ADMIN and MASTER: any of the organization's
// tickets), closes what it requested, and nothing else.
func TestWhoMayAskWhat(t *testing.T) {
	t.Parallel()
	tk := ticketIn(schematype.StatusResolved) // requested by requester
	partner := Actor{}
	tests := []struct {
		name  string
		actor Actor
		req   Request
		msg   string // "" allowed; else a part of the FORBIDDEN message
	}{
		{"an agent may start work", agent, Request{Action: StartWork}, ""},
		{"the product may resolve", System(), Request{Action: Resolve}, ""},
		{"an agent of any role may change the priority", Actor{Kind: ActorAgent, ID: 8, Role: viewer.RoleAccountManager}, Request{Action: ChangePriority, Priority: schematype.PriorityHigh}, ""},
		{"the requester may close", requester, Request{Action: Close}, ""},
		{"its organization's MASTER may not close", master, Request{Action: Close}, "a customer may not move a ticket from RESOLVED to CLOSED"},
		{"the requester may reopen", requester, Request{Action: Reopen}, ""},
		{"its organization's MASTER may reopen", master, Request{Action: Reopen}, ""},
		{"its organization's ADMIN may reopen", orgAdmin, Request{Action: Reopen}, ""},
		{"another USER may not reopen", colleague, Request{Action: Reopen}, "a customer may not move a ticket from RESOLVED to IN_PROGRESS"},
		{"the requester may reply", requester, Request{Action: CustomerReply}, ""},
		{"its organization's ADMIN may reply", orgAdmin, Request{Action: CustomerReply}, ""},
		{"the requester may escalate", requester, Request{Action: Escalate}, ""},
		{"its organization's MASTER may escalate", master, Request{Action: Escalate}, ""},
		{"another USER may not escalate", colleague, Request{Action: Escalate}, "a customer may not escalate this ticket"},
		{"the requester may not start work, even where it would lead as a reopen", requester, Request{Action: StartWork}, "a customer may not move a ticket from RESOLVED to IN_PROGRESS"},
		{"the requester may not accept", requester, Request{Action: Accept}, "a customer may not move a ticket from RESOLVED to ACCEPTED"},
		{"the requester may not resolve", requester, Request{Action: Resolve}, "a customer may not move a ticket from RESOLVED to RESOLVED"},
		{"the requester may not request information", requester, Request{Action: RequestInformation}, "a customer may not move a ticket from RESOLVED to WAITING_ON_CUSTOMER"},
		{"the requester may not set it waiting on a third party", requester, Request{Action: WaitOnThirdParty}, "a customer may not move a ticket from RESOLVED to WAITING_ON_THIRD_PARTY"},
		{"its organization's MASTER may not set it waiting on a third party", master, Request{Action: WaitOnThirdParty}, "a customer may not move a ticket from RESOLVED to WAITING_ON_THIRD_PARTY"},
		{"the requester may not change the priority", requester, Request{Action: ChangePriority, Priority: schematype.PriorityCritical}, "only agents change a ticket's priority"},
		{"the requester may not assign", requester, Request{Action: Assign, AssigneeID: id(7)}, "only agents change a ticket's assignee_id"},
		{"the requester may not edit the status", requester, Request{Action: Edit, Status: schematype.StatusClosed}, "a customer may not move a ticket from RESOLVED to CLOSED"},
		{"the requester may escalate by an edit", requester, Request{Action: Edit, EscalationLevel: id(1)}, ""},
		{"a partner or anonymous caller may not change anything", partner, Request{Action: Close}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.req
			r.Actor = tt.actor
			err := Authorize(tk, r)
			switch {
			case tt.actor.Kind == ActorNobody:
				if !errors.Is(err, viewer.ErrForbidden) {
					t.Fatalf("err %v, want FORBIDDEN", err)
				}
			case tt.msg == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.msg != "" && (!errors.Is(err, viewer.ErrForbidden) || !strings.Contains(err.Error(), tt.msg)):
				t.Fatalf("err %v, want FORBIDDEN with %q", err, tt.msg)
			}
		})
	}
}
