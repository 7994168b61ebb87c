package enginetest

import (
	"context"
	"slices"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
)

// Canaries is a fake engine.Canaries keeping Canary objects in memory. Like the API server, it
// deletes a Canary whose last finalizer is removed while it has a deletion timestamp.
type Canaries struct {
	failures
	journal  *Journal
	mu       sync.Mutex
	canaries map[string]*v1beta1.Canary
	writes   int
}

var _ engine.Canaries = (*Canaries)(nil)

// NewCanaries returns a Canaries that records into j.
func NewCanaries(j *Journal) *Canaries {
	return &Canaries{journal: j, canaries: map[string]*v1beta1.Canary{}}
}

// Put stores a copy of c, replacing any Canary of the same namespace and name.
func (f *Canaries) Put(c *v1beta1.Canary) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.canaries[c.ID()] = c.DeepCopy()
}

// Update changes the stored Canary namespace/name; it reports false when there is none.
func (f *Canaries) Update(namespace, name string, change func(c *v1beta1.Canary)) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.canaries[namespace+"/"+name]
	if ok {
		change(c)
	}
	return ok
}

// Stored returns a copy of the stored Canary namespace/name, or nil.
func (f *Canaries) Stored(namespace, name string) *v1beta1.Canary {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.canaries[namespace+"/"+name]; ok {
		return c.DeepCopy()
	}
	return nil
}

// StatusWrites returns how many times WriteStatus succeeded.
func (f *Canaries) StatusWrites() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

// Get implements engine.Canaries.
func (f *Canaries) Get(_ context.Context, namespace, name string) (*v1beta1.Canary, error) {
	f.journal.add("Canaries", "Get", "%s/%s", namespace, name)
	if err := f.err("Get"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.canaries[namespace+"/"+name]
	if !ok {
		return nil, notFound(name)
	}
	return c.DeepCopy(), nil
}

// WriteStatus implements engine.Canaries.
func (f *Canaries) WriteStatus(_ context.Context, c *v1beta1.Canary, status v1beta1.CanaryStatus) error {
	f.journal.add("Canaries", "WriteStatus", "%s phase=%s weight=%d failedChecks=%d", c.EventName(), status.Phase, status.CanaryWeight, status.FailedChecks)
	if err := f.err("WriteStatus"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	stored, ok := f.canaries[c.ID()]
	if !ok {
		return notFound(c.Name)
	}
	stored.Status = *status.DeepCopy()
	f.writes++
	return nil
}

// SetFinalizer implements engine.Canaries.
func (f *Canaries) SetFinalizer(_ context.Context, c *v1beta1.Canary, present bool) error {
	f.journal.add("Canaries", "SetFinalizer", "%s %t", c.EventName(), present)
	if err := f.err("SetFinalizer"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	stored, ok := f.canaries[c.ID()]
	if !ok {
		return notFound(c.Name)
	}
	has := slices.Contains(stored.Finalizers, v1beta1.Finalizer)
	switch {
	case present && !has:
		stored.Finalizers = append(stored.Finalizers, v1beta1.Finalizer)
	case !present && has:
		stored.Finalizers = slices.DeleteFunc(stored.Finalizers, func(s string) bool { return s == v1beta1.Finalizer })
		if len(stored.Finalizers) == 0 && stored.DeletionTimestamp != nil {
			delete(f.canaries, c.ID())
		}
	}
	return nil
}

func notFound(name string) error {
	return apierrors.NewNotFound(schema.GroupResource{Group: v1beta1.SchemeGroupVersion.Group, Resource: "canaries"}, name)
}
