package graph_test

// Input edges and consistent errors over real HTTP and WebSocket: every
// field that needs a viewer says UNAUTHENTICATED without a token; a NUL
// character is refused in any string; Time stays within the years 1–9999
// both ways; and NOT_FOUND reads the same on every path.

import (
	"maps"
	"slices"
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

// TestEveryQueryFieldAsksForATokenAndIntrospectionStaysOpen asks every
// field of Query (listed by introspection, so a new field without a case
// fails here) without a token, with arguments that would otherwise answer
// null, an empty list or NOT_FOUND: each answers UNAUTHENTICATED and no
// data. Mutations too answer UNAUTHENTICATED before looking at their
// input. Introspection answers without a token.
func TestEveryQueryFieldAsksForATokenAndIntrospectionStaysOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apitest.Options{})
	tn := e.Tenant(t, "anon")
	tk := e.CreateTicket(t, tn.User.Token, nil)
	pol := policyID(t, e)

	queries := map[string][]string{
		"node":             {`{ node(id: "1") { id } }`, `{ node(id: "` + nothingLike(t, tk.ID) + `") { id } }`, `{ node(id: "` + tk.ID + `") { id } }`},
		"nodes":            {`{ nodes(ids: []) { id } }`, `{ nodes(ids: ["1"]) { id } }`, `{ nodes(ids: ["` + tk.ID + `"]) { id } }`},
		"viewer":           {`{ viewer { agent { id } contact { id } } }`},
		"agents":           {`{ agents(first: 0) { totalCount } }`},
		"contacts":         {`{ contacts(first: 0) { totalCount } }`},
		"organizations":    {`{ organizations(first: 0) { totalCount } }`},
		"tickets":          {`{ tickets(first: 0) { totalCount } }`, `{ tickets(where: {idIn: []}) { edges { node { id } } } }`},
		"ticketByNumber":   {`{ ticketByNumber(number: "HD-0") { id } }`, `{ ticketByNumber(number: "not a number") { id } }`, `{ ticketByNumber(number: "` + tk.Number + `") { id } }`},
		"slaPolicies":      {`{ slaPolicies { id } }`},
		"slaPreview":       {`{ slaPreview(policyID: "` + pol + `", priority: LOW, at: "2026-11-26T09:30:00Z") { resolutionDueAt } }`, `{ slaPreview(policyID: "1", priority: LOW, at: "2026-11-26T09:30:00Z") { resolutionDueAt } }`},
		"escalationTables": {`{ escalationTables { id } }`},
	}
	var schema struct {
		Type struct{ Fields []struct{ Name string } } `json:"__type"`
	}
	e.Do(t, "", `{ __type(name: "Query") { fields { name } } }`, nil, &schema)
	var fields []string
	for _, f := range schema.Type.Fields {
		fields = append(fields, f.Name)
		if _, ok := queries[f.Name]; !ok {
			t.Errorf("Query.%s has no case here: add how it is asked without a token", f.Name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(queries)) {
		if !slices.Contains(fields, name) {
			t.Errorf("the case %s names no field of Query", name)
		}
		for _, q := range queries[name] {
			res := e.Fail(t, unauthenticated, "", q, nil)
			if apitest.HasData(res.Data) {
				t.Errorf("%s without a token answered data %s", q, res.Data)
			}
			for _, er := range res.Errors {
				if strings.Contains(er.Message, "viewer:") || !strings.Contains(er.Message, "Bearer") {
					t.Errorf("%s: message %q; want what to send, without package names", q, er.Message)
				}
			}
		}
	}
	t.Run("mutations answer UNAUTHENTICATED before looking at their input", func(t *testing.T) {
		for _, q := range []string{
			`mutation { acceptTicket(id: "1") { id } }`,
			`mutation { createSLAPolicy(input: {name: "", timezone: "Mars/Olympus", targets: []}) { id } }`,
			`mutation { issueToken(input: {}) { token } }`,
			`mutation { createTicket(input: {subject: "", description: "", priority: LOW, category: INCIDENT, onsetAt: "yesterday"}) { id } }`,
		} {
			e.Fail(t, unauthenticated, "", q, nil)
		}
	})
	t.Run("introspection answers without a token", func(t *testing.T) {
		var out struct {
			Typename string                                    `json:"__typename"`
			Schema   struct{ QueryType struct{ Name string } } `json:"__schema"`
			Type     struct{ Name string }                     `json:"__type"`
		}
		e.Do(t, "", `{ __typename __schema { queryType { name } } __type(name: "Ticket") { name } }`, nil, &out)
		if out.Typename != "Query" || out.Schema.QueryType.Name != "Query" || out.Type.Name != "Ticket" {
			t.Fatalf("introspection answered %+v", out)
		}
	})
}

// TestNULInAnyStringIsRefusedNamingWhere: a NUL character (U+0000) in any
// string input, in variables or inline, over HTTP or WebSocket, is
// BAD_USER_INPUT naming where it is, and changes nothing; a *Contains
// filter no longer matches every ticket.
func TestNULInAnyStringIsRefusedNamingWhere(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apitest.Options{})
	tn := e.Tenant(t, "nul")
	tk := e.CreateTicket(t, tn.User.Token, nil)
	base := world(t, e)

	filter := `query($q: String) { tickets(where: {subjectContains: $q}) { totalCount } }`
	createTicket := `mutation($in: CreateTicketInput!) { createTicket(input: $in) { id } }`
	cases := []struct {
		name, query string
		vars        map[string]any
		where       string
	}{
		{"a *Contains filter in a variable", filter, map[string]any{"q": "\x00"}, "$q"},
		{"a *Contains filter inline", `{ tickets(where: {subjectContains: "\u0000"}) { totalCount } }`, nil, "where.subjectContains of tickets"},
		{"inside a longer string, nested in or", `{ tickets(where: {or: [{subjectContains: "a"}, {descriptionContains: "broken\u0000"}]}) { totalCount } }`, nil,
			"where.or[1].descriptionContains of tickets"},
		{"in a fragment's argument", `{ ...Q } fragment Q on Query { tickets(where: {subjectContainsFold: "\u0000"}) { totalCount } }`, nil,
			"where.subjectContainsFold of tickets"},
		{"in a mutation's input", createTicket, map[string]any{"in": map[string]any{"subject": "Down\x00", "description": "d", "priority": "LOW", "category": "INCIDENT"}},
			"$in.subject"},
		{"in a list of a mutation's input", `mutation($l: [EscalationLevelInput!]!) { setEscalationTable(region: "EU", levels: $l) { id } }`,
			map[string]any{"l": []any{map[string]any{"name": "L1", "emails": []any{"a@example.com", "b\x00@example.com"}, "waitSeconds": 60}}}, "$l[0].emails[1]"},
		{"in an ID", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": tk.ID + "\x00"}, "$id"},
		{"in a lookup", `query($n: String!) { ticketByNumber(number: $n) { id } }`, map[string]any{"n": tk.Number + "\x00"}, "$n"},
	}
	for _, c := range cases {
		t.Run(c.name+" over HTTP", func(t *testing.T) {
			res := e.Post(t, apitest.AdminToken, c.query, c.vars)
			checkRefused(t, res, badInput)
			if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "invalid "+c.where+":") || !strings.Contains(res.Errors[0].Message, "U+0000") {
				t.Errorf("errors %v, want one naming %s and U+0000", res.Errors, c.where)
			}
			if apitest.HasData(res.Data) {
				t.Errorf("answered data %s", res.Data)
			}
		})
	}
	t.Run("over WebSocket", func(t *testing.T) {
		c := e.Socket(t, tn.Master.Token)
		for i, tc := range cases[:2] {
			id := string(rune('a' + i))
			c.Subscribe(t, id, tc.query, tc.vars)
			errs := c.Answer(t, id)
			if len(errs) != 1 || errs[0].Code() != badInput || !strings.Contains(errs[0].Message, "invalid "+tc.where+":") {
				t.Errorf("%s: errors %v, want BAD_USER_INPUT naming %s", tc.name, errs, tc.where)
			}
		}
	})
	if after := world(t, e); after != base {
		t.Errorf("a refused request changed something: %s", firstDiff(base, after))
	}
	var out struct {
		Tickets struct{ TotalCount int } `json:"tickets"`
	}
	e.Do(t, tn.Master.Token, filter, map[string]any{"q": "no ticket says this"}, &out)
	if out.Tickets.TotalCount != 0 {
		t.Errorf("a filter that matches nothing counted %d tickets", out.Tickets.TotalCount)
	}
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

// TestNotFoundSaysOneThingOnEveryPath: an unknown object, or one the
// caller may not see, gets the same NOT_FOUND message whether it is
// looked up by node, nodes, a mutation, slaPreview or a subscription.
func TestNotFoundSaysOneThingOnEveryPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apitest.Options{})
	a := e.Tenant(t, "nf-a")
	b := e.Tenant(t, "nf-b")
	tkB := e.CreateTicket(t, b.User.Token, nil)
	noTicket := nothingLike(t, tkB.ID)
	pol := policyID(t, e)

	messages := map[string]string{}
	collect := func(name string, errs []apitest.Error) {
		t.Helper()
		if len(errs) == 0 {
			t.Errorf("%s: no error, want NOT_FOUND", name)
			return
		}
		for _, er := range errs {
			if er.Code() != notFound {
				t.Errorf("%s: %s %q, want NOT_FOUND", name, er.Code(), er.Message)
				continue
			}
			messages[name] = er.Message
		}
	}
	for _, c := range []struct {
		name, token, query string
	}{
		{"node of an unknown ticket", apitest.AdminToken, `{ node(id: "` + noTicket + `") { id } }`},
		{"node of an ID of no type", apitest.AdminToken, `{ node(id: "1") { id } }`},
		{"node of another organization's ticket", a.Master.Token, `{ node(id: "` + tkB.ID + `") { id } }`},
		{"nodes of unknown IDs", apitest.AdminToken, `{ nodes(ids: ["` + noTicket + `", "1"]) { id } }`},
		{"a mutation of an unknown ticket", apitest.AdminToken, `mutation { acceptTicket(id: "` + noTicket + `") { id } }`},
		{"a mutation of another organization's contact", a.Master.Token, `mutation { updateContact(id: "` + b.User.ID + `", input: {name: "x"}) { id } }`},
		{"a mutation of an unknown contact", apitest.AdminToken, `mutation { updateContact(id: "` + nothingLike(t, a.User.ID) + `", input: {name: "x"}) { id } }`},
		{"slaPreview of an unknown policy", apitest.AdminToken, `{ slaPreview(policyID: "` + nothingLike(t, pol) + `", priority: LOW, at: "2026-11-26T09:30:00Z") { resolutionDueAt } }`},
	} {
		collect(c.name, e.Post(t, c.token, c.query, nil).Errors)
	}
	ws := e.Socket(t, a.Master.Token)
	ws.Subscribe(t, "s", `subscription($id: ID) { ticketEvents(ticketID: $id) { id } }`, map[string]any{"id": tkB.ID})
	collect("a subscription to another organization's ticket", ws.Answer(t, "s"))

	texts := map[string][]string{}
	for name, msg := range messages {
		texts[msg] = append(texts[msg], name)
	}
	if len(texts) != 1 {
		t.Fatalf("NOT_FOUND reads %d ways, want one: %v", len(texts), texts)
	}
}
