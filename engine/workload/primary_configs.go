package workload

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// writePrimaryConfigs creates or updates the <name>-primary copy of every tracked config:
// the data (and Secret type) of the original, its labels filtered by the include-label
// prefixes, and a controller owner reference to this Canary. A copy that is up to date is not
// written.
func (d *Deployments) writePrimaryConfigs(ctx context.Context, c *v1beta1.Canary, cs configs) error {
	for _, key := range sortedConfigKeys(cs) {
		cfg := cs[key]
		var err error
		switch cfg.kind {
		case configMapKind:
			err = d.writePrimaryConfigMap(ctx, c, cfg.configMap)
		case secretKind:
			err = d.writePrimarySecret(ctx, c, cfg.secret)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func sortedConfigKeys(cs configs) []string {
	keys := make([]string, 0, len(cs))
	for k := range cs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (d *Deployments) writePrimaryConfigMap(ctx context.Context, c *v1beta1.Canary, src *corev1.ConfigMap) error {
	api := d.kube.CoreV1().ConfigMaps(c.Namespace)
	name := src.Name + v1beta1.PrimarySuffix
	wrote, err := d.cache.configMaps.Write(ctx, c.Namespace, name, client.Write[*corev1.ConfigMap]{
		Create: func(ctx context.Context) (*corev1.ConfigMap, error) {
			cm, _ := d.primaryConfigMap(c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace}}, src)
			created, err := api.Create(ctx, cm, metav1.CreateOptions{})
			if err != nil {
				return nil, fmt.Errorf("creating configmap %s.%s failed: %w", name, c.Namespace, err)
			}
			return created, nil
		},
		Change: func(live *corev1.ConfigMap) (*corev1.ConfigMap, bool) { return d.primaryConfigMap(c, live, src) },
		Update: func(ctx context.Context, cm *corev1.ConfigMap) (*corev1.ConfigMap, error) {
			updated, err := api.Update(ctx, cm, metav1.UpdateOptions{})
			if err != nil {
				return nil, fmt.Errorf("updating configmap %s.%s failed: %w", name, c.Namespace, err)
			}
			return updated, nil
		},
	})
	if err != nil {
		return err
	}
	if wrote {
		d.logFor(c).Info(fmt.Sprintf("ConfigMap %s synced", name))
	}
	return nil
}

// primaryConfigMap returns a copy of live with the data of src, its prefix-filtered labels and
// the owner references of a copy written for c, and whether that differs from live.
func (d *Deployments) primaryConfigMap(c *v1beta1.Canary, live, src *corev1.ConfigMap) (*corev1.ConfigMap, bool) {
	cm := live.DeepCopy()
	cm.Labels = includeByPrefix(src.Labels, d.prefix)
	cm.OwnerReferences = owners(c, live.OwnerReferences)
	cm.Data = maps.Clone(src.Data)
	cm.BinaryData = maps.Clone(src.BinaryData)
	changed := !maps.Equal(cm.Labels, live.Labels) || !equality.Semantic.DeepEqual(cm.OwnerReferences, live.OwnerReferences) ||
		!maps.Equal(cm.Data, live.Data) || !maps.EqualFunc(cm.BinaryData, live.BinaryData, bytes.Equal)
	return cm, changed
}

func (d *Deployments) writePrimarySecret(ctx context.Context, c *v1beta1.Canary, src *corev1.Secret) error {
	api := d.kube.CoreV1().Secrets(c.Namespace)
	name := src.Name + v1beta1.PrimarySuffix
	wrote, err := d.cache.secrets.Write(ctx, c.Namespace, name, client.Write[*corev1.Secret]{
		Create: func(ctx context.Context) (*corev1.Secret, error) {
			s, _ := d.primarySecret(c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace}, Type: src.Type}, src)
			created, err := api.Create(ctx, s, metav1.CreateOptions{})
			if err != nil {
				return nil, fmt.Errorf("creating secret %s.%s failed: %w", name, c.Namespace, err)
			}
			return created, nil
		},
		Change: func(live *corev1.Secret) (*corev1.Secret, bool) { return d.primarySecret(c, live, src) },
		Update: func(ctx context.Context, s *corev1.Secret) (*corev1.Secret, error) {
			updated, err := api.Update(ctx, s, metav1.UpdateOptions{})
			if err != nil {
				return nil, fmt.Errorf("updating secret %s.%s failed: %w", name, c.Namespace, err)
			}
			return updated, nil
		},
	})
	if err != nil {
		return err
	}
	if wrote {
		d.logFor(c).Info(fmt.Sprintf("Secret %s synced", name))
	}
	return nil
}

// primarySecret is primaryConfigMap for Secrets.
func (d *Deployments) primarySecret(c *v1beta1.Canary, live, src *corev1.Secret) (*corev1.Secret, bool) {
	s := live.DeepCopy()
	s.Labels = includeByPrefix(src.Labels, d.prefix)
	s.OwnerReferences = owners(c, live.OwnerReferences)
	s.Data = maps.Clone(src.Data)
	changed := !maps.Equal(s.Labels, live.Labels) || !equality.Semantic.DeepEqual(s.OwnerReferences, live.OwnerReferences) ||
		!maps.EqualFunc(s.Data, live.Data, bytes.Equal)
	return s, changed
}

// owners returns the owner references of a -primary config written for c: a controller
// reference to c first, then every other owner of the live object as a non-controller, so that
// several canaries can share a config and garbage collection waits for the last of them.
func owners(c *v1beta1.Canary, live []metav1.OwnerReference) []metav1.OwnerReference {
	out := []metav1.OwnerReference{controllerRef(c)}
	for _, r := range live {
		if r.UID == c.UID && r.Kind == v1beta1.CanaryKind && r.Name == c.Name {
			continue
		}
		r.Controller = ptr.To(false)
		out = append(out, r)
	}
	return out
}
