package controller

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/tools/cache"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// The informer events that wake a canary's analysis. Each filter is a pure function of the old
// and new object, so what wakes a canary is unit-tested without informers.

// canaryChanged tells whether an update of a Canary needs a tick: its spec (generation), its
// deletion or its finalizers changed. Status writes (the engine's own) do not, so a tick never
// triggers the next one.
func canaryChanged(o, n *v1beta1.Canary) bool {
	return o.Generation != n.Generation ||
		!equality.Semantic.DeepEqual(o.DeletionTimestamp, n.DeletionTimestamp) ||
		!equality.Semantic.DeepEqual(o.Finalizers, n.Finalizers)
}

// podTemplateChanged tells whether a Deployment got a new revision (pod template). Other
// changes, such as the engine's own scaling, do not wake its canary.
func podTemplateChanged(o, n *appsv1.Deployment) bool {
	return engine.PodTemplateHash(&o.Spec.Template) != engine.PodTemplateHash(&n.Spec.Template)
}

// primaryRolledOut tells whether a primary Deployment (<target>-primary) moved on in its
// rollout (its observed generation or its updated, ready or available replicas changed), and
// names its target: a new canary waiting for its primary is initialized as soon as the primary
// is ready, rather than at its next tick.
func primaryRolledOut(o, n *appsv1.Deployment) (target string, ok bool) {
	target, primary := strings.CutSuffix(n.Name, "-primary")
	if !primary || target == "" {
		return "", false
	}
	was, is := o.Status, n.Status
	return target, was.ObservedGeneration != is.ObservedGeneration || was.UpdatedReplicas != is.UpdatedReplicas ||
		was.ReadyReplicas != is.ReadyReplicas || was.AvailableReplicas != is.AvailableReplicas
}

// initializing tells whether a canary waits for its primary to be created or ready.
func initializing(c *v1beta1.Canary) bool {
	return c.Status.Phase == "" || c.Status.Phase == v1beta1.CanaryPhaseInitializing
}

// configDataChanged tells whether the data of a ConfigMap or Secret changed.
func configDataChanged(oldObj, newObj any) bool {
	switch o := oldObj.(type) {
	case *corev1.ConfigMap:
		n, ok := newObj.(*corev1.ConfigMap)
		return ok && (!equality.Semantic.DeepEqual(o.Data, n.Data) || !equality.Semantic.DeepEqual(o.BinaryData, n.BinaryData))
	case *corev1.Secret:
		n, ok := newObj.(*corev1.Secret)
		return ok && !equality.Semantic.DeepEqual(o.Data, n.Data)
	}
	return false
}

// configRef returns the tracked-config key ("configmap/<name>" or "secret/<name>") and the
// namespace of a ConfigMap or Secret.
func configRef(obj any) (namespace, key string, ok bool) {
	switch o := obj.(type) {
	case *corev1.ConfigMap:
		return o.Namespace, "configmap/" + o.Name, true
	case *corev1.Secret:
		return o.Namespace, "secret/" + o.Name, true
	}
	return "", "", false
}

// trackingCanaries returns the Canaries of the config's namespace whose status tracks it.
func trackingCanaries(canaries cache.Indexer, obj any) []*v1beta1.Canary {
	ns, key, ok := configRef(obj)
	if !ok {
		return nil
	}
	objs, err := canaries.ByIndex(cache.NamespaceIndex, ns)
	if err != nil {
		return nil
	}
	var out []*v1beta1.Canary
	for _, o := range objs {
		c := o.(*v1beta1.Canary)
		if _, tracked := c.Status.TrackedConfigs[key]; tracked {
			out = append(out, c)
		}
	}
	return out
}

// targetCanaries returns the Canaries whose target is the Deployment namespace/name.
func targetCanaries(canaries cache.Indexer, namespace, name string) []*v1beta1.Canary {
	objs, err := canaries.ByIndex(targetIndex, namespace+"/"+name)
	if err != nil {
		return nil
	}
	out := make([]*v1beta1.Canary, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(*v1beta1.Canary))
	}
	return out
}

// unwrapDeleted returns the object of a delete event, also when the informer missed the
// deletion and hands a DeletedFinalStateUnknown.
func unwrapDeleted(obj any) any {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return d.Obj
	}
	return obj
}
