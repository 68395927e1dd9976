package graph

import (
	"context"

	"helpdesk/ent"
	"helpdesk/ent/notification"
	"helpdesk/ent/organization"
	"helpdesk/graph/model"
	"helpdesk/internal/viewer"
)

// viewerOf describes the caller of ctx.
func viewerOf(ctx context.Context, c *ent.Client) (*model.Viewer, error) {
	v := viewer.FromContext(ctx)
	out := &model.Viewer{}
	var err error
	switch v.Kind {
	case viewer.Agent:
		out.Agent, err = c.Agent.Get(ctx, v.ID)
	case viewer.Contact:
		out.Contact, err = c.Contact.Get(ctx, v.ID)
	case viewer.Partner:
		out.PartnerOrganizations, err = c.Organization.Query().
			Where(organization.IDIn(v.PartnerOrganizationIDs...)).Order(organization.ByName()).All(ctx)
	default:
		return nil, viewer.ErrUnauthenticated
	}
	return out, err
}

// kindNames stores notification kinds as strings.
func kindNames(kinds []notification.Kind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return out
}
