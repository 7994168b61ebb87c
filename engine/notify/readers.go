package notify

import (
	"context"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// Providers reads AlertProviders.
type Providers interface {
	AlertProvider(ctx context.Context, namespace, name string) (*v1beta1.AlertProvider, error)
}

// Secrets reads Secrets; metrics.SecretsFromClientset and metrics.SecretsFromLister satisfy it.
type Secrets interface {
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// ProvidersFromClient reads AlertProviders from the API server on every call.
func ProvidersFromClient(c *client.Client) Providers { return clientProviders{c} }

type clientProviders struct{ c *client.Client }

func (p clientProviders) AlertProvider(ctx context.Context, namespace, name string) (*v1beta1.AlertProvider, error) {
	return p.c.AlertProviders(namespace).Get(ctx, name, metav1.GetOptions{})
}

// ProvidersFromStore reads AlertProviders from a shared informer's store, keyed
// <namespace>/<name>, as built from client.AlertProviders("").ListWatch().
func ProvidersFromStore(s cache.Store) Providers { return storeProviders{s} }

type storeProviders struct{ s cache.Store }

func (p storeProviders) AlertProvider(_ context.Context, namespace, name string) (*v1beta1.AlertProvider, error) {
	return client.StoreGet[*v1beta1.AlertProvider](p.s, "alertproviders", namespace, name)
}
