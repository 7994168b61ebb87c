package engine_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// t0 is the time of the decisions under test.
var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// Revisions of the target's pod template.
const (
	revA = "aaaaaaaaaaaaaaaa" // promoted
	revB = "bbbbbbbbbbbbbbbb" // new
	revC = "cccccccccccccccc" // newer
)

// seedCanary reads the seed walkthrough's Canary (testdata/podinfo-canary.yaml) and applies
// opts: provider smi:crossover, stepWeight 5, maxWeight 50, threshold 5, the error-rate and
// latency template metrics, the acceptance-test pre-rollout and load-test rollout webhooks.
func seedCanary(t testing.TB, opts ...func(*v1beta1.Canary)) *v1beta1.Canary {
	t.Helper()
	raw, err := os.ReadFile("testdata/podinfo-canary.yaml")
	require.NoError(t, err)
	c := &v1beta1.Canary{}
	require.NoError(t, yaml.UnmarshalStrict(raw, c))
	c.Generation = 1
	for _, o := range opts {
		o(c)
	}
	return c
}

// inPhase gives the canary a status in phase with revA promoted and applied.
func inPhase(phase v1beta1.CanaryPhase) func(*v1beta1.Canary) {
	return func(c *v1beta1.Canary) {
		c.Status.Phase = phase
		c.Status.LastAppliedSpec = revA
		c.Status.LastPromotedSpec = revA
		c.Status.ObservedGeneration = c.Generation
	}
}

// analysing gives the canary a status in phase analysing revB, with the given weight and
// failed checks.
func analysing(phase v1beta1.CanaryPhase, weight, failed int) func(*v1beta1.Canary) {
	return func(c *v1beta1.Canary) {
		inPhase(phase)(c)
		c.Status.LastAppliedSpec = revB
		c.Status.CanaryWeight = weight
		c.Status.FailedChecks = failed
	}
}

func withIterations(n int) func(*v1beta1.Canary) {
	return func(c *v1beta1.Canary) { c.Status.Iterations = n }
}

func withAnalysis(change func(a *v1beta1.CanaryAnalysis)) func(*v1beta1.Canary) {
	return func(c *v1beta1.Canary) { change(c.Spec.Analysis) }
}

// blueGreen replaces the canary strategy with n Blue/Green iterations.
func blueGreen(n int) func(*v1beta1.Canary) {
	return withAnalysis(func(a *v1beta1.CanaryAnalysis) {
		a.StepWeight, a.MaxWeight, a.Iterations = 0, 0, n
	})
}

// withHooks appends webhooks to the analysis.
func withHooks(hooks ...v1beta1.CanaryWebhook) func(*v1beta1.Canary) {
	return withAnalysis(func(a *v1beta1.CanaryAnalysis) { a.Webhooks = append(a.Webhooks, hooks...) })
}

func hook(t v1beta1.HookType, name string) v1beta1.CanaryWebhook {
	return v1beta1.CanaryWebhook{Type: t, Name: name, URL: "http://flagger-loadtester.test/" + name}
}

func noChecks(c *v1beta1.Canary) { c.Spec.Analysis.Metrics, c.Spec.Analysis.Webhooks = nil, nil }

func skipAnalysis(c *v1beta1.Canary) { c.Spec.SkipAnalysis = true }

func deleting(c *v1beta1.Canary) {
	ts := metav1.NewTime(t0.Add(-time.Minute))
	c.DeletionTimestamp = &ts
}

func revertOnDeletion(c *v1beta1.Canary) {
	c.Spec.RevertOnDeletion = true
	c.Finalizers = append(c.Finalizers, v1beta1.Finalizer)
}

// ready is a workload whose target runs rev, with both Deployments ready.
func ready(rev string) engine.Workload {
	return engine.Workload{
		Kind: "Deployment", Revision: rev, PrimaryExists: true,
		Primary: engine.Readiness{Ready: true, Retriable: true},
		Target:  engine.Readiness{Ready: true, Retriable: true},
	}
}

// world is what the checks of one Decide call answer.
type world struct {
	workload    engine.Workload
	workloadErr error
	primary     int  // routed weights; canary = 100 - primary
	mirrored    bool // the router mirrors the requests to the canary
	routesErr   error
	hooks       map[string]error               // by webhook name; missing means 2xx
	metrics     map[string]engine.MetricResult // by metric name; missing fails the test
	invalid     error
	floor       time.Duration
	// providers is what Metrics.Available answers.
	providers error
	// admission is what Admission.Admit answers; nil is a controller without caps.
	admission *engine.AdmissionResult
}

func routed(canary int) world { return world{workload: ready(revB), primary: 100 - canary} }

// decided is a final decision and the checks made to reach it, rendered as strings.
type decided struct {
	engine.Decision
	checks []string
}

func (d decided) actions() []string {
	out := []string{}
	for _, a := range d.Actions {
		out = append(out, a.String())
	}
	return out
}

// decide runs the decide loop for c, answering each check from w.
func decide(t testing.TB, c *v1beta1.Canary, w world) decided {
	t.Helper()
	obs := engine.Observation{Invalid: w.invalid, IntervalFloor: w.floor}
	if w.admission == nil {
		obs.SetAdmission(engine.Admitted)
	}
	checks := []string{}
	for range 50 {
		d := engine.Decide(c, obs, t0)
		if d.Need == nil {
			return decided{Decision: d, checks: checks}
		}
		ch := *d.Need
		checks = append(checks, ch.String())
		switch ch.Kind {
		case engine.CheckWorkload:
			obs.SetWorkload(w.workload, w.workloadErr)
		case engine.CheckRoutes:
			obs.SetRoutes(engine.Routes{Primary: w.primary, Canary: 100 - w.primary, Mirror: w.mirrored}, w.routesErr)
		case engine.CheckHook:
			obs.SetHook(ch.Index, w.hooks[ch.Name])
		case engine.CheckMetric:
			r, ok := w.metrics[ch.Name]
			require.True(t, ok, "unexpected query of metric %s", ch.Name)
			obs.SetMetric(ch.Index, engine.MetricSample{Value: r.Value, Query: r.Query, Address: r.Address}, r.Err)
		case engine.CheckProviders:
			obs.SetProviders(w.providers)
		case engine.CheckAdmission:
			obs.SetAdmission(*w.admission)
		}
	}
	require.FailNow(t, "Decide did not converge", "checks: %v", checks)
	return decided{}
}

// passing are metric values within the seed's ranges (error-rate max 1, latency max 0.5).
func passing() map[string]engine.MetricResult {
	return map[string]engine.MetricResult{"error-rate": {Value: 0.2}, "latency": {Value: 0.3}}
}

func value(v float64) engine.MetricResult { return engine.MetricResult{Value: v} }

func ptr[T any](v T) *T { return &v }

var errForbidden = errors.New("Forbidden")

// decideCase is one row of a Decide table: a canary, what the checks answer, and the wanted
// actions (complete and in order), phase and, optionally, checks and status details.
type decideCase struct {
	name   string
	canary *v1beta1.Canary
	world  world
	want   []string
	phase  v1beta1.CanaryPhase
	checks []string
	status func(t *testing.T, st v1beta1.CanaryStatus)
}

func runDecideCases(t *testing.T, cases []decideCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(t, tc.canary, tc.world)
			require.Equal(t, tc.want, d.actions())
			require.Equal(t, tc.phase, d.Status.Phase)
			if tc.checks != nil {
				require.Equal(t, tc.checks, d.checks)
			}
			if tc.status != nil {
				tc.status(t, d.Status)
			}
		})
	}
}

// counters asserts the weight, failed checks and iterations of a status.
func counters(weight, failed, iterations int) func(t *testing.T, st v1beta1.CanaryStatus) {
	return func(t *testing.T, st v1beta1.CanaryStatus) {
		t.Helper()
		require.Equal(t, []int{weight, failed, iterations}, []int{st.CanaryWeight, st.FailedChecks, st.Iterations},
			"weight, failedChecks, iterations")
	}
}

// metaAgo is t0 minus the given seconds, as the API server stores times.
func metaAgo(seconds int) metav1.Time {
	return metav1.NewTime(t0.Add(-time.Duration(seconds) * time.Second))
}
