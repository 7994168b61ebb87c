//go:build e2e

package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// waitWeight waits until the canary's analysis routes at least weight to the canary.
func (s *scenario) waitWeight(weight int, timeout time.Duration) int {
	s.t.Helper()
	var w int
	s.eventually(timeout, "canary weight", func() (bool, string) {
		var err error
		w, err = s.canaryWeight()
		if err != nil {
			return false, err.Error()
		}
		return w >= weight, "weight " + itoa(w)
	})
	return w
}

func (s *scenario) primaryImage() string {
	d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
	require.NoError(s.t, err)
	return d.Spec.Template.Spec.Containers[0].Image
}

// TestRestartOnNewRevision: a push during the analysis restarts it for the newer revision,
// which is the one promoted.
func TestRestartOnNewRevision(t *testing.T) {
	t.Parallel()
	// Given an analysis of 6.0.1 under way
	s := given(t)
	s.push("podinfo 6.0.0", s.podinfoOverlay())
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	s.push("podinfo 6.0.1", s.podinfoOverlay().Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))
	s.waitWeight(10, 2*time.Minute)

	// When 6.0.3 is pushed before it ends
	s.push("podinfo 6.0.3", s.podinfoOverlay().Edit("deployment.yaml", walkthrough.SetImage("6.0.3")))

	// Then the analysis restarts and promotes 6.0.3
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 5*time.Minute)
	key := "podinfo." + s.ns
	events := s.events()
	requireInOrder(t, events, []string{
		"New revision detected! Scaling up " + key,
		"Advance " + key + " canary weight 10",
		"New revision detected! Restarting analysis for " + key,
		"Advance " + key + " canary weight 5",
		"Advance " + key + " canary weight 50",
		"Promotion completed! Scaling down " + key,
	})
	require.Equal(t, 1, count(events, "Copying "+key+" template spec to podinfo-primary."+s.ns), "one promotion")
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.3", s.primaryImage())
}

// TestConfigMapChangeStartsCanary: a change of a tracked ConfigMap, with no change of the pod
// template, is a new revision; the primary gets the new data in its -primary copy.
func TestConfigMapChangeStartsCanary(t *testing.T) {
	t.Parallel()
	// Given podinfo reading its color from a ConfigMap in the overlay
	s := given(t)
	files := s.podinfoOverlay()
	files[overlayPath+"/config.yaml"] = []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo-config\ndata:\n  color: \"#34577c\"\n")
	files[overlayPath+"/kustomization.yaml"] = []byte(strings.Replace(string(files[overlayPath+"/kustomization.yaml"]), "resources:\n", "resources:\n  - config.yaml\n", 1))
	files[overlayPath+"/deployment.yaml"] = []byte(strings.Replace(string(files[overlayPath+"/deployment.yaml"]),
		"              value: \"#34577c\"\n",
		"              valueFrom:\n                configMapKeyRef:\n                  name: podinfo-config\n                  key: color\n", 1))
	s.push("podinfo with a ConfigMap", files)
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	primaryConfig, err := s.kube.CoreV1().ConfigMaps(s.ns).Get(s.ctx, "podinfo-config-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "#34577c", primaryConfig.Data["color"])

	// When only the ConfigMap changes
	files[overlayPath+"/config.yaml"] = []byte(strings.Replace(string(files[overlayPath+"/config.yaml"]), "#34577c", "#ff8800", 1))
	s.push("orange", files)

	// Then a canary analysis runs and promotes the new configuration
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 5*time.Minute)
	require.Contains(t, s.events(), "New revision detected! Scaling up podinfo."+s.ns)
	primaryConfig, err = s.kube.CoreV1().ConfigMaps(s.ns).Get(s.ctx, "podinfo-config-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "#ff8800", primaryConfig.Data["color"])
}

// TestControllerKilledMidAnalysis: a controller killed during an analysis is replaced; the new
// one resumes from the Canary's status without losing weight or promoting twice.
func TestControllerKilledMidAnalysis(t *testing.T) {
	t.Parallel()
	// Given an analysis of 6.0.1 at 15 % or more
	s := given(t)
	s.push("podinfo 6.0.0", s.podinfoOverlay())
	first := s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	s.push("podinfo 6.0.1", s.podinfoOverlay().Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))
	s.waitWeight(15, 2*time.Minute)

	// When the controller is killed and a new one starts
	first.Kill()
	before, err := s.canaryWeight()
	require.NoError(t, err)
	s.startController()

	// Then the analysis continues from where it was and promotes once
	lowest := before
	s.eventually(5*time.Minute, "Succeeded", func() (bool, string) {
		c, err := s.canary()
		if err != nil {
			return false, err.Error()
		}
		if w, err := s.canaryWeight(); err == nil && c.Status.Phase == v1beta1.CanaryPhaseProgressing {
			lowest = min(lowest, w)
		}
		return c.Status.Phase == v1beta1.CanaryPhaseSucceeded, string(c.Status.Phase)
	})
	require.Equal(t, before, lowest, "no weight was lost across the restart")
	key := "podinfo." + s.ns
	events := s.events()
	require.Equal(t, 1, count(events, "Copying "+key+" template spec to podinfo-primary."+s.ns), "one promotion")
	require.Equal(t, 1, count(events, "Promotion completed! Scaling down "+key))
	require.Equal(t, 0, count(events, "New revision detected! Restarting analysis for "+key))
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", s.primaryImage())
}

// TestInvalidPush: a broken Canary in Git is reported and applies nothing — not even the
// valid objects pushed with it.
func TestInvalidPush(t *testing.T) {
	t.Parallel()
	// Given podinfo 6.0.0 initialised
	s := given(t)
	s.push("podinfo 6.0.0", s.podinfoOverlay())
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)

	// When a new image is pushed together with a Canary whose stepWeight is out of range
	files := s.podinfoOverlay()
	files.Edit("deployment.yaml", walkthrough.SetImage("6.0.1"))
	files[overlayPath+"/canary.yaml"] = []byte(strings.Replace(string(files[overlayPath+"/canary.yaml"]), "stepWeight: 5", "stepWeight: 500", 1))
	sha := s.push("broken canary", files)

	// Then the Canary says why, and nothing changed in the cluster
	want := "Git revision " + sha[:7] + " of overlay " + overlayPath + " is not applied: spec.analysis.stepWeight: Invalid value: 500: must be between 0 and 100"
	s.eventually(time.Minute, "an InvalidSpec event", func() (bool, string) {
		ev := s.kubeEvents()
		return count(ev, want) == 1, strings.Join(ev, " | ")
	})
	d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", d.Spec.Template.Spec.Containers[0].Image)
	c, err := s.canary()
	require.NoError(t, err)
	require.Equal(t, 5, c.Spec.Analysis.StepWeight)
	require.Equal(t, v1beta1.CanaryPhaseInitialized, c.Status.Phase)
	require.Contains(t, s.ctrl.Log(), "overlay not applied; the cluster keeps its last good revision")
}

func itoa(n int) string { return ints([]int{n}) }
