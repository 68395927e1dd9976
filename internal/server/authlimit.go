package server

import (
	"context"
	"errors"
	"time"

	"golang.org/x/time/rate"

	"helpdesk/ent"
	"helpdesk/internal/auth"
	"helpdesk/internal/viewer"
)

// DefaultAuthFailureRate and DefaultAuthFailureBurst limit failed
// authentications — a bearer token that is unknown, revoked or whose owner
// is deactivated, on HTTP, on the WebSocket upgrade or in connection_init —
// per client address. Tokens are 256 random bits, so no rate makes
// guessing one feasible; the limit keeps a flood of bad tokens from costing
// a database lookup each. Honest clients fail rarely: a portal whose token
// expired retries a few times, an office behind one address has a handful
// of stale tabs. 10 failures a second with a burst of 20 is far above that,
// yet caps a flood at 10 lookups a second per address. Over it, a bearer
// token from that address is answered 429 RATE_LIMITED without being
// looked up, valid or not, until the bucket refills (a tenth of a second
// per failure).
const (
	DefaultAuthFailureRate  = 10
	DefaultAuthFailureBurst = 20
)

// authGuard authenticates bearer tokens under the failure limit.
type authGuard struct {
	client   *ent.Client
	failures *rateLimiter
	known    *auth.Known
}

// newAuthGuard limits failures to perSecond with burst (0: the defaults;
// a negative rate: no limit).
func newAuthGuard(c *ent.Client, perSecond float64, burst int) *authGuard {
	g := &authGuard{client: c, known: auth.NewKnown(auth.DefaultKnownTokens)}
	if perSecond < 0 {
		return g // a nil limiter allows everything
	}
	if perSecond == 0 {
		perSecond = DefaultAuthFailureRate
	}
	if burst <= 0 {
		burst = DefaultAuthFailureBurst
	}
	g.failures = newLimiter(rate.Limit(perSecond), burst)
	return g
}

// tooManyFailures refuses a token from an address over the failure limit.
type tooManyFailures struct{ retry time.Duration }

func (e tooManyFailures) Error() string {
	return "server: too many failed authentications from this address; retry later"
}

// authenticate is auth.Authenticate for a request from ip; over the limit
// it answers tooManyFailures without looking the token up. Each failed
// lookup takes a unit from the address's bucket.
func (g *authGuard) authenticate(ctx context.Context, ip, token string) (viewer.Viewer, error) {
	if token == "" {
		return viewer.Viewer{}, viewer.ErrUnauthenticated
	}
	key := "ip:" + ip
	if ok, retry := g.failures.peek(key); !ok {
		return viewer.Viewer{}, tooManyFailures{retry}
	}
	v, err := g.known.Authenticate(ctx, g.client, token)
	if errors.Is(err, viewer.ErrUnauthenticated) {
		g.failures.spend(key)
	}
	return v, err
}
