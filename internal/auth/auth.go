// Package auth turns a bearer token into the viewer of a request. Tokens
// are 256 random bits shown once; only their SHA-256 digest is stored (a
// slow password hash would cap the API at a few dozen requests a second,
// and a 256-bit random secret needs no stretching).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"helpdesk/ent"
	"helpdesk/ent/agent"
	"helpdesk/ent/apitoken"
	"helpdesk/ent/contact"
	"helpdesk/ent/organization"
	"helpdesk/ent/predicate"
	"helpdesk/internal/viewer"
)

// tokenPrefix marks our tokens, so a leaked one is easy to recognise.
const tokenPrefix = "hd_"

// NewToken returns a fresh token and the digest to store.
func NewToken() (token, digest string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go ≥ 1.24)
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, Digest(token)
}

// Digest is the stored form of a token: hex SHA-256.
func Digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// BearerToken extracts the token of an "Authorization: Bearer <token>"
// header value ("" if there is none).
func BearerToken(header string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// Authenticate returns the viewer a token stands for, or
// viewer.ErrUnauthenticated for no token, an unknown or revoked one, or a
// deactivated owner.
func Authenticate(ctx context.Context, c *ent.Client, token string) (viewer.Viewer, error) {
	if token == "" {
		return viewer.Viewer{}, viewer.ErrUnauthenticated
	}
	sys := viewer.SystemContext(ctx)
	t, err := c.APIToken.Query().
		Where(apitoken.Digest(Digest(token)), apitoken.RevokedAtIsNil()).
		WithAgent().WithContact().
		Only(sys)
	if ent.IsNotFound(err) {
		return viewer.Viewer{}, viewer.ErrUnauthenticated
	} else if err != nil {
		return viewer.Viewer{}, fmt.Errorf("auth: looking up token: %w", err)
	}
	return viewerOf(sys, t)
}

// Recheck re-reads the owner of the token a long-lived connection (a
// WebSocket and its subscriptions) came with and returns the viewer as of
// now: the role and organization may have changed since the connection
// was opened. It answers viewer.ErrUnauthenticated when the token was
// revoked or its owner deactivated. The owner of a token never changes, so
// this is one indexed query (by primary key, with the token's row checked
// in a subquery), cheap enough to run per operation and per poll.
func Recheck(ctx context.Context, c *ent.Client, v viewer.Viewer) (viewer.Viewer, error) {
	sys := viewer.SystemContext(ctx)
	live := []predicate.APIToken{apitoken.ID(v.TokenID), apitoken.RevokedAtIsNil()}
	switch v.Kind {
	case viewer.System:
		return v, nil
	case viewer.Agent:
		a, err := c.Agent.Query().Where(agent.ID(v.ID), agent.Active(true), agent.HasTokensWith(live...)).Only(sys)
		if err != nil {
			return viewer.Viewer{}, recheckError(err)
		}
		return viewer.Viewer{Kind: viewer.Agent, ID: a.ID, Role: string(a.Role), TokenID: v.TokenID}, nil
	case viewer.Contact:
		ct, err := c.Contact.Query().Where(contact.ID(v.ID), contact.Active(true), contact.HasTokensWith(live...)).Only(sys)
		if err != nil {
			return viewer.Viewer{}, recheckError(err)
		}
		return viewer.Viewer{Kind: viewer.Contact, ID: ct.ID, Role: string(ct.Role), OrganizationID: ct.OrganizationID, TokenID: v.TokenID}, nil
	case viewer.Partner:
		orgs, err := c.Organization.Query().Where(organization.HasPartnerTokensWith(append(live, apitoken.Partner(true))...)).
			Order(organization.ByID()).IDs(sys)
		if err != nil {
			return viewer.Viewer{}, recheckError(err)
		}
		if len(orgs) == 0 { // revoked (a partner token is issued for at least one organization)
			return viewer.Viewer{}, viewer.ErrUnauthenticated
		}
		return viewer.Viewer{Kind: viewer.Partner, PartnerOrganizationIDs: orgs, TokenID: v.TokenID}, nil
	}
	return viewer.Viewer{}, viewer.ErrUnauthenticated
}

func recheckError(err error) error {
	if ent.IsNotFound(err) {
		return viewer.ErrUnauthenticated
	}
	return fmt.Errorf("auth: rechecking a token: %w", err)
}

// viewerOf is the viewer a token row stands for.
func viewerOf(sys context.Context, t *ent.APIToken) (viewer.Viewer, error) {
	switch {
	case t.Edges.Agent != nil:
		a := t.Edges.Agent
		if !a.Active {
			return viewer.Viewer{}, viewer.ErrUnauthenticated
		}
		return viewer.Viewer{Kind: viewer.Agent, ID: a.ID, Role: string(a.Role), TokenID: t.ID}, nil
	case t.Edges.Contact != nil:
		ct := t.Edges.Contact
		if !ct.Active {
			return viewer.Viewer{}, viewer.ErrUnauthenticated
		}
		return viewer.Viewer{Kind: viewer.Contact, ID: ct.ID, Role: string(ct.Role), OrganizationID: ct.OrganizationID, TokenID: t.ID}, nil
	case t.Partner:
		orgs, err := t.QueryPartnerOrganizations().Order(organization.ByID()).IDs(sys)
		if err != nil {
			return viewer.Viewer{}, fmt.Errorf("auth: looking up a partner's organizations: %w", err)
		}
		return viewer.Viewer{Kind: viewer.Partner, PartnerOrganizationIDs: orgs, TokenID: t.ID}, nil
	}
	return viewer.Viewer{}, viewer.ErrUnauthenticated
}

// BootstrapAdmin makes sure an active ADMIN agent holds token (from
// HELPDESK_ADMIN_TOKEN): it creates the agent and the token on first start
// and does nothing on later ones. Processes starting together (API and
// workers) may race; the loser finds the winner's rows.
func BootstrapAdmin(ctx context.Context, c *ent.Client, token string) error {
	err := bootstrapAdmin(ctx, c, token)
	if ent.IsConstraintError(err) {
		err = bootstrapAdmin(ctx, c, token)
	}
	return err
}

func bootstrapAdmin(ctx context.Context, c *ent.Client, token string) error {
	sys := viewer.SystemContext(ctx)
	digest := Digest(token)
	exists, err := c.APIToken.Query().Where(apitoken.Digest(digest)).Exist(sys)
	if err != nil || exists {
		return err
	}
	const email = "admin@localhost"
	a, err := c.Agent.Query().Where(agent.Email(email)).Only(sys)
	if ent.IsNotFound(err) {
		a, err = c.Agent.Create().SetName("Administrator").SetEmail(email).SetRole(agent.RoleADMIN).Save(sys)
	}
	if err != nil {
		return fmt.Errorf("auth: bootstrapping the admin agent: %w", err)
	}
	return c.APIToken.Create().SetDigest(digest).SetAgentID(a.ID).Exec(sys)
}
