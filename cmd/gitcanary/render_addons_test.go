package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The add-ons render as they are applied: the names the seed's YAML relies on, in the
// namespaces it uses.
func TestRenderAddons(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{path: "../../manifests/addons/prometheus", want: []string{
			"ServiceAccount gitcanary-system/flagger-prometheus",
			"ClusterRole gitcanary-flagger-prometheus",
			"ClusterRoleBinding gitcanary-flagger-prometheus",
			"Deployment gitcanary-system/flagger-prometheus",
			"Service gitcanary-system/flagger-prometheus",
		}},
		{path: "../../manifests/addons/loadtester", want: []string{
			"Deployment test/flagger-loadtester",
			"Service test/flagger-loadtester",
		}},
		{path: "../../manifests/addons/grafana", want: []string{
			"Deployment test/flagger-grafana",
			"Service test/flagger-grafana",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "render", tt.path)
			require.Equal(t, exitOK, code, stderr)
			require.Empty(t, stderr)
			for _, want := range tt.want {
				require.Contains(t, stdout, want+"\n")
			}
		})
	}
}

// The Grafana add-on provisions the dashboard the seed links to, /d/flagger-envoy/envoy-canary
// (uid and the slug of its title), with the namespace and target variables the link sets, on
// the prometheus add-on's Service.
func TestGrafanaAddonDashboard(t *testing.T) {
	code, stdout, stderr := runCmd(t, "render", "-o", "json", "../../manifests/addons/grafana")
	require.Equal(t, exitOK, code, stderr)
	var list struct {
		Items []struct {
			Kind     string
			Metadata struct{ Name string }
			Data     map[string]string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &list))
	var dashboard, datasources string
	for _, it := range list.Items {
		if it.Kind == "ConfigMap" {
			dashboard += it.Data["envoy-canary.json"]
			datasources += it.Data["datasources.yaml"]
		}
	}
	var d struct {
		UID, Title string
		Templating struct{ List []struct{ Name string } }
	}
	require.NoError(t, json.Unmarshal([]byte(dashboard), &d))
	require.Equal(t, "flagger-envoy", d.UID)
	require.Equal(t, "Envoy Canary", d.Title, "the slug envoy-canary comes from the title")
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	require.Subset(t, vars, []string{"namespace", "target"})
	require.Contains(t, datasources, "url: http://flagger-prometheus.gitcanary-system:9090")
}
