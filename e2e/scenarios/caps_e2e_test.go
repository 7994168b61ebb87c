//go:build e2e

package scenarios

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/gitcanary/gitcanary/engine"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestConcurrencyCap: under -max-concurrent-analyses 1, two canaries given a new revision by
// one push do not analyse at once: one runs while the other waits in Waiting with its place in
// the queue (status, event, metric), and starts when the first is promoted.
func TestConcurrencyCap(t *testing.T) {
	// Given podinfo and a second canary, backend, in one namespace under a cap of one analysis
	s := given(t)
	fleet := s.fleet(features{}, "podinfo", "backend")
	s.push("podinfo and backend 6.0.0", fleet)
	s.startController("-max-concurrent-analyses", "1")
	s.waitPhases(2*time.Minute, map[string]v1beta1.CanaryPhase{"podinfo": v1beta1.CanaryPhaseInitialized, "backend": v1beta1.CanaryPhaseInitialized})

	// When one push gives both a new version
	s.push("podinfo and backend 6.0.1", setImages(fleet, "6.0.1"))

	// Then one analyses while the other waits for the slot, first in the queue
	var running, queued string
	s.eventually(time.Minute, "one canary analysing and one queued", func() (bool, string) {
		phases := s.phases("podinfo", "backend")
		for name, c := range phases {
			switch {
			case engine.OccupiesSlot(c.Status.Phase):
				running = name
			case c.Status.Queue != nil:
				queued = name
			}
		}
		return running != "" && queued != "", fmt.Sprint(phaseNames(phases))
	})
	c, err := s.flagger.Canaries(s.ns).Get(s.ctx, queued, metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, v1beta1.CanaryPhaseWaiting, c.Status.Phase)
	require.Equal(t, 1, c.Status.Queue.Position)
	require.Equal(t, []int{1, 1}, []int{c.Status.Queue.Running, c.Status.Queue.Limit})
	require.Equal(t, "Waiting for an analysis slot: 1 of 1 running, position 1.", c.Status.Condition(v1beta1.ReadyType).Message)
	s.thenMetricsShow("gitcanary_analysis_queue_length 1", "gitcanary_analyses_running 1")

	// And both are promoted, never both analysing at once
	s.eventually(3*time.Minute, "both promoted", func() (bool, string) {
		phases := s.phases("podinfo", "backend")
		if engine.OccupiesSlot(phases["podinfo"].Status.Phase) && engine.OccupiesSlot(phases["backend"].Status.Phase) {
			t.Fatalf("both canaries analyse at once under a cap of 1: %v", phaseNames(phases))
		}
		return phases["podinfo"].Status.Phase == v1beta1.CanaryPhaseSucceeded && phases["backend"].Status.Phase == v1beta1.CanaryPhaseSucceeded,
			fmt.Sprint(phaseNames(phases))
	})
	// And the queued one started only after the first was promoted
	events := logEvents(s.ctrl)
	requireInOrder(t, events, []string{
		fmt.Sprintf("Halt %s.%s advancement waiting for an analysis slot: 1 of 1 running, position 1", queued, s.ns),
		fmt.Sprintf("Promotion completed! Scaling down %s.%s", running, s.ns),
		fmt.Sprintf("New revision detected! Scaling up %s.%s", queued, s.ns),
		fmt.Sprintf("Promotion completed! Scaling down %s.%s", queued, s.ns),
	})
	s.thenMetricsShow("gitcanary_analysis_queue_length 0", "gitcanary_analyses_running 0")
}

// fleet is the podinfo example with the Canary of f once per name, each overlay at apps/<name>
// with its objects called name.
func (s *scenario) fleet(f features, names ...string) walkthrough.Overlay {
	one := s.featureOverlay(f)
	out := walkthrough.Overlay{}
	for _, name := range names {
		for path, data := range one.Named(name) {
			out[path] = data
		}
	}
	return out
}

// setImages sets the image tag of every Deployment of the overlays.
func setImages(o walkthrough.Overlay, tag string) walkthrough.Overlay {
	for path, data := range o {
		if strings.HasSuffix(path, "/deployment.yaml") {
			o[path] = []byte(walkthrough.SetImage(tag)(string(data)))
		}
	}
	return o
}

// phases reads the named Canaries of the scenario's namespace.
func (s *scenario) phases(names ...string) map[string]*v1beta1.Canary {
	out := map[string]*v1beta1.Canary{}
	for _, name := range names {
		c, err := s.flagger.Canaries(s.ns).Get(s.ctx, name, metav1.GetOptions{})
		if err != nil {
			c = &v1beta1.Canary{}
		}
		out[name] = c
	}
	return out
}

// waitPhases waits until each named Canary is in its phase.
func (s *scenario) waitPhases(timeout time.Duration, want map[string]v1beta1.CanaryPhase) {
	s.t.Helper()
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	s.eventually(timeout, fmt.Sprint("phases ", want), func() (bool, string) {
		phases := s.phases(names...)
		for name, phase := range want {
			if phases[name].Status.Phase != phase {
				return false, fmt.Sprint(phaseNames(phases))
			}
		}
		return true, ""
	})
}

func phaseNames(cs map[string]*v1beta1.Canary) []string {
	var out []string
	for name, c := range cs {
		out = append(out, name+"="+string(c.Status.Phase))
	}
	slices.Sort(out)
	return out
}

// logEvents returns the messages of every canary event a controller logged, in order.
func logEvents(c *walkthrough.Controller) []string {
	var out []string
	for _, line := range strings.Split(c.Log(), "\n") {
		var entry struct{ Logger, Msg string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Logger == "events" {
			out = append(out, entry.Msg)
		}
	}
	return out
}
