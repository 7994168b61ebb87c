package engine

import "github.com/gitcanary/gitcanary/api/v1beta1"

// nextStepWeight is how much canary weight the next advancing tick adds, Flagger's
// nextStepWeight (reference §2.4): stepWeight when set or when there is no ladder (0 means the
// canary never advances); otherwise the distance to the next rung of stepWeights after the
// current weight, never beyond 100, and 1 at 100 so that the canary moves on to promotion.
func nextStepWeight(a *v1beta1.CanaryAnalysis, current int) int {
	if a == nil {
		return 0
	}
	if a.StepWeight > 0 || len(a.StepWeights) == 0 {
		return a.StepWeight
	}
	maxStep := v1beta1.TotalWeight - current
	switch {
	case maxStep <= 0:
		return 1
	case current == 0:
		return min(maxStep, a.StepWeights[0])
	}
	for i := 0; i < len(a.StepWeights)-1; i++ {
		if a.StepWeights[i] == current {
			return min(maxStep, a.StepWeights[i+1]-current)
		}
	}
	return maxStep
}

// advance returns the canary weight after one advancing tick from current. The weight goes up
// by a full step even past maxWeight (Flagger's overshoot: stepWeight 20, maxWeight 50 gives
// 20, 40, 60) and never beyond 100.
func advance(a *v1beta1.CanaryAnalysis, current int) int {
	return clampWeight(current + nextStepWeight(a, current))
}

// retreat returns the canary weight after one promotion tick with stepWeightPromotion.
func retreat(a *v1beta1.CanaryAnalysis, current int) int {
	return clampWeight(current - a.StepWeightPromotion)
}

func clampWeight(w int) int {
	return min(max(w, 0), v1beta1.TotalWeight)
}
