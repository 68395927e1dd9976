package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxResponseBytes bounds how much of a response body is read: a page of 50
// tickets is a few tens of KiB, so anything near this is a server fault, and
// the bound keeps a misbehaving server from exhausting the bench's memory.
const maxResponseBytes = 16 << 20

// The GraphQL operations the bench sends, written against
// /work/shared/contract.graphql. Preparation first, then the three measured
// operations.
const (
	createOrganizationOp = `mutation BenchCreateOrganization($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { id name }
}`
	createServiceOp = `mutation BenchCreateService($input: CreateServiceInput!) {
  createService(input: $input) { id }
}`
	createContactOp = `mutation BenchCreateContact($input: CreateContactInput!) {
  createContact(input: $input) { id }
}`
	createAgentOp = `mutation BenchCreateAgent($input: CreateAgentInput!) {
  createAgent(input: $input) { id }
}`
	issueTokenOp = `mutation BenchIssueToken($input: IssueTokenInput!) {
  issueToken(input: $input) { token }
}`
	assignTicketOp = `mutation BenchAssignTicket($id: ID!, $agentID: ID!) {
  assignTicket(id: $id, agentID: $agentID) { id assignee { id } }
}`

	createTicketOp = `mutation BenchCreateTicket($input: CreateTicketInput!) {
  createTicket(input: $input) { id number status priority createdAt }
}`
	ticketByNumberOp = `query BenchTicketByNumber($number: String!) {
  ticketByNumber(number: $number) { id number status priority createdAt }
}`
	ticketsPageOp = `query BenchTicketsPage {
  tickets(first: 50, orderBy: {field: CREATED_AT, direction: DESC}) {
    edges {
      node {
        id number status priority createdAt
        organization { id name }
        requester { id name }
        assignee { id name }
      }
    }
  }
}`

	// The breach scenario's: its policy, its tickets (with the instants
	// the wait is computed from) and the read of their events.
	createSLAPolicyOp = `mutation BenchCreateSLAPolicy($input: CreateSLAPolicyInput!) {
  createSLAPolicy(input: $input) { id alwaysOpen }
}`
	breachCreateTicketOp = `mutation BenchBreachCreateTicket($input: CreateTicketInput!) {
  createTicket(input: $input) { id number createdAt firstResponseDueAt }
}`
	// breachReadOp costs 1 + len(ids) × 34 (server/complexity.go: the
	// events list is counted as 10 events of 3 fields): readBatch keeps it
	// well under the complexity limit.
	breachReadOp = `query BenchBreachRead($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Ticket { id firstResponseDueAt events { kind data createdAt } }
  }
}`
)

// gqlClient posts GraphQL operations to one endpoint.
type gqlClient struct {
	http     *http.Client
	endpoint string
}

// requestError is a failed GraphQL request: a transport error, a non-2xx
// status, or a response whose errors list is not empty.
type requestError struct {
	status    int    // HTTP status; 0 when the request never got a response
	code      string // extensions.code of the first GraphQL error
	message   string // message of the first GraphQL error, or a body excerpt
	more      int    // how many further GraphQL errors the response carried
	transport error  // set when there was no usable response
}

func (e *requestError) Error() string {
	if e.transport != nil {
		return e.transport.Error()
	}
	var b strings.Builder
	if e.code != "" {
		b.WriteString(e.code)
		b.WriteString(": ")
	}
	b.WriteString(e.message)
	if e.more > 0 {
		fmt.Fprintf(&b, " (+%d more)", e.more)
	}
	if e.status < 200 || e.status > 299 {
		fmt.Fprintf(&b, " (HTTP %d)", e.status)
	}
	return b.String()
}

func (e *requestError) Unwrap() error { return e.transport }

// rateLimited reports whether the server refused the request for its rate.
func (e *requestError) rateLimited() bool {
	return e.code == "RATE_LIMITED" || e.status == http.StatusTooManyRequests
}

// errNoData is a response without errors whose data lacks the field the
// operation asked for.
var errNoData = errors.New("response has no data")

// gqlError is one entry of a response's errors list.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// gqlResponse is the GraphQL response envelope.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// do sends one operation with token and decodes its data into out. It
// returns the latency up to the last byte of the response body, which
// excludes the client-side decoding. Any error is a *requestError, or wraps
// errNoData when the response carries no data at all.
func (c *gqlClient) do(ctx context.Context, token, query string, vars map[string]any, out any) (time.Duration, error) {
	body, err := json.Marshal(struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables,omitempty"`
	}{query, vars})
	if err != nil {
		return 0, &requestError{transport: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, &requestError{transport: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, &requestError{transport: err}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	resp.Body.Close()
	latency := time.Since(start)
	if err != nil {
		return 0, &requestError{status: resp.StatusCode, transport: fmt.Errorf("reading response: %w", err)}
	}

	var env gqlResponse
	decodeErr := json.Unmarshal(raw, &env)
	switch {
	case len(env.Errors) > 0:
		first := env.Errors[0]
		return 0, &requestError{status: resp.StatusCode, code: first.Extensions.Code, message: first.Message, more: len(env.Errors) - 1}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return 0, &requestError{status: resp.StatusCode, message: http.StatusText(resp.StatusCode) + ": " + excerpt(raw)}
	case decodeErr != nil:
		return 0, &requestError{status: resp.StatusCode, message: "malformed response: " + decodeErr.Error()}
	case len(env.Data) == 0 || string(env.Data) == "null":
		return 0, errNoData
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return 0, &requestError{status: resp.StatusCode, message: "malformed data: " + err.Error()}
	}
	return latency, nil
}

// excerpt returns the start of a response body for an error message.
func excerpt(raw []byte) string {
	const n = 120
	s := strings.Join(strings.Fields(string(raw)), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

// endpointURL turns the -addr value into the GraphQL endpoint: the base URL
// with /graphql appended unless it already ends in /graphql.
func endpointURL(addr string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(addr))
	if err != nil {
		return "", fmt.Errorf("bench: address %q: %w", addr, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("bench: address %q: want an http:// or https:// URL", addr)
	}
	if u.Host == "" {
		return "", fmt.Errorf("bench: address %q: no host", addr)
	}
	if !strings.HasSuffix(u.Path, "/graphql") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/graphql"
	}
	return u.String(), nil
}
