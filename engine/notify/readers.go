package notify

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Providers reads AlertProviders.
type Providers interface {
	AlertProvider(ctx context.Context, namespace, name string) (*v1beta1.AlertProvider, error)
}

// Secrets reads Secrets; metrics.SecretsFromLister satisfies it.
type Secrets interface {
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// ProvidersFromStore reads AlertProviders from a shared informer's store, keyed
// <namespace>/<name>, as built from client.AlertProviders("").ListWatch().
func ProvidersFromStore(s cache.Store) Providers { return storeProviders{s} }

type storeProviders struct{ s cache.Store }

func (p storeProviders) AlertProvider(_ context.Context, namespace, name string) (*v1beta1.AlertProvider, error) {
	return client.StoreGet[*v1beta1.AlertProvider](p.s, "alertproviders", namespace, name)
}
