package app

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	tlog "go.temporal.io/sdk/log"

	"helpdesk/internal/ticketing"
	"helpdesk/workflows"
)

// TestTemporalLogLinesNameTheTicketAndItsWorkflowAsTheRestOfTheLog: the
// SDK's WorkflowID (on a workflow's and an activity's logger, or in one
// line's own attributes) becomes workflowID with the ticket's number
// beside it; a workflow that is no ticket's keeps its ID and gets no
// ticket.
func TestTemporalLogLinesNameTheTicketAndItsWorkflowAsTheRestOfTheLog(t *testing.T) {
	var buf bytes.Buffer
	log := tlog.NewStructuredLogger(slog.New(ticketLogHandler{slog.NewJSONHandler(&buf, nil)}))
	id := 42949672961
	tlog.With(log, "WorkflowID", workflows.TicketWorkflowID(id), "RunID", "r1").Info("from the workflow's logger", "number", ticketing.Number(id))
	log.Info("with the ID in the line", "WorkflowID", workflows.TicketWorkflowID(id))
	tlog.With(log, "WorkflowID", "some-other-workflow").Info("not a ticket's")
	log.Info("no workflow")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	for i, want := range []map[string]any{
		{"workflowID": workflows.TicketWorkflowID(id), "ticket": ticketing.Number(id), "RunID": "r1"},
		{"workflowID": workflows.TicketWorkflowID(id), "ticket": ticketing.Number(id)},
		{"workflowID": "some-other-workflow", "ticket": nil},
		{"workflowID": nil, "ticket": nil},
	} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		if _, ok := rec["WorkflowID"]; ok {
			t.Errorf("line %d keeps the SDK's WorkflowID: %s", i, lines[i])
		}
		for k, v := range want {
			if rec[k] != v {
				t.Errorf("line %d: %s = %v, want %v (%s)", i, k, rec[k], v, lines[i])
			}
		}
	}
}
