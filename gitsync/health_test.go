package gitsync

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/apply"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	testingclock "k8s.io/utils/clock/testing"
)

// fakeHealth answers readiness from a script and signals each check.
type fakeHealth struct {
	mu      sync.Mutex
	answers []apply.Readiness // the last answer repeats
	asked   [][]apply.ObjectRef
	checked chan struct{}
}

func (h *fakeHealth) Readiness(_ context.Context, objects []apply.ObjectRef) (apply.Readiness, error) {
	h.mu.Lock()
	h.asked = append(h.asked, objects)
	r := h.answers[0]
	if len(h.answers) > 1 {
		h.answers = h.answers[1:]
	}
	h.mu.Unlock()
	h.checked <- struct{}{}
	return r, nil
}

const backend = `apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: test}
spec:
  selector: {matchLabels: {app: backend}}
  template:
    metadata: {labels: {app: backend}}
    spec: {containers: [{name: backend, image: backend:1}]}
`

// healthLoop is a loop with a fake clock and a scripted health checker over one overlay holding
// a Deployment, a ConfigMap and a Canary.
func healthLoop(t *testing.T, answers ...apply.Readiness) (*Loop, *fakeFetcher, *fakeHealth, *testingclock.FakeClock, *fakeReporter, *Metrics) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	require.NoError(t, err)
	clk := testingclock.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	h := &fakeHealth{answers: answers, checked: make(chan struct{})}
	r := &fakeReporter{}
	f := &fakeFetcher{t: t}
	l := New(f, &fakeApplier{failNext: map[string]error{}}, Options{Overlays: []string{"apps/*"}, Reporter: r, Metrics: m,
		Health: h, HealthTimeout: time.Minute, Clock: clk})
	f.commit("c1", map[string]string{"apps/b/backend.yaml": backend, "apps/b/cm.yaml": configMap("b", "1"), "apps/b/canary.yaml": canary})
	return l, f, h, clk, r, m
}

// waitChange waits for the reporter to hold n changes.
func waitChange(t *testing.T, r *fakeReporter, n int) []string {
	t.Helper()
	require.Eventually(t, func() bool { return len(r.changed()) >= n }, 5*time.Second, time.Millisecond)
	return r.changed()
}

// TestHealthWaitsForTheAppliedObjects: after an apply the overlay is Progressing until its
// objects are ready (Canaries, their targets and kinds without readiness are not asked about),
// without holding up the sync.
func TestHealthWaitsForTheAppliedObjects(t *testing.T) {
	l, _, h, clk, r, m := healthLoop(t, apply.Readiness{Message: "Deployment test/backend: InProgress Replicas: 0/1"}, apply.Readiness{Ready: true})
	require.NoError(t, l.Sync(t.Context()), "the sync does not wait")
	<-h.checked
	require.Equal(t, HealthProgressing, status(l, "apps/b").Health.State)
	require.Equal(t, 0.0, testutil.ToFloat64(m.overlayOK.WithLabelValues("apps/b")), "not ready while progressing")
	require.Equal(t, []apply.ObjectRef{{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "test", Name: "backend"}}, h.asked[0])

	require.Eventually(t, clk.HasWaiters, 5*time.Second, time.Millisecond)
	clk.Step(healthFirstPoll)
	<-h.checked
	require.Equal(t, []string{"apps/b@c1 Applied", "apps/b@c1 Applied Progressing", "apps/b@c1 Applied Healthy"}, waitChange(t, r, 3))
	require.Equal(t, 1.0, testutil.ToFloat64(m.overlayOK.WithLabelValues("apps/b")))
}

// TestHealthTimesOut: an overlay whose objects never become ready is Unhealthy after the
// health timeout, with the reason, and not ready in the metric.
func TestHealthTimesOut(t *testing.T) {
	l, _, h, clk, r, m := healthLoop(t, apply.Readiness{Message: "Deployment test/backend: InProgress Replicas: 0/1"})
	require.NoError(t, l.Sync(t.Context()))
	done := func() bool { return status(l, "apps/b").Health.State != HealthProgressing }
	for range 20 {
		<-h.checked
		// The watch either waits for its next poll or, past the timeout, gives up.
		require.Eventually(t, func() bool { return clk.HasWaiters() || done() }, 5*time.Second, time.Millisecond)
		if done() {
			break
		}
		clk.Step(healthMaxPoll)
	}
	changes := waitChange(t, r, 3)
	require.Equal(t, "apps/b@c1 Applied Unhealthy", changes[2])
	st := status(l, "apps/b")
	require.Equal(t, "not ready after 1m0s: Deployment test/backend: InProgress Replicas: 0/1", st.Health.Message)
	require.Equal(t, 0.0, testutil.ToFloat64(m.overlayOK.WithLabelValues("apps/b")))
}

// TestHealthFailsAtOnce: kstatus Failed (a Deployment past its progress deadline) is Unhealthy
// without waiting for the timeout.
func TestHealthFailsAtOnce(t *testing.T) {
	l, _, h, _, r, _ := healthLoop(t, apply.Readiness{Failed: true, Message: "Deployment test/backend: Progress deadline exceeded"})
	require.NoError(t, l.Sync(t.Context()))
	<-h.checked
	require.Equal(t, "apps/b@c1 Applied Unhealthy", waitChange(t, r, 3)[2])
	require.Equal(t, "Deployment test/backend: Progress deadline exceeded", status(l, "apps/b").Health.Message)
}
