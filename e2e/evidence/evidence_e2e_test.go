//go:build e2e

package evidence

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/gitcanary/gitcanary/status/ledger"
)

// TestReleasesExplainThemselves plays the demo's two releases with noData Skip: the healthy
// promotion has no failed check; after the rollback kubectl describe and gitcanary status
// history show the failing metric's query, value and threshold, and the status page, driven by
// a real Chromium, shows the timeline's points and the failing metric.
func TestReleasesExplainThemselves(t *testing.T) {
	s := given(t, walkthrough.NoDataSkip(3))

	// Given a healthy release whose metrics have no data at first, When it is analysed, Then no
	// check fails.
	s.release("6.0.1")
	c := s.waitPhase(v1beta1.CanaryPhaseSucceeded, 5*time.Minute)
	events := s.events()
	require.Zero(t, countPrefix(events, "Halt "), "no failed check in a healthy promotion:\n%s", strings.Join(events, "\n"))
	require.Zero(t, c.Status.FailedChecks)

	// Given a faulty release checked with the built-in metrics, When it is rolled back, Then the
	// failing check keeps its evidence in the Canary's status.
	s.overlay.Edit("canary.yaml", walkthrough.BuiltinMetrics)
	s.release("6.0.2", "PODINFO_FAULT", "500", "PODINFO_FAULT_PERCENT", "30")
	c = s.waitPhase(v1beta1.CanaryPhaseFailed, 5*time.Minute)
	var failed *v1beta1.CanaryCheck
	for i, ck := range c.Status.Analysis.Checks {
		if ck.Verdict == v1beta1.CheckFailed {
			failed = &c.Status.Analysis.Checks[i]
		}
	}
	require.NotNil(t, failed, "%+v", c.Status.Analysis.Checks)
	require.Equal(t, "request-success-rate", failed.Name)
	require.Contains(t, failed.Query, `envoy_cluster_name=~"podinfo-canary"`)
	require.Equal(t, s.env.PrometheusURL, failed.Address)
	require.Equal(t, 99.0, *failed.ThresholdRange.Min)

	describe, err := s.env.Kubectl(s.ctx, "-n", s.ns, "describe", "canary/podinfo")
	require.NoError(t, err)
	for _, want := range []string{`\n  Analysis:\n`, `\n    Checks:\n`, `Name:\s+request-success-rate\n`, `Verdict:\s+Failed\n`,
		`Query:\s+sum\(rate\(envoy_cluster_upstream_rq\{`, `Value:\s+` + regexp.QuoteMeta(failed.Value) + `\n`, `Min:\s+99\n`,
		`Address:\s+` + regexp.QuoteMeta(s.env.PrometheusURL)} {
		require.Regexp(t, want, describe)
	}

	// gitcanary status history names the failing metric, its value and threshold.
	var history string
	s.eventually(time.Minute, "the ledger to record Failed", func() (bool, string) {
		out, err := exec.CommandContext(s.ctx, controllerBin, "status", "history", s.ns+"/podinfo", "--repo", s.git.RepoPath(walkthrough.RepoName),
			"--branch", walkthrough.StatusBranch).CombinedOutput()
		history = string(out)
		return err == nil && strings.Contains(history, " Failed "), history
	})
	require.Contains(t, history, "Failed checks:", history)
	require.Regexp(t, `: Failed \(rolled back [^,]+, request-success-rate [\d.]+ < min 99, source`, history, "the rollback's commit names the metric")
	require.Regexp(t, `request-success-rate [\d.]+ < min 99`, history)
	require.Contains(t, history, "query: sum(rate(envoy_cluster_upstream_rq{", history)
	require.Contains(t, history, "metrics server: "+s.env.PrometheusURL, history)

	// The status page, in a real browser.
	snap, err := ledger.OpenLocal(s.git.RepoPath(walkthrough.RepoName), walkthrough.StatusBranch)
	require.NoError(t, err)
	entries, err := snap.History(s.ns + "/podinfo")
	require.NoError(t, err)
	base := s.statusServe()
	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(`#canaries`))))
	screenshot(t, ctx, "status-index")
	p := readCanaryPage(t, ctx, base+"canary/"+s.ns+"/podinfo")
	screenshot(t, ctx, "status-canary")
	require.Len(t, p.Weights, len(entries), "one weight point per ledger commit of the canary")
	for _, w := range []string{"5", "50", "0"} {
		require.Contains(t, p.Weights, w)
	}
	requirePhaseSeen(t, p, "Succeeded")
	requirePhaseSeen(t, p, "Failed")
	require.Less(t, indexOf(p.Phases, "Succeeded"), indexOf(p.Phases, "Failed"), "the promotion before the rollback")
	require.Equal(t, "request-success-rate", p.FailedName)
	require.Equal(t, "[99, ∞)", p.FailedRange)
	require.NotEmpty(t, p.FailedValue)
	require.Subset(t, p.Metrics, []string{"error-rate", "latency", "request-success-rate"})
	require.NotEmpty(t, p.FailedValues)

	// The controller serves the same page on its listener.
	q := readCanaryPage(t, ctx, s.ctrl.MetricsURL+"/status/canary/"+s.ns+"/podinfo")
	require.Equal(t, "request-success-rate", q.FailedName)
	require.NotEmpty(t, q.Weights)
}
