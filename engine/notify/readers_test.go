package notify

import (
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

func TestProvidersFromStore(t *testing.T) {
	store := cache.NewStore(cache.MetaNamespaceKeyFunc)
	require.NoError(t, store.Add(newProvider("test", "slack", v1beta1.SlackProvider, "http://x")))
	got, err := ProvidersFromStore(store).AlertProvider(t.Context(), "test", "slack")
	require.NoError(t, err)
	require.Equal(t, v1beta1.SlackProvider, got.Spec.Type)
	_, err = ProvidersFromStore(store).AlertProvider(t.Context(), "other", "slack")
	require.True(t, apierrors.IsNotFound(err), "want NotFound, got %v", err)
}
