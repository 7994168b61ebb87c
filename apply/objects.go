package apply

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ObjectRef identifies an object in the inventory.
type ObjectRef struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// RefOf returns the ObjectRef of an object.
func RefOf(o *unstructured.Unstructured) ObjectRef {
	gvk := o.GroupVersionKind()
	return ObjectRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: o.GetNamespace(), Name: o.GetName()}
}

// GroupVersionKind returns the ref's GVK.
func (r ObjectRef) GroupVersionKind() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// key identifies the object independently of the API version it was applied with.
func (r ObjectRef) key() string {
	return fmt.Sprintf("%s/%s/%s/%s", r.Group, r.Kind, r.Namespace, r.Name)
}

func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name)
}

// rank orders objects for apply: cluster prerequisites first, workloads after their configs
// and accounts, Canaries and their templates last (they refer to everything else).
func rank(gvk schema.GroupVersionKind) int {
	switch gvk.GroupKind().String() {
	case "CustomResourceDefinition.apiextensions.k8s.io":
		return 0
	case "Namespace":
		return 1
	case "ClusterRole.rbac.authorization.k8s.io", "ResourceQuota", "LimitRange", "PriorityClass.scheduling.k8s.io":
		return 2
	case "ServiceAccount", "Role.rbac.authorization.k8s.io", "ClusterRoleBinding.rbac.authorization.k8s.io", "RoleBinding.rbac.authorization.k8s.io":
		return 3
	case "ConfigMap", "Secret", "PersistentVolumeClaim":
		return 4
	case "Service":
		return 5
	case "MetricTemplate.flagger.app", "AlertProvider.flagger.app":
		return 8
	case "Canary.flagger.app":
		return 9
	default:
		return 6 // workloads, autoscalers, everything else
	}
}

// isPrerequisite reports whether an object must exist before others can even be validated.
func isPrerequisite(gvk schema.GroupVersionKind) bool { return rank(gvk) <= 1 }

// sortForApply sorts objects in dependency order, keeping the rendered order within a rank.
func sortForApply(objs []*unstructured.Unstructured) {
	sort.SliceStable(objs, func(i, j int) bool {
		return rank(objs[i].GroupVersionKind()) < rank(objs[j].GroupVersionKind())
	})
}

func ptrUID[T any](v T) *T { return &v }
