package v1beta1

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"sigs.k8s.io/yaml"
)

// loadCRD decodes a generated CRD strictly, as an apiextensions.k8s.io/v1 object.
func loadCRD(t *testing.T, file string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "manifests", "crds", file))
	require.NoError(t, err)
	crd := &apiextensionsv1.CustomResourceDefinition{}
	require.NoError(t, yaml.UnmarshalStrict(data, crd))
	require.Equal(t, "apiextensions.k8s.io/v1", crd.APIVersion)
	require.Equal(t, "CustomResourceDefinition", crd.Kind)
	require.Equal(t, GroupName, crd.Spec.Group)
	require.Len(t, crd.Spec.Versions, 1)
	v := crd.Spec.Versions[0]
	require.Equal(t, "v1beta1", v.Name)
	require.True(t, v.Served && v.Storage)
	require.NotNil(t, v.Subresources)
	require.NotNil(t, v.Subresources.Status, "status subresource")
	require.Contains(t, crd.Spec.Names.Categories, "all")
	return crd
}

func TestCanaryCRD(t *testing.T) {
	crd := loadCRD(t, "flagger.app_canaries.yaml")
	require.Equal(t, "canaries.flagger.app", crd.Name)
	require.Equal(t, apiextensionsv1.NamespaceScoped, crd.Spec.Scope)
	v := crd.Spec.Versions[0]

	columns := map[string]apiextensionsv1.CustomResourceColumnDefinition{}
	for _, c := range v.AdditionalPrinterColumns {
		columns[c.Name] = c
	}
	for name, path := range map[string]string{
		"Status": ".status.phase", "Weight": ".status.canaryWeight", "FailedChecks": ".status.failedChecks",
		"Interval": ".spec.analysis.interval", "LastTransitionTime": ".status.lastTransitionTime",
	} {
		require.Contains(t, columns, name)
		require.Equal(t, path, columns[name].JSONPath, name)
	}
	require.Equal(t, int32(0), columns["Status"].Priority, "STATUS shows in kubectl get")
	require.Equal(t, int32(0), columns["Weight"].Priority)
	require.Equal(t, int32(0), columns["LastTransitionTime"].Priority)

	status := v.Schema.OpenAPIV3Schema.Properties["status"]
	conditions := status.Properties["conditions"].Items.Schema
	require.Contains(t, conditions.Properties, "type")
	require.Contains(t, conditions.Properties, "lastTransitionTime")
	var phases []string
	for _, e := range status.Properties["phase"].Enum {
		phases = append(phases, string(e.Raw))
	}
	require.Contains(t, phases, `"Succeeded"`)
	require.Contains(t, phases, `"Terminated"`)

	spec := v.Schema.OpenAPIV3Schema.Properties["spec"]
	require.ElementsMatch(t, []string{"targetRef", "service"}, spec.Required)
	require.True(t, *spec.Properties["analysis"].Properties["match"].Items.Schema.XPreserveUnknownFields,
		"other meshes' fields round-trip")
}

func TestMetricTemplateAndAlertProviderCRDs(t *testing.T) {
	mt := loadCRD(t, "flagger.app_metrictemplates.yaml")
	require.Equal(t, ".spec.provider.type", mt.Spec.Versions[0].AdditionalPrinterColumns[0].JSONPath)
	ap := loadCRD(t, "flagger.app_alertproviders.yaml")
	require.Equal(t, ".spec.type", ap.Spec.Versions[0].AdditionalPrinterColumns[0].JSONPath)
}

// TestManifestsPassTheCRDSchema validates the example overlay's and the seed's flagger.app
// objects against the generated CRD schemas, as the API server will: a field the schema
// requires but Flagger's users omit (portDiscovery once was) fails here, not in a cluster.
func TestManifestsPassTheCRDSchema(t *testing.T) {
	validators := map[string]apiservervalidation.SchemaCreateValidator{}
	for kind, file := range map[string]string{
		CanaryKind:         "flagger.app_canaries.yaml",
		MetricTemplateKind: "flagger.app_metrictemplates.yaml",
		AlertProviderKind:  "flagger.app_alertproviders.yaml",
	} {
		crd := loadCRD(t, file)
		internal := &apiextensions.JSONSchemaProps{}
		require.NoError(t, apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(crd.Spec.Versions[0].Schema.OpenAPIV3Schema, internal, nil))
		v, _, err := apiservervalidation.NewSchemaValidator(internal)
		require.NoError(t, err)
		validators[kind] = v
	}
	files := []string{
		"../../manifests/examples/podinfo/canary.yaml",
		"../../manifests/examples/podinfo/metric-templates.yaml",
		"../../render/testdata/seed/podinfo-canary.yaml",
		"../../render/testdata/seed/error-rate.yaml",
		"../../render/testdata/seed/latency.yaml",
	}
	validated := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, doc := range strings.Split(string(data), "\n---\n") {
			obj := map[string]any{}
			require.NoError(t, yaml.Unmarshal([]byte(doc), &obj))
			kind, _ := obj["kind"].(string)
			v, ok := validators[kind]
			require.True(t, ok, "%s: kind %q", f, kind)
			errs := apiservervalidation.ValidateCustomResource(nil, obj, v)
			require.Empty(t, errs, "%s: %s", f, kind)
			validated++
		}
	}
	require.Equal(t, 6, validated)

	// And the schema can fail: a Canary without its required service.
	canary := map[string]any{"apiVersion": "flagger.app/v1beta1", "kind": "Canary", "metadata": map[string]any{"name": "x"},
		"spec": map[string]any{"targetRef": map[string]any{"name": "podinfo", "kind": "Deployment"}}}
	errs := apiservervalidation.ValidateCustomResource(nil, canary, validators[CanaryKind])
	require.NotEmpty(t, errs)
	require.Contains(t, errs.ToAggregate().Error(), "spec.service")
}
