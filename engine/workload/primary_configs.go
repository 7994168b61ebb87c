package workload

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// writePrimaryConfigs creates or updates the <name>-primary copy of every tracked config:
// the data (and Secret type) of the original, its labels filtered by the include-label
// prefixes, and a controller owner reference to this Canary.
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
	live, err := api.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace},
		}
		d.fillPrimaryConfigMap(c, cm, src)
		if _, err := api.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating configmap %s.%s failed: %w", name, c.Namespace, err)
		}
	case err != nil:
		return fmt.Errorf("configmap %s.%s get query error: %w", name, c.Namespace, err)
	default:
		cm := live.DeepCopy()
		d.fillPrimaryConfigMap(c, cm, src)
		if _, err := api.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("updating configmap %s.%s failed: %w", name, c.Namespace, err)
		}
	}
	d.logFor(c).Info(fmt.Sprintf("ConfigMap %s synced", name))
	return nil
}

func (d *Deployments) fillPrimaryConfigMap(c *v1beta1.Canary, cm, src *corev1.ConfigMap) {
	cm.Labels = includeByPrefix(src.Labels, d.prefix)
	cm.OwnerReferences = owners(c, cm.OwnerReferences)
	cm.Data = src.Data
	cm.BinaryData = src.BinaryData
}

func (d *Deployments) writePrimarySecret(ctx context.Context, c *v1beta1.Canary, src *corev1.Secret) error {
	api := d.kube.CoreV1().Secrets(c.Namespace)
	name := src.Name + v1beta1.PrimarySuffix
	live, err := api.Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.Namespace},
			Type:       src.Type,
		}
		d.fillPrimarySecret(c, s, src)
		if _, err := api.Create(ctx, s, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating secret %s.%s failed: %w", name, c.Namespace, err)
		}
	case err != nil:
		return fmt.Errorf("secret %s.%s get query error: %w", name, c.Namespace, err)
	default:
		s := live.DeepCopy()
		d.fillPrimarySecret(c, s, src)
		if _, err := api.Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("updating secret %s.%s failed: %w", name, c.Namespace, err)
		}
	}
	d.logFor(c).Info(fmt.Sprintf("Secret %s synced", name))
	return nil
}

func (d *Deployments) fillPrimarySecret(c *v1beta1.Canary, s, src *corev1.Secret) {
	s.Labels = includeByPrefix(src.Labels, d.prefix)
	s.OwnerReferences = owners(c, s.OwnerReferences)
	s.Data = src.Data
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
