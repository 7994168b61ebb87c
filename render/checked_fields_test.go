package render

import (
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/api/builtins"
	"sigs.k8s.io/kustomize/api/types"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/kustomize-fields.golden")

// pluginTypes are kustomize's types of the allowed builtin plugins. PrefixSuffixTransformer
// configures a PrefixTransformer and a SuffixTransformer with the same configuration.
var pluginTypes = map[string][]any{
	"AnnotationsTransformer":         {builtins.AnnotationsTransformerPlugin{}},
	"HashTransformer":                {builtins.HashTransformerPlugin{}},
	"IAMPolicyGenerator":             {builtins.IAMPolicyGeneratorPlugin{}},
	"ImageTagTransformer":            {builtins.ImageTagTransformerPlugin{}},
	"LabelTransformer":               {builtins.LabelTransformerPlugin{}},
	"NamespaceTransformer":           {builtins.NamespaceTransformerPlugin{}},
	"PrefixSuffixTransformer":        {builtins.PrefixTransformerPlugin{}, builtins.SuffixTransformerPlugin{}},
	"PrefixTransformer":              {builtins.PrefixTransformerPlugin{}},
	"ReplicaCountTransformer":        {builtins.ReplicaCountTransformerPlugin{}},
	"SuffixTransformer":              {builtins.SuffixTransformerPlugin{}},
	"ConfigMapGenerator":             {builtins.ConfigMapGeneratorPlugin{}},
	"SecretGenerator":                {builtins.SecretGeneratorPlugin{}},
	"PatchTransformer":               {builtins.PatchTransformerPlugin{}},
	"PatchJson6902Transformer":       {builtins.PatchJson6902TransformerPlugin{}},
	"PatchStrategicMergeTransformer": {builtins.PatchStrategicMergeTransformerPlugin{}},
	"ReplacementTransformer":         {builtins.ReplacementTransformerPlugin{}},
}

// TestCheckedFieldsMatchKustomize keeps refChecker complete across kustomize upgrades. It lists
// every field of a kustomization and of each allowed builtin plugin configuration, as kustomize
// decodes them, and compares the list with testdata/kustomize-fields.golden, which was reviewed
// field by field: the fields that kustomize reads as a path or a URL are checked in
// kustomization.go and plugins.go, the others never reach kustomize's loader.
//
// When an upgrade of kustomize makes this test fail, review every new field: if kustomize loads
// it as a file or a base, check it in refChecker; then regenerate the list with
// `go test ./render -run TestCheckedFieldsMatchKustomize -update`.
func TestCheckedFieldsMatchKustomize(t *testing.T) {
	var lines []string
	lines = append(lines, fieldLeaves("Kustomization", reflect.TypeOf(types.Kustomization{}))...)
	kinds := make([]string, 0, len(allowedPlugins))
	for kind := range allowedPlugins {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		typs, ok := pluginTypes[kind]
		require.True(t, ok, "allowed plugin %s has no type listed in pluginTypes", kind)
		for _, v := range typs {
			lines = append(lines, fieldLeaves(kind, reflect.TypeOf(v))...)
		}
	}
	got := strings.Join(lines, "\n") + "\n"
	const golden = "testdata/kustomize-fields.golden"
	if *updateGolden {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), got, "kustomize's fields changed: review them (see the test's comment)")
}

// fieldLeaves lists the leaf fields of t by JSON path, e.g. "Kustomization patches[].path string".
func fieldLeaves(prefix string, t reflect.Type) []string {
	var out []string
	var walk func(t reflect.Type, path string, seen map[reflect.Type]bool)
	walk = func(t reflect.Type, path string, seen map[reflect.Type]bool) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			if seen[t] {
				out = append(out, fmt.Sprintf("%s %s (recursive %s)", prefix, path, t))
				return
			}
			seen[t] = true
			defer delete(seen, t)
			for i := range t.NumField() {
				f := t.Field(i)
				name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
				if !f.IsExported() || name == "-" {
					continue
				}
				if (f.Anonymous && name == "") || strings.Contains(opts, "inline") {
					walk(f.Type, path, seen)
					continue
				}
				if name == "" {
					name = f.Name
				}
				walk(f.Type, strings.TrimPrefix(path+"."+name, "."), seen)
			}
		case reflect.Slice, reflect.Array:
			walk(t.Elem(), path+"[]", seen)
		case reflect.Map:
			walk(t.Elem(), path+".*", seen)
		default:
			out = append(out, fmt.Sprintf("%s %s %s", prefix, path, t.Kind()))
		}
	}
	walk(t, "", map[reflect.Type]bool{})
	return out
}
