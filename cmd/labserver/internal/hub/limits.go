package hub

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// addrLimiter is a token bucket per client address; buckets idle for a
// minute are forgotten, so the map stays as small as the set of recent
// addresses.
type addrLimiter struct {
	r     rate.Limit
	burst int

	mu     sync.Mutex
	byAddr map[string]*addrBucket
	swept  time.Time
}

type addrBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const addrIdle = time.Minute

func newAddrLimiter(r rate.Limit, burst int) *addrLimiter {
	return &addrLimiter{r: r, burst: burst, byAddr: map[string]*addrBucket{}, swept: time.Now()}
}

// allow takes a token from addr's bucket.
func (a *addrLimiter) allow(addr string) bool {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bucket(addr, now).lim.AllowN(now, 1)
}

// spent reports whether addr's bucket is empty, taking nothing.
func (a *addrLimiter) spent(addr string) bool {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bucket(addr, now).lim.TokensAt(now) < 1
}

func (a *addrLimiter) bucket(addr string, now time.Time) *addrBucket {
	if now.Sub(a.swept) > addrIdle {
		for k, b := range a.byAddr {
			if now.Sub(b.seen) > addrIdle {
				delete(a.byAddr, k)
			}
		}
		a.swept = now
	}
	b := a.byAddr[addr]
	if b == nil {
		b = &addrBucket{lim: rate.NewLimiter(a.r, a.burst)}
		a.byAddr[addr] = b
	}
	b.seen = now
	return b
}
