package clienttest

import (
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
)

// Indexer is the cache.Indexer behind a lister in unit tests. It reads the objects of one
// resource from a tracker at once, as an informer that never lags; after Freeze it serves a
// copy of what the tracker held then, as an informer that lags, until Thaw. Only GetByKey reads
// the tracker; the other methods serve the frozen copy.
type Indexer struct {
	cache.Indexer
	tracker k8stesting.ObjectTracker
	gvr     schema.GroupVersionResource
	gvk     schema.GroupVersionKind

	mu     sync.Mutex
	frozen bool
}

// NewIndexer returns an Indexer over the objects of gvr (kind gvk) in tracker.
func NewIndexer(tracker k8stesting.ObjectTracker, gvr schema.GroupVersionResource, gvk schema.GroupVersionKind) *Indexer {
	return &Indexer{
		Indexer: cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}),
		tracker: tracker, gvr: gvr, gvk: gvk,
	}
}

// GetByKey returns the object "<namespace>/<name>" as the tracker holds it, or as it held it
// at Freeze.
func (i *Indexer) GetByKey(key string) (any, bool, error) {
	i.mu.Lock()
	frozen := i.frozen
	i.mu.Unlock()
	if frozen {
		return i.Indexer.GetByKey(key)
	}
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil, false, err
	}
	obj, err := i.tracker.Get(i.gvr, ns, name)
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return obj, true, nil
}

// Freeze makes the Indexer serve a copy of the tracker's objects as they are now.
func (i *Indexer) Freeze() error {
	list, err := i.tracker.List(i.gvr, i.gvk, "")
	if err != nil {
		return fmt.Errorf("list %s: %w", i.gvr, err)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return fmt.Errorf("list %s: %w", i.gvr, err)
	}
	objs := make([]any, len(items))
	for n, o := range items {
		objs[n] = o.(runtime.Object)
	}
	if err := i.Indexer.Replace(objs, ""); err != nil {
		return err
	}
	i.mu.Lock()
	i.frozen = true
	i.mu.Unlock()
	return nil
}

// Thaw makes the Indexer read the tracker again.
func (i *Indexer) Thaw() {
	i.mu.Lock()
	i.frozen = false
	i.mu.Unlock()
}
