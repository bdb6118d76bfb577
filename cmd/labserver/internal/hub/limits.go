package hub

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"smrlab/core/room"
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

// readBytesMax is the websocket read limit after the hello: a progress or
// submit frame's bound; core/room refuses any other frame over
// room.FrameBytesMax.
const readBytesMax = room.ProgressBytesMax

// Why these rates. A student's page sends a progress frame on each lesson
// event (an action, an answer, a step reached) and every few seconds while
// the run plays: one or two a second, more in a burst of clicks, and a
// backlog queued while offline comes as a few large frames on reconnect.
// classRate (10/s, burst 40) leaves that room to spare and still bounds
// the native replays a seat can ask of its room's goroutine; submissions
// replay a whole recording each, so submitRate is one per 5 s (burst 3).
// The bytes budget (byteRate 32 KiB/s, burst 4 frames of 64 KiB) is what
// keeps a flood of 64 KiB frames from stalling a room: a seat past it is
// refused at the cost of a comparison, before decoding or replaying, and a
// connection sending at twice the budget is closed by its reader before
// its frames reach the room at all.
