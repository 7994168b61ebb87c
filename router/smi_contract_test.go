package router

import (
	"testing"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// wantWeight spells a weight as the TrafficSplit version does in JSON: a string for v1alpha1's
// Quantity, an integer for v1alpha2 and v1alpha3.
func wantWeight(version string, w int) any {
	if version == v1beta1.SMIv1alpha1 {
		return map[int]string{0: "0", 5: "5", 95: "95", 100: "100"}[w]
	}
	return int64(w)
}

func wantSpec(version, service string, primary, canary int) map[string]any {
	return map[string]any{
		"service": service,
		"backends": []any{
			map[string]any{"service": "podinfo-canary", "weight": wantWeight(version, canary)},
			map[string]any{"service": "podinfo-primary", "weight": wantWeight(version, primary)},
		},
	}
}

func newMesh(t *testing.T, f *fixture, version string) *SMI {
	t.Helper()
	s, err := NewSMI(f.dyn, f.splits, v1beta1.Provider{Raw: "smi:" + version, SMIVersion: version, Mesh: "smi:" + version}, SMIOptions{})
	require.NoError(t, err)
	return s
}

// TestSMIContract runs the same lifecycle over every TrafficSplit version: create with 0/100,
// set routes, read them back, leave weights alone on reconcile, repair drift.
func TestSMIContract(t *testing.T) {
	for _, version := range versions {
		t.Run(version, func(t *testing.T) {
			f := newFixture(t)
			s := newMesh(t, f, version)
			c := newCanary()
			ctx := t.Context()

			// Create: everything to the primary.
			require.NoError(t, s.Reconcile(ctx, c))
			u := f.split(t, version, "podinfo")
			require.Equal(t, "split.smi-spec.io/"+version, u.GetAPIVersion())
			require.Equal(t, "TrafficSplit", u.GetKind())
			require.Equal(t, ns, u.GetNamespace())
			require.Equal(t, []any{ownerMap()}, u.Object["metadata"].(map[string]any)["ownerReferences"])
			require.Empty(t, u.GetAnnotations())
			require.Equal(t, wantSpec(version, "podinfo", 100, 0), u.Object["spec"])
			p, cw, err := s.Routes(ctx, c)
			require.NoError(t, err)
			require.Equal(t, [2]int{100, 0}, [2]int{p, cw})

			// Set routes and read them back.
			require.NoError(t, s.SetRoutes(ctx, c, 95, 5))
			require.Equal(t, wantSpec(version, "podinfo", 95, 5), f.split(t, version, "podinfo").Object["spec"])
			p, cw, err = s.Routes(ctx, c)
			require.NoError(t, err)
			require.Equal(t, [2]int{95, 5}, [2]int{p, cw})

			// Reconcile leaves the weights alone.
			updates := f.splitActions("update")
			require.NoError(t, s.Reconcile(ctx, c))
			require.Equal(t, updates, f.splitActions("update"))
			require.Equal(t, wantSpec(version, "podinfo", 95, 5), f.split(t, version, "podinfo").Object["spec"])

			// Drift of the service: the whole spec is rewritten, back to 0/100.
			u = f.split(t, version, "podinfo")
			require.NoError(t, unstructured.SetNestedField(u.Object, "other", "spec", "service"))
			f.updateSplit(t, version, u)
			require.NoError(t, s.Reconcile(ctx, c))
			require.Equal(t, wantSpec(version, "podinfo", 100, 0), f.split(t, version, "podinfo").Object["spec"])

			// Drift of the backend order.
			require.NoError(t, s.SetRoutes(ctx, c, 5, 95))
			u = f.split(t, version, "podinfo")
			b := u.Object["spec"].(map[string]any)["backends"].([]any)
			b[0], b[1] = b[1], b[0]
			f.updateSplit(t, version, u)
			require.NoError(t, s.Reconcile(ctx, c))
			require.Equal(t, wantSpec(version, "podinfo", 100, 0), f.split(t, version, "podinfo").Object["spec"])

			// Drift by an extra field (v1alpha3 matches).
			u = f.split(t, version, "podinfo")
			require.NoError(t, unstructured.SetNestedSlice(u.Object, []any{map[string]any{"kind": "HTTPRouteGroup", "name": "x"}}, "spec", "matches"))
			f.updateSplit(t, version, u)
			require.NoError(t, s.Reconcile(ctx, c))
			require.Equal(t, wantSpec(version, "podinfo", 100, 0), f.split(t, version, "podinfo").Object["spec"])
		})
	}
}

func ownerMap() map[string]any {
	return map[string]any{
		"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "name": "podinfo", "uid": "canary-uid",
		"controller": true, "blockOwnerDeletion": true,
	}
}

func TestSMIHosts(t *testing.T) {
	for _, version := range versions {
		t.Run(version, func(t *testing.T) {
			f := newFixture(t)
			c := newCanary(func(c *v1beta1.Canary) {
				c.Spec.Service.Name = "podinfo"
				c.Spec.Service.Hosts = []string{"podinfo.example.com", "other"}
			})
			require.NoError(t, newMesh(t, f, version).Reconcile(t.Context(), c))
			require.Equal(t, wantSpec(version, "podinfo.example.com", 100, 0), f.split(t, version, "podinfo").Object["spec"])
		})
	}
}

func TestSMIServiceName(t *testing.T) {
	f := newFixture(t)
	c := newCanary(func(c *v1beta1.Canary) { c.Spec.Service.Name = "web" })
	s := newMesh(t, f, v1beta1.SMIv1alpha2)
	require.NoError(t, s.Reconcile(t.Context(), c))
	require.Equal(t, map[string]any{
		"service": "web",
		"backends": []any{
			map[string]any{"service": "web-canary", "weight": int64(0)},
			map[string]any{"service": "web-primary", "weight": int64(100)},
		},
	}, f.split(t, v1beta1.SMIv1alpha2, "web").Object["spec"])
}

func TestSMIIstioGateways(t *testing.T) {
	tests := []struct {
		name     string
		provider v1beta1.Provider
		want     map[string]string
	}{
		{
			name:     "istio mesh",
			provider: v1beta1.Provider{SMIVersion: v1beta1.SMIv1alpha3, Mesh: "istio"},
			want:     map[string]string{"VirtualService.v1alpha3.networking.istio.io/spec.gateways": `["public-gateway","mesh"]`},
		},
		{
			name:     "other mesh",
			provider: v1beta1.Provider{SMIVersion: v1beta1.SMIv1alpha3, Mesh: "crossover"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			s, err := NewSMI(f.dyn, f.splits, tt.provider, SMIOptions{})
			require.NoError(t, err)
			c := newCanary(func(c *v1beta1.Canary) { c.Spec.Service.Gateways = []string{"public-gateway", "mesh"} })
			require.NoError(t, s.Reconcile(t.Context(), c))
			require.Equal(t, tt.want, f.split(t, v1beta1.SMIv1alpha3, "podinfo").GetAnnotations())
		})
	}
}

func TestSMISetRoutesRetriesConflicts(t *testing.T) {
	for _, version := range versions {
		t.Run(version, func(t *testing.T) {
			f := newFixture(t)
			s := newMesh(t, f, version)
			c := newCanary()
			require.NoError(t, s.Reconcile(t.Context(), c))
			conflicts := 2
			f.dyn.PrependReactor("update", "trafficsplits", func(k8stesting.Action) (bool, runtime.Object, error) {
				if conflicts == 0 {
					return false, nil, nil
				}
				conflicts--
				return true, nil, apierrors.NewConflict(schema.GroupResource{Group: SplitGroup, Resource: "trafficsplits"}, "podinfo", nil)
			})
			require.NoError(t, s.SetRoutes(t.Context(), c, 90, 10))
			require.Equal(t, 0, conflicts)
			p, cw, err := s.Routes(t.Context(), c)
			require.NoError(t, err)
			require.Equal(t, [2]int{90, 10}, [2]int{p, cw})
		})
	}
}

func TestSMIErrors(t *testing.T) {
	for _, version := range versions {
		t.Run(version, func(t *testing.T) {
			f := newFixture(t)
			s := newMesh(t, f, version)
			c := newCanary()
			ctx := t.Context()

			err := s.SetRoutes(ctx, c, 50, 50)
			require.EqualError(t, err, `TrafficSplit podinfo.test get query error: trafficsplits.split.smi-spec.io "podinfo" not found`)
			require.True(t, apierrors.IsNotFound(err))
			_, _, err = s.Routes(ctx, c)
			require.EqualError(t, err, `TrafficSplit podinfo.test get query error: trafficsplits.split.smi-spec.io "podinfo" not found`)

			err = s.SetRoutes(ctx, c, 90, 20)
			require.EqualError(t, err, "set TrafficSplit podinfo.test weights primary 90 canary 20: invalid weights")
			require.ErrorIs(t, err, ErrInvalidWeights)
			require.ErrorIs(t, s.SetRoutes(ctx, c, 110, -10), ErrInvalidWeights)

			require.NoError(t, s.Reconcile(ctx, c))
			u := f.split(t, version, "podinfo")
			require.NoError(t, unstructured.SetNestedSlice(u.Object, []any{
				map[string]any{"service": "podinfo-canary", "weight": wantWeight(version, 0)},
				map[string]any{"service": "podinfo-primary", "weight": wantWeight(version, 0)},
			}, "spec", "backends"))
			f.updateSplit(t, version, u)
			_, _, err = s.Routes(ctx, c)
			require.EqualError(t, err, "TrafficSplit podinfo.test does not contain routes for podinfo-primary and podinfo-canary")
			require.ErrorIs(t, err, ErrNoRoutes)

			f.dyn.PrependReactor("create", "trafficsplits", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: SplitGroup, Resource: "trafficsplits"}, "web", nil)
			})
			err = s.Reconcile(ctx, newCanary(func(c *v1beta1.Canary) { c.Spec.Service.Name = "web" }))
			require.ErrorContains(t, err, "TrafficSplit web.test create error: ")
			require.True(t, apierrors.IsForbidden(err))
		})
	}
}

func TestNewSMIUnsupportedVersion(t *testing.T) {
	_, err := NewSMI(newSplitClient(), nil, v1beta1.Provider{Raw: "smi:v1alpha9", SMIVersion: "v1alpha9"}, SMIOptions{})
	require.EqualError(t, err, `provider "smi:v1alpha9": unsupported TrafficSplit version "v1alpha9"`)
	require.ErrorIs(t, err, ErrUnsupportedVersion)
}

// TestSMIReadsEitherWeightSpelling: Crossover and the API server may hand back a weight in the
// other version's spelling (no conversion webhook); Routes reads both.
func TestSMIReadsEitherWeightSpelling(t *testing.T) {
	tests := []struct {
		name        string
		canary      any
		primary     any
		wantPrimary int
		wantCanary  int
		wantErr     string
	}{
		{name: "strings", canary: "10", primary: "90", wantPrimary: 90, wantCanary: 10},
		{name: "integers", canary: int64(10), primary: int64(90), wantPrimary: 90, wantCanary: 10},
		{name: "floats", canary: float64(10), primary: float64(90), wantPrimary: 90, wantCanary: 10},
		{name: "bad quantity", canary: "ten", primary: "90", wantErr: "TrafficSplit podinfo.test read spec: weight \"ten\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, version := range versions {
				f := newFixture(t)
				s := newMesh(t, f, version)
				c := newCanary()
				require.NoError(t, s.Reconcile(t.Context(), c))
				u := f.split(t, version, "podinfo")
				require.NoError(t, unstructured.SetNestedSlice(u.Object, []any{
					map[string]any{"service": "podinfo-canary", "weight": tt.canary},
					map[string]any{"service": "podinfo-primary", "weight": tt.primary},
				}, "spec", "backends"))
				f.updateSplit(t, version, u)
				p, cw, err := s.Routes(t.Context(), c)
				if tt.wantErr != "" {
					require.EqualError(t, err, tt.wantErr)
					continue
				}
				require.NoError(t, err)
				require.Equal(t, [2]int{tt.wantPrimary, tt.wantCanary}, [2]int{p, cw})
			}
		})
	}
}
