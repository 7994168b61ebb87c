package router

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

func TestCompositeProvider(t *testing.T) {
	tests := []struct {
		name        string
		def         string
		provider    string
		wantVersion string
		wantErr     string
	}{
		{name: "controller default is smi:crossover", wantVersion: v1beta1.SMIv1alpha1},
		{name: "smi:crossover", provider: "smi:crossover", wantVersion: v1beta1.SMIv1alpha1},
		{name: "smi:v1alpha1:crossover", provider: "smi:v1alpha1:crossover", wantVersion: v1beta1.SMIv1alpha1},
		{name: "smi:v1alpha2", provider: "smi:v1alpha2", wantVersion: v1beta1.SMIv1alpha2},
		{name: "smi:v1alpha3:linkerd", provider: "smi:v1alpha3:linkerd", wantVersion: v1beta1.SMIv1alpha3},
		{name: "configured default", def: "smi:v1alpha2", wantVersion: v1beta1.SMIv1alpha2},
		{name: "spec wins over the default", def: "smi:v1alpha2", provider: "smi:v1alpha3", wantVersion: v1beta1.SMIv1alpha3},
		{
			name: "istio", provider: "istio",
			wantErr: `canary podinfo.test: unsupported provider "istio": gitcanary routes with SMI TrafficSplits and Gateway API HTTPRoutes; use smi:crossover, smi:v1alpha1|v1alpha2|v1alpha3[:<mesh>], gatewayapi:v1 or gatewayapi:v1beta1`,
		},
		{
			name: "smi:v1alpha4", provider: "smi:v1alpha4",
			wantErr: `canary podinfo.test: unsupported provider "smi:v1alpha4": gitcanary routes with SMI TrafficSplits and Gateway API HTTPRoutes; use smi:crossover, smi:v1alpha1|v1alpha2|v1alpha3[:<mesh>], gatewayapi:v1 or gatewayapi:v1beta1`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(nil, newSplitClient(), nil, Options{DefaultProvider: tt.def})
			mesh, err := r.Mesh(newCanary(withProvider(tt.provider)))
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantVersion, mesh.Version())
		})
	}
}

func TestCompositeLifecycle(t *testing.T) {
	for _, version := range versions {
		t.Run(version, func(t *testing.T) {
			f := newFixture(t, newTarget())
			c := newCanary(withProvider("smi:" + version))
			ctx := t.Context()
			require.NoError(t, f.router.Reconcile(ctx, c))
			for _, name := range []string{"podinfo", "podinfo-primary", "podinfo-canary"} {
				_ = f.service(t, name)
			}
			require.Equal(t, wantSpec(version, "podinfo", 100, 0), f.split(t, version, "podinfo").Object["spec"])

			require.NoError(t, f.router.SetRoutes(ctx, c, engine.Routes{Primary: 60, Canary: 40}))
			r, err := f.router.Routes(ctx, c)
			require.NoError(t, err)
			require.Equal(t, engine.Routes{Primary: 60, Canary: 40}, r)
			require.NoError(t, f.router.Finalize(ctx, c))
			require.Equal(t, map[string]string{"app": "podinfo-primary"}, f.service(t, "podinfo").Spec.Selector, "an owned apex is left to garbage collection")
		})
	}
}

func TestCompositeUnknownProviderWritesNothing(t *testing.T) {
	f := newFixture(t, newTarget())
	c := newCanary(withProvider("linkerd"))
	require.ErrorContains(t, f.router.Reconcile(t.Context(), c), `unsupported provider "linkerd"`)
	require.ErrorContains(t, f.router.SetRoutes(t.Context(), c, engine.Routes{Primary: 100}), `unsupported provider "linkerd"`)
	_, err := f.router.Routes(t.Context(), c)
	require.ErrorContains(t, err, `unsupported provider "linkerd"`)
	require.Equal(t, 0, f.kubeActions("create", "services"))
	require.Empty(t, f.dyn.Actions())
	require.NoError(t, f.router.Finalize(t.Context(), c), "deletion is never blocked by the provider")
}
