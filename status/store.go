package status

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
)

// Store reads Canaries from the shared informer's cache and persists them through the API
// server. It never reads from the API server: writes carry the resourceVersion of the cached
// Canary, a conflict is retried after reading the cache again (client.CacheBackoff), and a
// read after a write sees the write even before the informer delivers it (client.Cached), so
// a tick never decides on a status the previous tick replaced.
type Store struct {
	client   *client.Client
	canaries *client.Cached[*v1beta1.Canary]
}

var _ engine.Canaries = (*Store)(nil)

// NewStore returns a Store over the flagger.app client, reading from canaries: the Canary
// informer's store, keyed <namespace>/<name> (cache.MetaNamespaceKeyFunc).
func NewStore(c *client.Client, canaries cache.KeyGetter) *Store {
	return &Store{client: c, canaries: client.NewCached(v1beta1.Resource("canaries"), func(namespace, name string) (*v1beta1.Canary, error) {
		return client.StoreGet[*v1beta1.Canary](canaries, "canaries", namespace, name)
	})}
}

// Get reads a Canary from the cache. The object is shared with the informer: callers must not
// modify it.
func (s *Store) Get(_ context.Context, namespace, name string) (*v1beta1.Canary, error) {
	c, err := s.canaries.Get(namespace, name)
	if err != nil {
		return nil, fmt.Errorf("get Canary %s/%s: %w", namespace, name, err)
	}
	return c, nil
}

// WriteStatus replaces the Canary's status through the status subresource, guarded by the
// resourceVersion of the cached Canary; it writes nothing when the status is already the
// same. On a conflict it reads the cache again and retries, so a concurrent writer of the
// spec or metadata never loses its change.
func (s *Store) WriteStatus(ctx context.Context, c *v1beta1.Canary, status v1beta1.CanaryStatus) error {
	api := s.client.Canaries(c.Namespace)
	_, err := s.canaries.Write(ctx, c.Namespace, c.Name, client.Write[*v1beta1.Canary]{
		Change: func(live *v1beta1.Canary) (*v1beta1.Canary, bool) {
			if equality.Semantic.DeepEqual(live.Status, status) {
				return nil, false
			}
			cur := live.DeepCopy()
			cur.Status = *status.DeepCopy()
			return cur, true
		},
		Update: func(ctx context.Context, cur *v1beta1.Canary) (*v1beta1.Canary, error) {
			return api.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		},
	})
	if err != nil {
		return fmt.Errorf("write status of Canary %s: %w", c.ID(), err)
	}
	return nil
}

// SetFinalizer adds (present) or removes v1beta1.Finalizer with a merge patch of metadata.finalizers,
// guarded by the resourceVersion of the cached Canary and retried on conflicts. Other
// finalizers are kept.
func (s *Store) SetFinalizer(ctx context.Context, c *v1beta1.Canary, present bool) error {
	api := s.client.Canaries(c.Namespace)
	_, err := s.canaries.Write(ctx, c.Namespace, c.Name, client.Write[*v1beta1.Canary]{
		Change: func(live *v1beta1.Canary) (*v1beta1.Canary, bool) {
			if slices.Contains(live.Finalizers, v1beta1.Finalizer) == present {
				return nil, false
			}
			cur := live.DeepCopy()
			cur.Finalizers = slices.DeleteFunc(cur.Finalizers, func(f string) bool { return f == v1beta1.Finalizer })
			if present {
				cur.Finalizers = append(cur.Finalizers, v1beta1.Finalizer)
			}
			return cur, true
		},
		Update: func(ctx context.Context, cur *v1beta1.Canary) (*v1beta1.Canary, error) {
			patch, err := finalizerPatch(cur.Finalizers, cur.ResourceVersion)
			if err != nil {
				return nil, err
			}
			return api.Patch(ctx, c.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		},
	})
	if err != nil {
		return fmt.Errorf("set finalizer %s=%t on Canary %s: %w", v1beta1.Finalizer, present, c.ID(), err)
	}
	return nil
}

func finalizerPatch(finalizers []string, resourceVersion string) ([]byte, error) {
	if finalizers == nil {
		finalizers = []string{}
	}
	type meta struct {
		Finalizers      []string `json:"finalizers"`
		ResourceVersion string   `json:"resourceVersion"`
	}
	return json.Marshal(map[string]meta{"metadata": {Finalizers: finalizers, ResourceVersion: resourceVersion}})
}
