// Package viewer carries who is making a request through its context: an
// agent, a contact, a read-only partner integration, or the system itself
// (workflows, e-mail intake, start-up). The data model's privacy rules read
// it; nothing else decides what a caller may see or change.
package viewer

import (
	"context"
	"errors"
	"slices"
)

// Kind says what sort of caller a viewer is.
type Kind int

// The kinds of viewer.
const (
	// Anonymous is a request without a valid token: it sees nothing.
	Anonymous Kind = iota
	// Agent is support staff.
	Agent
	// Contact is a customer's authorized contact.
	Contact
	// Partner is a read-only integration bound to some organizations.
	Partner
	// System is the product itself (workflows, intake, bootstrap).
	System
)

// Agent roles, as stored on agents.
const (
	RoleAgent          = "AGENT"
	RoleSupervisor     = "SUPERVISOR"
	RoleAccountManager = "ACCOUNT_MANAGER"
	RoleAdmin          = "ADMIN"
)

// Contact roles, as stored on contacts.
const (
	RoleMaster = "MASTER"
	RoleUser   = "USER"
	// RoleContactAdmin is the ADMIN role of a contact (not to be confused
	// with an ADMIN agent).
	RoleContactAdmin = "ADMIN"
)

// Viewer is the caller of a request.
type Viewer struct {
	Kind Kind
	// ID is the agent's or contact's ID.
	ID int
	// Role is the agent's or contact's role.
	Role string
	// OrganizationID is a contact's organization.
	OrganizationID int
	// PartnerOrganizationIDs are the organizations a partner token may read.
	PartnerOrganizationIDs []int
	// TokenID is the token the request came with, if any.
	TokenID int
}

// IsAgent reports whether v is an agent, whatever its role.
func (v Viewer) IsAgent() bool { return v.Kind == Agent }

// IsAdminAgent reports whether v is an ADMIN agent.
func (v Viewer) IsAdminAgent() bool { return v.Kind == Agent && v.Role == RoleAdmin }

// IsContact reports whether v is a contact.
func (v Viewer) IsContact() bool { return v.Kind == Contact }

// SeesWholeOrganization reports whether a contact sees every ticket of its
// organization (MASTER and ADMIN) rather than only its own (USER).
func (v Viewer) SeesWholeOrganization() bool {
	return v.Kind == Contact && (v.Role == RoleMaster || v.Role == RoleContactAdmin)
}

// OrganizationIDs are the organizations a contact or partner is bound to.
func (v Viewer) OrganizationIDs() []int {
	switch v.Kind {
	case Contact:
		return []int{v.OrganizationID}
	case Partner:
		return v.PartnerOrganizationIDs
	}
	return nil
}

// InOrganization reports whether a contact or partner is bound to org.
func (v Viewer) InOrganization(org int) bool { return slices.Contains(v.OrganizationIDs(), org) }

type ctxKey struct{}

// NewContext returns a context carrying v.
func NewContext(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer of ctx (Anonymous if none).
func FromContext(ctx context.Context) Viewer {
	v, _ := ctx.Value(ctxKey{}).(Viewer)
	return v
}

// SystemContext returns a context acting as the product itself.
func SystemContext(ctx context.Context) context.Context {
	return NewContext(ctx, Viewer{Kind: System})
}

// Sentinel errors of access control; the GraphQL layer maps them to
// extensions.code UNAUTHENTICATED and FORBIDDEN.
var (
	// ErrUnauthenticated: no token, an unknown one, or a deactivated owner.
	ErrUnauthenticated = errors.New("viewer: a valid bearer token is required (Authorization: Bearer <token>)")
	// ErrForbidden: the caller is known but may not do this.
	ErrForbidden = errors.New("viewer: not allowed")
)
