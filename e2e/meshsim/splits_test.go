package meshsim

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func trafficSplit(version string, canary, primary any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": SplitGroup + "/" + version,
		"kind":       "TrafficSplit",
		"metadata":   map[string]any{"name": "podinfo", "namespace": "test"},
		"spec": map[string]any{
			"service": "podinfo",
			"backends": []any{
				map[string]any{"service": "podinfo-canary", "weight": canary},
				map[string]any{"service": "podinfo-primary", "weight": primary},
			},
		},
	}}
}

func TestSplitFromUnstructured(t *testing.T) {
	want := Split{Namespace: "test", Name: "podinfo", Service: "podinfo", Backends: []Backend{
		{Service: "podinfo-canary", Weight: 5}, {Service: "podinfo-primary", Weight: 95},
	}}
	tests := []struct {
		name    string
		obj     *unstructured.Unstructured
		want    Split
		wantErr bool
	}{
		{name: "v1alpha1 string weights", obj: trafficSplit("v1alpha1", "5", "95"), want: want},
		{name: "v1alpha2 integer weights", obj: trafficSplit("v1alpha2", int64(5), int64(95)), want: want},
		{name: "v1alpha3 float weights from JSON", obj: trafficSplit("v1alpha3", float64(5), float64(95)), want: want},
		{name: "v1alpha1 milli quantity", obj: trafficSplit("v1alpha1", "5000m", "95"), want: want},
		{name: "missing weight is zero", obj: trafficSplit("v1alpha1", nil, "100"), want: Split{Namespace: "test", Name: "podinfo", Service: "podinfo",
			Backends: []Backend{{Service: "podinfo-canary"}, {Service: "podinfo-primary", Weight: 100}}}},
		{name: "bad quantity", obj: trafficSplit("v1alpha1", "five", "95"), wantErr: true},
		{name: "negative weight", obj: trafficSplit("v1alpha2", int64(-5), int64(105)), wantErr: true},
		{name: "boolean weight", obj: trafficSplit("v1alpha2", true, int64(100)), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitFromUnstructured(tt.obj)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestSplitWithoutServiceUsesName(t *testing.T) {
	u := trafficSplit("v1alpha2", int64(0), int64(100))
	unstructured.RemoveNestedField(u.Object, "spec", "service")
	got, err := SplitFromUnstructured(u)
	require.NoError(t, err)
	require.Equal(t, "podinfo", got.Service)
}

func TestPickerFollowsWeightsExactly(t *testing.T) {
	tests := []struct {
		name    string
		weights []int64
		n       int
		want    []int
	}{
		{name: "30/70 over 1000", weights: []int64{30, 70}, n: 1000, want: []int{300, 700}},
		{name: "5/95 over 100", weights: []int64{5, 95}, n: 100, want: []int{5, 95}},
		{name: "all to primary", weights: []int64{0, 100}, n: 50, want: []int{0, 50}},
		{name: "all to canary", weights: []int64{100, 0}, n: 50, want: []int{50, 0}},
		{name: "three backends", weights: []int64{1, 2, 7}, n: 1000, want: []int{100, 200, 700}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bs []Backend
			for i, w := range tt.weights {
				bs = append(bs, Backend{Service: string(rune('a' + i)), Weight: w})
			}
			var p picker
			got := make([]int, len(bs))
			for range tt.n {
				i := p.next(bs)
				require.GreaterOrEqual(t, i, 0)
				got[i]++
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestPickerSpreadsAndResets(t *testing.T) {
	var p picker
	bs := []Backend{{Service: "canary", Weight: 50}, {Service: "primary", Weight: 50}}
	require.Equal(t, []int{0, 1, 0, 1}, []int{p.next(bs), p.next(bs), p.next(bs), p.next(bs)}, "equal weights alternate")
	require.Equal(t, -1, p.next([]Backend{{Service: "canary"}, {Service: "primary"}}), "all weights zero")
	moved := []Backend{{Service: "canary", Weight: 100}, {Service: "primary", Weight: 0}}
	for range 10 {
		require.Equal(t, 0, p.next(moved))
	}
}
