package client

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Scheme knows the v1beta1 kinds and the meta types their lists and options need.
var Scheme = newScheme()

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := v1beta1.AddToScheme(s); err != nil {
		// AddToScheme only fails on programming errors in addKnownTypes.
		panic(fmt.Sprintf("register flagger.app/v1beta1: %v", err))
	}
	metav1.AddToGroupVersion(s, v1beta1.SchemeGroupVersion)
	return s
}

// Client reads and writes flagger.app/v1beta1 objects.
type Client struct {
	rest rest.Interface
}

// New returns a Client for the cluster of cfg.
func New(cfg *rest.Config) (*Client, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &v1beta1.SchemeGroupVersion
	c.APIPath = "/apis"
	c.NegotiatedSerializer = serializer.NewCodecFactory(Scheme).WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("build flagger.app/v1beta1 REST client: %w", err)
	}
	return &Client{rest: rc}, nil
}

// Canaries returns the Canaries of a namespace ("" for all namespaces on List and Watch).
func (c *Client) Canaries(namespace string) *Resource[*v1beta1.Canary, *v1beta1.CanaryList] {
	return &Resource[*v1beta1.Canary, *v1beta1.CanaryList]{
		rest: c.rest, namespace: namespace, resource: "canaries",
		newObj:  func() *v1beta1.Canary { return &v1beta1.Canary{} },
		newList: func() *v1beta1.CanaryList { return &v1beta1.CanaryList{} },
	}
}

// MetricTemplates returns the MetricTemplates of a namespace.
func (c *Client) MetricTemplates(namespace string) *Resource[*v1beta1.MetricTemplate, *v1beta1.MetricTemplateList] {
	return &Resource[*v1beta1.MetricTemplate, *v1beta1.MetricTemplateList]{
		rest: c.rest, namespace: namespace, resource: "metrictemplates",
		newObj:  func() *v1beta1.MetricTemplate { return &v1beta1.MetricTemplate{} },
		newList: func() *v1beta1.MetricTemplateList { return &v1beta1.MetricTemplateList{} },
	}
}

// AlertProviders returns the AlertProviders of a namespace.
func (c *Client) AlertProviders(namespace string) *Resource[*v1beta1.AlertProvider, *v1beta1.AlertProviderList] {
	return &Resource[*v1beta1.AlertProvider, *v1beta1.AlertProviderList]{
		rest: c.rest, namespace: namespace, resource: "alertproviders",
		newObj:  func() *v1beta1.AlertProvider { return &v1beta1.AlertProvider{} },
		newList: func() *v1beta1.AlertProviderList { return &v1beta1.AlertProviderList{} },
	}
}

// Object is a v1beta1 object pointer.
type Object interface {
	runtime.Object
	metav1.Object
}

// Resource is one kind of one namespace.
type Resource[T Object, L runtime.Object] struct {
	rest      rest.Interface
	namespace string
	resource  string
	newObj    func() T
	newList   func() L
}

func (r *Resource[T, L]) req(verb func() *rest.Request) *rest.Request {
	return verb().Namespace(r.namespace).Resource(r.resource)
}

// Get reads one object.
func (r *Resource[T, L]) Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error) {
	out := r.newObj()
	err := r.req(r.rest.Get).Name(name).VersionedParams(&opts, metav1.ParameterCodec).Do(ctx).Into(out)
	return out, err
}

// List lists the objects.
func (r *Resource[T, L]) List(ctx context.Context, opts metav1.ListOptions) (L, error) {
	out := r.newList()
	err := r.req(r.rest.Get).VersionedParams(&opts, metav1.ParameterCodec).Do(ctx).Into(out)
	return out, err
}

// Watch watches the objects.
func (r *Resource[T, L]) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	return r.req(r.rest.Get).VersionedParams(&opts, metav1.ParameterCodec).Watch(ctx)
}

// Create creates an object.
func (r *Resource[T, L]) Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error) {
	out := r.newObj()
	err := r.req(r.rest.Post).VersionedParams(&opts, metav1.ParameterCodec).Body(obj).Do(ctx).Into(out)
	return out, err
}

// Update replaces an object's spec and metadata.
func (r *Resource[T, L]) Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error) {
	out := r.newObj()
	err := r.req(r.rest.Put).Name(obj.GetName()).VersionedParams(&opts, metav1.ParameterCodec).Body(obj).Do(ctx).Into(out)
	return out, err
}

// UpdateStatus replaces an object's status through the status subresource.
func (r *Resource[T, L]) UpdateStatus(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error) {
	out := r.newObj()
	err := r.req(r.rest.Put).Name(obj.GetName()).SubResource("status").VersionedParams(&opts, metav1.ParameterCodec).Body(obj).Do(ctx).Into(out)
	return out, err
}

// Patch patches an object (or its status with subresource "status").
func (r *Resource[T, L]) Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error) {
	out := r.newObj()
	err := r.rest.Patch(pt).Namespace(r.namespace).Resource(r.resource).Name(name).SubResource(subresources...).VersionedParams(&opts, metav1.ParameterCodec).Body(data).Do(ctx).Into(out)
	return out, err
}

// Delete deletes an object.
func (r *Resource[T, L]) Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error {
	return r.req(r.rest.Delete).Name(name).Body(&opts).Do(ctx).Error()
}

// ListWatch returns a list-watch source for a shared informer of this kind, restricted to the
// Resource's namespace ("" for all).
func (r *Resource[T, L]) ListWatch() *cache.ListWatch {
	return cache.NewListWatchFromClient(r.rest, r.resource, r.namespace, fields.Everything())
}

// ListWatchSelected is ListWatch restricted to the objects whose labels match selector (a
// label selector in its string form; "" selects everything).
func (r *Resource[T, L]) ListWatchSelected(selector string) *cache.ListWatch {
	return cache.NewFilteredListWatchFromClient(r.rest, r.resource, r.namespace, func(o *metav1.ListOptions) {
		o.LabelSelector = selector
	})
}

// StoreGet reads an object of type T from a shared informer's store, keyed
// "<namespace>/<name>" (cache.MetaNamespaceKeyFunc). A missing object is a NotFound error for
// resource, as the API server would answer.
func StoreGet[T Object](s cache.KeyGetter, resource, namespace, name string) (T, error) {
	var zero T
	obj, ok, err := s.GetByKey(namespace + "/" + name)
	if err != nil {
		return zero, err
	}
	typed, isT := obj.(T)
	if !ok || !isT {
		return zero, apierrors.NewNotFound(v1beta1.Resource(resource), name)
	}
	return typed, nil
}
