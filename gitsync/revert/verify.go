package revert

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gitcanary/gitcanary/engine"
	"github.com/gitcanary/gitcanary/render"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// RenderedTemplate renders overlay of the repository at root (render.Build with opts) and
// returns the pod template of Deployment namespace/name in it.
func RenderedTemplate(root, overlay, namespace, name string, opts ...render.Option) (*corev1.PodTemplateSpec, error) {
	b, err := render.Build(root, overlay, opts...)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", overlay, err)
	}
	for _, o := range b.Workloads {
		if o.GetKind() != "Deployment" || o.GetName() != name || o.GetNamespace() != namespace {
			continue
		}
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &d); err != nil {
			return nil, fmt.Errorf("decode Deployment %s/%s of %s: %w", namespace, name, overlay, err)
		}
		return &d.Spec.Template, nil
	}
	return nil, fmt.Errorf("%w: overlay %s renders no Deployment %s/%s", ErrCannotRevert, overlay, namespace, name)
}

// Verify renders overlay at root (where the edit has been written) and checks that Deployment
// namespace/name renders the promoted template.
func Verify(root, overlay, namespace, name string, promoted *corev1.PodTemplateSpec, opts ...render.Option) error {
	got, err := RenderedTemplate(root, overlay, namespace, name, opts...)
	if err != nil {
		return err
	}
	if h, want := engine.PodTemplateHash(got), engine.PodTemplateHash(promoted); h != want {
		return fmt.Errorf("%w: the edited overlay %s renders revision %s of %s/%s, not the promoted %s", ErrCannotRevert, overlay, h, namespace, name, want)
	}
	return nil
}

// WriteTo writes the edit's files into the repository checkout at root.
func (e Edit) WriteTo(root string) error {
	for p, b := range e.Files {
		clean := path.Clean(p)
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("write %s: path leaves the repository", p)
		}
		full := filepath.Join(root, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}
