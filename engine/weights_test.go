package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// ladder drives a canary with passing checks from weight 0 until it is promoted and returns
// the canary weights routed on the way.
func ladder(t *testing.T, change func(a *v1beta1.CanaryAnalysis)) []int {
	t.Helper()
	c := seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 0, 0), noChecks, withAnalysis(change))
	weights, canary := []int{}, 0
	for range 120 {
		d := decide(t, c, routed(canary))
		for _, a := range d.Actions {
			switch a.Kind {
			case engine.ActSetRoutes:
				require.Equal(t, 100, a.Primary+a.Canary)
				canary = a.Canary
				weights = append(weights, canary)
			case engine.ActPromote:
				require.Equal(t, v1beta1.CanaryPhasePromoting, d.Status.Phase)
				return weights
			}
		}
		c.Status = d.Status
	}
	require.FailNow(t, "never promoted", "weights %v", weights)
	return nil
}

func TestWeightLadders(t *testing.T) {
	tests := []struct {
		name   string
		change func(a *v1beta1.CanaryAnalysis)
		want   []int
	}{
		{"stepWeight 5, maxWeight 50", func(a *v1beta1.CanaryAnalysis) { a.StepWeight, a.MaxWeight = 5, 50 },
			[]int{5, 10, 15, 20, 25, 30, 35, 40, 45, 50}},
		{"stepWeights", func(a *v1beta1.CanaryAnalysis) { a.StepWeight, a.StepWeights = 0, []int{1, 5, 10, 20, 50} },
			[]int{1, 5, 10, 20, 50}},
		{"stepWeight 20 overshoots maxWeight 50", func(a *v1beta1.CanaryAnalysis) { a.StepWeight, a.MaxWeight = 20, 50 },
			[]int{20, 40, 60}},
		{"stepWeights overflow is capped at 100", func(a *v1beta1.CanaryAnalysis) { a.StepWeight, a.StepWeights = 0, []int{1, 2, 10, 200} },
			[]int{1, 2, 10, 100}},
		{"maxWeight defaults to 100", func(a *v1beta1.CanaryAnalysis) { a.StepWeight, a.MaxWeight = 50, 0 },
			[]int{50, 100}},
		{"stepWeights ignore maxWeight", func(a *v1beta1.CanaryAnalysis) { a.StepWeight, a.MaxWeight, a.StepWeights = 0, 10, []int{30, 60} },
			[]int{30, 60}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ladder(t, tc.change))
		})
	}
}

func TestStepWeightZeroNeverAdvances(t *testing.T) {
	c := seedCanary(t, analysing(v1beta1.CanaryPhaseProgressing, 10, 0), noChecks,
		withAnalysis(func(a *v1beta1.CanaryAnalysis) { a.StepWeight, a.StepWeights = 0, nil }))
	d := decide(t, c, routed(10))
	require.Equal(t, reconciled, d.actions())
	require.Equal(t, v1beta1.CanaryPhaseProgressing, d.Status.Phase)
}

func TestStepWeightPromotionLadder(t *testing.T) {
	c := seedCanary(t, analysing(v1beta1.CanaryPhasePromoting, 60, 0), noChecks,
		withAnalysis(func(a *v1beta1.CanaryAnalysis) { a.StepWeightPromotion = 25 }))
	var primary []int
	canary := 60
	for c.Status.Phase == v1beta1.CanaryPhasePromoting {
		require.Less(t, len(primary), 10, "promotion never finished")
		d := decide(t, c, routed(canary))
		for _, a := range d.Actions {
			if a.Kind == engine.ActSetRoutes {
				primary, canary = append(primary, a.Primary), a.Canary
			}
		}
		c.Status = d.Status
	}
	require.Equal(t, []int{65, 90, 100}, primary)
	require.Equal(t, v1beta1.CanaryPhaseFinalising, c.Status.Phase)
}
