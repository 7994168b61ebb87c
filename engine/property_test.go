package engine_test

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"testing/quick"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// randomRun is a random valid analysis and whether its checks keep failing, and how: a value
// out of range (Flagger's rules), or under the gitcanary policies no data with noData Skip or
// an unreachable backend with queryErrors Hold.
type randomRun struct {
	Analysis v1beta1.CanaryAnalysis
	Failing  bool
	Failure  runFailure
	// Mirror makes it a Gateway API canary with analysis.mirror.
	Mirror bool
}

// runFailure is how a failing run fails.
type runFailure int

const (
	failValue runFailure = iota
	failNoDataSkip
	failUnavailableHold
)

// Generate implements quick.Generator: one of stepWeight (with any maxWeight), a ladder of
// stepWeights or Blue/Green iterations, any stepWeightPromotion and threshold, with or without
// traffic mirroring.
func (randomRun) Generate(r *rand.Rand, _ int) reflect.Value {
	a := v1beta1.CanaryAnalysis{Interval: "1m", Threshold: r.Intn(6)}
	switch r.Intn(3) {
	case 0:
		a.StepWeight, a.MaxWeight = 1+r.Intn(100), r.Intn(101)
	case 1:
		for w := 0; len(a.StepWeights) < 6; {
			w += 1 + r.Intn(40)
			if w > v1beta1.TotalWeight {
				break
			}
			a.StepWeights = append(a.StepWeights, w)
		}
		if len(a.StepWeights) == 0 {
			a.StepWeights = []int{100}
		}
	default:
		a.Iterations = 1 + r.Intn(20)
	}
	if r.Intn(2) == 0 {
		a.StepWeightPromotion = 1 + r.Intn(100)
	}
	rr := randomRun{Analysis: a, Failing: r.Intn(2) == 0, Failure: runFailure(r.Intn(3))}
	switch rr.Failure {
	case failNoDataSkip:
		rr.Analysis.Metrics = []v1beta1.CanaryMetric{{NoData: &v1beta1.CanaryMetricNoData{Policy: v1beta1.NoDataSkip, Limit: 1 + r.Intn(5)}}}
	case failUnavailableHold:
		rr.Analysis.QueryErrors = &v1beta1.CanaryQueryErrors{Policy: v1beta1.QueryErrorHold, MaxHold: fmt.Sprintf("%dm", 1+r.Intn(5))}
	}
	rr.Mirror = r.Intn(3) == 0
	return reflect.ValueOf(rr)
}

func (rr randomRun) String() string {
	a := rr.Analysis
	return fmt.Sprintf("stepWeight=%d maxWeight=%d stepWeights=%v iterations=%d stepWeightPromotion=%d threshold=%d failing=%t failure=%d mirror=%t",
		a.StepWeight, a.MaxWeight, a.StepWeights, a.Iterations, a.StepWeightPromotion, a.Threshold, rr.Failing, rr.Failure, rr.Mirror)
}

// maxTicks bounds a run: initialization, start, a mirror step, at most 100 steps or 20
// iterations, at most 100 promotion steps, finalisation; a failing run also holds at most 5
// intervals (noData limit, maxHold) before its threshold counts.
const maxTicks = 240

// TestPropertyWeightsAndTermination runs random valid analyses through the reconciler and the
// fakes. Every routing keeps both weights in [0,100] summing to 100, the status weight stays in
// [0,100], and every run ends Succeeded when the checks keep passing, Failed when they keep
// failing, within maxTicks, with nothing mirrored.
func TestPropertyWeightsAndTermination(t *testing.T) {
	property := func(rr randomRun) bool {
		c := seedCanary(t, withAnalysis(func(a *v1beta1.CanaryAnalysis) {
			metrics, hooks := a.Metrics, a.Webhooks
			*a = rr.Analysis
			a.Metrics, a.Webhooks = metrics, hooks
			if len(rr.Analysis.Metrics) > 0 {
				a.Metrics[0].NoData = rr.Analysis.Metrics[0].NoData
			}
		}))
		if rr.Mirror {
			mirror(c)
		}
		require.NoError(t, v1beta1.ValidateCanary(c), rr.String())
		h := newHarness(t, c, engine.Options{})
		h.Metrics.Set("latency", 0.1)
		h.Metrics.Set("error-rate", 0.1)
		if rr.Failing {
			switch rr.Failure {
			case failValue:
				h.Metrics.Set("error-rate", 50)
			case failNoDataSkip:
				h.Metrics.Set("error-rate")
			case failUnavailableHold:
				h.Metrics.SetError("error-rate", &engine.MetricError{Failure: engine.MetricUnavailable, Err: errRefused})
			}
		}
		s := newCluster(h, revA)
		s.run(t, 5, inPhases(v1beta1.CanaryPhaseInitialized))
		s.revision = revB
		s.observe()
		mark := h.Journal.Len()
		s.run(t, maxTicks, inPhases(v1beta1.CanaryPhaseSucceeded, v1beta1.CanaryPhaseFailed))

		want := v1beta1.CanaryPhaseSucceeded
		if rr.Failing {
			want = v1beta1.CanaryPhaseFailed
		}
		require.Equal(t, want, h.stored(t).Status.Phase, rr.String())
		requireSaneWeights(t, h, mark, rr)
		return true
	}
	require.NoError(t, quick.Check(property, &quick.Config{MaxCount: 300, Rand: rand.New(rand.NewSource(4))}))
}

// requireSaneWeights checks every SetRoutes since mark and every tick's status weight.
func requireSaneWeights(t *testing.T, h *harness, mark int, rr randomRun) {
	t.Helper()
	for _, call := range h.Journal.Since(mark) {
		switch call.Port + "." + call.Method {
		case "Router.SetRoutes":
			var primary, canary int
			_, err := fmt.Sscanf(call.Args, "%d/%d", &primary, &canary)
			require.NoError(t, err)
			require.Equal(t, 100, primary+canary, rr.String())
			require.True(t, inRange(primary) && inRange(canary), "%s: %s", rr, call)
		case "Canaries.WriteStatus":
			var weight int
			_, err := fmt.Sscanf(call.Args[strings.Index(call.Args, "weight="):], "weight=%d", &weight)
			require.NoError(t, err)
			require.True(t, inRange(weight), "%s: %s", rr, call)
		}
	}
	primary, canary, _ := h.Router.Weights()
	require.Equal(t, []int{100, 0}, []int{primary, canary}, "%s: the primary serves everything at the end", rr)
	require.False(t, h.Router.Mirrored(), "%s: nothing is mirrored at the end", rr)
}

func inRange(w int) bool { return w >= 0 && w <= v1beta1.TotalWeight }

var _ quick.Generator = randomRun{}
