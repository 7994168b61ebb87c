//go:build e2e

package scenarios

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
)

// paceInterval is the analysis interval of the pace scenarios: long enough that an early tick
// (the sync runs every second) stands out from the interval's truncation to whole seconds in
// lastTransitionTime.
const paceInterval = 10 * time.Second

// TestTicksKeepTheirInterval: an informer event may wake an analysis, but a step is taken only
// when its interval has passed. A commit that edits only the Canary mid-analysis does not
// advance the weight early, and a commit that changes both the target and the Canary starts the
// analysis with one tick, not two in a row.
func TestTicksKeepTheirInterval(t *testing.T) {
	t.Parallel()
	// Given podinfo 6.0.0 initialised with a 10 s interval
	s := given(t)
	s.interval = paceInterval.String()
	s.push("podinfo 6.0.0", s.podinfoOverlay())
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)

	// When one commit changes both the target's image and the Canary
	s.push("podinfo 6.0.1 and threshold 6", s.podinfoOverlay().
		Edit("deployment.yaml", walkthrough.SetImage("6.0.1")).
		Edit("canary.yaml", setThreshold(6)))
	s.waitWeight(10, 2*time.Minute)

	// And a commit then edits only the Canary, right after a step
	s.push("threshold 7", s.podinfoOverlay().
		Edit("deployment.yaml", walkthrough.SetImage("6.0.1")).
		Edit("canary.yaml", setThreshold(7)))
	s.waitWeight(20, 2*time.Minute)

	// Then every event after "New revision detected!" comes a whole interval after the one
	// before it, give or take the second lastTransitionTime is truncated to
	events := s.timedEvents()
	start := -1
	for i, e := range events {
		if strings.HasPrefix(e.msg, "New revision detected! Scaling up") {
			start = i
		}
	}
	require.GreaterOrEqual(t, start, 0, "the analysis started: %v", events)
	var ticks []timedEvent // the first event of each tick
	for i := start; i < len(events); i++ {
		if i == start || events[i].at.Sub(events[i-1].at) > 500*time.Millisecond {
			ticks = append(ticks, events[i])
		}
	}
	require.GreaterOrEqual(t, len(ticks), 3, "ticks after the new revision: %v", ticks)
	for i := 1; i < len(ticks); i++ {
		gap := ticks[i].at.Sub(ticks[i-1].at)
		require.GreaterOrEqual(t, gap, paceInterval-time.Second,
			"tick %q came %v after %q: a step before its interval", ticks[i].msg, gap, ticks[i-1].msg)
	}
}

// analysisThreshold is the analysis's threshold line of the example Canary.
var analysisThreshold = regexp.MustCompile(`(?m)^    threshold: \d+$`)

// setThreshold sets analysis.threshold in the Canary.
func setThreshold(n int) func(string) string {
	return func(text string) string {
		return analysisThreshold.ReplaceAllString(text, "    threshold: "+itoa(n))
	}
}

// timedEvent is an event of the canary as the controller logged it.
type timedEvent struct {
	at  time.Time
	msg string
}

// timedEvents returns the canary's events with the time each was logged, oldest first.
func (s *scenario) timedEvents() []timedEvent {
	var out []timedEvent
	for _, c := range s.ctrls {
		for _, line := range strings.Split(c.Log(), "\n") {
			var e struct{ Ts, Logger, Msg, Canary string }
			if json.Unmarshal([]byte(line), &e) != nil || e.Logger != "events" || e.Canary != s.ns+"/podinfo" {
				continue
			}
			at, err := time.Parse("2006-01-02T15:04:05.000Z0700", e.Ts)
			require.NoError(s.t, err, "log time %q", e.Ts)
			out = append(out, timedEvent{at: at, msg: e.Msg})
		}
	}
	return out
}
