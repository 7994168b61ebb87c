package receiver

import (
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// limiter triggers at most one sync per min: a trigger within min of the last one is deferred
// to the end of the interval, and the triggers deferred meanwhile are coalesced into it.
type limiter struct {
	clock clock.WithDelayedExecution
	min   time.Duration
	fire  func(reason string)

	mu       sync.Mutex
	last     time.Time
	deferred bool
}

func (l *limiter) trigger(reason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.deferred {
		return // joins the deferred trigger
	}
	if at := l.last.Add(l.min); !l.last.IsZero() && at.After(now) {
		l.deferred = true
		l.clock.AfterFunc(at.Sub(now), func() {
			l.mu.Lock()
			l.deferred, l.last = false, at
			l.mu.Unlock()
			l.fire(reason)
		})
		return
	}
	l.last = now
	l.fire(reason)
}

// replays remembers recent deliveries, at most max of them and each for ttl.
type replays struct {
	clock clock.PassiveClock
	max   int
	ttl   time.Duration

	mu    sync.Mutex
	seen  map[string]time.Time
	order []string // oldest first
}

func newReplays(c clock.PassiveClock, max int, ttl time.Duration) *replays {
	return &replays{clock: c, max: max, ttl: ttl, seen: map[string]time.Time{}}
}

// add records a delivery; false when it was recorded before (a replay).
func (r *replays) add(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock.Now()
	for len(r.order) > 0 && (len(r.order) >= r.max || now.Sub(r.seen[r.order[0]]) > r.ttl) {
		delete(r.seen, r.order[0])
		r.order = r.order[1:]
	}
	if _, ok := r.seen[id]; ok {
		return false
	}
	r.seen[id] = now
	r.order = append(r.order, id)
	return true
}
