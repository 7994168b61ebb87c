package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/enginetest"
)

// harness is a Reconciler over the enginetest fakes with a fake clock.
type harness struct {
	*enginetest.World
	r     *engine.Reconciler
	clock *clocktesting.FakeClock
	c     *v1beta1.Canary
}

func newHarness(t testing.TB, c *v1beta1.Canary, opts engine.Options) *harness {
	t.Helper()
	h := &harness{World: enginetest.NewWorld(), clock: clocktesting.NewFakeClock(t0), c: c}
	opts.Clock = h.clock
	r, err := engine.NewReconciler(h.Ports(), opts)
	require.NoError(t, err)
	h.r = r
	h.Canaries.Put(c)
	return h
}

// tick runs one reconcile of the harness's canary and returns the requeue delay.
func (h *harness) tick(t testing.TB) time.Duration {
	t.Helper()
	requeue, err := h.r.Reconcile(context.Background(), h.c.Namespace, h.c.Name)
	require.NoError(t, err)
	return requeue
}

// stored returns the canary as the fake API server has it.
func (h *harness) stored(t testing.TB) *v1beta1.Canary {
	t.Helper()
	c := h.Canaries.Stored(h.c.Namespace, h.c.Name)
	require.NotNil(t, c)
	return c
}

// lines returns the journal lines of the given ports recorded since mark.
func (h *harness) lines(mark int, ports ...string) []string {
	return enginetest.Lines(h.Journal.Since(mark), ports...)
}
