package engine_test

import (
	"context"
	"testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// BenchmarkDecide measures the decide loop of one analysis tick of the seed's Canary (one
// rollout hook, two metrics, an advancing step), without I/O.
func BenchmarkDecide(b *testing.B) {
	c := seedCanary(b, analysing(v1beta1.CanaryPhaseProgressing, 5, 0))
	w := at(5)
	b.ReportAllocs()
	for b.Loop() {
		decide(b, c, w)
	}
}

// BenchmarkReconcileTick measures one idle tick (Succeeded, nothing changed) of the
// reconciler over the in-memory fakes: Get, validate, observe, decide, two reconcile actions.
func BenchmarkReconcileTick(b *testing.B) {
	h := newHarness(b, seedCanary(b, inPhase(v1beta1.CanaryPhaseSucceeded)), engine.Options{})
	h.Workloads.Set(ready(revA))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.r.Reconcile(ctx, "test", "podinfo"); err != nil {
			b.Fatal(err)
		}
		h.Journal.Reset()
	}
}
