package status

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/gitcanary/gitcanary/api/client"
	"github.com/gitcanary/gitcanary/api/v1beta1"
	"github.com/gitcanary/gitcanary/engine"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

// Store reads and persists Canaries through the API server.
type Store struct {
	client *client.Client
}

var _ engine.Canaries = (*Store)(nil)

// NewStore returns a Store over the flagger.app client.
func NewStore(c *client.Client) *Store {
	return &Store{client: c}
}

// Get reads a Canary from the API server.
func (s *Store) Get(ctx context.Context, namespace, name string) (*v1beta1.Canary, error) {
	c, err := s.client.Canaries(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get Canary %s/%s: %w", namespace, name, err)
	}
	return c, nil
}

// WriteStatus replaces the Canary's status through the status subresource. It reads the
// Canary again before every attempt and retries on conflicts with client-go's default backoff,
// so a concurrent writer of the spec or metadata never loses its change.
func (s *Store) WriteStatus(ctx context.Context, c *v1beta1.Canary, status v1beta1.CanaryStatus) error {
	api := s.client.Canaries(c.Namespace)
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		cur, err := api.Get(ctx, c.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status = *status.DeepCopy()
		_, err = api.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("write status of Canary %s: %w", c.ID(), err)
	}
	return nil
}

// SetFinalizer adds (present) or removes v1beta1.Finalizer with a merge patch of metadata.finalizers,
// guarded by the resourceVersion it read and retried on conflicts. Other finalizers are kept.
func (s *Store) SetFinalizer(ctx context.Context, c *v1beta1.Canary, present bool) error {
	api := s.client.Canaries(c.Namespace)
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		cur, err := api.Get(ctx, c.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		has := slices.Contains(cur.Finalizers, v1beta1.Finalizer)
		if has == present {
			return nil
		}
		finalizers := slices.DeleteFunc(slices.Clone(cur.Finalizers), func(f string) bool { return f == v1beta1.Finalizer })
		if present {
			finalizers = append(finalizers, v1beta1.Finalizer)
		}
		patch, err := finalizerPatch(finalizers, cur.ResourceVersion)
		if err != nil {
			return err
		}
		_, err = api.Patch(ctx, c.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		return err
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
