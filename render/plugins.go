package render

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/builtins"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/yaml"
)

// pluginFiles returns the files one builtin plugin configuration makes kustomize load, by field.
// A kind absent from allowedPlugins is not rendered.
type pluginFiles func(config []byte) ([]fileRef, error)

// allowedPlugins are the builtin generators and transformers a kustomization may configure in
// generators, transformers and validators, with the files each loads. Each configuration is
// decoded into kustomize's own plugin type, as kustomize decodes it. Left out: external plugins
// (exec, Go, container and Starlark functions run programs), HelmChartInflationGenerator (runs
// helm) and ValueAddTransformer (alpha; reads arbitrary target files).
var allowedPlugins = map[string]pluginFiles{
	"AnnotationsTransformer":  noFiles,
	"HashTransformer":         noFiles,
	"IAMPolicyGenerator":      noFiles,
	"ImageTagTransformer":     noFiles,
	"LabelTransformer":        noFiles,
	"NamespaceTransformer":    noFiles,
	"PrefixSuffixTransformer": noFiles,
	"PrefixTransformer":       noFiles,
	"ReplicaCountTransformer": noFiles,
	"SuffixTransformer":       noFiles,
	"ConfigMapGenerator": func(c []byte) ([]fileRef, error) {
		var p builtins.ConfigMapGeneratorPlugin
		err := yaml.Unmarshal(c, &p)
		return generatorFiles("", p.GeneratorArgs), err
	},
	"SecretGenerator": func(c []byte) ([]fileRef, error) {
		var p builtins.SecretGeneratorPlugin
		err := yaml.Unmarshal(c, &p)
		return generatorFiles("", p.GeneratorArgs), err
	},
	"PatchTransformer": func(c []byte) ([]fileRef, error) {
		var p builtins.PatchTransformerPlugin
		err := yaml.Unmarshal(c, &p)
		return []fileRef{{field: "path", ref: p.Path}}, err
	},
	"PatchJson6902Transformer": func(c []byte) ([]fileRef, error) {
		var p builtins.PatchJson6902TransformerPlugin
		err := yaml.Unmarshal(c, &p)
		return []fileRef{{field: "path", ref: p.Path}}, err
	},
	"PatchStrategicMergeTransformer": func(c []byte) ([]fileRef, error) {
		var p builtins.PatchStrategicMergeTransformerPlugin
		err := yaml.Unmarshal(c, &p)
		var refs []fileRef
		for i, path := range p.Paths {
			refs = append(refs, fileRef{fmt.Sprintf("paths[%d]", i), string(path), true})
		}
		return refs, err
	},
	"ReplacementTransformer": func(c []byte) ([]fileRef, error) {
		var p builtins.ReplacementTransformerPlugin
		err := yaml.Unmarshal(c, &p)
		var refs []fileRef
		for i, r := range p.ReplacementList {
			refs = append(refs, fileRef{field: fmt.Sprintf("replacements[%d].path", i), ref: r.Path})
		}
		return refs, err
	},
}

func noFiles([]byte) ([]fileRef, error) { return nil, nil }

// allowedPluginKinds lists allowedPlugins for messages.
func allowedPluginKinds() string {
	kinds := make([]string, 0, len(allowedPlugins))
	for k := range allowedPlugins {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return strings.Join(kinds, ", ")
}

// plugin checks one entry of generators, transformers or validators: an inline configuration,
// or a file of configurations. A directory (a kustomization whose output would be the
// configurations) is refused: its patches could write any path into them.
func (c *refChecker) plugin(field, entry string) error {
	if configs, err := c.fs.resources.NewResMapFromBytes([]byte(entry)); err == nil {
		return c.pluginConfigs(field, configs.Resources())
	}
	if err := c.base(field, entry); err != nil {
		return err
	}
	p := c.join(entry)
	if c.fs.IsDir(p) {
		return &RefusedError{File: c.file, Field: field, Reason: fmt.Sprintf("%s is a directory: list configuration files or inline configurations, not a kustomization", entry)}
	}
	data, err := c.fs.ReadFile(p)
	if err != nil {
		var limit *LimitError
		if errors.As(err, &limit) {
			return err
		}
		return nil // kustomize reports the missing file
	}
	configs, err := c.fs.resources.NewResMapFromBytes(data)
	if err != nil {
		return nil // kustomize reports the broken file
	}
	return c.pluginConfigs(field+" ("+relTo(c.fs.root, p)+")", configs.Resources())
}

// pluginConfigs checks each configuration: a builtin plugin on the allow-list whose files are
// local.
func (c *refChecker) pluginConfigs(field string, configs []*resource.Resource) error {
	for _, r := range configs {
		gvk := r.GetGvk()
		kind := gvk.Kind
		if gvk.Group != "" || gvk.Version != konfig.BuiltinPluginApiVersion {
			return &RefusedError{File: c.file, Field: field, Reason: fmt.Sprintf("%s %q (apiVersion %s) is an external kustomize plugin: "+
				"plugins run programs and are never rendered; use one of the builtin kinds (apiVersion builtin): %s",
				kind, r.GetName(), gvk.ApiVersion(), allowedPluginKinds())}
		}
		files, ok := allowedPlugins[kind]
		if !ok {
			return &RefusedError{File: c.file, Field: field, Reason: fmt.Sprintf("builtin %s %q is not rendered by gitcanary; allowed kinds: %s",
				kind, r.GetName(), allowedPluginKinds())}
		}
		config, err := r.AsYAML()
		if err != nil {
			return &FileError{File: c.file, Err: fmt.Errorf("%s: encode %s %q: %w", field, kind, r.GetName(), err)}
		}
		refs, err := files(config)
		if err != nil {
			return &FileError{File: c.file, Err: fmt.Errorf("%s: decode %s %q: %w", field, kind, r.GetName(), err)}
		}
		for i := range refs {
			refs[i].field = fmt.Sprintf("%s: %s %q %s", field, kind, r.GetName(), refs[i].field)
		}
		if err := c.loads(refs); err != nil {
			return err
		}
	}
	return nil
}
