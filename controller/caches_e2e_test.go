//go:build e2e

package controller

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gitcanary/gitcanary/e2e/env"
)

// TestE2ESecretCacheLeavesOutHelmReleases runs the controller's caches against a real
// kube-apiserver: a Helm release record is not cached, the Secrets a canary can track or a
// provider can read are, including one created after the first list.
func TestE2ESecretCacheLeavesOutHelmReleases(t *testing.T) {
	e := env.Get(t)
	ctx := t.Context()
	ns := e.Namespace(t)
	secret := func(name string, typ corev1.SecretType) {
		t.Helper()
		_, err := e.Client().CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Type: typ,
			Data: map[string][]byte{"release": []byte("H4sI")}}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	secret("sh.helm.release.v1.podinfo.v1", "helm.sh/release.v1")
	secret("podinfo-config", corev1.SecretTypeOpaque)

	cl, err := newClients(e.RESTConfig(), Options{})
	require.NoError(t, err)
	c, err := newCaches(cl, Options{Namespace: ns, MeshProvider: "smi:crossover"}.withDefaults())
	require.NoError(t, err)
	secrets := c.kube.Core().V1().Secrets().Lister().Secrets(ns)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.kube.Start(runCtx.Done())
	require.True(t, c.kube.WaitForCacheSync(runCtx.Done())[reflect.TypeOf(&corev1.Secret{})])

	secret("sh.helm.release.v1.podinfo.v2", "helm.sh/release.v1")
	secret("podinfo-env", corev1.SecretTypeOpaque)
	e.WaitFor(t, time.Minute, "the Secret created after the list cached", func(context.Context) error {
		_, err := secrets.Get("podinfo-env")
		return err
	})
	_, err = secrets.Get("podinfo-config")
	require.NoError(t, err, "listed")
	for _, name := range []string{"sh.helm.release.v1.podinfo.v1", "sh.helm.release.v1.podinfo.v2"} {
		_, err := secrets.Get(name)
		require.True(t, apierrors.IsNotFound(err), "%s is not cached: %v", name, err)
	}
}
