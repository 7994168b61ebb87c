package metrics

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

func TestTemplatesFromClient(t *testing.T) {
	want := newTemplate("test", "error-rate", "http://prom:9090", "up")
	want.TypeMeta = metav1.TypeMeta{APIVersion: "flagger.app/v1beta1", Kind: "MetricTemplate"}
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		require.NoError(t, json.NewEncoder(w).Encode(want))
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(&rest.Config{Host: srv.URL})
	require.NoError(t, err)

	got, err := TemplatesFromClient(c).MetricTemplate(t.Context(), "test", "error-rate")
	require.NoError(t, err)
	require.Equal(t, "/apis/flagger.app/v1beta1/namespaces/test/metrictemplates/error-rate", path)
	require.Equal(t, want.Spec, got.Spec)
}

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

func TestSecretReaders(t *testing.T) {
	secret := newSecret("test", "auth", map[string]string{"token": "t"})
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	require.NoError(t, indexer.Add(secret))
	readers := map[string]Secrets{
		"clientset": SecretsFromClientset(fake.NewClientset(secret)),
		"lister":    SecretsFromLister(corelisters.NewSecretLister(indexer)),
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			got, err := r.Secret(t.Context(), "test", "auth")
			require.NoError(t, err)
			require.Equal(t, []byte("t"), got.Data["token"])
			_, err = r.Secret(t.Context(), "test", "absent")
			require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)
		})
	}
}
