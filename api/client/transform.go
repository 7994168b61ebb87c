package client

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"
)

// lastApplied is the annotation kubectl apply keeps the applied object in.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// TrimForCache is a cache.TransformFunc for the controller's informers: it drops what no reader
// needs before an object is cached, the managedFields (server-side apply's bookkeeping, often
// the largest part of an object) and kubectl's last-applied-configuration annotation (a second
// copy of the object). Services keep the annotation: the router restores an apex Service's
// selector from it when a canary is deleted.
//
// Writes of trimmed objects are safe: an update without managedFields keeps the live ones, and
// the objects gitcanary updates from the cache either carry no last-applied annotation of
// their own or, like Services, keep it.
var TrimForCache cache.TransformFunc = trimForCache

func trimForCache(obj any) (any, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		// A tombstone (cache.DeletedFinalStateUnknown) or another non-object passes as is.
		return obj, nil
	}
	m.SetManagedFields(nil)
	if _, isService := obj.(*corev1.Service); !isService {
		if a := m.GetAnnotations(); a != nil {
			if _, ok := a[lastApplied]; ok {
				delete(a, lastApplied)
				m.SetAnnotations(a)
			}
		}
	}
	return obj, nil
}
