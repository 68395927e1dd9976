package auth

import (
	"context"
	"errors"

	lru "github.com/hashicorp/golang-lru/v2"

	"helpdesk/ent"
	"helpdesk/internal/viewer"
)

// DefaultKnownTokens is how many tokens' owners a Known remembers: far
// more than the tokens active against one process, at about 200 bytes each.
const DefaultKnownTokens = 100_000

// Known authenticates tokens it has seen before with one statement instead
// of two. What it remembers is only whom a token was issued to — which
// never changes — never that the token is valid: each request still reads
// the token's row and its owner's (Recheck), so a revoked token, a
// deactivated owner or a changed role or organization applies on the very
// next request, in every process. An unknown token is looked up by its
// digest and its owner read (Authenticate), and remembered once it proves
// valid. The least recently used tokens are forgotten first.
type Known struct {
	owners *lru.Cache[string, viewer.Viewer]
}

// NewKnown remembers up to size tokens.
func NewKnown(size int) *Known {
	c, _ := lru.New[string, viewer.Viewer](max(1, size))
	return &Known{owners: c}
}

// Authenticate is the package's Authenticate, one statement cheaper for a
// token seen before. A nil Known authenticates every time from scratch.
func (k *Known) Authenticate(ctx context.Context, c *ent.Client, token string) (viewer.Viewer, error) {
	if k == nil || token == "" {
		return Authenticate(ctx, c, token)
	}
	d := Digest(token)
	if seen, ok := k.owners.Get(d); ok {
		v, err := Recheck(ctx, c, seen)
		if errors.Is(err, viewer.ErrUnauthenticated) {
			k.owners.Remove(d)
		}
		return v, err
	}
	v, err := Authenticate(ctx, c, token)
	if err == nil {
		k.owners.Add(d, v)
	}
	return v, err
}
