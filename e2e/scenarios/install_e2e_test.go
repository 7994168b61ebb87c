//go:build e2e

package scenarios

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestInstallManifests: kubectl apply -k manifests/install works on a real API server, the
// controller Deployment becomes Available, and the aggregated sync role collects its defaults.
func TestInstallManifests(t *testing.T) {
	e := env.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kube := e.Client()
	t.Cleanup(func() {
		// Everything but the CRDs, which the other tests of the package share.
		_, _ = e.Kubectl(context.Background(), "delete", "--ignore-not-found", "--wait=false",
			"namespace/gitcanary-system",
			"clusterrole/gitcanary-engine", "clusterrole/gitcanary-sync", "clusterrole/gitcanary-sync-defaults",
			"clusterrolebinding/gitcanary-engine", "clusterrolebinding/gitcanary-sync")
	})

	// When the install kustomization is applied
	out, err := e.Kubectl(ctx, "apply", "--server-side", "-k", repoRoot+"/manifests/install")
	require.NoError(t, err, out)
	for _, want := range []string{
		"customresourcedefinition.apiextensions.k8s.io/canaries.flagger.app",
		"namespace/gitcanary-system", "serviceaccount/gitcanary",
		"clusterrole.rbac.authorization.k8s.io/gitcanary-engine", "clusterrole.rbac.authorization.k8s.io/gitcanary-sync",
		"configmap/gitcanary-config", "deployment.apps/gitcanary", "service/gitcanary", "service/gitcanary-receiver",
	} {
		require.Contains(t, out, want)
	}

	// Then the controller Deployment rolls out (on a kwok node) with its hardening intact
	e.WaitFor(t, time.Minute, "gitcanary Deployment available", func(ctx context.Context) error {
		d, err := kube.AppsV1().Deployments("gitcanary-system").Get(ctx, "gitcanary", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if d.Status.AvailableReplicas != 1 {
			return errNotYet("available replicas", d.Status.AvailableReplicas)
		}
		return nil
	})
	d, err := kube.AppsV1().Deployments("gitcanary-system").Get(ctx, "gitcanary", metav1.GetOptions{})
	require.NoError(t, err)
	sc := d.Spec.Template.Spec.Containers[0].SecurityContext
	require.True(t, *sc.ReadOnlyRootFilesystem)
	require.True(t, *d.Spec.Template.Spec.SecurityContext.RunAsNonRoot)
	memLimit := slices.IndexFunc(d.Spec.Template.Spec.Containers[0].Env, func(v corev1.EnvVar) bool { return v.Name == "GOMEMLIMIT" })
	require.NotEqual(t, -1, memLimit, "GOMEMLIMIT set")
	require.Equal(t, "limits.memory", d.Spec.Template.Spec.Containers[0].Env[memLimit].ValueFrom.ResourceFieldRef.Resource)

	// And the aggregated sync role holds the default rules
	e.WaitFor(t, time.Minute, "aggregated gitcanary-sync rules", func(ctx context.Context) error {
		role, err := kube.RbacV1().ClusterRoles().Get(ctx, "gitcanary-sync", metav1.GetOptions{})
		if err != nil {
			return err
		}
		var resources []string
		for _, r := range role.Rules {
			resources = append(resources, r.Resources...)
		}
		if !strings.Contains(strings.Join(resources, ","), "deployments") {
			return errNotYet("aggregated resources", resources)
		}
		return nil
	})

	// And the controller's service account may do what the engine needs
	for _, check := range [][]string{
		{"update", "canaries/status", "-n", "test"},
		{"patch", "deployments", "-n", "test"},
		{"create", "trafficsplits.split.smi-spec.io", "-n", "test"},
		{"create", "events", "-n", "test"},
		{"update", "leases.coordination.k8s.io", "-n", "gitcanary-system"},
	} {
		out, err := e.Kubectl(ctx, append([]string{"auth", "can-i", "--as=system:serviceaccount:gitcanary-system:gitcanary"}, check...)...)
		require.NoError(t, err, "%v: %s", check, out)
		require.Equal(t, "yes", strings.TrimSpace(out), check)
	}
	out, _ = e.Kubectl(ctx, "auth", "can-i", "--as=system:serviceaccount:gitcanary-system:gitcanary", "delete", "nodes")
	require.Equal(t, "no", strings.TrimSpace(out), "least privilege")
}
