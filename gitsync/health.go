package gitsync

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gitcanary/gitcanary/apply"
	"github.com/gitcanary/gitcanary/gitsource"
)

// HealthChecker tells how ready applied objects are, by the kstatus rules.
type HealthChecker interface {
	// Readiness reads the objects and returns the readiness of the first that is not ready
	// (or Ready when all are).
	Readiness(ctx context.Context, objects []apply.ObjectRef) (apply.Readiness, error)
}

// Health polls: the first check is at once, the next after healthFirstPoll, doubling up to
// healthMaxPoll.
const (
	healthFirstPoll = time.Second
	healthMaxPoll   = 15 * time.Second
)

// healthWatch waits, one goroutine per overlay, for what an apply changed to become ready; a
// new apply of the overlay replaces its watch. It never holds up the sync loop.
type healthWatch struct {
	loop    *Loop
	mu      sync.Mutex
	cancels map[string]context.CancelFunc
}

// start watches the objects of an overlay's apply until they are ready, one failed, or the
// health timeout passed, and records each change of the overlay's health. Without a checker,
// or without objects to check, the overlay's health is not checked.
func (h *healthWatch) start(ctx context.Context, overlay, revision string, objects []apply.ObjectRef) {
	l := h.loop
	h.mu.Lock()
	if cancel, ok := h.cancels[overlay]; ok {
		cancel()
		delete(h.cancels, overlay)
	}
	if l.opts.Health == nil || len(objects) == 0 {
		h.mu.Unlock()
		l.setHealth(ctx, overlay, Health{})
		return
	}
	wctx, cancel := context.WithCancel(ctx)
	h.cancels[overlay] = cancel
	h.mu.Unlock()
	l.setHealth(ctx, overlay, Health{State: HealthProgressing, Message: "waiting for the applied objects to become ready"})
	go func() {
		defer cancel()
		if health, ok := h.wait(wctx, objects); ok {
			if health.State == HealthUnhealthy {
				l.opts.Logger.Info("warning: overlay applied but not healthy", "overlay", overlay,
					"revision", gitsource.ShortSHA(revision), "reason", health.Message)
			}
			l.setHealth(ctx, overlay, health)
		}
	}()
}

// wait polls the objects' readiness with backoff; ok is false when ctx ended first (a newer
// apply replaced the watch, or the loop stopped).
func (h *healthWatch) wait(ctx context.Context, objects []apply.ObjectRef) (Health, bool) {
	l := h.loop
	clk := l.opts.Clock
	deadline := clk.Now().Add(l.opts.HealthTimeout)
	delay := healthFirstPoll
	last := "not checked yet"
	for {
		r, err := l.opts.Health.Readiness(ctx, objects)
		switch {
		case ctx.Err() != nil:
			return Health{}, false
		case err != nil:
			last = err.Error()
		case r.Ready:
			return Health{State: HealthHealthy}, true
		case r.Failed:
			return Health{State: HealthUnhealthy, Message: r.Message}, true
		default:
			last = r.Message
		}
		left := deadline.Sub(clk.Now())
		if left <= 0 {
			return Health{State: HealthUnhealthy, Message: fmt.Sprintf("not ready after %s: %s", l.opts.HealthTimeout, last)}, true
		}
		select {
		case <-ctx.Done():
			return Health{}, false
		case <-clk.After(min(delay, left)):
		}
		delay = min(2*delay, healthMaxPoll)
	}
}

// setHealth records an overlay's health and reports it when it changed.
func (l *Loop) setHealth(ctx context.Context, overlay string, health Health) {
	l.mu.Lock()
	st := l.entry(overlay)
	same := st.Health == health
	st.Health = health
	l.mu.Unlock()
	if !same {
		l.changed(ctx, overlay)
	}
}

// healthRefs are the applied objects whose readiness tells whether the overlay is healthy: not
// the Canaries and their targets (their health is the canary analysis, in the Canary's status),
// nor kinds that have no readiness.
func (l *Loop) healthRefs(res *apply.Result, targets map[string]bool) []apply.ObjectRef {
	var out []apply.ObjectRef
	for _, r := range res.Applied {
		switch {
		case r.Group == "flagger.app",
			r.Group == "apps" && r.Kind == "Deployment" && targets[r.Namespace+"/"+r.Name],
			!hasReadiness(r):
			continue
		}
		out = append(out, r)
	}
	return out
}

// hasReadiness reports whether kstatus can say more of an object than that it exists.
func hasReadiness(r apply.ObjectRef) bool {
	switch r.Group + "/" + r.Kind {
	case "/ConfigMap", "/Secret", "/ServiceAccount", "/Namespace", "/LimitRange", "/ResourceQuota",
		"rbac.authorization.k8s.io/Role", "rbac.authorization.k8s.io/RoleBinding",
		"rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding":
		return false
	}
	return true
}
