package metrics

import (
	"context"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// Templates reads MetricTemplates.
type Templates interface {
	MetricTemplate(ctx context.Context, namespace, name string) (*v1beta1.MetricTemplate, error)
}

// Secrets reads Secrets. notify.Secrets has the same method, so one value serves both packages.
type Secrets interface {
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// TemplatesFromClient reads MetricTemplates from the API server on every call.
func TemplatesFromClient(c *client.Client) Templates { return clientTemplates{c} }

type clientTemplates struct{ c *client.Client }

func (t clientTemplates) MetricTemplate(ctx context.Context, namespace, name string) (*v1beta1.MetricTemplate, error) {
	return t.c.MetricTemplates(namespace).Get(ctx, name, metav1.GetOptions{})
}

// TemplatesFromStore reads MetricTemplates from a shared informer's store, keyed
// <namespace>/<name> (cache.MetaNamespaceKeyFunc), as built from
// client.MetricTemplates("").ListWatch().
func TemplatesFromStore(s cache.Store) Templates { return storeTemplates{s} }

type storeTemplates struct{ s cache.Store }

func (t storeTemplates) MetricTemplate(_ context.Context, namespace, name string) (*v1beta1.MetricTemplate, error) {
	return client.StoreGet[*v1beta1.MetricTemplate](t.s, "metrictemplates", namespace, name)
}

// SecretsFromClientset reads Secrets from the API server on every call.
func SecretsFromClientset(k kubernetes.Interface) Secrets { return clientsetSecrets{k} }

type clientsetSecrets struct{ k kubernetes.Interface }

func (s clientsetSecrets) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return s.k.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}

// SecretsFromLister reads Secrets from a shared informer's lister.
func SecretsFromLister(l corelisters.SecretLister) Secrets { return listerSecrets{l} }

type listerSecrets struct{ l corelisters.SecretLister }

func (s listerSecrets) Secret(_ context.Context, namespace, name string) (*corev1.Secret, error) {
	return s.l.Secrets(namespace).Get(name)
}
