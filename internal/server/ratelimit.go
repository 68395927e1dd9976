package server

import (
	"net"
	"net/http"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// rateLimiter keeps a token bucket per key: per token (or per client
// address for anonymous requests) for the request rate, per client address
// for failed authentications.
type rateLimiter struct {
	r       rate.Limit
	burst   int
	buckets *lru.Cache[string, *rate.Limiter]
}

// maxBuckets bounds the memory of the limiter; the least recently seen
// callers are forgotten first (and start again with a full bucket).
const maxBuckets = 100_000

// newRateLimiter limits each key to perSecond (burst twice that); 0 is off.
func newRateLimiter(perSecond float64) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	return newLimiter(rate.Limit(perSecond), max(1, int(2*perSecond)))
}

func newLimiter(r rate.Limit, burst int) *rateLimiter {
	c, _ := lru.New[string, *rate.Limiter](maxBuckets)
	return &rateLimiter{r: r, burst: burst, buckets: c}
}

// allow takes one request from key's bucket, or says how long to wait.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	res := l.bucket(key).Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel()
		return false, d
	}
	return true, 0
}

// peek reports whether key's bucket has a unit left, without taking it,
// or how long until it has.
func (l *rateLimiter) peek(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	tokens := l.bucket(key).Tokens()
	if tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - tokens) / float64(l.r) * float64(time.Second))
}

// spend takes one unit from key's bucket, into debt if it is empty (so
// failures that raced past peek lengthen the wait).
func (l *rateLimiter) spend(key string) {
	if l != nil {
		l.bucket(key).Reserve()
	}
}

func (l *rateLimiter) bucket(key string) *rate.Limiter {
	lim, ok := l.buckets.Get(key)
	if !ok {
		lim = rate.NewLimiter(l.r, l.burst)
		if prev, found, _ := l.buckets.PeekOrAdd(key, lim); found {
			lim = prev
		}
	}
	return lim
}

// retryAfter is a wait in whole seconds, rounded up, for Retry-After.
func retryAfter(d time.Duration) int { return int(d.Seconds() + 0.999) }

// clientIP is the peer address (proxies are not trusted blindly).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
