package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/gitcanary/gitcanary/api/v1beta1"
)

// Kinds of tracked configs, as they appear in the keys of status.trackedConfigs.
const (
	configMapKind = "configmap"
	secretKind    = "secret"
)

// trackedSecretTypes are the Secret types Flagger tracks; registry and service-account token
// Secrets are ignored.
var trackedSecretTypes = []corev1.SecretType{
	corev1.SecretTypeOpaque, corev1.SecretTypeBasicAuth, corev1.SecretTypeSSHAuth, corev1.SecretTypeTLS,
}

// config is one tracked ConfigMap or Secret as read from the API server.
type config struct {
	kind      string
	name      string
	checksum  string
	configMap *corev1.ConfigMap
	secret    *corev1.Secret
}

// key returns "configmap/<name>" or "secret/<name>".
func (c config) key() string { return c.kind + "/" + c.name }

// configs are the tracked configs of a target by key.
type configs map[string]config

// checksums returns the status.trackedConfigs map.
func (cs configs) checksums() map[string]string {
	out := make(map[string]string, len(cs))
	for k, c := range cs {
		out[k] = c.checksum
	}
	return out
}

// tracks reports whether the reference kind/name is tracked.
func (cs configs) tracks(kind, name string) bool {
	_, ok := cs[kind+"/"+name]
	return ok
}

// checksum is Flagger's config checksum: the first 8 bytes of the SHA-256 of the JSON of data,
// in hex.
func checksum(data any) string {
	raw, err := json.Marshal(data)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// trackingDisabled reports whether an object opted out with flagger.app/config-tracking: disabled.
func trackingDisabled(annotations map[string]string) bool {
	return strings.HasPrefix(annotations[configTrackingKey], "disable")
}

// mandatory reports whether a reference must resolve: optional unset or false.
func mandatory(optional *bool) bool { return optional == nil || !*optional }

// trackedConfigs reads the ConfigMaps and Secrets the pod spec references (reference §3.2)
// from the cache. A mandatory reference that cannot be read fails; a missing optional one is
// skipped. The objects are the informer's: never modify them.
func (d *Deployments) trackedConfigs(c *v1beta1.Canary, spec *corev1.PodSpec) (configs, error) {
	out := configs{}
	if !d.track {
		return out, nil
	}
	cms, secrets := references(spec)
	for _, name := range sortedKeys(cms) {
		cm, err := d.cache.configMaps.Get(c.Namespace, name)
		if apierrors.IsNotFound(err) && !cms[name] {
			d.logFor(c).Info(fmt.Sprintf("optional configmap %s.%s not found, not tracked", name, c.Namespace))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("configmap %s.%s get query error: %w", name, c.Namespace, err)
		}
		if trackingDisabled(cm.Annotations) {
			continue
		}
		cfg := config{kind: configMapKind, name: name, checksum: checksum(cm.Data), configMap: cm}
		out[cfg.key()] = cfg
	}
	for _, name := range sortedKeys(secrets) {
		s, err := d.cache.secrets.Get(c.Namespace, name)
		if apierrors.IsNotFound(err) && !secrets[name] {
			d.logFor(c).Info(fmt.Sprintf("optional secret %s.%s not found, not tracked", name, c.Namespace))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("secret %s.%s get query error: %w", name, c.Namespace, err)
		}
		if !slices.Contains(trackedSecretTypes, s.Type) || trackingDisabled(s.Annotations) {
			continue
		}
		cfg := config{kind: secretKind, name: name, checksum: checksum(s.Data), secret: s}
		out[cfg.key()] = cfg
	}
	return out, nil
}

// references returns the names of the ConfigMaps and Secrets a pod spec references, each
// mapped to whether some reference to it is mandatory. Volumes, projected sources, env and
// envFrom of containers and init containers are scanned; imagePullSecrets and ephemeral
// containers are not.
func references(spec *corev1.PodSpec) (configMaps, secrets map[string]bool) {
	configMaps, secrets = map[string]bool{}, map[string]bool{}
	add := func(m map[string]bool, name string, optional *bool) {
		if name != "" {
			m[name] = m[name] || mandatory(optional)
		}
	}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil {
			add(configMaps, v.ConfigMap.Name, v.ConfigMap.Optional)
		}
		if v.Secret != nil {
			add(secrets, v.Secret.SecretName, v.Secret.Optional)
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					add(configMaps, s.ConfigMap.Name, s.ConfigMap.Optional)
				}
				if s.Secret != nil {
					add(secrets, s.Secret.Name, s.Secret.Optional)
				}
			}
		}
	}
	for _, ctr := range slices.Concat(spec.Containers, spec.InitContainers) {
		for _, e := range ctr.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				add(configMaps, r.Name, r.Optional)
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				add(secrets, r.Name, r.Optional)
			}
		}
		for _, e := range ctr.EnvFrom {
			if e.ConfigMapRef != nil {
				add(configMaps, e.ConfigMapRef.Name, e.ConfigMapRef.Optional)
			}
			if e.SecretRef != nil {
				add(secrets, e.SecretRef.Name, e.SecretRef.Optional)
			}
		}
	}
	return configMaps, secrets
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// usePrimaryConfigs appends -primary to every tracked reference in the pod spec, in place.
// Untracked references stay as they are.
func usePrimaryConfigs(spec *corev1.PodSpec, cs configs) {
	rename := func(kind string, name *string) {
		if cs.tracks(kind, *name) {
			*name += v1beta1.PrimarySuffix
		}
	}
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		if v.ConfigMap != nil {
			rename(configMapKind, &v.ConfigMap.Name)
		}
		if v.Secret != nil {
			rename(secretKind, &v.Secret.SecretName)
		}
		if v.Projected != nil {
			for j := range v.Projected.Sources {
				s := &v.Projected.Sources[j]
				if s.ConfigMap != nil {
					rename(configMapKind, &s.ConfigMap.Name)
				}
				if s.Secret != nil {
					rename(secretKind, &s.Secret.Name)
				}
			}
		}
	}
	for _, ctrs := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for i := range ctrs {
			renameContainerRefs(&ctrs[i], rename)
		}
	}
}

func renameContainerRefs(ctr *corev1.Container, rename func(kind string, name *string)) {
	for i := range ctr.Env {
		if vf := ctr.Env[i].ValueFrom; vf != nil {
			if vf.ConfigMapKeyRef != nil {
				rename(configMapKind, &vf.ConfigMapKeyRef.Name)
			}
			if vf.SecretKeyRef != nil {
				rename(secretKind, &vf.SecretKeyRef.Name)
			}
		}
	}
	for i := range ctr.EnvFrom {
		e := &ctr.EnvFrom[i]
		if e.ConfigMapRef != nil {
			rename(configMapKind, &e.ConfigMapRef.Name)
		}
		if e.SecretRef != nil {
			rename(secretKind, &e.SecretRef.Name)
		}
	}
}
