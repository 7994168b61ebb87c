package router

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// crdPath is the TrafficSplit CRD gitcanary ships for clusters that lack it.
const crdPath = "../manifests/smi/trafficsplits.yaml"

func loadCRD(t *testing.T) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	raw, err := os.ReadFile(crdPath)
	require.NoError(t, err)
	var crd apiextensionsv1.CustomResourceDefinition
	require.NoError(t, yaml.UnmarshalStrict(raw, &crd))
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(&crd)
	return &crd
}

// TestCRDIsValid runs the API server's own CRD validation over the shipped manifest.
func TestCRDIsValid(t *testing.T) {
	crd := loadCRD(t)
	var internal apiextensions.CustomResourceDefinition
	require.NoError(t, apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, &internal, nil))
	require.Empty(t, crdvalidation.ValidateCustomResourceDefinition(t.Context(), &internal))

	served := map[string]bool{}
	for _, v := range crd.Spec.Versions {
		served[v.Name] = v.Served
	}
	for _, v := range versions {
		require.True(t, served[v], "version %s is served", v)
	}
}

// TestCRDAcceptsWhatSMIWrites validates the specs the SMI router writes against the schema of
// their version, and checks that each schema rejects the other weight spelling.
func TestCRDAcceptsWhatSMIWrites(t *testing.T) {
	crd := loadCRD(t)
	for _, v := range crd.Spec.Versions {
		if _, ok := weightEncoders[v.Name]; !ok {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			var schema apiextensions.JSONSchemaProps
			require.NoError(t, apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &schema, nil))
			validator, _, err := validation.NewSchemaValidator(&schema)
			require.NoError(t, err)

			for _, w := range [][2]int{{100, 0}, {95, 5}, {0, 100}} {
				obj := map[string]any{
					"apiVersion": SplitGroup + "/" + v.Name, "kind": splitKind,
					"metadata": map[string]any{"name": "podinfo", "namespace": ns},
					"spec":     specFor(v.Name, "podinfo", "podinfo-canary", "podinfo-primary", w[0], w[1]),
				}
				res := validator.Validate(obj)
				require.Empty(t, res.Errors, "weights %v", w)
			}

			other := "5"
			if v.Name == v1beta1.SMIv1alpha1 {
				other = "five"
			}
			bad := map[string]any{"spec": map[string]any{
				"service":  "podinfo",
				"backends": []any{map[string]any{"service": "podinfo-canary", "weight": other}},
			}}
			require.NotEmpty(t, validator.Validate(bad).Errors, "weight %q is rejected", other)
		})
	}
}

// TestKustomization builds manifests/smi with kustomize, as the install overlay does.
func TestKustomization(t *testing.T) {
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), "../manifests/smi")
	require.NoError(t, err)
	require.Len(t, res.Resources(), 1)
	require.Equal(t, "trafficsplits.split.smi-spec.io", res.Resources()[0].GetName())
}
