package router

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gwlistersv1 "sigs.k8s.io/gateway-api/pkg/client/listers/apis/v1"
	gwlistersv1beta1 "sigs.k8s.io/gateway-api/pkg/client/listers/apis/v1beta1"
)

// HTTPRoutes reads HTTPRoutes of one gateway.networking.k8s.io version from an informer's
// lister and writes them through the typed client. Objects are v1 HTTPRoutes whatever the
// version: v1beta1's HTTPRoute has the same fields.
type HTTPRoutes interface {
	// Version is the API version read and written, v1 or v1beta1.
	Version() string
	// Cached returns the HTTPRoute as the informer last saw it; callers must not change it.
	Cached(namespace, name string) (*gwv1.HTTPRoute, error)
	// Get reads the HTTPRoute from the API server (after a write conflict).
	Get(ctx context.Context, namespace, name string) (*gwv1.HTTPRoute, error)
	// Create creates the HTTPRoute.
	Create(ctx context.Context, r *gwv1.HTTPRoute) error
	// Update replaces the HTTPRoute's metadata and spec.
	Update(ctx context.Context, r *gwv1.HTTPRoute) error
}

// NewHTTPRoutesV1 returns the v1 HTTPRoutes of client, read through lister.
func NewHTTPRoutesV1(client gwclient.Interface, lister gwlistersv1.HTTPRouteLister) HTTPRoutes {
	return &routesV1{client: client, lister: lister}
}

// NewHTTPRoutesV1beta1 returns the v1beta1 HTTPRoutes of client, read through lister.
func NewHTTPRoutesV1beta1(client gwclient.Interface, lister gwlistersv1beta1.HTTPRouteLister) HTTPRoutes {
	return &routesV1beta1{client: client, lister: lister}
}

type routesV1 struct {
	client gwclient.Interface
	lister gwlistersv1.HTTPRouteLister
}

func (s *routesV1) Version() string { return "v1" }

func (s *routesV1) Cached(namespace, name string) (*gwv1.HTTPRoute, error) {
	return s.lister.HTTPRoutes(namespace).Get(name)
}

func (s *routesV1) Get(ctx context.Context, namespace, name string) (*gwv1.HTTPRoute, error) {
	return s.client.GatewayV1().HTTPRoutes(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (s *routesV1) Create(ctx context.Context, r *gwv1.HTTPRoute) error {
	_, err := s.client.GatewayV1().HTTPRoutes(r.Namespace).Create(ctx, r, metav1.CreateOptions{})
	return err
}

func (s *routesV1) Update(ctx context.Context, r *gwv1.HTTPRoute) error {
	_, err := s.client.GatewayV1().HTTPRoutes(r.Namespace).Update(ctx, r, metav1.UpdateOptions{})
	return err
}

type routesV1beta1 struct {
	client gwclient.Interface
	lister gwlistersv1beta1.HTTPRouteLister
}

func (s *routesV1beta1) Version() string { return "v1beta1" }

func (s *routesV1beta1) Cached(namespace, name string) (*gwv1.HTTPRoute, error) {
	r, err := s.lister.HTTPRoutes(namespace).Get(name)
	return (*gwv1.HTTPRoute)(r), err
}

func (s *routesV1beta1) Get(ctx context.Context, namespace, name string) (*gwv1.HTTPRoute, error) {
	r, err := s.client.GatewayV1beta1().HTTPRoutes(namespace).Get(ctx, name, metav1.GetOptions{})
	return (*gwv1.HTTPRoute)(r), err
}

func (s *routesV1beta1) Create(ctx context.Context, r *gwv1.HTTPRoute) error {
	_, err := s.client.GatewayV1beta1().HTTPRoutes(r.Namespace).Create(ctx, (*gwv1beta1.HTTPRoute)(r), metav1.CreateOptions{})
	return err
}

func (s *routesV1beta1) Update(ctx context.Context, r *gwv1.HTTPRoute) error {
	_, err := s.client.GatewayV1beta1().HTTPRoutes(r.Namespace).Update(ctx, (*gwv1beta1.HTTPRoute)(r), metav1.UpdateOptions{})
	return err
}
