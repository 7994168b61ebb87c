package walkthrough

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// TestPolicyEdits applies the policy edits to the example's Canary and checks the result
// decodes strictly and validates.
func TestPolicyEdits(t *testing.T) {
	o, err := PodinfoOverlay("../..", "e2e", "3s")
	require.NoError(t, err)
	o.Edit("canary.yaml", NoDataSkip(3)).Edit("canary.yaml", HoldQueryErrors("2m")).
		Edit("canary.yaml", WithoutLoadTest).Edit("canary.yaml", Threshold(1))
	var c v1beta1.Canary
	require.NoError(t, yaml.UnmarshalStrict(o[OverlayPath+"/canary.yaml"], &c))
	require.NoError(t, v1beta1.ValidateCanary(&c))
	a := c.Spec.Analysis
	require.Equal(t, 1, a.Threshold)
	require.Equal(t, v1beta1.QueryErrorHold, a.QueryErrorPolicy())
	require.Equal(t, "2m", a.QueryErrors.MaxHold)
	require.Len(t, a.Metrics, 2)
	for _, m := range a.Metrics {
		require.Equal(t, v1beta1.NoDataSkip, m.NoDataPolicy(), m.Name)
		require.Equal(t, 3, m.NoDataLimit(), m.Name)
	}
	require.Len(t, a.Webhooks, 1)
	require.Equal(t, "acceptance-test", a.Webhooks[0].Name)

	// Skip also applies to the built-in metrics the rollback walkthrough uses.
	b, err := PodinfoOverlay("../..", "e2e", "3s")
	require.NoError(t, err)
	b.Edit("canary.yaml", BuiltinMetrics).Edit("canary.yaml", NoDataSkip(2))
	require.NoError(t, yaml.UnmarshalStrict(b[OverlayPath+"/canary.yaml"], &c))
	require.Equal(t, v1beta1.BuiltinRequestSuccessRate, c.Spec.Analysis.Metrics[0].Name)
	require.Equal(t, 2, c.Spec.Analysis.Metrics[0].NoDataLimit())
}
