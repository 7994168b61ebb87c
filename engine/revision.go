package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
)

// PodTemplateHash returns the revision of a pod template: the first 8 bytes, in hex, of the
// SHA-256 of its canonical JSON. Canonical means object keys sorted and empty values (null, "",
// {}, []) dropped at every depth, so the same template hashes the same whatever the map
// ordering and whether its zero values were written out or left to defaults; numbers keep
// their exact text. Unlike Flagger's spew dump (quirk S5) it does not change when Go types
// gain fields.
func PodTemplateHash(t *corev1.PodTemplateSpec) string {
	raw, err := json.Marshal(t)
	if err != nil {
		// A PodTemplateSpec always marshals; keep the function total anyway.
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return ""
	}
	canonical, err := json.Marshal(prune(v))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:8])
}

// prune drops empty values from decoded JSON, recursively. Elements of arrays are kept, even
// when empty, since their position carries meaning.
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := prune(e)
			if isEmpty(p) {
				delete(x, k)
				continue
			}
			x[k] = p
		}
		return x
	case []any:
		for i := range x {
			x[i] = prune(x[i])
		}
		return x
	default:
		return v
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	default:
		return false
	}
}
