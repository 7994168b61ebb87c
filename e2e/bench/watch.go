package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// phaseWatch watches every Canary and remembers when each first reached each phase, as seen
// by a watch (milliseconds after the controller wrote it). One watch costs the API server far
// less than polling a thousand canaries.
type phaseWatch struct {
	mu sync.Mutex
	// reached maps a canary's namespace/name to the first time it was seen in each phase
	// since the last reset.
	reached map[string]map[v1beta1.CanaryPhase]time.Time
	synced  cache.InformerSynced
}

// watchPhases starts the watch until ctx ends.
func watchPhases(ctx context.Context, cl *client.Client) (*phaseWatch, error) {
	w := &phaseWatch{reached: map[string]map[v1beta1.CanaryPhase]time.Time{}}
	inf := cache.NewSharedIndexInformer(cl.Canaries("").ListWatch(), &v1beta1.Canary{}, 0, cache.Indexers{})
	record := func(obj any) {
		if c, ok := obj.(*v1beta1.Canary); ok {
			w.record(c.ID(), c.Status.Phase, time.Now())
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    record,
		UpdateFunc: func(_, obj any) { record(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watch canaries: %w", err)
	}
	go inf.Run(ctx.Done())
	w.synced = inf.HasSynced
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return nil, fmt.Errorf("watch canaries: %w", ctx.Err())
	}
	return w, nil
}

func (w *phaseWatch) record(key string, phase v1beta1.CanaryPhase, at time.Time) {
	if phase == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.reached[key]
	if m == nil {
		m = map[v1beta1.CanaryPhase]time.Time{}
		w.reached[key] = m
	}
	if _, ok := m[phase]; !ok {
		m[phase] = at
	}
}

// reset forgets what was seen: phases reached from now on count.
func (w *phaseWatch) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reached = map[string]map[v1beta1.CanaryPhase]time.Time{}
}

// count returns how many canaries reached phase, and when the last of them did.
func (w *phaseWatch) count(phase v1beta1.CanaryPhase) (n int, last time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.reached {
		if at, ok := m[phase]; ok {
			n++
			if at.After(last) {
				last = at
			}
		}
	}
	return n, last
}

// waitFor waits until n canaries reached phase, or timeout; it reports progress every 30s and
// fails early when stop says so.
func (w *phaseWatch) waitFor(ctx context.Context, phase v1beta1.CanaryPhase, n int, timeout time.Duration,
	progress func(string), stop func() error) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	lastReport := time.Now()
	for {
		got, last := w.count(phase)
		if got >= n {
			return last, nil
		}
		if err := stop(); err != nil {
			return time.Time{}, err
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%d of %d canaries %s after %v", got, n, phase, timeout)
		}
		if time.Since(lastReport) >= 30*time.Second {
			progress(fmt.Sprintf("%d of %d canaries %s", got, n, phase))
			lastReport = time.Now()
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
