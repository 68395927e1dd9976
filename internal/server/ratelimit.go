package server

import (
	"net"
	"net/http"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// rateLimiter keeps a token bucket per token (or per client address for
// anonymous requests): rate r per second, burst 2r.
type rateLimiter struct {
	r       rate.Limit
	burst   int
	buckets *lru.Cache[string, *rate.Limiter]
}

// maxBuckets bounds the memory of the limiter; the least recently seen
// callers are forgotten first (and start again with a full bucket).
const maxBuckets = 100_000

func newRateLimiter(perSecond float64) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	c, _ := lru.New[string, *rate.Limiter](maxBuckets)
	return &rateLimiter{r: rate.Limit(perSecond), burst: max(1, int(2*perSecond)), buckets: c}
}

// allow takes one request from key's bucket, or says how long to wait.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	lim, ok := l.buckets.Get(key)
	if !ok {
		lim = rate.NewLimiter(l.r, l.burst)
		if prev, found, _ := l.buckets.PeekOrAdd(key, lim); found {
			lim = prev
		}
	}
	res := lim.Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel()
		return false, d
	}
	return true, 0
}

// clientIP is the peer address (proxies are not trusted blindly).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
