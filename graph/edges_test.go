package graph_test

// Input edges and consistent errors over real HTTP and WebSocket: every
// field that needs a viewer says UNAUTHENTICATED without a token; a NUL
// character is refused in any string; Time stays within the years 1–9999
// both ways; and NOT_FOUND reads the same on every path.

import (
	"strings"
	"testing"

	"helpdesk/internal/apitest"
)

// policyID creates an SLA policy that is always open, so due times are
// plain sums, and returns its ID.
func policyID(t *testing.T, e *apitest.Env) string {
	t.Helper()
	var out struct {
		CreateSLAPolicy struct{ ID string } `json:"createSLAPolicy"`
	}
	e.Do(t, apitest.AdminToken, `mutation { createSLAPolicy(input: {name: "Always", timezone: "UTC", alwaysOpen: true, targets: [
	  {priority: CRITICAL, firstResponseSeconds: 3600, resolutionSeconds: 14400}, {priority: HIGH, firstResponseSeconds: 7200, resolutionSeconds: 86400},
	  {priority: MEDIUM, firstResponseSeconds: 14400, resolutionSeconds: 172800}, {priority: LOW, firstResponseSeconds: 32400, resolutionSeconds: 259200}]}) { id } }`, nil, &out)
	return out.CreateSLAPolicy.ID
}

// TestTimeStaysWithinYears1To9999BothWays: a Time outside the years
// 0001–9999 in UTC is refused on the way in, and an answer that would hold
// one (an slaPreview from the end of 9999) is BAD_USER_INPUT with a
// message, never a malformed string. Times inside are served as sent, to
// the microsecond.
func TestTimeStaysWithinYears1To9999BothWays(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apitest.Options{})
	tn := e.Tenant(t, "years")
	pol := policyID(t, e)
	preview := `query($p: ID!, $at: Time!) { slaPreview(policyID: $p, priority: LOW, at: $at) { firstResponseDueAt resolutionDueAt } }`

	t.Run("an slaPreview past 9999 is BAD_USER_INPUT, not a five-digit year", func(t *testing.T) {
		for _, at := range []string{"9999-12-31T23:59:59.999999Z", "9999-12-29T00:00:00Z"} {
			res := e.Post(t, apitest.AdminToken, preview, map[string]any{"p": pol, "at": at})
			checkRefused(t, res, badInput)
			if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "9999") || strings.Contains(string(res.Data), "10000-") {
				t.Errorf("at %s: data %s errors %v; want one error naming 9999 and no time past it", at, res.Data, res.Errors)
			}
		}
	})
	t.Run("an slaPreview within 9999 is served", func(t *testing.T) {
		var out struct {
			SLAPreview map[string]string `json:"slaPreview"`
		}
		e.Do(t, apitest.AdminToken, preview, map[string]any{"p": pol, "at": "9999-12-20T00:00:00Z"}, &out)
		if got := out.SLAPreview["resolutionDueAt"]; got != "9999-12-23T00:00:00.000000Z" {
			t.Errorf("resolutionDueAt %s, want 9999-12-23T00:00:00.000000Z", got)
		}
	})
	t.Run("a Time outside the years 0001–9999 in UTC is refused naming the argument", func(t *testing.T) {
		for _, at := range []string{"0000-01-01T00:00:00Z", "0000-12-31T23:59:59.999999Z", "0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-05:00"} {
			res := e.Post(t, apitest.AdminToken, preview, map[string]any{"p": pol, "at": at})
			checkRefused(t, res, badInput)
			if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "0001 to 9999") || !strings.HasPrefix(res.Errors[0].Message, "invalid at:") {
				t.Errorf("at %s: errors %v; want one naming the argument and the years", at, res.Errors)
			}
			res = e.Post(t, tn.User.Token, `mutation($at: Time) { createTicket(input: {subject: "S", description: "D", priority: LOW, category: INCIDENT, onsetAt: $at}) { id } }`,
				map[string]any{"at": at})
			checkRefused(t, res, badInput)
		}
	})
	t.Run("the first and last instants are served as sent; digits past microseconds are dropped", func(t *testing.T) {
		for in, want := range map[string]string{
			"0001-01-01T00:00:00Z":           "0001-01-01T00:00:00.000000Z",
			"9999-12-31T23:59:59.999999Z":    "9999-12-31T23:59:59.999999Z",
			"2026-11-26T10:30:00.5+01:00":    "2026-11-26T09:30:00.500000Z",
			"2026-11-26T09:30:00.123456789Z": "2026-11-26T09:30:00.123456Z",
		} {
			var out struct {
				CreateTicket struct{ OnsetAt string } `json:"createTicket"`
			}
			e.Do(t, tn.User.Token, `mutation($at: Time) { createTicket(input: {subject: "S", description: "D", priority: LOW, category: INCIDENT, onsetAt: $at}) { onsetAt } }`,
				map[string]any{"at": in}, &out)
			if out.CreateTicket.OnsetAt != want {
				t.Errorf("onsetAt %s came back as %s, want %s", in, out.CreateTicket.OnsetAt, want)
			}
		}
	})
}
