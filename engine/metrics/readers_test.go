package metrics

import (
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

func TestTemplatesFromStore(t *testing.T) {
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	require.NoError(t, store.Add(newTemplate("test", "a", "http://prom:9090", "up")))

	got, err := TemplatesFromStore(store).MetricTemplate(t.Context(), "test", "a")
	require.NoError(t, err)
	require.Equal(t, "up", got.Spec.Query)

	_, err = TemplatesFromStore(store).MetricTemplate(t.Context(), "other", "a")
	require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)
	require.EqualError(t, err, `metrictemplates.flagger.app "a" not found`)
}

func TestSecretsFromLister(t *testing.T) {
	secret := newSecret("test", "auth", map[string]string{"token": "t"})
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	require.NoError(t, indexer.Add(secret))
	r := SecretsFromLister(corelisters.NewSecretLister(indexer))
	got, err := r.Secret(t.Context(), "test", "auth")
	require.NoError(t, err)
	require.Equal(t, []byte("t"), got.Data["token"])
	_, err = r.Secret(t.Context(), "test", "absent")
	require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)
	require.EqualError(t, err, `secrets "absent" not found`, "worded as the API server's")
}
