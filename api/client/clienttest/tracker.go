package clienttest

import (
	"errors"
	"strconv"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// errModified is the API server's conflict message.
var errModified = errors.New("the object has been modified; please apply your changes to the latest version and try again")

// Tracker is an object tracker that versions objects as the API server does: each write gets a
// new resourceVersion, and an update or patch whose resourceVersion is not the stored one
// fails with a Conflict. A patch without a resourceVersion applies to any version.
type Tracker struct {
	k8stesting.ObjectTracker
	mu sync.Mutex
	rv int64
}

// Install makes every verb of fake go through a Tracker over tracker (the fake's own), and
// returns it. The fake's watches see the same objects.
func Install(fake *k8stesting.Fake, tracker k8stesting.ObjectTracker) *Tracker {
	t := &Tracker{ObjectTracker: tracker, rv: 100}
	fake.PrependReactor("*", "*", k8stesting.ObjectReaction(t))
	return t
}

// NewClientset returns a fake clientset whose writes are versioned by a Tracker, holding objs,
// each with a resourceVersion.
func NewClientset(objs ...runtime.Object) (*fake.Clientset, *Tracker) {
	cs := fake.NewClientset()
	t := Install(&cs.Fake, cs.Tracker())
	for _, o := range objs {
		if err := t.Add(o); err != nil {
			panic(err) // a test's fixture is wrong
		}
	}
	return cs, t
}

// Add stores obj with a new resourceVersion.
func (t *Tracker) Add(obj runtime.Object) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	obj = obj.DeepCopyObject()
	if err := t.bump(obj); err != nil {
		return err
	}
	return t.ObjectTracker.Add(obj)
}

// Create stores a new object with a new resourceVersion.
func (t *Tracker) Create(gvr schema.GroupVersionResource, obj runtime.Object, ns string, opts ...metav1.CreateOptions) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.bump(obj); err != nil {
		return err
	}
	return t.ObjectTracker.Create(gvr, obj, ns, opts...)
}

// Update replaces an object whose stored resourceVersion is obj's (or any, when obj has none).
func (t *Tracker) Update(gvr schema.GroupVersionResource, obj runtime.Object, ns string, opts ...metav1.UpdateOptions) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(gvr, obj, ns); err != nil {
		return err
	}
	return t.ObjectTracker.Update(gvr, obj, ns, opts...)
}

// Patch stores a patched object; the patch's resourceVersion, if it had one, is obj's.
func (t *Tracker) Patch(gvr schema.GroupVersionResource, obj runtime.Object, ns string, opts ...metav1.PatchOptions) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(gvr, obj, ns); err != nil {
		return err
	}
	return t.ObjectTracker.Patch(gvr, obj, ns, opts...)
}

// check fails with a Conflict when obj carries a resourceVersion other than the stored one,
// and gives obj a new one otherwise.
func (t *Tracker) check(gvr schema.GroupVersionResource, obj runtime.Object, ns string) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	cur, err := t.ObjectTracker.Get(gvr, ns, m.GetName())
	if err != nil {
		return err
	}
	curMeta, err := meta.Accessor(cur)
	if err != nil {
		return err
	}
	if rv := m.GetResourceVersion(); rv != "" && rv != curMeta.GetResourceVersion() {
		return apierrors.NewConflict(gvr.GroupResource(), m.GetName(), errModified)
	}
	return t.bump(obj)
}

func (t *Tracker) bump(obj runtime.Object) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	t.rv++
	m.SetResourceVersion(strconv.FormatInt(t.rv, 10))
	return nil
}
