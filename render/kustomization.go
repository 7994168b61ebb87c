package render

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
)

// isKustomizationName reports whether a file name is one kustomize reads as a kustomization.
func isKustomizationName(name string) bool {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if name == n {
			return true
		}
	}
	return false
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

// refChecker checks the references of one kustomization file before kustomize reads it.
//
// kustomize reaches the network in exactly one place, its file loader's Load of an http(s)
// URL, and runs a program in exactly one place that plugins-disabled rendering leaves open, its
// loader's New of a Git reference (it runs git, which runs ssh). Both take their argument from
// a kustomization file or from a plugin configuration that a kustomization file lists. Every
// such field is checked here with kustomize's own parsers (url.Parse for remote files, its
// repository-spec parser for Git references), so a reference kustomize would fetch never
// reaches it. checked_fields_test.go fails when a kustomize upgrade adds a field.
type refChecker struct {
	fs   *confinedFS
	dir  string // the kustomization's directory, absolute
	file string // the kustomization file, relative to the root, for messages
}

// checkKustomization decodes a kustomization exactly as kustomize does and checks every path
// and URL in it.
func (f *confinedFS) checkKustomization(abs string, data []byte) error {
	c := &refChecker{fs: f, dir: filepath.Dir(abs), file: relTo(f.root, abs)}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return &FileError{File: c.file, Err: fmt.Errorf("decode kustomization: %w", err)}
	}
	return c.kustomization(&k)
}

func (c *refChecker) kustomization(k *types.Kustomization) error {
	if err := c.refuseHelm(k); err != nil {
		return err
	}
	for field, refs := range map[string][]string{
		"resources":  k.Resources,
		"bases":      k.Bases, //nolint:staticcheck // deprecated but still honoured by kustomize
		"components": k.Components,
	} {
		for i, ref := range refs {
			if err := c.base(fmt.Sprintf("%s[%d]", field, i), ref); err != nil {
				return err
			}
		}
	}
	for field, entries := range map[string][]string{"generators": k.Generators, "transformers": k.Transformers, "validators": k.Validators} {
		for i, entry := range entries {
			if err := c.plugin(fmt.Sprintf("%s[%d]", field, i), entry); err != nil {
				return err
			}
		}
	}
	return c.loads(loadedFiles(k))
}

// refuseHelm refuses Helm charts: inflating one runs the helm program.
func (c *refChecker) refuseHelm(k *types.Kustomization) error {
	field := ""
	switch {
	case len(k.HelmCharts) > 0:
		field = "helmCharts"
	case k.HelmGlobals != nil:
		field = "helmGlobals"
	case len(k.HelmChartInflationGenerator) > 0:
		field = "helmChartInflationGenerator"
	default:
		return nil
	}
	return &RefusedError{File: c.file, Field: field, Reason: "Helm charts are not rendered: rendering never runs a program; " +
		"commit the chart's output (helm template) to the repository instead"}
}

// fileRef is one path of a kustomization that kustomize reads as a file. An orInline entry is
// a patch that kustomize first tries to parse as inline YAML, and reads as a file only if that
// fails.
type fileRef struct {
	field, ref string
	orInline   bool
}

// loadedFiles returns the paths of a kustomization that kustomize loads as files (patches,
// replacement sources, generator inputs, CRD and configuration files, the OpenAPI schema).
func loadedFiles(k *types.Kustomization) []fileRef {
	var refs []fileRef
	add := func(field, ref string) {
		if ref != "" {
			refs = append(refs, fileRef{field: field, ref: ref})
		}
	}
	for i, p := range k.PatchesStrategicMerge { //nolint:staticcheck // deprecated but still honoured
		refs = append(refs, fileRef{fmt.Sprintf("patchesStrategicMerge[%d]", i), string(p), true})
	}
	for i, p := range k.Patches {
		add(fmt.Sprintf("patches[%d].path", i), p.Path)
	}
	for i, p := range k.PatchesJson6902 { //nolint:staticcheck // deprecated but still honoured
		add(fmt.Sprintf("patchesJson6902[%d].path", i), p.Path)
	}
	for i, r := range k.Replacements {
		add(fmt.Sprintf("replacements[%d].path", i), r.Path)
	}
	add("openapi.path", k.OpenAPI["path"])
	for i, p := range k.Crds {
		add(fmt.Sprintf("crds[%d]", i), p)
	}
	for i, p := range k.Configurations {
		add(fmt.Sprintf("configurations[%d]", i), p)
	}
	for i, g := range k.ConfigMapGenerator {
		refs = append(refs, generatorFiles(fmt.Sprintf("configMapGenerator[%d]", i), g.GeneratorArgs)...)
	}
	for i, g := range k.SecretGenerator {
		refs = append(refs, generatorFiles(fmt.Sprintf("secretGenerator[%d]", i), g.GeneratorArgs)...)
	}
	return refs
}

// generatorFiles returns the files a ConfigMap or Secret generator reads. A file source may be
// written key=path.
func generatorFiles(field string, g types.GeneratorArgs) []fileRef {
	if field != "" {
		field += "."
	}
	var refs []fileRef
	for i, f := range g.FileSources {
		if _, path, ok := strings.Cut(f, "="); ok {
			f = path
		}
		refs = append(refs, fileRef{field: fmt.Sprintf("%sfiles[%d]", field, i), ref: f})
	}
	for i, f := range g.EnvSources {
		refs = append(refs, fileRef{field: fmt.Sprintf("%senvs[%d]", field, i), ref: f})
	}
	if g.EnvSource != "" { //nolint:staticcheck // deprecated but still honoured
		refs = append(refs, fileRef{field: field + "env", ref: g.EnvSource}) //nolint:staticcheck // idem
	}
	return refs
}

func (c *refChecker) loads(refs []fileRef) error {
	for _, r := range refs {
		if r.orInline && c.inlinePatch(r.ref) {
			continue
		}
		if err := c.load(r.field, r.ref); err != nil {
			return err
		}
	}
	return nil
}

// inlinePatch reports whether kustomize reads a patch entry as inline YAML rather than as a file.
func (c *refChecker) inlinePatch(entry string) bool {
	_, err := c.fs.resources.RF().SliceFromBytes([]byte(entry))
	return err == nil
}

// load checks a path kustomize reads as a file: an http(s) URL would be fetched.
func (c *refChecker) load(field, ref string) error {
	if isRemoteFile(ref) {
		return &RemoteError{File: c.file, Field: field, Ref: ref}
	}
	return c.inside(field, ref)
}

// base checks an entry of resources, bases or components: a file, a directory, or, for
// kustomize, a Git repository to clone when the entry parses as one, whether or not a local
// folder of that name exists.
func (c *refChecker) base(field, ref string) error {
	if isRemoteFile(ref) {
		return &RemoteError{File: c.file, Field: field, Ref: ref}
	}
	if isGitReference(ref) {
		return &RemoteError{File: c.file, Field: field, Ref: ref, Shadowed: c.fs.Exists(c.join(ref))}
	}
	return c.inside(field, ref)
}

// inside checks that a local path stays inside the repository root.
func (c *refChecker) inside(field, ref string) error {
	if ref == "" {
		return nil
	}
	if _, err := c.fs.check(c.join(ref)); err != nil {
		if _, outside := err.(*OutsideRootError); outside {
			err = &OutsideRootError{Path: ref}
		}
		return &FileError{File: c.file, Err: fmt.Errorf("%s: %w", field, err)}
	}
	return nil
}

func (c *refChecker) join(ref string) string {
	if filepath.IsAbs(ref) {
		return ref
	}
	return filepath.Join(c.dir, ref)
}

// isRemoteFile is kustomize's test for a file it fetches over HTTP (loader.IsRemoteFile).
func isRemoteFile(ref string) bool {
	u, err := url.Parse(ref)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https")
}

// isGitReference reports whether kustomize reads ref as a Git repository to clone. It asks
// kustomize's own parser (reached through resource.Origin, its one exported caller), so it
// agrees with kustomize by construction.
func isGitReference(ref string) (remote bool) {
	defer func() {
		if recover() != nil {
			remote = true // the parser failed in a way kustomize's loader may not: refuse
		}
	}()
	// kustomize strips a go-getter "git::" prefix, logging a warning to the process's standard
	// logger; strip it here so that checking does not log.
	if len(ref) >= len(forcedGit) && strings.EqualFold(ref[:len(forcedGit)], forcedGit) {
		ref = ref[len(forcedGit):]
	}
	return (&resource.Origin{}).Append(ref).Repo != ""
}

const forcedGit = "git::"
