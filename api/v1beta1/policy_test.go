package v1beta1

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPolicyDefaults(t *testing.T) {
	var m CanaryMetric
	require.Equal(t, NoDataFail, m.NoDataPolicy(), "Flagger's behaviour without the field")
	require.Equal(t, DefaultNoDataLimit, m.NoDataLimit())
	m.NoData = &CanaryMetricNoData{Policy: NoDataSkip, Limit: 3}
	require.Equal(t, NoDataSkip, m.NoDataPolicy())
	require.Equal(t, 3, m.NoDataLimit())

	var none *CanaryAnalysis
	require.Equal(t, QueryErrorFail, none.QueryErrorPolicy())
	a := &CanaryAnalysis{}
	require.Equal(t, QueryErrorFail, a.QueryErrorPolicy())
	require.Equal(t, DefaultMaxHold, a.MaxHold())
	a.QueryErrors = &CanaryQueryErrors{Policy: QueryErrorHold, MaxHold: "90s"}
	require.Equal(t, QueryErrorHold, a.QueryErrorPolicy())
	require.Equal(t, 90*time.Second, a.MaxHold())
	a.QueryErrors.MaxHold = "soon"
	require.Equal(t, DefaultMaxHold, a.MaxHold(), "validation rejects it; the accessor stays safe")
}

// TestCanaryCRDPolicyFields checks that the gitcanary extensions reach the generated schema,
// with their enums, so the API server keeps (and checks) them.
func TestCanaryCRDPolicyFields(t *testing.T) {
	v := loadCRD(t, "flagger.app_canaries.yaml").Spec.Versions[0]
	analysis := v.Schema.OpenAPIV3Schema.Properties["spec"].Properties["analysis"]
	metric := analysis.Properties["metrics"].Items.Schema
	var noData []string
	for _, e := range metric.Properties["noData"].Properties["policy"].Enum {
		noData = append(noData, string(e.Raw))
	}
	require.Equal(t, []string{`"Fail"`, `"Skip"`, `"Pass"`}, noData)
	require.Contains(t, metric.Properties, "minRequests")
	var hold []string
	for _, e := range analysis.Properties["queryErrors"].Properties["policy"].Enum {
		hold = append(hold, string(e.Raw))
	}
	require.Equal(t, []string{`"Fail"`, `"Hold"`}, hold)
	status := v.Schema.OpenAPIV3Schema.Properties["status"].Properties["analysis"]
	check := status.Properties["checks"].Items.Schema
	for _, f := range []string{"kind", "name", "verdict", "value", "thresholdRange", "query", "address", "statusCode", "body", "message"} {
		require.Contains(t, check.Properties, f)
	}
	require.Contains(t, status.Properties, "noDataIntervals")
	require.Contains(t, status.Properties, "holdingSince")
}
