package auth

import (
	"context"
	"slices"
	"sync/atomic"

	"helpdesk/ent"
	"helpdesk/internal/viewer"
)

// Live is the viewer of a long-lived operation (a subscription), kept
// current while it runs: each poll of the subscription re-reads the
// token's owner (Refresh) and stores it here, and whatever the operation
// resolves afterwards (the fields of each event it pushes) reads it back,
// so a role taken away half-way through applies to the rest of the stream.
type Live struct{ v atomic.Pointer[viewer.Viewer] }

type liveKey struct{}

// NewLiveContext returns a context carrying v as its viewer and as the
// current value of a new Live.
func NewLiveContext(ctx context.Context, v viewer.Viewer) context.Context {
	l := &Live{}
	l.v.Store(&v)
	return context.WithValue(viewer.NewContext(ctx, v), liveKey{}, l)
}

// LiveFromContext returns the Live of ctx, or nil outside a long-lived
// operation.
func LiveFromContext(ctx context.Context) *Live {
	l, _ := ctx.Value(liveKey{}).(*Live)
	return l
}

// Viewer is the current viewer.
func (l *Live) Viewer() viewer.Viewer { return *l.v.Load() }

// Refresh rechecks the viewer of ctx (see Recheck) and returns a context
// acting as the fresh viewer; it also updates the Live of ctx, if any. On
// viewer.ErrUnauthenticated the operation must end.
func Refresh(ctx context.Context, c *ent.Client) (context.Context, viewer.Viewer, error) {
	old := viewer.FromContext(ctx)
	if l := LiveFromContext(ctx); l != nil {
		old = l.Viewer()
	}
	v, err := Recheck(ctx, c, old)
	if err != nil {
		return ctx, old, err
	}
	if l := LiveFromContext(ctx); l != nil {
		l.v.Store(&v)
	}
	return viewer.NewContext(ctx, v), v, nil
}

// Same reports whether a and b are the same caller with the same rights
// (kind, identity, role, organizations and token).
func Same(a, b viewer.Viewer) bool {
	return a.Kind == b.Kind && a.ID == b.ID && a.Role == b.Role && a.OrganizationID == b.OrganizationID &&
		a.TokenID == b.TokenID && slices.Equal(a.PartnerOrganizationIDs, b.PartnerOrganizationIDs)
}
