package render

import (
	"fmt"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// scanner walks the kustomization files reachable from an overlay before kustomize runs, and
// refuses what would leave the repository: remote bases and files, paths outside the root,
// and Helm charts (which run the helm binary).
type scanner struct {
	fs      *confinedFS
	seen    map[string]bool
	relName func(abs string) string
}

// kustomizationFile returns the kustomization file of dir, or "" when it has none.
func kustomizationFile(fs *confinedFS, dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, name)
		if fs.Exists(p) && !fs.IsDir(p) {
			return p
		}
	}
	return ""
}

// scanDir checks the kustomization of dir and, recursively, of the local directories it includes.
func (s *scanner) scanDir(dir string) error {
	if s.seen[dir] {
		return nil
	}
	s.seen[dir] = true
	file := kustomizationFile(s.fs, dir)
	if file == "" {
		return nil
	}
	data, err := s.fs.ReadFile(file)
	if err != nil {
		return &FileError{File: s.relName(file), Err: err}
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return &FileError{File: s.relName(file), Err: fmt.Errorf("decode kustomization: %w", err)}
	}
	if len(k.HelmCharts) > 0 || k.HelmGlobals != nil {
		return &FileError{File: s.relName(file), Err: fmt.Errorf("helmCharts: Helm charts are not rendered (they run the helm binary); render them into the repository")}
	}
	for field, refs := range referencedPaths(&k) {
		for _, ref := range refs {
			if err := s.checkRef(dir, file, field, ref); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkRef checks one path of a kustomization: it must be local and inside the root; local
// directories of resources, bases and components are scanned in turn.
func (s *scanner) checkRef(dir, file, field, ref string) error {
	if ref == "" || strings.HasPrefix(strings.TrimSpace(ref), "apiVersion:") {
		return nil // inline plugin configuration, not a path
	}
	p := ref
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, ref)
	}
	if looksRemote(ref) && !s.fs.disk.Exists(p) {
		return &RemoteError{File: s.relName(file), Field: field, Ref: ref}
	}
	if _, err := s.fs.check(p); err != nil {
		return &FileError{File: s.relName(file), Err: fmt.Errorf("%s: %w", field, err)}
	}
	if (field == "resources" || field == "bases" || field == "components") && s.fs.IsDir(p) {
		return s.scanDir(p)
	}
	return nil
}

// looksRemote reports whether a kustomization entry is a URL or a go-getter style Git reference.
func looksRemote(ref string) bool {
	if strings.Contains(ref, "://") || strings.HasPrefix(ref, "git@") || strings.Contains(ref, "?ref=") ||
		strings.Contains(ref, "?version=") || strings.Contains(ref, ".git//") || strings.Contains(ref, ".git/") {
		return true
	}
	host, _, hasPath := strings.Cut(ref, "/")
	return hasPath && strings.Contains(host, ".") && !strings.HasPrefix(host, ".")
}

// referencedPaths returns the paths and URLs a kustomization refers to, by field.
func referencedPaths(k *types.Kustomization) map[string][]string {
	refs := map[string][]string{
		"resources":      k.Resources,
		"bases":          k.Bases, //nolint:staticcheck // deprecated but still honoured by kustomize
		"components":     k.Components,
		"crds":           k.Crds,
		"configurations": k.Configurations,
		"generators":     k.Generators,
		"transformers":   k.Transformers,
		"validators":     k.Validators,
	}
	for _, p := range k.PatchesStrategicMerge { //nolint:staticcheck // deprecated but still honoured
		refs["patchesStrategicMerge"] = append(refs["patchesStrategicMerge"], string(p))
	}
	for _, p := range k.Patches {
		refs["patches"] = append(refs["patches"], p.Path)
	}
	for _, p := range k.PatchesJson6902 { //nolint:staticcheck // deprecated but still honoured
		refs["patchesJson6902"] = append(refs["patchesJson6902"], p.Path)
	}
	for _, r := range k.Replacements {
		refs["replacements"] = append(refs["replacements"], r.Path)
	}
	if p, ok := k.OpenAPI["path"]; ok {
		refs["openapi"] = append(refs["openapi"], p)
	}
	for _, g := range k.ConfigMapGenerator {
		refs["configMapGenerator"] = append(refs["configMapGenerator"], generatorFiles(g.GeneratorArgs)...)
	}
	for _, g := range k.SecretGenerator {
		refs["secretGenerator"] = append(refs["secretGenerator"], generatorFiles(g.GeneratorArgs)...)
	}
	return refs
}

// generatorFiles returns the files a ConfigMap or Secret generator reads. A file source may be
// written key=path.
func generatorFiles(g types.GeneratorArgs) []string {
	var out []string
	for _, f := range g.FileSources {
		if _, path, ok := strings.Cut(f, "="); ok {
			f = path
		}
		out = append(out, f)
	}
	out = append(out, g.EnvSources...)
	if g.EnvSource != "" { //nolint:staticcheck // deprecated but still honoured
		out = append(out, g.EnvSource)
	}
	return out
}
