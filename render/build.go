package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// Build renders the overlay at path overlay (relative to root, or absolute inside it) of the
// repository checked out at root, decodes and classifies every object, validates the Canaries,
// MetricTemplates and AlertProviders and cross-checks their references.
//
// Rendering is hermetic: it reads only files inside root, within the Limits (WithLimits; the
// defaults otherwise), never reaches the network and never runs a program (see refChecker). A
// panic inside kustomize is recovered into a *PanicError.
//
// A kustomize or decoding failure returns a nil Bundle and an error naming the file. Invalid
// specs return the Bundle together with an *InvalidError listing every problem, so callers can
// show what was rendered; callers that apply must apply nothing when the error is non-nil.
func Build(root, overlay string, with ...Option) (b *Bundle, err error) {
	var o options
	for _, opt := range with {
		opt(&o)
	}
	cfs, err := newConfinedFS(root, o.limits)
	if err != nil {
		return nil, err
	}
	dir := overlay
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(cfs.root, overlay)
	}
	if _, err := cfs.check(dir); err != nil {
		var outside *OutsideRootError
		if errors.As(err, &outside) {
			return nil, &OutsideRootError{Path: overlay}
		}
		return nil, &FileError{File: overlay, Err: err}
	}
	rel := relTo(cfs.root, dir)
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, &PanicError{Overlay: rel, Value: cfs.relativeText(fmt.Sprint(r))}
		}
	}()
	if !cfs.Exists(dir) {
		return nil, &FileError{File: rel, Err: errors.New("no such overlay folder")}
	}
	if !cfs.IsDir(dir) {
		return nil, &FileError{File: rel, Err: errors.New("not a directory: an overlay is a folder with a kustomization.yaml or plain manifests")}
	}
	if kustomizationFile(cfs, dir) == "" {
		if err := addPlainFolderKustomization(cfs, dir); err != nil {
			return nil, err
		}
	}
	resMap, err := cfs.kustomize(dir)
	if cfs.refusal != nil {
		return nil, cfs.refusal // a check of a read: whatever kustomize made of it
	}
	if err != nil {
		return nil, &KustomizeError{Overlay: rel, Err: errors.New(cfs.relativeText(err.Error()))}
	}
	b, err = decode(cfs.root, rel, resMap, cfs.limits.RenderedBytes)
	if err != nil {
		return nil, err
	}
	if len(b.Objects) == 0 {
		if !cfs.isRegularFile(filepath.Join(dir, EmptyMarker)) {
			return nil, &EmptyError{Overlay: rel}
		}
		b.IntentionallyEmpty = true
	}
	return b, b.validate(o.defaultProvider)
}

// Option changes how Build renders and validates.
type Option func(*options)

type options struct {
	defaultProvider string
	limits          Limits
}

// WithDefaultProvider validates Canaries without spec.provider as canaries of provider p, the
// controller's -mesh-provider (without it they are checked as v1beta1.DefaultProvider's).
func WithDefaultProvider(p string) Option {
	return func(o *options) { o.defaultProvider = p }
}

// WithLimits bounds the render with l; its zero fields keep their defaults.
func WithLimits(l Limits) Option {
	return func(o *options) { o.limits = l }
}

// kustomize runs krusty on dir with f as its only file system: builtin plugins only, Helm
// disabled, files only below each kustomization's root.
func (f *confinedFS) kustomize(dir string) (resmap.ResMap, error) {
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig()
	return krusty.MakeKustomizer(opts).Run(f, dir)
}

// relativeText removes the repository root from a message: errors name files relative to it.
func (f *confinedFS) relativeText(s string) string {
	s = strings.ReplaceAll(s, f.root+string(filepath.Separator), "")
	return strings.ReplaceAll(s, f.root, ".")
}

// relTo returns p relative to root for messages; "." for the root itself.
func relTo(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return r
}

// manifestExt are the file extensions of a plain folder that are rendered.
var manifestExt = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// addPlainFolderKustomization gives a folder without a kustomization the one Flux's
// kustomize-controller would generate: every manifest in the folder and its sub-folders, where
// a sub-folder with a kustomization of its own is included as a whole.
func addPlainFolderKustomization(cfs *confinedFS, dir string) error {
	var resources []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if _, cerr := cfs.check(p); cerr != nil {
			return cerr
		}
		name := d.Name()
		if p != dir && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != dir && kustomizationFile(cfs, p) != "" {
				resources = append(resources, relTo(dir, p))
				return filepath.SkipDir
			}
			return nil
		}
		if manifestExt[strings.ToLower(filepath.Ext(name))] && d.Type()&os.ModeType == 0 {
			resources = append(resources, relTo(dir, p))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list manifests of %s: %w", relTo(cfs.root, dir), err)
	}
	// A folder emptied on purpose (its manifests deleted, the marker added) renders nothing.
	if len(resources) == 0 && !cfs.isRegularFile(filepath.Join(dir, EmptyMarker)) {
		return &FileError{File: relTo(cfs.root, dir), Err: errors.New("no kustomization.yaml and no manifests (*.yaml, *.yml, *.json)")}
	}
	sort.Strings(resources)
	if resources == nil {
		resources = []string{} // "resources: []", not null, which kustomize reads as an empty file
	}
	data, err := yaml.Marshal(map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  resources,
	})
	if err != nil {
		return fmt.Errorf("generate kustomization for %s: %w", relTo(cfs.root, dir), err)
	}
	cfs.virtual[filepath.Join(dir, "kustomization.yaml")] = data
	return nil
}
