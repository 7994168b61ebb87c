package engine

import (
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Pace returns how long a tick of c must wait so that the analysis keeps its interval, or 0
// when it may run now. Informer events (a new target revision, a tracked config, an edit of the
// Canary) wake a canary at once, but during an analysis a step is taken only when the interval
// has passed since the last one (the status's lastTransitionTime): an edit of the Canary in
// the middle of an analysis does not advance the weight early, and a commit that changes both
// the target and the Canary does not run two ticks in a row. Idle canaries, new ones and
// deletions are never held back, nor a canary waiting for an analysis slot (the controller wakes
// it when one frees). floor is the controller's shortest interval.
func Pace(c *v1beta1.Canary, floor time.Duration, now time.Time) time.Duration {
	if c.DeletionTimestamp != nil || c.Status.LastTransitionTime.IsZero() || c.Status.Queue != nil {
		return 0
	}
	switch c.Status.Phase {
	case v1beta1.CanaryPhaseProgressing, v1beta1.CanaryPhaseWaiting, v1beta1.CanaryPhaseWaitingPromotion,
		v1beta1.CanaryPhasePromoting, v1beta1.CanaryPhaseFinalising:
	default:
		return 0
	}
	interval := c.AnalysisIntervalAtLeast(floor)
	elapsed := now.Sub(c.Status.LastTransitionTime.Time)
	if elapsed >= interval {
		return 0
	}
	if elapsed < 0 { // a clock that went back: wait one interval at most
		return interval
	}
	return interval - elapsed
}
