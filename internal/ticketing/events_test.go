package ticketing

import (
	"encoding/json"
	"testing"
	"time"

	"helpdesk/ent/schema/schematype"
	"helpdesk/internal/sla"
)

// TestEventDataIsRecordedAsAlways: each event's data is the JSON that
// timelines, subscriptions and webhooks have always carried (SPEC §3),
// byte for byte.
func TestEventDataIsRecordedAsAlways(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data any
		want string
	}{
		{"CREATED", CreatedData{Channel: "PORTAL", Number: "HD-100001", Priority: schematype.PriorityHigh},
			`{"channel":"PORTAL","number":"HD-100001","priority":"HIGH"}`},
		{"STATUS_CHANGED without a reason", StatusChangedData{From: schematype.StatusNew, To: schematype.StatusAccepted},
			`{"from":"NEW","to":"ACCEPTED"}`},
		{"STATUS_CHANGED with a reason", StatusChangedData{From: schematype.StatusClosed, To: schematype.StatusInProgress, Reason: "Broken again"},
			`{"from":"CLOSED","reason":"Broken again","to":"IN_PROGRESS"}`},
		{"PRIORITY_CHANGED", PriorityChangedData{From: schematype.PriorityLow, To: schematype.PriorityCritical, Reason: "outage"},
			`{"from":"LOW","reason":"outage","to":"CRITICAL"}`},
		{"ASSIGNED to an agent", AssignedData{Agent: "Sam", To: id(4294967297)}, `{"agent":"Sam","from":null,"to":4294967297}`},
		{"ASSIGNED from one agent to another", AssignedData{Agent: "Ana", From: id(1), To: id(2)}, `{"agent":"Ana","from":1,"to":2}`},
		{"ASSIGNED to nobody", AssignedData{From: id(1)}, `{"from":1,"to":null}`},
		{"COMMENTED", CommentedData{CommentID: 8589934593, Internal: true}, `{"commentID":8589934593,"internal":true}`},
		{"INFORMATION_REQUESTED", InformationRequestedData{Message: "Which printer?"}, `{"message":"Which printer?"}`},
		{"ESCALATED", EscalatedData{From: 0, To: 1, Reason: "Nobody answers", Manual: true},
			`{"from":0,"manual":true,"reason":"Nobody answers","to":1}`},
		{"SLA_BREACHED", ClockData{Clock: sla.FirstResponse, DueAt: time.Date(2026, 11, 30, 9, 30, 0, 0, time.UTC)},
			`{"clock":"FIRST_RESPONSE","dueAt":"2026-11-30T09:30:00Z"}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.data)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: %s (%v), want %s", tt.name, got, err, tt.want)
		}
	}
}
