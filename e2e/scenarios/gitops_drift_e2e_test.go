//go:build e2e

package scenarios

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// reconcileInterval is the drift correction interval of the GitOps scenarios.
const reconcileInterval = 5 * time.Second

// TestDriftCorrected: kubectl set image on a canary target and a relabelled Service are set
// back to Git's version within one reconcile interval, the drift is reported (events, log,
// metric, status branch), and no analysis starts for the manual revision nor for the restored
// promoted one; gitcanary status overlays shows an applied, a failed and a drift-corrected
// overlay.
func TestDriftCorrected(t *testing.T) {
	t.Parallel()
	// Given podinfo initialized, a Service and a ConfigMap applied from Git, and an overlay
	// that does not render
	s := given(t)
	s.push("podinfo and friends", s.gitopsFiles("one"))
	s.startController("-reconcile-interval", reconcileInterval.String())
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	s.eventually(time.Minute, "the backend Service", func() (bool, string) {
		_, err := s.kube.CoreV1().Services(s.ns).Get(s.ctx, "backend", metav1.GetOptions{})
		return err == nil, fmt.Sprint(err)
	})
	promoted := s.targetImage()

	// When someone sets a new image on the target and relabels the Service by hand
	edited := time.Now()
	s.kubectl("-n", s.ns, "set", "image", "deployment/podinfo", "podinfod=ghcr.io/stefanprodan/podinfo:6.0.9")
	s.kubectl("-n", s.ns, "label", "service/backend", "app=edited", "--overwrite")

	// Then both are set back to Git's version within one reconcile interval
	s.eventually(reconcileInterval+5*time.Second, "Git's image and label back", func() (bool, string) {
		svc, err := s.kube.CoreV1().Services(s.ns).Get(s.ctx, "backend", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		image := s.targetImage()
		return image == promoted && svc.Labels["app"] == "backend", image + " " + svc.Labels["app"]
	})
	t.Logf("restored %v after the edits (reconcile interval %v)", time.Since(edited).Round(time.Millisecond), reconcileInterval)

	// And the drift is reported: log lines with the objects and fields, the metric, a Warning
	// event on the target's Canary, which says why the manual revision is not analysed
	s.eventually(reconcileInterval+5*time.Second, "drift logged", func() (bool, string) {
		lines := strings.Join(s.logLines("drift corrected: objects changed in the cluster were set back to Git's version"), "\n")
		return strings.Contains(lines, "Service "+s.ns+"/backend: metadata.labels.app") &&
			strings.Contains(lines, "Deployment "+s.ns+"/podinfo: spec.template.spec.containers[name=podinfod].image"), lines
	})
	require.GreaterOrEqual(t, s.metric(`gitcanary_drift_corrections_total{overlay="apps/backend"}`), 1.0)
	require.GreaterOrEqual(t, s.metric(`gitcanary_drift_corrections_total{overlay="apps/podinfo"}`), 1.0)
	s.eventually(30*time.Second, "the canary's events", func() (bool, string) {
		events := strings.Join(s.kubeEvents(), "\n")
		return strings.Contains(events, "was not applied from Git") && strings.Contains(events, "changed in the cluster were set back to Git revision"), events
	})

	// And no analysis started: not for the manual revision, not for the promoted one restored
	c := s.waitPhase(v1beta1.CanaryPhaseInitialized, time.Second)
	require.Equal(t, c.Status.LastPromotedSpec, c.Status.LastAppliedSpec)
	for _, e := range s.events() {
		require.NotContains(t, e, "New revision detected", "events: %v", s.events())
	}

	// And the status branch and /readyz show the overlays: applied, failed, drift corrected
	var out string
	s.eventually(time.Minute, "gitcanary status overlays", func() (bool, string) {
		var err error
		out, err = s.statusOverlays()
		return err == nil && regexp.MustCompile(`(?m)^apps/backend\s+\w{7}\s+Drift corrected\s`).MatchString(out) &&
			regexp.MustCompile(`(?m)^apps/config\s+\w{7}\s+Applied\s+1\s+0\s`).MatchString(out) &&
			regexp.MustCompile(`(?m)^apps/broken\s+\s*Failed: overlay apps/broken at \w{7}: `).MatchString(out), out
	})
	t.Logf("gitcanary status overlays:\n%s", out)
	ready := s.readyz()
	require.Contains(t, ready, "[-]overlay apps/broken Failed")
	require.Contains(t, ready, "[+]overlay apps/config Applied")
}

// targetImage is the image of the podinfo target.
func (s *scenario) targetImage() string {
	d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(s.t, err)
	return d.Spec.Template.Spec.Containers[0].Image
}
