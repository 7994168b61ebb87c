//go:build e2e

package scenarios

import (
	"strconv"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestBootstrap: pushing the podinfo overlay creates exactly the objects the seed lists, scales
// the target to zero and ends Initialized.
func TestBootstrap(t *testing.T) {
	t.Parallel()
	// Given a repository with the podinfo overlay and a controller syncing it
	s := given(t)
	s.push("podinfo", s.podinfoOverlay())
	s.startController()

	// When the controller has synced and initialised the canary
	c := s.waitPhase(v1beta1.CanaryPhaseInitialized, 2*time.Minute)

	// Then the generated objects exist, owned by the Canary
	owned := func(refs []metav1.OwnerReference) bool {
		return len(refs) == 1 && refs[0].Kind == "Canary" && refs[0].Name == "podinfo" && *refs[0].Controller
	}
	primary, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.True(t, owned(primary.OwnerReferences))
	hpa, err := s.kube.AutoscalingV2().HorizontalPodAutoscalers(s.ns).Get(s.ctx, "podinfo-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "podinfo-primary", hpa.Spec.ScaleTargetRef.Name)
	for _, name := range []string{"podinfo", "podinfo-canary", "podinfo-primary"} {
		svc, err := s.kube.CoreV1().Services(s.ns).Get(s.ctx, name, metav1.GetOptions{})
		require.NoError(t, err, name)
		require.True(t, owned(svc.OwnerReferences), name)
	}
	w, err := s.canaryWeight()
	require.NoError(t, err)
	require.Equal(t, 0, w)

	// And the target is scaled to zero while the primary serves
	s.eventually(time.Minute, "target at zero replicas", func() (bool, string) {
		d, err := s.kube.AppsV1().Deployments(s.ns).Get(s.ctx, "podinfo", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return d.Spec.Replicas != nil && *d.Spec.Replicas == 0, "replicas " + replicas(d.Spec.Replicas)
	})
	require.NotEmpty(t, c.Status.LastPromotedSpec)
	require.Contains(t, s.kubeEvents(), "Initialization done! podinfo."+s.ns)
	require.Contains(t, s.events(), "Initialization done! podinfo."+s.ns)

	// And nothing else was generated: the overlay's objects plus the seed's generated list
	deployments, err := s.kube.AppsV1().Deployments(s.ns).List(s.ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, deployments.Items, 2)
	services, err := s.kube.CoreV1().Services(s.ns).List(s.ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, services.Items, 3)
}

func replicas(r *int32) string {
	if r == nil {
		return "unset"
	}
	return strconv.Itoa(int(*r))
}
