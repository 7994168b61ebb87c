//go:build e2e

package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/e2e/env"
	"github.com/gitcanary/gitcanary/router"
)

func TestMain(m *testing.M) { env.Main(m, env.Options{}) }

// httpRoutesCRD is the CRD of Gateway API HTTPRoutes the environment installs.
const httpRoutesCRD = "httproutes." + gatewayGroup

// TestE2EGatewayRoutesDiscoveredLater runs the controller's Gateway API discovery against a real
// kube-apiserver. Given a cluster without the HTTPRoute CRD when the controller starts, a canary
// of gatewayapi:v1 gets ErrGatewayAPIUnavailable; when the CRD is installed, then within one
// rediscovery the version is served, its informer started and synced, and HTTPRoutes created
// afterwards are read from its cache — without restarting the controller.
func TestE2EGatewayRoutesDiscoveredLater(t *testing.T) {
	e := env.Get(t)
	ctx := t.Context()
	crds, err := apiextensions.NewForConfig(e.RESTConfig())
	require.NoError(t, err)
	gw, err := gwclient.NewForConfig(e.RESTConfig())
	require.NoError(t, err)
	disco := e.Client().Discovery()

	// Given a cluster without the HTTPRoute CRD
	crd := removeCRD(t, e, crds, httpRoutesCRD)
	e.WaitFor(t, time.Minute, "HTTPRoutes no longer served", func(context.Context) error {
		if served, err := servesHTTPRoutes(disco, v1beta1.GatewayAPIv1); err != nil || served {
			return fmt.Errorf("still served (err %v)", err)
		}
		return nil
	})

	// and the controller's Gateway API routes, started then
	g, err := newGatewayRoutes(gw, disco, Options{}, logr.Discard())
	require.NoError(t, err)
	clk := clocktesting.NewFakePassiveClock(time.Now())
	g.clock = clk
	var opts router.Options
	g.routerOptions(&opts)
	require.Empty(t, opts.HTTPRoutes, "no Gateway API served at start")
	g.start(ctx)
	require.NoError(t, g.wait(ctx))

	// When a gatewayapi:v1 canary asks for its routes, then the version is unavailable
	_, err = opts.DiscoverHTTPRoutes(ctx, v1beta1.GatewayAPIv1)
	require.ErrorIs(t, err, router.ErrGatewayAPIUnavailable)

	// When the CRD is installed, then the next rediscovery finds the version and syncs its cache
	reinstallCRD(t, e, crd)
	var routes router.HTTPRoutes
	e.WaitFor(t, time.Minute, "HTTPRoute v1 discovered", func(ctx context.Context) error {
		clk.SetTime(clk.Now().Add(rediscoverEvery)) // each try is a rediscovery
		routes, err = opts.DiscoverHTTPRoutes(ctx, v1beta1.GatewayAPIv1)
		return err
	})
	require.Equal(t, v1beta1.GatewayAPIv1, routes.Version())

	// and a route created afterwards is read from the discovered informer
	ns := e.Namespace(t)
	_, err = gw.GatewayV1().HTTPRoutes(ns).Create(ctx, &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Name: "podinfo"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	e.WaitFor(t, time.Minute, "HTTPRoute in the discovered cache", func(context.Context) error {
		_, err := routes.Cached(ns, "podinfo")
		return err
	})
	again, err := opts.DiscoverHTTPRoutes(ctx, v1beta1.GatewayAPIv1)
	require.NoError(t, err)
	require.Same(t, routes, again, "discovered once")
}

// removeCRD deletes CRD name, waits until it is gone and returns it as it was; it is
// reinstalled when the test ends if the test did not.
func removeCRD(t *testing.T, e *env.Env, crds apiextensions.Interface, name string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	api := crds.ApiextensionsV1().CustomResourceDefinitions()
	crd, err := api.Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		if _, err := api.Get(context.Background(), name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			reinstallCRD(t, e, crd)
		}
	})
	require.NoError(t, api.Delete(t.Context(), name, metav1.DeleteOptions{}))
	e.WaitFor(t, time.Minute, "CRD "+name+" deleted", func(ctx context.Context) error {
		_, err := api.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return errors.Join(errors.New("still there"), err)
	})
	return crd
}

// reinstallCRD installs crd again as the environment installs CRDs (waiting until it is
// established).
func reinstallCRD(t *testing.T, e *env.Env, crd *apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	fresh := &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: crd.Name, Labels: crd.Labels, Annotations: crd.Annotations},
		Spec:       crd.Spec,
	}
	data, err := json.Marshal(fresh)
	require.NoError(t, err)
	require.NoError(t, e.ApplyCRD(context.Background(), data))
}
