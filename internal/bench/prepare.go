package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// seedTickets is how many tickets preparation opens, so that the first
	// measured ticketsPage (first: 50) already reads a full page and
	// ticketByNumber has numbers to pick from.
	seedTickets = 50
	// assignEvery: every assignEvery-th seeded ticket is assigned to the
	// bench agent, so the assignee edge resolves to an agent for some nodes.
	assignEvery = 3
	// prepareWorkers bounds the concurrent requests of preparation; enough
	// to make it quick, few enough not to look like a load test itself.
	prepareWorkers = 8
	// prepareTimeout is the timeout of each preparation request; creating a
	// ticket starts its workflow, which may be slow on a cold server.
	prepareTimeout = 30 * time.Second
)

// fixture is what preparation created: the tokens the measured clients use
// and the ticket numbers they read.
type fixture struct {
	runID         string
	orgID         string
	serviceID     string
	requester     string   // the MASTER contact's e-mail address, lower case
	contactTokens []string // one per client
	numbers       *numberPool
}

// numberPool holds the ticket numbers created in this run.
type numberPool struct {
	mu      sync.RWMutex
	numbers []string
}

func (p *numberPool) add(n string) {
	p.mu.Lock()
	p.numbers = append(p.numbers, n)
	p.mu.Unlock()
}

// random returns a number chosen uniformly, or "" when the pool is empty.
func (p *numberPool) random() string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if len(p.numbers) == 0 {
		return ""
	}
	return p.numbers[rand.IntN(len(p.numbers))]
}

// preparer creates a run's organization, people, tokens and tickets
// through the API with the admin token.
type preparer struct {
	c       *gqlClient
	token   string // the admin token
	clients int    // how many contact tokens to issue
	logf    func(format string, args ...any)
	runID   string
	agent   string // agent id (mix only)
	atoken  string // agent token (mix only)
}

// newPreparer starts the preparation of one run.
func newPreparer(c *gqlClient, token string, clients int, logf func(string, ...any)) *preparer {
	return &preparer{c: c, token: token, clients: clients, logf: logf, runID: newRunID(time.Now())}
}

// prepare builds the fixture of one mix run. Any failure is fatal to the
// run.
func prepare(ctx context.Context, c *gqlClient, cfg Config, logf func(string, ...any)) (*fixture, error) {
	p := newPreparer(c, cfg.Token, cfg.Clients, logf)
	started := time.Now()
	f, err := p.tenant(ctx, "")
	if err != nil {
		return nil, err
	}

	var agent struct {
		CreateAgent *struct{ ID string } `json:"createAgent"`
	}
	if err := p.call(ctx, "createAgent", p.token, createAgentOp, map[string]any{
		"input": map[string]any{
			"name":  "Bench Agent " + p.runID,
			"email": "bench-agent-" + p.runID + "@example.com",
			"role":  "AGENT",
		},
	}, &agent, true); err != nil {
		return nil, err
	}
	if agent.CreateAgent == nil || agent.CreateAgent.ID == "" {
		return nil, p.fail("createAgent", errNoData, false)
	}
	p.agent = agent.CreateAgent.ID
	tok, err := p.issueToken(ctx, "issueToken (agent token)", map[string]any{"agentID": p.agent})
	if err != nil {
		return nil, err
	}
	p.atoken = tok

	// Seed tickets as the contact, spread over the contact tokens, then
	// assign some of them to the agent, as the agent.
	seeded := make([]struct{ id, number string }, seedTickets)
	if err := parallel(ctx, seedTickets, min(prepareWorkers, cfg.Clients), func(ctx context.Context, i int) error {
		var out createTicketData
		step := fmt.Sprintf("createTicket (seed ticket %d/%d)", i+1, seedTickets)
		vars := ticketInput(p.runID, "seed", i, f.serviceID)
		if err := p.call(ctx, step, f.contactTokens[i%len(f.contactTokens)], createTicketOp, vars, &out, false); err != nil {
			return err
		}
		if out.CreateTicket == nil || out.CreateTicket.Number == "" {
			return p.fail(step, errNoData, false)
		}
		seeded[i].id, seeded[i].number = out.CreateTicket.ID, out.CreateTicket.Number
		return nil
	}); err != nil {
		return nil, err
	}
	for _, t := range seeded {
		f.numbers.add(t.number)
	}
	assigned := (seedTickets + assignEvery - 1) / assignEvery
	if err := parallel(ctx, assigned, prepareWorkers, func(ctx context.Context, i int) error {
		t := seeded[i*assignEvery]
		step := fmt.Sprintf("assignTicket (ticket %s)", t.number)
		var out struct {
			AssignTicket *struct {
				ID       string
				Assignee *struct{ ID string }
			} `json:"assignTicket"`
		}
		if err := p.call(ctx, step, p.atoken, assignTicketOp, map[string]any{"id": t.id, "agentID": p.agent}, &out, false); err != nil {
			return err
		}
		if out.AssignTicket == nil || out.AssignTicket.Assignee == nil || out.AssignTicket.Assignee.ID != p.agent {
			return p.fail(step, errors.New("the response does not show the bench agent as assignee"), false)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	logf("bench: prepare: agent and agent token; %d tickets seeded, %d assigned to the agent (%.1fs)", seedTickets, assigned, time.Since(started).Seconds())
	return f, nil
}

// tenant creates the run's organization (under the SLA policy policyID,
// unless it is empty: then the installation's default applies), its
// service, a MASTER contact and one contact token per client.
func (p *preparer) tenant(ctx context.Context, policyID string) (*fixture, error) {
	f := &fixture{runID: p.runID, numbers: &numberPool{}}

	var org struct {
		CreateOrganization *struct{ ID, Name string } `json:"createOrganization"`
	}
	orgName := "bench " + p.runID
	in := map[string]any{"name": orgName, "region": "EU", "timezone": "Europe/Berlin"}
	if policyID != "" {
		in["slaPolicyID"] = policyID
	}
	if err := p.call(ctx, "createOrganization", p.token, createOrganizationOp, map[string]any{"input": in}, &org, true); err != nil {
		return nil, err
	}
	if org.CreateOrganization == nil || org.CreateOrganization.ID == "" {
		return nil, p.fail("createOrganization", errNoData, false)
	}
	f.orgID = org.CreateOrganization.ID
	p.logf("bench: prepare: organization %q (%s)", orgName, f.orgID)

	var svc struct {
		CreateService *struct{ ID string } `json:"createService"`
	}
	if err := p.call(ctx, "createService", p.token, createServiceOp, map[string]any{
		"input": map[string]any{
			"organizationID": f.orgID,
			"sofNumber":      "SOF-" + p.runID,
			"serviceID":      "SVC-" + p.runID,
			"name":           "Bench service " + p.runID,
		},
	}, &svc, true); err != nil {
		return nil, err
	}
	if svc.CreateService == nil || svc.CreateService.ID == "" {
		return nil, p.fail("createService", errNoData, false)
	}
	f.serviceID = svc.CreateService.ID

	var contact struct {
		CreateContact *struct{ ID string } `json:"createContact"`
	}
	f.requester = "bench-master-" + p.runID + "@example.com"
	if err := p.call(ctx, "createContact", p.token, createContactOp, map[string]any{
		"input": map[string]any{
			"organizationID": f.orgID,
			"name":           "Bench Master " + p.runID,
			"email":          f.requester,
			"role":           "MASTER",
		},
	}, &contact, true); err != nil {
		return nil, err
	}
	if contact.CreateContact == nil || contact.CreateContact.ID == "" {
		return nil, p.fail("createContact", errNoData, false)
	}
	contactID := contact.CreateContact.ID

	// One contact token per client: the server rate-limits per token.
	f.contactTokens = make([]string, p.clients)
	if err := parallel(ctx, p.clients, prepareWorkers, func(ctx context.Context, i int) error {
		tok, err := p.issueToken(ctx, fmt.Sprintf("issueToken (contact token %d/%d)", i+1, p.clients), map[string]any{"contactID": contactID})
		f.contactTokens[i] = tok
		return err
	}); err != nil {
		return nil, err
	}
	p.logf("bench: prepare: service, MASTER contact and %d contact tokens", p.clients)
	return f, nil
}

// issueToken issues one token for the owner given in input.
func (p *preparer) issueToken(ctx context.Context, step string, input map[string]any) (string, error) {
	var out struct {
		IssueToken *struct{ Token string } `json:"issueToken"`
	}
	if err := p.call(ctx, step, p.token, issueTokenOp, map[string]any{"input": input}, &out, true); err != nil {
		return "", err
	}
	if out.IssueToken == nil || out.IssueToken.Token == "" {
		return "", p.fail(step, errNoData, false)
	}
	return out.IssueToken.Token, nil
}

// call sends one preparation request. admin says the request used the
// -token value, which decides the hint of an authentication failure.
func (p *preparer) call(ctx context.Context, step, token, query string, vars map[string]any, out any, admin bool) error {
	rctx, cancel := context.WithTimeout(ctx, prepareTimeout)
	defer cancel()
	if _, err := p.c.do(rctx, token, query, vars, out); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("bench: prepare: %s: %w", step, ctx.Err())
		}
		return p.fail(step, err, admin)
	}
	return nil
}

// fail words a preparation error, with a hint at its likely cause.
func (p *preparer) fail(step string, err error, admin bool) error {
	hint := ""
	var re *requestError
	if errors.As(err, &re) {
		switch {
		case re.transport != nil:
			hint = "; is the server running at " + p.c.endpoint + "?"
		case re.rateLimited():
			hint = "; restart the server with HELPDESK_RATE_LIMIT=0"
		case admin && (re.code == "UNAUTHENTICATED" || re.code == "FORBIDDEN"):
			hint = "; is -token an ADMIN agent's token?"
		}
	}
	return fmt.Errorf("bench: prepare: %s: %w%s", step, err, hint)
}

// parallel calls fn for 0..n-1 on at most workers goroutines and returns
// the first error, after which no further index is started.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next  atomic.Int64
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if err := parent.Err(); err != nil {
		return fmt.Errorf("bench: prepare: %w", err)
	}
	return nil
}

// newRunID names one run: its start time and a random suffix, so that
// concurrent or repeated runs against one server never collide on the
// unique names (organization, e-mail addresses, SOF number).
func newRunID(now time.Time) string {
	return strings.ToLower(now.UTC().Format("20060102t150405")) + fmt.Sprintf("-%04x", rand.IntN(1<<16))
}

// Values the created tickets cycle through. 4, 5 and 3 are pairwise
// coprime, so every combination appears within 60 consecutive tickets.
var (
	priorities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW"}
	categories = []string{"INCIDENT", "SERVICE_REQUEST", "CHANGE_REQUEST", "INFORMATION", "ADMINISTRATIVE"}
	channels   = []string{"PORTAL", "API", "CHAT"}
)

// createTicketData is the data of a createTicket response.
type createTicketData struct {
	CreateTicket *struct {
		ID     string `json:"id"`
		Number string `json:"number"`
	} `json:"createTicket"`
}

// ticketInput returns the variables of the seq-th createTicket of one
// client (who is "seed" for preparation, "c<i>" for a measured client):
// a unique subject, and priority, category and channel varied.
func ticketInput(runID, who string, seq int, serviceID string) map[string]any {
	category := categories[seq%len(categories)]
	in := map[string]any{
		"subject":     fmt.Sprintf("bench %s %s #%d", runID, who, seq),
		"description": "Opened by helpdesk-bench run " + runID + " to measure the API.",
		"priority":    priorities[seq%len(priorities)],
		"category":    category,
		"channel":     channels[seq%len(channels)],
		"serviceID":   serviceID,
	}
	if category == "INCIDENT" {
		in["eventType"] = "synthetic load"
		in["currentStatus"] = "degraded"
		in["onsetAt"] = time.Now().UTC().Format(time.RFC3339Nano)
		in["logs"] = "none: generated by helpdesk-bench"
	}
	return map[string]any{"input": in}
}
