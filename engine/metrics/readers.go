package metrics

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Templates reads MetricTemplates.
type Templates interface {
	MetricTemplate(ctx context.Context, namespace, name string) (*v1beta1.MetricTemplate, error)
}

// Secrets reads Secrets. notify.Secrets has the same method, so one value serves both packages.
type Secrets interface {
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// TemplatesFromStore reads MetricTemplates from a shared informer's store, keyed
// <namespace>/<name> (cache.MetaNamespaceKeyFunc), as built from
// client.MetricTemplates("").ListWatch().
func TemplatesFromStore(s cache.Store) Templates { return storeTemplates{s} }

type storeTemplates struct{ s cache.Store }

func (t storeTemplates) MetricTemplate(_ context.Context, namespace, name string) (*v1beta1.MetricTemplate, error) {
	return client.StoreGet[*v1beta1.MetricTemplate](t.s, "metrictemplates", namespace, name)
}

// SecretsFromLister reads Secrets from a shared informer's lister. A missing Secret is the
// API server's NotFound (secrets "x" not found), not the lister's (secret "x" not found), so
// messages read as Flagger's, which reads Secrets from the API server.
func SecretsFromLister(l corelisters.SecretLister) Secrets { return listerSecrets{l} }

type listerSecrets struct{ l corelisters.SecretLister }

func (s listerSecrets) Secret(_ context.Context, namespace, name string) (*corev1.Secret, error) {
	secret, err := s.l.Secrets(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
	}
	return secret, err
}
