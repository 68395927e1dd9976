package notify

import (
	"fmt"
	"slices"
	"testing"
)

// A small organization around one ticket: requester Ana (es), a technical
// contact, an administrative contact, a deactivated technical contact,
// agent Bob assigned, two supervisors (one deactivated), account manager
// Mia, a webhook for every kind and one for ESCALATED only.
func world() Input {
	return Input{
		Category:  "SERVICE_REQUEST",
		Requester: Person{ID: 1, Name: "Ana", Email: "ana@acme.test", Locale: "es", Active: true},
		Contacts: []Contact{
			{Person: Person{ID: 1, Name: "Ana", Email: "ana@acme.test", Locale: "es", Active: true}},
			{Person: Person{ID: 2, Name: "Tec", Email: "tec@acme.test", Locale: "en", Active: true}, Types: []string{"TECHNICAL"}},
			{Person: Person{ID: 3, Name: "Adm", Email: "adm@acme.test", Active: true}, Types: []string{"ADMINISTRATIVE"}},
			{Person: Person{ID: 4, Name: "Old", Email: "old@acme.test", Active: false}, Types: []string{"TECHNICAL"}},
		},
		Assignee:       &Person{ID: 10, Name: "Bob", Email: "bob@desk.test", Active: true, Agent: true},
		Supervisors:    []Person{{ID: 11, Name: "Sue", Email: "sue@desk.test", Active: true, Agent: true}, {ID: 12, Email: "gone@desk.test", Agent: true}},
		AccountManager: &Person{ID: 13, Name: "Mia", Email: "mia@desk.test", Active: true, Agent: true},
		Webhooks: []Endpoint{
			{ID: 1, URL: "https://partner.test/all", Active: true},
			{ID: 2, URL: "https://partner.test/esc", Kinds: []Kind{Escalated}, Active: true},
			{ID: 3, URL: "https://partner.test/off", Active: false},
		},
	}
}

// to lists the deliveries as "KIND CHANNEL recipient".
func to(ds []Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s %s %s", d.Kind, d.Channel, d.Recipient))
	}
	return out
}

func expect(t *testing.T, in Input, want ...string) []Delivery {
	t.Helper()
	got := Plan(in)
	if !slices.Equal(to(got), want) {
		t.Fatalf("deliveries:\n got %q\nwant %q", to(got), want)
	}
	return got
}

func TestTicketReceivedGoesToTheRequesterInItsLanguage(t *testing.T) {
	in := world()
	in.Event = Event{ID: 7, Kind: "CREATED", Side: ByContact, ActorID: 1}
	ds := expect(t, in, "TICKET_RECEIVED EMAIL ana@acme.test", "TICKET_RECEIVED WEBHOOK https://partner.test/all")
	if ds[0].Locale != "es" || ds[0].Name != "Ana" || ds[0].DedupeKey != "7/EMAIL/ana@acme.test" {
		t.Fatalf("delivery %+v", ds[0])
	}
}

func TestTheAutoReplyReachesTheRequesterEvenWhenItOpenedTheTicketItself(t *testing.T) {
	in := world()
	in.Event = Event{ID: 7, Kind: "CREATED", Side: ByContact, ActorID: 1}
	if got := Plan(in); len(got) == 0 || got[0].Recipient != "ana@acme.test" {
		t.Fatalf("the requester got no auto-reply: %q", to(got))
	}
}

func TestEveryStatusChangeGoesToTheRequester(t *testing.T) {
	in := world()
	in.Event = Event{ID: 8, Kind: "STATUS_CHANGED", Side: ByAgent, ActorID: 10}
	expect(t, in, "STATUS_CHANGED EMAIL ana@acme.test", "STATUS_CHANGED WEBHOOK https://partner.test/all")
}

func TestAPriorityChangeByAnAgentGoesToTheRequesterAndTheAssignee(t *testing.T) {
	in := world()
	in.Event = Event{ID: 9, Kind: "PRIORITY_CHANGED", Side: ByAgent, ActorID: 11}
	expect(t, in, "PRIORITY_CHANGED EMAIL bob@desk.test", "PRIORITY_CHANGED EMAIL ana@acme.test", "PRIORITY_CHANGED WEBHOOK https://partner.test/all")
}

func TestTheAssigneeIsNotToldOfItsOwnPriorityChange(t *testing.T) {
	in := world()
	in.Event = Event{ID: 9, Kind: "PRIORITY_CHANGED", Side: ByAgent, ActorID: 10}
	expect(t, in, "PRIORITY_CHANGED EMAIL ana@acme.test", "PRIORITY_CHANGED WEBHOOK https://partner.test/all")
}

func TestAPriorityChangeNotByAnAgentIsNotNotified(t *testing.T) {
	in := world()
	in.Event = Event{ID: 9, Kind: "PRIORITY_CHANGED", Side: BySystem}
	expect(t, in)
}

func TestAReturnForInformationAndEachReminderGoToTheRequester(t *testing.T) {
	in := world()
	in.Event = Event{ID: 10, Kind: "INFORMATION_REQUESTED", Side: ByAgent, ActorID: 10}
	ds := expect(t, in, "INFORMATION_REQUESTED EMAIL ana@acme.test", "INFORMATION_REQUESTED WEBHOOK https://partner.test/all")
	if ds[0].Reminder {
		t.Fatal("the request itself is not a reminder")
	}
	in.Event = Event{ID: 11, Kind: "REMINDER_SENT", Side: BySystem}
	ds = expect(t, in, "INFORMATION_REQUESTED EMAIL ana@acme.test", "INFORMATION_REQUESTED WEBHOOK https://partner.test/all")
	if !ds[0].Reminder {
		t.Fatal("a reminder is marked as one")
	}
}

func TestAContactsReplyGoesToTheAssignee(t *testing.T) {
	in := world()
	in.Event = Event{ID: 12, Kind: "COMMENTED", Side: ByContact, ActorID: 1}
	expect(t, in, "COMMENT_ADDED EMAIL bob@desk.test", "COMMENT_ADDED WEBHOOK https://partner.test/all")
}

func TestAContactsReplyToAnUnassignedTicketGoesToEveryActiveSupervisor(t *testing.T) {
	in := world()
	in.Assignee = nil
	in.Event = Event{ID: 12, Kind: "COMMENTED", Side: ByContact, ActorID: 1}
	expect(t, in, "COMMENT_ADDED EMAIL sue@desk.test", "COMMENT_ADDED WEBHOOK https://partner.test/all")
}

func TestAnAgentsReplyGoesToTheRequester(t *testing.T) {
	in := world()
	in.Event = Event{ID: 13, Kind: "COMMENTED", Side: ByAgent, ActorID: 10}
	expect(t, in, "COMMENT_ADDED EMAIL ana@acme.test", "COMMENT_ADDED WEBHOOK https://partner.test/all")
}

func TestAnInternalNoteNotifiesNobody(t *testing.T) {
	in := world()
	in.Event = Event{ID: 14, Kind: "COMMENTED", Internal: true, Side: ByAgent, ActorID: 10}
	expect(t, in)
}

func TestAnSLAWarningGoesToTheAssigneeOrElseToTheSupervisors(t *testing.T) {
	in := world()
	in.Event = Event{ID: 15, Kind: "SLA_WARNING", Side: BySystem}
	expect(t, in, "SLA_WARNING EMAIL bob@desk.test", "SLA_WARNING WEBHOOK https://partner.test/all")
	in.Assignee = nil
	expect(t, in, "SLA_WARNING EMAIL sue@desk.test", "SLA_WARNING WEBHOOK https://partner.test/all")
}

func TestAnEscalationGoesToTheLevelsContactsTheAssigneeAndTheAccountManager(t *testing.T) {
	in := world()
	in.LevelEmails = []string{"noc-l1@desk.test", "BOB@desk.test"}
	in.Event = Event{ID: 16, Kind: "ESCALATED", Side: BySystem, Level: 1}
	expect(t, in, "ESCALATED EMAIL noc-l1@desk.test", "ESCALATED EMAIL BOB@desk.test", "ESCALATED EMAIL mia@desk.test",
		"ESCALATED WEBHOOK https://partner.test/all", "ESCALATED WEBHOOK https://partner.test/esc")
}

func TestIncidentsCopyTheTechnicalContactsAndAdministrativeTicketsTheAdministrativeOnes(t *testing.T) {
	in := world()
	in.Category = "INCIDENT"
	in.Event = Event{ID: 17, Kind: "STATUS_CHANGED", Side: ByAgent, ActorID: 10}
	expect(t, in, "STATUS_CHANGED EMAIL ana@acme.test", "STATUS_CHANGED EMAIL tec@acme.test", "STATUS_CHANGED WEBHOOK https://partner.test/all")
	in.Category = "ADMINISTRATIVE"
	expect(t, in, "STATUS_CHANGED EMAIL ana@acme.test", "STATUS_CHANGED EMAIL adm@acme.test", "STATUS_CHANGED WEBHOOK https://partner.test/all")
}

func TestADeactivatedContactIsNeverARecipient(t *testing.T) {
	in := world()
	in.Category = "INCIDENT"
	in.Requester.Active = false
	in.Event = Event{ID: 18, Kind: "STATUS_CHANGED", Side: ByAgent, ActorID: 10}
	expect(t, in, "STATUS_CHANGED EMAIL tec@acme.test", "STATUS_CHANGED WEBHOOK https://partner.test/all")
}

func TestARecipientWithSeveralReasonsGetsOneMessagePerChannel(t *testing.T) {
	in := world()
	in.Category = "INCIDENT"
	in.Requester = in.Contacts[1].Person // the technical contact opened it
	in.Event = Event{ID: 19, Kind: "CREATED", Side: ByContact, ActorID: 2}
	expect(t, in, "TICKET_RECEIVED EMAIL tec@acme.test", "TICKET_RECEIVED WEBHOOK https://partner.test/all")
}

func TestEventsWithoutANotificationKindPlanNothing(t *testing.T) {
	for _, k := range []string{"ASSIGNED", "SLA_BREACHED", "SOMETHING_NEW"} {
		in := world()
		in.Event = Event{ID: 20, Kind: k, Side: BySystem}
		if got := Plan(in); len(got) != 0 {
			t.Errorf("%s planned %q", k, to(got))
		}
	}
}

func TestAnUnknownLocaleIsWrittenInTheDefaultOne(t *testing.T) {
	in := world()
	in.Requester.Locale = "fr"
	in.Event = Event{ID: 21, Kind: "CREATED", Side: ByContact, ActorID: 1}
	if d := Plan(in)[0]; d.Locale != DefaultLocale {
		t.Fatalf("locale %q", d.Locale)
	}
}

func TestTheDedupeKeyIsEventChannelAndRecipientWithoutCaseForEmail(t *testing.T) {
	if a, b := DedupeKey(5, Email, "Ana@Acme.test"), DedupeKey(5, Email, "ana@acme.test"); a != b || a != "5/EMAIL/ana@acme.test" {
		t.Fatalf("keys %q %q", a, b)
	}
	if k := DedupeKey(5, Webhook, "https://P.test/X"); k != "5/WEBHOOK/https://P.test/X" {
		t.Fatalf("key %q", k)
	}
}

func TestOnlyEnglishAndSpanishAreLocales(t *testing.T) {
	for _, l := range []string{"en", "es"} {
		if err := ValidLocale(l); err != nil {
			t.Error(err)
		}
	}
	for _, l := range []string{"", "EN", "fr", "es-CO"} {
		if ValidLocale(l) == nil {
			t.Errorf("%q accepted", l)
		}
	}
}

func TestNeedsNameEveryPartThePlanReads(t *testing.T) {
	// Whatever Needs leaves out, Plan must not miss: planning with only
	// the needed parts gives the same deliveries as with all of them.
	kinds := []string{"CREATED", "STATUS_CHANGED", "PRIORITY_CHANGED", "INFORMATION_REQUESTED", "REMINDER_SENT", "COMMENTED", "SLA_WARNING", "ESCALATED", "ASSIGNED"}
	for _, k := range kinds {
		for _, side := range []Side{BySystem, ByAgent, ByContact} {
			for _, cat := range []string{"INCIDENT", "ADMINISTRATIVE", "SERVICE_REQUEST"} {
				for _, assigned := range []bool{true, false} {
					in := world()
					in.Category = cat
					in.LevelEmails = []string{"l1@desk.test"}
					if !assigned {
						in.Assignee = nil
					}
					in.Event = Event{ID: 1, Kind: k, Side: side, ActorID: 99}
					all := Plan(in)
					n := NeedsOf(in.Event, cat, assigned)
					if !n.Contacts {
						in.Contacts = nil
					}
					if !n.Supervisors {
						in.Supervisors = nil
					}
					if !n.Escalation {
						in.LevelEmails, in.AccountManager = nil, nil
					}
					if got := Plan(in); !slices.Equal(to(got), to(all)) {
						t.Errorf("%s by %d, %s, assigned %v: with the needed parts %q, with all %q", k, side, cat, assigned, to(got), to(all))
					}
				}
			}
		}
	}
}
