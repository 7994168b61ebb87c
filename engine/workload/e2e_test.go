//go:build e2e

package workload_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/engine"
)

func TestMain(m *testing.M) { env.Main(m, env.Options{}) }

// TestE2EDeployments runs the Deployment adapter against a real kube-apiserver with
// kube-controller-manager and kwok nodes. Given the seed's podinfo with a tracked ConfigMap
// and Secret and an HPA, when the primary is ensured, then the primary Deployment becomes
// Available with -primary configs and the primary HPA; when the target is scaled to zero, a
// new image set and the target scaled up again, then the target rolls out the new revision;
// when it is promoted, then the primary rolls out the new image; when the HPA changes, then
// the primary HPA follows; when the Canary is deleted, then garbage collection removes what
// the adapter generated.
func TestE2EDeployments(t *testing.T) {
	e := env.Get(t)
	ctx := t.Context()
	ns := e.Namespace(t)
	kube := e.Client()
	c := given(t, e, ns)
	d := newDeployments(t, kube, ns)

	// When the primary is ensured, then it becomes Available with its configs and HPA.
	require.NoError(t, d.EnsurePrimary(ctx, c))
	e.WaitFor(t, 2*time.Minute, "primary available", available(e, ns, "podinfo-primary"))
	e.WaitFor(t, time.Minute, "primary observed ready", func(ctx context.Context) error {
		w, err := d.Observe(ctx, c)
		if err != nil {
			return err
		}
		if !w.PrimaryExists || !w.Primary.Ready {
			return fmt.Errorf("primary: %+v", w.Primary)
		}
		return nil
	})
	primary := deployment(t, e, ns, "podinfo-primary")
	require.Equal(t, map[string]string{"app": "podinfo-primary"}, primary.Spec.Selector.MatchLabels)
	require.Equal(t, "podinfo-config-primary", primary.Spec.Template.Spec.Containers[0].EnvFrom[0].ConfigMapRef.Name)
	require.Equal(t, "podinfo-token-primary", primary.Spec.Template.Spec.Volumes[0].Secret.SecretName)
	require.Equal(t, c.UID, metav1.GetControllerOf(primary).UID)
	cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, "podinfo-config-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"color": "blue"}, cm.Data)
	_, err = kube.CoreV1().Secrets(ns).Get(ctx, "podinfo-token-primary", metav1.GetOptions{})
	require.NoError(t, err)
	hpa, err := kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "podinfo-primary", metav1.GetOptions{})
	require.NoError(t, err)
	require.Equal(t, "podinfo-primary", hpa.Spec.ScaleTargetRef.Name)
	require.Equal(t, int32(4), hpa.Spec.MaxReplicas)

	// When the target is scaled to zero, then it has no replicas left.
	before, err := d.Observe(ctx, c)
	require.NoError(t, err)
	require.NoError(t, d.ScaleToZero(ctx, c))
	e.WaitFor(t, time.Minute, "target scaled to zero", available(e, ns, "podinfo"))
	require.Equal(t, int32(0), *deployment(t, e, ns, "podinfo").Spec.Replicas)

	// When a new image is set and the target scaled up, then it rolls out a new revision with
	// the autoscaler's minReplicas.
	setImage(t, e, ns, "ghcr.io/stefanprodan/podinfo:6.0.1")
	require.NoError(t, d.ScaleFromZero(ctx, c))
	require.Equal(t, int32(2), *deployment(t, e, ns, "podinfo").Spec.Replicas)
	var after engine.Workload
	e.WaitFor(t, 2*time.Minute, "target observed ready", func(ctx context.Context) error {
		after, err = d.Observe(ctx, c)
		if err != nil {
			return err
		}
		if !after.Target.Ready {
			return errors.New(after.Target.Message)
		}
		return nil
	})
	require.NotEqual(t, before.Revision, after.Revision)
	require.Equal(t, before.Configs, after.Configs)

	// When it is promoted, then the primary rolls out the new image.
	require.NoError(t, d.Promote(ctx, c))
	require.Equal(t, "ghcr.io/stefanprodan/podinfo:6.0.1", deployment(t, e, ns, "podinfo-primary").Spec.Template.Spec.Containers[0].Image)
	e.WaitFor(t, 2*time.Minute, "promoted primary available", available(e, ns, "podinfo-primary"))

	// When the HPA changes, then the primary HPA follows.
	// (kube-controller-manager writes the HPA's status concurrently: write on a fresh read after a conflict)
	require.NoError(t, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		target, err := kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "podinfo", metav1.GetOptions{})
		if err != nil {
			return err
		}
		target.Spec.MaxReplicas = 6
		_, err = kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Update(ctx, target, metav1.UpdateOptions{})
		return err
	}))
	// (the informer delivers the change within a tick or two, as it would to the controller)
	e.WaitFor(t, time.Minute, "primary HPA synced", func(ctx context.Context) error {
		if err := d.SyncPrimaryAutoscaler(ctx, c); err != nil {
			return err
		}
		hpa, err := kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "podinfo-primary", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if hpa.Spec.MaxReplicas != 6 {
			return fmt.Errorf("primary HPA maxReplicas %d", hpa.Spec.MaxReplicas)
		}
		return nil
	})

	// When the Canary is deleted, then garbage collection deletes the generated objects.
	canaries, err := client.New(e.RESTConfig())
	require.NoError(t, err)
	require.NoError(t, canaries.Canaries(ns).Delete(ctx, "podinfo", metav1.DeleteOptions{}))
	e.WaitFor(t, 2*time.Minute, "generated objects collected", func(ctx context.Context) error {
		if _, err := kube.AppsV1().Deployments(ns).Get(ctx, "podinfo-primary", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("primary Deployment still there (%v)", err)
		}
		if _, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, "podinfo-config-primary", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("primary ConfigMap still there (%v)", err)
		}
		if _, err := kube.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, "podinfo-primary", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("primary HPA still there (%v)", err)
		}
		return nil
	})
	_, err = kube.AppsV1().Deployments(ns).Get(ctx, "podinfo", metav1.GetOptions{})
	require.NoError(t, err, "the target stays")
}
