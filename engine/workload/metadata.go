package workload

import "strings"

// Metadata keys of reference §3.3.
const (
	// toolkitMarker marks Flux ownership keys, never copied to generated objects.
	toolkitMarker = "toolkit.fluxcd.io"
	// flaggerIDKey is the pod annotation renewed on every primary rollout.
	flaggerIDKey = "flagger-id"
	// configTrackingKey disables tracking of a ConfigMap or Secret when its value starts with
	// "disable".
	configTrackingKey = "flagger.app/config-tracking"
)

// withoutToolkit copies m without the Flux ownership keys.
func withoutToolkit(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if !strings.Contains(k, toolkitMarker) {
			out[k] = v
		}
	}
	return out
}

// includeByPrefix copies the keys of m that start with one of the prefixes ("*" matches every
// key, "" matches none), never the Flux ownership keys.
func includeByPrefix(m map[string]string, prefixes []string) map[string]string {
	out := make(map[string]string)
	for k, v := range m {
		if strings.Contains(k, toolkitMarker) {
			continue
		}
		for _, p := range prefixes {
			if p == "*" || (p != "" && strings.HasPrefix(k, p)) {
				out[k] = v
				break
			}
		}
	}
	return out
}

// primaryLabels copies m without the Flux ownership keys and with label set to value.
func primaryLabels(m map[string]string, label, value string) map[string]string {
	out := withoutToolkit(m)
	out[label] = value
	return out
}

// podAnnotations copies the target's pod annotations without the Flux ownership keys and with
// a fresh flagger-id, which makes every promotion a rolling update of the primary.
func podAnnotations(m map[string]string, id string) map[string]string {
	out := withoutToolkit(m)
	out[flaggerIDKey] = id
	return out
}

// clonePtr returns a pointer to a copy of *p, or nil.
func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
