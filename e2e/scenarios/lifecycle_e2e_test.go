//go:build e2e

package scenarios

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/walkthrough"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// The life of a Canary beyond one analysis (reference §2.9, §2.10, §3.2, §4.3, §4.5), each
// through the real controller: suspend and resume, revertOnDeletion when the Canary leaves
// Git, a Secret change, primaryReadyThreshold, and the HPA settings copied on promotion.

// consistently polls cond every 200ms for d and fails the test the first time it does not
// hold. It proves that something does not happen while the controller keeps ticking.
func (s *scenario) consistently(d time.Duration, what string, cond func() (bool, string)) {
	s.t.Helper()
	err := wait.PollUntilContextTimeout(s.ctx, 200*time.Millisecond, d, true, func(context.Context) (bool, error) {
		if ok, state := cond(); !ok {
			return false, errors.New(state)
		}
		return false, nil
	})
	if !wait.Interrupted(err) {
		s.t.Fatalf("%s stopped holding: %v", what, err)
	}
}

// TestSuspendResume: a suspended canary stops where it is, with no step and no webhook call;
// resuming it continues from the stored weight.
func TestSuspendResume(t *testing.T) {
	t.Parallel()
	// Given an analysis of 6.0.1 under way, with a rollout hook the load tester approves
	s := given(t)
	f := features{analysis: "maxWeight: 50\nstepWeight: 10\nwebhooks:\n" + hook("load", "rollout", s.loadTesterURL("/gate/approve"))}
	o := s.startFeature(f)
	s.push("podinfo 6.0.1", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))
	s.waitWeight(20, 2*time.Minute)

	// When the canary is suspended in Git
	f.spec = "suspend: true"
	o[overlayPath+"/canary.yaml"] = []byte(s.featureCanary(f))
	s.push("suspend podinfo", o)

	// Then it stops: the event once, no step, no hook call, for four intervals
	s.waitEvent("skipping canary run as object is suspended", 1, time.Minute)
	held, err := s.canaryWeight()
	require.NoError(t, err)
	calls := len(s.hookCalls("/gate/approve"))
	s.consistently(12*time.Second, "the suspension", func() (bool, string) {
		w, err := s.canaryWeight()
		n := len(s.hookCalls("/gate/approve"))
		return err == nil && w == held && n == calls, fmt.Sprintf("weight %d (held %d), %d hook calls (had %d), err %v", w, held, n, calls, err)
	})
	require.Equal(t, 1, count(s.events(), "skipping canary run as object is suspended"), "gitcanary says it once (quirk S12)")
	c, err := s.canary()
	require.NoError(t, err)
	require.Equal(t, v1beta1.CanaryPhaseProgressing, c.Status.Phase)

	// When it is resumed
	f.spec = ""
	o[overlayPath+"/canary.yaml"] = []byte(s.featureCanary(f))
	s.push("resume podinfo", o)

	// Then the analysis continues from the held weight and promotes
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 3*time.Minute)
	k := s.key()
	requireInOrder(t, s.events(), []string{"skipping canary run as object is suspended", fmt.Sprintf("Advance %s canary weight %d", k, held+10),
		"Advance " + k + " canary weight 50", "Promotion completed! Scaling down " + k})
	require.Zero(t, count(s.events(), fmt.Sprintf("Advance %s canary weight 10", k))-1, "no restart from the first step")
}

// TestRevertOnDeletion: when a Canary with revertOnDeletion leaves Git, the sync loop prunes it
// and the controller hands the workload back before the finalizer goes: the target runs with
// the primary's replicas again, and the generated objects are garbage-collected.
func TestRevertOnDeletion(t *testing.T) {
	t.Parallel()
	// Given an initialised canary with revertOnDeletion: the target is at zero replicas
	s := given(t)
	o := s.startFeature(features{spec: "revertOnDeletion: true"})
	s.eventually(time.Minute, "the finalizer", func() (bool, string) {
		c, err := s.canary()
		return err == nil && len(c.Finalizers) == 1 && c.Finalizers[0] == "finalizer.flagger.app", fmt.Sprint(c.Finalizers)
	})
	s.eventually(time.Minute, "target at zero", func() (bool, string) { return s.targetReplicas() == 0, "not yet" })
	primary, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
	require.NoError(t, err)
	want := *primary.Spec.Replicas
	require.Positive(t, want)

	// When the Canary is removed from Git
	delete(o, overlayPath+"/canary.yaml")
	o.Edit("kustomization.yaml", func(text string) string { return strings.Replace(text, "  - canary.yaml\n", "", 1) })
	s.push("remove the canary", o)

	// Then the Canary is terminated and gone, and the target serves with the primary's replicas
	s.eventually(2*time.Minute, "the Canary to be deleted", func() (bool, string) {
		_, err := s.canary()
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
	requireInOrder(t, s.events(), []string{"Terminating canary " + s.key(), "Terminated canary " + s.key()})
	s.eventually(time.Minute, "the target back with the primary's replicas", func() (bool, string) {
		d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return *d.Spec.Replicas == want && d.Status.AvailableReplicas == want,
			fmt.Sprintf("replicas %d, available %d, want %d", *d.Spec.Replicas, d.Status.AvailableReplicas, want)
	})

	// And the objects the Canary owned are garbage-collected
	s.eventually(time.Minute, "the primary to be collected", func() (bool, string) {
		_, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
		return apierrors.IsNotFound(err), fmt.Sprint(err)
	})
}

// TestSecretChangeStartsCanary: a change of a tracked Secret, with no change of the pod
// template, is a new revision; the primary reads the new data from its -primary copy.
func TestSecretChangeStartsCanary(t *testing.T) {
	t.Parallel()
	// Given podinfo reading a token from a Secret in the overlay
	s := given(t)
	o := s.featureOverlay(features{})
	secret := func(token string) []byte {
		return []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: podinfo-token\ntype: Opaque\ndata:\n  token: " +
			base64.StdEncoding.EncodeToString([]byte(token)) + "\n")
	}
	o[overlayPath+"/secret.yaml"] = secret("first")
	o.Edit("kustomization.yaml", func(text string) string {
		return strings.Replace(text, "resources:\n", "resources:\n  - secret.yaml\n", 1)
	})
	o.Edit("deployment.yaml", func(text string) string {
		return strings.Replace(text, "          env:\n", "          env:\n            - name: PODINFO_TOKEN\n              valueFrom:\n"+
			"                secretKeyRef:\n                  name: podinfo-token\n                  key: token\n", 1)
	})
	s.push("podinfo with a Secret", o)
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	primarySecret := func() string {
		sec, err := s.kube.CoreV1().Secrets(s.ns).Get(s.ctx, "podinfo-token-primary", metav1.GetOptions{})
		require.NoError(t, err)
		return string(sec.Data["token"])
	}
	require.Equal(t, "first", primarySecret())
	d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Contains(t, fmt.Sprint(d.Spec.Template.Spec.Containers[0].Env), "podinfo-token-primary")

	// When only the Secret changes
	o[overlayPath+"/secret.yaml"] = secret("second")
	s.push("rotate the token", o)

	// Then a canary analysis runs and promotes the new Secret to the primary's copy
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 3*time.Minute)
	requireInOrder(t, s.events(), []string{"New revision detected! Scaling up " + s.key(), "Promotion completed! Scaling down " + s.key()})
	require.Equal(t, "second", primarySecret())
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.0", s.primaryImage(), "the pod template did not change")
}

// halfRunnable makes at most one podinfo pod run on the environment's single node, so that of
// two replicas one stays Pending. A rolling update could then never replace the running pod,
// so the Deployment is recreated on updates, and its own progress deadline is out of the way.
func halfRunnable(text string) string {
	text = strings.Replace(text, "    rollingUpdate:\n      maxUnavailable: 1\n    type: RollingUpdate\n", "    type: Recreate\n", 1)
	text = strings.Replace(text, "progressDeadlineSeconds: 60", "progressDeadlineSeconds: 3600", 1)
	return strings.Replace(text, "    spec:\n      containers:\n", `    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels:
                  app: podinfo
      containers:
`, 1)
}

// TestPrimaryReadyThreshold: primaryReadyThreshold (and canaryReadyThreshold) decide how many
// replicas must be available: with 50 % an analysis runs on one of two pods; with the
// default 100 % the same primary holds the next analysis back.
func TestPrimaryReadyThreshold(t *testing.T) {
	t.Parallel()
	// Given podinfo of which only one of its two replicas can run, and thresholds of 50 %
	s := given(t)
	f := features{analysis: "primaryReadyThreshold: 50\ncanaryReadyThreshold: 50\n"}
	o := s.featureOverlay(f).Edit("deployment.yaml", halfRunnable)
	s.push("podinfo 6.0.0", o)
	s.startController()
	s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)
	s.eventually(2*time.Minute, "the primary at one of two pods", func() (bool, string) {
		d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return d.Status.UpdatedReplicas == 2 && d.Status.AvailableReplicas == 1,
			fmt.Sprintf("updated %d, available %d", d.Status.UpdatedReplicas, d.Status.AvailableReplicas)
	})

	// When 6.0.1 is pushed
	s.promoteTo(o, "6.0.1")

	// Then it was analysed and promoted on half of the replicas
	requireInOrder(t, s.events(), []string{"Advance " + s.key() + " canary weight 10", "Promotion completed! Scaling down " + s.key()})

	// When the thresholds go back to the default, and then 6.0.2 is pushed
	f.analysis = ""
	o[overlayPath+"/canary.yaml"] = []byte(s.featureCanary(f))
	s.push("default thresholds", o)
	s.eventually(time.Minute, "the controller to see the new thresholds", func() (bool, string) {
		c, err := s.canary()
		if err != nil {
			return false, err.Error()
		}
		return c.Spec.Analysis.PrimaryReadyThreshold == nil && c.Status.ObservedGeneration == c.Generation,
			fmt.Sprintf("generation %d observed %d", c.Generation, c.Status.ObservedGeneration)
	})
	s.push("podinfo 6.0.2", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.2")))

	// Then the analysis waits for a primary that is not 100 % ready
	waiting := "podinfo-primary." + s.ns + " not ready: waiting for rollout to finish: 1 of 2 (readyThreshold 100%) updated replicas are available"
	s.waitEvent(waiting, 2, 2*time.Minute)
	c, err := s.canary()
	require.NoError(t, err)
	require.Equal(t, v1beta1.CanaryPhaseSucceeded, c.Status.Phase, "the new revision did not start")
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", s.primaryImage())
}

// TestHPAUpdatedOnPromotion: changes of the target's HPA reach the primary's HPA when the
// canary is promoted, not before.
func TestHPAUpdatedOnPromotion(t *testing.T) {
	t.Parallel()
	// Given an initialised canary whose primary HPA copies the target's (2 to 4 replicas)
	s := given(t)
	o := s.startFeature(features{analysis: "maxWeight: 30\nstepWeight: 10\n"})
	primaryHPA := func() (minR, maxR, cpu int32) {
		h, err := s.kube.AutoscalingV2().HorizontalPodAutoscalers(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
		require.NoError(t, err)
		require.Equal(t, "podinfo-primary", h.Spec.ScaleTargetRef.Name)
		return *h.Spec.MinReplicas, h.Spec.MaxReplicas, *h.Spec.Metrics[0].Resource.Target.AverageUtilization
	}
	minR, maxR, cpu := primaryHPA()
	require.Equal(t, []int32{2, 4, 99}, []int32{minR, maxR, cpu})

	// When 6.0.1 is pushed with the HPA raised to 3–6 replicas at 80 % CPU
	o.Edit("hpa.yaml", func(text string) string {
		text = strings.Replace(text, "minReplicas: 2", "minReplicas: 3", 1)
		text = strings.Replace(text, "maxReplicas: 4", "maxReplicas: 6", 1)
		return strings.Replace(text, "averageUtilization: 99", "averageUtilization: 80", 1)
	})
	s.push("podinfo 6.0.1, bigger HPA", o.Edit("deployment.yaml", walkthrough.SetImage("6.0.1")))

	// Then during the analysis the primary keeps its HPA
	s.waitWeight(10, 2*time.Minute)
	target, err := s.kube.AutoscalingV2().HorizontalPodAutoscalers(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, int32(6), target.Spec.MaxReplicas, "the sync applied the new HPA")
	minR, maxR, cpu = primaryHPA()
	require.Equal(t, []int32{2, 4, 99}, []int32{minR, maxR, cpu})

	// And after the promotion the primary HPA has the new settings
	s.waitPhase(v1beta1.CanaryPhaseSucceeded, 3*time.Minute)
	minR, maxR, cpu = primaryHPA()
	require.Equal(t, []int32{3, 6, 80}, []int32{minR, maxR, cpu})
}
