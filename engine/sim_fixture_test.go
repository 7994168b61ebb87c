package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/engine/enginetest"
)

// cluster plays Kubernetes for the fakes between ticks: a Deployment that is created, scaled
// up or given a new template is observed rolling out during the next tick, then ready.
type cluster struct {
	h        *harness
	revision string
	// primaryExists is whether EnsurePrimary ran yet.
	primaryExists bool
	// rolling holds, per Deployment, the waiting text it shows during the next tick.
	targetRolling, primaryRolling string
	// showRoutes adds the Router.SetRoutes calls to the journal lines of run.
	showRoutes bool
}

func newCluster(h *harness, revision string) *cluster {
	s := &cluster{h: h, revision: revision}
	s.observe()
	return s
}

// observe sets what Workloads.Observe returns during the next tick.
func (s *cluster) observe() {
	w := ready(s.revision)
	w.PrimaryExists = s.primaryExists
	if !s.primaryExists {
		w.Primary = engine.Readiness{Retriable: true}
	}
	if s.primaryRolling != "" {
		w.Primary = engine.Readiness{Message: s.primaryRolling, Retriable: true}
	}
	if s.targetRolling != "" {
		w.Target = engine.Readiness{Message: s.targetRolling, Retriable: true}
	}
	s.h.Workloads.Set(w)
}

// apply reacts to the calls of the last tick.
func (s *cluster) apply(calls []enginetest.Call) {
	s.targetRolling, s.primaryRolling = "", ""
	for _, c := range calls {
		switch c.Port + "." + c.Method {
		case "Workloads.EnsurePrimary":
			if !s.primaryExists {
				s.primaryExists = true
				s.primaryRolling = "waiting for rollout to finish: 0 of 2 (readyThreshold 100%) updated replicas are available"
			}
		case "Workloads.Promote":
			s.primaryRolling = "waiting for rollout to finish: 1 of 2 (readyThreshold 100%) updated replicas are available"
		case "Scaler.ScaleFromZero":
			s.targetRolling = "waiting for rollout to finish: 0 of 1 (readyThreshold 100%) updated replicas are available"
		}
	}
	s.observe()
}

// run ticks the canary, advancing the fake clock by each requeue delay, until done reports
// true after a tick or limit ticks ran. It returns the journal of each tick, with a header.
func (s *cluster) run(t testing.TB, limit int, done func(c *v1beta1.Canary) bool) []string {
	t.Helper()
	var out []string
	for n := 1; n <= limit; n++ {
		mark := s.h.Journal.Len()
		requeue := s.h.tick(t)
		calls := s.h.Journal.Since(mark)
		c := s.h.stored(t)
		out = append(out, fmt.Sprintf("== tick +%v: %s weight=%d failedChecks=%d", s.h.clock.Since(t0), c.Status.Phase, c.Status.CanaryWeight, c.Status.FailedChecks))
		for _, l := range enginetest.Lines(calls, "Hooks", "Recorder", "Notifier", "Router", "Admission") {
			if strings.HasPrefix(l, "Router.") && !(s.showRoutes && strings.HasPrefix(l, "Router.SetRoutes")) {
				continue
			}
			out = append(out, "  "+l)
		}
		s.apply(calls)
		s.h.clock.Step(requeue)
		if done(c) {
			return out
		}
	}
	require.FailNow(t, "the canary did not settle", "after %d ticks:\n%s", limit, strings.Join(out, "\n"))
	return nil
}

func inPhases(phases ...v1beta1.CanaryPhase) func(c *v1beta1.Canary) bool {
	return func(c *v1beta1.Canary) bool {
		for _, p := range phases {
			if c.Status.Phase == p {
				return true
			}
		}
		return false
	}
}
