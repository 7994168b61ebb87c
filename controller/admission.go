package controller

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// admission is the analysis queue under -max-concurrent-analyses and
// -max-concurrent-analyses-per-namespace (engine.Admission). It keeps no queue of its own: the
// running analyses are the Canaries in the informer cache whose phase holds a slot, and the
// queue is the Canaries waiting with status.queue, first come first served by status.queue.since
// (then by namespace/name). A restarted controller finds the same queue in the same order.
//
// The only memory is a reservation per admitted canary, until the cache shows the status that
// the admitting tick wrote: without it, two workers could admit two canaries into one free slot
// before either status reached the cache.
type admission struct {
	// limit and perNamespace are the caps; 0 is no cap.
	limit, perNamespace int
	canaries            cache.Store
	mu                  sync.Mutex
	reserved            map[string]reservation
	queueLength         prometheus.Gauge
	running             prometheus.Gauge
}

// reservation is a slot given to a canary whose new status the cache has not shown yet.
type reservation struct {
	// resourceVersion is the cached Canary's when it was admitted; at is when.
	resourceVersion string
	at              time.Time
}

// reservationTTL bounds a reservation whose tick wrote no status (a failed action): the slot is
// free again after it.
const reservationTTL = time.Minute

var _ engine.Admission = (*admission)(nil)

// newAdmission returns the analysis queue over the cached Canaries, with its gauges registered.
func newAdmission(canaries cache.Store, limit, perNamespace int, reg prometheus.Registerer) (*admission, error) {
	a := &admission{limit: limit, perNamespace: perNamespace, canaries: canaries, reserved: map[string]reservation{},
		queueLength: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gitcanary_analysis_queue_length",
			Help: "Canaries waiting for an analysis slot (-max-concurrent-analyses, -max-concurrent-analyses-per-namespace)."}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gitcanary_analyses_running",
			Help: "Canaries whose analysis holds a slot (Progressing, WaitingPromotion, Promoting, Finalising)."}),
	}
	for _, c := range []prometheus.Collector{a.queueLength, a.running} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// waiter is a canary in the queue.
type waiter struct {
	key, namespace string
	since          time.Time
}

// load is what holds the slots: running analyses, overall and per namespace, and the queue in
// the order it is served.
type load struct {
	running     int
	inNamespace map[string]int
	queue       []waiter
}

// Admit implements engine.Admission: c may start when the caps leave a slot for it after the
// canaries queued before it took theirs.
func (a *admission) Admit(c *v1beta1.Canary, now time.Time) engine.AdmissionResult {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := c.ID()
	since := now
	if c.Status.Queue != nil {
		since = c.Status.Queue.Since.Time
	}
	l := a.load(now, key)
	l.queue = append(l.queue, waiter{key: key, namespace: c.Namespace, since: since})
	sortQueue(l.queue)
	r := a.serve(l, key)
	if r.Admitted {
		res := reservation{at: now}
		if cached, ok := a.cached(key); ok {
			res.resourceVersion = cached.ResourceVersion
		}
		a.reserved[key] = res
	}
	return r
}

// next returns the queued canaries that a slot is free for now, to be woken (their ticks then
// ask Admit), and updates the gauges.
func (a *admission) next(now time.Time) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.load(now, "")
	a.queueLength.Set(float64(len(l.queue)))
	a.running.Set(float64(l.running))
	var keys []string
	for _, w := range l.queue {
		if r := a.serve(l, w.key); r.Admitted {
			keys = append(keys, w.key)
		}
	}
	return keys
}

// load reads the cache: the analyses holding a slot (reservations included) and the queue,
// without the canary self.
func (a *admission) load(now time.Time, self string) load {
	l := load{inNamespace: map[string]int{}}
	seen := map[string]bool{}
	for _, obj := range a.canaries.List() {
		c, ok := obj.(*v1beta1.Canary)
		if !ok {
			continue
		}
		key := c.ID()
		seen[key] = true
		if key == self {
			continue
		}
		switch {
		case engine.OccupiesSlot(c.Status.Phase) || a.holdsReservation(c, now):
			l.running++
			l.inNamespace[c.Namespace]++
		case engine.Queued(c):
			l.queue = append(l.queue, waiter{key: key, namespace: c.Namespace, since: c.Status.Queue.Since.Time})
		}
	}
	for key := range a.reserved {
		if !seen[key] {
			delete(a.reserved, key)
		}
	}
	sortQueue(l.queue)
	return l
}

// holdsReservation reports whether c was admitted and the cache has not moved since; a
// reservation the cache overtook, or that expired, is dropped.
func (a *admission) holdsReservation(c *v1beta1.Canary, now time.Time) bool {
	key := c.ID()
	r, ok := a.reserved[key]
	if !ok {
		return false
	}
	if engine.OccupiesSlot(c.Status.Phase) || c.ResourceVersion != r.resourceVersion || now.Sub(r.at) > reservationTTL {
		delete(a.reserved, key)
		return false
	}
	return true
}

// serve hands the free slots to the queue in order and returns what the canary key gets.
func (a *admission) serve(l load, key string) engine.AdmissionResult {
	used, usedIn := l.running, map[string]int{}
	position, positionIn := 0, map[string]int{}
	for _, w := range l.queue {
		position++
		positionIn[w.namespace]++
		nsUsed := l.inNamespace[w.namespace] + usedIn[w.namespace]
		globalFull := a.limit > 0 && used >= a.limit
		namespaceFull := a.perNamespace > 0 && nsUsed >= a.perNamespace
		if w.key == key {
			switch {
			case namespaceFull:
				return engine.AdmissionResult{Position: positionIn[w.namespace], Running: l.inNamespace[w.namespace],
					Limit: a.perNamespace, Namespace: w.namespace}
			case globalFull:
				return engine.AdmissionResult{Position: position, Running: l.running, Limit: a.limit}
			default:
				return engine.Admitted
			}
		}
		if !globalFull && !namespaceFull {
			used++
			usedIn[w.namespace]++
		}
	}
	return engine.AdmissionResult{}
}

// cached returns the Canary key as the cache has it.
func (a *admission) cached(key string) (*v1beta1.Canary, bool) {
	obj, ok, err := a.canaries.GetByKey(key)
	if err != nil || !ok {
		return nil, false
	}
	c, ok := obj.(*v1beta1.Canary)
	return c, ok
}

// sortQueue orders the queue as it is served: by the time each canary started waiting, then
// by namespace/name.
func sortQueue(q []waiter) {
	slices.SortFunc(q, func(x, y waiter) int {
		if c := x.since.Compare(y.since); c != 0 {
			return c
		}
		return cmp.Compare(x.key, y.key)
	})
}

// slotChanged reports whether an update of a Canary may free a slot or change the queue.
func slotChanged(old, cur *v1beta1.Canary) bool {
	return engine.OccupiesSlot(old.Status.Phase) != engine.OccupiesSlot(cur.Status.Phase) ||
		engine.Queued(old) != engine.Queued(cur)
}
