package client

import (
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"k8s.io/apimachinery/pkg/util/wait"
)

// CacheBackoff bounds the retries of a write that conflicted, each after reading the object
// again from an informer's cache: the cache catches up with the concurrent writer in
// milliseconds, so 8 attempts 10ms apart, doubling, give it about 2.5s before the write fails
// (and the tick with it, to be retried at the next one). Use it with retry.RetryOnConflict.
var CacheBackoff = wait.Backoff{Steps: 8, Duration: 10 * time.Millisecond, Factor: 2, Jitter: 0.1}

// maxCacheLag is how long Cached trusts a write over the cache. A cache that has not caught up
// after this long is broken; the write's record is dropped and the cache read again.
const maxCacheLag = time.Minute

// Cached reads objects of one kind from a shared informer's cache and sees this process's own
// writes before the informer does (read-your-writes).
//
// An informer's cache lags behind the API server by the time a watch event takes to arrive. A
// controller that writes an object and reads it again at the next tick must not act on the
// version it replaced: that would repeat a step it already took. Cached keeps the API server's
// answer to every write recorded with Wrote until the cache holds that version or a newer one,
// and Get returns the newer of the two. Versions are ordered by resourceVersion, which the API
// server keeps comparable as integers (k8s.io/apimachinery/pkg/util/resourceversion); when two
// resourceVersions do not compare, the cached object counts as older only while it still has a
// resourceVersion that one of the recorded writes replaced.
//
// The objects Get returns are shared with the informer: callers must not modify them
// (DeepCopy first). Cached is safe for concurrent use.
type Cached[T Object] struct {
	resource schema.GroupResource
	get      func(namespace, name string) (T, error)
	now      func() time.Time

	mu      sync.Mutex
	written map[string]written[T]
	pruned  time.Time
}

// written is the last write of one object that the cache may not hold yet.
type written[T Object] struct {
	obj T
	// replaced are the resourceVersions the writes replaced since the cache last caught up.
	replaced []string
	// created is set when the first of those writes created the object.
	created bool
	at      time.Time
}

// maxReplaced bounds the resourceVersions remembered per object.
const maxReplaced = 8

// NewCached returns a Cached of resource over get, which reads the informer's cache (a lister's
// Get) and fails with a NotFound error for an object it does not hold.
func NewCached[T Object](resource schema.GroupResource, get func(namespace, name string) (T, error)) *Cached[T] {
	return &Cached[T]{resource: resource, get: get, now: time.Now, written: map[string]written[T]{}}
}

// Get returns namespace/name as the cache holds it, or as this process last wrote it when the
// cache has not caught up with that write yet. A missing object is a NotFound error for the
// resource, worded as the API server words it (client-go's listers name the resource in the
// singular).
func (c *Cached[T]) Get(namespace, name string) (T, error) {
	obj, err := c.get(namespace, name)
	if err != nil && !apierrors.IsNotFound(err) {
		return obj, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out, found := c.newer(namespace+"/"+name, obj, err == nil)
	if !found {
		var zero T
		return zero, apierrors.NewNotFound(c.resource, name)
	}
	return out, nil
}

// Wrote records obj, the API server's answer to a write of this object. base is the
// resourceVersion the write replaced: the one sent with an update, the cached object's for a
// patch, "" for a create. Get returns obj until the cache holds it or a newer version.
func (c *Cached[T]) Wrote(base string, obj T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.prune(now)
	key := obj.GetNamespace() + "/" + obj.GetName()
	w := written[T]{obj: obj, at: now, created: base == ""}
	if prev, ok := c.written[key]; ok {
		w.replaced, w.created = prev.replaced, prev.created
	}
	if base != "" && len(w.replaced) < maxReplaced {
		w.replaced = append(w.replaced, base)
	}
	c.written[key] = w
}

// newer returns the newer of the cached object (found false when the cache holds none) and the
// recorded write of key, and drops the record once the cache caught up.
func (c *Cached[T]) newer(key string, cached T, found bool) (T, bool) {
	w, ok := c.written[key]
	switch {
	case !ok:
		return cached, found
	case c.now().Sub(w.at) > maxCacheLag:
	case !found:
		if w.created {
			return w.obj, true // created, not in the cache yet
		}
		// Updated, then deleted.
	case c.cacheOlder(cached.GetResourceVersion(), w):
		return w.obj, true
	}
	delete(c.written, key)
	return cached, found
}

// cacheOlder reports whether a cached resourceVersion is older than the recorded write.
func (c *Cached[T]) cacheOlder(cachedRV string, w written[T]) bool {
	writtenRV := w.obj.GetResourceVersion()
	if cachedRV == writtenRV {
		return false
	}
	if cmp, err := resourceversion.CompareResourceVersion(cachedRV, writtenRV); err == nil {
		return cmp < 0
	}
	for _, rv := range w.replaced {
		if rv == cachedRV {
			return true
		}
	}
	return false
}

// prune drops the records older than maxCacheLag, at most once per maxCacheLag.
func (c *Cached[T]) prune(now time.Time) {
	if now.Sub(c.pruned) < maxCacheLag {
		return
	}
	c.pruned = now
	for k, w := range c.written {
		if now.Sub(w.at) > maxCacheLag {
			delete(c.written, k)
		}
	}
}
