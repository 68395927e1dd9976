package server_test

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"helpdesk/internal/apitest"
)

// scrape reads /metrics into series → value ("name{a="x",b="y"}" as the
// text format writes it, labels in name order).
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestGraphQLOperationsAreCountedByRootFieldAndOutcome: every operation
// counts once under the root field it selects, with ok or its error's
// extensions.code; queries and mutations are timed; names a client made
// up (an unknown field, an operationName) never become labels.
func TestGraphQLOperationsAreCountedByRootFieldAndOutcome(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "metrics")
	tk := e.CreateTicket(t, tn.User.Token, nil)
	e.Do(t, tn.User.Token, `query MadeUpNameOne { ticketByNumber(number: "`+tk.Number+`") { id } }`, nil, nil)
	e.Do(t, tn.User.Token, `query MadeUpNameTwo { a: ticketByNumber(number: "`+tk.Number+`") { id } b: ticketByNumber(number: "HD-1") { id } }`, nil, nil)
	e.Do(t, tn.User.Token, `{ viewer { contact { id } } tickets(first: 1) { totalCount } }`, nil, nil)
	e.Fail(t, "FORBIDDEN", tn.User.Token, `mutation { acceptTicket(id: "`+tk.ID+`") { id } }`, nil)
	e.Fail(t, "BAD_USER_INPUT", tn.User.Token, `{ inventedFieldXYZ }`, nil)
	e.Fail(t, "BAD_USER_INPUT", tn.User.Token, `{ tickets(first: 1) { edges { node { id } } `, nil)
	e.Fail(t, "NOT_FOUND", tn.User.Token, `{ node(id: "999999999") { id } }`, nil)

	m := scrape(t, e.URL)
	for series, want := range map[string]float64{
		// The tenant's set-up made several; the ticket above is the one.
		`helpdesk_graphql_requests_total{operation="createTicket",outcome="ok"}`:                 1,
		`helpdesk_graphql_requests_total{operation="ticketByNumber",outcome="ok"}`:               2,
		`helpdesk_graphql_requests_total{operation="(several)",outcome="ok"}`:                    1,
		`helpdesk_graphql_requests_total{operation="acceptTicket",outcome="FORBIDDEN"}`:          1,
		`helpdesk_graphql_requests_total{operation="(invalid)",outcome="BAD_USER_INPUT"}`:        2,
		`helpdesk_graphql_requests_total{operation="node",outcome="NOT_FOUND"}`:                  1,
		`helpdesk_graphql_request_duration_seconds_count{operation="ticketByNumber"}`:            2,
		`helpdesk_graphql_request_duration_seconds_count{operation="createTicket"}`:              1,
		`helpdesk_graphql_request_duration_seconds_bucket{operation="createTicket",le="+Inf"}`:   1,
		`helpdesk_graphql_requests_total{operation="createContact",outcome="ok"}`:                4,
		`helpdesk_graphql_request_duration_seconds_count{operation="acceptTicket"}`:              1,
		`helpdesk_graphql_requests_total{operation="createOrganization",outcome="ok"}`:           1,
		`helpdesk_graphql_request_duration_seconds_count{operation="(several)"}`:                 1,
		`helpdesk_graphql_requests_total{operation="issueToken",outcome="ok"}`:                   4,
		`helpdesk_graphql_request_duration_seconds_count{operation="node"}`:                      1,
		`helpdesk_graphql_request_duration_seconds_count{operation="createOrganization"}`:        1,
		`helpdesk_graphql_request_duration_seconds_count{operation="issueToken"}`:                4,
		`helpdesk_graphql_request_duration_seconds_count{operation="createContact"}`:             4,
		`helpdesk_graphql_request_duration_seconds_count{operation="createService"}`:             1,
		`helpdesk_graphql_requests_total{operation="createService",outcome="ok"}`:                1,
		`helpdesk_graphql_request_duration_seconds_bucket{operation="ticketByNumber",le="+Inf"}`: 2,
	} {
		if got := m[series]; got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	for series := range m {
		for _, madeUp := range []string{"MadeUpName", "inventedFieldXYZ"} {
			if strings.Contains(series, madeUp) {
				t.Errorf("a name the client chose became a label: %s", series)
			}
		}
	}
}
