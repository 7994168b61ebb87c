//go:build e2e

package evidence

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
)

// outageAt releases podinfo 6.0.1 and stops Prometheus once the canary reached weight 10; it
// makes sure Prometheus runs again when the test ends.
func (s *scenario) outageAt(weight int) {
	s.t.Helper()
	s.release("6.0.1")
	s.eventually(3*time.Minute, fmt.Sprintf("weight %d", weight), func() (bool, string) {
		c := s.canary()
		return c.Status.Phase == v1beta1.CanaryPhaseProgressing && c.Status.CanaryWeight >= weight, fmt.Sprint(c.Status)
	})
	require.NoError(s.t, s.env.StopPrometheus(s.ctx))
	s.t.Cleanup(func() {
		if err := s.env.StartPrometheus(s.ctx); err != nil && !strings.Contains(err.Error(), "it is running") {
			s.t.Errorf("start Prometheus again: %v", err)
		}
	})
}

// TestMetricsOutageHolds stops Prometheus mid-analysis of a healthy release under queryErrors
// Hold: the weight is held with one Warning and one alert, no check fails, and once Prometheus
// is back the release is promoted.
func TestMetricsOutageHolds(t *testing.T) {
	s := given(t, walkthrough.NoDataSkip(5), walkthrough.HoldQueryErrors("5m"))
	s.outageAt(10)

	warning := s.waitEvent("Halt podinfo."+s.ns+" advancement metrics unavailable, holding canary weight ", time.Minute)
	held := s.canary().Status.CanaryWeight
	require.Contains(t, warning, fmt.Sprintf("holding canary weight %d for up to 5m0s: ", held))
	calls := s.rolloutCalls()
	s.eventually(time.Minute, "four more ticks during the outage", func() (bool, string) {
		return s.rolloutCalls() >= calls+4, fmt.Sprint(s.rolloutCalls())
	})
	c := s.canary()
	require.Equal(t, held, c.Status.CanaryWeight, "the weight is held while Prometheus is down")
	require.Zero(t, c.Status.FailedChecks, "an outage is not a failed check")
	require.NotNil(t, c.Status.Analysis.HoldingSince)
	require.Contains(t, []v1beta1.CheckVerdict{v1beta1.CheckHeld}, c.Status.Analysis.Checks[len(c.Status.Analysis.Checks)-1].Verdict)
	s.eventually(30*time.Second, "the alert", func() (bool, string) {
		return s.slack.containing("Metrics unavailable, canary weight held at") == 1, ""
	})

	require.NoError(t, s.env.StartPrometheus(s.ctx))
	s.waitEvent("Metrics available again after ", 2*time.Minute)
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 5*time.Minute)
	events := s.events()
	require.Equal(t, 1, countPrefix(events, "Halt podinfo."+s.ns+" advancement metrics unavailable"), "one Warning per outage")
	require.Zero(t, countPrefix(events, "Rolling back"))
	require.Equal(t, 1, s.slack.containing("Metrics unavailable, canary weight held at"), "one alert per outage")
}

// TestMetricsOutageFailsByDefault is the same outage with Flagger's rule: failed queries are
// failed checks, and the release is rolled back.
func TestMetricsOutageFailsByDefault(t *testing.T) {
	s := given(t, walkthrough.NoDataSkip(5))
	s.outageAt(10)
	c := s.waitPhase(v1beta1.CanaryPhaseFailed, 3*time.Minute)
	events := s.events()
	require.GreaterOrEqual(t, countPrefix(events, "Metric query failed for error-rate: "), 5, strings.Join(events, "\n"))
	require.Equal(t, 1, countPrefix(events, "Rolling back podinfo."+s.ns+" failed checks threshold reached 5"))
	require.Zero(t, countPrefix(events, "Halt podinfo."+s.ns+" advancement metrics unavailable"))
	require.NotEmpty(t, c.Status.Analysis.Checks)
	last := c.Status.Analysis.Checks[len(c.Status.Analysis.Checks)-1]
	require.Equal(t, v1beta1.CheckFailed, last.Verdict)
	require.Contains(t, last.Message, "Metric query failed for error-rate")
}

// TestNoTrafficFails releases a version that gets no traffic (no load test) under noData Skip
// with limit 3 and threshold 1: the canary holds, then fails with "no data for 3 intervals".
func TestNoTrafficFails(t *testing.T) {
	s := given(t, walkthrough.NoDataSkip(3), walkthrough.WithoutLoadTest, walkthrough.Threshold(1))
	s.release("6.0.1")
	c := s.waitPhase(v1beta1.CanaryPhaseFailed, 3*time.Minute)
	events := s.events()
	prefix := "No data for error-rate yet, podinfo." + s.ns + " stays at weight 5 ("
	require.Equal(t, 2, countPrefix(events, prefix), strings.Join(events, "\n"))
	require.Contains(t, events, "Halt podinfo."+s.ns+" advancement error-rate no data for 3 intervals")
	require.Contains(t, events, "Rolling back podinfo."+s.ns+" failed checks threshold reached 1")
	checks := c.Status.Analysis.Checks
	require.Equal(t, "error-rate", checks[len(checks)-1].Name)
	require.Equal(t, "Halt podinfo."+s.ns+" advancement error-rate no data for 3 intervals", checks[len(checks)-1].Message)
}
