package notify

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

func TestProvidersFromClient(t *testing.T) {
	want := newProvider("flagger", "on-call", v1beta1.SlackProvider, "https://hooks.slack.com/x")
	want.TypeMeta = metav1.TypeMeta{APIVersion: "flagger.app/v1beta1", Kind: "AlertProvider"}
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		require.NoError(t, json.NewEncoder(w).Encode(want))
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(&rest.Config{Host: srv.URL})
	require.NoError(t, err)

	got, err := ProvidersFromClient(c).AlertProvider(t.Context(), "flagger", "on-call")
	require.NoError(t, err)
	require.Equal(t, "/apis/flagger.app/v1beta1/namespaces/flagger/alertproviders/on-call", path)
	require.Equal(t, want.Spec, got.Spec)
}

func TestProvidersFromStore(t *testing.T) {
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	require.NoError(t, store.Add(newProvider("test", "slack", v1beta1.SlackProvider, "http://x")))
	got, err := ProvidersFromStore(store).AlertProvider(t.Context(), "test", "slack")
	require.NoError(t, err)
	require.Equal(t, v1beta1.SlackProvider, got.Spec.Type)
	_, err = ProvidersFromStore(store).AlertProvider(t.Context(), "other", "slack")
	require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)
}
